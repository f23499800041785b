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


# ---- --ambiguous worse|lower (issue 13 leftover): where it matters, both ways


@pytest.mark.parametrize(
    ("args", "worse", "lower"),
    [
        (["--oxygen", "high_flow_nasal_cannula", "--criteria", "lee-2014"], 3, 2),
        (["--oxygen", "nasal_cannula", "--flow", "8", "--criteria", "ctcae"], 3, 2),
        (["--oxygen", "facemask", "--criteria", "lee-2014"], 3, 2),
        (["--oxygen", "venturi", "--criteria", "ctcae-v5.0"], 3, 2),
        (["--oxygen", "venturi", "--fio2", "28", "--criteria", "lee-2014"], 2, 2),  # FiO2 decides
        (["--oxygen", "nonrebreather", "--criteria", "lee-2014"], 3, 3),  # never below 40%
        (["--oxygen", "facemask"], 3, 3),  # astct-2019 grades the device, not FiO2
    ],
    ids=lambda x: " ".join(x) if isinstance(x, list) else str(x),
)
def test_crs_ambiguous_option(args: list[str], worse: int, lower: int) -> None:
    run = CliRunner().invoke
    default = run(main, ["crs", "--temp", "39", *args])
    explicit = run(main, ["crs", "--temp", "39", *args, "--ambiguous", "worse"])
    low = run(main, ["crs", "--temp", "39", *args, "--ambiguous", "lower"])
    assert default.exit_code == low.exit_code == 0, (default.output, low.output)
    assert default.output == explicit.output
    assert default.output.splitlines()[0].startswith(f"CRS grade {worse} ")
    assert low.output.splitlines()[0].startswith(f"CRS grade {lower} ")
    review = worse != lower
    assert ("clinical review" in default.output) is review
    assert ("option ambiguous=lower; clinical review" in low.output) is review


def test_crs_ambiguous_texts_in_full() -> None:
    run = CliRunner().invoke
    base = ["crs", "--temp", "39", "--oxygen", "hfnc", "--criteria", "lee-2014"]
    assert run(main, base).output.splitlines() == [
        "CRS grade 3 (lee-2014)",
        "grade 3: high-flow nasal cannula (flow not recorded, read as > 6 L/min from the device "
        "name) (no FiO2 charted: this delivery cannot show FiO2 below 40%, read as >= 40%; "
        "clinical review) at day 0 (hypoxia tier 3, lee-2014); episode onset (fever >= 38 degC)",
    ]
    assert run(main, [*base, "--ambiguous", "lower"]).output.splitlines() == [
        "CRS grade 2 (lee-2014)",
        "grade 2: high-flow nasal cannula (flow not recorded, read as > 6 L/min from the device "
        "name) (no FiO2 charted: read as below 40%, option ambiguous=lower; clinical review) at "
        "day 0 (hypoxia tier 2, lee-2014); episode onset (fever >= 38 degC)",
    ]
    assert run(main, [*base, "--ambiguous", "maybe"]).exit_code == 2


def test_explain_ambiguous_option(tmp_path: Path) -> None:
    obs = pd.DataFrame(
        {
            "subject_id": "S1",
            "day": [1.0, 1.2],
            "parameter": ["TEMP", "OXYGEN"],
            "value": ["38.9", "facemask"],
            "unit": ["degC", ""],
        }
    )
    path = tmp_path / "obs.csv"
    obs.to_csv(path, index=False)
    base = ["explain", str(path), "S1", "--crs", "lee-2014", "--icans", "none"]
    worse = CliRunner().invoke(main, base)
    lower = CliRunner().invoke(main, [*base, "--ambiguous", "lower"])
    assert worse.exit_code == lower.exit_code == 0, (worse.output, lower.output)
    assert worse.output.splitlines()[0] == (
        "Cytokine release syndrome [lee-2014]: grade 3, onset day 1, end day 1.2"
    )
    assert lower.output.splitlines()[0] == (
        "Cytokine release syndrome [lee-2014]: grade 2, onset day 1, end day 1.2"
    )
    assert (
        "  CRS day 1.2: grade 3: facemask (no FiO2 charted: this mask may deliver FiO2 >= 40% "
        "or below it, read as >= 40%; clinical review) at day 1.2 (hypoxia tier 3, lee-2014)  "
        "[lee-2014/crs/hypoxia/3]" in worse.output.splitlines()
    )
    assert "option ambiguous=lower; clinical review" in lower.output
