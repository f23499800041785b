"""What tables are built from: a graded result, read back from disk or graded on the spot.

:func:`load_table_inputs` takes a study (workbook, folder or file: graded with
:func:`aegrade.grade`) or the output of ``aegrade grade`` (a workbook with the sheets
``graded_observations``, ``adverse_events``, ``subject_summary``, or a folder of those CSV or
Parquet files).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

__all__ = ["TableInputs", "inputs_from_result", "load_table_inputs"]

_GRADED = ("graded_observations", "adverse_events", "subject_summary")


@dataclass(frozen=True)
class TableInputs:
    """The frames the table builders read."""

    adverse_events: pd.DataFrame
    subjects: pd.DataFrame
    graded_observations: pd.DataFrame | None = None
    subject_summary: pd.DataFrame | None = None
    source: str | None = None


def inputs_from_result(result: object, source: str | None = None) -> TableInputs:
    """From an :class:`aegrade.GradeResult`."""
    return TableInputs(
        adverse_events=result.adverse_events,  # type: ignore[attr-defined]
        subjects=result.subjects,  # type: ignore[attr-defined]
        graded_observations=result.graded_observations,  # type: ignore[attr-defined]
        subject_summary=result.subject_summary,  # type: ignore[attr-defined]
        source=source,
    )


def load_table_inputs(path: str | Path, *, criteria: str = "ctcae-v5.0") -> TableInputs:
    """Read a graded result, or grade a study; see the module docstring.

    Raises
    ------
    aegrade.InputError
        The study has input errors (from :func:`aegrade.grade`).
    """
    path = Path(path)
    graded = _read_graded(path)
    if graded is not None:
        return graded
    from aegrade.pipeline import grade

    return inputs_from_result(grade(path, criteria), source=str(path))


def _read_graded(path: Path) -> TableInputs | None:
    frames: dict[str, pd.DataFrame] = {}
    if path.is_dir():
        for name in (*_GRADED, "subjects"):
            for suffix in (".parquet", ".csv"):
                f = path / f"{name}{suffix}"
                if f.exists():
                    frames[name] = (
                        pd.read_parquet(f)
                        if suffix == ".parquet"
                        else pd.read_csv(f, dtype={"subject_id": str}, low_memory=False)
                    )
                    break
    elif path.suffix.lower() in (".xlsx", ".xlsm"):
        from python_calamine import CalamineWorkbook

        sheets = {s.lower(): s for s in CalamineWorkbook.from_path(str(path)).sheet_names}
        if "adverse_events" not in sheets:
            return None
        for name in (*_GRADED, "subjects"):
            if name in sheets:
                frames[name] = pd.read_excel(
                    path, sheet_name=sheets[name], engine="calamine", dtype={"subject_id": str}
                )
    if "adverse_events" not in frames:
        return None
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


def _subjects_from_summary(summary: pd.DataFrame | None, ae: pd.DataFrame) -> pd.DataFrame:
    """Subject_summary has one row per subject (with or without AEs): the N of the tables.
    Its per-term grade columns ('<term> [<system>]') are dropped."""
    if summary is None:
        return pd.DataFrame({"subject_id": pd.unique(ae["subject_id"].astype(str))})
    keep = [c for c in summary.columns if not str(c).endswith("]")]
    return summary[keep].copy()
