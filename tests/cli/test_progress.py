"""The progress bar of long runs (issue 15 point 6): drawn on a terminal only, never with
--quiet, and cleared when the run ends."""

from __future__ import annotations

from pathlib import Path

import pytest

from aegrade.cli import main
from aegrade.cli import progress as progress_module
from aegrade.cli.progress import Stages, stages


def test_bar_draws_each_stage_and_clears_its_line(capsys: pytest.CaptureFixture[str]) -> None:
    with stages(["reading", "grading", "writing"], enabled=True) as bar:
        bar.step("reading")
        bar.step("grading")
    err = capsys.readouterr().err
    assert "0/3 reading" in err and "1/3 grading" in err
    assert "[######" in err  # a third of the 20-character bar after one stage
    assert err.endswith("\r")  # the line is cleared (the erase code is dropped off a terminal)


def test_no_bar_when_disabled(capsys: pytest.CaptureFixture[str]) -> None:
    bar = Stages(["reading"], enabled=False)
    bar.step("reading")
    bar.close()
    assert capsys.readouterr().err == ""


def test_grade_quiet_draws_nothing_even_on_a_terminal(
    tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from aegrade.cli.demo import example_study

    monkeypatch.setattr(progress_module, "on_terminal", lambda: True)
    out = f"{tmp_path}/out"
    src = str(example_study())
    loud = CliRunner().invoke(main, ["grade", src, "-o", out, "--format", "parquet"])
    quiet = CliRunner().invoke(main, ["grade", src, "-o", out, "--format", "parquet", "--quiet"])
    assert loud.exit_code == 0 and quiet.exit_code == 0, loud.output + quiet.output
    for k, stage in enumerate(
        ["reading", "preparing", "grading", "episodes", "CRS/ICANS", "hematology", "writing"]
    ):
        assert f"{k}/7 {stage}" in loud.stderr  # every stage of grade() on the bar
    assert "grading" not in quiet.stderr and "\r" not in quiet.stderr


def test_grade_reports_each_stage_to_its_hook() -> None:
    import pandas as pd

    from aegrade import grade
    from aegrade.pipeline import GRADE_STAGES

    obs = pd.DataFrame(
        {
            "subject_id": "01",
            "day": [0, 7],
            "parameter": "PLAT",
            "value": [250, 40],
            "unit": "10^9/L",
        }
    )
    seen: list[str] = []
    grade(obs, progress=seen.append)
    assert seen == list(GRADE_STAGES)
    seen.clear()
    grade(obs, crs=None, icans=None, hematology=False, progress=seen.append)
    assert seen == ["preparing", "grading", "episodes"]


def test_ticker_rewrites_one_line_and_clears_it(capsys: pytest.CaptureFixture[str]) -> None:
    from aegrade.cli.progress import ticker

    with ticker(enabled=True) as line:
        line.show("partition 1: grading")
        line.show("partition 2: episodes")
    err = capsys.readouterr().err
    assert err.startswith("\rpartition 1: grading (") and "\rpartition 2: episodes (" in err
    assert err.endswith("\r") and line.shown == 2


def _partitioned_run(tmp_path: Path, *more: str) -> str:
    import sys

    from click.testing import CliRunner

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from _synth import lab_rows

    path = tmp_path / "obs.csv"
    lab_rows(3000, seed=2).to_csv(path, index=False)
    out = tmp_path / f"out{len(more)}"
    run = CliRunner().invoke(
        main, ["grade", str(path), "-o", str(out), "--partition-rows", "1000", *more]
    )
    assert run.exit_code == 0, run.output
    return run.stderr


def test_partitioned_run_shows_each_partition_and_stage_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(progress_module, "on_terminal", lambda: True)
    loud = _partitioned_run(tmp_path)
    assert "\rsplitting obs.csv (" in loud
    for stage in ("preparing", "grading", "episodes", "CRS/ICANS", "hematology", "writing"):
        assert f"partition 1: {stage}" in loud and f"partition 2: {stage}" in loud
    assert "rows graded" in loud  # the running count, after the first partition
    assert "\r" not in _partitioned_run(tmp_path, "--quiet")


def test_partitioned_run_off_a_terminal_is_quiet(tmp_path: Path) -> None:
    err = _partitioned_run(tmp_path)
    assert "partition 1" not in err and "\r" not in err
