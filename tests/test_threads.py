"""aegrade.threads: how many threads a call uses, the blocks of rows, running them."""

from __future__ import annotations

import itertools
import threading

import numpy as np
import pytest

from aegrade import threads
from aegrade.threads import THREADS_ENV, row_blocks, run_blocks, thread_count


@pytest.fixture(autouse=True)
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(THREADS_ENV, raising=False)


def test_the_callers_count_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(THREADS_ENV, "3")
    assert thread_count(1) == 1 and thread_count(4) == 4


def test_the_environment_sets_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(THREADS_ENV, " 3 ")
    assert thread_count() == 3


def test_the_default_on_the_main_thread_is_every_core(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threads, "_cores", lambda: 6)
    assert threading.current_thread() is threading.main_thread()
    assert thread_count() == 6


def test_the_default_on_another_thread_is_one(monkeypatch: pytest.MonkeyPatch) -> None:
    # a Dask worker runs its tasks on its own threads: no second pool on top of its own
    monkeypatch.setattr(threads, "_cores", lambda: 6)
    got: list[int] = []
    worker = threading.Thread(target=lambda: got.append(thread_count()))
    worker.start()
    worker.join()
    assert got == [1]


def test_the_default_in_a_child_process_is_one(monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing

    monkeypatch.setattr(threads, "_cores", lambda: 6)
    monkeypatch.setattr(multiprocessing, "parent_process", lambda: object())
    assert thread_count() == 1


@pytest.mark.parametrize("bad", [0, -2, 1.5, True, "2"])
def test_a_count_that_is_not_a_whole_number_above_zero_is_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="whole number >= 1"):
        thread_count(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["0", "two", "-1", "1.5"])
def test_a_bad_environment_value_is_refused(monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    monkeypatch.setenv(THREADS_ENV, bad)
    with pytest.raises(ValueError, match=THREADS_ENV):
        thread_count()


@pytest.mark.parametrize(
    ("n", "workers", "largest", "sizes"),
    [
        (0, 2, 8, []),
        (10, 1, 4, [4, 4, 2]),
        (10, 1, 100, [10]),
        (1_000_000, 1, 1 << 20, [1_000_000]),
        (1_000_000, 2, 1 << 20, [1_000_000]),  # up to SMALLEST_BLOCK rows: one thread
        (3_000_000, 2, 1 << 22, [1_500_000, 1_500_000]),
        (3_000_001, 2, 1 << 22, [1_500_001, 1_500_000]),
        (3 * (1 << 20), 2, 1 << 20, [1 << 20] * 3),
        (1_500_000, 2, 1 << 22, [1 << 20, 1_500_000 - (1 << 20)]),  # none below the smallest
    ],
)
def test_row_blocks(n: int, workers: int, largest: int, sizes: list[int]) -> None:
    parts = row_blocks(n, workers, largest)
    assert [p.stop - p.start for p in parts] == sizes
    assert all(a.stop == b.start for a, b in itertools.pairwise(parts))
    assert not parts or (parts[0].start == 0 and parts[-1].stop == n)


@pytest.mark.parametrize(
    ("n", "smallest", "sizes"),
    [(200_000, 1 << 17, [131_072, 68_928]), (100_000, 1 << 17, [100_000]), (10, 2, [5, 5])],
)
def test_row_blocks_smallest(n: int, smallest: int, sizes: list[int]) -> None:
    parts = row_blocks(n, 2, 1 << 20, smallest=smallest)
    assert [p.stop - p.start for p in parts] == sizes


def test_run_blocks_writes_every_block_on_the_threads() -> None:
    x = np.arange(1000.0)
    out = np.full(1000, np.nan)
    names: set[str] = set()

    def task(part: slice) -> None:
        names.add(threading.current_thread().name)
        np.multiply(x[part], 3.0, out=out[part])

    run_blocks(task, row_blocks(1000, 2, 10), 2)
    assert np.array_equal(out, x * 3.0)
    assert names and all(name.startswith("aegrade-rows") for name in names)


def test_run_blocks_on_one_thread_runs_in_order_on_the_callers_thread() -> None:
    seen: list[tuple[int, str]] = []
    run_blocks(
        lambda part: seen.append((part.start, threading.current_thread().name)),
        row_blocks(10, 1, 3),
        1,
    )
    me = threading.current_thread().name
    assert seen == [(0, me), (3, me), (6, me), (9, me)]


def test_a_task_error_is_raised_to_the_caller() -> None:
    def task(part: slice) -> None:
        if part.start == 4:
            raise RuntimeError("block 4 failed")

    with pytest.raises(RuntimeError, match="block 4 failed"):
        run_blocks(task, row_blocks(12, 2, 4), 2)


def test_a_task_that_runs_blocks_itself_runs_them_on_its_own_thread() -> None:
    # no task waits for the pool it runs on (that could wait forever)
    inner: list[bool] = []

    def task(part: slice) -> None:
        me = threading.current_thread().name
        names: list[str] = []
        run_blocks(lambda _: names.append(threading.current_thread().name), [part, part], 2)
        inner.append(names == [me, me] and me.startswith("aegrade-rows"))

    run_blocks(task, row_blocks(4, 2, 2), 2)
    assert inner == [True, True]


def test_freed_memory_is_kept_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    import ctypes
    import os
    import sys

    for name in [n for n in os.environ if n.startswith("MALLOC_")]:
        monkeypatch.delenv(name)
    monkeypatch.delenv(threads.MEMORY_ENV, raising=False)
    monkeypatch.setattr(threads, "_KEPT", None)
    first = threads.keep_freed_memory()
    if sys.platform.startswith("linux") and hasattr(ctypes.CDLL(None), "mallopt"):
        assert first is True
    monkeypatch.setenv(threads.MEMORY_ENV, "0")
    assert threads.keep_freed_memory() is first  # asked once: the answer kept


@pytest.mark.parametrize(
    ("name", "value"), [("AEGRADE_KEEP_MEMORY", "0"), ("MALLOC_ARENA_MAX", "2")]
)
def test_freed_memory_settings_are_left_alone_when_told(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    calls: list[object] = []
    monkeypatch.setattr(threads, "_KEPT", None)
    monkeypatch.setenv(name, value)
    monkeypatch.setattr("ctypes.CDLL", lambda *a: calls.append(a))
    assert threads.keep_freed_memory() is False
    assert calls == []


def test_background_jobs_run_in_order_on_one_kept_thread() -> None:
    import threading

    from aegrade.threads import background

    names: list[str] = []
    jobs = [
        background(lambda k: names.append(threading.current_thread().name) or k, k)
        for k in range(3)
    ]
    assert [j.result() for j in jobs] == [0, 1, 2]
    assert len(set(names)) == 1 and names[0].startswith("aegrade-background")
    assert background(len, "abc").result() == 3  # the same thread, kept
