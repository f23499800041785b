"""IL-6, CRP and ferritin summaries (never graded)."""

from __future__ import annotations

import pandas as pd
import pytest

from aegrade.grading.biomarkers import summarize_biomarkers, summarize_biomarkers_by_arm
from aegrade.grading.hematology import summarize_hematology
from aegrade.read.study import load_study


def rows(sid, parameter, days, values, unit):
    return pd.DataFrame(
        {"subject_id": sid, "parameter": parameter, "day": days, "value": values, "unit": unit}
    )


def test_il6_baseline_peak_fold_change_and_range():
    frame = pd.concat(
        [
            rows("S1", "IL6", [-1, 0, 3, 7, 9], [5.81, 6.0, 28.4, 28.4, 10.0], "pg/mL"),
            rows("S1", "CRP", [-1, 2], [1.5, 12.0], "mg/dL"),
            rows("S1", "FERRITIN", [1, 4], [700, 1500], "ug/L"),
        ]
    )
    row = summarize_hematology(frame).subject_summary.iloc[0]
    assert row["il6_baseline"] == 6.0  # last value on or before day 0
    assert row["il6_peak"] == 28.4
    assert row["il6_peak_day"] == 3.0  # first day of the peak
    assert row["il6_fold_change"] == pytest.approx(28.4 / 6.0)
    assert row["il6_range"] == "5.81-28.4"  # as Qi et al. print it
    assert (row["crp_baseline"], row["crp_peak"]) == (15.0, 120.0)  # mg/L
    assert row["crp_range"] == "15-120"
    assert pd.isna(row["ferritin_baseline"]) and pd.isna(row["ferritin_fold_change"])
    assert (row["ferritin_peak"], row["ferritin_range"]) == (1500.0, "700-1500")


def test_window_and_significant_digits():
    frame = rows("S1", "IL6", [-2, 1, 40], [3.0, 1234.5, 5000.0], "pg/mL")
    out = summarize_biomarkers(frame, window=(0, 30), digits=3).iloc[0]
    assert (out["il6_peak"], out["il6_peak_day"]) == (1234.5, 1.0)
    assert out["il6_range"] == "3-5000"
    assert summarize_biomarkers(frame, digits=2).iloc[0]["il6_range"] == "3-5000"
    frame = rows("S1", "IL6", [-2, 1], [0.012345, 1234.5], "pg/mL")
    assert summarize_biomarkers(frame).iloc[0]["il6_range"] == "0.0123-1230"


def test_zero_baseline_has_no_fold_change():
    out = summarize_biomarkers(rows("S1", "IL6", [0, 2], [0.0, 50.0], "pg/mL")).iloc[0]
    assert out["il6_baseline"] == 0.0 and pd.isna(out["il6_fold_change"])


def test_summary_by_arm():
    subjects = pd.DataFrame({"subject_id": ["A1", "A2", "B1", "B2"], "arm": ["A", "A", "B", "B"]})
    frame = pd.concat(
        [
            rows("A1", "IL6", [0, 2], [10, 40], "pg/mL"),
            rows("A2", "IL6", [0, 2], [10, 20], "pg/mL"),
            rows("B1", "IL6", [0, 2], [5, 50], "pg/mL"),
        ]
    )
    result = summarize_hematology(load_study(observations=frame, subjects=subjects))
    table = result.biomarkers_by_arm.set_index(["arm", "marker", "statistic"])
    assert table.loc[("A", "il6", "peak"), ["n", "N", "median", "min", "max"]].tolist() == [
        2,
        2,
        30.0,
        20.0,
        40.0,
    ]
    assert table.loc[("B", "il6", "fold_change"), ["n", "N", "median"]].tolist() == [1, 2, 10.0]
    assert table.loc[("Total", "il6", "peak"), ["n", "N", "median"]].tolist() == [3, 4, 40.0]
    total_only = summarize_biomarkers_by_arm(result.subject_summary, by=None)
    assert set(total_only["arm"]) == {"Total"}


def test_il6_peak_before_tocilizumab_beside_the_overall_peak():
    obs = pd.DataFrame(
        {
            "subject_id": ["S1"] * 5 + ["S2"],
            "day": [0, 1, 1.5, 2, 3, 1],
            "parameter": ["IL6", "IL6", "TOCILIZUMAB", "IL6", "IL6", "IL6"],
            "value": [10, 162.5, "given", 900, 40, 55.5],
            "unit": ["pg/mL", "pg/mL", None, "pg/mL", "pg/mL", "pg/mL"],
        }
    )
    s = summarize_hematology(obs).subject_summary.set_index("subject_id")
    assert s.loc["S1", "il6_peak"] == 900  # after tocilizumab: receptor blockade
    assert s.loc["S1", "il6_peak_pre_tocilizumab"] == 162.5
    assert s.loc["S1", "il6_peak_pre_tocilizumab_day"] == 1.0
    assert s.loc["S2", "il6_peak_pre_tocilizumab"] == 55.5  # no tocilizumab: every value


def test_tocilizumab_not_given_does_not_cut_the_il6_window():
    obs = pd.DataFrame(
        {
            "subject_id": "S1",
            "day": [1, 1.5, 2],
            "parameter": ["IL6", "TOCILIZUMAB", "IL6"],
            "value": [20, "not given", 300],
            "unit": ["pg/mL", None, "pg/mL"],
        }
    )
    s = summarize_hematology(obs).subject_summary.iloc[0]
    assert s["il6_peak_pre_tocilizumab"] == 300
