"""The one baseline rule (SPEC section 2), used by every engine and writer.

The baseline of a subject, parameter and specimen is the ``baseline`` column where given
(ADaM ``BASE``), else the last accepted value at study day <= 0 (day 0 = treatment start); a
record flagged ``ABLFL = "Y"`` is the baseline record where such flags exist. Values rejected by
an input check are never eligible. Ties on the same day go to the higher value (or grade), so
the result never depends on row order; otherwise the later row wins.
"""

from __future__ import annotations

import numpy as np

from aegrade.threads import gather, row_blocks, run_blocks

__all__ = ["BASELINE_LAST_DAY", "baseline_rows", "baseline_values", "derive_baseline"]

#: Observations at or before this study day are baseline candidates (SPEC section 2: day 0 is
#: treatment start).
BASELINE_LAST_DAY = 0.0

#: Key ranges up to this size (or 4x the rows) are looked up in a dense table, larger ones by
#: binary search: the same result, the table bounded in memory.
_DENSE_MIN = 1 << 20


def baseline_rows(
    key: np.ndarray,
    day: np.ndarray,
    eligible: np.ndarray,
    rank: np.ndarray | None = None,
) -> np.ndarray:
    """Per row, the position of its baseline record (-1: none).

    Parameters
    ----------
    key
        Integer group of each row (subject and parameter, or subject, term and system);
        negative: the row belongs to no group.
    day
        Study day of each row (NaN: unknown, never a baseline).
    eligible
        Rows that may be a baseline (accepted, with a value).
    rank
        Tie-break on the same day: the higher rank wins (a value, a grade); None: the later row.

    Examples
    --------
    >>> import numpy as np
    >>> key = np.array([0, 0, 0, 1])
    >>> day = np.array([-3.0, 0.0, 2.0, 1.0])
    >>> baseline_rows(key, day, np.ones(4, bool)).tolist()
    [1, 1, 1, -1]
    """
    n = len(key)
    records = _records(key, day, eligible, rank)
    if records is None:
        return np.full(n, -1, np.int64)
    keys, rows = records
    if _dense(key):
        # a dense key -> row table with a last -1 that key -1 (no group) reads: one gather
        table = np.full(int(key.max()) + 2, -1, np.int64)
        table[keys] = rows
        gathered: np.ndarray = table[key]
        return gathered
    out = np.full(n, -1, np.int64)
    grouped = np.flatnonzero(key >= 0)
    size = int(keys[-1]) + 1  # keys are sorted
    if size <= max(4 * n, _DENSE_MIN):  # a dense key -> row table: one gather per row
        table = np.full(size, -1, np.int64)
        table[keys] = rows
        g = key[grouped]
        inside = g < size
        out[grouped[inside]] = table[g[inside]]
        return out
    at = np.minimum(np.searchsorted(keys, key[grouped]), len(keys) - 1)
    hit = keys[at] == key[grouped]
    out[grouped[hit]] = rows[at[hit]]
    return out


def _records(
    key: np.ndarray,
    day: np.ndarray,
    eligible: np.ndarray | None,
    rank: np.ndarray | None,
    threads: int = 1,
) -> tuple[np.ndarray, np.ndarray] | None:
    """The groups that have a baseline record (sorted) and that record's row; None: none.

    ``eligible`` None: the rows whose ``rank`` is a number."""
    cand = _candidates(day, threads)  # the few rows up to day 0 first
    ok = key[cand] >= 0
    if eligible is None:
        assert rank is not None
        ok &= ~np.isnan(rank[cand])
    else:
        ok &= eligible[cand]
    cand = cand[ok]
    r = None if rank is None else rank[cand]
    return _pick(cand, key[cand], day[cand], r, len(key))


def _pick(
    cand: np.ndarray, k: np.ndarray, d: np.ndarray, r: np.ndarray | None, n: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`_records` from the candidate rows (in row order) with their keys (>= 0), days
    and ranks; ``n``: the number of rows."""
    if cand.size == 0:
        return None
    size = int(k.max()) + 1
    if size <= max(4 * n, _DENSE_MIN) and (r is None or not np.isnan(r).any()):
        return _latest(k, d, r, cand, size)
    # lexsort is stable: rows tied on every key stay in row order (the later row last)
    order = np.lexsort((d, k) if r is None else (r, d, k))
    k = k[order]
    last = np.r_[k[1:] != k[:-1], True]
    return k[last], cand[order[last]]


def _candidates(day: np.ndarray, threads: int) -> np.ndarray:
    """The rows at or before :data:`BASELINE_LAST_DAY`, in row order (blocks of rows found on
    ``threads`` threads, then joined in order)."""
    parts = row_blocks(len(day), threads, len(day))
    if len(parts) <= 1:
        return np.flatnonzero(day <= BASELINE_LAST_DAY)
    found: list[np.ndarray] = [np.zeros(0, np.intp)] * len(parts)
    number = {part.start: k for k, part in enumerate(parts)}

    def block(part: slice) -> None:
        found[number[part.start]] = np.flatnonzero(day[part] <= BASELINE_LAST_DAY) + part.start

    run_blocks(block, parts, threads)
    return np.concatenate(found)


def _latest(
    k: np.ndarray, d: np.ndarray, r: np.ndarray | None, cand: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_records` for keys below ``size``: per key the latest day, then the highest rank,
    then the last row, as three running maximums over the candidates instead of a sort (the
    record a lexicographic sort would put last)."""
    # the rows kept are gathered by position (``take``): a boolean mask's selection is the
    # same rows at several times the cost
    best = np.full(size, -np.inf)
    np.maximum.at(best, k, d)
    keep = np.flatnonzero(d == best[k])
    if r is not None:
        k, r, cand = k.take(keep), r.take(keep), cand.take(keep)
        best = np.full(size, -np.inf)
        np.maximum.at(best, k, r)
        keep = np.flatnonzero(r == best[k])
    k, cand = k.take(keep), cand.take(keep)
    row = np.full(size, -1, np.int64)
    np.maximum.at(row, k, cand)
    keys = np.flatnonzero(row >= 0)
    return keys, row[keys]


def _dense(key: np.ndarray, extent: tuple[int, int] | None = None) -> bool:
    """Keys -1 (no group) or more, few enough for a key -> record table with a last element
    that key -1 reads (``extent``: the keys' minimum and maximum, when known)."""
    lo, hi = (int(key.min()), int(key.max())) if extent is None else extent
    return lo >= -1 and hi + 1 <= max(4 * len(key), _DENSE_MIN)


def _extents(arrays: list[np.ndarray], threads: int) -> list[tuple[int, int]]:
    """The minimum and maximum of each (non-empty, equally long) integer array, found in
    blocks of rows on ``threads`` threads."""
    n = len(arrays[0])
    parts = row_blocks(n, threads, n)
    number = {part.start: k for k, part in enumerate(parts)}
    found: list[list[tuple[int, int]]] = [[] for _ in parts]

    def block(part: slice) -> None:
        found[number[part.start]] = [(int(a[part].min()), int(a[part].max())) for a in arrays]

    run_blocks(block, parts, threads)
    return [(min(f[k][0] for f in found), max(f[k][1] for f in found)) for k in range(len(arrays))]


def baseline_values(
    key: np.ndarray,
    day: np.ndarray,
    value: np.ndarray,
    given: np.ndarray | None = None,
    *,
    threads: int = 1,
) -> np.ndarray:
    """Per row, its baseline value: ``given`` where a number, else the value of the baseline
    record of :func:`baseline_rows` (eligible: rows with a value; ties: the higher value).
    ``threads``: blocks of rows read side by side (:mod:`aegrade.threads`), the same result.

    >>> import numpy as np
    >>> key, day = np.array([0, 0, 0]), np.array([-1.0, 0.0, 5.0])
    >>> baseline_values(key, day, np.array([90.0, 110.0, 70.0])).tolist()
    [110.0, 110.0, 110.0]
    >>> baseline_values(key, day, np.array([90.0, 110.0, 70.0]),
    ...                 given=np.array([np.nan, np.nan, 100.0])).tolist()
    [110.0, 110.0, 100.0]
    """
    return _values(key, day, value, given, None, threads)


def _values(
    key: np.ndarray,
    day: np.ndarray,
    value: np.ndarray,
    given: np.ndarray | None,
    extent: tuple[int, int] | None,
    threads: int,
    found: list[_Found] | None = None,
) -> np.ndarray:
    """:func:`baseline_values`, with the keys' minimum and maximum when known and the
    candidate rows when found (:func:`_candidate_rows`, blocks in row order)."""
    records = None
    if len(key):
        if found is None:
            found = _search(key, day, value, threads)
        records = _pick(*_joined(found), len(key))
    if records is not None and extent is None:
        extent = int(key.min()), int(key.max())
    if records is not None and _dense(key, extent):
        # a key -> baseline value table (NaN: no record; key -1 reads the last NaN): one
        # gather from the table, not from the values
        assert extent is not None
        keys, rows = records
        table = np.full(extent[1] + 2, np.nan)
        table[keys] = value[rows]
        derived: np.ndarray = gather(table, key, threads)
    else:
        at = baseline_rows(key, day, ~np.isnan(value), rank=value)
        derived = value[at]
        derived[at < 0] = np.nan  # no baseline record (row -1 read the last value)
    if given is None:
        return derived
    return np.where(np.isnan(given), derived, given)


#: The candidate rows of a block of rows: their positions, keys, days and values.
_Found = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]

#: Rows keyed and searched at once inside a thread's block: their keys, days and values stay
#: in the core's cache between the passes over them.
_SUB_BLOCK = 1 << 16


def _candidate_rows(k: np.ndarray, d: np.ndarray, v: np.ndarray, start: int) -> _Found:
    """The rows of one block (keys ``k``, days ``d``, values ``v`` from row ``start``) that
    may be a baseline: at or before :data:`BASELINE_LAST_DAY`, in a group, with a value."""
    at = np.flatnonzero(d <= BASELINE_LAST_DAY)
    kc, vc = k.take(at), v.take(at)
    ok = kc >= 0
    ok &= ~np.isnan(vc)
    if not ok.all():
        keep = np.flatnonzero(ok)
        at, kc, vc = at.take(keep), kc.take(keep), vc.take(keep)
    return at + start, kc, d.take(at), vc


def _search(key: np.ndarray, day: np.ndarray, value: np.ndarray, threads: int) -> list[_Found]:
    """:func:`_candidate_rows` of every block of rows, in row order (blocks on ``threads``
    threads)."""
    parts = row_blocks(len(key), threads, len(key))
    found: list[list[_Found]] = [[] for _ in parts]
    number = {part.start: k for k, part in enumerate(parts)}

    def block(part: slice) -> None:
        mine = found[number[part.start]]
        for at in range(part.start, part.stop, _SUB_BLOCK):
            sub = slice(at, min(at + _SUB_BLOCK, part.stop))
            mine.append(_candidate_rows(key[sub], day[sub], value[sub], at))

    run_blocks(block, parts, threads)
    return [f for block_found in found for f in block_found]


def _joined(found: list[_Found]) -> _Found:
    """The candidate rows of every block, joined in row order."""
    if len(found) == 1:
        return found[0]
    cand, k, d, r = (np.concatenate([f[j] for f in found]) for j in range(4))
    return cand, k, d, r


#: A block of rows not searched.
_NO_ROWS: _Found = (np.zeros(0, np.intp), np.zeros(0, np.int64), np.zeros(0), np.zeros(0))

#: The fewest keys whose records one thread picks (:func:`_record_values`): fewer keys are
#: picked on one thread, as every range reads every candidate row to find its own.
_KEY_RANGE = 1 << 16


def _record_values(found: list[_Found], size: int, threads: int) -> np.ndarray:
    """Per key below ``size - 1``, the value of its baseline record among the candidate rows
    ``found`` (:func:`_candidate_rows` of blocks of rows, in row order), NaN where it has
    none, and a last NaN that key -1 reads: the record :func:`_latest` picks. Ranges of keys
    are picked on ``threads`` threads, each from the candidates of its keys in row order."""
    value = np.empty(size)
    value[-1] = np.nan
    ranges = row_blocks(size - 1, threads, size - 1, smallest=_KEY_RANGE)

    def pick(keys: slice) -> None:
        if len(ranges) == 1:  # every key: the candidates of every block, in row order
            _, k, d, v = _joined(found)
        else:  # the candidates of these keys, in row order
            mine = []
            for _, k, d, v in found:
                at = np.flatnonzero((k >= keys.start) & (k < keys.stop))
                mine.append((k.take(at), d.take(at), v.take(at)))
            k, d, v = (np.concatenate([m[j] for m in mine]) for j in range(3))
            k -= keys.start
        _record_table(k, d, v, value[keys])

    run_blocks(pick, ranges, threads)
    return value


def _record_table(k: np.ndarray, d: np.ndarray, v: np.ndarray, value: np.ndarray) -> None:
    """Write into ``value`` (one element per key) the value of each key's baseline record
    among candidate rows in row order (keys ``k`` >= 0, days ``d``, values ``v``, never
    NaN): the latest day, then the highest value, then the last row, as :func:`_latest`
    picks it; NaN for a key without a candidate."""
    size = len(value)
    day = np.full(size, -np.inf)
    np.maximum.at(day, k, d)
    keep = np.flatnonzero(d == day.take(k))  # -0.0 and 0.0 are the same day
    kk, vk = k.take(keep), v.take(keep)
    top = np.full(size, -np.inf)
    np.maximum.at(top, kk, vk)
    keep = keep.take(np.flatnonzero(vk == top.take(kk)))
    last = np.full(size, -1, np.intp)  # the position of each key's record among the candidates
    np.maximum.at(last, k.take(keep), keep)
    has = np.flatnonzero(last >= 0)
    value.fill(np.nan)
    value[has] = v.take(last.take(has))  # the record's own value (its sign, where -0.0 ties 0.0)


def derive_baseline(
    subject: np.ndarray,
    param_index: np.ndarray,
    day: np.ndarray,
    value: np.ndarray,
    *,
    specimen: np.ndarray | None = None,
    param_counts: np.ndarray | None = None,
    threads: int = 1,
) -> np.ndarray:
    """Per row, the last value of the same subject, parameter and specimen at day <= 0 (SPEC
    section 2); NaN values (rejected or missing) never count, and ties on a day go to the
    higher value.

    Parameters
    ----------
    specimen
        Integer code of each row's specimen (-1: none given; rows without a specimen form
        their own group). None: one group per subject and parameter.
    param_counts
        Rows per parameter, unknown first (``np.bincount(param_index + 1)``), when the
        caller counted them: the parameters present are not searched for again, and are
        numbered 0.. in the keys (a small key table) where they are few.
    threads
        Blocks of rows keyed and read side by side (:mod:`aegrade.threads`): the same result.

    Examples
    --------
    >>> import numpy as np
    >>> derive_baseline(np.array([0, 0, 1]), np.array([0, 0, 0]),
    ...                 np.array([-1.0, 3.0, 0.0]), np.array([5.0, 9.0, 7.0])).tolist()
    [5.0, 5.0, 7.0]
    >>> derive_baseline(np.array([0, 0, 0]), np.array([0, 0, 0]), np.array([-1.0, -1.0, 3.0]),
    ...                 np.array([80.0, 9000.0, 90.0]), specimen=np.array([0, 1, 0])).tolist()
    [80.0, 9000.0, 80.0]
    """
    if specimen is not None and len(specimen) and int(specimen.max()) >= 0:
        spec_width = int(specimen.max()) + 2  # -1 (none) -> 0
        param_index = np.where(
            param_index >= 0, param_index.astype(np.int64) * spec_width + specimen + 1, -1
        )
        param_counts = None  # the keys are new
    n = len(param_index)
    if not n:
        return baseline_values(np.zeros(0, np.int64), day, value)
    dense_of: np.ndarray | None = None  # parameter -> its number among those present
    if param_counts is None:
        (p_lo, p_hi), (s_lo, s_hi) = _extents([param_index, subject], threads)
    else:
        present = np.flatnonzero(param_counts[1:])
        ((s_lo, s_hi),) = _extents([subject], threads)
        p_lo = -1 if param_counts[0] else (int(present[0]) if len(present) else -1)
        p_hi = int(present[-1]) if len(present) else -1
        if len(present) and 2 * len(present) <= p_hi + 1:  # few: numbered 0.. in the keys
            dense_of = np.full(len(param_counts), -1, np.int64)  # last: parameter -1
            dense_of[present] = np.arange(len(present))
            p_lo, p_hi = min(p_lo, 0), len(present) - 1
    small = (p_hi + 1) * (s_hi + 1) <= max(4 * n, _DENSE_MIN)
    if p_lo >= -1 and not small and dense_of is None:
        # the parameters present, numbered 0.. (a small key -> value table)
        counts = np.bincount(param_index + 1)
        dense = np.full(len(counts), -1, np.int64)  # dense[code + 1]; code -1 stays -1
        present = np.flatnonzero(counts[1:]) + 1
        dense[present] = np.arange(len(present))
        param_index = dense[param_index + 1]
        ((p_lo, p_hi),) = _extents([param_index], threads)
    width = p_hi + 1
    key = np.empty(n, np.int64)
    unkeyed = min(s_lo, p_lo) < 0
    # the keys lie within these bounds; where a table that long is small enough (as it is
    # for the exact extent then), the keys' own extent is not searched for: a longer table
    # holds the same values (no key reads its extra elements)
    bound = (-1 if unkeyed else s_lo * width + p_lo, max(s_hi, 0) * width + max(p_hi, 0))
    exact = not _dense(key, bound)
    parts = row_blocks(n, threads, n)
    number = {part.start: k for k, part in enumerate(parts)}
    extents: list[tuple[int, int]] = [bound] * len(parts)
    # where the keys' bound makes a key table small enough, the candidates of each block of
    # rows are joined on its thread, and ranges of keys pick their records side by side
    joined: list[_Found] = [_NO_ROWS] * len(parts)
    tabled = not exact

    found: list[list[_Found]] = [[] for _ in parts]

    def keys(part: slice) -> None:
        # keyed in sub-blocks, whose candidate rows are found while the keys are in cache
        mine = found[number[part.start]]
        lo, hi = bound
        for at in range(part.start, part.stop, _SUB_BLOCK):
            sub = slice(at, min(at + _SUB_BLOCK, part.stop))
            k = np.multiply(subject[sub], width, out=key[sub], dtype=np.int64)
            k += param_index[sub] if dense_of is None else dense_of[param_index[sub]]
            if unkeyed:
                k[(subject[sub] < 0) | (param_index[sub] < 0)] = -1
            if exact:
                lo = min(lo, int(k.min())) if at > part.start else int(k.min())
                hi = max(hi, int(k.max())) if at > part.start else int(k.max())
            mine.append(_candidate_rows(k, day[sub], value[sub], at))
        extents[number[part.start]] = (lo, hi)
        if tabled:
            joined[number[part.start]] = _joined(mine)

    run_blocks(keys, parts, threads)
    if tabled:  # a key -> baseline value table (a last NaN for key -1): one gather
        table = _record_values(joined, bound[1] + 2, threads)
        out: np.ndarray = gather(table, key, threads)
        return out
    extent = min(lo for lo, _ in extents), max(hi for _, hi in extents)
    every = [f for part_found in found for f in part_found]
    return _values(key, day, value, None, extent, threads, every)
