"""Shared machinery of the hematology summaries: canonical rows, daily grids and runs.

Everything works on whole numpy arrays: a subject x day grid for day counting, sorted keys and
``searchsorted`` for "last value before", cumulative maxima for runs. No Python loop runs per
row or per subject.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from aegrade.criteria.hematology import Cut, to_canonical
from aegrade.criteria.units import registry
from aegrade.grading.predicates import compare

__all__ = [
    "SECOND",
    "Grid",
    "Readings",
    "canonical",
    "cut_mask",
    "daily_grid",
    "first_true",
    "is_sorted",
    "joined_runs",
    "longest_run",
    "nullable_int",
    "per_subject_first",
]

#: Times are compared to the second (day fractions carry binary rounding).
SECOND = 1.0 / 86400.0


@dataclass(frozen=True)
class Readings:
    """Readings of one parameter, in canonical units; ``subject`` indexes ``subjects``."""

    subjects: pd.Index
    subject: np.ndarray  # int64, >= 0
    day: np.ndarray  # float study day, NaN unknown
    value: np.ndarray  # canonical unit
    raw: np.ndarray  # the row's own unit
    unit: np.ndarray  # canonical spelling of the row's unit (object)
    baseline: np.ndarray  # canonical, NaN none

    @classmethod
    def empty(cls, subjects: pd.Index) -> Readings:
        z = np.zeros(0)
        return cls(subjects, np.zeros(0, np.int64), z, z, z, np.zeros(0, object), z)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, subjects: pd.Index | None = None) -> Readings:
        """Readings from a frame with ``subject_id``, ``day``, ``value`` (canonical unit) and
        optionally ``unit``, ``raw_value``, ``baseline``; rows of other subjects are dropped."""
        sid = frame["subject_id"].astype("string")
        subjects = pd.Index(sid.dropna().unique() if subjects is None else subjects, dtype="string")
        code = subjects.get_indexer(pd.Index(sid))
        keep = code >= 0
        value = pd.to_numeric(frame["value"], errors="coerce").to_numpy(float)
        n = len(frame)

        def col(name: str, default: object) -> np.ndarray:
            if name in frame:
                if default is None:
                    return frame[name].to_numpy(dtype=object)
                return pd.to_numeric(frame[name], errors="coerce").to_numpy(float)
            return np.full(n, default, dtype=object if default is None else float)

        raw = col("raw_value", np.nan)
        raw = np.where(np.isnan(raw), value, raw)
        day = col("day", np.nan)
        keep &= ~np.isnan(value)
        return cls(
            subjects,
            code[keep].astype(np.int64),
            day[keep],
            value[keep],
            raw[keep],
            col("unit", None)[keep],
            col("baseline", np.nan)[keep],
        )


def cut_mask(
    cut: Cut,
    parameter: str,
    unit: str,
    rows_value: np.ndarray,
    rows_raw: np.ndarray,
    rows_unit: np.ndarray,
) -> np.ndarray:
    """Where ``value op threshold`` holds (NaN never holds).

    A threshold mapping unit -> number compares a row in one of those units with the source's
    own number for it (raw value); other rows compare the canonical value with the converted
    number of the section's ``unit``.

    Examples
    --------
    >>> cut = Cut(op="le", threshold=500.0, text="ANC <=500/uL")
    >>> raw = np.array([400.0, 600.0, np.nan])
    >>> cut_mask(cut, "NEUT", "/uL", raw / 1000, raw, np.array(["/uL"] * 3, object)).tolist()
    [True, False, False]
    """
    spec = cut.threshold
    if not isinstance(spec, dict):
        return compare(cut.op, rows_value, np.asarray(to_canonical(parameter, unit, spec), float))
    canonical_unit = registry().parameters[parameter].unit
    first_unit, first_number = next(iter(spec.items()))
    base = spec.get(canonical_unit, None)
    base = float(base) if base is not None else to_canonical(parameter, first_unit, first_number)
    out = compare(cut.op, rows_value, np.asarray(base, float))
    for u, number in spec.items():
        mine = rows_unit == u
        if mine.any():
            out = np.where(mine, compare(cut.op, rows_raw, np.asarray(number, float)), out)
    return out


def canonical(cut: Cut, parameter: str, unit: str) -> float:
    """A cut's threshold in the canonical unit (mapping: its entry for the canonical unit).

    Examples
    --------
    ANC <= 500/uL is 0.5 in the canonical 10^9/L:

    >>> canonical(Cut(op="le", threshold=500.0, text="ANC <=500/uL"), "NEUT", "/uL")
    0.5
    """
    spec = cut.threshold
    if isinstance(spec, dict):
        canonical_unit = registry().parameters[parameter].unit
        if canonical_unit in spec:
            return float(spec[canonical_unit])
        unit, spec = next(iter(spec.items()))
    return to_canonical(parameter, unit, spec)


# --------------------------------------------------------------------------- daily grid


@dataclass(frozen=True)
class Grid:
    """Daily values per subject: ``value[s, j]`` is study day ``first_day + j``."""

    first_day: int
    value: np.ndarray  # (subjects, days), NaN when not observed (nor carried forward)
    measured: np.ndarray  # (subjects, days) bool: a measurement falls on that day

    def days(self, first: int, last: int | None) -> slice:
        """Column slice of study days ``first..last`` (both included)."""
        lo = max(first - self.first_day, 0)
        hi = self.value.shape[1] if last is None else max(last - self.first_day + 1, lo)
        return slice(lo, min(hi, self.value.shape[1]))


def daily_grid(
    rows: Readings,
    *,
    first_day: int,
    last_day: int | None,
    daily_value: str,
    carry_forward_days: int,
    through_day: int | None = None,
) -> Grid:
    """One value per subject and study day: the day's lowest (or last) measurement, a missing
    day carrying the last measured day's value for at most ``carry_forward_days`` days.

    Without ``last_day`` the grid runs to the last measured day plus the carry, and at least
    to ``through_day``.

    Examples
    --------
    ANC 2.0 on day 0 and 0.4 on day 3, each carried one day:

    >>> anc = pd.DataFrame({"subject_id": "01", "day": [0, 3], "value": [2.0, 0.4]})
    >>> rows = Readings.from_frame(anc)
    >>> grid = daily_grid(rows, first_day=0, last_day=5, daily_value="lowest", carry_forward_days=1)
    >>> grid.value.tolist()
    [[2.0, 2.0, nan, 0.4, 0.4, nan]]
    """
    n = len(rows.subjects)
    start = first_day - carry_forward_days
    dint = np.floor(rows.day)
    ok = ~np.isnan(dint) & (dint >= start)
    if last_day is not None:
        ok &= dint <= last_day
    if last_day is not None:
        end = last_day
    else:
        end = int(dint[ok].max()) + carry_forward_days if ok.any() else first_day
        end = max(end, through_day if through_day is not None else first_day)
    width = max(int(end) - start + 1, 1)
    subj, col = rows.subject[ok], (dint[ok] - start).astype(np.int64)
    key = subj * width + col
    measured_val = np.full((n, width), np.nan)
    if daily_value == "lowest":
        lowest = np.full(n * width, np.inf)
        np.minimum.at(lowest, key, rows.value[ok])
        measured_val.flat[:] = np.where(np.isinf(lowest), np.nan, lowest)
    else:  # the last measurement of the day; ties in time take the lowest value
        val, time = rows.value[ok], rows.day[ok]
        order = np.lexsort((-val, time, key))
        k = key[order]
        take = np.r_[k[1:] != k[:-1], True]
        measured_val.flat[k[take]] = val[order][take]
    measured = ~np.isnan(measured_val)
    cols = np.arange(width)
    last = np.maximum.accumulate(np.where(measured, cols, -1), axis=1)
    within = (last >= 0) & (cols - last <= carry_forward_days)
    filled = np.where(within, np.take_along_axis(measured_val, np.maximum(last, 0), axis=1), np.nan)
    return Grid(first_day, filled[:, carry_forward_days:], measured[:, carry_forward_days:])


def joined_runs(flag: np.ndarray, join_gap_days: int) -> np.ndarray:
    """``flag`` with gaps of fewer than ``join_gap_days`` days between flagged days filled.

    Examples
    --------
    A one-day gap is filled with ``join_gap_days=2``, a two-day gap is not:

    >>> joined_runs(np.array([[True, False, True, False, False, True]]), 2).astype(int).tolist()
    [[1, 1, 1, 0, 0, 1]]
    """
    d = flag.shape[1]
    cols = np.arange(d)
    prev = np.maximum.accumulate(np.where(flag, cols, -1), axis=1)
    nxt = np.minimum.accumulate(np.where(flag, cols, d)[:, ::-1], axis=1)[:, ::-1]
    gap = ~flag & (prev >= 0) & (nxt < d) & (nxt - prev - 1 < join_gap_days)
    joined: np.ndarray = flag | gap
    return joined


def longest_run(flag: np.ndarray) -> np.ndarray:
    """Length of the longest run of True per row.

    Examples
    --------
    >>> longest_run(np.array([[True, True, False, True], [False, False, False, False]])).tolist()
    [2, 0]
    """
    if flag.shape[1] == 0:
        return np.zeros(flag.shape[0], np.int64)
    cols = np.arange(flag.shape[1])
    last_false = np.maximum.accumulate(np.where(flag, -1, cols), axis=1)
    longest: np.ndarray = np.where(flag, cols - last_false, 0).max(axis=1)
    return longest


def first_true(mask: np.ndarray) -> np.ndarray:
    """Column of the first True per row, -1 when none.

    Examples
    --------
    >>> first_true(np.array([[False, True, True], [False, False, False]])).tolist()
    [1, -1]
    """
    if mask.shape[1] == 0:
        return np.full(mask.shape[0], -1)
    return np.where(mask.any(axis=1), mask.argmax(axis=1), -1)


def is_sorted(subject: np.ndarray, day: np.ndarray, value: np.ndarray) -> bool:
    """True when rows are already ordered by subject, day and value (the usual layout).

    Examples
    --------
    >>> is_sorted(np.array([0, 0, 1]), np.array([1.0, 2.0, 0.0]), np.array([5.0, 1.0, 3.0]))
    True
    >>> is_sorted(np.array([1, 0]), np.array([0.0, 0.0]), np.array([1.0, 1.0]))
    False
    """
    if subject.size < 2:
        return True
    ds, dd, dv = np.diff(subject), np.diff(day), np.diff(value)
    return bool(np.all((ds > 0) | ((ds == 0) & ((dd > 0) | ((dd == 0) & (dv >= 0))))))


def per_subject_first(
    subject: np.ndarray, n: int, values: np.ndarray, order: np.ndarray
) -> np.ndarray:
    """For each subject the value at its first position in ``order`` (NaN when none).

    Examples
    --------
    ``order`` sorts the rows by subject (then by what decides "first"):

    >>> per_subject_first(np.array([1, 0, 1]), 3, np.array([5.0, 6.0, 7.0]), np.array([1, 0, 2]))
    array([ 6.,  5., nan])
    """
    out = np.full(n, np.nan)
    s = subject[order]
    first = np.r_[True, s[1:] != s[:-1]] if s.size else np.zeros(0, bool)
    out[s[first]] = values[order][first]
    return out


def nullable_int(values: np.ndarray, known: np.ndarray) -> pd.arrays.IntegerArray:
    """An Int64 array, NA where not ``known``.

    Examples
    --------
    >>> nullable_int(np.array([3, 0]), np.array([True, False])).tolist()
    [3, <NA>]
    """
    arr = pd.array(np.where(known, values, 0).astype(np.int64), dtype="Int64")
    arr[~known] = pd.NA
    return arr
