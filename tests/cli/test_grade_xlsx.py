"""``aegrade grade -o x.xlsx`` refuses, before grading, a study an Excel sheet cannot hold
(issue 15 point 2: the 1,048,576-row limit is a clean error before any work)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import aegrade.pipeline
import aegrade.write.results
from aegrade.cli import main

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from _synth import lab_rows


@pytest.mark.parametrize("how", [["-o", "{d}/out.xlsx"], ["-o", "{d}/out", "--format", "xlsx"]])
def test_too_many_rows_for_xlsx_is_refused_before_grading(
    how: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "obs.csv"
    lab_rows(300).to_csv(path, index=False)
    monkeypatch.setattr(aegrade.write.results, "XLSX_MAX_ROWS", 299)

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("graded although the output cannot hold the result")

    monkeypatch.setattr(aegrade.pipeline, "grade", never)
    args = [a.format(d=tmp_path) for a in how]
    run = CliRunner().invoke(main, ["grade", str(path), *args])
    assert run.exit_code == 1, run.output
    assert "too many rows for xlsx (graded_observations would have 300; a sheet holds 299" in (
        run.output
    )
    assert "use --format csv or parquet" in run.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["obs.csv"]


def test_a_study_that_fits_is_written_as_xlsx(tmp_path: Path) -> None:
    import openpyxl

    path = tmp_path / "obs.csv"
    lab_rows(300).to_csv(path, index=False)
    run = CliRunner().invoke(main, ["grade", str(path), "-o", str(tmp_path / "out.xlsx")])
    assert run.exit_code == 0, run.output
    book = openpyxl.load_workbook(tmp_path / "out.xlsx", read_only=True)
    assert book["graded_observations"].max_row == 301
