"""The one rule for running rows on more than one core: how many threads, which blocks.

numpy releases the GIL inside its loops (comparisons, arithmetic, ``take``, ``copy``), so
blocks of rows graded on a few threads run side by side without a compiled extension.
:func:`thread_count` decides how many threads a call uses, :func:`row_blocks` cuts the rows
and :func:`run_blocks` runs one task per block. Every task writes its own rows of arrays the
caller allocated beforehand; no task reads another's rows, so the results are the same on any
number of threads and with any block size.

How many threads, in this order: the caller's ``threads=`` (1 is the serial path); else the
environment variable ``AEGRADE_THREADS``; else one when called from a thread other than the
main thread (a Dask worker's task, a web server's request: the caller's own pool already
uses the cores) or from a child process (a process pool, Dask's ``processes`` scheduler);
else every core this process may run on.
"""

from __future__ import annotations

import math
import os
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import Future

T = TypeVar("T")

__all__ = [
    "MEMORY_ENV",
    "THREADS_ENV",
    "background",
    "gather",
    "keep_freed_memory",
    "row_blocks",
    "run_blocks",
    "thread_count",
]

#: The environment variable that sets the default number of threads (a whole number >= 1).
THREADS_ENV = "AEGRADE_THREADS"

#: The environment variable that, set to ``0``, leaves the C allocator's settings alone
#: (:func:`keep_freed_memory`).
MEMORY_ENV = "AEGRADE_KEEP_MEMORY"

#: A block never has fewer rows than this when there are more: below it a second thread gains
#: nothing here (whole-column numpy passes of a million rows are bound by memory, not by the
#: core: grade_labs on 1M rows took 0.136 s on two threads and 0.135 s on one, for 25 % more
#: CPU), so an input of up to this many rows is graded on one thread.
SMALLEST_BLOCK = 1 << 20


def _cores() -> int:
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # pragma: no cover - not on Linux
        return max(os.cpu_count() or 1, 1)


def thread_count(threads: int | None = None) -> int:
    """The number of threads a call uses (see the module docstring for the order).

    Parameters
    ----------
    threads
        The caller's choice: a whole number >= 1 (1: the serial path), or None for the default.

    Returns
    -------
    int
        At least 1.

    Raises
    ------
    ValueError
        ``threads`` or ``AEGRADE_THREADS`` is not a whole number >= 1.

    Examples
    --------
    >>> thread_count(1), thread_count(3)
    (1, 3)
    >>> thread_count() >= 1
    True
    """
    if threads is not None:
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise ValueError(f"threads must be a whole number >= 1, not {threads!r}")
        return threads
    env = os.environ.get(THREADS_ENV, "").strip()
    if env:
        if not env.isdigit() or int(env) < 1:
            raise ValueError(f"{THREADS_ENV} must be a whole number >= 1, not {env!r}")
        return int(env)
    if threading.current_thread() is not threading.main_thread():
        return 1  # a worker thread (Dask, a server): its pool already uses the cores
    mp = sys.modules.get("multiprocessing")  # a pool's child has imported it
    if mp is not None and mp.parent_process() is not None:
        return 1  # a child of a process pool
    return _cores()


def row_blocks(n: int, threads: int, largest: int, *, smallest: int | None = None) -> list[slice]:
    """Consecutive blocks covering rows ``0..n``: at most ``largest`` rows each and, on more
    than one thread, at least one block per thread where the rows allow blocks of
    ``smallest`` rows (None: :data:`SMALLEST_BLOCK`).

    Examples
    --------
    >>> row_blocks(10, 1, 4)
    [slice(0, 4, None), slice(4, 8, None), slice(8, 10, None)]
    >>> [p.stop - p.start for p in row_blocks(3_000_000, 2, 1 << 21)]
    [1500000, 1500000]
    >>> [p.stop - p.start for p in row_blocks(1_000_000, 2, 1 << 20)]
    [1000000]
    """
    largest = max(int(largest), 1)
    smallest = SMALLEST_BLOCK if smallest is None else smallest
    size = largest
    if threads > 1:
        size = min(largest, max(min(smallest, largest), math.ceil(n / threads)))
    return [slice(lo, min(lo + size, n)) for lo in range(0, n, size)]


def run_blocks(task: Callable[[slice], None], parts: Sequence[slice], threads: int) -> None:
    """Run ``task`` on every block, on up to ``threads`` threads (in order on one thread).

    A task's exception is raised here, after the other tasks finished.

    Examples
    --------
    >>> import numpy as np
    >>> x, out = np.arange(10.0), np.empty(10)
    >>> def double(part: slice) -> None:
    ...     np.multiply(x[part], 2.0, out=out[part])
    >>> run_blocks(double, row_blocks(10, 2, 3), 2)
    >>> out.tolist()
    [0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0, 18.0]
    """
    workers = min(threads, len(parts))
    if workers <= 1 or threading.current_thread().name.startswith(_PREFIX):
        for part in parts:  # one thread, or a task of the pool itself: in order, here
            task(part)
        return
    futures = [_pool(workers).submit(task, part) for part in parts]
    for future in futures:
        exc = future.exception()  # waits; every task finishes before any error is raised
        if exc is not None:
            for other in futures:
                other.exception()
            raise exc


def gather(table: Any, index: Any, threads: int) -> Any:
    """``table[index]`` as a new array, with index -1 reading the table's last element
    (numpy's ``wrap`` mode: a table of codes or values whose last entry is the "none" one),
    gathered in blocks on ``threads`` threads (:func:`row_blocks`, :func:`run_blocks`).

    Examples
    --------
    >>> import numpy as np
    >>> gather(np.array([10.0, 20.0, np.nan]), np.array([1, -1, 0]), 2).tolist()
    [20.0, nan, 10.0]
    """
    import numpy as np  # the module itself is imported by the command line without numpy

    out = np.empty(len(index), table.dtype)

    def block(part: slice) -> None:
        np.take(table, index[part], out=out[part], mode="wrap")

    run_blocks(block, row_blocks(len(index), threads, len(index)), threads)
    return out


_PREFIX = "aegrade-rows"
_BACKGROUND = "aegrade-background"
#: (process id, threads, name) -> its ThreadPoolExecutor
_POOLS: dict[tuple[int, int, str], Any] = {}
_POOLS_LOCK = threading.Lock()


def _pool(workers: int, name: str = _PREFIX) -> Any:
    """The process's pool of ``workers`` threads called ``name``, started on first use and
    kept (a new one in a forked child: the parent's threads do not exist there)."""
    key = (os.getpid(), workers, name)
    with _POOLS_LOCK:
        pool = _POOLS.get(key)
        if pool is None:
            from concurrent.futures import ThreadPoolExecutor  # imported when first needed

            pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
            _POOLS[key] = pool
        return pool


def background(task: Callable[..., T], *args: Any) -> Future[T]:
    """Run ``task(*args)`` on the process's one background thread (kept, as the row pools
    are): work that releases the interpreter lock beside the caller's own (hashing an input's
    bytes while it is parsed, encoding small Parquet tables while the largest is written).
    Jobs run one after another in the order given; none may wait on another's result.

    Examples
    --------
    >>> background(sum, [1, 2, 3]).result()
    6
    """
    job: Future[T] = _pool(1, _BACKGROUND).submit(task, *args)
    return job


_KEPT: bool | None = None  # whether keep_freed_memory changed the allocator (None: not asked)


def keep_freed_memory() -> bool:
    """Let the C allocator (glibc) reuse freed large arrays instead of returning them to the
    kernel, once per process: a large numpy array is otherwise a fresh mapping whose every
    page the kernel faults in and zeroes on first touch (a third of grade_labs' time at one
    million rows, about 35 % at ten million, measured here), and grading allocates many.

    Sets ``mallopt(M_MMAP_MAX, 0)`` and ``mallopt(M_TRIM_THRESHOLD, 2 GiB)``: memory freed
    by a run stays with the process for the next one (its peak is unchanged, but its resident
    size no longer falls back after a run). It changes the whole process, so the library never
    calls it on its own: the ``aegrade grade`` command does (its process is aegrade's), and a
    pipeline of your own may call it once at its start. Nothing is changed where
    ``AEGRADE_KEEP_MEMORY=0``, where any ``MALLOC_*`` variable is set (the user's own settings
    win, as a Dask nanny's do) or where the C library has no ``mallopt`` (not glibc).

    Returns
    -------
    bool
        Whether the allocator's settings are changed.

    Examples
    --------
    >>> keep_freed_memory() in (True, False)
    True
    """
    global _KEPT
    if _KEPT is not None:
        return _KEPT
    _KEPT = False
    if os.environ.get(MEMORY_ENV, "").strip() == "0" or not sys.platform.startswith("linux"):
        return False
    if any(name.startswith("MALLOC_") for name in os.environ):
        return False
    try:
        import ctypes  # imported when first needed

        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        return False
    m_trim_threshold, m_mmap_max = -1, -4  # glibc's <malloc.h>
    _KEPT = bool(mallopt(m_mmap_max, 0)) and bool(mallopt(m_trim_threshold, 2**31 - 1))
    return _KEPT
