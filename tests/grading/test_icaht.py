"""ICAHT (icaht-2023): hand-built ANC series at every edge of SPEC section 4."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aegrade.grading.hematology import summarize_hematology
from aegrade.grading.icaht import grade_icaht, load_icaht
from aegrade.study import Study, Table

HI = 2.0  # 2000/uL, well above every threshold


def series(values, start=0, sid="S1"):
    """Daily ANC (10^9/L) from day ``start``."""
    return pd.DataFrame(
        {
            "subject_id": sid,
            "day": np.arange(start, start + len(values)),
            "value": np.asarray(values, float),
        }
    )


def early(values, **options):
    row = grade_icaht(series(values), options=options or None).iloc[0]
    return row["icaht_early_grade"], row["days_anc_le_500"], row["days_anc_le_100"]


@pytest.mark.parametrize(
    ("n_low", "grade"),
    [
        (1, 1),
        (6, 1),
        (7, 2),
        (13, 2),
        (14, 3),
        (30, 3),
    ],
)
def test_days_at_exactly_500_give_the_duration_band(n_low, grade):
    # day 0 above, then n_low days at exactly 500/uL (inclusive), then recovery
    values = [HI] + [0.5] * n_low + [HI] * (40 - n_low)
    assert early(values) == (grade, n_low, 0)


def test_every_day_0_to_30_at_or_below_500_is_grade_4():
    assert early([0.5] * 31 + [HI] * 5) == (4, 31, 0)


def test_just_above_500_is_not_neutropenic():
    assert early([0.501] * 31) == (0, 0, 0)


@pytest.mark.parametrize(("n_low", "grade"), [(6, 1), (7, 3), (13, 3), (14, 4)])
def test_days_at_exactly_100(n_low, grade):
    values = [HI] + [0.1] * n_low + [HI] * 30
    assert early(values) == (grade, n_low, n_low)


def test_two_day_recovery_gap_joins_runs_and_counts_the_gap():
    values = [0.3] * 3 + [0.6] * 2 + [0.3] * 3 + [HI] * 25
    assert early(values) == (2, 8, 0)


def test_three_day_recovery_gap_separates_runs():
    values = [0.3] * 3 + [0.6] * 3 + [0.3] * 3 + [HI] * 25
    assert early(values) == (1, 3, 0)


def test_cumulative_duration_option():
    values = [0.3] * 4 + [0.6] * 3 + [0.3] * 4 + [HI] * 25
    assert early(values) == (1, 4, 0)
    assert early(values, duration="cumulative") == (2, 8, 0)


def test_join_gap_option():
    values = [0.3] * 4 + [0.6] * 3 + [0.3] * 4 + [HI] * 25
    assert early(values, join_gap_days=4) == (2, 11, 0)


def test_missing_days_carry_forward_at_most_7_days():
    # day 0 300/uL carried to day 7; days 8-19 unobserved; day 20 carried to 27; 28-30 unobserved
    anc = pd.DataFrame({"subject_id": "S1", "day": [0, 20], "value": [0.3, HI]})
    row = grade_icaht(anc).iloc[0]
    assert (row["icaht_early_grade"], row["days_anc_le_500"]) == (2, 8)
    assert "15 days without a value: the grade is a lower bound" in row["icaht_early_reason"]
    row = grade_icaht(anc, options={"carry_forward_days": 0}).iloc[0]
    assert (row["icaht_early_grade"], row["days_anc_le_500"]) == (1, 1)


def test_unobserved_gap_shorter_than_3_days_is_joined():
    anc = pd.DataFrame({"subject_id": "S1", "day": [0, 10, 11], "value": [0.3, 0.3, HI]})
    # days 0-7 carried, 8-9 unobserved (gap of 2 < 3), day 10 low: one run of 11 days
    row = grade_icaht(anc).iloc[0]
    assert (row["icaht_early_grade"], row["days_anc_le_500"]) == (2, 11)


def test_a_day_is_its_lowest_measurement_or_the_last_by_option():
    anc = pd.DataFrame(
        {"subject_id": "S1", "day": [0.3, 0.8, *range(1, 31)], "value": [0.4, 0.6] + [HI] * 30}
    )
    assert grade_icaht(anc).iloc[0]["icaht_early_grade"] == 1
    assert grade_icaht(anc, options={"daily_value": "last"}).iloc[0]["icaht_early_grade"] == 0


def test_no_anc_in_window_is_missing_not_zero():
    anc = pd.DataFrame({"subject_id": ["S1"], "day": [45.0], "value": [0.3]})
    out = grade_icaht(anc, subjects=["S1", "S2"])
    assert out["icaht_early_grade"].isna().all()
    assert out["days_anc_le_500"].isna().all()
    assert out.loc[0, "icaht_early_reason"] == "not graded: no ANC measured in days 0-30"
    assert out.loc[0, "icaht_late_grade"] == 3  # a single late value needs no confirmation
    assert pd.isna(out.loc[1, "icaht_late_grade"])


def test_recovery_is_first_of_three_days_above_500():
    values = [0.3] * 10 + [0.6, 0.7] + [0.3] + [0.6] * 3 + [HI] * 20
    row = grade_icaht(series(values)).iloc[0]
    assert row["anc_recovery_day"] == 13
    assert row["days_anc_le_500"] == 13  # days 0-12: the 2-day rise is no recovery


def test_recovery_after_day_30_and_never():
    row = grade_icaht(series([0.2] * 35 + [0.8] * 3)).iloc[0]
    assert (row["icaht_early_grade"], row["anc_recovery_day"]) == (4, 35)
    # carried-forward days count: two measured days above 500 and a third carried
    row = grade_icaht(series([0.2] * 35 + [0.8] * 2)).iloc[0]
    assert row["anc_recovery_day"] == 35
    row = grade_icaht(series([0.2] * 35 + [0.8] * 2), options={"carry_forward_days": 0}).iloc[0]
    assert pd.isna(row["anc_recovery_day"])
    row = grade_icaht(series([HI] * 31)).iloc[0]
    assert pd.isna(row["anc_recovery_day"])  # no neutropenia to recover from


@pytest.mark.parametrize(
    ("late", "grade"),
    [
        ([0.1], 4),
        ([0.101], 3),
        ([0.5], 3),
        ([1.0], 2),
        ([1.5], 1),
        ([1.501], 0),
        ([0.4, 1.5], 3),  # confirmed by a second value of exactly 1500/uL
        ([0.4, 1.51], 0),  # a single low value among normal ones is transient
        ([0.4, 0.05, 2.0], 4),  # lowest 50/uL confirmed by 400/uL
        ([0.4, 0.4], 3),  # a tie confirms itself
    ],
)
def test_late_icaht(late, grade):
    anc = pd.DataFrame({"subject_id": "S1", "day": 31.0 + np.arange(len(late)), "value": late})
    assert grade_icaht(anc).iloc[0]["icaht_late_grade"] == grade


def test_late_confirmation_option_and_window():
    anc = pd.DataFrame(
        {"subject_id": "S1", "day": [30.9, 31.0, 40.0, 120.0], "value": [0.01, 0.4, 1.51, 0.05]}
    )
    # day 30.9 is study day 30: early, not late
    assert grade_icaht(anc).iloc[0]["icaht_late_grade"] == 4  # 50/uL confirmed by 400/uL
    assert grade_icaht(anc, options={"late_last_day": 100}).iloc[0]["icaht_late_grade"] == 0
    got = grade_icaht(anc, options={"late_last_day": 100, "late_confirmation": "none"})
    assert got.iloc[0]["icaht_late_grade"] == 3


def test_unknown_or_bad_option_is_an_error():
    with pytest.raises(ValueError, match="no option 'carry'"):
        grade_icaht(series([HI]), options={"carry": 3})
    with pytest.raises(ValueError, match="choose one of"):
        grade_icaht(series([HI]), options={"duration": "total"})


def test_rule_ids_and_file_documents_every_option():
    c = load_icaht()
    assert set(c.options) == {
        "daily_value",
        "carry_forward_days",
        "join_gap_days",
        "duration",
        "recovery_days",
        "late_last_day",
        "late_confirmation",
        "censoring",
    }
    assert all(o.description and o.source for o in c.options.values())
    row = grade_icaht(series([0.05] * 14 + [HI] * 20)).iloc[0]
    assert row["icaht_early_rule"] == "icaht-2023/early/anc-le-100/4"


@pytest.mark.parametrize(
    ("value", "unit"),
    [
        (500, "cells/uL"),
        (500, "/mm3"),
        (0.5, "10^9/L"),
        (0.5, "GI/L"),
        (0.5, "10^3/uL"),
    ],
)
def test_units_are_converted_before_counting(value, unit):
    days = np.arange(0, 40)
    obs = pd.DataFrame(
        {
            "subject_id": "S1",
            "day": days,
            "parameter": "ANC",
            "value": np.where((days >= 1) & (days <= 7), value, value * 4),
            "unit": unit,
        }
    )
    row = summarize_hematology(obs).subject_summary.iloc[0]
    assert (row["icaht_early_grade"], row["days_anc_le_500"], row["anc_recovery_day"]) == (2, 7, 8)


# ---- issue 13: censoring at the end of follow-up, calendar days


def _anc_study(days, values, subjects: dict) -> Study:
    obs = pd.DataFrame(
        {"subject_id": "S1", "day": days, "parameter": "NEUT", "value": values, "unit": "/uL"}
    )
    return Study(Table(obs), subjects=Table(pd.DataFrame({"subject_id": ["S1"], **subjects})))


def test_no_neutropenia_is_counted_after_death():
    # 80/uL on days 0-5, death on day 5.5: 6 days, not 13 (carried 7 days past death)
    study = _anc_study(list(range(6)), [80] * 6, {"death_day": [5.5]})
    row = summarize_hematology(study).subject_summary.iloc[0]
    assert (row["days_anc_le_500"], row["days_anc_le_100"], row["icaht_early_grade"]) == (6, 6, 1)
    assert "follow-up ends on day 5 (death): no value carried past it" in row["icaht_early_reason"]
    assert "lower bound" not in row["icaht_early_reason"]


def test_death_without_recovery_as_grade_4_is_an_option():
    study = _anc_study(list(range(6)), [80] * 6, {"death_day": [5.5]})
    opts = {"censoring": "never_recovered_grade_4"}
    row = summarize_hematology(study, icaht_options=opts).subject_summary.iloc[0]
    assert (row["icaht_early_grade"], row["icaht_early_rule"]) == (
        4,
        "icaht-2023/early/never-recovered/4",
    )
    assert "never recovered before it: grade 4" in row["icaht_early_reason"]


def test_follow_up_ends_at_the_earliest_of_its_causes():
    study = _anc_study(
        list(range(0, 30, 2)),
        [300] * 15,
        {"last_contact_day": [20], "progression_day": [9], "next_therapy_day": [12]},
    )
    row = summarize_hematology(study).subject_summary.iloc[0]
    assert row["days_anc_le_500"] == 10  # days 0-9
    assert "follow-up ends on day 9 (progression)" in row["icaht_early_reason"]


def test_no_late_value_after_the_end_of_follow_up():
    study = _anc_study([1, 40, 50], [3000, 1400, 90], {"next_therapy_day": [45]})
    row = summarize_hematology(study).subject_summary.iloc[0]
    assert row["icaht_late_grade"] == 1  # the day-50 value is after next therapy


def test_living_subject_without_last_contact_keeps_the_7_day_carry():
    study = _anc_study([0, 2], [3000, 300], {"death_day": [None]})
    row = summarize_hematology(study).subject_summary.iloc[0]
    assert row["days_anc_le_500"] == 8  # day 2 + 7 days carried


def test_clock_times_count_calendar_days_from_the_infusion_date():
    # infusion at 14:00, ANC at 06:00 on calendar days 0-30: 31 days <= 500 (grade 4), not 30
    times = [f"{d:%Y-%m-%d}T06:00" for d in pd.date_range("2024-03-01", periods=31)]
    obs = pd.DataFrame(
        {"subject_id": "S1", "time": times, "parameter": "NEUT", "value": 300, "unit": "/uL"}
    )
    subjects = pd.DataFrame({"subject_id": ["S1"], "treatment_start": ["2024-03-01T14:00"]})
    row = summarize_hematology(Study(Table(obs), subjects=Table(subjects))).subject_summary
    assert (row.iloc[0]["days_anc_le_500"], row.iloc[0]["icaht_early_grade"]) == (31, 4)


def test_date_only_lab_dates_count_calendar_days():
    # infusion 1 March 14:00; a date-only ANC on 1 April is calendar day 31: late, not early
    obs = pd.DataFrame(
        {
            "subject_id": "S1",
            "time": ["2024-03-01", "2024-03-05", "2024-04-01"],
            "parameter": "NEUT",
            "value": [3000, 3000, 400],
            "unit": "/uL",
        }
    )
    subjects = pd.DataFrame({"subject_id": ["S1"], "treatment_start": ["2024-03-01T14:00"]})
    row = summarize_hematology(Study(Table(obs), subjects=Table(subjects))).subject_summary
    assert (row.iloc[0]["days_anc_le_500"], row.iloc[0]["icaht_late_grade"]) == (0, 3)


def test_early_reasons_of_the_same_case_are_the_same_text() -> None:
    """The early reason is written once per distinct case: two subjects with the same days
    read the same text, a third its own, and a subject with no ANC in the window the
    not-graded text."""
    anc = pd.DataFrame(
        {
            "subject_id": ["A", "A", "A", "B", "B", "B", "C", "D"],
            "day": [1, 2, 3, 1, 2, 3, 1, 45],
            "value": [0.05, 0.05, 2.5, 0.05, 0.05, 2.5, 0.3, 0.2],
            "unit": "10^9/L",
        }
    )
    out = grade_icaht(anc, subjects=["A", "B", "C", "D"])
    early = out["icaht_early_reason"]
    assert early[0] == early[1]
    assert early[0].startswith("grade 1: ANC <=500/uL for 2 days, ANC <=100/uL for 2 days")
    assert "[icaht-2023/early/anc-le-500/1]" in early[0]
    assert early[2] != early[0] and early[2].startswith("grade 2: ANC <=500/uL for 8 days")
    assert early[3] == "not graded: no ANC measured in days 0-30"
    assert (
        out["icaht_late_reason"][3]
        == "grade 3: lowest ANC 200/uL on day 45 (1 values after day 30)"
    )
