"""The malformed-input corpus: exit 1, the place named, no traceback, nothing written."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from aegrade.cli import main
from tests.conftest import DATA

CORPUS = DATA / "malformed"
with (CORPUS / "manifest.csv").open(encoding="utf-8") as _fh:
    CASES = list(csv.DictReader(_fh))

pytestmark = pytest.mark.cli


def test_corpus_is_large_enough_and_complete() -> None:
    assert len(CASES) >= 30
    listed = {c["file"] for c in CASES}
    on_disk = {p.name for p in CORPUS.iterdir()} - {"manifest.csv", "README.md", "make_corpus.py"}
    assert listed == on_disk
    assert all(c["note"] and c["expect"] for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_malformed_input_fails_cleanly(case: dict[str, str], tmp_path: Path) -> None:
    before = sorted(p.name for p in CORPUS.iterdir())
    out = tmp_path / "out.xlsx"
    res = CliRunner().invoke(main, ["grade", str(CORPUS / case["file"]), "-o", str(out)])
    assert res.exit_code == 1, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)
    assert case["expect"] in res.output, res.output
    assert case["file"] in res.output  # the file is named
    assert "Traceback" not in res.output
    assert "nothing was written" in res.output
    assert list(tmp_path.iterdir()) == []
    assert sorted(p.name for p in CORPUS.iterdir()) == before
