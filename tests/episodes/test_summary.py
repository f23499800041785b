"""The one worst-grade reduction and the subject summary (aegrade.episodes.summary)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import aegrade
from aegrade.episodes.labs import stack_directions
from aegrade.episodes.summary import summarize_subjects, worst_by_term, worst_per_subject


def test_worst_per_subject_na_unless_assessed() -> None:
    subject = np.array([0, 0, 1, 3, -1])
    grade = np.array([2.0, 4.0, np.nan, 1.0, 5.0])
    assessed = np.array([False, True, True, False])
    out = worst_per_subject(subject, grade, 4, assessed=assessed)
    assert str(out.dtype) == "Int64"
    # NaN grade and code -1 are ignored; an assessed subject without a grade is 0
    assert out.tolist() == [4, 0, 0, 1]
    assert worst_per_subject(subject, grade, 4).fillna(-1).tolist() == [4, -1, -1, 1]


def _graded() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "subject_id": ["S1", "S1", "S1", "S2", "S2"],
            "criteria": "ctcae-v5.0",
            "term_low": ["Anemia", "Anemia", "Anemia", "Anemia", None],
            "rule_low": ["a/3", "a/1", "a/2", "a/0", None],
            "grade_low": [3.0, 1.0, 2.0, 0.0, np.nan],
            "term_high": [None, None, None, None, "Hyperkalemia"],
            "rule_high": [None, None, None, None, "k/2"],
            "grade_high": [np.nan, np.nan, np.nan, np.nan, 2.0],
        }
    )


DAYS = np.array([0.0, 2.0, 3.0, 1.0, np.nan])


def test_worst_by_term_counts_post_baseline_and_dayless_rows() -> None:
    worst = worst_by_term(stack_directions(_graded(), DAYS))
    # S1's grade 3 is at baseline (day 0); S2's Hyperkalemia has no day: post-baseline
    assert worst.values.tolist() == [
        ["S1", "Anemia", "ctcae-v5.0", 2],
        ["S2", "Anemia", "ctcae-v5.0", 0],
        ["S2", "Hyperkalemia", "ctcae-v5.0", 2],
    ]


def test_summary_adds_clinician_terms_no_value_graded() -> None:
    graded = _graded()
    ae = pd.DataFrame(
        {
            "subject_id": ["S1", "S3", "S1"],
            "term": ["Headache", "Headache", "Anemia"],
            "criteria": "ctcae-v5.0",
            "grade": pd.array([2, 1, 4], dtype="Int64"),
            "source": "clinician",
        }
    )
    subjects = pd.DataFrame({"subject_id": ["S1", "S2", "S3"], "arm": ["A", "B", "A"]})
    out = summarize_subjects(subjects, ae, graded, stack_directions(graded, DAYS))
    assert out.columns.tolist() == [
        "subject_id",
        "arm",
        "n_observations",
        "Anemia [ctcae-v5.0]",
        "Headache [ctcae-v5.0]",
        "Hyperkalemia [ctcae-v5.0]",
    ]
    assert out["n_observations"].tolist() == [3, 2, 0]
    # the clinician's Anemia grade 4 is not used: values graded Anemia
    assert out["Anemia [ctcae-v5.0]"].fillna(-1).tolist() == [2, 0, -1]
    assert out["Headache [ctcae-v5.0]"].fillna(-1).tolist() == [2, -1, 1]


def test_grade_builds_the_summary_here() -> None:
    obs = pd.DataFrame(
        {
            "subject_id": ["a", "a", "b"],
            "day": [1.0, 2.0, 1.0],
            "parameter": "NEUT",
            "value": [0.4, 2.5, 2.0],
            "unit": "10^9/L",
            "lln": 1.8,
            "uln": 7.5,
        }
    )
    s = aegrade.grade(obs, crs=None, icans=None, hematology=False).subject_summary
    assert s["Neutrophil count decreased [ctcae-v5.0]"].tolist() == [4, 0]


def _random_graded(seed: int, n: int = 400) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    terms = np.array(["Anemia", "Hypokalemia", "Platelet count decreased", None], dtype=object)
    low = terms[rng.integers(0, 4, n)]
    high = np.where(low == None, "Hyperkalemia", None)  # noqa: E711
    grade = rng.integers(0, 5, n).astype(float)
    grade[rng.random(n) < 0.1] = np.nan
    graded = pd.DataFrame(
        {
            "subject_id": pd.array(rng.choice(["S1", "S2", "10", "S 4"], n), dtype="string"),
            "criteria": rng.choice(["ctcae-v5.0", "ctcae-v4.03"], n),
            "term_low": low,
            "rule_low": np.where(low == None, None, "r/low"),  # noqa: E711
            "grade_low": np.where(low == None, np.nan, grade),  # noqa: E711
            "term_high": high,
            "rule_high": np.where(high == None, None, "r/high"),  # noqa: E711
            "grade_high": np.where(high == None, np.nan, grade),  # noqa: E711
        }
    )
    return graded, rng.integers(-3, 30, n).astype(float)


def test_the_wide_grades_are_the_pivot_of_the_worst_grades(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import aegrade.episodes.summary as summary_module

    subjects = pd.DataFrame(
        {"subject_id": pd.array(["S2", "S1", "S9", "10", "S 4"], dtype="string"), "arm": "A"}
    )
    no_events = pd.DataFrame({"source": pd.Series([], dtype=object)})
    for seed in range(5):
        graded, day = _random_graded(seed)
        long = stack_directions(graded, day)
        assert summary_module._wide_grades(subjects, worst_by_term(long)) is not None
        fast = summarize_subjects(subjects, no_events, graded, long)
        with monkeypatch.context() as m:
            m.setattr(summary_module, "_wide_grades", lambda out, worst: None)
            pivot = summarize_subjects(subjects, no_events, graded, long)
        pd.testing.assert_frame_equal(fast, pivot)
        assert fast.columns.tolist()[:3] == ["subject_id", "arm", "n_observations"]
        assert fast["subject_id"].tolist()[2] == "S9"  # a subject without grades: all NA
        assert fast.iloc[2, 3:].isna().all()
