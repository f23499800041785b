"""The worst-grade engine: each subject counted once per row at the worst grade.

CDISC OCCDS occurrence flags: ``AOCCPIFL`` marks, per subject and preferred term, the first
record at the maximum severity. :func:`flag_worst` computes that flag for any grouping
(term, SOC, a labelled group of terms, or nothing for "any AE"); :func:`worst_grades` gives
just the worst grade per (group, subject) pair, which is all a count needs.

Records without a grade (NA) are never the worst: they are left out, as in NEST's AET04.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["flag_worst", "worst_grade_records", "worst_grades"]


def flag_worst(
    adverse_events: pd.DataFrame, by: Sequence[str] = ("term",), *, subject_col: str = "subject_id"
) -> pd.Series[bool]:
    """Flag each subject's first record at its worst grade within each ``by`` group.

    Parameters
    ----------
    adverse_events
        Needs ``subject_col``, ``grade`` and the ``by`` columns; ``onset`` breaks ties (earliest
        first, missing onset last), then input order.
    by
        Grouping columns, e.g. ``("term",)`` (AOCCPIFL), ``("soc",)``, or ``()`` for one flag per
        subject over all records (AOCCIFL).

    Returns
    -------
    pandas.Series
        Boolean, aligned with ``adverse_events``; False for records with a missing grade.

    Examples
    --------
    >>> import pandas as pd
    >>> ae = pd.DataFrame(
    ...     {"subject_id": ["1", "1", "1"], "term": ["Fever"] * 3, "grade": [2, 3, 3],
    ...      "onset": [5.0, 9.0, 7.0]}
    ... )
    >>> flag_worst(ae).tolist()
    [False, False, True]
    """
    grade = pd.to_numeric(adverse_events["grade"], errors="coerce").to_numpy(float)
    onset = (
        pd.to_numeric(adverse_events["onset"], errors="coerce").to_numpy(float)
        if "onset" in adverse_events
        else np.zeros(len(grade))
    )
    keys = [adverse_events[subject_col], *(adverse_events[c] for c in by)]
    group = _codes(keys)
    valid = ~np.isnan(grade)
    order = np.lexsort(
        (
            np.arange(len(grade)),
            np.where(np.isnan(onset), np.inf, onset),
            -np.where(valid, grade, -np.inf),
            group,
        )
    )
    order = order[valid[order]]
    first = np.r_[True, group[order][1:] != group[order][:-1]]
    flag = np.zeros(len(grade), bool)
    flag[order[first]] = True
    return pd.Series(flag, index=adverse_events.index, name="worst", dtype=bool)


def worst_grade_records(
    adverse_events: pd.DataFrame, by: Sequence[str] = ("term",), *, subject_col: str = "subject_id"
) -> pd.DataFrame:
    """The records :func:`flag_worst` marks: one per subject and group, at the worst grade.

    Parameters
    ----------
    adverse_events, by, subject_col
        As for :func:`flag_worst`.

    Returns
    -------
    pandas.DataFrame
        Those rows of ``adverse_events``, in input order, with their index.

    Examples
    --------
    >>> import pandas as pd
    >>> ae = pd.DataFrame(
    ...     {"subject_id": ["1", "1", "2"], "term": ["Fever"] * 3, "grade": [1, 3, 2]}
    ... )
    >>> worst_grade_records(ae)
      subject_id   term  grade
    1          1  Fever      3
    2          2  Fever      2
    """
    return adverse_events[flag_worst(adverse_events, by, subject_col=subject_col).to_numpy()]


def worst_grades(
    group: npt.NDArray[np.integer[Any]],
    subject: npt.NDArray[np.integer[Any]],
    grade: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.floating[Any]]]:
    """Worst grade per (group, subject) pair from integer codes.

    Parameters
    ----------
    group
        Row (group) code per record, >= 0.
    subject
        Subject code per record, >= 0.
    grade
        Grade per record, NaN when missing.

    Returns
    -------
    tuple of numpy.ndarray
        The ``group`` and ``subject`` code of each pair and its worst grade; pairs whose
        grades are all missing are dropped.

    Examples
    --------
    >>> import numpy as np
    >>> worst_grades(np.array([0, 0, 1]), np.array([0, 0, 0]), np.array([1.0, 3.0, np.nan]))
    (array([0]), array([0]), array([3.]))
    """
    ok = ~np.isnan(grade)
    group, subject, grade = group[ok], subject[ok], grade[ok]
    if not len(group):
        empty = np.zeros(0, np.int64)
        return empty, empty, np.zeros(0, np.float64)
    n_sub = int(subject.max()) + 1
    key = group.astype(np.int64) * n_sub + subject.astype(np.int64)
    worst = pd.Series(grade).groupby(key, sort=False).max()
    k = worst.index.to_numpy(np.int64)
    return k // n_sub, k % n_sub, worst.to_numpy(np.float64)


def _codes(columns: Sequence[pd.Series[Any]]) -> npt.NDArray[np.int64]:
    """One integer code per distinct combination of the columns (NA is a value)."""
    code = np.zeros(len(columns[0]), np.int64)
    for col in columns:
        c, uniques = pd.factorize(col, use_na_sentinel=False)
        code = pd.factorize(code * (len(uniques) + 1) + c)[0].astype(np.int64)
    return code
