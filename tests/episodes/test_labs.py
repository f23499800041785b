"""Lab episodes (aegrade.episodes.labs): runs of abnormal grades per term, worst, onset, end."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import aegrade


def _ae(rows: list[tuple[str, float, float]]) -> pd.DataFrame:
    obs = pd.DataFrame(
        {
            "subject_id": [r[0] for r in rows],
            "day": [r[1] for r in rows],
            "parameter": "NEUT",
            "value": [r[2] for r in rows],
            "unit": "10^9/L",
            "lln": 1.8,
            "uln": 7.5,
        }
    )
    return aegrade.grade(obs).adverse_events


def test_runs_split_at_a_normal_value_and_take_worst_grade() -> None:
    ae = _ae(
        [("a", 0, 2.0), ("a", 1, 1.2), ("a", 2, 0.4), ("a", 3, 0.8), ("a", 4, 2.5), ("a", 5, 0.9)]
    )
    assert ae[["grade", "onset", "end", "n_observations"]].values.tolist() == [
        [4, 1.0, 3.0, 3],
        [3, 5.0, 5.0, 1],
    ]
    assert ae["resolved_day"].iloc[0] == 4.0 and pd.isna(ae["resolved_day"].iloc[1])
    assert ae["rule"].iloc[0] == "ctcae-v5.0/neutrophil-count-decreased/4"


def test_ungraded_values_neither_end_nor_extend_an_episode() -> None:
    ae = _ae([("a", 1, 1.2), ("a", 2, float("nan")), ("a", 3, 0.4), ("a", 4, 2.0)])
    assert len(ae) == 1
    assert (ae["onset"].iloc[0], ae["end"].iloc[0], ae["grade"].iloc[0]) == (1.0, 3.0, 4)


def test_subjects_and_row_order_are_independent() -> None:
    rows = [("a", 1, 1.2), ("b", 1, 0.3), ("a", 2, 2.0), ("b", 2, 1.6), ("a", 3, 1.0)]
    one = _ae(rows).sort_values(["subject_id", "onset"]).reset_index(drop=True)
    two = _ae(rows[::-1]).sort_values(["subject_id", "onset"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(one, two)
    assert one[["subject_id", "grade", "onset"]].values.tolist() == [
        ["a", 2, 1.0],
        ["a", 2, 3.0],
        ["b", 4, 1.0],
    ]  # ANC 1.0 is grade 2 ('<1500 - 1000')


def test_no_abnormal_value_no_episode() -> None:
    assert _ae([("a", 1, 2.0), ("a", 2, 3.0)]).empty


def test_only_treatment_emergent_episodes() -> None:
    # a: grade 2 at baseline and after -> not an AE; b: grade 2 at baseline, grade 4 after -> AE
    ae = _ae(
        [
            ("a", -1, 1.2),
            ("a", 0, 1.1),
            ("a", 2, 1.3),
            ("b", 0, 1.2),
            ("b", 3, 0.3),
            ("c", -2, 0.4),
            ("c", 5, 2.5),
        ]
    )
    assert ae[["subject_id", "grade", "onset"]].values.tolist() == [["b", 4, 3.0]]
    assert ae["baseline_grade"].tolist() == [2]


@pytest.mark.parametrize(
    "days", ["whole", "fractions", "with missing", "one day", "all missing", "integers"]
)
def test_episode_order_is_the_three_key_lexsort(days: str) -> None:
    """The packed-key sort of build_episodes gives np.lexsort((-grade, day, key))'s order,
    ties kept in input order (issue 15)."""
    import aegrade.episodes.labs as labs

    rng = np.random.default_rng(len(days))
    n = 5000
    key = rng.integers(0, 40, n)
    day = {
        "whole": rng.integers(-5, 60, n).astype(float),
        "fractions": rng.choice([0.5, 1.25, 1e-9, -3.0, 2.0, 7.75], n),
        "with missing": np.where(rng.random(n) > 0.8, np.nan, rng.integers(1, 9, n).astype(float)),
        "one day": np.full(n, 3.0),
        "all missing": np.full(n, np.nan),
        "integers": rng.integers(-5, 60, n),
    }[days]
    grade = rng.integers(0, 6, n).astype(float)
    expected = np.lexsort((-grade, day, key))
    assert labs._episode_order(key, day, grade).tolist() == expected.tolist()
    order, sorted_key, sorted_grade, sorted_day = labs._episode_sort(key, day, grade)
    assert order.tolist() == expected.tolist()
    # key, grade and day read back from the sorted words, not gathered
    assert sorted_key.tolist() == key[expected].tolist() and sorted_key.dtype == key.dtype
    assert sorted_grade.tolist() == grade[expected].tolist() and sorted_grade.dtype == float
    np.testing.assert_array_equal(sorted_day, day[expected])
    assert sorted_day.dtype == day.dtype
    small = grade.astype(np.int8)  # the int8 grades of stack_directions stay int8
    order8, _, grade8, _ = labs._episode_sort(key, day, small)
    assert order8.tolist() == expected.tolist()
    assert grade8.dtype == np.int8 and grade8.tolist() == small[expected].tolist()


def test_episode_order_falls_back_when_it_cannot_pack() -> None:
    import aegrade.episodes.labs as labs

    key = np.array([2**40, 0, 2**40])
    day = np.array([1e9, -1e9, 0.5])
    grade = np.array([1.0, 2.0, 3.0])
    assert labs._episode_order(key, day, grade).tolist() == [1, 2, 0]
    half = np.array([1.5, 2.0, 3.0])  # a grade that is no whole number does not pack
    order, sorted_key, sorted_grade, sorted_day = labs._episode_sort(key, day, half)
    assert order.tolist() == [1, 2, 0]  # the lexsort, the arrays gathered in its order
    assert sorted_key.tolist() == [0, 2**40, 2**40] and sorted_grade.tolist() == [2.0, 3.0, 1.5]
    assert sorted_day.tolist() == [-1e9, 0.5, 1e9]
    assert labs._episode_order(key[:0], day[:0], grade[:0]).tolist() == []


@pytest.mark.parametrize("dtype", ["Int8", "Int64", "float64", "object"])
def test_stacked_grades_are_int8_when_whole_else_float(dtype: str) -> None:
    """Grades 0..127 of any column type stack as int8 (-1: not graded); a grade below 0 or
    not a whole number keeps the float grades (NaN: not graded), graded as given (issue 15)."""
    from aegrade.episodes.labs import stack_directions

    def graded(grades: list[object]) -> pd.DataFrame:
        n = len(grades)
        column = pd.Series(grades, dtype=object)
        if dtype != "object":
            column = column.astype("Float64").astype(dtype)
        return pd.DataFrame(
            {
                "subject_id": ["S1"] * n,
                "criteria": "ctcae-v5.0",
                "term_low": "Anemia",
                "rule_low": "a/x",
                "grade_low": column,
                "term_high": None,
                "rule_high": None,
                "grade_high": np.nan,
            }
        )

    long = stack_directions(graded([0, 3, None, 2]), np.array([1.0, 2.0, 3.0, 4.0]))
    assert long.grades.dtype == np.int8 and long.grades.tolist() == [0, 3, -1, 2]
    assert long.graded.tolist() == [True, True, False, True]
    assert np.array_equal(long.grade, [0.0, 3.0, np.nan, 2.0], equal_nan=True)
    if dtype in ("float64", "object"):
        long = stack_directions(graded([0, 2.5, None]), np.array([1.0, 2.0, 3.0]))
        assert long.grades.dtype == float and long.graded.tolist() == [True, True, False]
    long = stack_directions(graded([-1, 2, None]), np.array([1.0, 2.0, 3.0]))
    assert long.grades.dtype == float and long.graded.tolist() == [True, True, False]
    assert long.grade[0] == -1.0


def test_long_grades_read_subject_term_system_and_rule_back_from_the_key() -> None:
    """One packed key per stacked entry: subject, term and system read back from it, the
    rule gathered from each side's rows on demand, ``source`` the graded row (issue 15)."""
    from aegrade.episodes.labs import stack_directions

    graded = pd.DataFrame(
        {
            "subject_id": pd.array(["S2", " ", "S1", "S2"], dtype="string"),
            "criteria": pd.Categorical(["ctcae-v5.0", "ctcae-v5.0", None, "ctcae-v4.03"]),
            "term_low": pd.Categorical(["Anemia", "Anemia", None, "Anemia"]),
            "rule_low": pd.Categorical(["a/1", "a/2", None, "a/0"]),
            "grade_low": pd.array([1, 2, None, 0], dtype="Int8"),
            "term_high": pd.Categorical([None, "Hyperkalemia", "Hyperkalemia", "Anemia"]),
            "rule_high": pd.Categorical([None, "k/2", None, "x/3"]),
            "grade_high": pd.array([None, 2, None, 3], dtype="Int8"),
        }
    )
    long = stack_directions(graded, np.array([1.0, 2.0, 3.0, 4.0]))
    assert long.source.tolist() == [0, 1, 3, 1, 2, 3]  # low side first, then high
    subjects = [None if c < 0 else str(long.subjects[c]) for c in long.subject]
    assert subjects == ["S2", None, "S2", None, "S1", "S2"]  # a blank id is no subject
    assert long.terms[long.term].tolist() == [
        "Anemia",
        "Anemia",
        "Anemia",
        "Hyperkalemia",
        "Hyperkalemia",
        "Anemia",
    ]
    systems = [None if c < 0 else long.systems[c] for c in long.criteria]
    assert systems == ["ctcae-v5.0", "ctcae-v5.0", "ctcae-v4.03", "ctcae-v5.0", None, "ctcae-v4.03"]
    rules = [None if c < 0 else long.rules[c] for c in long.rule]
    assert rules == ["a/1", "a/2", "a/0", "k/2", None, "x/3"]
    assert long.grades.tolist() == [1, 2, 0, 2, -1, 3]
    # one key per subject, term and system: S2's Anemia of v4.03 from both sides
    assert long.key[2] == long.key[5] and long.key[0] != long.key[2]
    assert long.post_baseline.tolist() == [True, False, True, False, False, True]
