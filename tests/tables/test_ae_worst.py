from __future__ import annotations

import numpy as np
import pandas as pd

from aegrade.tables.worst import flag_worst, worst_grade_records, worst_grades


def test_first_record_at_worst_grade_earliest_onset():
    ae = pd.DataFrame(
        {
            "subject_id": ["1", "1", "1", "2"],
            "term": ["Fever"] * 4,
            "grade": pd.array([2, 3, 3, 1], dtype="Int64"),
            "onset": [1.0, 9.0, 4.0, 2.0],
        }
    )
    assert flag_worst(ae).tolist() == [False, False, True, True]


def test_ties_with_same_onset_keep_input_order_and_missing_onset_last():
    ae = pd.DataFrame(
        {
            "subject_id": ["1"] * 3,
            "term": ["Fever"] * 3,
            "grade": [3, 3, 3],
            "onset": [np.nan, 5.0, 5.0],
        }
    )
    assert flag_worst(ae).tolist() == [False, True, False]


def test_missing_grade_is_never_the_worst():
    ae = pd.DataFrame(
        {
            "subject_id": ["1", "1", "2"],
            "term": ["A", "A", "A"],
            "grade": pd.array([pd.NA, 1, pd.NA], dtype="Int64"),
            "onset": [0.0, 1.0, 1.0],
        }
    )
    assert flag_worst(ae).tolist() == [False, True, False]


def test_grouping_by_nothing_gives_one_record_per_subject():
    ae = pd.DataFrame(
        {
            "subject_id": ["1", "1", "2"],
            "term": ["A", "B", "A"],
            "grade": [2, 4, 1],
            "onset": [0.0, 1.0, 1.0],
        }
    )
    recs = worst_grade_records(ae, by=())
    assert recs["term"].tolist() == ["B", "A"]
    assert recs.index.tolist() == [1, 2]


def test_input_not_mutated():
    ae = pd.DataFrame(
        {"subject_id": ["1", "1"], "term": ["A", "A"], "grade": [1, 2], "onset": [1.0, 0.0]}
    )
    before = ae.copy()
    flag_worst(ae)
    pd.testing.assert_frame_equal(ae, before)


def test_worst_grades_from_codes():
    group, sub, worst = worst_grades(
        np.array([0, 0, 1, 0]), np.array([0, 0, 0, 1]), np.array([1.0, 3.0, np.nan, 2.0])
    )
    got = sorted(zip(group.tolist(), sub.tolist(), worst.tolist(), strict=True))
    assert got == [(0, 0, 3.0), (0, 1, 2.0)]
