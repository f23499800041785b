"""The command line: grade, criteria, demo; exit codes and the no-partial-output rule."""

from __future__ import annotations

from pathlib import Path

import click
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from aegrade.cli import main
from aegrade.cli._common import reports_errors
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.cli


def _run(*args: str) -> object:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _obs(path: Path, rows: list[dict]) -> Path:
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


GOOD = [
    {
        "subject_id": "S1",
        "day": 0,
        "parameter": "NEUT",
        "value": 2.5,
        "unit": "10^9/L",
        "lln": 1.8,
        "uln": 7.5,
    },
    {
        "subject_id": "S1",
        "day": 3,
        "parameter": "NEUT",
        "value": 0.4,
        "unit": "10^9/L",
        "lln": 1.8,
        "uln": 7.5,
    },
    {"subject_id": "S1", "day": 3, "parameter": "TEMP", "value": 101.5, "unit": "degF"},
]


def test_grade_to_xlsx(tmp_path: Path) -> None:
    src = _obs(tmp_path / "labs.csv", GOOD)
    out = tmp_path / "graded.xlsx"
    res = _run("grade", str(src), "-o", str(out))
    assert res.exit_code == 0, res.output
    wb = openpyxl.load_workbook(out, read_only=True)
    assert wb.sheetnames[:3] == ["graded_observations", "adverse_events", "subject_summary"]
    assert wb.sheetnames[-1] == "about"
    # the fever opens an ASTCT CRS episode, so the CRS audit trail is written too
    assert "explain" in wb.sheetnames
    ae = pd.read_excel(out, sheet_name="adverse_events", engine="calamine")
    assert ae.set_index("term").loc["Neutrophil count decreased", "grade"] == 4
    assert ae.set_index("term").loc["Fever", "grade"] == 1  # 101.5 degF = 38.6 degC


def test_grade_to_parquet_folder(tmp_path: Path) -> None:
    src = _obs(tmp_path / "labs.csv", GOOD)
    res = _run(
        "grade", str(src), "-o", str(tmp_path / "out"), "--format", "parquet", "--ctcae", "4.03"
    )
    assert res.exit_code == 0, res.output
    go = pd.read_parquet(tmp_path / "out" / "graded_observations.parquet")
    assert len(go) == 3 and set(go["criteria"].dropna()) == {"ctcae-v4.03"}


def test_bad_input_exits_1_names_places_and_writes_nothing(tmp_path: Path) -> None:
    rows = [
        *GOOD,
        {"subject_id": "S1", "day": 4, "parameter": "HGB", "value": "low", "unit": "g/dL"},
        {"subject_id": "S1", "day": 5, "parameter": "HGB", "value": 9, "unit": "mg/mL"},
    ]
    src = _obs(tmp_path / "labs.csv", rows)
    out = tmp_path / "graded.xlsx"
    res = CliRunner().invoke(main, ["grade", str(src), "-o", str(out)])
    assert res.exit_code == 1
    assert "row 5, column value" in res.output  # header is row 1: 4th data row is row 5
    assert "row 6, column unit" in res.output
    assert "Traceback" not in res.output
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [src]


def test_coerce_writes_issues(tmp_path: Path) -> None:
    rows = [*GOOD, {"subject_id": "S1", "day": 4, "parameter": "TEMP", "value": 55, "unit": "degC"}]
    src = _obs(tmp_path / "labs.csv", rows)
    res = _run("grade", str(src), "-o", str(tmp_path / "o"), "--errors", "coerce")
    assert res.exit_code == 0
    issues = pd.read_csv(tmp_path / "o" / "issues.csv")
    assert issues[["row", "column", "check"]].values.tolist() == [[5, "value", "implausible_value"]]
    go = pd.read_csv(tmp_path / "o" / "graded_observations.csv")
    assert len(go) == 4


def test_refuses_to_overwrite_input(tmp_path: Path) -> None:
    src = tmp_path / "study.xlsx"
    with pd.ExcelWriter(src) as xw:
        pd.DataFrame(GOOD).to_excel(xw, sheet_name="observations", index=False)
    before = src.read_bytes()
    res = CliRunner().invoke(main, ["grade", str(src), "-o", str(src)])
    assert res.exit_code == 1 and "refusing to overwrite" in res.output
    assert src.read_bytes() == before


def test_usage_error_exits_2(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["grade", str(tmp_path / "missing.csv")])
    assert res.exit_code == 2


def test_criteria_list_and_show() -> None:
    res = _run("criteria", "list")
    assert "ctcae-v5.0" in res.output and "ctcae-v4.03" in res.output
    res = _run("criteria", "show", "ctcae-v5.0", "Hypokalemia")
    assert "grade 2: Symptomatic with <LLN - 3.0 mmol/L; intervention indicated" in res.output
    assert "may also be grade 1" in res.output
    res = _run("criteria", "show", "ctcae-v4.03")
    assert "Hyperglycemia" in res.output


def test_demo_prints_the_table() -> None:
    res = _run("demo")
    assert res.exit_code == 0, res.output
    assert "N = 30" in res.output
    assert "Any grade" in res.output and "Grade >= 3" in res.output
    assert "Neutrophil count decreased" in res.output


def test_demo_reads_the_study_as_package_data(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib import resources

    from aegrade.cli import demo

    study = demo.example_study()
    assert study == resources.files("aegrade") / "examples" / "blinatumomab_short_course.xlsx"
    assert Path(str(study)) == EXAMPLES / "blinatumomab_short_course.xlsx"
    missing = resources.files("aegrade") / "examples" / "no_such_study.xlsx"
    monkeypatch.setattr(demo, "example_study", lambda: missing)
    res = CliRunner().invoke(main, ["demo"])
    assert res.exit_code == 1
    assert "example study blinatumomab_short_course.xlsx is missing from the installed" in (
        res.output
    )


def test_example_study_grades_without_input_errors() -> None:
    import aegrade

    result = aegrade.grade(EXAMPLES / "blinatumomab_short_course.xlsx")
    assert len(result.subjects) == 30
    assert len(result.graded_observations) == 18_294
    assert result.issues.empty


def test_coerce_summary_names_only_the_problems_found(tmp_path: Path) -> None:
    src = tmp_path / "labs.csv"
    src.write_text("subject_id,day,parameter,value,unit\nA,1,PLAT,abc,10^9/L\nA,2,PLAT,40,10^9/L\n")
    args = ["grade", str(src), "-o", str(tmp_path / "out.xlsx"), "--errors", "coerce"]
    res = CliRunner().invoke(main, args, catch_exceptions=False)
    assert res.exit_code == 0
    line = next(s for s in res.output.splitlines() if s.startswith("input problems"))
    assert line.endswith("'issues' table): not_a_number: 1")


LABS = "subject_id,day,parameter,value,unit\nA,1,PLAT,abc,10^9/L\nA,2,PLAT,40,10^9/L\n"


@pytest.mark.parametrize("name", ["pv_out_4.03", "pv_out_4.03/"])
def test_a_folder_name_with_a_dot_is_a_folder(tmp_path: Path, name: str) -> None:
    # new-user audit: `-o pv_out_4.03` was refused "give a .xlsx file, or a folder"
    src = tmp_path / "labs.csv"
    src.write_text(LABS)
    out = str(tmp_path / name)
    res = CliRunner().invoke(main, ["grade", str(src), "-o", out, "--errors", "coerce"])
    assert res.exit_code == 0, res.output
    issues = pd.read_csv(tmp_path / "pv_out_4.03" / "issues.csv")
    assert issues[["row", "column", "check"]].values.tolist() == [[2, "value", "not_a_number"]]


@pytest.mark.parametrize("name", ["out.pdf", "out.csv", "out.parquet", "out.XLS"])
def test_a_known_file_suffix_other_than_xlsx_is_a_usage_error(tmp_path: Path, name: str) -> None:
    src = tmp_path / "labs.csv"
    src.write_text(LABS)
    res = CliRunner().invoke(main, ["grade", str(src), "-o", str(tmp_path / name)])
    assert res.exit_code == 2
    assert "give a .xlsx file, or a folder" in res.output


def test_issue_rows_are_integers_in_every_output(tmp_path: Path) -> None:
    src = tmp_path / "labs.csv"
    src.write_text(LABS)
    args = ["grade", str(src), "--errors", "coerce", "--format", "parquet", "-o"]
    res = CliRunner().invoke(main, [*args, str(tmp_path / "pq")])
    assert res.exit_code == 0, res.output
    issues = pd.read_parquet(tmp_path / "pq" / "issues.parquet")
    assert str(issues["row"].dtype) == "Int64"
    assert issues["row"].tolist() == [2]


def test_map_headers_no_table_has_get_one_notice(tmp_path: Path) -> None:
    src = tmp_path / "labs.csv"
    src.write_text(LABS.replace("value", "Result", 1))
    cmap = tmp_path / "map.toml"
    cmap.write_text('[columns]\n"Result" = "value"\n"Low" = "lln"\n"Reslt" = "value"\n')
    args = ["grade", str(src), "--map", str(cmap), "--errors", "coerce", "-o"]
    res = CliRunner().invoke(main, [*args, str(tmp_path / "o.xlsx")])
    assert res.exit_code == 0, res.output
    notices = [s for s in res.output.splitlines() if s.startswith("notice:")]
    assert notices == [
        "notice: the column map names headers that no table has, ignored: 'low' (for lln), "
        "'reslt' (for value; did you mean 'Result'?)"
    ]


def test_an_output_format_that_does_not_exist_is_a_usage_error(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        main,
        [
            "grade",
            str(EXAMPLES / "blinatumomab_short_course.xlsx"),
            "-o",
            str(tmp_path / "out.pdf"),
        ],
    )
    assert res.exit_code == 2
    assert "give a .xlsx file, or a folder" in res.output
    assert not any(tmp_path.iterdir())


def test_a_closed_pipe_ends_quietly() -> None:
    """`aegrade explain ... | head`: the reader left; exit 1 without an error line."""

    @click.command()
    @reports_errors
    def talk() -> None:
        raise BrokenPipeError(32, "Broken pipe")

    res = CliRunner().invoke(talk, [])
    assert res.exit_code == 1
    assert "Broken pipe" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)
