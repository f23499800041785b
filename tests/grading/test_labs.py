"""grade_labs: missing inputs, options and row preservation (boundary tables: test_ctcae_cases)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import aegrade
from aegrade.errors import InputError


def test_unknown_parameter_kept_with_reason_naming_it() -> None:
    # issue 10: an unrecognised test name is named in the reason (was "no criteria ...")
    out = aegrade.grade_labs(pd.DataFrame({"parameter": ["XYZ"], "value": [1.0]}))
    assert out["reason"].iloc[0] == (
        "not graded: unknown_parameter (test name 'XYZ' is not recognised; map it in [parameters])"
    )
    assert pd.isna(out["grade_low"].iloc[0]) and pd.isna(out["grade_high"].iloc[0])


def test_missing_range_reason_names_it() -> None:
    out = aegrade.grade_labs(pd.DataFrame({"parameter": ["ALT"], "value": [50.0]}))
    assert "reference range (LLN/ULN) missing" in out["reason"].iloc[0]
    assert pd.isna(out["grade_high"].iloc[0])


def test_ambiguous_lower_option() -> None:
    df = pd.DataFrame(
        {
            "parameter": ["K", "SODIUM", "LIPASE"],
            "value": [3.2, 127, 400],
            "unit": ["mmol/L"] * 2 + ["U/L"],
            "lln": [3.5, 135, None],
            "uln": [5.1, 145, 60],
        }
    )
    worse = aegrade.grade_labs(df)
    lower = aegrade.grade_labs(df, ambiguous="lower")
    assert worse["grade_low"].tolist()[:2] == [2, 3]
    assert lower["grade_low"].tolist()[:2] == [1, 2]
    assert worse["grade_high"].iloc[2] == 4 and lower["grade_high"].iloc[2] == 3
    assert lower["review"].all() and worse["review"].all()


def test_v4_and_v5_differ_where_ctcae_differs() -> None:
    df = pd.DataFrame(
        {
            "parameter": ["ALT", "GLUC"],
            "value": [130.0, 15.0],
            "unit": ["U/L", "mmol/L"],
            "uln": [40, 6.1],
            "lln": [None, 3.9],
            "baseline": [60, None],
        }
    )
    v4 = aegrade.grade_labs(df, "4.03")
    v5 = aegrade.grade_labs(df, "5.0")
    assert (
        v4["grade_high"].iloc[0] == 2 and v5["grade_high"].iloc[0] == 1
    )  # 130 > 3 x ULN; < 3 x baseline 60
    assert v4["grade_high"].iloc[1] == 3 and pd.isna(v5["term_high"].iloc[1])


def test_every_row_kept_in_order_and_input_untouched() -> None:
    df = pd.DataFrame(
        {
            "parameter": ["HGB", "junk", "NEUT", None],
            "value": [9, 1, 0.2, 3],
            "unit": ["g/dL", None, "10^9/L", None],
            "lln": [12, None, 1.8, None],
        },
        index=[10, 5, 7, 1],
    )
    before = df.copy()
    out = aegrade.grade_labs(df, errors="coerce")
    pd.testing.assert_frame_equal(df, before)
    assert list(out.index) == [10, 5, 7, 1]
    assert out["grade_low"].tolist()[0] == 2 and out["grade_low"].tolist()[2] == 4


def test_errors_raise_collects_every_problem() -> None:
    df = pd.DataFrame(
        {
            "parameter": ["HGB", "NEUT", "TEMP", "K"],
            "value": ["abc", -1, 50, 4.0],
            "unit": ["g/dL", "10^9/L", "degC", "furlongs"],
        }
    )
    with pytest.raises(InputError) as info:
        aegrade.grade_labs(df)
    checks = info.value.failures.set_index("row")["check"].to_dict()
    assert checks == {
        0: "not_a_number",
        1: "implausible_value",
        2: "implausible_value",
        3: "unknown_unit",
    }
    coerced = aegrade.grade_labs(df, errors="coerce")
    assert coerced["grade_low"].isna().all()
    assert coerced["reason"].str.startswith("not graded").all()


def test_missing_required_column() -> None:
    with pytest.raises(InputError, match="'value' is missing"):
        aegrade.grade_labs(pd.DataFrame({"parameter": ["HGB"]}))


def test_baseline_derived_from_last_value_at_or_before_day_0() -> None:
    df = pd.DataFrame(
        {
            "subject_id": ["a"] * 4,
            "day": [-5, 0, 3, 5],
            "parameter": ["ALT"] * 4,
            "value": [30, 60, 89, 90.0],
            "unit": ["U/L"] * 4,
            "uln": [40] * 4,
        }
    )
    out = aegrade.grade_labs(df)
    # baseline 60 > ULN: abnormal, so 1.5 x 60 = 90 is grade 1 and 89 grade 0
    assert out["grade_high"].tolist() == [0, 0, 0, 1]


def test_fever_over_40_for_more_than_24_hours_is_grade_4() -> None:
    days = [0.0, 0.5, 1.0, 1.1, 2.0, 2.5]
    temps = [40.2, 40.5, 40.3, 40.4, 39.0, 40.6]
    df = pd.DataFrame(
        {"subject_id": ["a"] * 6, "day": days, "parameter": "TEMP", "value": temps, "unit": "degC"}
    )
    out = aegrade.grade_labs(df.sample(frac=1, random_state=1)).sort_index()
    # the run 0.0-1.1 passes 24 h at day 1.1; 39.0 breaks the run; 40.6 starts a new one
    assert out["grade_high"].tolist() == [3, 3, 3, 4, 1, 3]


def test_fever_exactly_24_hours_is_grade_3() -> None:
    df = pd.DataFrame(
        {
            "subject_id": ["a", "a"],
            "day": [0.0, 1.0],
            "parameter": "TEMP",
            "value": [40.5, 40.5],
            "unit": "degC",
        }
    )
    assert aegrade.grade_labs(df)["grade_high"].tolist() == [3, 3]


def test_rule_ids_name_the_rule() -> None:
    out = aegrade.grade_labs(
        pd.DataFrame({"parameter": ["NEUT"], "value": [0.7], "unit": ["10^9/L"], "lln": [1.8]})
    )
    assert out["rule_low"].iloc[0] == "ctcae-v5.0/neutrophil-count-decreased/3"
    assert out["criteria"].iloc[0] == "ctcae-v5.0"
    assert out["term_low"].iloc[0] == "Neutrophil count decreased"
    assert np.isnan(out["grade_high"].astype(float).iloc[0])


def test_rejected_value_is_never_a_baseline() -> None:
    df = pd.DataFrame(
        {
            "subject_id": ["a"] * 3,
            "day": [-2, 0, 4],
            "parameter": ["ALT"] * 3,
            "value": [30, -5, 90.0],
            "unit": ["U/L"] * 3,
            "uln": [40] * 3,
        }
    )
    out = aegrade.grade_labs(df, errors="coerce")
    # -5 is implausible: the baseline is 30 (normal), so 90 > 2 x ULN is graded on ULN: 1
    assert out["grade_high"].tolist()[2] == 1
    assert pd.isna(out["grade_high"].iloc[1])


def test_lab_levels_are_the_grade_columns_as_bytes() -> None:
    """lab_levels gives what the nullable grade columns hold, -1 for NA (not graded, or an
    input problem), and reason_codes, stack_directions and the pipeline read the same from
    them as from the columns."""
    from aegrade.episodes.labs import stack_directions
    from aegrade.grading.labs import assemble_grades, grade_prepared, lab_levels
    from aegrade.prepare.observations import prepare_observations
    from aegrade.schema import reason_codes

    data = pd.DataFrame(
        {
            "subject_id": "S1",
            "day": [0, 1, 2, 3, 4, 5],
            "parameter": ["PLAT", "K", "K", "PLAT", "XYZ", "K"],
            "value": [40, 6.5, 3.0, "x", 1, 4.0],
            "unit": ["10^9/L", "mmol/L", "mmol/L", "10^9/L", "", "mmol/L"],
            "lln": [150, 3.5, 3.5, 150, None, 3.5],
            "uln": [400, 5.1, 5.1, 400, None, 5.1],
        }
    )
    prep = prepare_observations(data, errors="coerce")
    plan, low, high = grade_prepared(prep, "ctcae-v5.0")
    graded = assemble_grades(data, prep, plan, low, high)
    levels = lab_levels(prep, low, high)
    for side, level in zip(("low", "high"), levels, strict=True):
        assert level.dtype == np.int8
        want = graded[f"grade_{side}"].to_numpy(dtype=np.int8, na_value=-1)
        assert level.tolist() == want.tolist()
    assert levels[0].tolist() == [3, 0, 2, -1, -1, 0]  # "x" is an input problem: -1
    assert list(reason_codes(graded, levels)) == list(reason_codes(graded))
    day = np.arange(6, dtype=float)
    a, b = stack_directions(graded, day, levels), stack_directions(graded, day)
    assert a.grades.dtype == b.grades.dtype == np.int8
    assert a.grades.tolist() == b.grades.tolist() and a.key.tolist() == b.key.tolist()
    from aegrade.pipeline import conform_graded_observations

    pd.testing.assert_frame_equal(
        conform_graded_observations(graded, levels=levels), conform_graded_observations(graded)
    )
