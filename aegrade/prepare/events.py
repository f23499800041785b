"""Clinician events checked against the CTCAE dictionary of the study's version."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aegrade.criteria import load_dictionary
from aegrade.errors import Reason, close_matches_hint
from aegrade.prepare.subjects import missing_columns, table_failures
from aegrade.study import Table

__all__ = ["validate_events"]


def _grades_of(dictionary: pd.DataFrame, rows: np.ndarray) -> list[str]:
    """For each row's dictionary term, the grades CTCAE gives it, e.g. '3, 4, 5'."""
    cells = dictionary[[f"grade{k}" for k in range(1, 6)]].to_numpy(dtype=object)[rows]
    return [", ".join(str(k + 1) for k in range(5) if c[k] != "-") for c in cells]


def validate_events(table: Table, criteria: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check clinician events against the CTCAE dictionary of ``criteria``.

    Returns the events with the NCI term name, MedDRA code and SOC filled in, and the problems:
    an unknown term (with close matches), or a grade the term does not have in that version.

    Examples
    --------
    >>> import pandas as pd
    >>> from aegrade.study import Table
    >>> events = Table(pd.DataFrame({"subject_id": ["01", "02"], "term": ["Nausea", "Nausia"],
    ...                              "grade": [2, 1]}))
    >>> checked, problems = validate_events(events, "ctcae-v5.0")
    >>> checked.loc[0, "meddra_code"]
    '10028813'
    >>> problems["message"].tolist()
    ["'Nausia' is not a ctcae-v5.0 term; did you mean 'Nausea'?"]
    """
    head = missing_columns(table, ("subject_id", "term", "grade"), "events")
    if len(head):
        return table.frame, head.frame()
    dictionary = load_dictionary(criteria)
    df = table.frame.copy()
    by_term = {t.lower(): i for i, t in enumerate(dictionary["term"])}
    by_code = {c: i for i, c in enumerate(dictionary["meddra_code"])}
    raw = df["term"].astype("string").str.strip()
    key = raw.str.lower()
    pos = key.map(by_term)
    pos = pos.fillna(raw.str.replace(r"\.0$", "", regex=True).map(by_code))
    unknown = pos.isna().to_numpy(bool) & raw.notna().to_numpy(bool)
    terms = list(dictionary["term"])
    messages = np.full(len(df), None, dtype=object)
    for i in np.flatnonzero(unknown):  # only the failing rows: suggestions need fuzzy matching
        hint = close_matches_hint(str(raw.iloc[i]), terms)
        messages[i] = f"{raw.iloc[i]!r} is not a {criteria} term{hint}"
    found = table_failures(table)
    found.add_rows(unknown, Reason.UNKNOWN_TERM, messages, column="term")
    found.add_rows(raw.isna().to_numpy(bool), Reason.MISSING_VALUE, "term is empty", column="term")
    grade = pd.to_numeric(df["grade"], errors="coerce")
    known = ~unknown & raw.notna().to_numpy(bool)
    rows = pos.fillna(0).astype(int).to_numpy()
    allowed = np.zeros(len(df), bool)
    g = grade.to_numpy(float)
    for k in range(1, 6):
        cells = dictionary[f"grade{k}"].to_numpy(dtype=object)[rows]
        allowed |= (g == k) & (cells != "-")
    bad_grade = known & ~allowed
    shown = (
        [
            f"{gv:g}" if isinstance(gv, float) and gv == gv else str(gv)
            for gv in df["grade"].to_numpy(dtype=object)
        ]
        if bad_grade.any()
        else []
    )
    gmsg = (
        np.array(
            [
                f"grade {gv} is not a grade of {term!r} in {criteria} (its grades: {grades})"
                for gv, term, grades in zip(
                    shown, df["term"], _grades_of(dictionary, rows), strict=True
                )
            ],
            dtype=object,
        )
        if bad_grade.any()
        else ""
    )
    found.add_rows(bad_grade, Reason.INVALID_GRADE, gmsg, column="grade")
    column = {c: dictionary[c].to_numpy(dtype=object)[rows] for c in ("term", "meddra_code")}
    df["term"] = np.where(known, column["term"], raw.to_numpy(dtype=object))
    none = np.full(len(df), None, dtype=object)
    df["meddra_code"] = np.where(known, column["meddra_code"], none)
    df["soc"] = np.where(known, dictionary["soc"].to_numpy(dtype=object)[rows], none)
    df.attrs["row_labels"] = table.labels()
    return df, found.frame()
