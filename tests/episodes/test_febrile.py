"""Febrile-neutropenia episodes (aegrade.episodes.febrile) from graded readings."""

from __future__ import annotations

import pandas as pd

from aegrade.episodes.build import EPISODE_COLUMNS
from aegrade.episodes.febrile import febrile_neutropenia_episodes
from aegrade.grading.neutropenia import FEBRILE_READING_COLUMNS, find_febrile_neutropenia

RULE = "ctcae-v5.0/febrile-neutropenia/3"


def _frame(rows: list[tuple[str, float, float]], unit: str) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["subject_id", "day", "value"]).assign(unit=unit)


def test_grading_returns_graded_readings_not_episodes() -> None:
    anc = _frame([("S1", 2.0, 0.3), ("S2", 2.0, 3.0)], "10^9/L")
    temp = _frame([("S1", 2.2, 39.0), ("S1", 3.0, 37.0), ("S2", 2.1, 39.0)], "degC")
    summary, readings = find_febrile_neutropenia(anc, temp)
    assert readings.columns.tolist() == FEBRILE_READING_COLUMNS
    assert readings[["subject_id", "day", "grade"]].values.tolist() == [
        ["S1", 2.2, 3],
        ["S1", 3.0, 0],
        ["S2", 2.1, 0],
    ]
    assert readings["rule"].fillna("-").tolist() == [RULE, "-", "-"]
    assert summary["febrile_neutropenia_grade"].tolist() == [3, 0]


def test_runs_of_qualifying_readings_per_subject() -> None:
    anc = _frame([("S1", 2.0, 0.3), ("S1", 4.0, 0.3), ("S2", 1.0, 0.2)], "10^9/L")
    temp = _frame(
        [
            ("S1", 2.2, 39.0),
            ("S1", 2.4, 39.1),
            ("S1", 3.0, 37.0),
            ("S1", 4.1, 38.5),
            ("S2", 1.5, 39.5),
        ],
        "degC",
    )
    _, readings = find_febrile_neutropenia(anc, temp)
    ae = febrile_neutropenia_episodes(readings)
    assert ae.columns.tolist() == EPISODE_COLUMNS
    assert ae[
        ["subject_id", "grade", "onset", "end", "n_observations", "rule"]
    ].values.tolist() == [
        ["S1", 3, 2.2, 2.4, 2, RULE],
        ["S1", 3, 4.1, 4.1, 1, RULE],
        ["S2", 3, 1.5, 1.5, 1, RULE],
    ]
    assert ae["resolved_day"].iloc[0] == 3.0  # the next reading, not qualifying
    assert ae["resolved_day"].iloc[1:].isna().all()  # no later reading of the subject
    assert ae["term"].unique().tolist() == ["Febrile neutropenia"]


def test_no_qualifying_reading_no_episode() -> None:
    anc = _frame([("S1", 2.0, 3.0)], "10^9/L")
    temp = _frame([("S1", 2.2, 39.0)], "degC")
    ae = febrile_neutropenia_episodes(find_febrile_neutropenia(anc, temp)[1])
    assert ae.empty and ae.columns.tolist() == EPISODE_COLUMNS
