"""The one episode builder (aegrade.episodes.build): runs, openers, gaps, stats, rows."""

from __future__ import annotations

import numpy as np
import pytest

from aegrade.episodes.build import (
    EPISODE_COLUMNS,
    Episodes,
    episode_rows,
    episode_stats,
    find_episodes,
)

KEY = np.array([0, 0, 0, 0, 0, 0, 1, 1])
DAY = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 9.0, 1.0, 2.0])
GRADE = np.array([1, 3, 0, 2, 2, 1, 0, 4])


def _ranges(eps: Episodes) -> list[tuple[int, int]]:
    return list(zip(eps.first.tolist(), eps.last.tolist(), strict=True))


def test_consecutive_runs_end_at_a_normal_observation_and_at_a_new_key() -> None:
    eps = find_episodes(KEY, DAY, GRADE >= 1)
    assert _ranges(eps) == [(0, 1), (3, 5), (7, 7)]


def test_a_gap_joins_abnormal_observations_across_normal_ones() -> None:
    # day 2 -> 4 is 2 days apart (joined), day 5 -> 9 is 4 days (split)
    eps = find_episodes(KEY, DAY, GRADE >= 1, gap_days=2.0)
    assert _ranges(eps) == [(0, 4), (5, 5), (7, 7)]


def test_gap_compares_with_a_tolerance_of_binary_rounding() -> None:
    day = np.array([0.1, 0.2 + 1 / 24])  # 1 hour apart, not exactly in binary
    eps = find_episodes(np.zeros(2, int), day, np.ones(2, bool), gap_days=1 / 24 + 0.1)
    assert _ranges(eps) == [(0, 1)]


def test_an_episode_opens_only_at_an_opener() -> None:
    opens = np.array([False, True, False, False, False, False, False, False])
    eps = find_episodes(KEY, DAY, GRADE >= 1, gap_days=2.0, opens=opens)
    # run 0..4 starts at its first opener (1); the later runs have none
    assert _ranges(eps) == [(1, 4)]


def test_no_abnormal_observation_no_episode() -> None:
    eps = find_episodes(KEY, DAY, np.zeros(len(KEY), bool))
    assert len(eps) == 0 and eps.membership(len(KEY)).tolist() == [-1] * len(KEY)


def test_membership_covers_each_range() -> None:
    eps = find_episodes(KEY, DAY, GRADE >= 1, gap_days=2.0)
    assert eps.membership(len(KEY)).tolist() == [0, 0, 0, 0, 0, 1, -1, 2]


def test_stats_next_normal_resolution() -> None:
    abnormal = GRADE >= 1
    eps = find_episodes(KEY, DAY, abnormal)
    s = episode_stats(eps, KEY, DAY, GRADE, resolution="next_normal", abnormal=abnormal)
    assert s.worst.tolist() == [3, 2, 4]
    assert s.worst_at.tolist() == [1, 3, 7]  # the earliest observation at the worst grade
    assert s.onset.tolist() == [1.0, 4.0, 2.0]
    assert s.end.tolist() == [2.0, 9.0, 2.0]
    assert s.n_observations.tolist() == [2, 3, 1]
    # episode 0 resolves at day 3 (grade 0); the others are the last of their key
    assert np.array_equal(s.resolved_day, [3.0, np.nan, np.nan], equal_nan=True)


def test_stats_after_gap_resolution_needs_follow_up() -> None:
    eps = find_episodes(KEY, DAY, GRADE >= 1, gap_days=2.0)
    s = episode_stats(eps, KEY, DAY, GRADE, resolution="after_gap", gap_days=2.0)
    # key 0 is followed to day 9: 5 + 2 = 7 is seen, 9 + 2 is not; key 1 ends on day 2
    assert np.array_equal(s.resolved_day, [7.0, np.nan, np.nan], equal_nan=True)
    assert s.n_observations.tolist() == [5, 1, 1]  # a range counts its normal observations


def test_stats_next_normal_needs_abnormal() -> None:
    eps = find_episodes(KEY, DAY, GRADE >= 1)
    with pytest.raises(ValueError, match="abnormal"):
        episode_stats(eps, KEY, DAY, GRADE, resolution="next_normal")


def test_rows_in_the_adverse_event_layout() -> None:
    abnormal = GRADE >= 1
    eps = find_episodes(KEY, DAY, abnormal)
    s = episode_stats(eps, KEY, DAY, GRADE, resolution="next_normal", abnormal=abnormal)
    ae = episode_rows(
        s,
        subject_id=np.array(["A", "B"])[KEY[eps.first]],
        term="Anemia",
        criteria="ctcae-v5.0",
        grade=s.worst,
        rule=np.array([f"r{g}" for g in GRADE], object)[s.worst_at],
    )
    assert ae.columns.tolist() == EPISODE_COLUMNS
    assert ae[["subject_id", "grade", "duration", "rule", "source"]].values.tolist() == [
        ["A", 3, 1.0, "r3", "derived"],
        ["A", 2, 5.0, "r2", "derived"],
        ["B", 4, 0.0, "r4", "derived"],
    ]


def test_text_codes_are_factorize_of_the_ids_as_text_given_once_per_column() -> None:
    import pandas as pd

    from aegrade.episodes.build import text_codes

    ids = pd.Series(["S2", "S1", None, "S2", " S1"], dtype="string")
    codes, uniques = text_codes(ids)
    want_codes, want_uniques = pd.factorize(ids, use_na_sentinel=True)
    assert codes.tolist() == want_codes.tolist() == [0, 1, -1, 0, 2]
    assert uniques.tolist() == list(want_uniques) == ["S2", "S1", " S1"]
    assert codes.dtype == np.int64 and uniques.dtype == object
    again = text_codes(ids.copy(deep=False))  # the same data: the same arrays, not recomputed
    assert again[0] is codes and again[1] is uniques
    assert not codes.flags.writeable and not uniques.flags.writeable  # shared: read-only
    other = ids.astype(object).astype("string")  # equal ids, other data: factorized anew
    assert text_codes(other)[0] is not codes
    assert text_codes(other)[0].tolist() == codes.tolist()
    numbers = pd.Series([7, 8, 7])  # not text yet: made text, then coded
    assert text_codes(numbers)[0].tolist() == [0, 1, 0]
    assert text_codes(numbers)[1].tolist() == ["7", "8"]


def test_text_codes_know_a_column_shared_by_a_concat() -> None:
    """A frame's column joined into another frame (as assemble_grades does) is other Arrow
    arrays over the same buffers: its codes are given again, not recomputed (issue 15); a
    slice of it (other offset or length) is factorized anew."""
    import pandas as pd

    from aegrade.episodes.build import text_codes

    frame = pd.DataFrame({"subject_id": pd.array(["b", "a", "b", None], dtype="string")})
    joined = pd.concat([frame.copy(deep=False), pd.DataFrame({"x": range(4)})], axis=1)
    codes, uniques = text_codes(frame["subject_id"])
    again = text_codes(joined["subject_id"])
    assert again[0] is codes and again[1] is uniques
    part = text_codes(joined["subject_id"].iloc[1:])
    assert part[0] is not codes and part[0].tolist() == [0, 1, -1]


def test_widened_sort_gives_the_stable_order_and_the_sorted_keys() -> None:
    from aegrade.episodes.build import stable_order, widened_sort

    rng = np.random.default_rng(3)
    packed = rng.integers(0, 50, 2000)
    wide = widened_sort(packed)
    assert wide is not None
    expected = np.argsort(packed, kind="stable")
    assert (wide % len(packed)).tolist() == expected.tolist() == stable_order(packed).tolist()
    assert (wide // len(packed)).tolist() == np.sort(packed).tolist()
    assert widened_sort(np.array([1, -1])) is None  # a negative key does not widen
    assert widened_sort(np.array([2**62, 0])) is None  # nor one that overflows
    assert widened_sort(np.zeros(0, np.int64)) is None


def _stats_reference(
    eps: Episodes, day: np.ndarray, grade: np.ndarray
) -> list[tuple[float, int, float, float, int]]:
    """worst grade, its first position, lowest and highest day (NaN ignored), size: per
    episode, by a plain loop over its rows."""
    out = []
    for f, last in _ranges(eps):
        g = grade[f : last + 1].tolist()
        d = [x for x in day[f : last + 1].tolist() if not np.isnan(x)]
        worst = max(g)
        onset = min(d) if d else np.nan
        end = max(d) if d else np.nan
        out.append((float(worst), f + g.index(worst), onset, end, last - f + 1))
    return out


@pytest.mark.parametrize("days", ["ascending", "with missing", "unordered"])
@pytest.mark.parametrize("dtype", [np.int8, np.int64, float])
def test_stats_match_a_plain_loop_for_every_grade_type_and_day_order(
    days: str, dtype: type
) -> None:
    """The range reductions (worst grade and its position in one word for whole grades; the
    first and last day where a range's days ascend without NaN, else reduced) against a
    loop: ties at the worst grade take the first row, a NaN day is skipped, an episode that
    runs to the last row is included (issue 15)."""
    rng = np.random.default_rng(len(days) + np.dtype(dtype).itemsize)
    n = 3000
    key = np.sort(rng.integers(0, 60, n))
    day = np.concatenate([np.arange(c, dtype=float) for c in np.bincount(key)])
    if days == "with missing":
        day[rng.random(n) < 0.1] = np.nan
    elif days == "unordered":
        day = rng.permutation(day)
    grade = rng.choice([0, 1, 1, 2, 3, 4], n).astype(dtype)
    grade[-3:] = 2  # the last episode runs to the end
    grade[:2] = 0  # the first one starts later
    abnormal = grade >= 1
    eps = find_episodes(key, day, abnormal)
    s = episode_stats(eps, key, day, grade, resolution="next_normal", abnormal=abnormal)
    got = list(
        zip(
            s.worst.astype(float).tolist(),
            s.worst_at.tolist(),
            s.onset.tolist(),
            s.end.tolist(),
            s.n_observations.tolist(),
            strict=True,
        )
    )
    want = _stats_reference(eps, day, grade)
    assert len(want) > 100 and eps.last[-1] == n - 1 and eps.first[0] > 0
    assert np.array_equal(np.array(got, float), np.array(want, float), equal_nan=True)
    assert s.worst.dtype == grade.dtype
