"""Lab adverse-event episodes from graded observations (treatment-emergent).

An episode is a maximal run of a subject's consecutive graded observations of one term with
grade >= 1; a grade-0 observation ends it, an ungraded (NA) one neither ends nor extends it.
Onset and end are the days of its first and last abnormal observation; ``resolved_day`` is the
day of the first grade-0 observation after it (NA when none was seen: ongoing or unknown).

Only post-baseline observations form episodes, and an episode counts when its worst grade is
above the subject's baseline grade of that term. The runs themselves are found by the one
builder, :func:`aegrade.episodes.build.find_episodes`. Everything runs on integer codes
(subject, term, system, rule) with numpy sorts and ``reduceat``; text is attached only to the
few result rows.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cached_property

import numpy as np
import pandas as pd

from aegrade.episodes.build import (
    EPISODE_COLUMNS,
    EpisodeStats,
    episode_rows,
    episode_stats,
    find_episodes,
    text_codes,
)
from aegrade.prepare.baseline import BASELINE_LAST_DAY, baseline_rows

__all__ = [
    "BASELINE_LAST_DAY",
    "LongGrades",
    "baseline_grades",
    "build_episodes",
    "stack_directions",
]


@dataclass
class LongGrades:
    """One entry per observation and direction that has a term, as integer codes.

    Each entry's subject, term and system are one packed int64 ``key``
    (``((subject + 1) * n_terms + term) * (n_systems + 1) + criteria + 1``, so -1, none,
    packs too): every stage that groups by subject, term and system reads the same key, and
    ``subject``, ``term`` and ``criteria`` (indexes into ``subjects``, ``terms`` and
    ``systems``, -1: none) are read back from it when asked for. ``grades`` are int8 grades
    (-1: not graded) when every grade is a whole number from 0 to 127, else float (NaN: not
    graded); ``grade`` is always the float view. ``rule`` (index into ``rules``, -1 when no
    rule fired) is gathered from the graded rows only when asked for (:meth:`rule_at`).
    Built by :func:`stack_directions`.
    """

    key: np.ndarray
    subjects: np.ndarray  # labels of the subject codes
    terms: np.ndarray
    systems: np.ndarray
    rules: np.ndarray
    grades: np.ndarray
    day: np.ndarray
    #: per side (low, high), the rows of the graded table its entries come from, in order:
    #: the low side's entries first
    side_rows: tuple[np.ndarray, np.ndarray]
    #: per side (low, high), each graded row's rule code in that side's own labels, and the
    #: table from those codes to ``rules`` (its last entry, -1, read by code -1)
    side_rules: tuple[np.ndarray, np.ndarray]
    rule_tables: tuple[np.ndarray, np.ndarray]

    @property
    def n_terms(self) -> int:
        """Terms in the key (at least 1)."""
        return max(len(self.terms), 1)

    @property
    def subject_stride(self) -> int:
        """``key // subject_stride - 1`` is the subject code; a key below it has no subject."""
        return self.n_terms * (len(self.systems) + 1)

    @cached_property
    def subject(self) -> np.ndarray:
        """Subject code of each entry (-1: none)."""
        out: np.ndarray = self.key // self.subject_stride - 1
        return out

    @cached_property
    def term(self) -> np.ndarray:
        """Term code of each entry."""
        out: np.ndarray = (self.key // (len(self.systems) + 1)) % self.n_terms
        return out

    @cached_property
    def criteria(self) -> np.ndarray:
        """System code of each entry (-1: none)."""
        out: np.ndarray = self.key % (len(self.systems) + 1) - 1
        return out

    @cached_property
    def grade(self) -> np.ndarray:
        """Grade of each entry as float, NaN when not graded."""
        if self.grades.dtype.kind == "f":
            return self.grades
        return np.where(self.grades >= 0, self.grades, np.nan)

    @cached_property
    def graded(self) -> np.ndarray:
        """Where the entry has a grade."""
        out: np.ndarray = (
            ~np.isnan(self.grades) if self.grades.dtype.kind == "f" else self.grades >= 0
        )
        return out

    @cached_property
    def graded_subject(self) -> np.ndarray:
        """Graded entries of a subject (the others are never read)."""
        out: np.ndarray = self.graded & (self.key >= self.subject_stride)
        return out

    @cached_property
    def post_baseline(self) -> np.ndarray:
        """Graded entries of a subject after baseline (day > 0, or no day): the entries the
        episodes and the worst grades per term read."""
        out: np.ndarray = self.graded_subject & ~(self.day <= BASELINE_LAST_DAY)
        return out

    def rule_at(self, at: np.ndarray) -> np.ndarray:
        """The rule code (-1: none) of the entries ``at``.

        Examples
        --------
        >>> graded = pd.DataFrame({"subject_id": ["S1"], "criteria": "ctcae-v5.0",
        ...     "term_low": ["Anemia"], "rule_low": ["a/1"], "grade_low": [1.0],
        ...     "term_high": ["Hyperkalemia"], "rule_high": ["k/2"], "grade_high": [2.0]})
        >>> long = stack_directions(graded, np.array([1.0]))
        >>> long.rules[long.rule_at(np.array([1, 0]))].tolist()
        ['k/2', 'a/1']
        """
        at = np.asarray(at, dtype=np.int64)
        out = np.empty(len(at), np.int64)
        low = at < len(self.side_rows[0])
        for side, (rows, codes, table) in enumerate(
            zip(self.side_rows, self.side_rules, self.rule_tables, strict=True)
        ):
            mine = low if side == 0 else ~low
            row = rows[at[mine] - (0 if side == 0 else len(self.side_rows[0]))]
            out[mine] = np.take(table, codes[row].astype(np.int64), mode="wrap")
        return out

    @cached_property
    def source(self) -> np.ndarray:
        """Per entry, its row in the graded table."""
        return np.concatenate(self.side_rows)

    @cached_property
    def rule(self) -> np.ndarray:
        """Rule code of each entry (-1: none)."""
        return self.rule_at(np.arange(len(self.key)))


def _codes(col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (-1: missing; a categorical's own small integer type) and labels."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        return col.cat.codes.to_numpy(), np.asarray(col.cat.categories, dtype=object)
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    return codes.astype(np.int64), np.asarray(uniques, dtype=object)


def _subject_codes(ids: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes of the ids as text; a blank id is no subject (-1). The blank test runs on the
    distinct ids, which are then renumbered without the blank ones."""
    codes, uniques = text_codes(ids)
    text = pd.Series(uniques, dtype="string")
    blank = (text.str.strip() == "").to_numpy(bool, na_value=False)
    if not blank.any():
        return codes, uniques
    renumber = np.r_[np.where(blank, -1, np.cumsum(~blank) - 1), -1]  # [-1]: no subject
    return renumber[codes], uniques[~blank]


def _merged(labels: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """One list of the sides' labels (a label both sides have gets one code) and per side a
    table from its codes to the merged ones, with a last -1 that code -1 reads."""
    merged, found = pd.factorize(np.concatenate([np.asarray(x, dtype=object) for x in labels]))
    tables, start = [], 0
    for x in labels:
        tables.append(np.r_[merged[start : start + len(x)], -1].astype(np.int64))
        start += len(x)
    return np.asarray(found, dtype=object), tables


def _side_grades(column: pd.Series, at: np.ndarray) -> np.ndarray:
    """The grades of rows ``at``: int8 (-1: not graded) when every one is a whole number from
    0 to 127, else float (NaN: not graded)."""
    array = column.array
    if isinstance(array, pd.arrays.IntegerArray):  # the engine's Int8: no float detour
        picked = array.take(at)
        missing = np.asarray(picked.isna(), dtype=bool)
        if str(array.dtype) == "Int8":
            small: np.ndarray = np.asarray(picked.to_numpy(dtype=np.int8, na_value=-1))
            if int(np.count_nonzero(small < 0)) == int(np.count_nonzero(missing)):
                return small  # no grade below 0 beside the NA ones
        whole: np.ndarray = np.asarray(picked.to_numpy(dtype=np.int64, na_value=0))
        given = whole[~missing]
        if not given.size or (int(given.min()) >= 0 and int(given.max()) <= 127):
            small = whole.astype(np.int8)
            small[missing] = -1
            return small
    grade: np.ndarray = column.to_numpy(dtype=float, na_value=np.nan)[at]
    known = ~np.isnan(grade)
    g = grade[known]
    if g.size and not (g.min() >= 0 and g.max() <= 127 and np.all(g == np.round(g))):
        return grade
    out = np.full(len(grade), -1, np.int8)
    out[known] = g
    return out


def stack_directions(
    graded: pd.DataFrame,
    day: np.ndarray | None,
    levels: tuple[np.ndarray, np.ndarray] | None = None,
) -> LongGrades:
    """Both directions of graded observations stacked, keeping rows that have a term.

    Parameters
    ----------
    graded
        Graded observations: ``subject_id``, ``criteria`` and per direction (``low``,
        ``high``) ``term_<d>``, ``rule_<d>``, ``grade_<d>``.
    day
        Study day of each row (None: unknown for all).
    levels
        ``grade_low`` and ``grade_high`` as int8 with -1 for NA, when the caller has them
        (:func:`~aegrade.grading.labs.lab_levels`): gathered instead of the nullable columns.

    Returns
    -------
    LongGrades

    Examples
    --------
    >>> graded = pd.DataFrame({
    ...     "subject_id": ["S1", "S1"], "criteria": "ctcae-v5.0", "term_low": ["Anemia", None],
    ...     "rule_low": ["a/1", None], "grade_low": [1.0, float("nan")],
    ...     "term_high": [None, "Hyperkalemia"], "rule_high": [None, "k/2"],
    ...     "grade_high": [float("nan"), 2.0]})
    >>> long = stack_directions(graded, np.array([1.0, 2.0]))
    >>> long.terms[long.term].tolist(), long.grade.tolist()
    (['Anemia', 'Hyperkalemia'], [1.0, 2.0])
    """
    subject, subjects = _subject_codes(graded["subject_id"])
    crit, systems = _codes(graded["criteria"])
    day = day if day is not None else np.full(len(graded), np.nan)
    sides = ("low", "high")
    term_codes = [_codes(graded[f"term_{d}"]) for d in sides]
    rule_codes = [_codes(graded[f"rule_{d}"]) for d in sides]
    terms, term_tables = _merged([labels for _, labels in term_codes])
    rules, rule_tables = _merged([labels for _, labels in rule_codes])
    n_terms, n_sys = max(len(terms), 1), len(systems) + 1
    # subject and system of each graded row, packed once for both sides
    base = subject.astype(np.int64) + 1
    base *= n_terms * n_sys
    base += crit
    base += 1
    at = [np.flatnonzero(codes >= 0) for codes, _ in term_codes]  # rows that have a term
    n = len(at[0]) + len(at[1])
    key = np.empty(n, np.int64)
    days = np.empty(n, day.dtype)
    start = 0
    for (codes, _), table, rows in zip(term_codes, term_tables, at, strict=True):
        part = slice(start, start + len(rows))
        start += len(rows)
        # mode="clip": the rows are valid positions, so take writes into ``out`` directly
        # (the default mode first gathers into a buffer to check them: twice the time)
        np.take(base, rows, out=key[part], mode="clip")
        key[part] += np.take(table * n_sys, codes[rows])  # -1 (no term) is never taken
        np.take(day, rows, out=days[part], mode="clip")
    if levels is not None and all(x.dtype == np.int8 for x in levels):
        grades = [np.take(x, rows) for x, rows in zip(levels, at, strict=True)]
    else:
        grades = [
            _side_grades(graded[f"grade_{d}"], rows) for d, rows in zip(sides, at, strict=True)
        ]
    if any(g.dtype.kind == "f" for g in grades):
        grades = [np.where(g >= 0, g, np.nan) if g.dtype.kind != "f" else g for g in grades]
    return LongGrades(
        key=key,
        subjects=subjects,
        terms=terms,
        systems=systems,
        rules=rules,
        grades=np.concatenate(grades),
        day=days,
        side_rows=(at[0], at[1]),
        side_rules=(rule_codes[0][0], rule_codes[1][0]),
        rule_tables=(rule_tables[0], rule_tables[1]),
    )


def baseline_grades(long: LongGrades) -> np.ndarray:
    """Per row, the grade of the same subject, term and system at baseline.

    The baseline is the last graded observation at day <= :data:`BASELINE_LAST_DAY` (ties by
    the worse grade).

    Parameters
    ----------
    long
        Graded rows of both directions (:func:`stack_directions`).

    Returns
    -------
    numpy.ndarray
        Float per row; NaN when there is no baseline.

    Examples
    --------
    >>> graded = pd.DataFrame({
    ...     "subject_id": "S1", "criteria": "ctcae-v5.0", "term_low": "Anemia",
    ...     "rule_low": ["a/1", "a/3"], "grade_low": [1.0, 3.0],
    ...     "term_high": None, "rule_high": None, "grade_high": float("nan")})
    >>> baseline_grades(stack_directions(graded, np.array([-1.0, 4.0]))).tolist()
    [1.0, 1.0]
    """
    return _baseline_of(long, long.key)


def _baseline_of(long: LongGrades, keys: np.ndarray) -> np.ndarray:
    """The baseline grade (NaN: none) of each packed key of ``keys``, by the one baseline rule
    run on the entries up to day 0 only (the only ones that can be a baseline): each of them
    learns its key's baseline, which the keys asked about then read from a table of keys."""
    cand = np.flatnonzero(long.graded_subject & ~long.post_baseline)  # graded, day <= 0
    if cand.size == 0 or not len(keys):
        return np.full(len(keys), np.nan)
    key = long.key[cand]
    grade = long.grades[cand].astype(float)
    rows = baseline_rows(key, long.day[cand], np.ones(cand.size, bool), rank=grade)
    found = rows >= 0  # the same for every entry of a key: its key's baseline
    per_entry = np.where(found, grade[np.maximum(rows, 0)], np.nan)
    top = int(max(int(key.max()), int(keys.max()))) + 1
    if int(min(int(key.min()), int(keys.min()))) >= 0 and top <= max(4 * len(keys), 1 << 20):
        table = np.full(top, np.nan)
        table[key] = per_entry
        out: np.ndarray = table[keys]
        return out
    order = np.argsort(key, kind="stable")
    sorted_keys = key[order]
    at = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    hit = sorted_keys[at] == keys
    return np.where(hit, per_entry[order][at], np.nan)


def build_episodes(long: LongGrades) -> pd.DataFrame:
    """Treatment-emergent episodes from stacked graded rows.

    Only observations after baseline (day > 0, or without a day) form episodes, and an episode
    is kept when its worst grade is above the subject's baseline grade of that term (a
    pre-existing abnormality that does not worsen is not an adverse event of the treatment).

    Parameters
    ----------
    long
        From :func:`stack_directions`.

    Returns
    -------
    pandas.DataFrame
        :data:`~aegrade.episodes.build.EPISODE_COLUMNS` plus ``baseline_grade`` (Int64: what
        the episode was compared with).

    Examples
    --------
    >>> graded = pd.DataFrame({
    ...     "subject_id": "S1", "criteria": "ctcae-v5.0", "term_low": "Anemia",
    ...     "rule_low": ["a/1", "a/2", "a/3", "a/0"], "grade_low": [1.0, 2.0, 3.0, 0.0],
    ...     "term_high": None, "rule_high": None, "grade_high": float("nan")})
    >>> ae = build_episodes(stack_directions(graded, np.array([-1.0, 2.0, 4.0, 6.0])))
    >>> ae[["grade", "onset", "end", "resolved_day", "rule", "baseline_grade"]].to_numpy().tolist()
    [[3, 2.0, 4.0, 6.0, 'a/3', 1]]
    """
    keep = long.post_baseline.copy()
    hot = _abnormal_keys(long.key, keep, long.grades)
    if hot is not None:  # only keys with an abnormal grade can hold an episode: sort just those
        keep &= hot[long.key]
    if not keep.any():
        return pd.DataFrame(columns=EPISODE_COLUMNS)
    kept = np.flatnonzero(keep)  # positions, gathered from (a boolean mask: 3x the time)
    order, key, grade, day = _episode_sort(
        long.key[kept], long.day[kept], long.grades[kept], own_key=True
    )
    abnormal = grade >= 1
    eps = find_episodes(key, day, abnormal)
    stats = episode_stats(eps, key, day, grade, resolution="next_normal", abnormal=abnormal)
    ep_key = key[eps.first]
    base = _baseline_of(long, ep_key)  # each episode's baseline grade
    emergent = ~(stats.worst.astype(np.int64) <= np.nan_to_num(base, nan=-1))
    worst_at = kept[order[stats.worst_at]]  # each episode's worst entry
    if not emergent.all():  # the episodes kept, before any text is made (by position)
        kept_eps = np.flatnonzero(emergent)
        stats = EpisodeStats(*(getattr(stats, f.name)[kept_eps] for f in fields(stats)))
        ep_key, worst_at, base = ep_key[kept_eps], worst_at[kept_eps], base[kept_eps]
    n_sys = len(long.systems) + 1
    out = episode_rows(
        stats,
        subject_id=_labels(ep_key // long.subject_stride - 1, long.subjects),
        term=_labels((ep_key // n_sys) % long.n_terms, long.terms),
        criteria=_labels(ep_key % n_sys - 1, long.systems),
        grade=stats.worst.astype(np.int64),
        rule=_labels(long.rule_at(worst_at), long.rules),
    )
    none = np.isnan(base)
    whole = np.where(none, 0.0, base)
    if bool(np.all(whole == np.trunc(whole))) and (not whole.size or np.abs(whole).max() < 2**53):
        # whole grades or NaN: Int64 straight from them (no float array checked again)
        out["baseline_grade"] = pd.arrays.IntegerArray(whole.astype(np.int64), none)
    else:
        out["baseline_grade"] = pd.array(base, dtype="float").astype("Int64")
    return out


def _abnormal_keys(key: np.ndarray, keep: np.ndarray, grades: np.ndarray) -> np.ndarray | None:
    """Per packed key, whether a kept entry of it has grade >= 1 (None: too many keys for a
    table; every key is then sorted)."""
    if not len(key):
        return None
    top = int(key.max()) + 1
    if top > max(4 * len(key), 1 << 20):
        return None
    abnormal = keep & (grades >= 1)
    hot = np.zeros(top, np.int8)
    np.maximum.at(hot, key, abnormal.view(np.int8))  # no gathered copy of the keys
    return hot.view(bool)


def _episode_order(key: np.ndarray, day: np.ndarray, grade: np.ndarray) -> np.ndarray:
    """The order of ``np.lexsort((-grade, day, key))`` from one sort of a packed int64 word
    (key, day rank, worse grade first, position); the 3-key lexsort when it does not pack.

    Examples
    --------
    >>> key, day = np.array([1, 0, 0, 0]), np.array([1.0, 2.0, np.nan, 2.0])
    >>> grade = np.array([1.0, 1.0, 2.0, 3.0])
    >>> _episode_order(key, day, grade).tolist()
    [3, 1, 2, 0]
    """
    return _episode_sort(key, day, grade)[0]


def _day_ranks(day: np.ndarray) -> tuple[np.ndarray, float | np.ndarray, int] | None:
    """Each day's rank (NaN last, as in lexsort), how to read a rank back and the rank of
    NaN (-1: no NaN). Whole days: the rank is ``day - first day`` as float (the buffer the
    sorted days are later read into) and reads back by adding the first day; other days: the
    rank among the sorted distinct days (int), read back by a gather from them."""
    nan = np.isnan(day)
    has_nan = bool(nan.any())
    if has_nan and nan.all():
        return np.zeros(len(day)), 0.0, 0
    low, high = (
        (float(np.nanmin(day)), float(np.nanmax(day)))
        if has_nan
        else (
            float(day.min()),
            float(day.max()),
        )
    )
    span = high - low
    rank = np.round(day).astype(np.float64, copy=False)
    if span < 2**20 and bool(np.all((rank == day) | nan)):
        rank -= low
        if has_nan:
            rank[nan] = span + 1
        return rank, low, int(span) + 1 if has_nan else -1
    values, codes = np.unique(day, return_inverse=True)
    nan_rank = len(values) - 1 if has_nan else -1
    return codes.reshape(-1).astype(np.int64), values, nan_rank


def _episode_sort(
    key: np.ndarray, day: np.ndarray, grade: np.ndarray, *, own_key: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_episode_order` and ``key``, ``grade`` and ``day`` in that order.

    When the keys pack, each entry is one int64 word: key, day rank, ``7 - grade`` and its
    position, each in its own bits; one plain sort of the words gives the order (the position
    makes every word distinct, so the sort is stable), and shifts and masks read the sorted
    key, day and grade back without gathering them. The word is built and read in place
    (``own_key``: in ``key`` itself, which the caller no longer needs), so a million entries
    cost a few arrays, not a dozen."""
    n = len(key)
    packs = bool(n) and int(key.min()) >= 0 and float(grade.min()) >= 0 and grade.max() <= 7
    if packs and grade.dtype.kind == "f":
        packs = bool(np.all(np.floor(grade) == grade))
    ranks = _day_ranks(day) if packs else None
    if ranks is not None:
        rank, read_back, nan_rank = ranks
        pos_bits = max(int(n - 1).bit_length(), 1)
        day_bits = max(int(rank.max()).bit_length(), 1)
        key_bits = max(int(key.max()).bit_length(), 1)
        packs = key_bits + day_bits + 3 + pos_bits <= 63
    if ranks is None or not packs:
        order = np.lexsort((-grade, day, key))
        return order, key[order], grade[order], day[order]
    word = key if own_key and key.dtype == np.int64 else key.astype(np.int64)
    word <<= day_bits
    np.add(word, rank, out=word, casting="unsafe")  # whole numbers below 2**20: exact
    word <<= 3
    word |= 7
    np.bitwise_xor(word, grade.astype(np.int8, copy=False), out=word)  # 7 - grade
    word <<= pos_bits
    positions: np.ndarray = np.arange(n, dtype=np.int32 if n < 2**31 else np.int64)
    word |= positions
    word.sort()
    order = np.empty(n, positions.dtype)
    np.bitwise_and(word, (1 << pos_bits) - 1, out=order, casting="unsafe")
    word >>= pos_bits
    sorted_grade = np.empty(n, grade.dtype)
    np.bitwise_and(word, 7, out=sorted_grade, casting="unsafe")
    np.subtract(7, sorted_grade, out=sorted_grade)
    word >>= 3
    if isinstance(read_back, float):  # the rank's float buffer takes the sorted days
        sorted_day = rank
        np.bitwise_and(word, (1 << day_bits) - 1, out=sorted_day, casting="unsafe")
        if nan_rank >= 0:
            sorted_day[sorted_day == nan_rank] = np.nan
        sorted_day += read_back
    else:
        sorted_day = read_back[word & ((1 << day_bits) - 1)]
    word >>= day_bits
    return (
        order,
        word.astype(key.dtype, copy=False),
        sorted_grade,
        sorted_day.astype(day.dtype, copy=False),
    )


def _labels(codes: np.ndarray, labels: np.ndarray) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """Labels of integer codes, None where the code is -1; text labels as the text array a
    frame would make of them (taken from the few labels, not converted row by row)."""
    if pd.api.types.infer_dtype(labels, skipna=False) in ("string", "empty"):
        text = pd.array(np.asarray(labels, dtype=object), dtype="str")
        return text.take(np.asarray(codes, dtype=np.int64), allow_fill=True)
    out = np.full(len(codes), None, dtype=object)
    ok = codes >= 0
    out[ok] = labels[codes[ok]]
    return out
