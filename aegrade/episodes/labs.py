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

import numpy as np
import pandas as pd

from aegrade.episodes.build import (
    EPISODE_COLUMNS,
    EpisodeStats,
    episode_rows,
    episode_stats,
    find_episodes,
    stable_order,
    text_codes,
    widened_sort,
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

    ``subject``, ``term``, ``criteria`` and ``rule`` index ``subjects``, ``terms``,
    ``systems`` and ``rules`` (-1: none); built by :func:`stack_directions`.
    """

    subject: np.ndarray
    subjects: np.ndarray  # labels of the subject codes
    term: np.ndarray
    terms: np.ndarray
    criteria: np.ndarray
    systems: np.ndarray
    rule: np.ndarray  # -1 when no rule fired
    rules: np.ndarray
    grade: np.ndarray  # float, NaN when not graded
    day: np.ndarray


def _codes(col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(col.dtype, pd.CategoricalDtype):
        return col.cat.codes.to_numpy(np.int64), np.asarray(col.cat.categories, dtype=object)
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


def stack_directions(graded: pd.DataFrame, day: np.ndarray | None) -> LongGrades:
    """Both directions of graded observations stacked, keeping rows that have a term.

    Parameters
    ----------
    graded
        Graded observations: ``subject_id``, ``criteria`` and per direction (``low``,
        ``high``) ``term_<d>``, ``rule_<d>``, ``grade_<d>``.
    day
        Study day of each row (None: unknown for all).

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
    directions = ("low", "high")
    codes = {d: (_codes(graded[f"term_{d}"]), _codes(graded[f"rule_{d}"])) for d in directions}
    at = {d: np.flatnonzero(codes[d][0][0] >= 0) for d in directions}  # rows that have a term
    rows = np.concatenate([at[d] for d in directions])
    # each stacked array made once at its full length, each direction written into its part
    term = np.empty(len(rows), np.int64)
    rule = np.empty(len(rows), np.int64)
    grade = np.empty(len(rows), np.float64)
    terms_all: list[object] = []
    rules_all: list[object] = []
    start = 0
    for d in directions:
        (d_term, d_terms), (d_rule, d_rules) = codes[d]
        part = slice(start, start + len(at[d]))
        start = part.stop
        np.take(d_term, at[d], out=term[part])
        term[part] += len(terms_all)
        np.take(d_rule, at[d], out=rule[part])
        rule[part] = np.where(rule[part] >= 0, rule[part] + len(rules_all), -1)
        column = graded[f"grade_{d}"]
        if isinstance(column.dtype, pd.CategoricalDtype) or column.dtype == object:
            grade[part] = column.to_numpy(dtype=float, na_value=np.nan)[at[d]]
        else:  # gather the rows first, convert only them
            grade[part] = column.iloc[at[d]].to_numpy(dtype=float, na_value=np.nan)
        terms_all.extend(d_terms)
        rules_all.extend(d_rules)
    # the same term may come from both directions' category lists: give it one code
    term_codes, term_names = pd.factorize(np.asarray(terms_all, dtype=object))
    return LongGrades(
        subject=subject[rows],
        subjects=subjects,
        term=term_codes[term] if len(terms_all) else np.zeros(0, np.int64),
        terms=np.asarray(term_names, dtype=object),
        criteria=crit[rows],
        systems=systems,
        rule=rule,
        rules=np.asarray(rules_all, dtype=object),
        grade=grade,
        day=day[rows],
    )


def _key(long: LongGrades) -> np.ndarray:
    n_terms = max(len(long.terms), 1)
    n_sys = max(len(long.systems), 1)
    key: np.ndarray = (long.subject * n_terms + long.term) * n_sys + np.maximum(long.criteria, 0)
    return key


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
    return _grades_at(long, _baseline_rows(long, _key(long)))


def _baseline_rows(long: LongGrades, full_key: np.ndarray) -> np.ndarray:
    """Per row, the position of its baseline row (-1: none), by the one baseline rule."""
    eligible = ~np.isnan(long.grade) & (long.subject >= 0)
    key = np.where(long.subject >= 0, full_key, -1)
    return baseline_rows(key, long.day, eligible, rank=long.grade)


def _grades_at(long: LongGrades, rows: np.ndarray) -> np.ndarray:
    """The grades of ``rows`` (NaN for -1)."""
    return np.where(rows >= 0, long.grade[np.maximum(rows, 0)], np.nan)


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
    full_key = _key(long)
    base_rows = _baseline_rows(long, full_key)
    keep = ~np.isnan(long.grade) & (long.subject >= 0) & ~(long.day <= BASELINE_LAST_DAY)
    # only subject-term pairs with an abnormal grade can hold an episode: sort just those
    abnormal = (
        np.bincount(full_key[keep], weights=long.grade[keep] >= 1, minlength=1) > 0
        if keep.any()
        else np.zeros(1, bool)
    )
    inside = (full_key >= 0) & (full_key < len(abnormal))  # no key: a row without a subject
    keep &= abnormal[np.clip(full_key, 0, len(abnormal) - 1)] & inside
    if not keep.any():
        return pd.DataFrame(columns=EPISODE_COLUMNS)
    rows = np.flatnonzero(keep)
    kept_day = long.day[rows]
    order, key, grade = _episode_sort(full_key[rows], kept_day, long.grade[rows])
    rows = rows[order]  # the kept rows in episode order: each array gathered once
    day = kept_day[order]
    if key is None or grade is None:  # not packed: gathered
        key, grade = full_key[rows], long.grade[rows]
    abnormal = grade >= 1
    eps = find_episodes(key, day, abnormal)
    stats = episode_stats(eps, key, day, grade, resolution="next_normal", abnormal=abnormal)
    at = rows[eps.first]
    worst_at = rows[stats.worst_at]
    base = _grades_at(long, base_rows[at])  # each episode's baseline grade
    emergent = ~(stats.worst.astype(np.int64) <= np.nan_to_num(base, nan=-1))
    if emergent.any() and not emergent.all():  # the episodes kept, before any text is made
        stats = EpisodeStats(*(getattr(stats, f.name)[emergent] for f in fields(stats)))
        at, worst_at, base = at[emergent], worst_at[emergent], base[emergent]
        emergent = np.ones(len(at), bool)
    out = episode_rows(
        stats,
        subject_id=_labels(long.subject[at], long.subjects),
        term=_labels(long.term[at], long.terms),
        criteria=_labels(long.criteria[at], long.systems),
        grade=stats.worst.astype(np.int64),
        rule=_labels(long.rule[worst_at], long.rules),
    )
    out["baseline_grade"] = pd.array(base, dtype="float").astype("Int64")
    if emergent.all():
        return out
    result: pd.DataFrame = out.loc[emergent, [*EPISODE_COLUMNS, "baseline_grade"]]
    return result.reset_index(drop=True)


def _episode_order(key: np.ndarray, day: np.ndarray, grade: np.ndarray) -> np.ndarray:
    """The order of ``np.lexsort((-grade, day, key))`` from one stable argsort of a packed
    int64 key (key, day rank, worse grade first); the 3-key lexsort when it does not pack.

    Examples
    --------
    >>> key, day = np.array([1, 0, 0, 0]), np.array([1.0, 2.0, np.nan, 2.0])
    >>> grade = np.array([1.0, 1.0, 2.0, 3.0])
    >>> _episode_order(key, day, grade).tolist()
    [3, 1, 2, 0]
    """
    return _episode_sort(key, day, grade)[0]


def _episode_sort(
    key: np.ndarray, day: np.ndarray, grade: np.ndarray
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """:func:`_episode_order`, and when the keys pack, ``key`` and ``grade`` in that order
    read back from the sorted packed key (None when they did not pack)."""
    n = len(key)
    g = grade.astype(np.int64) if n else np.zeros(0, np.int64)
    packs = bool(n) and bool(np.all(g == grade)) and g.min() >= 0 and g.max() <= 7
    if packs:
        # day rank: whole days (the usual case) directly, else by their sorted unique values;
        # NaN ranks last as in lexsort
        span = np.nanmax(day) - np.nanmin(day) if not np.isnan(day).all() else 0.0
        whole = bool(np.all(np.isnan(day) | (day == np.round(day)))) and span < 2**20
        if whole:
            low = np.nanmin(day) if not np.isnan(day).all() else 0.0
            rank = np.where(np.isnan(day), span + 1, day - low).astype(np.int64)
            n_days = int(span) + 2
        else:
            rank = np.unique(day, return_inverse=True)[1].reshape(-1).astype(np.int64)
            n_days = int(rank.max()) + 1
        packs = (int(key.max()) + 1) * n_days * 8 < 2**62 and key.min() >= 0
    if not packs:
        return np.lexsort((-grade, day, key)), None, None
    packed = (key.astype(np.int64) * n_days + rank) * 8 + (7 - g)
    wide = widened_sort(packed)
    if wide is None:
        return stable_order(packed), None, None
    values = wide // n
    wide -= values * n  # the positions: the stable order
    sorted_grade = (7 - values % 8).astype(grade.dtype)
    values //= n_days * 8
    return wide, values.astype(key.dtype, copy=False), sorted_grade


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
