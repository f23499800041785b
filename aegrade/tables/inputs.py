"""What tables are built from: a graded result, read back from disk or graded on the spot.

:func:`load_table_inputs` takes a study (workbook, folder or file: graded with
:func:`aegrade.grade`) or the output of ``aegrade grade`` (a workbook with the sheets
``graded_observations``, ``adverse_events``, ``subject_summary``, or a folder of those CSV or
Parquet files).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from aegrade.errors import Failures, Reason
from aegrade.pipeline import GradeResult, grade
from aegrade.read.files import EXCEL_SUFFIXES, Sheet, Workbook, read_csv, read_parquet
from aegrade.schema import SCHEMAS, conform

__all__ = ["TableInputs", "inputs_from_result", "load_table_inputs"]

_GRADED = ("graded_observations", "adverse_events", "subject_summary")


@dataclass(frozen=True)
class TableInputs:
    """The frames the table builders read, with the dtypes of :mod:`aegrade.schema`.

    >>> import pandas as pd
    >>> TableInputs(pd.DataFrame({"term": []}), pd.DataFrame({"subject_id": ["P1"]})).source
    """

    adverse_events: pd.DataFrame
    subjects: pd.DataFrame
    graded_observations: pd.DataFrame | None = None
    subject_summary: pd.DataFrame | None = None
    source: str | None = None


def inputs_from_result(result: GradeResult, source: str | None = None) -> TableInputs:
    """The frames of an :class:`aegrade.GradeResult` (no file is read).

    >>> import pandas as pd
    >>> from aegrade import grade
    >>> frame = pd.DataFrame({"subject_id": ["P1"], "day": [3.0], "parameter": ["PLAT"],
    ...                       "value": [40.0], "unit": ["10^9/L"], "lln": [150.0], "uln": [400.0]})
    >>> inputs_from_result(grade(frame)).adverse_events["term"].tolist()
    ['Platelet count decreased']
    """
    return TableInputs(
        adverse_events=result.adverse_events,
        subjects=result.subjects,
        graded_observations=result.graded_observations,
        subject_summary=result.subject_summary,
        source=source,
    )


def load_table_inputs(path: str | Path, *, criteria: str = "ctcae-v5.0") -> TableInputs:
    """Read a graded result, or grade a study; see the module docstring.

    Every file is read by :mod:`aegrade.read.files` (the workbook size bound and formula
    check apply); the tables get the dtypes of :mod:`aegrade.schema`.

    Parameters
    ----------
    path
        A study, or the output of ``aegrade grade`` (workbook, or folder of csv/parquet).
    criteria
        CTCAE version used when ``path`` is a study to grade.

    Returns
    -------
    TableInputs
        The adverse events, the subjects (N) and, when there, the graded observations and the
        subject summary.

    Raises
    ------
    aegrade.InputError
        The study has input errors (from :func:`aegrade.grade`), or a file cannot be read.

    Examples
    --------
    >>> import tempfile
    >>> from aegrade import grade
    >>> from aegrade.write import write_result
    >>> frame = pd.DataFrame({"subject_id": ["P1"], "day": [3.0], "parameter": ["PLAT"],
    ...                       "value": [40.0], "unit": ["10^9/L"], "lln": [150.0], "uln": [400.0]})
    >>> out = Path(tempfile.mkdtemp())
    >>> _ = write_result(grade(frame), out, fmt="csv")
    >>> load_table_inputs(out).adverse_events["grade"].tolist()
    [3]
    """
    path = Path(path)
    graded = _read_graded(path)
    if graded is not None:
        return graded

    return inputs_from_result(grade(path, criteria), source=str(path))


def _read_graded(path: Path) -> TableInputs | None:
    """The graded tables at ``path``, read by :mod:`aegrade.read.files` (size bound, formula
    check, row labels) and given the output schema; None when ``path`` holds no graded result."""
    sheets = _graded_sheets(path)
    if "adverse_events" not in sheets:
        return None
    _check_graded(sheets)
    frames = {name: _conformed(name, sheet.frame) for name, sheet in sheets.items()}
    summary = frames.get("subject_summary")
    subjects = frames.get("subjects")
    if subjects is None:
        subjects = _subjects_from_summary(summary, frames["adverse_events"])
    return TableInputs(
        adverse_events=frames["adverse_events"],
        subjects=subjects,
        graded_observations=frames.get("graded_observations"),
        subject_summary=summary,
        source=str(path),
    )


#: Columns a graded table must have to be counted, and its grade columns (integers 0-5).
_REQUIRED = {"adverse_events": ("subject_id", "term", "grade")}
_GRADES = {
    "adverse_events": ("grade",),
    "graded_observations": ("grade_low", "grade_high"),
}


def _check_graded(sheets: dict[str, Sheet]) -> None:
    """Refuse a graded result that :func:`aegrade.grade` could not have written: a required
    column missing, or a grade that is not a whole number 0-5 (``3.7``, ``7``, ``high``),
    each named by file, sheet, row, column and value (all problems at once)."""
    found = Failures()
    for name, sheet in sheets.items():
        frame = sheet.frame
        for col in _REQUIRED.get(name, ()):
            if col not in frame.columns:
                found.add(
                    Reason.MISSING_COLUMN,
                    f"{name}: required column {col!r} is missing",
                    file=sheet.file,
                    sheet=sheet.sheet,
                    column=col,
                )
        for col in _GRADES.get(name, ()):
            if col not in frame.columns:
                continue
            raw = frame[col]
            given = raw.notna().to_numpy() & (raw.astype("string").str.strip() != "").to_numpy(
                bool, na_value=False
            )
            num = pd.to_numeric(raw.where(given), errors="coerce").to_numpy(float, na_value=np.nan)
            with np.errstate(invalid="ignore"):
                ok = (num == np.round(num)) & (num >= 0) & (num <= 5)
            bad = given & ~ok
            if bad.any():
                cell = Failures(sheet.file, sheet.sheet, labels=sheet.rows, table=frame)
                cell.add_rows(
                    bad,
                    Reason.INVALID_GRADE,
                    (
                        f"{name}: {col} '" + raw.astype("string").fillna("") + "' is not a "
                        "whole number from 0 to 5"
                    ).to_numpy(object),
                    column=col,
                )
                found.extend(cell)
    found.raise_if("raise")


def _graded_sheets(path: Path) -> dict[str, Sheet]:
    """The graded tables of a result folder (csv or parquet files) or workbook, by name."""
    names = (*_GRADED, "subjects")
    if path.is_dir():
        found: dict[str, Sheet] = {}
        for name in names:
            for suffix in (".parquet", ".csv"):
                f = path / f"{name}{suffix}"
                if f.exists():
                    found[name] = read_parquet(f) if suffix == ".parquet" else read_csv(f)
                    break
        return found
    if path.suffix.lower() not in EXCEL_SUFFIXES:
        return {}
    book = Workbook(path)
    by_lower = {s.lower(): s for s in book.sheet_names}
    if "adverse_events" not in by_lower:
        return {}
    return {name: book.sheet(by_lower[name]) for name in names if name in by_lower}


def _conformed(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A table read back with the dtypes :func:`aegrade.grade` gives it (subject ids as text,
    whole-number ids without a trailing ``.0``)."""
    if "subject_id" in frame:
        frame = frame.assign(subject_id=_ids(frame["subject_id"]))
    return conform(frame, SCHEMAS[name]) if name in SCHEMAS else frame


def _ids(ids: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(ids.dtype):
        whole = ids.dropna()
        if (whole == whole.round()).all():
            return ids.astype("Int64").astype("string")
    return ids.astype("string")


def _subjects_from_summary(summary: pd.DataFrame | None, ae: pd.DataFrame) -> pd.DataFrame:
    """Subject_summary has one row per subject (with or without AEs): the N of the tables.
    Its per-term grade columns ('<term> [<system>]') are dropped."""
    if summary is None:
        return pd.DataFrame({"subject_id": pd.unique(ae["subject_id"].astype(str))})
    keep = [c for c in summary.columns if not str(c).endswith("]")]
    return summary[keep].copy()
