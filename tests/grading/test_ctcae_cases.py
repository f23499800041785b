"""CTCAE boundary case tables (tests/cases/ctcae/*.csv).

One row is one lab or vital-sign value with its unit, LLN, ULN and baseline, and the grades
expected in each direction (``expected_low``, ``expected_high``; empty = not graded) and whether
the row is flagged for review. ``term`` names the CTCAE term the row probes (the coverage test,
tests/cases/test_coverage.py, checks every value-graded entry has a row). Expected grades were
read from NCI's grade text (the ``note`` quotes it); a non-empty ``xfail`` says why the engine is
believed wrong for that row and cites the text.

The rows of one table and criteria version are graded in one call, each row as its own subject
(so rows cannot leak into one another) unless the optional ``subject_id`` and ``day`` columns
group rows into a series, as a fever's duration needs.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd
import pytest

import aegrade
from tests.conftest import CASES

TABLES = sorted((CASES / "ctcae").glob("*.csv"))
INPUT = ["parameter", "value", "unit", "lln", "uln", "baseline", "anticoagulated"]


@cache
def _table(path: Path) -> pd.DataFrame:
    table = pd.read_csv(
        path,
        dtype={"unit": str, "term": str, "xfail": str, "subject_id": str, "anticoagulated": str},
    )
    table["xfail"] = table["xfail"].fillna("")
    return table


def _subjects(rows: pd.DataFrame) -> pd.Series:
    """Each row its own subject, unless ``subject_id`` groups rows (e.g. a fever's duration)."""
    own = pd.Series([f"row{i}" for i in rows.index], index=rows.index)
    return rows["subject_id"].fillna(own) if "subject_id" in rows else own


@cache
def _graded(path: Path, criteria: str) -> pd.DataFrame:
    table = _table(path)
    rows = table[table["criteria"] == criteria]
    data = rows[[c for c in [*INPUT, "day"] if c in rows]].assign(subject_id=_subjects(rows))
    out = aegrade.grade_labs(data, criteria)
    out.index = rows.index
    return out


def _cases() -> list[object]:
    out: list[object] = []
    for path in TABLES:
        table = _table(path)
        for i in range(len(table)):
            case = table.iloc[i]
            marks = [pytest.mark.xfail(reason=case["xfail"], strict=True)] if case["xfail"] else []
            unit = "" if pd.isna(case["unit"]) else case["unit"]
            label = f"{path.stem}:{i + 2}:{case['parameter']}={case['value']}{unit}"
            out.append(pytest.param(path, i, id=label, marks=marks))
    return out


@pytest.mark.parametrize(("path", "index"), _cases())
def test_boundary_case(path: Path, index: int) -> None:
    case = _table(path).loc[index]
    out = _graded(path, str(case["criteria"])).loc[index]
    why = (case["note"], out["reason"])
    for direction in ("low", "high"):
        expected = case[f"expected_{direction}"]
        got = out[f"grade_{direction}"]
        if pd.isna(expected):
            assert pd.isna(got), (direction, *why)
        else:
            assert got == int(expected), (direction, *why)
    assert bool(out["review"]) == bool(case["expected_review"]), why
    assert isinstance(out["reason"], str) and out["reason"]


def test_tables_are_well_formed() -> None:
    for path in TABLES:
        table = _table(path)
        assert set(table["criteria"]) <= {"ctcae-v5.0", "ctcae-v4.03", "ctcae-v6.0"}, path
        assert table["note"].notna().all(), path
        grades = table[["expected_low", "expected_high"]].stack().dropna()
        assert grades.isin([0, 1, 2, 3, 4]).all(), path
