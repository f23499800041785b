"""CRS on real charting (issue 13): intervals, dose 0, concurrency over time, nasal cannula
flow; each vignette asserts the grade and the audit trail (``explain``)."""

from __future__ import annotations

import pandas as pd
import pytest

from aegrade.grading.syndromes import grade_crs_icans
from aegrade.study import Study, Table

COLS = ["subject_id", "day", "parameter", "value", "unit", "flow", "dose", "dose_unit", "end_day"]


def _obs(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame([r + (None,) * (len(COLS) - len(r)) for r in rows], columns=COLS)


def _crs(obs: pd.DataFrame, **kw) -> tuple[int, pd.Series]:
    res = grade_crs_icans(obs, icans=None, **kw)
    worst = int(res.adverse_events["grade"].max())
    ex = res.explain[res.explain["subject_id"] == "S1"].set_index("day")["text"]
    return worst, ex


def test_two_pressors_running_together_at_different_timestamps_are_grade_4():
    obs = _obs(
        [
            ("S1", 1.0, "TEMP", 38.9, "degC"),
            ("S1", 1.2, "VASOPRESSOR", "norepinephrine", None, None, 8, "ug/min"),
            ("S1", 1.2104, "VASOPRESSOR", "epinephrine", None, None, 4, "ug/min"),
            ("S1", 1.2417, "VASOPRESSOR", "norepinephrine", None, None, 10, "ug/min"),
        ]
    )
    grade, ex = _crs(obs)
    assert grade == 4
    assert ex[1.2104].startswith("grade 4: epinephrine + norepinephrine (2 vasopressors counted)")


def test_point_rows_far_apart_are_not_one_running_infusion():
    obs = _obs(
        [
            ("S1", 1.0, "TEMP", 38.9, "degC"),
            ("S1", 1.2, "VASOPRESSOR", "norepinephrine", None, None, 8, "ug/min"),
            ("S1", 1.5, "VASOPRESSOR", "epinephrine", None, None, 4, "ug/min"),
            ("S1", 1.8, "VASOPRESSOR", "norepinephrine", None, None, 10, "ug/min"),
        ]
    )
    grade, ex = _crs(obs)  # 0.6 day = 14.4 h between the norepinephrine rows > 6 h
    assert grade == 3
    assert ex[1.5].startswith("grade 3: epinephrine at day 1.5")


def test_an_interval_row_is_running_over_its_interval():
    obs = _obs(
        [
            ("S1", 1.0, "TEMP", 38.9, "degC"),
            ("S1", 1.2, "VASOPRESSOR", "norepinephrine", None, None, 8, "ug/min", 2.0),
            ("S1", 1.9, "VASOPRESSOR", "phenylephrine", None, None, 50, "ug/min"),
        ]
    )
    grade, ex = _crs(obs)
    assert grade == 4
    assert ex[1.9].startswith("grade 4: norepinephrine + phenylephrine")


def test_dose_0_means_the_infusion_is_off():
    obs = _obs(
        [
            ("S1", 1.0, "TEMP", 38.9, "degC"),
            ("S1", 1.0, "HYPOTENSION", "true"),
            ("S1", 1.2, "VASOPRESSOR", "norepinephrine", None, None, 0, "ug/min"),
        ]
    )
    grade, ex = _crs(obs)
    assert grade == 2
    assert "grade 2: hypotension, no vasopressor" in ex[1.0]


def test_dose_0_ends_an_interval():
    obs = _obs(
        [
            ("S1", 1.0, "TEMP", 38.9, "degC"),
            ("S1", 1.2, "VASOPRESSOR", "norepinephrine", None, None, 8, "ug/min", 3.0),
            ("S1", 1.5, "VASOPRESSOR", "norepinephrine", None, None, 0, "ug/min"),
            ("S1", 1.6, "VASOPRESSOR", "epinephrine", None, None, 4, "ug/min"),
        ]
    )
    grade, ex = _crs(obs)
    assert grade == 3
    assert ex[1.6].startswith("grade 3: epinephrine at day 1.6")


def test_oxygen_interval_grades_every_time_point_it_covers():
    obs = _obs(
        [
            ("S1", 1.0, "TEMP", 38.9, "degC"),
            ("S1", 1.1, "OXYGEN", "facemask", None, 10, None, None, 2.0),
            ("S1", 1.5, "TEMP", 37.5, "degC"),
        ]
    )
    grade, ex = _crs(obs)
    assert grade == 3
    assert ex[1.5].startswith("grade 3: facemask 10 L/min (running since day 1.1) at day 1.5")


def test_high_flow_nasal_cannula_at_5_l_min_is_low_flow():
    obs = _obs(
        [
            ("S1", 1.0, "TEMP", 38.9, "degC"),
            ("S1", 1.1, "OXYGEN", "HFNC", None, 5),
        ]
    )
    grade, ex = _crs(obs)
    assert grade == 2
    assert ex[1.1] == (
        "grade 2: high-flow nasal cannula 5 L/min (<= 6 L/min: low flow, the flow decides) "
        "at day 1.1 (hypoxia tier 2, astct-2019)"
    )


def test_high_flow_nasal_cannula_without_flow_goes_by_its_name():
    obs = _obs([("S1", 1.0, "TEMP", 38.9, "degC"), ("S1", 1.1, "OXYGEN", "HFNC")])
    grade, ex = _crs(obs)
    assert grade == 3
    assert "read as > 6 L/min from the device name" in ex[1.1]


def test_end_time_as_a_date_time():
    obs = pd.DataFrame(
        {
            "subject_id": "S1",
            "time": ["2024-03-02T08:00", "2024-03-02T09:00", "2024-03-02T15:00"],
            "parameter": ["TEMP", "VASOPRESSOR", "VASOPRESSOR"],
            "value": [38.9, "norepinephrine", "vasopressin"],
            "unit": ["degC", None, None],
            "end": [None, "2024-03-02T20:00", None],
        }
    )
    subjects = pd.DataFrame({"subject_id": ["S1"], "treatment_start": ["2024-03-01T08:00"]})
    res = grade_crs_icans(Study(Table(obs), subjects=Table(subjects)), icans=None)
    assert int(res.adverse_events["grade"].max()) == 3  # norepinephrine + vasopressin
    text = res.explain["text"][res.explain["day"].round(4) == round(1 + 7 / 24, 4)].iloc[0]
    assert "norepinephrine + vasopressin (vasopressin not counted toward two or more)" in text


SETTLED = _obs(
    [
        ("S1", 1.0, "TEMP", 38.9, "degC"),
        ("S1", 1.5, "TEMP", 37.0, "degC"),
        ("S1", 1.6, "HYPOTENSION", "true"),
    ]
)


def test_fever_settled_without_treatment_still_grades_by_default():
    grade, ex = _crs(SETTLED)
    assert grade == 2
    assert ex[1.6].startswith("grade 2: hypotension, no vasopressor at day 1.6")


def test_fever_waiver_treatment_needs_an_antipyretic_or_anticytokine():
    grade, ex = _crs(SETTLED, fever_waiver="treatment")
    assert grade == 1
    assert ex[1.6] == (
        "grade 1: no fever at day 1.6; hypotension, no vasopressor not "
        "graded: fever settled and no antipyretic or anticytokine therapy given (option "
        "fever_waiver=treatment) (episode active, astct-2019)"
    )
    treated = pd.concat([SETTLED, _obs([("S1", 1.2, "ANTIPYRETIC", "given")])], ignore_index=True)
    grade, ex = _crs(treated, fever_waiver="treatment")
    assert grade == 2
    assert "after antipyretic" not in ex[1.6]  # graded: the hypotension tier is the finding
    assert ex[1.6].startswith("grade 2: hypotension, no vasopressor at day 1.6")


def test_resolution_is_the_first_normal_reading_after_the_last_finding():
    obs = _obs(
        [
            ("S1", 3.5, "TEMP", 38.9, "degC"),
            ("S1", 4.0, "TEMP", 38.5, "degC"),
            ("S1", 4.5, "TEMP", 37.0, "degC"),
            ("S1", 6.0, "TEMP", 36.8, "degC"),
        ]
    )
    ae = grade_crs_icans(obs, icans=None).adverse_events
    assert (ae["end"].iloc[0], ae["resolved_day"].iloc[0]) == (4.0, 4.5)
    old = grade_crs_icans(obs, icans=None, episode_resolution="after_gap").adverse_events
    assert old["resolved_day"].iloc[0] == 5.0


def test_episode_lasts_while_a_vasopressor_interval_runs():
    # the auditor's C1: norepinephrine 1.2-2.0, epinephrine 1.5-1.8, infusion off at 2.5
    obs = _obs(
        [
            ("S1", 1.0, "TEMP", 38.9, "degC"),
            ("S1", 1.1, "SYSBP", 82, "mmHg"),
            ("S1", 1.2, "VASOPRESSOR", "norepinephrine", None, None, 0.1, "ug/kg/min", 2.0),
            ("S1", 1.5, "VASOPRESSOR", "epinephrine", None, None, 0.05, "ug/kg/min", 1.8),
            ("S1", 2.5, "VASOPRESSOR", "norepinephrine", None, None, 0, "ug/kg/min"),
        ]
    )
    res = grade_crs_icans(obs, icans=None)
    ae = res.adverse_events.iloc[0]
    assert (ae["grade"], ae["onset"], ae["end"], ae["resolved_day"]) == (4, 1.0, 2.0, 2.5)
    assert round(ae["duration"], 9) == 1.0
    ex = res.explain.set_index("day")["text"]
    assert ex[1.8].startswith("grade 4: epinephrine + norepinephrine (2 vasopressors counted)")
    assert ex[2.0] == "grade 3: norepinephrine at day 2 (hypotension tier 3, astct-2019)"


def test_episode_lasts_while_an_oxygen_interval_runs():
    obs = _obs(
        [
            ("S1", 1.0, "TEMP", 38.9, "degC"),
            ("S1", 1.1, "OXYGEN", "nasal_cannula", None, 3, None, None, 2.6),
            ("S1", 3.0, "TEMP", 37.0, "degC"),
        ]
    )
    ae = grade_crs_icans(obs, icans=None).adverse_events.iloc[0]
    assert (ae["grade"], ae["end"], ae["resolved_day"]) == (2, 2.6, 3.0)
    assert round(ae["duration"], 9) == 1.6


def test_interval_cut_by_a_dose_0_row_ends_before_it():
    obs = _obs(
        [
            ("S1", 1.0, "TEMP", 38.9, "degC"),
            ("S1", 1.2, "VASOPRESSOR", "norepinephrine", None, None, 8, "ug/min", 3.0),
            ("S1", 1.5, "VASOPRESSOR", "norepinephrine", None, None, 0, "ug/min"),
        ]
    )
    ae = grade_crs_icans(obs, icans=None).adverse_events.iloc[0]
    assert ae["grade"] == 3
    assert ae["end"] == 1.5  # running up to the off row, no time point added before it
    tps = grade_crs_icans(obs, icans=None).timepoints
    assert tps["day"].tolist() == [1.0, 1.2, 1.5]


def test_a_longer_gap_keeps_sparse_outpatient_vitals_in_one_episode():
    obs = _obs(
        [
            ("S1", 1.0, "TEMP", 38.9, "degC"),
            ("S1", 2.0 + 1 / 1440, "HYPOTENSION", "true"),
        ]
    )
    grade, ex = _crs(obs)
    assert grade == 1
    assert ex[2.0 + 1 / 1440].startswith("not CRS: hypotension, no vasopressor")
    grade, ex = _crs(obs, episode_gap_hours=36)
    assert grade == 2


# ---- Lee 2014: weight-based doses, organ toxicity in the episode's tail


def _norepi_per_kg(weight: float | None) -> Study:
    obs = _obs(
        [("S1", 1.0, "TEMP", 38.9, "degC")]
        + [
            ("S1", 1.0 + h / 24, "VASOPRESSOR", "norepinephrine", None, None, 0.3, "ug/kg/min")
            for h in range(5)  # 0.3 ug/kg/min for 4 h
        ]
    )
    subjects = pd.DataFrame({"subject_id": ["S1"], "weight": [weight]})
    return Study(Table(obs), subjects=Table(subjects))


def test_lee_weight_based_norepinephrine_is_converted_with_the_weight():
    res = grade_crs_icans(_norepi_per_kg(70.0), crs="lee-2014", icans=None)
    assert res.adverse_events["grade"].tolist() == [3]  # 0.3 x 70 = 21 ug/min >= 20 for >= 3 h
    text = res.explain.set_index("day")["text"]
    assert text[1.125].startswith("grade 3: norepinephrine, high dose sustained at day 1.125")


def test_lee_weight_based_dose_without_weight_is_low_dose_with_a_reason():
    res = grade_crs_icans(_norepi_per_kg(None), crs="lee-2014", icans=None)
    assert res.adverse_events["grade"].tolist() == [2]
    text = res.explain.set_index("day")["text"]
    assert "no weight: read as low dose" in text[1.125]


def test_lee_organ_toxicity_in_the_tail_of_the_episode_counts():
    obs = pd.DataFrame(
        {
            "subject_id": ["S1", "S1"],
            "day": [1.0, 1.8],
            "parameter": ["TEMP", "CREAT"],
            "value": [38.5, 7.0],
            "unit": ["degC", "mg/dL"],
            "uln": [None, 1.0],
        }
    )
    res = grade_crs_icans(obs, crs="lee-2014", icans=None)
    assert res.adverse_events["grade"].tolist() == [4]  # creatinine 7 x ULN: CTCAE 4 -> Lee 4
    assert res.adverse_events["reason"][0] == (
        "grade 4: Creatinine increased grade 4 (ctcae-v5.0) at day 1.8 (organ toxicity tier 4, "
        "lee-2014)"
    )


def test_lee_organ_toxicity_after_the_tail_is_not_crs():
    obs = pd.DataFrame(
        {
            "subject_id": ["S1", "S1"],
            "day": [1.0, 2.5],
            "parameter": ["TEMP", "CREAT"],
            "value": [38.5, 7.0],
            "unit": ["degC", "mg/dL"],
            "uln": [None, 1.0],
        }
    )
    res = grade_crs_icans(obs, crs="lee-2014", icans=None)
    assert res.adverse_events["grade"].tolist() == [1]


# ---- pediatric ICANS: CAPD below 9


def _child(loc: str) -> Study:
    obs = _obs([("S1", 2.0, "CAPD", 5), ("S1", 2.0, "LOC", loc)])
    subjects = pd.DataFrame({"subject_id": ["S1"], "age": [8]})
    return Study(Table(obs), subjects=Table(subjects))


def test_capd_1_8_in_an_alert_child_is_grade_1_by_default():
    res = grade_crs_icans(_child("alert"), crs=None)
    assert res.adverse_events["grade"].tolist() == [1]
    assert res.explain["text"].iloc[0].startswith("grade 1: CAPD 5")


def test_capd_1_8_needs_depressed_consciousness_with_loc_option():
    res = grade_crs_icans(_child("alert"), crs=None, capd_low_band="with_loc")
    assert res.adverse_events.empty and res.explain.empty  # no ICANS finding to explain
    assert res.subject_summary["icans_grade_astct-2019"].tolist() == [0]
    res = grade_crs_icans(_child("awakens_spontaneously"), crs=None, capd_low_band="with_loc")
    assert res.adverse_events["grade"].tolist() == [1]


def test_start_and_end_columns_as_the_spec_names_them():
    obs = pd.DataFrame(
        {
            "subject_id": "S1",
            "day": [1.0, None, 1.5],
            "start": [None, 1.2, None],
            "end": [None, 2.0, None],
            "parameter": ["TEMP", "VASOPRESSOR", "VASOPRESSOR"],
            "value": [38.9, "norepinephrine", "epinephrine"],
            "unit": ["degC", None, None],
        }
    )
    grade, ex = _crs(obs)
    assert grade == 4
    assert ex[1.5].startswith("grade 4: epinephrine + norepinephrine")


# ---- Lee 2014 / CTCAE v5.0: oxygen by FiO2; a high-flow delivery without FiO2 needs review


def _hfnc(flow: float | None, fio2: float | None = None) -> pd.DataFrame:
    rows = [
        ("S1", 1.0, "TEMP", 39.0, "degC"),
        ("S1", 1.1, "OXYGEN", "high_flow_nasal_cannula", None, flow),
    ]
    if fio2 is not None:
        rows.append(("S1", 1.1, "FIO2", fio2, "%"))
    return _obs(rows)


def _tp(obs: pd.DataFrame, criteria: str, **kw) -> pd.Series:
    res = grade_crs_icans(obs, crs=criteria, icans=None, **kw)
    return res.timepoints.set_index("day").loc[1.1]


def test_lee_hfnc_50_without_fio2_is_grade_3_with_review():
    tp = _tp(_hfnc(50), "lee-2014")
    assert (tp["grade"], tp["hypoxia_tier"], tp["review"]) == (3, 3, True)
    assert tp["rule"] == "lee-2014/crs/hypoxia/3"
    assert tp["text"] == (
        "grade 3: high-flow nasal cannula 50 L/min (no FiO2 charted: this delivery cannot show "
        "FiO2 below 40%, read as >= 40%; clinical review) at day 1.1 (hypoxia tier 3, lee-2014)"
    )


def test_lee_hfnc_50_without_fio2_ambiguous_lower_is_grade_2_with_review():
    tp = _tp(_hfnc(50), "lee-2014", ambiguous="lower")
    assert (tp["grade"], tp["review"]) == (2, True)
    assert (
        "(no FiO2 charted: read as below 40%, option ambiguous=lower; clinical review)"
        in (tp["text"])
    )


def test_ctcae_nasal_cannula_8_without_fio2_both_readings():
    obs = _obs([("S1", 1.0, "TEMP", 39.0, "degC"), ("S1", 1.1, "OXYGEN", "nasal_cannula", None, 8)])
    worse = _tp(obs, "ctcae-v5.0")
    assert (worse["grade"], worse["review"], worse["criteria"]) == (3, True, "ctcae-v5.0")
    lower = _tp(obs, "ctcae-v5.0", ambiguous="lower")
    assert (lower["grade"], lower["review"]) == (2, True)


def test_low_flow_cannula_up_to_6_l_min_stays_grade_2_without_review():
    for flow, criteria in ((6.0, "lee-2014"), (None, "lee-2014"), (6.0, "ctcae-v5.0")):
        obs = _obs(
            [("S1", 1.0, "TEMP", 39.0, "degC"), ("S1", 1.1, "OXYGEN", "nasal_cannula", None, flow)]
        )
        tp = _tp(obs, criteria)
        assert (tp["grade"], tp["review"]) == (2, False), (flow, criteria)
    tp = _tp(_hfnc(5), "lee-2014")  # a high-flow cannula at 5 L/min is low flow
    assert (tp["grade"], tp["review"]) == (2, False)


def test_fio2_at_the_time_point_decides_for_a_high_flow_cannula():
    low = _tp(_hfnc(50, fio2=30), "lee-2014")
    assert (low["grade"], low["review"]) == (2, False)
    assert low["text"].startswith("grade 2: FiO2 30% at day 1.1")
    high = _tp(_hfnc(50, fio2=40), "ctcae-v5.0")
    assert (high["grade"], high["review"]) == (3, False)


def test_astct_hfnc_is_unchanged_by_the_fio2_reading():
    tp = _tp(_hfnc(50), "astct-2019")
    assert (tp["grade"], tp["review"]) == (3, False)
    assert tp["text"].startswith("grade 3: high-flow nasal cannula 50 L/min at day 1.1")


def test_adverse_event_reason_says_review():
    res = grade_crs_icans(_hfnc(None), crs="lee-2014", icans=None)
    ae = res.adverse_events.iloc[0]
    assert ae["grade"] == 3
    assert "read as > 6 L/min from the device name" in ae["reason"]
    assert "clinical review" in ae["reason"]


def test_grade_passes_ambiguous_to_crs():
    from aegrade.pipeline import grade

    obs = _hfnc(50)
    worse = grade(obs, crs="lee-2014", icans=None, hematology=False).subject_summary
    lower = grade(obs, crs="lee-2014", icans=None, hematology=False, ambiguous="lower")
    assert worse["crs_grade_lee-2014"].tolist() == [3]
    assert lower.subject_summary["crs_grade_lee-2014"].tolist() == [2]


# ---- masks without FiO2 (issue 13 leftover): by the FiO2 each mask can deliver

# (device, system) -> (grade with ambiguous="worse", grade with "lower", review)
_MASKS = {
    ("facemask", "lee-2014"): (3, 2, True),
    ("venturi", "lee-2014"): (3, 2, True),
    ("nonrebreather", "lee-2014"): (3, 3, False),
    ("facemask", "ctcae-v5.0"): (3, 2, True),
    ("venturi", "ctcae-v5.0"): (3, 2, True),
    ("nonrebreather", "ctcae-v5.0"): (3, 3, False),
    ("facemask", "astct-2019"): (3, 3, False),
    ("venturi", "astct-2019"): (3, 3, False),
    ("nonrebreather", "astct-2019"): (3, 3, False),
}


def _mask(device: str, flow: float | None = None, fio2: float | None = None) -> pd.DataFrame:
    rows = [("S1", 1.0, "TEMP", 39.0, "degC"), ("S1", 1.1, "OXYGEN", device, None, flow)]
    if fio2 is not None:
        rows.append(("S1", 1.1, "FIO2", fio2, "%"))
    return _obs(rows)


@pytest.mark.parametrize(("device", "system"), list(_MASKS), ids="-".join)
@pytest.mark.parametrize("flow", [None, 4.0, 15.0])
def test_mask_without_fio2_by_device_and_system(device: str, system: str, flow: float | None):
    worse_grade, lower_grade, review = _MASKS[(device, system)]
    worse = _tp(_mask(device, flow), system)
    lower = _tp(_mask(device, flow), system, ambiguous="lower")
    assert (worse["grade"], worse["review"]) == (worse_grade, review)
    assert (lower["grade"], lower["review"]) == (lower_grade, review)
    assert worse["rule"] == f"{worse['criteria']}/crs/hypoxia/{worse_grade}"
    if review:
        assert (
            "(no FiO2 charted: this mask may deliver FiO2 >= 40% or below it, read as >= 40%; "
            "clinical review)" in worse["text"]
        )
        assert "read as below 40%, option ambiguous=lower; clinical review" in lower["text"]
    else:
        assert "no FiO2 charted" not in worse["text"]


def test_lee_facemask_text_in_full():
    tp = _tp(_mask("facemask"), "lee-2014")
    assert tp["text"] == (
        "grade 3: facemask (no FiO2 charted: this mask may deliver FiO2 >= 40% or below it, read "
        "as >= 40%; clinical review) at day 1.1 (hypoxia tier 3, lee-2014)"
    )


@pytest.mark.parametrize("system", ["lee-2014", "ctcae-v5.0"])
@pytest.mark.parametrize(
    ("device", "fio2", "expected"),
    [
        ("venturi", 24.0, 2),
        ("venturi", 28.0, 2),
        ("venturi", 39.9, 2),
        ("venturi", 40.0, 3),
        ("venturi", 60.0, 3),
        ("facemask", 35.0, 2),
        ("facemask", 40.0, 3),
        ("nonrebreather", 30.0, 3),  # no source has it below 40%: the device keeps grade 3
        ("nonrebreather", 80.0, 3),
    ],
)
def test_charted_fio2_decides_for_facemask_and_venturi(system, device, fio2, expected):
    for ambiguous in ("worse", "lower"):
        tp = _tp(_mask(device, 8.0, fio2), system, ambiguous=ambiguous)
        assert (tp["grade"], tp["review"]) == (expected, False), ambiguous
