"""Study days from ``day`` or from ``time`` and the subject's treatment start."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aegrade.prepare.days import study_days
from aegrade.study import Study, Table


def test_time_minus_treatment_start_where_day_is_missing() -> None:
    obs = pd.DataFrame(
        {
            "subject_id": ["S1", "S1", "S2"],
            "day": [3.0, np.nan, np.nan],
            "time": ["2024-01-01", "2024-01-03T12:00", "2024-01-02"],
        }
    )
    subjects = pd.DataFrame({"subject_id": ["S1"], "treatment_start": ["2024-01-01"]})
    day, problems = study_days(Study(Table(obs, rows=np.array([2, 3, 4])), Table(subjects)))
    assert day is not None
    # a date-only treatment_start: calendar days (SPEC section 4), not 2.5
    assert day[:2].tolist() == [3.0, 2.0]
    assert np.isnan(day[2])
    assert problems[["row", "column", "check"]].values.tolist() == [[4, "time", "unreadable_day"]]


def test_no_day_and_no_time() -> None:
    day, problems = study_days(Study(Table(pd.DataFrame({"subject_id": ["S1"]}))))
    assert day is None and problems.empty


def test_an_infinite_day_is_an_unreadable_day_not_a_crash() -> None:
    obs = pd.DataFrame({"subject_id": ["A", "A"], "day": [float("inf"), 1.0]})
    day, problems = study_days(Study(Table(obs)))
    assert np.isnan(day[0]) and day[1] == 1.0
    assert problems[["row", "column", "check"]].values.tolist() == [[0, "day", "unreadable_day"]]


def test_a_subjects_table_with_a_header_and_no_rows() -> None:
    obs = pd.DataFrame({"subject_id": ["A"], "time": ["2024-01-02"]})
    empty = pd.DataFrame({"subject_id": pd.Series(dtype="str"), "treatment_start": []})
    day, problems = study_days(Study(Table(obs), subjects=Table(empty)))
    assert np.isnan(day[0])
    assert problems["check"].tolist() == ["unreadable_day"]


def test_the_date_order_of_each_column_goes_into_the_run_metadata() -> None:
    import aegrade

    obs = pd.DataFrame(
        {
            "subject_id": ["S1", "S1"],
            "time": ["02/03/2024 08:00", "13/03/2024 08:00"],
            "parameter": ["TEMP", "TEMP"],
            "value": [37.0, 38.5],
            "unit": ["degC", "degC"],
        }
    )
    subjects = pd.DataFrame({"subject_id": ["S1"], "treatment_start": ["2024-03-01"]})
    result = aegrade.grade(Study(Table(obs), Table(subjects)), hematology=False)
    assert result.meta["date order observations.time"] == "day/month/year (decided from the data)"
    assert result.meta["date order subjects.treatment_start"] == "ISO 8601"
    assert result.graded_observations["day"].tolist() == [1.0, 12.0]
