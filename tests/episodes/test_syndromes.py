"""CRS/ICANS episode rows, grade 5 and worst per subject (aegrade.episodes.syndromes)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aegrade.episodes.build import find_episodes
from aegrade.episodes.syndromes import (
    AE_COLUMNS,
    GradedTimePoints,
    Syndrome,
    build_adverse_events,
    finish_syndrome,
)
from aegrade.prepare.findings import Findings, extract_findings
from aegrade.read.study import load_study

SYN = Syndrome("CRS", "Cytokine release syndrome", "astct-2019", ("crs",), 1.0)
#: S1: episodes on days 1-2 and 6; S2 assessed, never graded; S3 never assessed
SUBJECT = np.array([0, 0, 0, 0, 0, 1])
DAY = np.array([1.0, 2.0, 4.0, 6.0, 8.0, 1.0])
GRADE = np.array([1, 2, 0, 3, 0, 0])


def _tps() -> GradedTimePoints:
    return GradedTimePoints(
        SUBJECT,
        DAY,
        GRADE,
        rule=np.array([f"r{g}" if g else None for g in GRADE], object),
        text=np.array([f"t{g}" if g else None for g in GRADE], object),
        episodes=find_episodes(SUBJECT, DAY, GRADE >= 1, gap_days=SYN.gap_days),
        assessed=np.array([True, True, False]),
    )


def _found(death_day: list[float | None], cause: list[str | None]) -> Findings:
    obs = pd.DataFrame(
        {
            "subject_id": ["S1", "S2", "S3"],
            "day": 1.0,
            "parameter": "TEMP",
            "value": 37.0,
            "unit": "degC",
        }
    )
    subjects = pd.DataFrame(
        {"subject_id": ["S1", "S2", "S3"], "death_day": death_day, "death_cause": cause}
    )
    return extract_findings(load_study(observations=obs, subjects=subjects))


def test_episode_rows_resolve_after_the_gap_when_followed() -> None:
    ae = build_adverse_events(SYN, _tps(), np.array(["S1", "S2", "S3"], object))
    assert ae.columns.tolist() == AE_COLUMNS
    assert ae[["subject_id", "grade", "onset", "end", "rule", "reason"]].values.tolist() == [
        ["S1", 2, 1.0, 2.0, "r2", "t2"],
        ["S1", 3, 6.0, 6.0, "r3", "t3"],
    ]
    # followed to day 8: day 2 + 1 and day 6 + 1 are both seen
    assert ae["resolved_day"].tolist() == [3.0, 7.0]
    assert ae["time_to_onset"].tolist() == [1.0, 6.0]


def test_worst_na_when_never_assessed() -> None:
    ae, worst = finish_syndrome(SYN, _tps(), _found([None] * 3, [None] * 3))
    assert len(ae) == 2
    assert worst.index.tolist() == ["S1", "S2", "S3"]
    assert worst.fillna(-1).tolist() == [3, 0, -1]


def test_grade5_takes_the_last_episode_started_before_death() -> None:
    ae, worst = finish_syndrome(SYN, _tps(), _found([5.0, None, None], ["crs", None, None]))
    assert ae[["grade", "onset", "end", "duration"]].values.tolist() == [
        [5, 1.0, 5.0, 4.0],
        [3, 6.0, 6.0, 0.0],
    ]
    assert ae["rule"].iloc[0] == "astct-2019/crs/grade5/5"
    assert ae["reason"].iloc[0] == "grade 5: death from CRS at day 5 (death_cause CRS, astct-2019)"
    assert pd.isna(ae["resolved_day"].iloc[0])
    assert worst.fillna(-1).tolist() == [5, 0, -1]


def test_grade5_without_an_episode_adds_a_row_and_unknown_day_keeps_the_end() -> None:
    ae, worst = finish_syndrome(SYN, _tps(), _found([None, 3.0, 2.0], ["crs", "crs", "icans"]))
    assert ae[["subject_id", "grade", "onset", "end", "n_observations"]].fillna(
        -1
    ).values.tolist() == [
        ["S1", 2, 1.0, 2.0, 2],
        ["S1", 5, 6.0, 6.0, 1],  # death day unknown: the last episode, its end kept
        ["S2", 5, 3.0, 3.0, 0],  # no episode before death: a row at the death day
    ]
    assert ae["reason"].iloc[1].startswith("grade 5: death from CRS at day ?")
    assert ae["reason"].iloc[2].endswith("; no episode was recorded before death")
    assert worst.fillna(-1).tolist() == [5, 5, -1]
