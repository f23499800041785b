"""SDTM LB/VS/AE/DM in, ADaM-style ADLB and ADAE out (fixture: tests/data/sdtm/README.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import aegrade
from aegrade.read.sdtm import domain_of, sdtm_days
from aegrade.read.study import load_study
from aegrade.write.adam import build_adam, compute_atoxgr
from tests.conftest import DATA

SDTM = DATA / "sdtm"


@pytest.fixture(scope="module")
def adam() -> dict[str, pd.DataFrame]:
    return build_adam(aegrade.grade(SDTM, "ctcae-v4.03"))


def test_domains_are_recognised() -> None:
    for name in ("lb", "vs", "ae", "dm"):
        assert domain_of(pd.read_csv(SDTM / f"{name}.csv", nrows=1)) == name.upper()
    assert domain_of(pd.DataFrame(columns=["subject_id", "parameter"])) is None
    assert sdtm_days(pd.Series([-3, 1, 8])).tolist() == [-3, 0, 7]


def test_study_from_sdtm_folder() -> None:
    study = load_study(SDTM)
    assert len(study.subjects.frame) == 3
    assert len(study.observations.frame) == 207 + 7
    assert study.observations.labels()[0] == "lb.csv 2"
    assert study.observations.labels()[-1] == "vs.csv 8"
    assert study.events.frame["term"].tolist()[0] == "Headache"
    assert study.events.frame["onset"].tolist() == [2.0, 2.0, 2.0]


def test_adlb_matches_admiral(adam: dict[str, pd.DataFrame]) -> None:
    adlb = adam["adlb"]
    lb = adlb[adlb["SRCDOM"] == "LB"]
    expected = pd.read_csv(SDTM / "expected_admiral_atoxgr.csv")
    merged = lb.merge(
        expected,
        left_on=["USUBJID", "SRCSEQ"],
        right_on=["USUBJID", "LBSEQ"],
        suffixes=("", "_admiral"),
    )
    assert len(merged) == 207
    same_term = (
        merged["ATOXDSCL"].fillna("").str.lower()
        == merged["ATOXDSCL_admiral"].fillna("").str.lower()
    )
    both = same_term & merged["ATOXGR_admiral"].notna() & merged["ATOXGR"].notna()
    assert both.sum() > 100
    assert (merged.loc[both, "ATOXGR"].astype(float) == merged.loc[both, "ATOXGR_admiral"]).all()


def test_adlb_baseline_grades(adam: dict[str, pd.DataFrame]) -> None:
    adlb = adam["adlb"]
    base = adlb[adlb["ABLFL"] == "Y"]
    assert len(base) > 0
    first = adlb.groupby(["USUBJID", "PARAMCD"]).first()
    at_base = base.set_index(["USUBJID", "PARAMCD"])["ATOXGR"]
    assert (first.loc[at_base.index, "BTOXGR"] == at_base).all()


def test_adae_rows(adam: dict[str, pd.DataFrame]) -> None:
    adae = adam["adae"]
    clin = adae[adae["SRCDOM"] == "AE"]
    assert clin[["USUBJID", "AEDECOD", "AETOXGR", "AESER"]].values.tolist() == [
        ["01-701-1015", "Headache", "2", "N"],
        ["01-701-1023", "Erythema multiforme", "1", "N"],
        ["01-701-1028", "Tumor lysis syndrome", "3", "Y"],
    ]
    assert set(adae["ATOXSYS"]) >= {"ctcae-v4.03"}
    meta = adam["adam_metadata"]
    assert "ctcae-v4.03" in set(meta["scale"])


def test_atoxgr_rule_matches_pharmaverse() -> None:
    low = pd.Series([0, 0, np.nan, 1, 2, np.nan, np.nan, 0])
    high = pd.Series([0, 2, 3, 0, np.nan, 0, np.nan, np.nan])
    assert compute_atoxgr(low, high).tolist() == [0, 2, 3, -1, -2, 0, pd.NA, 0]


def test_grade_cli_writes_cdisc_tables(tmp_path) -> None:
    from click.testing import CliRunner

    from aegrade.cli import main

    res = CliRunner().invoke(
        main, ["grade", str(SDTM), "--ctcae", "4.03", "--cdisc", "-o", str(tmp_path / "out")]
    )
    assert res.exit_code == 0, res.output
    assert {"adlb.csv", "adae.csv", "adam_metadata.csv"} <= {
        p.name for p in (tmp_path / "out").iterdir()
    }
