"""A single reference-range column split into lln/uln (aegrade.read.ranges; new-user audit 9)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from aegrade import grade, load_study
from aegrade.read.ranges import range_header, split_range
from aegrade.study import Table


@pytest.mark.parametrize(
    ("cell", "lln", "uln"),
    [
        ("3.5-5.1", "3.5", "5.1"),
        ("3.5 - 5.1", "3.5", "5.1"),
        ("<5.1", None, "5.1"),
        ("<= 5.1", None, "5.1"),
        (">3.5", "3.5", None),
        ("3,5-5,1", "3,5", "5,1"),
        ("3.5-5.1 mmol/L", "3.5", "5.1"),
        ("1.8-7.7 10^9/L", "1.8", "7.7"),
        ("-2-2", "-2", "2"),
        ("0 to 5", "0", "5"),
    ],
)
def test_range_forms(cell: str, lln: str | None, uln: str | None) -> None:
    out, problems = split_range(Table(pd.DataFrame({"range": [cell]})))
    assert out.frame[["lln", "uln"]].values.tolist() == [[lln, uln]]
    assert len(problems) == 0


def test_unreadable_range_names_the_cell_and_leaves_limits_missing() -> None:
    table = Table(pd.DataFrame({"range": ["Negative", "", None, "1-2-3"]}), file="labs.csv")
    out, problems = split_range(table)
    assert out.frame[["lln", "uln"]].isna().all().all()
    assert problems[["row", "column", "value", "check"]].values.tolist() == [
        [0, "range", "Negative", "missing_reference_range"],
        [3, "range", "1-2-3", "missing_reference_range"],
    ]
    assert "low-high" in problems["message"].iloc[0]


def test_given_limits_are_kept() -> None:
    frame = pd.DataFrame({"range": ["3.5-5.1"], "lln": [3.0]})
    out, _ = split_range(Table(frame))
    assert out.frame["lln"].tolist() == [3.0]  # given: kept
    assert out.frame["uln"].tolist() == ["5.1"]  # absent: from the range
    both = frame.assign(uln=[6.0])
    assert split_range(Table(both))[0].frame is both


def test_common_headers_are_recognised() -> None:
    assert range_header(pd.Index(["Reference Range"])) == "Reference Range"
    assert range_header(pd.Index(["normal_range"])) == "normal_range"
    assert range_header(pd.Index(["Ranged"])) is None


def _export(path: Path, header: str) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "observations"
    ws.append(["subject_id", "day", "parameter", "value", "unit", header])
    ws.append(["S1", 3, "K", 6.5, "mmol/L", "3.5-5.1"])
    ws.append(["S1", 3, "HGB", "7,5", "g/dL", "12,0-16,0 g/dL"])
    ws.append(["S1", 4, "BILI", 3.5, "mg/dL", "<1.2"])
    ws.append(["S1", 4, "ALT", 250, "U/L", "Negative"])
    wb.save(path)
    return path


def test_a_ref_range_column_grades_the_rows(tmp_path: Path) -> None:
    study = load_study(_export(tmp_path / "labs.xlsx", "Ref Range"))
    result = grade(study, errors="coerce")
    g = result.graded_observations
    # hyperkalemia 6.5 > 6.0: grade 3; anemia 7.5 < 8.0 g/dL: grade 3; bilirubin 3.5 / 1.2 =
    # 2.9 x ULN: grade 2; ALT without a range: not graded
    assert g["grade_high"].tolist()[0] == 3
    assert g["grade_low"].tolist()[1] == 3
    assert g["grade_high"].tolist()[2] == 2
    assert pd.isna(g["grade_high"].iloc[3])
    issue = result.issues[result.issues["column"] == "range"]
    assert issue[["row", "value", "check"]].values.tolist() == [
        [5, "Negative", "missing_reference_range"]
    ]


def test_the_map_may_name_the_range_column(tmp_path: Path) -> None:
    path = _export(tmp_path / "labs.xlsx", "Normals")
    study = load_study(path, column_map={"columns": {"Normals": "range"}})
    assert study.observations.frame["uln"].tolist() == ["5.1", "16,0", "1.2", None]
