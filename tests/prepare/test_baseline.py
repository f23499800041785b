"""The one baseline rule (aegrade.prepare.baseline) and the places that use it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aegrade.prepare.baseline import baseline_rows, baseline_values, derive_baseline
from aegrade.write.adam import build_adlb


def test_last_row_at_or_before_day_zero_per_key() -> None:
    key = np.array([0, 0, 0, 1, 1, -1])
    day = np.array([-5.0, -1.0, 3.0, 2.0, 0.0, -1.0])
    rows = baseline_rows(key, day, np.ones(6, bool))
    assert rows.tolist() == [1, 1, 1, 4, 4, -1]


def test_ties_on_a_day_go_to_the_higher_rank_then_the_later_row() -> None:
    key = np.zeros(3, np.int64)
    day = np.zeros(3)
    assert baseline_rows(key, day, np.ones(3, bool), rank=np.array([5.0, 9.0, 1.0]))[0] == 1
    assert baseline_rows(key, day, np.ones(3, bool))[0] == 2


def test_rejected_rows_are_never_a_baseline() -> None:
    key, day = np.zeros(2, np.int64), np.array([-2.0, 0.0])
    assert baseline_rows(key, day, np.array([True, False])).tolist() == [0, 0]
    value = np.array([100.0, np.nan])  # a rejected value is NaN in the prepared frame
    assert baseline_values(key, day, value).tolist() == [100.0, 100.0]


def test_given_baseline_wins_row_by_row() -> None:
    key, day = np.zeros(3, np.int64), np.array([-1.0, 1.0, 2.0])
    value = np.array([10.0, 20.0, 30.0])
    given = np.array([np.nan, 15.0, np.nan])
    assert baseline_values(key, day, value, given).tolist() == [10.0, 15.0, 10.0]


def test_derive_baseline_keys_on_subject_and_parameter() -> None:
    subject = np.array([0, 0, 0, 1, -1])
    param = np.array([0, 1, 0, 0, 0])
    day = np.array([0.0, -1.0, 5.0, 0.0, 0.0])
    value = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    out = derive_baseline(subject, param, day, value)
    assert out[:4].tolist() == [1.0, 2.0, 1.0, 4.0]
    assert np.isnan(out[4])


def test_adlb_flags_the_rule_baseline_but_not_a_rejected_record() -> None:
    graded = pd.DataFrame(
        {
            "subject_id": ["S1", "S1", "S1", "S2"],
            "parameter": ["NEUT"] * 4,
            "value": [1.5, 1.4, 0.4, 2.0],
            "day": [-2, 0, 5, 0],
            "reason": [None, "not graded: missing_unit (unit is missing)", None, None],
        }
    )
    assert build_adlb(graded)["ABLFL"].fillna("").tolist() == ["Y", "", "", "Y"]


def test_sparse_keys_give_the_same_rows_as_dense_ones() -> None:
    """Keys far apart (beyond the dense table's bound) are looked up by binary search with the
    same result as small keys."""
    rng = np.random.default_rng(7)
    n = 2_000
    dense = rng.integers(0, 50, n)
    day = rng.integers(-5, 10, n).astype(float)
    eligible = rng.random(n) > 0.2
    sparse = dense * 10_000_000 + 3  # same groups, far beyond 4 x n and 2**20
    assert (
        baseline_rows(sparse, day, eligible).tolist()
        == baseline_rows(dense, day, eligible).tolist()
    )
    assert (baseline_rows(dense, day, eligible) >= 0).sum() > n // 2


@pytest.mark.parametrize("with_rank", [True, False])
def test_running_maximums_pick_the_record_the_sort_picks(with_rank: bool) -> None:
    # small keys take three running maximums, keys beyond the dense range a lexsort: the
    # same record for every group, ties on the day and on the rank included
    rng = np.random.default_rng(11)
    n = 5000
    key = rng.integers(-1, 300, n)
    day = rng.choice(np.array([-3.0, -1.0, -0.0, 0.0, 0.5, np.nan, -np.inf]), n)
    rank = rng.choice(np.array([1.0, 2.0, 2.0, 3.0, -0.0, 0.0]), n) if with_rank else None
    eligible = rng.random(n) < 0.9
    dense = baseline_rows(key, day, eligible, rank)
    far = np.where(key >= 0, key + 10**12, -1)  # the same groups, far apart: sorted
    sparse = baseline_rows(far, day, eligible, rank)
    np.testing.assert_array_equal(dense, sparse)
    assert (dense >= 0).sum() > n // 2


def test_derive_baseline_in_blocks_on_threads_is_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    # keys, candidate rows and the final gather in blocks of 7 rows on two threads: the
    # blocks cut through subjects, and the candidates are joined back in row order
    from aegrade import threads

    monkeypatch.setattr(threads, "SMALLEST_BLOCK", 7)
    rng = np.random.default_rng(3)
    n = 400
    subject = rng.integers(-1, 12, n)
    param = rng.integers(-1, 5, n)
    day = rng.integers(-4, 6, n).astype(float)
    value = np.round(rng.random(n) * 100, 1)
    value[rng.random(n) < 0.1] = np.nan
    serial = derive_baseline(subject, param, day, value)
    threaded = derive_baseline(subject, param, day, value, threads=2)
    np.testing.assert_array_equal(serial, threaded)
    assert np.isfinite(serial).sum() > n // 2 and np.isnan(serial[subject < 0]).all()


@pytest.mark.parametrize("subjects", [50, 2_000_000])  # a dense key table, and a sparse one
def test_known_parameter_counts_give_the_same_baselines(subjects: int) -> None:
    # issue 15: with the rows per parameter known and the keys' bound small enough, the keys'
    # own extent is not searched for; the same baselines, rows without subject or parameter too
    rng = np.random.default_rng(9)
    n = 30_000
    subject = rng.integers(-1, subjects, n)
    param = rng.integers(-1, 40, n)
    day = rng.integers(-5, 10, n).astype(float)
    value = np.round(rng.random(n) * 100, 1)
    value[rng.random(n) < 0.1] = np.nan
    want = derive_baseline(subject, param, day, value)
    counts = np.bincount(param + 1, minlength=41)
    got = derive_baseline(subject, param, day, value, param_counts=counts, threads=2)
    np.testing.assert_array_equal(want, got)
    # few parameters among many (numbered 0.. in the keys), rows of no parameter too
    sparse = np.where(param >= 0, param * 25, -1)
    counts = np.bincount(sparse + 1, minlength=40 * 25 + 1)
    got = derive_baseline(subject, sparse, day, value, param_counts=counts)
    np.testing.assert_array_equal(want, got)
    assert (~np.isnan(got)).sum() > n // 4 if subjects == 50 else (~np.isnan(got)).any()


def _reference_baselines(key: np.ndarray, day: np.ndarray, value: np.ndarray) -> np.ndarray:
    """The rule written out row by row (small inputs only): per key, among the rows at day <= 0
    with a value, the latest day, then the higher value, then the later row."""
    best: dict[int, tuple[float, float, int]] = {}
    for row, (k, d, v) in enumerate(zip(key.tolist(), day.tolist(), value.tolist(), strict=True)):
        if k < 0 or not d <= 0.0 or v != v:  # no group, day after 0 or unknown, no value
            continue
        if k not in best or (d, v, row) > best[k]:
            best[k] = (d, v, row)
    return np.array([best[k][1] if k in best else np.nan for k in key.tolist()])


def _tied_rows(seed: int, n: int) -> tuple[np.ndarray, ...]:
    """Subjects, parameters, days and values full of ties: the same day twice or more, -0.0
    and 0.0, equal values, NaN values and days, -inf days, rows of no subject or parameter."""
    rng = np.random.default_rng(seed)
    subject = rng.integers(-1, 15, n)
    param = rng.integers(-1, 4, n)
    day = rng.choice(np.array([-7.0, -2.0, -1.5, -0.0, 0.0, 0.0, 1.0, 3.0, np.nan, -np.inf]), n)
    value = rng.choice(np.array([1.0, 2.0, 2.0, 5.0, -0.0, 0.0, np.nan, 1e300]), n)
    return subject, param, day, value


@pytest.mark.parametrize("seed", range(6))
def test_ties_pick_the_rule_s_record_on_any_threads_and_blocks(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # issue 15: the baseline search in blocks of rows on threads gives the record the rule
    # names (latest day, then the higher value, then the later row), whatever the blocks
    from aegrade import threads
    from aegrade.prepare import baseline

    subject, param, day, value = _tied_rows(seed, 3000)
    key = np.where((subject >= 0) & (param >= 0), subject * 4 + param, -1)
    want = _reference_baselines(key, day, value)
    assert np.isfinite(want).sum() > 1000 and np.isnan(want).sum() > 100
    got = [derive_baseline(subject, param, day, value), baseline_values(key, day, value)]
    for smallest, sub in ((7, 5), (64, 3), (1000, 1 << 16)):
        monkeypatch.setattr(threads, "SMALLEST_BLOCK", smallest)
        monkeypatch.setattr(baseline, "_SUB_BLOCK", sub)
        for workers in (1, 2, 3):
            got.append(derive_baseline(subject, param, day, value, threads=workers))
            got.append(baseline_values(key, day, value, threads=workers))
            counts = np.bincount(param + 1, minlength=5)
            got.append(
                derive_baseline(subject, param, day, value, param_counts=counts, threads=workers)
            )
    for out in got:
        np.testing.assert_array_equal(out, want)
        # -0.0 and 0.0 are equal values but different bits: the same record's bits
        np.testing.assert_array_equal(np.signbit(out), np.signbit(want))


def test_a_tie_on_day_and_value_goes_to_the_later_row() -> None:
    # -0.0 and 0.0: equal as days and as values, so the later row's value (its sign) wins
    key = np.zeros(4, np.int64)
    day = np.array([0.0, -0.0, -0.0, 5.0])
    value = np.array([0.0, -0.0, 0.0, 3.0])
    assert np.signbit(baseline_values(key, day, value)).tolist() == [False] * 4
    value = np.array([0.0, 0.0, -0.0, 3.0])
    assert np.signbit(baseline_values(key, day, value)).tolist() == [True] * 4
    # a later day wins over a higher value; a NaN day or value is never a baseline
    day = np.array([-1.0, 0.0, np.nan, -np.inf])
    value = np.array([9.0, 1.0, 7.0, 8.0])
    assert baseline_values(key, day, value).tolist() == [1.0] * 4
    value[1] = np.nan
    assert baseline_values(key, day, value).tolist() == [9.0] * 4
    day[0] = np.nan
    assert baseline_values(key, day, value).tolist() == [8.0] * 4


def test_specimens_and_far_subjects_give_the_rule_s_record(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # keys from subject, parameter and specimen, and subjects far apart (a sorted search)
    from aegrade import threads

    monkeypatch.setattr(threads, "SMALLEST_BLOCK", 11)
    subject, param, day, value = _tied_rows(21, 4000)
    specimen = np.random.default_rng(5).integers(-1, 3, len(subject))
    key = np.where((subject >= 0) & (param >= 0), (subject * 4 + param) * 4 + specimen + 1, -1)
    want = _reference_baselines(key, day, value)
    far = np.where(subject >= 0, subject * 10**9, -1)
    for workers in (1, 2):
        for subj in (subject, far):
            got = derive_baseline(subj, param, day, value, specimen=specimen, threads=workers)
            np.testing.assert_array_equal(got, want)


def test_records_picked_per_range_of_keys_are_the_rule_s(monkeypatch: pytest.MonkeyPatch) -> None:
    # issue 15: the key -> value table is filled by ranges of keys on the threads, each from
    # the candidates of every block of rows in row order: a tie on day, on value and on row
    # across blocks and ranges gives the later block's record (its -0.0 or 0.0)
    from aegrade import threads
    from aegrade.prepare import baseline

    found_a = (np.array([1, 2, 3]), np.array([0, 1, 4]), np.array([0.0, -1.0, -2.0]),
               np.array([0.0, 7.0, 3.0]))  # fmt: skip
    found_b = (np.array([10, 11, 12]), np.array([0, 1, 4]), np.array([-0.0, -1.0, -3.0]),
               np.array([-0.0, 6.0, 9.0]))  # fmt: skip
    monkeypatch.setattr(threads, "SMALLEST_BLOCK", 2)
    for key_range in (1, 2, 3, 1 << 16):
        monkeypatch.setattr(baseline, "_KEY_RANGE", key_range)
        for workers in (1, 2, 3):
            got = baseline._record_values([found_a, found_b], 7, workers)
            want = np.array([-0.0, 7.0, np.nan, np.nan, 3.0, np.nan, np.nan])
            np.testing.assert_array_equal(got, want)
            assert np.signbit(got[0])  # the later row's -0.0: equal day, equal value


@pytest.mark.parametrize("seed", range(4))
def test_tied_records_on_any_ranges_of_keys_and_threads(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aegrade import threads
    from aegrade.prepare import baseline

    subject, param, day, value = _tied_rows(seed + 40, 3000)
    key = np.where((subject >= 0) & (param >= 0), subject * 4 + param, -1)
    want = _reference_baselines(key, day, value)
    picked: list[int] = []  # blocks of rows whose candidates a table was filled from
    real = baseline._record_values

    def spy(found: list[tuple[np.ndarray, ...]], size: int, workers: int) -> np.ndarray:
        picked.append(len(found))
        return real(found, size, workers)  # type: ignore[arg-type]

    monkeypatch.setattr(baseline, "_record_values", spy)
    for smallest, sub, key_range in ((7, 5, 3), (64, 3, 1), (1000, 1 << 16, 7), (50, 16, 1 << 16)):
        monkeypatch.setattr(threads, "SMALLEST_BLOCK", smallest)
        monkeypatch.setattr(baseline, "_SUB_BLOCK", sub)
        monkeypatch.setattr(baseline, "_KEY_RANGE", key_range)
        for workers in (1, 2, 3):
            got = derive_baseline(subject, param, day, value, threads=workers)
            np.testing.assert_array_equal(got, want)
            np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
    assert max(picked) == 3 and min(picked) == 1
