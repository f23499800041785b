"""The one episode builder: from sorted graded observations to episodes.

Every adverse-event episode of aegrade (lab terms, CRS, ICANS, febrile neutropenia) is a run of
one key's (subject, or subject and term) abnormal observations, sorted by key and day. What
differs between them are parameters, not copies:

* ``gap_days=None``: a run ends at the next non-abnormal observation (lab terms, febrile
  neutropenia); ``gap_days=g``: abnormal observations no more than ``g`` days apart belong to
  one run, whatever lies between them (CRS, ICANS).
* ``opens``: only such an observation can open an episode; a run's abnormal observations
  before its first one are dropped (a CRS episode opens at a fever).
* ``resolution="next_normal"``: the episode resolves on the day of the key's next observation
  when it is not abnormal; ``"after_gap"``: it resolves ``gap_days`` after its end when the
  key's follow-up reaches that day.

Everything is numpy on whole arrays (``reduceat`` over episode ranges); no loop runs per row
or per subject.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from aegrade.prepare.ids import text_codes  # the one place ids are coded

__all__ = [
    "EPISODE_COLUMNS",
    "EpisodeStats",
    "Episodes",
    "Resolution",
    "episode_rows",
    "episode_stats",
    "find_episodes",
    "stable_order",
    "text_codes",
    "unique_codes",
    "widened_sort",
]

#: Columns of an adverse-event episode row (SPEC section 5, ``adverse_events``).
EPISODE_COLUMNS = [
    "subject_id",
    "term",
    "criteria",
    "grade",
    "onset",
    "end",
    "resolved_day",
    "duration",
    "n_observations",
    "rule",
    "source",
]

#: Days are compared with this tolerance (day fractions carry binary rounding).
_DAY_TOL = 1e-9

Resolution = Literal["next_normal", "after_gap"]


@dataclass(frozen=True)
class Episodes:
    """Episodes as ranges of sorted observations: ``first[i]..last[i]`` (both included)."""

    first: np.ndarray
    last: np.ndarray

    def __len__(self) -> int:
        return len(self.first)

    def membership(self, n: int) -> np.ndarray:
        """Episode index of each of ``n`` sorted observations, -1 outside any episode.

        Examples
        --------
        >>> Episodes(np.array([1, 4]), np.array([2, 4])).membership(6).tolist()
        [-1, 0, 0, -1, 1, -1]
        """
        delta = np.zeros(n + 1, np.int64)
        np.add.at(delta, self.first, 1)
        np.add.at(delta, self.last + 1, -1)
        inside = np.cumsum(delta[:n]) > 0
        mark = np.zeros(n, np.int64)
        mark[self.first] = 1
        return np.where(inside, np.cumsum(mark) - 1, -1)


def stable_order(packed: np.ndarray) -> np.ndarray:
    """``np.argsort(packed, kind="stable")`` of non-negative int64 keys, by one plain sort.

    Each key is widened by its position (``key * n + i``), which makes every key distinct, so
    an unstable (SIMD) sort of the values gives the stable order, read back as ``% n``; several
    times faster than the stable argsort of a million keys. A key too large to widen falls back
    to the stable argsort.

    Parameters
    ----------
    packed
        Non-negative integer keys.

    Returns
    -------
    numpy.ndarray
        int64 positions, ties in their given order.

    Examples
    --------
    >>> stable_order(np.array([3, 1, 3, 0, 1])).tolist()
    [3, 1, 4, 0, 2]
    """
    n = len(packed)
    if n == 0:
        return np.zeros(0, np.int64)
    wide = widened_sort(packed)
    if wide is None:
        return np.argsort(packed, kind="stable").astype(np.int64)
    wide %= n
    return wide


def widened_sort(packed: np.ndarray) -> np.ndarray | None:
    """The sorted ``packed * n + position`` of :func:`stable_order` (None when a key is
    negative or too large to widen): ``% n`` is the stable order, ``// n`` the sorted keys,
    so a caller that packed several keys reads them back sorted without gathering them.

    Examples
    --------
    >>> wide = widened_sort(np.array([3, 1, 3, 0, 1]))
    >>> (wide % 5).tolist(), (wide // 5).tolist()
    ([3, 1, 4, 0, 2], [0, 1, 1, 3, 3])
    """
    n = len(packed)
    if n == 0 or int(packed.min()) < 0 or (int(packed.max()) + 1) * n >= 2**63:
        return None
    wide = packed.astype(np.int64) * n
    wide += np.arange(n, dtype=np.int64)
    wide.sort()
    return wide


def unique_codes(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(key, return_inverse=True)`` of non-negative integer keys, by counting when
    their range is small (no sort): the sorted distinct keys and each key's index among them.

    Examples
    --------
    >>> keys, code = unique_codes(np.array([7, 2, 7, 5]))
    >>> keys.tolist(), code.tolist()
    ([2, 5, 7], [2, 0, 2, 1])
    """
    if len(key) == 0 or int(key.min()) < 0 or int(key.max()) >= max(4 * len(key), 1 << 16):
        keys, code = np.unique(key, return_inverse=True)
        return keys, code.reshape(-1).astype(np.int64)
    seen = np.zeros(int(key.max()) + 1, bool)
    seen[key] = True
    rank = np.cumsum(seen, dtype=np.int64) - 1
    return np.flatnonzero(seen).astype(key.dtype, copy=False), rank[key]


def find_episodes(
    key: np.ndarray,
    day: np.ndarray,
    abnormal: np.ndarray,
    *,
    gap_days: float | None = None,
    opens: np.ndarray | None = None,
) -> Episodes:
    """Episodes of observations sorted by ``key`` and ``day``.

    Parameters
    ----------
    key
        Integer code of what an episode belongs to (a subject, or a subject and term).
    day
        Study day of each observation.
    abnormal
        Where an observation belongs to an episode (e.g. grade >= 1).
    gap_days
        None: an episode ends at the next observation that is not abnormal. A number: abnormal
        observations no more than this many days apart belong to one episode.
    opens
        Where an observation may open an episode (default: every abnormal one).

    Returns
    -------
    Episodes
        First and last observation of each episode, in sorted order.

    Examples
    --------
    >>> key = np.array([0, 0, 0, 0, 0, 1])
    >>> day = np.array([1.0, 2.0, 3.0, 4.0, 9.0, 1.0])
    >>> abnormal = np.array([True, True, False, True, True, True])
    >>> eps = find_episodes(key, day, abnormal)
    >>> eps.first.tolist(), eps.last.tolist()
    ([0, 3, 5], [1, 4, 5])
    >>> eps = find_episodes(key, day, abnormal, gap_days=2.0)
    >>> eps.first.tolist(), eps.last.tolist()
    ([0, 4, 5], [3, 4, 5])
    """
    sig = np.flatnonzero(abnormal)
    if sig.size == 0:
        return Episodes(np.zeros(0, np.int64), np.zeros(0, np.int64))
    k = key[sig]
    # without a gap: apart when an observation that is not abnormal lies between
    apart = np.diff(sig) > 1 if gap_days is None else np.diff(day[sig]) > gap_days + _DAY_TOL
    new = np.r_[True, (k[1:] != k[:-1]) | apart]
    if opens is not None:
        run = np.cumsum(new) - 1
        pos = np.arange(sig.size)
        run_first = np.flatnonzero(new)[run]
        opened = np.maximum.accumulate(np.where(opens[sig], pos, -1)) >= run_first
        sig, run = sig[opened], run[opened]
        new = np.r_[True, run[1:] != run[:-1]] if sig.size else np.zeros(0, bool)
    if sig.size == 0:
        return Episodes(np.zeros(0, np.int64), np.zeros(0, np.int64))
    starts = np.flatnonzero(new)  # each run's first, and the one before the next run's first
    ends = np.empty_like(starts)
    ends[:-1] = starts[1:] - 1
    ends[-1:] = sig.size - 1
    return Episodes(sig[starts], sig[ends])


@dataclass(frozen=True)
class EpisodeStats:
    """Per episode: worst grade, the observation that first reached it, days and counts."""

    worst: np.ndarray  # the grade's dtype
    worst_at: np.ndarray  # index (sorted order) of the earliest observation at the worst grade
    onset: np.ndarray  # first day
    end: np.ndarray  # last day
    resolved_day: np.ndarray  # NaN when not seen resolving
    n_observations: np.ndarray  # observations in the episode's range


def episode_stats(
    episodes: Episodes,
    key: np.ndarray,
    day: np.ndarray,
    grade: np.ndarray,
    *,
    resolution: Resolution,
    abnormal: np.ndarray | None = None,
    gap_days: float = 0.0,
) -> EpisodeStats:
    """Worst grade, onset, end, resolution and size of each episode.

    Parameters
    ----------
    episodes
        From :func:`find_episodes` over the same sorted arrays.
    key, day, grade
        The sorted observations.
    resolution
        ``"next_normal"``: resolved on the day of the key's next observation when it is not
        ``abnormal``; ``"after_gap"``: resolved at ``end + gap_days`` when the key has an
        observation on or after that day.
    abnormal
        Needed for ``"next_normal"``.
    gap_days
        Needed for ``"after_gap"``.

    Returns
    -------
    EpisodeStats

    Examples
    --------
    >>> key = np.array([0, 0, 0, 0])
    >>> day = np.array([1.0, 2.0, 3.0, 4.0])
    >>> grade = np.array([1, 3, 3, 0])
    >>> eps = find_episodes(key, day, grade >= 1)
    >>> s = episode_stats(eps, key, day, grade, resolution="next_normal", abnormal=grade >= 1)
    >>> s.worst.tolist(), s.worst_at.tolist(), s.onset.tolist(), s.end.tolist()
    ([3], [1], [1.0], [3.0])
    >>> s.resolved_day.tolist(), s.n_observations.tolist()
    ([4.0], [3])
    """
    first, last = episodes.first, episodes.last
    length = last - first + 1
    n = len(grade)
    if len(first) == 0:
        worst, worst_at = grade[:0], first.astype(np.int64)
        onset, end = day[:0].astype(float), day[:0].astype(float)
    else:
        # each episode is the range first..last of the sorted arrays: one reduceat over
        # the ranges and the gaps between them (every other result read), nothing gathered
        bounds = np.empty(2 * len(first), np.int64)
        bounds[0::2] = first
        bounds[1::2] = last + 1
        if bounds[-1] >= n:  # the last range runs to the end: no gap after it
            bounds = bounds[:-1]
        worst, worst_at = _worst_and_where(grade, bounds)
        onset, end = _first_last_days(day, first, last)
    if resolution == "next_normal":
        if abnormal is None:
            raise ValueError("resolution 'next_normal' needs 'abnormal'")
        nxt = np.minimum(last + 1, len(key) - 1)
        seen = (last + 1 < len(key)) & (key[nxt] == key[last]) & ~abnormal[nxt]
        resolved = np.where(seen, day[nxt], np.nan)
    else:
        block = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        follow = np.fmax.reduceat(day, block)[np.searchsorted(block, last, side="right") - 1]
        resolved = np.where(follow >= end + gap_days - _DAY_TOL, end + gap_days, np.nan)
    return EpisodeStats(worst, worst_at, onset, end, resolved.astype(float), length)


def _first_last_days(
    day: np.ndarray, first: np.ndarray, last: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per range ``first..last``, the lowest and highest day (NaN ignored; NaN when all are).

    In a range whose days ascend without NaN they are its first and last day; only the ranges
    with a descent or a NaN inside (few: the observations come sorted by day) are reduced."""
    onset, end = day[first], day[last]
    if len(day) < 2:
        return onset, end
    # a mark at p (1 <= p < n): a descent (below its predecessor) or a NaN at p or p - 1; a
    # range with a mark at some p in first < p <= last is reduced (a NaN in a one-row range
    # is already its onset and end)
    nan = np.isnan(day)
    mark = day[1:] < day[:-1]
    mark |= nan[1:]
    mark |= nan[:-1]
    marks = np.empty(len(day), np.int32 if len(day) < 2**31 else np.int64)
    marks[0] = 0
    np.cumsum(mark, out=marks[1:])
    if not marks[-1]:
        return onset, end
    hit = marks[last] > marks[first]
    redo = np.flatnonzero(hit)
    if redo.size:
        bounds = np.empty(2 * redo.size, np.int64)
        bounds[0::2], bounds[1::2] = first[redo], last[redo] + 1
        if bounds[-1] >= len(day):
            bounds = bounds[:-1]
        onset[redo] = np.fmin.reduceat(day, bounds)[0::2]
        end[redo] = np.fmax.reduceat(day, bounds)[0::2]
    return onset, end


def _worst_and_where(grade: np.ndarray, bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per range ``bounds[2i]..bounds[2i+1]`` (exclusive), the highest grade and the first
    position holding it. Whole grades from 0 to 127 ride with their position in one int64
    (``grade << 40 | (2**40 - 1 - position)``: the maximum is the worst grade at its earliest
    position); other grades by a second pass over each range's rows."""
    n = len(grade)
    small = grade.dtype.kind in "iu" and n < 2**40
    if small and n:
        small = int(grade.min()) >= 0 and int(grade.max()) <= 127
    if small:
        word = grade.astype(np.int64)  # grade << 40 | (2**40 - 1 - position), in place
        word <<= 40
        word += (1 << 40) - 1
        np.subtract(word, np.arange(n, dtype=np.int32 if n < 2**31 else np.int64), out=word)
        best = np.maximum.reduceat(word, bounds)[0::2]
        worst = (best >> 40).astype(grade.dtype)
        return worst, (1 << 40) - 1 - (best & ((1 << 40) - 1))
    worst = np.maximum.reduceat(grade, bounds)[0::2]
    starts = bounds[0::2]
    stops = np.r_[bounds[1::2], n] if len(bounds) % 2 else bounds[1::2]
    length = stops - starts
    offsets = np.cumsum(length) - length
    rows = np.arange(int(length.sum())) + np.repeat(starts - offsets, length)
    pos = np.flatnonzero(grade[rows] == np.repeat(worst, length))
    return worst, rows[pos[np.searchsorted(pos, offsets)]]


def episode_rows(
    stats: EpisodeStats,
    *,
    subject_id: object,
    term: object,
    criteria: object,
    grade: object,
    rule: object,
) -> pd.DataFrame:
    """Episodes in the adverse-event layout (:data:`EPISODE_COLUMNS`, ``source`` 'derived').

    Labels are per episode arrays or one value for all; ``grade`` sets the grade column's
    dtype.

    Examples
    --------
    >>> key, day, grade = np.zeros(3, int), np.array([1.0, 2.0, 5.0]), np.array([2, 1, 0])
    >>> eps = find_episodes(key, day, grade >= 1)
    >>> s = episode_stats(eps, key, day, grade, resolution="next_normal", abnormal=grade >= 1)
    >>> ae = episode_rows(s, subject_id="S1", term="Anemia", criteria="ctcae-v5.0",
    ...                   grade=s.worst, rule="ctcae-v5.0/anemia/2")
    >>> ae[["subject_id", "grade", "onset", "end", "resolved_day", "duration"]].to_numpy().tolist()
    [['S1', 2, 1.0, 2.0, 5.0, 1.0]]
    """
    return pd.DataFrame(
        {
            "subject_id": subject_id,
            "term": term,
            "criteria": criteria,
            "grade": grade,
            "onset": stats.onset,
            "end": stats.end,
            "resolved_day": stats.resolved_day,
            "duration": stats.end - stats.onset,
            "n_observations": stats.n_observations,
            "rule": rule,
            "source": "derived",
        }
    )
