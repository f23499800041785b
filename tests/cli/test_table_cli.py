"""``aegrade table``: study or graded-result input, printed or written output, exit codes."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from aegrade.cli import main
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.cli


def _run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, [str(a) for a in args])


def _neut(subject: str, day: float, value: float) -> dict:
    return {
        "subject_id": subject,
        "day": day,
        "parameter": "NEUT",
        "value": value,
        "unit": "10^9/L",
        "lln": 1.8,
        "uln": 7.5,
    }


@pytest.fixture
def study(tmp_path: Path) -> Path:
    """Four patients in two arms; S1 grade 4 and S2 grade 2 neutropenia, S3 and S4 none."""
    folder = tmp_path / "study"
    folder.mkdir()
    rows = [
        _neut("S1", 0, 2.5),
        _neut("S1", 3, 0.4),
        _neut("S2", 0, 2.0),
        _neut("S2", 4, 1.2),
        _neut("S3", 0, 2.2),
        _neut("S3", 5, 3.0),
        _neut("S4", 0, 2.6),
    ]
    pd.DataFrame(rows).to_csv(folder / "observations.csv", index=False)
    pd.DataFrame(
        {
            "subject_id": ["S1", "S2", "S3", "S4"],
            "arm": ["A", "A", "B", "B"],
            "best_response": ["CR", "PR", "CR", "NR"],
        }
    ).to_csv(folder / "subjects.csv", index=False)
    return folder


def test_prints_the_table_from_a_study(study):
    res = _run("table", study)
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert any(line.strip() == "Number of patients (N = 4)" for line in lines)
    neut = next(x for x in lines if x.startswith("Neutrophil count decreased"))
    assert neut.split()[-4:] == ["2", "(50.0)", "1", "(25.0)"]


def test_by_arm_with_total_to_xlsx(study, tmp_path):
    out = tmp_path / "t.xlsx"
    res = _run("table", study, "--by", "arm", "--total", "-o", out)
    assert res.exit_code == 0, res.output
    ws = openpyxl.load_workbook(out).active
    assert [ws.cell(row=3, column=c).value for c in (2, 4, 6)] == [
        "A (N = 2)",
        "B (N = 2)",
        "Total (N = 4)",
    ]
    row = next(r for r in ws.iter_rows(values_only=True) if r[0] == "Neutrophil count decreased")
    assert row[1:] == ("2 (100.0)", "1 (50.0)", "0", "0", "2 (50.0)", "1 (25.0)")


def test_ard_output(study, tmp_path):
    out = tmp_path / "cells.ard.csv"
    assert _run("table", study, "-o", out).exit_code == 0
    cards = pd.read_csv(out, dtype={"stat_fmt": str})  # the cards shape (issue 14 point 8)
    n = cards[
        (cards["variable_level"] == "Neutrophil count decreased")
        & (cards["group2_level"] == "Grade >= 3")
    ]
    assert n["stat_fmt"].tolist() == ["1", "4", "25.0"]
    simple = tmp_path / "simple.csv"
    assert _run("table", study, "-o", simple, "--format", "ard-simple").exit_code == 0
    ard = pd.read_csv(simple)
    assert ard.columns.tolist() == ["row", "arm", "column", "n", "N", "percent"]
    line = ard[(ard["row"] == "Neutrophil count decreased") & (ard["column"] == "Grade >= 3")]
    assert line[["n", "N"]].values.tolist() == [[1, 4]]
    assert line["percent"].item() == pytest.approx(25.0)


def test_markdown_to_stdout_with_spec(study, tmp_path):
    spec = tmp_path / "t.toml"
    spec.write_text(
        'title = "Neutropenia"\nany_event_row = false\n'
        'columns = [{label = "Grade 3-4", grades = [3, 4]}]\n'
        '[[rows]]\nlabel = "Neutropenia"\nterms = ["Neutrophil count decreased"]\n'
        '[[rows]]\nterm = "Fever"\n',
        encoding="utf-8",
    )
    res = _run("table", study, "--spec", spec, "--format", "md")
    assert res.exit_code == 0, res.output
    rows = [
        [c.strip() for c in x.strip("|").split("|")]
        for x in res.stdout.splitlines()
        if x.startswith("|")
    ]
    assert rows[0] == ["Adverse event", "Grade 3-4"]
    assert rows[2:] == [["Neutropenia", "1 (25.0)"], ["Fever", "0"]]


def test_graded_result_xlsx_and_folder(study, tmp_path):
    graded = tmp_path / "graded.xlsx"
    assert _run("grade", study / "observations.csv", "-o", graded).exit_code == 0
    res = _run("table", graded, "--format", "csv")
    assert res.exit_code == 0, res.output
    assert "Neutrophil count decreased,2 (50.0),1 (25.0)" in res.stdout
    folder = tmp_path / "graded_csv"
    assert _run("grade", study / "observations.csv", "-o", folder, "--format", "csv").exit_code == 0
    res = _run("table", folder)
    assert res.exit_code == 0, res.output
    assert "(N = 4)" in res.stdout


def test_all_kinds_and_report_from_the_example_study(tmp_path):
    out, report = tmp_path / "all.xlsx", tmp_path / "report.html"
    res = _run(
        "table",
        EXAMPLES / "blinatumomab_short_course.xlsx",
        "--kind",
        "all",
        "-o",
        out,
        "--report",
        report,
    )
    assert res.exit_code == 0, res.output
    names = openpyxl.load_workbook(out).sheetnames
    assert names[0] == "AE table" and "Lab shift" in names and "Patient listing" in names
    listing = openpyxl.load_workbook(out)["Patient listing"]
    header = [c.value for c in listing[3]]
    assert header[:4] == ["Patient", "Neutropenia", "Anemia", "Thrombocytopenia"]
    assert "best_response" in header
    assert report.read_text(encoding="utf-8").count("data:image/png;base64,") >= 1


def test_usage_errors_exit_2(study, tmp_path):
    assert _run("table", study, "--format", "docx").exit_code == 2
    assert _run("table", study, "-o", tmp_path / "t.pdf").exit_code == 2
    assert _run("table", tmp_path / "missing").exit_code == 2


def test_bad_spec_exits_1_naming_the_file(study, tmp_path):
    spec = tmp_path / "bad.toml"
    spec.write_text('columns = [{label = "x", grades = [5, 1]}]\n', encoding="utf-8")
    out = tmp_path / "t.xlsx"
    res = _run("table", study, "--spec", spec, "-o", out)
    assert res.exit_code == 1
    assert "bad.toml" in res.output and "columns.0" in res.output
    assert not out.exists()


def test_unknown_arm_column_exits_1(study):
    res = _run("table", study, "--by", "cohort")
    assert res.exit_code == 1
    assert "'cohort' is not a column" in res.output


def test_input_errors_exit_1_and_write_nothing(tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    pd.DataFrame([{**_neut("S1", 0, 2.5), "unit": "furlongs"}]).to_csv(
        folder / "observations.csv", index=False
    )
    out = tmp_path / "t.xlsx"
    res = _run("table", folder, "-o", out)
    assert res.exit_code == 1
    assert "row 2" in res.output
    assert not out.exists()


@pytest.mark.parametrize(
    "args",
    [
        ["-o", "{study}"],  # the table over the study itself
        ["-o", "{tmp}/t.md", "--report", "{study}"],  # the report over the study
        ["--spec", "{spec}", "-o", "{spec}", "--format", "md"],  # the table over its spec
    ],
)
def test_table_never_overwrites_its_inputs(tmp_path: Path, args: list[str]) -> None:
    study = tmp_path / "study.xlsx"
    study.write_bytes((EXAMPLES / "blinatumomab_short_course.xlsx").read_bytes())
    spec = tmp_path / "spec.toml"
    spec.write_text('title = "x"\n')
    before = {p: p.read_bytes() for p in (study, spec)}
    filled = [a.format(study=study, spec=spec, tmp=tmp_path) for a in args]
    res = _run("table", str(study), *filled)
    assert res.exit_code == 1
    assert "refusing to overwrite the input" in res.output
    assert {p: p.read_bytes() for p in (study, spec)} == before


def test_table_never_overwrites_a_file_of_its_input_folder(tmp_path: Path) -> None:
    graded = tmp_path / "graded"
    assert (
        _run(
            "grade",
            str(EXAMPLES / "blinatumomab_short_course.xlsx"),
            "-o",
            str(graded),
            "--format",
            "csv",
        ).exit_code
        == 0
    )
    target = graded / "adverse_events.csv"
    before = target.read_bytes()
    res = _run("table", str(graded), "-o", str(target))
    assert res.exit_code == 1
    assert target.read_bytes() == before


def test_a_graded_result_with_grade_3_7_exits_1_naming_the_cell(study, tmp_path):
    graded = tmp_path / "graded"
    assert _run("grade", study, "-o", graded, "--format", "csv").exit_code == 0
    path = graded / "adverse_events.csv"
    ae = pd.read_csv(path, dtype=str)
    ae.loc[0, "grade"] = "3.7"
    ae.to_csv(path, index=False)
    before = path.read_bytes()
    out = tmp_path / "t.md"
    res = _run("table", graded, "-o", out)
    assert res.exit_code == 1, res.output
    assert "row 2, column grade" in res.output and "'3.7'" in res.output
    assert "Traceback" not in res.output
    assert not out.exists() and path.read_bytes() == before


def _with_population_and_events(study: Path) -> Path:
    subjects = pd.read_csv(study / "subjects.csv")
    subjects["SAFFL"] = ["Y", "N", "Y", "Y"]
    subjects.to_csv(study / "subjects.csv", index=False)
    pd.DataFrame(
        {
            "subject_id": ["S3", "S4"],
            "term": ["Fatigue", "Fatigue"],
            "grade": [2, 3],
            "onset": [-5, 2],
        }
    ).to_csv(study / "events.csv", index=False)
    return study


def _row(res, label: str) -> list[str]:  # type: ignore[no-untyped-def]
    return next(x for x in res.stdout.splitlines() if x.startswith(label)).split()


def test_population_and_treatment_emergent_filters(study):
    """S2 (SAFFL N) leaves N and the rows; S3's fatigue at day -5 is not treatment-emergent."""
    _with_population_and_events(study)
    res = _run("table", study, "--population", "SAFFL")
    assert res.exit_code == 0, res.output
    assert "Number of patients (N = 3)" in res.stdout
    assert _row(res, "Neutrophil count decreased")[-4:] == ["1", "(33.3)", "1", "(33.3)"]
    assert _row(res, "Fatigue")[-4:] == ["1", "(33.3)", "1", "(33.3)"]
    assert "Population: SAFFL = Y (3 patient(s); 1 other(s) not counted)." in res.stdout
    assert "1 AE record(s) with onset before treatment start" in res.stdout
    every = _run("table", study, "--all-events")
    assert _row(every, "Fatigue")[-4:] == ["2", "(50.0)", "1", "(25.0)"]


def test_population_applies_to_the_listing_too(study):
    _with_population_and_events(study)
    res = _run("table", study, "--kind", "listing", "--population", "SAFFL")
    assert res.exit_code == 0, res.output
    assert "S2" not in res.stdout and "S1" in res.stdout


def test_an_unknown_population_column_exits_1(study):
    res = _run("table", study, "--population", "SAFLF")
    assert res.exit_code == 1
    assert "population: 'SAFLF' is not a column" in res.output


def test_shift_table_by_arm(study):
    res = _run("table", study, "--kind", "shift", "--by", "arm")
    assert res.exit_code == 0, res.output
    assert "A (N = 2)" in res.stdout and "B (N = 2)" in res.stdout


def test_rounding_percent_sign_and_shift_cut_options(study):
    res = _run("table", study, "--percent-sign", "--rounding", "half-even")
    assert res.exit_code == 0, res.output
    assert _row(res, "Neutrophil count decreased")[-4:] == ["2", "(50.0%)", "1", "(25.0%)"]
    res = _run("table", study, "--kind", "shift", "--shift-cut", "3")
    assert res.exit_code == 0, res.output
    assert "Grade 0-2" in res.stdout and "Grade 3-4" in res.stdout
    assert _run("table", study, "--shift-cut", "5").exit_code == 2


def test_risk_difference_columns(study):
    res = _run("table", study, "--by", "arm", "--risk-difference", "A", "B")
    assert res.exit_code == 0, res.output
    assert "Risk difference A - B, % (95% CI)" in res.stdout
    bad = _run("table", study, "--by", "arm", "--risk-difference", "A", "C")
    assert bad.exit_code == 1 and "not among the arms" in bad.output


def test_exposure_adjusted_rates_and_cycles(study):
    subjects = pd.read_csv(study / "subjects.csv")
    subjects["exposure_days"] = [365.25, 365.25, 365.25, 730.5]
    subjects.to_csv(study / "subjects.csv", index=False)
    obs = pd.read_csv(study / "observations.csv")
    obs["cycle"] = [1, 1, 1, 2, 1, 1, 1]
    obs.to_csv(study / "observations.csv", index=False)
    res = _run("table", study, "--kind", "rates", "--by", "arm")
    assert res.exit_code == 0, res.output
    assert "A (N = 2, PY = 2.0)" in res.stdout and "B (N = 2, PY = 3.0)" in res.stdout
    # Arm A: S1 (grade 4) and S2 (grade 2) over 2 patient-years.
    row = next(x for x in res.stdout.splitlines() if "Neutrophil" in x).split()
    assert row[3:11] == ["2", "100.00", "(12.11,", "361.23)", "1", "50.00", "(1.27,", "278.58)"]
    cyc = _run("table", study, "--kind", "cycles")
    assert cyc.exit_code == 0, cyc.output
    assert _row(cyc, "Neutrophil count decreased")[3:] == ["1", "(25.0)", "1", "(100.0)"]
    subjects.drop(columns="exposure_days").to_csv(study / "subjects.csv", index=False)
    missing = _run("table", study, "--kind", "rates")
    assert missing.exit_code == 1 and "exposure_days" in missing.output


def test_lab_worst_grade_table_by_arm(study):
    res = _run("table", study, "--kind", "labs", "--by", "arm")
    assert res.exit_code == 0, res.output
    lines = [x.split() for x in res.stdout.splitlines()]
    assert ["(n)", "2", "1"] in lines  # arm A: S1, S2; arm B: S3 (S4 has no post-baseline value)
    assert ["Grade", "4", "1", "(50.0)", "0"] in lines
    assert ["Any", "grade", "2", "(100.0)", "0"] in lines
    shift = _run("table", study, "--kind", "shift", "--shift-baseline", "as-graded")
    assert shift.exit_code == 0, shift.output
    assert "graded against its normal range" not in shift.stdout
    assert "graded against its normal range" in _run("table", study, "--kind", "shift").stdout


def test_reconcile_listing(study):
    pd.DataFrame(
        {
            "subject_id": ["S1", "S2"],
            "term": ["Neutrophil count decreased", "Neutrophil count decreased"],
            "grade": [3, 2],
            "onset": [4, 4],
        }
    ).to_csv(study / "events.csv", index=False)
    res = _run("table", study, "--kind", "reconcile")
    assert res.exit_code == 0, res.output
    lines = [x for x in res.stdout.splitlines() if x.startswith("S")]
    assert len(lines) == 1  # S1: derived 4, reported 3; S2: derived 2 = reported 2
    assert lines[0].split()[:4] == ["S1", "grade", "differs", "Neutrophil"]
    assert "4 (day 3)" in lines[0] and "3 (day 4)" in lines[0]
    res = _run("table", study, "--kind", "reconcile", "--reconcile-window", "0")
    assert res.exit_code == 0, res.output
    assert "grade >= 3 not reported" in res.stdout  # S1's report is a day late


def test_reconcile_matches_synonyms_unless_exact(study):
    """(issue 14 point 7) A reported 'Neutropenia' matches the derived 'Neutrophil count
    decreased' of the same window; --reconcile-match exact does not match it. (A term that is
    not a CTCAE term is an event when it is MedDRA-coded: it carries its SOC.)"""
    pd.DataFrame(
        {
            "subject_id": ["S1"],
            "term": ["Neutropenia"],
            "soc": ["Blood and lymphatic system disorders"],
            "grade": [4],
            "onset": [4],
        }
    ).to_csv(study / "events.csv", index=False)
    res = _run("table", study, "--kind", "reconcile")
    assert res.exit_code == 0, res.output
    assert not [x for x in res.stdout.splitlines() if x.startswith("S1")]
    exact = _run("table", study, "--kind", "reconcile", "--reconcile-match", "exact")
    assert exact.exit_code == 0, exact.output
    (line,) = [x for x in exact.stdout.splitlines() if x.startswith("S1")]
    assert line.split()[:7] == ["S1", "grade", ">=", "3", "not", "reported", "Neutrophil"]
