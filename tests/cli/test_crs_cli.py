"""``aegrade crs``, ``aegrade icans`` and ``aegrade explain``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from aegrade.cli import main

pytestmark = pytest.mark.cli


def test_crs_one_timepoint() -> None:
    res = CliRunner().invoke(
        main,
        [
            "crs",
            "--temp",
            "38.5",
            "--pressor",
            "norepinephrine",
            "--oxygen",
            "nasal_cannula",
            "--flow",
            "8",
        ],
    )
    assert res.exit_code == 0, res.output
    assert res.output.splitlines() == [
        "CRS grade 3 (astct-2019)",
        "grade 3: norepinephrine at day 0 (hypotension tier 3, astct-2019); episode onset "
        "(fever >= 38 degC)",
    ]


def test_crs_two_pressors_and_afebrile_after_treatment() -> None:
    run = CliRunner().invoke
    assert run(
        main, ["crs", "--temp", "39", "--pressor", "norepinephrine", "--pressor", "epinephrine"]
    ).output.startswith("CRS grade 4")
    assert run(main, ["crs", "--oxygen", "bipap", "--episode-ongoing"]).output.startswith(
        "CRS grade 4"
    )
    out = run(main, ["crs", "--oxygen", "bipap"]).output
    assert out.startswith("CRS grade 0") and "not CRS" in out


def test_crs_bad_device_exits_1_without_traceback() -> None:
    res = CliRunner().invoke(main, ["crs", "--temp", "39", "--oxygen", "spaceship"])
    assert res.exit_code == 1
    assert "OXYGEN must be one of" in res.output
    assert "Traceback" not in res.output


def test_icans_one_timepoint() -> None:
    res = CliRunner().invoke(main, ["icans", "--ice", "5", "--loc", "awakens_to_voice"])
    assert res.exit_code == 0, res.output
    assert res.output.splitlines()[0] == "ICANS grade 2 (astct-2019)"
    res = CliRunner().invoke(main, ["icans", "--capd", "unable", "--age", "6"])
    assert res.output.splitlines()[0] == "ICANS grade 4 (astct-2019)"
    assert CliRunner().invoke(main, ["icans", "--ice", "eleven"]).exit_code == 2


def test_explain_subject(tmp_path: Path) -> None:
    obs = pd.DataFrame(
        {
            "subject_id": ["S1", "S1", "S1", "S2"],
            "day": [1.0, 1.5, 2.0, 1.0],
            "parameter": ["TEMP", "OXYGEN", "ICE", "TEMP"],
            "value": ["38.6", "facemask", "6", "37.0"],
            "unit": ["degC", "", "", "degC"],
        }
    )
    path = tmp_path / "obs.csv"
    obs.to_csv(path, index=False)
    out = tmp_path / "trail.csv"
    res = CliRunner().invoke(main, ["explain", str(path), "S1", "-o", str(out)])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0] == "Cytokine release syndrome [astct-2019]: grade 3, onset day 1, end day 1.5"
    assert lines[1] == (
        "Immune effector cell-associated neurotoxicity syndrome [astct-2019]: "
        "grade 2, onset day 2, end day 2"
    )
    assert (
        "  CRS day 1.5: grade 3: facemask at day 1.5 (hypoxia tier 3, astct-2019)  "
        "[astct-2019/crs/hypoxia/3]" in lines
    )
    assert len(pd.read_csv(out)) == 3
    res = CliRunner().invoke(main, ["explain", str(path), "S9"])
    assert res.exit_code == 2 and "S9" in res.output


def test_explain_fever_waiver_option(tmp_path: Path) -> None:
    obs = pd.DataFrame(
        {
            "subject_id": "S1",
            "day": [1.0, 1.5, 1.6],
            "parameter": ["TEMP", "TEMP", "HYPOTENSION"],
            "value": ["38.9", "37.0", "true"],
            "unit": ["degC", "degC", ""],
        }
    )
    path = tmp_path / "obs.csv"
    obs.to_csv(path, index=False)
    res = CliRunner().invoke(main, ["explain", str(path), "S1", "--icans", "none"])
    assert "grade 2, onset day 1" in res.output.splitlines()[0]
    res = CliRunner().invoke(
        main, ["explain", str(path), "S1", "--icans", "none", "--fever-waiver", "treatment"]
    )
    assert res.exit_code == 0, res.output
    assert "grade 1, onset day 1" in res.output.splitlines()[0]
    assert "option fever_waiver=treatment" in res.output
