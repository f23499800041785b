"""The subject summary: worst grade per subject (and term and system).

:func:`worst_per_subject` is the one reduction every worst grade goes through (lab terms, CRS,
ICANS); :func:`summarize_subjects` lays the lab and clinician worst grades out one row per
subject.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from aegrade.episodes.build import text_codes, unique_codes
from aegrade.episodes.labs import LongGrades

__all__ = ["carried_subject_columns", "summarize_subjects", "worst_by_term", "worst_per_subject"]


def worst_per_subject(
    subject: np.ndarray,
    grade: np.ndarray,
    n_subjects: int,
    *,
    assessed: np.ndarray | None = None,
) -> pd.arrays.IntegerArray:
    """Worst grade of each subject code ``0 .. n_subjects - 1``.

    Parameters
    ----------
    subject
        Code of each graded row (-1: no subject; ignored). A code may stand for a subject and
        a term, see :func:`worst_by_term`.
    grade
        Grade of each row; NaN (not graded) is ignored.
    n_subjects
        How many codes there are.
    assessed
        Per code: assessed. An assessed code without a graded row is 0.

    Returns
    -------
    pandas.arrays.IntegerArray
        The highest grade per code; 0 when assessed without a graded row; NA otherwise.

    Examples
    --------
    >>> worst_per_subject(np.array([0, 0, 2]), np.array([1.0, 3.0, np.nan]), 4,
    ...                   assessed=np.array([False, False, True, False])).tolist()
    [3, <NA>, 0, <NA>]
    """
    ok = (subject >= 0) & ~np.isnan(grade)
    out = np.full(n_subjects, -np.inf)
    np.maximum.at(out, subject[ok], grade[ok])
    if assessed is not None:
        out = np.where(np.isinf(out) & assessed, 0.0, out)
    known = ~np.isinf(out)
    arr = pd.array(np.where(known, out, 0).astype(np.int64), dtype="Int64")
    arr[~known] = pd.NA
    return arr


def worst_by_term(long: LongGrades) -> pd.DataFrame:
    """Worst post-baseline grade per subject, term and system.

    0 when assessed after baseline and never abnormal; observations without a day count as
    post-baseline.

    Parameters
    ----------
    long
        Graded observations, both directions stacked
        (:func:`~aegrade.episodes.labs.stack_directions`).

    Returns
    -------
    pandas.DataFrame
        ``subject_id``, ``term``, ``criteria``, ``grade`` (int64), sorted by subject, term and
        system code.

    Examples
    --------
    >>> from aegrade.episodes.labs import stack_directions
    >>> graded = pd.DataFrame({
    ...     "subject_id": ["S1", "S1", "S1"], "criteria": "ctcae-v5.0",
    ...     "term_low": "Anemia", "rule_low": ["a/0", "a/2", "a/1"],
    ...     "grade_low": [0.0, 2.0, 1.0], "term_high": None, "rule_high": None,
    ...     "grade_high": float("nan")})
    >>> long = stack_directions(graded, np.array([0.0, 3.0, 5.0]))
    >>> worst_by_term(long).to_numpy().tolist()
    [['S1', 'Anemia', 'ctcae-v5.0', 2]]
    """
    keep = long.post_baseline
    if not keep.any():
        return pd.DataFrame(columns=["subject_id", "term", "criteria", "grade"])
    keys, worst = _worst_per_key(long.key, long.grades, keep)
    n_sys = len(long.systems) + 1
    crit = keys % n_sys - 1
    term = (keys // n_sys) % long.n_terms
    subject = keys // long.subject_stride - 1
    return pd.DataFrame(
        {
            "subject_id": long.subjects[subject],
            "term": long.terms[term],
            "criteria": np.where(
                crit >= 0, long.systems[np.maximum(crit, 0)] if len(long.systems) else None, None
            ),
            "grade": worst,
        }
    )


def _worst_per_key(
    key: np.ndarray, grade: np.ndarray, use: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The distinct keys (sorted) of the entries ``use`` and the highest grade of each
    (int64), by a running maximum in a key table when the keys are few enough (every entry
    passes, those not used as -1, below every grade: nothing gathered), else through their
    codes."""
    top = int(key.max()) + 1 if len(key) else 0
    if grade.dtype == np.int8 and int(key.min()) >= 0 and top <= max(4 * len(key), 1 << 20):
        table = np.full(top, -1, np.int8)
        # -1 where not used, by arithmetic on bytes (np.where branches on each entry)
        np.maximum.at(table, key, grade - (~use).view(np.int8) * (grade + np.int8(1)))
        keys = np.flatnonzero(table >= 0)
        return keys, table[keys].astype(np.int64)
    rows = np.flatnonzero(use)
    key, grade = key[rows], grade[rows]
    keys, code = unique_codes(key)
    worst = worst_per_subject(code, grade.astype(float), len(keys))
    return keys, worst.to_numpy(np.int64)


#: Subjects columns a table built later from the written outputs needs: the arm, ADaM
#: population flags (``SAFFL``, ``ITTFL``: a name ending in FL) for ``--population``, and the
#: exposure columns of the exposure-adjusted rates.
_CARRIED = ("arm", "exposure_days", "treatment_start", "treatment_end", "trtsdt", "trtedt")


def carried_subject_columns(columns: pd.Index) -> list[str]:
    """The subjects columns ``subject_summary`` carries beside the grades, in input order.

    >>> carried_subject_columns(pd.Index(["subject_id", "arm", "age", "SAFFL", "trtedt"]))
    ['arm', 'SAFFL', 'trtedt']
    """
    keep = []
    for name in columns:
        low = str(name).lower()
        if low in _CARRIED or (low.endswith("fl") and 3 <= len(low) <= 8 and low.isalnum()):
            keep.append(str(name))
    return keep


def summarize_subjects(
    subjects: pd.DataFrame, adverse_events: pd.DataFrame, graded: pd.DataFrame, long: LongGrades
) -> pd.DataFrame:
    """One row per subject: worst post-baseline grade per term and system.

    Parameters
    ----------
    subjects
        ``subject_id`` and optionally ``arm``, one row per subject.
    adverse_events
        Episodes and clinician events (``source`` 'clinician').
    graded
        Graded observations (their ``subject_id`` counts the observations).
    long
        The same, both directions stacked (:func:`~aegrade.episodes.labs.stack_directions`).

    Returns
    -------
    pandas.DataFrame
        ``subject_id`` (``arm``), ``n_observations`` and a column ``<term> [<system>]`` per
        term and system: the worst post-baseline grade; 0 for a term assessed after baseline
        but never abnormal, NA for one never assessed. Clinician events add their terms
        (worst clinician grade) where no value graded them.

    Examples
    --------
    >>> from aegrade.episodes.labs import stack_directions
    >>> graded = pd.DataFrame({
    ...     "subject_id": ["S1", "S1"], "criteria": "ctcae-v5.0", "term_low": "Anemia",
    ...     "rule_low": ["a/0", "a/2"], "grade_low": [0.0, 2.0], "term_high": None,
    ...     "rule_high": None, "grade_high": float("nan")})
    >>> long = stack_directions(graded, np.array([0.0, 3.0]))
    >>> ae = pd.DataFrame({"source": pd.Series([], dtype=object)})
    >>> subjects = pd.DataFrame({"subject_id": ["S1", "S2"]})
    >>> summarize_subjects(subjects, ae, graded, long).to_numpy().tolist()
    [['S1', 2, 2], ['S2', 0, <NA>]]
    """
    out = subjects[["subject_id", *carried_subject_columns(subjects.columns)]].copy()
    out["n_observations"] = (
        out["subject_id"].astype(str).map(_counts(graded["subject_id"])).fillna(0).astype("int64")
    )
    is_clin = (adverse_events["source"] == "clinician").to_numpy(bool, na_value=False)
    if not is_clin.any() and long.post_baseline.any():  # the lab grades alone, by their codes
        keys, grades = _worst_per_key(long.key, long.grades, long.post_baseline)
        wide_grades = _wide_from_codes(out, long, keys, grades)
        if wide_grades is not None:
            return wide_grades
    worst = worst_by_term(long)
    clin = adverse_events[is_clin] if is_clin.any() else adverse_events.iloc[:0]
    if not clin.empty:
        cw = (
            clin.dropna(subset=["grade"])
            .groupby(["subject_id", "term", "criteria"], as_index=False)
            .agg({"grade": "max"})
        )
        seen = pd.MultiIndex.from_arrays([worst["term"], worst["criteria"]])
        cw = cw[~pd.MultiIndex.from_arrays([cw["term"], cw["criteria"]]).isin(seen)]
        parts: list[pd.DataFrame] = [worst, cw]
        worst = pd.concat(parts, ignore_index=True)
    if worst.empty:
        return out
    if clin.empty:
        wide_grades = _wide_grades(out, worst)
        if wide_grades is not None:
            return wide_grades
    worst["column"] = worst["term"].astype(str) + " [" + worst["criteria"].astype(str) + "]"
    wide = worst.pivot_table(index="subject_id", columns="column", values="grade", aggfunc="max")
    wide.index = wide.index.astype(str)
    out = out.merge(
        wide.astype("Int64"), left_on=out["subject_id"].astype(str), right_index=True, how="left"
    ).drop(columns="key_0", errors="ignore")
    return out.reset_index(drop=True)


def _wide_grades(out: pd.DataFrame, worst: pd.DataFrame) -> pd.DataFrame | None:
    """``out`` with a column ``<term> [<system>]`` of worst grades per subject, as the pivot
    table of :func:`summarize_subjects` lays them out (columns sorted by name, Int64, NA where
    a subject has no grade of the term), placed by codes instead of a pivot and a merge.
    None when the pivot's own way is needed: a row without a system, ids that are not one
    text each, or a name ``out`` already has."""
    if worst["criteria"].isna().any():
        return None
    term, terms = pd.factorize(worst["term"])
    system, systems = pd.factorize(worst["criteria"])
    subject, ids = pd.factorize(worst["subject_id"])
    grade = worst["grade"].to_numpy(np.int64)
    return _placed(out, (subject, ids), (term, terms), (system, systems), grade)


def _wide_from_codes(
    out: pd.DataFrame, long: LongGrades, keys: np.ndarray, worst: np.ndarray
) -> pd.DataFrame | None:
    """:func:`_wide_grades` of the worst grades per packed key of ``long`` (from
    :func:`_worst_per_key`), read from the keys without a frame of labels in between."""
    n_sys = len(long.systems) + 1
    system = keys % n_sys - 1
    if (system < 0).any():
        return None
    term = (keys // n_sys) % long.n_terms
    subject = keys // long.subject_stride - 1
    return _placed(out, (subject, long.subjects), (term, long.terms), (system, long.systems), worst)


def _placed(
    out: pd.DataFrame,
    subjects: tuple[np.ndarray, object],
    terms: tuple[np.ndarray, object],
    systems: tuple[np.ndarray, object],
    grade: np.ndarray,
) -> pd.DataFrame | None:
    """The grid of :func:`_wide_grades` from codes and their labels (subject, term, system)."""
    (subject, ids), (term, term_labels), (system, system_labels) = subjects, terms, systems
    term_names = np.asarray(term_labels, dtype=object)
    system_names = np.asarray(system_labels, dtype=object)
    width = max(len(system_names), 1)
    pairs, pair = np.unique(term * width + system, return_inverse=True)
    names = np.array(
        [f"{term_names[p // width]} [{system_names[p % width]}]" for p in pairs], dtype=str
    )
    if len(set(names)) < len(names) or set(names) & set(map(str, out.columns)):
        return None
    order = np.argsort(names, kind="stable")
    column = np.empty(len(pairs), np.int64)
    column[order] = np.arange(len(pairs))
    index = pd.Index(pd.Series(ids, copy=False, dtype=object).astype(str).to_numpy(object))
    if not index.is_unique:
        return None
    grid = np.full((len(index) + 1, len(pairs)), -1, np.int64)  # last row: no grade at all
    grid[subject, column[pair.reshape(-1)]] = grade
    at = index.get_indexer(out["subject_id"].astype(str).to_numpy(object))
    rows = grid[np.where(at >= 0, at, len(index))]
    grades = pd.DataFrame(
        {
            names[k]: pd.arrays.IntegerArray(rows[:, j].copy(), rows[:, j] < 0)
            for j, k in enumerate(order)
        }
    )
    grades.columns.name = "column"
    return pd.concat([out.reset_index(drop=True), grades], axis=1)


def _counts(ids: pd.Series) -> pd.Series:
    """Rows per id as text (``value_counts`` of ``ids.astype(str)``), counted on the codes of
    the distinct ids: each id is turned into text once, not once per row."""
    if isinstance(ids.dtype, pd.StringDtype):  # the codes the lab episodes made of them
        known, distinct = text_codes(ids)
        if not (known < 0).any():
            counts = np.bincount(known, minlength=len(distinct))
            text = pd.Series(distinct, copy=False).astype(str).to_numpy(object)
            return pd.Series(counts, index=text).groupby(level=0, sort=False).sum()
    codes, uniques = pd.factorize(ids, use_na_sentinel=False)
    counts = np.bincount(codes, minlength=len(uniques))
    text = pd.Series(uniques, copy=False).astype(str).to_numpy(object)
    return pd.Series(counts, index=text).groupby(level=0, sort=False).sum()
