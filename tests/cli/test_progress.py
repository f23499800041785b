"""The progress bar of long runs (issue 15 point 6): drawn on a terminal only, never with
--quiet, and cleared when the run ends."""

from __future__ import annotations

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
    assert "1/3 grading" in loud.stderr
    assert "grading" not in quiet.stderr and "\r" not in quiet.stderr
