"""Re-grading pharmaverseadam's ADLB (83,652 rows, graded by admiral with CTCAE v4; see
tests/data/README.md) agrees with ATOXGRL/ATOXGRH on every comparable row.

Comparable: admiral assigned the same CTCAE term in the same direction as aegrade. Not
comparable, by design: LYMPH (admiral's template grades absolute lymphocytes with the CD4 term;
aegrade uses 'Lymphocyte count decreased') and HGB (in mmol/L: admiral's metadata expects g/L
and leaves all 2,499 rows NA; aegrade converts and grades them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import aegrade
from tests.conftest import DATA

pytestmark = pytest.mark.oracle


@pytest.fixture(scope="module")
def adlb() -> tuple[pd.DataFrame, pd.DataFrame]:
    d = pd.read_csv(DATA / "pharmaverse" / "adlb_grading_subset.csv.gz", low_memory=False)
    inp = pd.DataFrame(
        {
            "subject_id": d["USUBJID"],
            "parameter": d["PARAMCD"],
            "value": d["AVAL"],
            "unit": d["UNIT_FROM_PARAM"],
            "lln": d["ANRLO"],
            "uln": d["ANRHI"],
            "baseline": d["BASE"],
            "pchg": d["PCHG"],
        }
    )
    return d, aegrade.grade_labs(inp, "ctcae-v4.03", errors="coerce")


@pytest.mark.parametrize(
    ("direction", "term_col", "grade_col", "n_comparable", "n_not_fasting"),
    [
        ("low", "ATOXDSCL", "ATOXGRL", 19_998, 0),
        ("high", "ATOXDSCH", "ATOXGRH", 32_589, 2_462),
    ],
)
def test_agrees_with_admiral(
    adlb, direction, term_col, grade_col, n_comparable, n_not_fasting
) -> None:
    d, graded = adlb
    assert len(graded) == len(d) == 83_652
    admiral_term = (
        d[term_col].fillna("").str.lower().str.replace(r" \((fasting|ionized)\)$", "", regex=True)
    )
    ours = graded[f"term_{direction}"].astype(object).fillna("").str.lower()
    comparable = (admiral_term != "") & (admiral_term == ours) & (d["PARAMCD"] != "HGB")
    expected = pd.to_numeric(d[grade_col]).to_numpy(float)
    got = graded[f"grade_{direction}"].astype(float).to_numpy()
    agree = (expected == got) | (np.isnan(expected) & np.isnan(got))
    assert comparable.sum() == n_comparable
    # v4.03 Hyperglycemia grades 1-2 read "Fasting glucose value": a non-fasting GLUC below
    # grade 3 is not graded (NA, reason: not fasting), where admiral grades it 0
    not_fasting = (
        (d["PARAMCD"] == "GLUC") & (admiral_term == "hyperglycemia") & (expected == 0)
    ).to_numpy(bool) & np.isnan(got)
    assert (comparable & not_fasting).sum() == n_not_fasting
    assert agree[comparable & ~not_fasting].all()


def test_not_comparable_rows_are_the_documented_ones(adlb) -> None:
    d, graded = adlb
    low_term = graded["term_low"].astype(object).fillna("")
    lymph = d["PARAMCD"] == "LYMPH"
    assert (d.loc[lymph, "ATOXDSCL"] == "CD4 lymphocytes decreased").all()
    assert (low_term[lymph] == "Lymphocyte count decreased").all()


def test_mmol_hemoglobin_is_graded(adlb) -> None:
    d, graded = adlb
    hgb = graded[d["PARAMCD"] == "HGB"]
    assert len(hgb) == 2_499
    assert d.loc[d["PARAMCD"] == "HGB", "ATOXGRL"].isna().all()  # admiral: unit mismatch
    counts = hgb["grade_low"].value_counts(dropna=False).to_dict()
    assert counts == {0: 2319, 1: 178, 2: 2}
