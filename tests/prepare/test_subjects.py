"""Subjects: the checks of the subjects table and the one subjects frame."""

from __future__ import annotations

import pandas as pd

import aegrade
from aegrade.prepare.subjects import subjects_frame, validate_subjects
from aegrade.study import Study, Table

OBS = pd.DataFrame(
    {
        "subject_id": ["S1", "S2"],
        "day": [1, 1],
        "parameter": ["HGB", "HGB"],
        "value": [90, 120],
        "unit": "g/L",
    }
)


def test_missing_ids_are_kept_and_reported_never_dropped() -> None:
    subjects = pd.DataFrame({"subject_id": ["S1", None, "S2", "S2"], "arm": ["A", "B", "A", "A"]})
    study = Study(Table(OBS), subjects=Table(subjects))
    frame = subjects_frame(study)
    assert frame["subject_id"].tolist()[:1] == ["S1"]
    assert frame["subject_id"].isna().sum() == 1
    assert len(frame) == 3
    problems = validate_subjects(Table(subjects))
    assert problems["check"].tolist() == ["missing_subject", "duplicate_subject"]
    assert problems["row"].tolist() == [1, 3]


def test_every_engine_counts_the_same_subjects() -> None:
    subjects = pd.DataFrame({"subject_id": ["S1", None, "S2", "S3"], "arm": ["A", "B", "A", "B"]})
    result = aegrade.grade(aegrade.load_study(OBS, subjects=subjects), errors="coerce")
    hem = aegrade.summarize_hematology(aegrade.load_study(OBS, subjects=subjects), errors="coerce")
    assert len(result.subjects) == len(result.subject_summary) == len(hem.subject_summary) == 4
    assert "missing_subject" in set(result.issues["check"])


def test_without_a_subjects_table_the_subjects_seen_count() -> None:
    events = pd.DataFrame({"subject_id": ["S9"], "term": ["Nausea"], "grade": [1]})
    frame = subjects_frame(Study(Table(OBS), events=Table(events)))
    assert frame["subject_id"].tolist() == ["S1", "S2", "S9"]
    assert str(frame["subject_id"].dtype) == "string"


def test_subjects_without_a_table_in_order_of_appearance_with_events() -> None:
    """Without a subjects table, the observation ids (their distinct coded ids) come first in
    order of appearance, then event ids not seen, never a missing id."""
    obs = pd.DataFrame({"subject_id": ["S2", None, "S1", "S2"]})
    events = pd.DataFrame({"subject_id": ["S3", "S1", None, "S4"]})
    study = Study(Table(obs), events=Table(events))
    assert subjects_frame(study)["subject_id"].tolist() == ["S2", "S1", "S3", "S4"]
    assert subjects_frame(Study(Table(obs)))["subject_id"].tolist() == ["S2", "S1"]
    assert str(subjects_frame(Study(Table(obs)))["subject_id"].dtype) == "string"
