"""CAR-HEMATOTOX (car-hematotox): every cut-off of SPEC section 4, in several units."""

from __future__ import annotations

import pandas as pd
import pytest

from aegrade.grading.hematology import summarize_hematology
from aegrade.grading.hematotox import score_car_hematotox
from aegrade.study import Study, Table

NORMAL = {
    "PLAT": (250, "10^9/L"),
    "NEUT": (3.0, "10^9/L"),
    "HGB": (12.0, "g/dL"),
    "CRP": (0.5, "mg/dL"),
    "FERRITIN": (300, "ng/mL"),
}
BAD = {  # 3 points: platelets 2, ferritin 1
    "PLAT": (50, "10^9/L"),
    "NEUT": (3.0, "10^9/L"),
    "HGB": (12.0, "g/dL"),
    "CRP": (0.5, "mg/dL"),
    "FERRITIN": (1000, "ng/mL"),
}


def score(**markers):
    """Summary row of one subject whose baselines are NORMAL updated by ``markers``."""
    values = {**NORMAL, **markers}
    obs = pd.DataFrame(
        [
            {"subject_id": "S1", "day": -5, "parameter": p, "value": v, "unit": u}
            for p, (v, u) in values.items()
            if v is not None
        ]
    )
    return summarize_hematology(obs).subject_summary.iloc[0]


@pytest.mark.parametrize(
    ("value", "unit", "points"),
    [
        (175.1, "10^9/L", 0),
        (175, "10^9/L", 1),
        (75, "10^9/L", 1),
        (74.9, "10^9/L", 2),
        (175000, "cells/uL", 1),
        (175001, "/uL", 0),
        (75000, "/mm3", 1),
        (74999, "/mm3", 2),
    ],
)
def test_platelets(value, unit, points):
    assert score(PLAT=(value, unit))["car_hematotox_points_plat"] == points


@pytest.mark.parametrize(
    ("value", "unit", "points"),
    [
        (1.2, "10^9/L", 0),
        (1.19, "10^9/L", 1),
        (1200, "cells/uL", 0),
        (1199, "cells/uL", 1),
    ],
)
def test_anc(value, unit, points):
    assert score(NEUT=(value, unit))["car_hematotox_points_anc"] == points


@pytest.mark.parametrize(
    ("value", "unit", "points"),
    [
        (9.0, "g/dL", 0),
        (8.99, "g/dL", 1),
        (90, "g/L", 0),
        (89.9, "g/L", 1),
    ],
)
def test_hemoglobin(value, unit, points):
    assert score(HGB=(value, unit))["car_hematotox_points_hgb"] == points


@pytest.mark.parametrize(
    ("value", "unit", "points"),
    [
        (3.0, "mg/dL", 1),
        (2.99, "mg/dL", 0),
        (30, "mg/L", 1),
        (29.9, "mg/L", 0),
    ],
)
def test_crp_in_mg_dl_and_mg_l(value, unit, points):
    assert score(CRP=(value, unit))["car_hematotox_points_crp"] == points


@pytest.mark.parametrize(
    ("value", "unit", "points"),
    [
        (649.9, "ng/mL", 0),
        (650, "ng/mL", 1),
        (2000, "ng/mL", 1),
        (2000.1, "ng/mL", 2),
        (650, "ug/L", 1),
        (2001, "ug/L", 2),
    ],
)
def test_ferritin(value, unit, points):
    assert score(FERRITIN=(value, unit))["car_hematotox_points_ferritin"] == points


def test_score_and_risk_classes():
    low = score(PLAT=(175, "10^9/L"))
    assert (low["car_hematotox_score"], low["car_hematotox_risk"]) == (1, "low")
    high = score(PLAT=(175, "10^9/L"), CRP=(3.0, "mg/dL"))
    assert (high["car_hematotox_score"], high["car_hematotox_risk"]) == (2, "high")
    top = score(
        PLAT=(10, "10^9/L"),
        NEUT=(0.1, "10^9/L"),
        HGB=(7, "g/dL"),
        CRP=(10, "mg/dL"),
        FERRITIN=(5000, "ng/mL"),
    )
    assert (top["car_hematotox_score"], top["car_hematotox_risk"]) == (7, "high")
    zero = score()
    assert (zero["car_hematotox_score"], zero["car_hematotox_risk"]) == (0, "low")


def test_missing_marker_gives_no_score_but_keeps_points():
    row = score(FERRITIN=(None, None), PLAT=(50, "10^9/L"))
    assert pd.isna(row["car_hematotox_score"]) and pd.isna(row["car_hematotox_risk"])
    assert pd.isna(row["car_hematotox_points_ferritin"])
    assert row["car_hematotox_points_plat"] == 2
    assert "FERRITIN" in row["car_hematotox_reason"]


def _with_plat(days: list[float], values: list[float], subjects: pd.DataFrame | None = None):
    obs = pd.DataFrame(
        [
            {"subject_id": "S1", "day": -6, "parameter": p, "value": v, "unit": u}
            for p, (v, u) in NORMAL.items()
        ]
    )
    extra = pd.DataFrame(
        {"subject_id": "S1", "day": days, "parameter": "PLAT", "value": values, "unit": "10^9/L"}
    )
    data = pd.concat([obs, extra])
    study = data if subjects is None else Study(Table(data), subjects=Table(subjects))
    return summarize_hematology(study)


def test_the_last_value_on_or_before_day_minus_5_is_scored():
    # SPEC section 4: "from the last values before lymphodepletion (... otherwise on or before
    # day -5, an option)"; before this revision the day-0 value (100) was scored.
    row = _with_plat([-10, -5, -4, 0], [20, 100, 50, 60]).subject_summary.iloc[0]
    assert row["car_hematotox_points_plat"] == 1  # day -5: 100; days -4 and 0 are after
    assert "on or before day -5 (no lymphodepletion_start)" in row["car_hematotox_reason"]


def test_day_minus_5_scoring_0_beats_day_0_scoring_3():
    obs = pd.DataFrame(
        [
            {"subject_id": "S1", "day": d, "parameter": p, "value": v, "unit": u}
            for d, values in ((-5, NORMAL), (0, BAD))
            for p, (v, u) in values.items()
        ]
    )
    row = summarize_hematology(obs).subject_summary.iloc[0]
    assert (row["car_hematotox_score"], row["car_hematotox_risk"]) == (0, "low")
    old = summarize_hematology(obs, hematotox_options={"window": "day_0"}).subject_summary
    assert old.iloc[0]["car_hematotox_risk"] == "high"
    assert "on or before day 0" in old.iloc[0]["car_hematotox_reason"]


def test_lymphodepletion_start_sets_the_window():
    subjects = pd.DataFrame({"subject_id": ["S1"], "lymphodepletion_start": [-3]})
    row = _with_plat([-5, -4, -3], [100, 20, 250], subjects).subject_summary.iloc[0]
    assert row["car_hematotox_points_plat"] == 2  # day -4 (20): last before day -3
    assert "before lymphodepletion start (day -3)" in row["car_hematotox_reason"]


def test_lymphodepletion_start_as_a_date():
    subjects = pd.DataFrame(
        {
            "subject_id": ["S1"],
            "treatment_start": ["2024-03-10"],
            "lymphodepletion_start": ["2024-03-06"],
        }
    )
    row = _with_plat([-5, -4], [250, 20], subjects).subject_summary.iloc[0]
    assert row["car_hematotox_points_plat"] == 0  # day -5 only: -4 is lymphodepletion day


def test_no_value_in_the_window_is_not_scored():
    obs = pd.DataFrame(
        [
            {"subject_id": "S1", "day": 0, "parameter": p, "value": v, "unit": u}
            for p, (v, u) in NORMAL.items()
        ]
    )
    row = summarize_hematology(obs).subject_summary.iloc[0]
    assert pd.isna(row["car_hematotox_score"])
    assert row["car_hematotox_reason"].startswith("not scored: no value (last values on or")


def test_baseline_column_wins():
    obs = pd.DataFrame(
        [
            {"subject_id": "S1", "day": 3, "parameter": p, "value": v, "unit": u, "baseline": v}
            for p, (v, u) in NORMAL.items()
        ]
    )
    obs.loc[obs["parameter"] == "CRP", "baseline"] = 4.0  # mg/dL, in the row's unit
    row = summarize_hematology(obs).subject_summary.iloc[0]
    assert (row["car_hematotox_points_crp"], row["car_hematotox_score"]) == (1, 1)


def test_score_from_canonical_frame():
    frame = pd.DataFrame(
        {"subject_id": ["A"] * 5, "parameter": list(NORMAL), "value": [74, 1.0, 85, 35, 2500]}
    )
    out = score_car_hematotox(frame, subjects=["A", "B"])
    assert out["car_hematotox_score"].tolist()[0] == 7
    assert pd.isna(out["car_hematotox_score"].tolist()[1])


def test_reasons_per_distinct_case_spell_out_every_subject() -> None:
    """Subjects sharing a case share its text; each text names its own points, the missing
    markers and the window words; a subject without window words has no reason."""
    import numpy as np

    base = pd.DataFrame(
        {
            "subject_id": ["A"] * 5 + ["B"] * 5 + ["C", "C", "D"],
            "parameter": ["PLAT", "NEUT", "HGB", "CRP", "FERRITIN"] * 2 + ["PLAT", "CRP", "HGB"],
            "value": [60, 0.9, 85, 12, 800, 60, 0.9, 85, 12, 800, 200, 40, 95],
        }
    )
    window = np.array(["w1", "w1", "w2", None], dtype=object)
    out = score_car_hematotox(base, subjects=["A", "B", "C", "D"], window=window)
    reason = out["car_hematotox_reason"]
    want = "score 5 = PLAT 2 + NEUT 1 + HGB 1 + CRP 0 + FERRITIN 1 [car-hematotox], from the w1"
    assert reason[0] == reason[1] == want
    assert reason[2] == (
        "not scored: no value (w2) for NEUT, HGB, FERRITIN; points present: "
        "PLAT 0 + NEUT NA + HGB NA + CRP 1 + FERRITIN NA"
    )
    assert pd.isna(reason[3])
    assert str(reason.dtype) == "string"
    empty = score_car_hematotox(base.iloc[:0], subjects=[])
    assert len(empty) == 0 and str(empty["car_hematotox_reason"].dtype) == "string"
