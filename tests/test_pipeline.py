"""grade() on careless input: every problem reported, never a traceback (aegrade.pipeline)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aegrade import InputError, grade, load_study


def _plat(subjects: list[object]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "subject_id": subjects,
            "day": [1.0] * len(subjects),
            "parameter": "PLAT",
            "value": 40.0,
            "unit": "10^9/L",
        }
    )


def test_a_row_without_subject_is_an_input_error() -> None:
    with pytest.raises(InputError) as err:
        grade(_plat([None, "A"]))
    assert err.value.error_counts == {"missing_subject": 1}
    coerced = grade(_plat(["  ", "A"]), errors="coerce")
    assert coerced.adverse_events["subject_id"].tolist() == ["A"]
    assert coerced.issues["check"].tolist() == ["missing_subject"]


def test_a_clinician_grade_that_is_not_whole_is_refused_and_kept_as_na() -> None:
    events = pd.DataFrame({"subject_id": ["A"], "term": ["Fatigue"], "grade": [2.5], "onset": [1]})
    study = load_study(observations=_plat(["A"]), events=events)
    with pytest.raises(InputError) as err:
        grade(study)
    assert err.value.error_counts == {"invalid_grade": 1}
    ae = grade(study, errors="coerce").adverse_events
    fatigue = ae[ae["term"] == "Fatigue"]
    assert fatigue["grade"].isna().all() and len(fatigue) == 1  # kept, never dropped


def test_text_cells_read_as_numbers_keep_their_number_and_their_text(tmp_path: Path) -> None:
    """Nothing lost in output (issue 10): "13,6" is written as 13.6 with its text kept; a
    censored "<0.5" keeps value empty (its limit has its own column); "12,0" LLN is 12.0."""
    path = tmp_path / "o.xlsx"
    pd.DataFrame(
        {
            "subject_id": ["S1", "S1", "S2"],
            "day": [0, 1, 1],
            "parameter": ["HGB", "HGB", "NEUT"],
            "value": ["13,6", "7,2", "<0.5"],
            "unit": ["g/dL", "g/dL", "10^9/L"],
            "lln": ["12,0", "12,0", "1,5"],
            "uln": [16, 16, 8],
        }
    ).to_excel(path, index=False, sheet_name="observations")
    out = grade(load_study(path)).graded_observations
    assert out["value"].tolist()[:2] == [13.6, 7.2]
    assert pd.isna(out["value"].iloc[2])
    assert out["value_text"].tolist() == ["13,6", "7,2", "<0.5"]
    assert out["lln"].tolist() == [12.0, 12.0, 1.5]
    assert out["grade_low"].tolist() == [0, 3, 4]
    assert out["censor_limit"].iloc[2] == 0.5


def test_stack_events_equals_concat_after_conform() -> None:
    """Empty engine frames are left out of the concatenation; after conform the adverse
    events are those of ``pd.concat`` of all frames, dtypes included (an unlisted column keeps
    the dtype the whole concatenation gives it)."""
    from aegrade.pipeline import _stack_events
    from aegrade.schema import ADVERSE_EVENTS, conform

    episodes = pd.DataFrame(
        {
            "subject_id": pd.array(["S1", "S2"], dtype="str"),
            "term": ["Anemia", "Anemia"],
            "grade": [2, 3],
            "onset": [1.0, np.nan],
            "extra_number": [1.5, 2.5],  # not in the schema
        }
    )
    none = pd.DataFrame(
        {c: pd.Series([], dtype=object) for c in ["subject_id", "term", "grade", "episode"]}
    )
    fn = pd.DataFrame({"subject_id": ["S3"], "term": ["Febrile neutropenia"], "grade": [3]})
    for frames in ([episodes, none, fn], [none, episodes], [episodes, fn], [none, none]):
        want = conform(pd.concat(frames, ignore_index=True), ADVERSE_EVENTS)
        got = conform(_stack_events(list(frames)), ADVERSE_EVENTS)
        pd.testing.assert_frame_equal(got, want)


@pytest.mark.parametrize("dtype", ["Int8", "Int16", "int8", "int64", "float64", "object"])
def test_grade_columns_of_any_width_conform_to_the_same_int64(dtype: str) -> None:
    from aegrade.pipeline import conform_graded_observations

    grades = [0, 4, None] if dtype[0] in "Ifo" else [0, 4, 2]
    graded = pd.DataFrame(
        {
            "subject_id": ["A", "A", "B"],
            "value": [1.0, 2.0, 3.0],
            "grade_low": pd.Series(grades, dtype=dtype),
            "grade_high": pd.Series([None, 1, 2], dtype="Int8"),
            "reason": ["graded", "graded", "not graded, value missing"],
        }
    )
    out = conform_graded_observations(graded)
    assert str(out["grade_low"].dtype) == "Int64" == str(out["grade_high"].dtype)
    want = [0, 4, None] if dtype[0] in "Ifo" else [0, 4, 2]
    assert [None if v is pd.NA else v for v in out["grade_low"]] == want
    assert [None if v is pd.NA else v for v in out["grade_high"]] == [None, 1, 2]
    assert out["reason_code"].astype(str).tolist()[:2] == ["grade_0", "graded"]


@pytest.mark.parametrize("dtype", ["str", "string", "object"])
def test_with_dictionary_is_the_lookup_of_each_term(dtype: str) -> None:
    from aegrade.criteria import load_dictionary
    from aegrade.pipeline import _with_dictionary

    terms = pd.Series(["Anemia", None, "Not a CTCAE term", "Anemia", "Hypokalemia"], dtype=dtype)
    ae = pd.DataFrame({"term": terms, "soc": [None, "given", None, "kept", None]})
    got = _with_dictionary(ae.copy(), "ctcae-v5.0")
    d = load_dictionary("ctcae-v5.0").drop_duplicates("term").set_index("term")
    want = ae.assign(
        soc=ae["soc"].fillna(ae["term"].map(d["soc"])), meddra_code=ae["term"].map(d["meddra_code"])
    )
    pd.testing.assert_frame_equal(got, want)
    assert got["meddra_code"].tolist()[0] == "10002272"
    assert got["soc"].tolist()[:2] == ["Blood and lymphatic system disorders", "given"]


def test_threads_give_the_same_result_and_reach_the_lab_grading(
    monkeypatch: pytest.MonkeyPatch, row_pools: list[int]
) -> None:
    import sys

    from aegrade import threads

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from _synth import lab_rows

    monkeypatch.setattr(threads, "SMALLEST_BLOCK", 50)
    obs = lab_rows(3000, seed=9)
    one = grade(obs, errors="coerce", threads=1)
    assert row_pools == []
    two = grade(obs, errors="coerce", threads=2)
    assert row_pools and set(row_pools) == {2}
    for name, frame in one.tables().items():
        pd.testing.assert_frame_equal(frame, two.tables()[name], obj=name)


def test_on_table_gets_each_output_table_as_soon_as_it_is_final() -> None:
    """graded_observations right after the lab grading, before the episodes; the other two
    at the end; each the very frame the result holds, the results unchanged by the hook."""
    calls: list[str] = []
    frames: dict[str, pd.DataFrame] = {}

    def table(name: str, frame: pd.DataFrame) -> None:
        calls.append(f"table {name}")
        frames[name] = frame

    obs = _plat(["A", "B"]).assign(value=[40.0, 250.0])
    result = grade(obs, progress=lambda stage: calls.append(stage), on_table=table)
    assert calls == [
        "preparing",
        "grading",
        "table graded_observations",
        "episodes",
        "CRS/ICANS",
        "hematology",
        "table adverse_events",
        "table subject_summary",
    ]
    assert all(frames[name] is frame for name, frame in result.tables().items())
    plain = grade(obs)
    for name, frame in plain.tables().items():
        pd.testing.assert_frame_equal(result.tables()[name], frame)
