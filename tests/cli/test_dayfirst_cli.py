"""`--dayfirst/--no-dayfirst` on `aegrade grade` (issue 10 point 9): the order of slashed dates."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from aegrade.cli import main
from aegrade.read.dates import event_days
from aegrade.study import Table


def _study(tmp_path: Path) -> Path:
    folder = tmp_path / "study"
    folder.mkdir()
    (folder / "observations.csv").write_text(
        "subject_id,time,parameter,value,unit\n"
        "S1,05/01/2024 08:00,HGB,12,g/dL\n"
        "S1,06/01/2024 08:00,HGB,7.5,g/dL\n",
        encoding="utf-8",
    )
    (folder / "subjects.csv").write_text(
        "subject_id,treatment_start\nS1,04/01/2024 10:00\n", encoding="utf-8"
    )
    return folder


@pytest.mark.parametrize(
    ("flag", "days"),
    [
        (["--dayfirst"], [0.916667, 1.916667]),  # 5 and 6 January after 4 January 10:00
        (["--no-dayfirst"], [29.916667, 60.916667]),
    ],
)
def test_dayfirst_decides_the_study_day(tmp_path: Path, flag: list[str], days: list[float]) -> None:
    study = _study(tmp_path)
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["grade", str(study), *flag, "-o", str(out)])
    assert res.exit_code == 0, res.output
    graded = pd.read_csv(out / "graded_observations.csv")
    assert graded["day"].round(6).tolist() == days


def test_all_ambiguous_dates_without_an_order_are_refused(tmp_path: Path) -> None:
    # no cell has a day above 12: the order was guessed month-first before; now it must be given
    res = CliRunner().invoke(main, ["grade", str(_study(tmp_path)), "-o", str(tmp_path / "o")])
    assert res.exit_code == 1
    assert "row 2, column time" in res.output
    assert "first 05/01/2024 08:00" in res.output
    assert "--dayfirst" in res.output and "--no-dayfirst" in res.output
    assert "load_study(dayfirst=" in res.output
    assert not (tmp_path / "o").exists()


def test_event_dates_follow_the_one_date_rule() -> None:
    subjects = Table(pd.DataFrame({"subject_id": ["01"], "treatment_start": ["2024-03-01T14:00"]}))
    events = Table(
        pd.DataFrame(
            {
                "subject_id": ["01", "01"],
                "term": ["Nausea", "Nausea"],
                "onset": ["2024-03-04", "2024-03-02T08:00"],
            }
        )
    )
    frame, problems = event_days(events, subjects)
    # a date-only onset counts calendar days; two clock times give the fractional difference
    assert frame["onset"].tolist() == [3.0, 0.75]
    assert len(problems) == 0
    frame, _ = event_days(
        Table(pd.DataFrame({"subject_id": ["01"], "term": ["Nausea"], "onset": ["02/03/2024"]})),
        Table(pd.DataFrame({"subject_id": ["01"], "treatment_start": ["01/03/2024"]})),
        dayfirst=True,
    )
    assert frame["onset"].tolist() == [1.0]
