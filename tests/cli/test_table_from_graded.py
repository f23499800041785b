"""A table built from a graded folder equals the table built from the study itself: the
subject summary carries the population flags and exposure columns the table options need
(found rebuilding the peer layouts: ``--population SAFFL`` on a graded folder failed)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from aegrade.cli import main
from aegrade.episodes import carried_subject_columns

PEER = Path(__file__).parents[1] / "data" / "peerstudy"


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_population_and_rates_from_a_graded_folder(tmp_path):
    graded = tmp_path / "graded"
    assert run("grade", PEER, "-o", graded, "--quiet").exit_code == 0
    summary = pd.read_csv(graded / "subject_summary.csv")
    assert {"arm", "saffl", "trtsdt", "trtedt"} <= set(summary.columns)
    assert "age" not in summary  # demographics stay in the study, not in the grades
    for kind in ("ae", "rates"):
        from_folder = run(
            "table",
            graded,
            "--kind",
            kind,
            "--population",
            "SAFFL",
            "--by",
            "arm",
            "-o",
            tmp_path / f"{kind}_folder.csv",
        )
        from_study = run(
            "table",
            PEER,
            "--kind",
            kind,
            "--population",
            "SAFFL",
            "--by",
            "arm",
            "-o",
            tmp_path / f"{kind}_study.csv",
        )
        assert from_folder.exit_code == 0, from_folder.output
        assert from_study.exit_code == 0, from_study.output
        a = (tmp_path / f"{kind}_folder.csv").read_text(encoding="utf-8")
        b = (tmp_path / f"{kind}_study.csv").read_text(encoding="utf-8")
        assert a == b
        assert "(N = " in a


def test_carried_columns_are_flags_and_exposure():
    cols = pd.Index(["subject_id", "ARM", "SAFFL", "ittfl", "fl", "AGE", "exposure_days", "RACE"])
    assert carried_subject_columns(cols) == ["ARM", "SAFFL", "ittfl", "exposure_days"]
