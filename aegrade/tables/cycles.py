"""Counts by treatment cycle (issue 14, point 4): for each lab term, the patients with a grade
in a range during each cycle, out of the patients with a graded value in that cycle."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aegrade.tables.display import DisplayTable, format_count, with_grading_footnote
from aegrade.tables.spec import TableSpecError

__all__ = ["build_cycle_table"]


def build_cycle_table(
    graded_observations: pd.DataFrame, *, min_grade: int = 1, max_grade: int = 5
) -> DisplayTable:
    """Per term (row) and cycle (column): n (%) of patients graded ``min_grade``-``max_grade``.

    Parameters
    ----------
    graded_observations
        ``aegrade.grade(...).graded_observations`` with a ``cycle`` column (rows without a
        cycle are left out); both directions (``term_low``/``grade_low``,
        ``term_high``/``grade_high``) are read.
    min_grade, max_grade
        The grade range counted (default: any grade, 1-5).

    Returns
    -------
    DisplayTable
        Cells ``n (%)``: n patients with a grade in range during the cycle, % of the patients
        with a graded value of that term in the cycle (N in the ``ard``).

    Raises
    ------
    TableSpecError
        No ``cycle`` column.

    Examples
    --------
    >>> obs = pd.DataFrame({"subject_id": ["1", "1", "2", "2"], "cycle": [1, 2, 1, 2],
    ...                     "term_low": ["Anemia"] * 4, "grade_low": [0, 2, 1, 0]})
    >>> build_cycle_table(obs).to_frame().values.tolist()
    [['Anemia', '1 (50.0)', '1 (50.0)']]
    """
    if "cycle" not in graded_observations:
        raise TableSpecError("cycle table: graded_observations has no 'cycle' column")
    parts = [
        pd.DataFrame(
            {
                "subject_id": graded_observations["subject_id"].astype("string"),
                "cycle": graded_observations["cycle"],
                "term": graded_observations[f"term_{d}"].astype("string"),
                "grade": pd.to_numeric(graded_observations[f"grade_{d}"], errors="coerce"),
            }
        )
        for d in ("low", "high")
        if f"term_{d}" in graded_observations and f"grade_{d}" in graded_observations
    ]
    if not parts:
        raise TableSpecError("cycle table: graded_observations has no term/grade columns")
    long = pd.concat(parts, ignore_index=True)
    long = long[long["term"].notna() & long["grade"].notna() & long["cycle"].notna()]
    worst = long.groupby(["term", "cycle", "subject_id"])["grade"].max().reset_index()
    worst["hit"] = (worst["grade"] >= min_grade) & (worst["grade"] <= max_grade)
    big_n = worst.groupby(["term", "cycle"])["subject_id"].nunique()
    n = worst[worst["hit"]].groupby(["term", "cycle"])["subject_id"].nunique()
    cycles = sorted(worst["cycle"].unique())
    terms = sorted(worst["term"].unique())
    body, ard = [], []
    for t in terms:
        cells = []
        for c in cycles:
            bn, k = int(big_n.get((t, c), 0)), int(n.get((t, c), 0))
            cells.append(format_count(k, bn) if bn else "-")
            ard.append([t, f"Cycle {_label(c)}", k, bn, 100.0 * k / bn if bn else np.nan])
        body.append((t, *cells))
    rng = f"{min_grade}" if min_grade == max_grade else f"{min_grade}-{max_grade}"
    crit = (
        graded_observations["criteria"].dropna().unique()
        if "criteria" in graded_observations
        else ()
    )
    return DisplayTable(
        title=f"Patients with grade {rng} by cycle",
        stub_header="Term",
        columns=tuple(f"Cycle {_label(c)}" for c in cycles),
        body=tuple(body),
        footnotes=with_grading_footnote(
            [
                f"n (%): patients with a grade {rng} value in the cycle, of the patients with "
                "a graded value of the term in that cycle; '-': no graded value."
            ],
            crit,
        ),
        name="By cycle",
        ard=pd.DataFrame(ard, columns=["row", "column", "n", "N", "percent"]),
    )


def _label(cycle: object) -> str:
    """A cycle as printed: whole numbers without '.0'."""
    if isinstance(cycle, (int, float, np.integer, np.floating)) and float(cycle).is_integer():
        return str(int(cycle))
    return str(cycle)
