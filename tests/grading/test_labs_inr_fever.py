"""INR "if on anticoagulation" and sustained fever from sparse readings (issue 12 points 3, 4).

The case tables (tests/cases/ctcae/anticoagulation-fever.csv) hold the boundary rows under the
default ``ambiguous="worse"``; here: the ``"lower"`` reading, the flag read from the subjects
table, the reason text, and ``max_gap_hours`` as an option of a criteria file.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import aegrade
from aegrade.criteria.ctcae import Anticoagulation, Compare
from aegrade.grading import predicates as P
from aegrade.read import load_study


def _inr(
    values: list[float], baselines: list[float], flag: list[object] | None = None
) -> pd.DataFrame:
    data = pd.DataFrame({"parameter": "INR", "value": values, "baseline": baselines})
    return data if flag is None else data.assign(anticoagulated=flag)


@pytest.mark.parametrize(
    ("ambiguous", "expected"),
    [("worse", [1, 3]), ("lower", [0, 2])],
)
def test_inr_without_the_flag_takes_the_ambiguous_reading_and_review(
    ambiguous: str, expected: list[int]
) -> None:
    out = aegrade.grade_labs(_inr([1.05, 2.3], [1.0, 0.9]), ambiguous=ambiguous)  # type: ignore[arg-type]
    assert out["grade_high"].tolist() == expected
    assert out["review"].tolist() == [True, True]
    assert out["reason"].str.contains("anticoagulation not recorded").all()


@pytest.mark.parametrize("ambiguous", ["worse", "lower"])
def test_inr_with_the_flag_is_decided_and_not_reviewed(ambiguous: str) -> None:
    data = _inr([1.05, 2.3, 1.05, 2.3], [1.0, 0.9, 1.0, 0.9], ["yes", "yes", "no", "no"])
    out = aegrade.grade_labs(data, ambiguous=ambiguous)  # type: ignore[arg-type]
    assert out["grade_high"].tolist() == [1, 3, 0, 2]
    assert not out["review"].any()
    assert not out["reason"].str.contains("not recorded").any()


def test_inr_flag_words_true_false_and_blank() -> None:
    data = _inr([2.3, 2.3, 2.3], [0.9, 0.9, 0.9], [True, False, None])
    out = aegrade.grade_labs(data, ambiguous="lower")
    assert out["grade_high"].tolist() == [3, 2, 2]
    assert out["review"].tolist() == [False, False, True]


def test_inr_v403_uln_multiples_without_the_flag() -> None:
    data = _inr([2.3], [0.9]).assign(uln=1.1)
    worse = aegrade.grade_labs(data, "4.03")
    lower = aegrade.grade_labs(data, "4.03", ambiguous="lower")
    assert (worse["grade_high"].iloc[0], lower["grade_high"].iloc[0]) == (3, 2)
    assert worse["review"].iloc[0] and lower["review"].iloc[0]


def test_inr_same_grade_either_way_is_not_reviewed() -> None:
    out = aegrade.grade_labs(_inr([1.3], [1.2]))
    assert out["grade_high"].iloc[0] == 1
    assert not out["review"].iloc[0]


def test_anticoagulated_read_from_the_subjects_table() -> None:
    obs = pd.DataFrame(
        {
            "subject_id": ["01", "01", "02", "02"],
            "day": [0, 7, 0, 7],
            "parameter": "INR",
            "value": [0.9, 2.3, 0.9, 2.3],
        }
    )
    subjects = pd.DataFrame({"subject_id": ["01", "02"], "anticoagulated": ["Y", "N"]})
    result = aegrade.grade(load_study(observations=obs, subjects=subjects), hematology=False)
    graded = result.graded_observations
    assert graded["grade_high"].tolist() == [0, 3, 0, 2]
    assert not graded["review"].any()


def test_a_row_flag_wins_over_the_subjects_table() -> None:
    obs = pd.DataFrame(
        {
            "subject_id": ["01", "01"],
            "day": [0, 7],
            "parameter": "INR",
            "value": [0.9, 2.3],
            "anticoagulated": [None, "no"],
        }
    )
    subjects = pd.DataFrame({"subject_id": ["01"], "anticoagulated": ["yes"]})
    result = aegrade.grade(load_study(observations=obs, subjects=subjects), hematology=False)
    assert result.graded_observations["grade_high"].tolist() == [0, 2]


def test_anticoagulation_condition_model() -> None:
    rows = P.Rows(value=np.zeros(3), anticoagulated=np.array([1.0, 0.0, np.nan]))
    true, known = P.eval_anticoagulation(Anticoagulation(anticoagulated=False), rows)
    assert true.tolist() == [False, True, False]
    assert known.tolist() == [True, True, False]
    none = P.Rows(value=np.zeros(2))
    assert P.eval_anticoagulation(Anticoagulation(anticoagulated=True), none)[1].tolist() == [
        False,
        False,
    ]


def _fever(hours: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "subject_id": "a",
            "day": [1 + h / 24 for h in hours],
            "parameter": "TEMP",
            "value": 40.5,
            "unit": "degC",
        }
    )


def test_two_readings_30_hours_apart_are_grade_3_with_review() -> None:
    out = aegrade.grade_labs(_fever([0, 30]))
    assert out["grade_high"].tolist() == [3, 3]
    assert out["review"].tolist() == [False, True]


@pytest.mark.parametrize(
    ("hours", "grades", "review"),
    [
        ([0, 12, 24, 25], [3, 3, 3, 4], [False] * 4),  # gaps of exactly 12 h: sustained
        ([0, 12.1, 24, 25], [3, 3, 3, 3], [False, False, False, True]),  # one gap of 12.1 h
        ([0, 12, 24], [3, 3, 3], [False] * 3),  # exactly 24 h is '<=24 hrs'
        ([0, 12, 24, 24.1], [3, 3, 3, 4], [False] * 4),  # just over 24 h, gaps <= 12 h
        ([0, 12, 24.1], [3, 3, 3], [False, False, True]),  # last gap 12.1 h: not shown
    ],
)
def test_fever_gap_and_span_boundaries(
    hours: list[float], grades: list[int], review: list[bool]
) -> None:
    out = aegrade.grade_labs(_fever(hours).sample(frac=1, random_state=3)).sort_index()
    assert out["grade_high"].tolist() == grades
    assert out["review"].tolist() == review


def test_max_gap_hours_is_an_option_of_the_rule() -> None:
    rows = P.Rows(
        value=np.full(3, 40.5),
        time=np.array([0.0, 13 / 24, 25 / 24]),
        subject=np.zeros(3, int),
    )
    strict = Compare(op="gt", ref="absolute", threshold=40.0, sustained_hours=24, max_gap_hours=12)
    loose = Compare(op="gt", ref="absolute", threshold=40.0, sustained_hours=24, max_gap_hours=13)
    t12, k12 = P.eval_compare(strict, rows, "degC", [])
    t13, k13 = P.eval_compare(loose, rows, "degC", [])
    assert t12.tolist() == [False, False, False] and k12.tolist() == [True, True, False]
    assert t13.tolist() == [False, False, True] and k13.tolist() == [True, True, True]


def test_max_gap_hours_needs_sustained_hours() -> None:
    with pytest.raises(ValueError, match="max_gap_hours"):
        Compare(op="gt", ref="absolute", threshold=40.0, max_gap_hours=12)
