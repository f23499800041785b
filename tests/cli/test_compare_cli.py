"""`aegrade compare STUDY --ctcae A B` and `aegrade ctcae map --ctcae 6.0`."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
from click.testing import CliRunner, Result

from aegrade.cli import main
from tests.conftest import EXAMPLES

STUDY = str(EXAMPLES / "blinatumomab_short_course.xlsx")


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def test_compare_prints_counts_and_subjects() -> None:
    res = _run("compare", STUDY, "--ctcae", "5.0", "6.0")
    assert res.exit_code == 0, res.output
    out = res.output
    assert "Worst-grade changes per term, ctcae-v5.0 -> ctcae-v6.0" in out
    row = next(ln for ln in out.splitlines() if ln.startswith("Platelet count decreased ->"))
    assert row.split()[-6:] == ["7", "0", "1", "0", "0", "8"]
    # v6.0 deleted Hypertension grade 1 (18 subjects down) and added 'SBP >140 and ... >20 mmHg
    # from baseline' to grade 3 (6 up)
    htn = next(ln for ln in out.splitlines() if ln.startswith("Hypertension "))
    assert htn.split() == ["Hypertension", "0", "6", "18", "0", "0", "24"]
    assert "30 subjects, 92 subject-term changes" in out
    assert "Rows that drove each change" not in out  # printed only with --part drivers


def test_compare_writes_every_table_to_xlsx(tmp_path: Path) -> None:
    out = tmp_path / "compare.xlsx"
    res = _run("compare", STUDY, "-o", str(out))
    assert res.exit_code == 0, res.output
    wb = openpyxl.load_workbook(out, read_only=True)
    assert len(wb.sheetnames) == 3


def test_compare_csv_takes_one_part(tmp_path: Path) -> None:
    out = tmp_path / "drivers.csv"
    res = _run("compare", STUDY, "-o", str(out))
    assert res.exit_code == 2
    assert "csv holds one table; add --part" in res.output
    assert not out.exists()
    res = _run("compare", STUDY, "-o", str(out), "--part", "drivers")
    assert res.exit_code == 0, res.output
    drivers = pd.read_csv(out, dtype=str)
    assert list(drivers.columns[:4]) == ["Subject", "change", "version", "term"]
    assert set(drivers["version"]) == {"ctcae-v5.0", "ctcae-v6.0"}


def test_compare_other_formats(tmp_path: Path) -> None:
    for name in ("c.md", "c.docx", "c.html"):
        res = _run("compare", STUDY, "-o", str(tmp_path / name))
        assert res.exit_code == 0, res.output
    assert "Thrombocytopenia" in (tmp_path / "c.md").read_text("utf-8")


def test_compare_rejects_an_unknown_version() -> None:
    res = _run("compare", STUDY, "--ctcae", "5.0", "7.0")
    assert res.exit_code == 2
    assert "give a CTCAE version" in res.output


def test_compare_never_overwrites_the_study(tmp_path: Path) -> None:
    res = _run("compare", STUDY, "-o", STUDY)
    assert res.exit_code == 1
    assert "refusing to overwrite the input" in res.output


def test_ctcae_map_to_v6() -> None:
    res = _run(
        "ctcae", "map", "--ctcae", "6.0",
        "--term", "Platelet count decreased", "--grade", "4",
        "--term", "CPK increased", "--grade", "2",
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    header = ["term", "grade", "v6_term", "v6_meddra_code", "change_type", "v6_grade"]
    assert lines[0].split() == header
    assert "Thrombocytopenia" in lines[1] and "10043554" in lines[1]
    assert "Investigations - Other, specify" in lines[2]


def test_ctcae_map_to_v6_names_a_v5_typo() -> None:
    res = _run("ctcae", "map", "--ctcae", "6.0", "--term", "Platelet count decrease")
    assert res.exit_code == 1
    assert "is not a CTCAE v5.0 term; did you mean 'Platelet count decreased'" in res.output


def test_ctcae_map_refuses_4_03_as_a_target() -> None:
    res = _run("ctcae", "map", "--ctcae", "4.03", "--term", "Anemia")
    assert res.exit_code == 2
