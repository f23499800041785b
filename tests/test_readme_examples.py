"""The README's "Your own data" examples are the files in examples/, they parse, and they run.

The column map and the table spec are printed three times (README, ``--help`` epilogs,
``examples/``); these tests keep the copies equal and run them on ``examples/my_study/``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from aegrade.cli import main
from aegrade.read.colmap import load_column_map
from aegrade.tables import load_table_spec

pytestmark = pytest.mark.cli

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
COLUMNS = EXAMPLES / "columns.toml"
TABLE = EXAMPLES / "table.toml"
STUDY = EXAMPLES / "my_study"


def _run(*args: str | Path) -> str:
    res = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return res.output


def _toml_blocks(text: str) -> list[str]:
    return re.findall(r"```toml\n(.*?)```", text, flags=re.DOTALL)


def test_readme_shows_the_example_files_verbatim() -> None:
    blocks = _toml_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert COLUMNS.read_text(encoding="utf-8") in blocks
    assert TABLE.read_text(encoding="utf-8") in blocks


@pytest.mark.parametrize(("command", "example"), [("grade", COLUMNS), ("table", TABLE)])
def test_help_shows_the_example(command: str, example: Path) -> None:
    shown = [line.strip() for line in _run(command, "--help").splitlines()]
    lines = [line.strip() for line in example.read_text(encoding="utf-8").splitlines()]
    start = shown.index(lines[0])
    assert shown[start : start + len(lines)] == lines


def test_examples_parse() -> None:
    cmap = load_column_map(COLUMNS)
    assert cmap is not None
    assert cmap.table_of("Vitals") == "observations" and cmap.table_of("aes") == "events"
    assert cmap.columns["first dose"] == "treatment_start"
    assert cmap.parameters["temp (f)"] == ("TEMP", "degF")
    assert cmap.parameter_words["OXYGEN"]["nc 4l"] == {"value": "nasal_cannula", "flow": 4}
    spec = load_table_spec(TABLE)
    assert spec.by == "arm" and spec.total and spec.sort == "spec"
    assert [r.label for r in spec.rows] == ["Neutropenia", "Cytokine release syndrome"]
    assert spec.rows[1].criteria == ("astct-2019",)


def test_readme_commands_run(tmp_path: Path) -> None:
    graded = tmp_path / "graded"
    out = _run("grade", STUDY, "--map", COLUMNS, "-o", graded)
    assert "graded 18 of 48 observations with ctcae-v5.0; 13 adverse events; 4 subjects" in out
    table = _run("table", graded, "--spec", TABLE)
    rows = {line[:28].strip(): " ".join(line[28:].split()) for line in table.splitlines()[5:12]}
    assert table.startswith("Table 2. Adverse events by worst grade")
    assert "Drug A (N = 2)" in table and "Total (N = 4)" in table
    assert rows == {
        "Any adverse event": "2 (100.0) 1 (50.0) 2 (100.0) 1 (50.0) 4 (100.0) 2 (50.0)",
        "Neutropenia": "1 (50.0) 1 (50.0) 1 (50.0) 1 (50.0) 2 (50.0) 2 (50.0)",
        "Cytokine release syndrome": "2 (100.0) 0 1 (50.0) 0 3 (75.0) 0",
        "Fever": "2 (100.0) 0 1 (50.0) 0 3 (75.0) 0",
        "Headache": "0 0 1 (50.0) 0 1 (25.0) 0",
        "Nausea": "1 (50.0) 0 0 0 1 (25.0) 0",
        "Platelet count decreased": "1 (50.0) 0 0 0 1 (25.0) 0",
    }
    assert list(rows)[:3] == ["Any adverse event", "Neutropenia", "Cytokine release syndrome"]
