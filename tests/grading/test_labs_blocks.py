"""Blocked grading (aegrade.grading.labs.BLOCK_ROWS) equals grading every row at once, on one
thread or on several.

The compiled engine grades rows in blocks; with blocks of 7 rows every block cuts through
subjects and parameter groups, so any result that depended on the block (a baseline, a
duration, a reason category, a review flag) would show here. With ``threads=2`` the blocks
are graded side by side (and preparation converts and checks its blocks side by side): the
result must not depend on the thread count either.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import aegrade
from aegrade import threads
from aegrade.grading import labs
from aegrade.grading.labs import grade_labs

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
from _synth import lab_rows  # noqa: E402

TINY = 7


def _messy(n: int, seed: int) -> pd.DataFrame:
    """The benchmark rows with what sends rows elsewhere: unknown names, INR (read with the
    anticoagulation status), pH, other units, censored and unreadable results, specimens,
    given baselines and percent changes, a baseline indicator, missing days."""
    rng = np.random.default_rng(seed)
    df = lab_rows(n, seed=seed).astype({"parameter": object, "unit": object, "value": object})
    pick = rng.random(n)
    for lo, hi, parameter, unit in (
        (0.00, 0.03, "Neut %", None),
        (0.03, 0.06, "INR", "ratio"),
        (0.06, 0.08, "PH", None),
        (0.08, 0.10, "Hemoglobin", "g/dL"),
        (0.10, 0.12, "CA", "mg/dL"),
        (0.12, 0.13, None, "furlongs"),
    ):
        rows = (pick >= lo) & (pick < hi)
        if parameter is not None:
            df.loc[rows, "parameter"] = parameter
        if unit is not None:
            df.loc[rows, "unit"] = unit
    cell = rng.random(n)
    df.loc[cell < 0.03, "value"] = "<0.5"
    df.loc[(cell >= 0.03) & (cell < 0.05), "value"] = "QNS"
    df.loc[(cell >= 0.05) & (cell < 0.06), "value"] = None
    df["specimen"] = rng.choice(np.array([None, None, "serum", "urine"], dtype=object), n)
    df["anticoagulated"] = rng.choice(np.array(["yes", "no", None], dtype=object), n)
    df["bnrind"] = rng.choice(np.array(["HIGH", "LOW", "NORMAL", None], dtype=object), n)
    df["baseline"] = np.where(rng.random(n) < 0.2, df["lln"], np.nan)
    df["pchg"] = np.where(rng.random(n) < 0.1, 30.0, np.nan)
    df.loc[rng.random(n) < 0.02, "day"] = np.nan
    return df


def _graded(data: pd.DataFrame, block: int, **kw: object) -> pd.DataFrame:
    saved = labs.BLOCK_ROWS
    labs.BLOCK_ROWS = block
    try:
        return grade_labs(data, **kw)  # type: ignore[arg-type]
    finally:
        labs.BLOCK_ROWS = saved


@pytest.fixture
def small_thread_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of preparation as small as the grading blocks: a few hundred rows are then
    converted and checked in many blocks on the threads, as a million rows are."""
    monkeypatch.setattr(threads, "SMALLEST_BLOCK", 5)


@pytest.mark.parametrize(
    ("name", "kw"),
    [
        ("synthetic", {}),
        ("messy", {"errors": "coerce"}),
        ("messy", {"errors": "coerce", "ambiguous": "lower", "criteria": "ctcae-v4.03"}),
    ],
)
def test_blocks_of_seven_rows_grade_as_one_block(name: str, kw: dict[str, object]) -> None:
    data = lab_rows(1500, seed=4) if name == "synthetic" else _messy(1500, seed=5)
    whole = _graded(data, 1 << 30, **kw)
    blocked = _graded(data, TINY, **kw)
    pd.testing.assert_frame_equal(whole, blocked, check_exact=True)
    pd.testing.assert_index_equal(whole["reason"].cat.categories, blocked["reason"].cat.categories)
    # the comparison means something: grades, reviews and ungraded rows in both directions
    assert whole["grade_low"].dropna().nunique() >= 4 and whole["grade_high"].notna().any()
    assert whole["review"].any() and whole["grade_low"].isna().any()


@pytest.mark.usefixtures("small_thread_blocks")
@pytest.mark.parametrize(
    ("name", "kw"),
    [
        ("synthetic", {}),
        ("messy", {"errors": "coerce"}),
        ("messy", {"errors": "coerce", "ambiguous": "lower", "criteria": "ctcae-v4.03"}),
    ],
)
def test_two_threads_grade_as_one_thread_and_as_tiny_blocks(
    name: str, kw: dict[str, object]
) -> None:
    data = lab_rows(1500, seed=4) if name == "synthetic" else _messy(1500, seed=5)
    serial = _graded(data, 1 << 30, threads=1, **kw)
    for block in (1 << 30, 250, TINY):  # 250: blocks cut through subjects and parameters
        threaded = _graded(data, block, threads=2, **kw)
        pd.testing.assert_frame_equal(serial, threaded, check_exact=True)
        pd.testing.assert_index_equal(
            serial["reason"].cat.categories, threaded["reason"].cat.categories
        )
    assert serial["grade_low"].dropna().nunique() >= 4 and serial["review"].any()


@pytest.mark.parametrize("block", [1 << 30, 250, TINY])
def test_rows_already_in_parameter_order_grade_as_in_any_order(
    monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    # blocks whose rows are already grouped by parameter are graded in place, unsorted
    from aegrade.prepare.observations import prepare_observations

    data = _messy(1500, seed=6)
    index = prepare_observations(data, errors="coerce").param_index
    ordered = data.iloc[np.argsort(index, kind="stable")]  # unknown (-1) first, as sorted
    whole = _graded(data, 1 << 30, errors="coerce")
    sorted_blocks: list[int] = []
    monkeypatch.setattr(labs._Sorted, "__init__", lambda *a: sorted_blocks.append(1))
    got = _graded(ordered, block, errors="coerce").loc[data.index]
    assert sorted_blocks == []  # every block graded in place
    pd.testing.assert_frame_equal(whole, got, check_exact=True, check_categorical=False)
    assert (whole["reason"].astype(str) == got["reason"].astype(str)).all()
    assert whole["grade_low"].dropna().nunique() >= 4


def test_two_threads_run_on_a_pool(monkeypatch: pytest.MonkeyPatch, row_pools: list[int]) -> None:
    # the comparisons above mean something only if the blocks ran on threads
    monkeypatch.setattr(threads, "SMALLEST_BLOCK", 5)
    _graded(lab_rows(1500, seed=4), 250, threads=2)
    assert len(row_pools) >= 5 * 2 and set(row_pools) == {2}  # preparation, grading, reasons
    row_pools.clear()
    _graded(lab_rows(1500, seed=4), 250, threads=1)
    assert row_pools == []


def test_the_thread_blocks_cut_the_rows_into_parts_for_every_thread() -> None:
    # a million rows are one block (a second thread gains nothing there); beyond, blocks of
    # BLOCK_ROWS shared by the threads, every row once
    parts = threads.row_blocks(1_000_000, 2, labs.BLOCK_ROWS)
    assert [(p.start, p.stop) for p in parts] == [(0, 1_000_000)]
    parts = threads.row_blocks(3_000_001, 2, labs.BLOCK_ROWS)
    assert parts[0] == slice(0, labs.BLOCK_ROWS) and parts[-1].stop == 3_000_001
    assert len(parts) == 3


def test_blocks_of_seven_rows_on_the_example_study() -> None:
    study = ROOT / "aegrade" / "examples" / "blinatumomab_short_course.xlsx"
    saved = labs.BLOCK_ROWS
    try:
        labs.BLOCK_ROWS = 1 << 30
        whole = aegrade.grade(study, errors="coerce").graded_observations
        labs.BLOCK_ROWS = TINY
        blocked = aegrade.grade(study, errors="coerce").graded_observations
    finally:
        labs.BLOCK_ROWS = saved
    assert len(whole) > 5 * TINY and whole["grade_low"].notna().any()
    pd.testing.assert_frame_equal(whole, blocked, check_exact=True)


@pytest.mark.usefixtures("small_thread_blocks")
def test_two_threads_on_the_example_study(monkeypatch: pytest.MonkeyPatch) -> None:
    # grade() passes no thread count: AEGRADE_THREADS sets it
    study = ROOT / "aegrade" / "examples" / "blinatumomab_short_course.xlsx"
    monkeypatch.setenv(threads.THREADS_ENV, "1")
    serial = aegrade.grade(study, errors="coerce").graded_observations
    monkeypatch.setenv(threads.THREADS_ENV, "2")
    monkeypatch.setattr(labs, "BLOCK_ROWS", TINY)
    threaded = aegrade.grade(study, errors="coerce").graded_observations
    assert len(serial) > 5 * TINY and serial["grade_low"].notna().any()
    pd.testing.assert_frame_equal(serial, threaded, check_exact=True)


def test_the_default_block_is_a_power_of_two_of_reasonable_size() -> None:
    # large enough that the per-block Python work is small against the rows, small enough
    # that a block's temporaries are reused rather than fresh pages
    assert labs.BLOCK_ROWS & (labs.BLOCK_ROWS - 1) == 0
    assert 1 << 14 <= labs.BLOCK_ROWS <= 1 << 22


def test_runs_of_ungraded_parameters_join_adjacent_groups() -> None:
    # issue 15: the rows no compiled entry grades are written in runs, each row once
    bounds = np.cumsum([2, 3, 0, 4, 1, 5])  # unknown first, then parameters 0..4
    ungraded = np.array([True, True, True, False, True, True])
    assert labs._runs(ungraded, bounds) == [slice(0, 5), slice(9, 15)]
    assert labs._runs(~ungraded, bounds) == [slice(5, 9)]
    assert labs._runs(np.zeros(6, bool), bounds) == []


def test_counts_of_preparation_are_read_only_for_the_same_rows() -> None:
    # issue 15: the rows per parameter preparation counted, while they add up to the rows;
    # a selection of fewer rows (as hematology grades) counts again
    from dataclasses import replace

    from aegrade.prepare.observations import prepare_observations

    data = pd.DataFrame(
        {
            "parameter": ["PLAT", "HGB", "PLAT", "xyz"],
            "value": [1.0, 2.0, 3.0, 4.0],
            "unit": ["10^9/L", "g/L", "10^9/L", None],
        }
    )
    prep = prepare_observations(data, errors="coerce")
    want = np.bincount(prep.param_index + 1, minlength=len(prep.param_names) + 1)
    assert prep.param_counts == tuple(want.tolist())
    np.testing.assert_array_equal(labs._param_counts(prep), want)
    rows = np.array([0, 2])
    fewer = replace(prep, n=2, param_index=prep.param_index[rows])
    assert fewer.param_counts == prep.param_counts  # kept by the selection, no longer valid
    np.testing.assert_array_equal(
        labs._param_counts(fewer),
        np.bincount(fewer.param_index + 1, minlength=len(prep.param_names) + 1),
    )


@pytest.mark.parametrize("workers", [1, 2])
def test_rows_per_parameter_counted_by_preparation_per_block(
    monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    # issue 15: preparation counts the rows per parameter in the engine's blocks, which then
    # read them instead of counting again: the same counts, the same grades, tiny blocks
    from aegrade.prepare import observations
    from aegrade.prepare.observations import prepare_observations

    data = _messy(600, 4)
    want = _graded(data, 1 << 30, errors="coerce")
    monkeypatch.setattr(observations, "COUNT_BLOCK_ROWS", TINY)
    monkeypatch.setattr(threads, "SMALLEST_BLOCK", 5)
    prep = prepare_observations(data, errors="coerce", threads=workers)
    assert prep.block_param_counts is not None
    n, rows, counts = prep.block_param_counts
    assert (n, rows, counts.shape) == (600, TINY, (-(-600 // TINY), len(prep.param_names) + 1))
    for k, count in enumerate(counts):
        block = prep.param_index[k * TINY : (k + 1) * TINY] + 1
        assert count.tolist() == np.bincount(block, minlength=counts.shape[1]).tolist()
    monkeypatch.setattr(labs, "BLOCK_ROWS", TINY)
    np.testing.assert_array_equal(labs._Block(prep, slice(7, 14)).param_counts, counts[1])
    np.testing.assert_array_equal(labs._Block(prep, slice(595, 600)).param_counts, counts[-1])
    assert labs._Block(prep, slice(3, 10)).param_counts is None  # not one of the blocks
    assert labs._Block(prep, slice(7, 12)).param_counts is None
    got = grade_labs(data, errors="coerce", threads=workers)
    pd.testing.assert_frame_equal(got, want)
    monkeypatch.setattr(labs, "BLOCK_ROWS", 14)  # other blocks than counted: counted again
    assert labs._Block(prep, slice(14, 28)).param_counts is None
    pd.testing.assert_frame_equal(grade_labs(data, errors="coerce", threads=workers), want)


@pytest.mark.parametrize("workers", [1, 2])
def test_no_rows_grade_to_no_rows(workers: int) -> None:
    # issue 15: no rows, no blocks of label pairs: no pair occurs (the fuzz test found it)
    got = grade_labs(lab_rows(10).head(0), threads=workers)
    assert len(got) == 0 and "grade_low" in got.columns and "reason" in got.columns


@pytest.mark.parametrize("chunk", [1, 3, 7, 1 << 14])
@pytest.mark.parametrize("n", [0, 1, 2, 13, 100, 5000])
@pytest.mark.parametrize("keys", [1, 2, 21, 255])
def test_destinations_invert_one_stable_sort_of_every_row(
    monkeypatch: pytest.MonkeyPatch, chunk: int, n: int, keys: int
) -> None:
    """Each chunk sorted on its own gives the positions of one stable sort of the whole block
    (ties keep row order across chunks), for one-byte keys and the wide (int16) ones."""
    monkeypatch.setattr(labs, "_CHUNK_ROWS", chunk)
    rng = np.random.default_rng(n * 31 + keys)
    for key in (
        rng.integers(0, keys, n).astype(np.uint8),
        np.sort(rng.integers(0, keys, n)).astype(np.uint8),  # already in order
        (rng.integers(0, keys, n) - 1).astype(np.int16),  # wide keys, -1: unknown parameter
    ):
        want = np.empty(n, np.intp)
        want[np.argsort(key, kind="stable")] = np.arange(n)
        got = labs._destinations(key)
        assert got.dtype == np.intp
        np.testing.assert_array_equal(got, want)
        assert sorted(got.tolist()) == list(range(n))  # a permutation


def test_destinations_of_a_small_example() -> None:
    key = np.array([3, 0, 3, 1, 0, 3], np.uint8)
    assert labs._destinations(key).tolist() == [3, 0, 4, 2, 1, 5]


@pytest.mark.parametrize("workers", [1, 2, 3])
@pytest.mark.parametrize("chunk", [1, 5, 64])
def test_blocks_put_in_order_chunk_by_chunk_grade_as_in_one_chunk(
    monkeypatch: pytest.MonkeyPatch, workers: int, chunk: int
) -> None:
    # the positions in parameter order found in chunks of a few rows: the same grades,
    # reviews and reasons as one chunk of the whole block, on 1-3 threads, blocks of 7 and 250
    data = _messy(1500, seed=7)
    whole = _graded(data, 1 << 30, errors="coerce", threads=1)
    monkeypatch.setattr(labs, "_CHUNK_ROWS", chunk)
    for block in (1 << 30, 250, TINY):
        got = _graded(data, block, errors="coerce", threads=workers)
        pd.testing.assert_frame_equal(whole, got, check_exact=True)
    assert whole["grade_low"].dropna().nunique() >= 4 and whole["review"].any()


@pytest.mark.parametrize("chunk", [1, 3, 7, 1 << 14])
@pytest.mark.parametrize("n", [0, 1, 2, 13, 5000])
@pytest.mark.parametrize("params", [1, 3, 40])
def test_destinations_by_a_key_table_are_those_of_the_one_byte_key(
    monkeypatch: pytest.MonkeyPatch, chunk: int, n: int, params: int
) -> None:
    # issue 15: the parameter codes (-1: unknown) made one-byte keys chunk by chunk inside
    # _destinations: the positions of one stable sort of the whole key column
    monkeypatch.setattr(labs, "_CHUNK_ROWS", chunk)
    rng = np.random.default_rng(n * 7 + params)
    codes = rng.integers(-1, params, n)  # int64, as preparation's parameter index
    counts = np.bincount(codes + 1, minlength=params + 1)
    table = labs._key_table(counts)
    assert table is not None and table[-1] == 0  # the last element: unknown, first
    key = table[codes]
    want = np.empty(n, np.intp)
    want[np.argsort(key, kind="stable")] = np.arange(n)
    np.testing.assert_array_equal(labs._destinations(codes, table), want)
    # the same order as sorting the codes themselves (unknown first, then by code)
    np.testing.assert_array_equal(np.argsort(want), np.argsort(codes, kind="stable"))


def test_key_table_numbers_the_parameters_present_and_gives_up_at_255() -> None:
    counts = np.array([4, 0, 2, 0, 1])  # unknown, then parameters 0..3
    assert labs._key_table(counts).tolist() == [0, 1, 0, 2, 0]  # type: ignore[union-attr]
    assert labs._key_table(np.ones(256, np.intp)) is None  # 255 parameters present: wide


def _joint_and_columns(
    data: pd.DataFrame, workers: int, **kw: object
) -> tuple[pd.DataFrame, pd.DataFrame, Any]:
    """assemble_grades from the columns made beside the labels, and from both directions'
    arrays (the joint columns dropped), with the joint columns."""
    from aegrade.grading.labs import assemble_grades, grade_prepared
    from aegrade.prepare.observations import prepare_observations

    criteria = str(kw.pop("criteria", "ctcae-v5.0"))
    prep = prepare_observations(data, errors="coerce", threads=workers)
    plan, low, high = grade_prepared(prep, criteria, threads=workers, **kw)  # type: ignore[arg-type]
    joint = low.joint
    assert joint is not None and high.joint is joint and joint.of(low, high)
    got = assemble_grades(data, prep, plan, low, high, threads=workers)
    low.joint = high.joint = None
    want = assemble_grades(data, prep, plan, low, high, threads=workers)
    return got, want, (prep, plan, low, high, joint)


@pytest.mark.usefixtures("small_thread_blocks")
@pytest.mark.parametrize("workers", [1, 2, 3])
@pytest.mark.parametrize("block", [1 << 30, 250, TINY])
@pytest.mark.parametrize(
    "kw", [{}, {"ambiguous": "lower", "criteria": "ctcae-v4.03"}, {"criteria": "ctcae-v6.0"}]
)
@pytest.mark.parametrize("name", ["messy", "synthetic"])
def test_columns_made_beside_the_labels_are_those_of_both_directions(
    monkeypatch: pytest.MonkeyPatch, workers: int, block: int, kw: dict[str, object], name: str
) -> None:
    """issue 15: the nullable grades, the label pairs, the criteria and review columns made
    in the pass that reads the labels give the frame made from both directions' arrays:
    rows with input problems and general-evaluator rows (INR, specimens), rows the compiled
    engine alone grades, tiny blocks, 1-3 threads."""
    from aegrade.grading.labs import _pair_codes

    monkeypatch.setattr(labs, "BLOCK_ROWS", block)
    data = _messy(1500, seed=8) if name == "messy" else lab_rows(1500, seed=8)
    got, want, (prep, plan, low, high, joint) = _joint_and_columns(data, workers, **kw)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    pd.testing.assert_index_equal(got["reason"].cat.categories, want["reason"].cat.categories)
    bad = prep.has_error
    assert got["review"].any() and got["grade_high"].notna().any()
    if name == "messy":  # rows with input problems, INR graded by the general evaluator
        assert bad.any() and (got["parameter"] == "INR").any()
    else:
        assert not bad.any()
    for k, d in enumerate((low, high)):
        assert joint.level[k].tolist() == np.maximum(d.grade, 0).tolist()
        assert joint.na[k].tolist() == ((d.grade < 0) | bad).tolist()
    pair1, present = _pair_codes(plan, low, high)
    assert joint.pair.dtype == np.int32
    assert joint.pair.tolist() == pair1.tolist()
    assert joint.present.tolist() == present.tolist()


def test_columns_beside_the_labels_are_read_only_with_those_labels() -> None:
    # issue 15: directions with other label arrays (or the general engine's) are assembled
    # from their own arrays
    from dataclasses import replace

    from aegrade.grading.labs import grade_prepared
    from aegrade.prepare.observations import prepare_observations

    prep = prepare_observations(_messy(300, seed=9), errors="coerce")
    _, low, high = grade_prepared(prep, "ctcae-v5.0")
    joint = low.joint
    assert joint is not None and joint.of(low, high)
    assert not joint.of(replace(low, label=low.label.copy()), high)
    assert not joint.of(high, low)
    _, low, high = grade_prepared(prep, "ctcae-v5.0", engine="general")
    assert low.joint is None and high.joint is None


@pytest.mark.parametrize("workers", [1, 2])
def test_columns_beside_the_labels_of_no_rows_and_of_no_input_problem(workers: int) -> None:
    got, want, _ = _joint_and_columns(lab_rows(10).head(0), workers)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    got, want, (prep, *_rest) = _joint_and_columns(lab_rows(500, seed=3), workers)
    assert not prep.has_error.any()
    pd.testing.assert_frame_equal(got, want, check_exact=True)
