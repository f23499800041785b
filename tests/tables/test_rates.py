"""Risk difference and its CI (issue 14 point 4), checked against the published examples of
Newcombe, Stat Med 1998;17:873-890, Table II (methods 1 = Wald and 10 = hybrid score)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aegrade.tables import (
    TableSpec,
    TableSpecError,
    build_ae_table,
    format_risk_difference,
    risk_difference,
)


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2", "newcombe"),
    [
        (56, 70, 48, 80, (5.24, 33.39)),
        (9, 10, 3, 10, (17.05, 80.90)),
        (6, 7, 2, 7, (5.82, 80.62)),
        (5, 56, 0, 29, (-3.81, 19.26)),
        (0, 10, 0, 20, (-16.11, 27.75)),
    ],
)
def test_newcombe_hybrid_score_matches_table_ii(x1, n1, x2, n2, newcombe):
    d, lo, hi = risk_difference(x1, n1, x2, n2)
    assert float(d) == pytest.approx(100 * (x1 / n1 - x2 / n2))
    assert (float(lo), float(hi)) == pytest.approx(newcombe, abs=0.006)


@pytest.mark.parametrize(("x1", "n1", "x2", "n2"), [(56, 70, 48, 80), (9, 10, 3, 10), (6, 7, 2, 7)])
def test_wald_is_the_closed_form(x1, n1, x2, n2):
    p1, p2 = x1 / n1, x2 / n2
    half = 1.959963984540054 * np.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    _, lo, hi = risk_difference(x1, n1, x2, n2, method="wald")
    assert float(lo) == pytest.approx(100 * (p1 - p2 - half))
    assert float(hi) == pytest.approx(100 * (p1 - p2 + half))


def test_wald_first_example_of_table_ii():
    _, lo, hi = risk_difference(56, 70, 48, 80, method="wald")
    assert (round(float(lo), 2), round(float(hi), 2)) == (5.75, 34.25)


def test_vectorised_and_zero_denominator():
    d, lo, hi = risk_difference(
        np.array([1, 0]), np.array([2, 0]), np.array([0, 0]), np.array([2, 3])
    )
    assert d[0] == pytest.approx(50.0) and np.isnan(d[1])
    assert format_risk_difference(float(d[1]), float(lo[1]), float(hi[1])) == "NA"


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="method must be"):
        risk_difference(1, 2, 1, 2, method="exact")  # type: ignore[arg-type]


def test_ae_table_risk_difference_columns():
    ids = [str(i) for i in range(1, 21)]
    subjects = pd.DataFrame({"subject_id": ids, "arm": ["A"] * 10 + ["B"] * 10})
    ae = pd.DataFrame(
        {
            "subject_id": ids[:9] + ids[10:13],  # 9/10 in A, 3/10 in B
            "term": ["Fever"] * 12,
            "grade": [3] * 9 + [1] * 3,
        }
    )
    spec = TableSpec(risk_difference=("A", "B"), by="arm")
    t = build_ae_table(ae, subjects, spec).to_display()
    assert t.groups[-1] == ("Risk difference A - B, % (95% CI)", 2)
    fever = next(r for r in t.body if r[0] == "Fever")
    # 9/10 - 3/10 is Table II example 2; 9/10 - 0/10: Wilson (59.6, 98.2) and (0, 27.75)
    assert fever[-2:] == ("60.0 (17.1, 80.9)", "90.0 (48.8, 98.2)")
    assert any("Newcombe's hybrid score interval" in f for f in t.footnotes)
    wald = build_ae_table(
        ae, subjects, spec.model_copy(update={"risk_difference_method": "wald"})
    ).to_display()
    assert next(r for r in wald.body if r[0] == "Fever")[-2] == "60.0 (26.1, 93.9)"
    with pytest.raises(TableSpecError, match=r"\['C'\] not among the arms"):
        build_ae_table(ae, subjects, TableSpec(risk_difference=("A", "C"), by="arm"))
