"""Which records and patients a table counts: treatment-emergent AEs, a population flag, and a
spec's ``where`` (issue 14, point 2).

- **Treatment-emergent** (default): an AE record counts when its ``teae`` flag (or an ADaM
  ``TRTEMFL`` column) says Y; without a flag, when its onset day is not before treatment start
  (day 0). A record without flag and onset (a lab AE before its first onset is known) counts.
- **Population**: a subjects column of Y/N flags (``SAFFL``): only patients flagged Y count,
  in N and in every row.
- **where**: ``{column = value}`` or ``{column = [values]}`` pairs; a column of the AEs keeps the
  records whose value is listed, a column of the subjects table keeps those patients (compared
  as trimmed text, ignoring case).

Each filter says in a note (printed as a footnote) how many records or patients it left out.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from aegrade.tables.spec import TableSpecError, arm_column

__all__ = ["filter_population", "filter_records", "treatment_emergent"]

_YES = {"y", "yes", "true", "1", "1.0"}
_NO = {"n", "no", "false", "0", "0.0"}


def _flags(values: pd.Series) -> pd.Series:
    """True/False per Y/N-like value, NA when blank or unknown."""
    text = values.astype("string").str.strip().str.lower()
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out[text.isin(_YES).fillna(False)] = True
    out[text.isin(_NO).fillna(False)] = False
    return out


def treatment_emergent(adverse_events: pd.DataFrame) -> np.ndarray:
    """Per AE record: is it treatment-emergent?

    The ``teae`` (or ``TRTEMFL``) flag wins where it is Y or N; otherwise a numeric ``onset``
    before day 0 (treatment start, SPEC section 2) is not treatment-emergent; a record without
    either is.

    Examples
    --------
    >>> ae = pd.DataFrame({"onset": [-5.0, 0.0, 3.0, None], "teae": [None, None, "N", None]})
    >>> treatment_emergent(ae).tolist()
    [False, True, False, True]
    """
    n = len(adverse_events)
    out = np.ones(n, bool)
    if "onset" in adverse_events:
        onset = pd.to_numeric(adverse_events["onset"], errors="coerce")
        out &= ~(onset < 0).fillna(False).to_numpy(bool)
    for col in ("teae", "TRTEMFL", "trtemfl"):
        if col in adverse_events:
            flag = _flags(adverse_events[col])
            given = flag.notna().to_numpy(bool)
            out = np.where(given, flag.fillna(False).to_numpy(bool), out)
            break
    return out


def filter_records(
    adverse_events: pd.DataFrame,
    subjects: pd.DataFrame | None,
    *,
    teae: bool = True,
    where: Mapping[str, tuple[str, ...]] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame | None, tuple[str, ...]]:
    """The AE records (and patients) a table counts, and a note per filter that left some out.

    Parameters
    ----------
    adverse_events, subjects
        As for :func:`~aegrade.tables.build.build_ae_table`.
    teae
        Keep treatment-emergent records only (see :func:`treatment_emergent`).
    where
        Column -> accepted values; see the module docstring.

    Returns
    -------
    tuple
        The kept AE records, the kept subjects (None stays None) and the notes.

    Raises
    ------
    TableSpecError
        A ``where`` column is in neither table.

    Examples
    --------
    >>> ae = pd.DataFrame({"subject_id": ["1", "2"], "onset": [-2.0, 4.0],
    ...                    "serious": ["Y", "N"]})
    >>> kept, _, notes = filter_records(ae, None, where={"serious": ("n",)})
    >>> kept["subject_id"].tolist()
    ['2']
    >>> print(notes[0])
    1 AE record(s) with onset before treatment start (not treatment-emergent) are not counted.
    """
    notes: list[str] = []
    keep = np.ones(len(adverse_events), bool)
    if teae:
        te = treatment_emergent(adverse_events)
        if (~te).any():
            notes.append(
                f"{int((~te).sum())} AE record(s) with onset before treatment start "
                "(not treatment-emergent) are not counted."
            )
        keep &= te
    for column, values in (where or {}).items():
        wanted = {str(v).strip().lower() for v in values}
        shown = ", ".join(map(str, values))
        if _has(adverse_events, column):
            col = arm_column(adverse_events.columns, column)
            hit = _matches(adverse_events[col], wanted)
            left = int((keep & ~hit).sum())
            keep &= hit
            notes.append(f"Only AE records with {col} = {shown} ({left} other(s) not counted).")
        elif subjects is not None and _has(subjects, column):
            col = arm_column(subjects.columns, column)
            hit = _matches(subjects[col], wanted)
            notes.append(
                f"Only patients with {col} = {shown} ({int((~hit).sum())} other(s) not counted)."
            )
            subjects = subjects[hit]
        else:
            raise TableSpecError(
                f"where: {column!r} is a column of neither the adverse events nor the subjects"
            )
    return adverse_events[keep], subjects, tuple(notes)


def filter_population(subjects: pd.DataFrame, flag: str) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The patients of a population: those whose ``flag`` column (``SAFFL``) is Y.

    Raises
    ------
    TableSpecError
        ``flag`` is not a column of the subjects table (the message names close ones).

    Examples
    --------
    >>> subjects = pd.DataFrame({"subject_id": ["1", "2", "3"], "SAFFL": ["Y", "N", None]})
    >>> kept, notes = filter_population(subjects, "SAFFL")
    >>> kept["subject_id"].tolist(), notes
    (['1'], ('Population: SAFFL = Y (1 patient(s); 2 other(s) not counted).',))
    """
    try:
        col = arm_column(subjects.columns, flag)
    except TableSpecError as exc:
        raise TableSpecError(str(exc).replace("by:", "population:", 1)) from None
    hit = _flags(subjects[col]).fillna(False).to_numpy(bool)
    note = (
        f"Population: {flag.strip()} = Y ({int(hit.sum())} patient(s); "
        f"{int((~hit).sum())} other(s) not counted)."
    )
    return subjects[hit], (note,)


def _has(frame: pd.DataFrame, column: str) -> bool:
    key = column.strip().lower()
    return any(str(c).strip().lower() == key for c in frame.columns)


def _matches(values: pd.Series, wanted: set[str]) -> np.ndarray:
    text = values.astype("string").str.strip().str.lower()
    hit: np.ndarray = text.isin(wanted).fillna(False).to_numpy(bool)
    return hit
