"""Bedside scorers and one-time-point grading (aegrade.grading.bedside)."""

from __future__ import annotations

import pytest

from aegrade.grading.bedside import (
    ScoreError,
    capd_score,
    grade_crs_timepoint,
    grade_icans_timepoint,
    ice_score,
)


def test_ice_score_sums_items() -> None:
    assert ice_score(4, 3, 1, 1, 1) == 10
    assert ice_score(0, 0, 0, 0, 0) == 0
    assert ice_score(3, 2, 1, 1, 0) == 7


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ((5, 3, 1, 1, 1), "orientation must be from 0 to 4"),
        ((4, 4, 1, 1, 1), "naming must be from 0 to 3"),
        ((4, 3, 2, 1, 1), "commands must be from 0 to 1"),
        ((4, 3, 1, -1, 1), "writing must be from 0 to 1"),
        ((4, 3, 1, 1, 1.5), "attention must be a whole number"),
        ((4, 3, True, 1, 1), "commands must be a whole number"),
    ],
)
def test_ice_score_validates(items: tuple, message: str) -> None:
    with pytest.raises(ScoreError, match=message):
        ice_score(*items)


def test_capd_score() -> None:
    assert capd_score([4] * 8) == 32
    assert capd_score([1, 1, 1, 1, 1, 1, 1, 2]) == 9
    with pytest.raises(ScoreError, match="8 items"):
        capd_score([1] * 7)
    with pytest.raises(ScoreError, match="CAPD item 3 must be from 0 to 4"):
        capd_score([0, 0, 5, 0, 0, 0, 0, 0])


@pytest.mark.parametrize(
    ("kwargs", "grade"),
    [
        ({"temp": 38.0}, 1),
        ({"temp": 37.9}, 0),
        ({"temp": 38.5, "oxygen": "nasal_cannula", "flow": 6.0}, 2),
        ({"temp": 38.5, "oxygen": "nasal_cannula", "flow": 6.5}, 3),
        ({"temp": 38.5, "pressors": ["vasopressin"]}, 3),
        ({"temp": 38.5, "pressors": ["norepinephrine", "vasopressin"]}, 3),
        ({"temp": 38.5, "pressors": ["norepinephrine", "epinephrine"]}, 4),
        ({"oxygen": "bipap", "episode_ongoing": True}, 4),
        ({"oxygen": "bipap"}, 0),
        ({"temp": 101.0, "temp_unit": "degF", "sysbp": 85}, 2),
        ({"temp": 38.5, "fio2": 40, "criteria": "lee-2014"}, 3),
        ({"temp": 38.5, "pressors": ["norepinephrine"], "criteria": "ctcae"}, 3),
    ],
)
def test_grade_crs_timepoint(kwargs: dict, grade: int) -> None:
    assert grade_crs_timepoint(**kwargs).grade == grade


def test_grade_crs_timepoint_text() -> None:
    res = grade_crs_timepoint(temp=38.5, oxygen="nasal_cannula", flow=8)
    assert res.criteria == "astct-2019"
    assert res.text == (
        "grade 3: nasal cannula 8 L/min at day 0 (hypoxia tier 3, astct-2019); "
        "episode onset (fever >= 38 degC)"
    )


@pytest.mark.parametrize(
    ("kwargs", "grade"),
    [
        ({"ice": 10}, 0),
        ({"ice": 7}, 1),
        ({"ice": 3}, 2),
        ({"ice": 2}, 3),
        ({"ice": 0, "loc": "alert"}, 3),
        ({"ice": 0, "loc": "unarousable"}, 4),
        ({"ice": 5, "capd": 12, "age": 12}, 2),
        ({"ice": 5, "capd": 12, "age": 11}, 3),
        ({"capd": 4, "loc": "awakens_to_voice", "age": 4}, 2),
        ({"capd": "unable", "age": 4}, 4),
        ({"ice": 9, "seizure": "prolonged"}, 4),
        ({"ice": 10, "icp": "focal_edema"}, 3),
        ({"ice": 5, "capd": 12, "age": 11, "capd_age_cutoff": 10}, 2),
    ],
)
def test_grade_icans_timepoint(kwargs: dict, grade: int) -> None:
    assert grade_icans_timepoint(**kwargs).grade == grade
