"""summarize_hematology: lineage grades, ASCO/IDSA depth, CTCAE febrile neutropenia, layout."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aegrade.episodes import febrile_neutropenia_episodes
from aegrade.errors import InputError
from aegrade.grading.hematology import LISTING_COLUMNS, summarize_hematology
from aegrade.read.study import load_study

MINUTE = 1.0 / 1440.0


COLUMNS = ("subject_id", "day", "parameter", "value", "unit")


def obs(*rows):
    return pd.DataFrame([dict(zip(COLUMNS, r, strict=True)) for r in rows])


def fn(*rows, options=None):
    result = summarize_hematology(obs(*rows), febrile_options=options)
    return result.subject_summary.iloc[0], febrile_neutropenia_episodes(result.febrile_readings)


ANC_LOW = ("S1", 2.0, "NEUT", 900, "cells/uL")


@pytest.mark.parametrize(
    ("temp", "unit", "grade"),
    [
        (38.3, "degC", 0),
        (38.31, "degC", 3),
        (101.0, "degF", 0),
        (101.1, "degF", 3),
    ],
)
def test_single_temperature_is_strictly_above_38_3(temp, unit, grade):
    row, _ = fn(ANC_LOW, ("S1", 2.5, "TEMP", temp, unit))
    assert row["febrile_neutropenia_grade"] == grade


@pytest.mark.parametrize(("minutes", "grade"), [(60, 0), (61, 3)])
def test_sustained_38_0_needs_more_than_one_hour(minutes, grade):
    row, episodes = fn(
        ANC_LOW,
        ("S1", 2.5, "TEMP", 38.0, "degC"),
        ("S1", 2.5 + minutes * MINUTE, "TEMP", 38.0, "degC"),
    )
    assert row["febrile_neutropenia_grade"] == grade
    assert len(episodes) == (grade == 3)
    if grade:
        assert episodes.iloc[0]["onset"] == pytest.approx(2.5 + 61 * MINUTE)
        assert episodes.iloc[0]["rule"] == "ctcae-v5.0/febrile-neutropenia/3"
        assert episodes.iloc[0]["term"] == "Febrile neutropenia"


def test_a_reading_below_38_breaks_the_sustained_run():
    row, _ = fn(
        ANC_LOW,
        ("S1", 2.5, "TEMP", 38.2, "degC"),
        ("S1", 2.5 + 30 * MINUTE, "TEMP", 37.9, "degC"),
        ("S1", 2.5 + 90 * MINUTE, "TEMP", 38.2, "degC"),
    )
    assert row["febrile_neutropenia_grade"] == 0


def test_anc_must_be_below_1000():
    row, _ = fn(("S1", 2.0, "NEUT", 1.0, "10^9/L"), ("S1", 2.5, "TEMP", 39.5, "degC"))
    assert row["febrile_neutropenia_grade"] == 0
    row, _ = fn(("S1", 2.0, "NEUT", 999, "/mm3"), ("S1", 2.5, "TEMP", 39.5, "degC"))
    assert row["febrile_neutropenia_grade"] == 3


def test_anc_of_the_day_or_one_day_before():
    row, _ = fn(("S1", 1.2, "NEUT", 500, "cells/uL"), ("S1", 2.9, "TEMP", 39.0, "degC"))
    assert (row["febrile_neutropenia_grade"], row["febrile_neutropenia_onset_day"]) == (3, 2.9)
    row, _ = fn(("S1", 0.5, "NEUT", 500, "cells/uL"), ("S1", 2.9, "TEMP", 39.0, "degC"))
    assert pd.isna(row["febrile_neutropenia_grade"])  # a fever without a usable ANC
    assert "without an ANC" in row["febrile_neutropenia_reason"]
    row, _ = fn(
        ("S1", 0.5, "NEUT", 500, "cells/uL"),
        ("S1", 2.9, "TEMP", 39.0, "degC"),
        options={"anc_carry_days": 2},
    )
    assert row["febrile_neutropenia_grade"] == 3


def test_missing_inputs_are_na_and_no_fever_is_zero():
    row, _ = fn(("S1", 2.5, "TEMP", 39.5, "degC"))
    assert pd.isna(row["febrile_neutropenia_grade"])
    row, _ = fn(ANC_LOW, ("S1", 2.5, "TEMP", 37.0, "degC"))
    assert row["febrile_neutropenia_grade"] == 0


def test_episodes_split_by_a_non_qualifying_reading():
    _, episodes = fn(
        ("S1", 2.0, "NEUT", 300, "cells/uL"),
        ("S1", 4.0, "NEUT", 300, "cells/uL"),
        ("S1", 2.2, "TEMP", 39.0, "degC"),
        ("S1", 2.4, "TEMP", 39.1, "degC"),
        ("S1", 3.0, "TEMP", 37.0, "degC"),
        ("S1", 4.1, "TEMP", 38.5, "degC"),
    )
    assert episodes[["onset", "end", "resolved_day", "n_observations"]].to_numpy().tolist() == [
        [2.2, 2.4, 3.0, 2],
        [4.1, 4.1, pytest.approx(np.nan, nan_ok=True), 1],
    ]


def test_asco_idsa_depth_is_strict_and_icaht_is_inclusive():
    days = np.arange(0, 40)
    anc = np.where(days < 5, 499, np.where(days < 8, 500, np.where(days < 10, 99, 3000)))
    frame = pd.DataFrame(
        {"subject_id": "S1", "day": days, "parameter": "NEUT", "value": anc, "unit": "cells/uL"}
    )
    row = summarize_hematology(frame).subject_summary.iloc[0]
    assert row["severe_neutropenia_days"] == 7  # days 0-4 and 8-9: < 500
    assert row["profound_neutropenia_days"] == 2  # days 8-9: < 100
    assert row["days_anc_le_500"] == 10  # days 0-9: <= 500
    assert row["anc_nadir"] == pytest.approx(0.099)
    assert row["anc_nadir_day"] == 8


def test_worst_lineage_grades_after_baseline():
    frame = obs(
        ("S1", -1, "HGB", 6.0, "g/dL"),
        ("S1", 0, "PLAT", 10, "10^9/L"),
        ("S1", 2, "HGB", 7.9, "g/dL"),
        ("S1", 3, "PLAT", 24999, "/mm3"),
        ("S1", 3, "NEUT", 0.5, "10^9/L"),
        ("S1", 3, "WBC", 1.5, "10^9/L"),
        ("S1", 3, "LYM", 0.2, "10^9/L"),
    )
    row = summarize_hematology(frame).subject_summary.iloc[0]
    assert [
        row[c]
        for c in (
            "hemoglobin_worst_grade",
            "platelets_worst_grade",
            "neutrophils_worst_grade",
            "wbc_worst_grade",
            "lymphocytes_worst_grade",
        )
    ] == [3, 4, 3, 3, 3]
    all_days = summarize_hematology(frame, lineage_from_day=None).subject_summary.iloc[0]
    assert all_days["hemoglobin_worst_grade"] == 3  # 6.0 g/dL is grade 3 as well


def test_every_subject_is_listed_with_na_never_zero():
    subjects = pd.DataFrame({"subject_id": ["S2", "S1", "S3"], "arm": ["B", "A", "A"]})
    frame = obs(
        ("S1", 1, "NEUT", 300, "cells/uL"),
        ("S1", 1.5, "TEMP", 38.5, "degC"),
        ("S9", 1, "NEUT", 300, "cells/uL"),
    )  # S9 is not in the subjects table
    result = summarize_hematology(load_study(observations=frame, subjects=subjects))
    summary = result.subject_summary
    assert summary["subject_id"].tolist() == ["S2", "S1", "S3"]
    assert summary["arm"].tolist() == ["B", "A", "A"]
    s2 = summary.iloc[0]
    for column in (
        "neutrophils_worst_grade",
        "icaht_early_grade",
        "icaht_late_grade",
        "days_anc_le_500",
        "days_anc_le_100",
        "severe_neutropenia_days",
        "febrile_neutropenia_grade",
        "car_hematotox_score",
        "il6_peak",
        "il6_fold_change",
        "il6_range",
    ):
        assert pd.isna(s2[column]), column
    assert summary.iloc[1]["febrile_neutropenia_grade"] == 3
    assert result.listing.columns.tolist() == LISTING_COLUMNS
    assert len(result.listing) == 3


def test_time_column_with_treatment_start():
    subjects = pd.DataFrame({"subject_id": ["S1"], "treatment_start": ["2024-01-01T08:00"]})
    frame = pd.DataFrame(
        {
            "subject_id": "S1",
            "parameter": ["NEUT", "TEMP", "TEMP"],
            "time": ["2024-01-03T07:00", "2024-01-03T10:00", "2024-01-03T11:01"],
            "value": [800, 38.0, 38.0],
            "unit": ["cells/uL", "degC", "degC"],
        }
    )
    result = summarize_hematology(load_study(observations=frame, subjects=subjects))
    assert result.subject_summary.iloc[0]["febrile_neutropenia_grade"] == 3


def test_input_errors_raise_or_are_listed():
    frame = obs(("S1", 1, "NEUT", 300, "cells/uL"), ("S1", 2, "NEUT", 300, "furlongs"))
    with pytest.raises(InputError, match="furlongs"):
        summarize_hematology(frame)
    result = summarize_hematology(frame, errors="coerce")
    assert result.issues["check"].tolist() == ["unknown_unit"]
    row = result.subject_summary.iloc[0]
    # the bad row is left out; day 1's 300/uL carries forward to day 8
    assert (row["icaht_early_grade"], row["days_anc_le_500"]) == (2, 8)


def test_input_is_not_mutated():
    frame = obs(ANC_LOW, ("S1", 2.5, "TEMP", 39.0, "degC"))
    before = frame.copy()
    summarize_hematology(frame)
    pd.testing.assert_frame_equal(frame, before)


def test_lineage_grades_from_the_pipelines_levels_equal_grading_the_rows() -> None:
    """aegrade.grade hands its grades as bytes and the rows already selected per parameter
    to the lineage grades; they agree with grading the lineage rows anew, including rows
    at or before day 0, without a day, without a value and of an unknown subject."""
    import aegrade
    from aegrade.grading.hematology import LINEAGES
    from aegrade.read import load_study

    obs = pd.DataFrame(
        {
            "subject_id": ["A", "A", "A", "A", "B", "B", "B", "C", None, "A"],
            "day": [-2, 0, 3, 7, 1, None, 5, 2, 4, 9],
            "parameter": [
                "NEUT",
                "NEUT",
                "NEUT",
                "PLAT",
                "HGB",
                "NEUT",
                "WBC",
                "LYM",
                "NEUT",
                "HGB",
            ],
            "value": [0.4, 0.3, 1.2, 20, 70, 0.1, None, 0.3, 0.1, 95],
            "unit": ["10^9/L"] * 4 + ["g/L", "10^9/L", "10^9/L", "10^9/L", "10^9/L", "g/L"],
        }
    )
    subjects = pd.DataFrame({"subject_id": ["A", "B", "C", "D"]})
    study = load_study(observations=obs, subjects=subjects)
    columns = list(LINEAGES.values())
    via_grade = aegrade.grade(study, errors="coerce", crs=None, icans=None).subject_summary[columns]
    alone = summarize_hematology(study, errors="coerce").subject_summary[columns]
    pd.testing.assert_frame_equal(via_grade.reset_index(drop=True), alone.reset_index(drop=True))
    got = via_grade.astype(object).where(via_grade.notna(), None).to_numpy().tolist()
    assert got == [
        [2, 2, 4, None, None],  # A: day -2 and 0 are baseline; PLAT 20, HGB 95 g/L
        [None, 3, None, None, None],  # B: NEUT without a day, WBC without a value
        [None, None, None, None, 3],
        [None, None, None, None, None],
    ]
