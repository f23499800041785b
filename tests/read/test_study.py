"""Loading a study from every accepted shape, and the problems it reports."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import aegrade
from aegrade.errors import InputError
from aegrade.read.study import load_study

SUBJECTS = pd.DataFrame(
    {
        "subject_id": ["S1", "S2", "S3"],
        "arm": ["A", "A", "B"],
        "age": [34, 9, 61],
        "treatment_start": ["2024-01-01T08:00", "2024-02-01T08:00", "2024-03-01T08:00"],
    }
)
OBS = pd.DataFrame(
    {
        "subject_id": ["S1", "S1", "S2"],
        "day": [0, 2, 1],
        "parameter": ["PLAT", "PLAT", "hgb"],
        "value": [180, 40, 7.9],
        "unit": ["10^9/L", "10^9/L", "g/dL"],
        "lln": [150, 150, 12],
        "uln": [400, 400, 16],
    }
)
EVENTS = pd.DataFrame(
    {"subject_id": ["S3"], "term": ["Nausea"], "grade": [2], "onset": [3], "end": [4]}
)


def _check(result: aegrade.GradeResult) -> None:
    assert len(result.subjects) == 3  # S3 has no observations but counts in N
    ae = result.adverse_events.set_index(["subject_id", "term"])
    assert ae.loc[("S1", "Platelet count decreased"), "grade"] == 3
    assert ae.loc[("S2", "Anemia"), "grade"] == 3
    assert ae.loc[("S3", "Nausea"), "grade"] == 2
    summary = result.subject_summary.set_index("subject_id")
    assert summary.loc["S1", "Platelet count decreased [ctcae-v5.0]"] == 3
    assert pd.isna(summary.loc["S3", "Platelet count decreased [ctcae-v5.0]"])


def test_workbook(tmp_path: Path) -> None:
    path = tmp_path / "study.xlsx"
    with pd.ExcelWriter(path) as xw:
        SUBJECTS.to_excel(xw, sheet_name="subjects", index=False)
        OBS.to_excel(xw, sheet_name="observations", index=False)
        EVENTS.to_excel(xw, sheet_name="events", index=False)
    _check(aegrade.grade(path))


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_folder(tmp_path: Path, suffix: str) -> None:
    for name, frame in (("subjects", SUBJECTS), ("observations", OBS), ("events", EVENTS)):
        if suffix == "csv":
            frame.to_csv(tmp_path / f"{name}.csv", index=False)
        else:
            frame.to_parquet(tmp_path / f"{name}.parquet", index=False)
    _check(aegrade.grade(tmp_path))


def test_frames() -> None:
    _check(aegrade.grade(load_study(subjects=SUBJECTS, observations=OBS, events=EVENTS)))


def test_single_observations_file_and_headers_any_case(tmp_path: Path) -> None:
    path = tmp_path / "labs.xlsx"
    OBS.rename(columns=str.upper).to_excel(path, index=False)
    result = aegrade.grade(path)
    assert len(result.subjects) == 2  # without subjects, N is the subjects seen
    assert len(result.graded_observations) == 3


def test_time_becomes_study_day() -> None:
    obs = OBS.drop(columns="day").assign(
        time=["2024-01-01T08:00", "2024-01-03T20:00", "2024-02-02T08:00"]
    )
    result = aegrade.grade(load_study(subjects=SUBJECTS, observations=obs))
    assert result.graded_observations["day"].tolist() == [0.0, 2.5, 1.0]


def test_every_problem_reported_at_once(tmp_path: Path) -> None:
    subjects = pd.concat([SUBJECTS, SUBJECTS.iloc[[0]]], ignore_index=True)
    obs = OBS.drop(columns="day").assign(time=["2024-01-01", "not a date", "2024-02-02"])
    obs.loc[2, "subject_id"] = "S9"
    events = pd.DataFrame(
        {"subject_id": ["S1", "S1"], "term": ["Tumor lysis syndrome", "Nausia"], "grade": [2, 1]}
    )
    with pytest.raises(InputError) as info:
        aegrade.grade(load_study(subjects=subjects, observations=obs, events=events))
    f = info.value.failures
    assert set(f["check"]) >= {
        "duplicate_subject",
        "unreadable_day",
        "invalid_grade",
        "unknown_term",
    }
    assert "did you mean 'Nausea'" in " ".join(f["message"])


def test_spreadsheet_rows_named(tmp_path: Path) -> None:
    path = tmp_path / "study.xlsx"
    bad = OBS.astype({"value": object})
    bad.loc[1, "value"] = "x"
    with pd.ExcelWriter(path) as xw:
        bad.to_excel(xw, sheet_name="observations", index=False)
    with pytest.raises(InputError) as info:
        aegrade.grade(path)
    rec = info.value.failures.iloc[0]
    assert (rec["file"], rec["sheet"], rec["row"], rec["column"]) == (
        str(path),
        "observations",
        3,
        "value",
    )


def test_missing_path() -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_study("/nonexistent/study.xlsx")
