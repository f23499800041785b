"""Exposure-adjusted incidence rates (issue 14 point 4): exact Poisson limits checked against
Garwood's published values and the chi-square form, table cells by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aegrade.tables import TableSpecError, build_exposure_table, exposure_years, poisson_ci


@pytest.mark.parametrize(
    ("x", "lower", "upper"),
    [
        # Exact 95% limits (chi2(0.025; 2x)/2, chi2(0.975; 2x+2)/2), e.g. Ulm 1990, Table 1.
        (0, 0.0, 3.6889),
        (1, 0.0253, 5.5716),
        (2, 0.2422, 7.2247),
        (5, 1.6235, 11.6683),
        (10, 4.7954, 18.3904),
        (20, 12.2165, 30.8884),
    ],
)
def test_poisson_ci_exact_limits(x, lower, upper):
    lo, hi = poisson_ci([x])
    assert lo[0] == pytest.approx(lower, abs=1e-4)
    assert hi[0] == pytest.approx(upper, abs=1e-4)


def test_poisson_ci_90_percent_and_bad_counts():
    lo, hi = poisson_ci([0, 3], level=0.90)
    assert hi[0] == pytest.approx(-np.log(0.05), abs=1e-6)  # x = 0: upper = -ln(a/2)
    assert lo[1] == pytest.approx(0.8177, abs=1e-4)
    assert hi[1] == pytest.approx(7.7537, abs=1e-4)
    with pytest.raises(ValueError, match="whole numbers"):
        poisson_ci([1.5])


def _study():
    subjects = pd.DataFrame(
        {
            "subject_id": ["1", "2", "3", "4"],
            "arm": ["A", "A", "B", "B"],
            "exposure_days": [365.25, 365.25, 730.5, 365.25],
        }
    )
    ae = pd.DataFrame(
        {
            "subject_id": ["1", "1", "2", "3", "3", "4"],
            "term": ["Anemia", "Anemia", "Nausea", "Anemia", None, "Nausea"],
            "soc": ["Blood", "Blood", "GI", "Blood", None, "GI"],
            "grade": pd.array([1, 3, None, 2, 1, 4], dtype="Int64"),
            "onset": [1.0, 5.0, 2.0, 3.0, 4.0, -2.0],
        }
    )
    return ae, subjects


def test_exposure_table_every_level_by_arm():
    ae, subjects = _study()
    t = build_exposure_table(ae, subjects, by="arm")
    f = t.to_frame().set_index(t.stub_header)
    assert t.groups == (("A (N = 2, PY = 2.0)", 4), ("B (N = 2, PY = 3.0)", 4))
    # Arm A: 2 patients with an AE over 2 PY; the ungraded Nausea counts in 'Any grade' only.
    assert f.loc["Any adverse event"].tolist()[:4] == [
        "2",
        "100.00 (12.11, 361.23)",
        "1",
        "50.00 (1.27, 278.58)",
    ]
    # Arm B: patient 4's Nausea starts before treatment (onset -2): not counted.
    assert f.loc["Any adverse event"].tolist()[4:] == [
        "1",
        "33.33 (0.84, 185.72)",
        "0",
        "0.00 (0.00, 122.96)",
    ]
    assert f.loc["Blood"].tolist() == [
        "1",
        "50.00 (1.27, 278.58)",
        "1",
        "50.00 (1.27, 278.58)",
        "1",
        "33.33 (0.84, 185.72)",
        "0",
        "0.00 (0.00, 122.96)",
    ]
    rows = list(f.index)
    assert rows.index("Anemia") == rows.index("Blood") + 1
    assert "No coding available" in rows
    assert t.indent[rows.index("Anemia")] == 1
    ard = t.ard.set_index(["row", "arm", "column"])
    assert ard.loc[("Nausea", "A", "Any grade"), "n"] == 1
    assert ard.loc[("Nausea", "A", "Grade ≥ 3"), "n"] == 0
    assert ard.loc[("Anemia", "B", "Any grade"), "patient_years"] == pytest.approx(3.0)


def test_exposure_table_all_events_and_no_by():
    ae, subjects = _study()
    t = build_exposure_table(ae, subjects, teae=False)
    f = t.to_frame().set_index(t.stub_header)
    assert t.groups == (("All subjects (N = 4, PY = 5.0)", 4),)
    assert f.loc["Any adverse event"].iloc[0] == "4"
    assert f.loc["Any adverse event"].iloc[1] == "80.00 (21.80, 204.83)"
    assert f.loc["GI"].iloc[2] == "1"  # patient 4's grade 4 Nausea


def test_exposure_from_start_end_columns():
    dates = pd.DataFrame(
        {
            "subject_id": ["1", "2"],
            "TRTSDT": ["2024-01-01", "2024-01-01"],
            "TRTEDT": ["2024-12-31", "2024-01-10"],
        }
    )
    assert exposure_years(dates).round(6).tolist() == [
        round(366 / 365.25, 6),
        round(10 / 365.25, 6),
    ]
    days = pd.DataFrame({"subject_id": ["1"], "treatment_start": [0], "treatment_end": [29]})
    assert exposure_years(days).iloc[0] == pytest.approx(30 / 365.25)


def test_exposure_missing_or_negative_is_an_error():
    with pytest.raises(TableSpecError, match="exposure_days"):
        exposure_years(pd.DataFrame({"subject_id": ["1"]}))
    with pytest.raises(TableSpecError, match="subject '2'"):
        exposure_years(pd.DataFrame({"subject_id": ["1", "2"], "exposure_days": [3, -1]}))
