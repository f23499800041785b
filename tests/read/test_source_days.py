"""Days and treatment starts that cannot be right are named where they are (issue 11 audit)."""

from __future__ import annotations

from pathlib import Path

import pytest

from aegrade.read.study import load_study


def test_an_out_of_range_treatment_start_is_named_in_the_subjects_table(tmp_path: Path) -> None:
    (tmp_path / "observations.csv").write_text(
        "subject_id,time,parameter,value,unit\nS1,2024-01-02T08:00,HGB,12,g/dL\n",
        encoding="utf-8",
    )
    (tmp_path / "subjects.csv").write_text(
        "subject_id,treatment_start\nS1,2262-04-12\n", encoding="utf-8"
    )
    first = load_study(tmp_path).failures.iloc[0]  # raised when graded (errors="raise")
    assert (Path(first["file"]).name, first["row"], first["column"]) == (
        "subjects.csv",
        2,
        "treatment_start",
    )
    assert "between 1677-09-22 and 2262-04-11" in first["message"]


@pytest.mark.parametrize(("day", "bad"), [("36525", False), ("-36525", False), ("36526", True)])
def test_a_day_beyond_100_years_is_implausible(tmp_path: Path, day: str, bad: bool) -> None:
    path = tmp_path / "obs.csv"
    path.write_text(
        f"subject_id,day,parameter,value,unit\nS1,{day},HGB,12,g/dL\n", encoding="utf-8"
    )
    if not bad:
        assert len(load_study(path).failures) == 0
        return
    failures = load_study(path).failures
    assert failures[["row", "column", "check"]].values.tolist() == [[2, "day", "implausible_value"]]
