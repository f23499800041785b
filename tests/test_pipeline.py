"""grade() on careless input: every problem reported, never a traceback (aegrade.pipeline)."""

from __future__ import annotations

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
