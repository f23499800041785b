"""Lab shift table: baseline grade against worst post-baseline grade, per term (direction).

As NEST's LBT14: one block per lab term (each CTCAE term has one direction, e.g. 'Neutrophil
count decreased' is the low side of NEUT), rows the baseline grade, columns the worst grade
after baseline, each cell n (%) of the patients with that baseline grade.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from aegrade.tables.display import DisplayTable, format_count, with_grading_footnote
from aegrade.tables.spec import TableSpecError

__all__ = ["build_shift_table"]

MissingBaseline = Literal["missing", "grade0", "exclude"]


def build_shift_table(
    graded_observations: pd.DataFrame,
    *,
    terms: Sequence[str] | None = None,
    missing_baseline: MissingBaseline = "missing",
    keep_empty: bool = False,
) -> DisplayTable:
    """Baseline vs worst post-baseline grade for each lab term.

    Parameters
    ----------
    graded_observations
        ``aegrade.grade(...).graded_observations``: ``subject_id``, ``day``, ``term_low``,
        ``grade_low``, ``term_high``, ``grade_high``, ``criteria``.
    terms
        Terms to show (default: every term with a post-baseline grade), in this order.
    missing_baseline
        'missing': a 'Missing' baseline row; 'grade0': count a missing baseline as grade 0
        (LBT15's conservative choice); 'exclude': leave those patients out.
    keep_empty
        Show every baseline grade row 0..4, also those without patients (LBT14's full shell);
        by default only rows with patients are shown.

    Returns
    -------
    DisplayTable
        With an ``ard`` (row = 'term / Baseline grade g', arm, column = post-baseline grade,
        n, N = patients in that baseline row, percent).

    Notes
    -----
    Baseline is the last graded value on day <= 0; post-baseline is day > 0. Only patients
    with at least one graded post-baseline value for the term are counted.

    Examples
    --------
    >>> import pandas as pd
    >>> obs = pd.DataFrame(
    ...     {
    ...         "subject_id": ["1", "1", "2", "2"],
    ...         "day": [0, 7, 0, 7],
    ...         "term_low": ["Anemia"] * 4,
    ...         "grade_low": pd.array([0, 3, 1, 1], dtype="Int8"),
    ...         "term_high": [None] * 4,
    ...         "grade_high": pd.array([None] * 4, dtype="Int8"),
    ...         "criteria": ["ctcae-v5.0"] * 4,
    ...     }
    ... )
    >>> build_shift_table(obs).to_frame()
        Laboratory term Grade 0    Grade 1 Grade 2    Grade 3 Grade 4 Total
    0            Anemia
    1  Baseline grade 0       0          0       0  1 (100.0)       0     1
    2  Baseline grade 1       0  1 (100.0)       0          0       0     1
    """
    if "day" not in graded_observations:
        raise TableSpecError("shift table: graded_observations needs a 'day' column")
    long = _long(graded_observations)
    pairs = _pairs(long, missing_baseline)
    wanted = list(terms) if terms is not None else sorted(pairs["term"].unique())
    top = int(max(4, pairs["post"].max() if len(pairs) else 4))
    grades = [str(g) for g in range(top + 1)]
    body, indent, emph, ard = [], [], [], []
    for term in wanted:
        block = pairs[pairs["term"] == term]
        body.append((term, *[""] * (len(grades) + 1)))
        indent.append(0)
        emph.append(True)
        for base in [*grades, "Missing"]:
            rows = block[block["base"] == base]
            if rows.empty and (base == "Missing" or not keep_empty):
                continue
            big_n = len(rows)
            counts = rows["post"].astype(int).astype(str).value_counts()
            cells = [format_count(int(counts.get(g, 0)), big_n) for g in grades]
            body.append(
                (
                    f"Baseline grade {base}" if base != "Missing" else "Baseline missing",
                    *cells,
                    str(big_n),
                )
            )
            indent.append(1)
            emph.append(False)
            ard += [
                [
                    f"{term} / Baseline grade {base}",
                    "All subjects",
                    f"Grade {g}",
                    int(counts.get(g, 0)),
                    big_n,
                    100.0 * counts.get(g, 0) / big_n if big_n else np.nan,
                ]
                for g in grades
            ]
    foot = [
        "Baseline: last graded value on or before day 0; post-baseline: worst grade after "
        "day 0. n (%) of the patients in each baseline row; patients without a "
        "post-baseline value are not counted."
    ]
    if missing_baseline == "grade0":
        foot.append("A missing baseline is counted as grade 0.")
    return DisplayTable(
        title="Shift from baseline to worst post-baseline grade",
        stub_header="Laboratory term",
        columns=(*[f"Grade {g}" for g in grades], "Total"),
        body=tuple(body),
        groups=(("Worst post-baseline grade", len(grades) + 1),),
        indent=tuple(indent),
        emphasis=tuple(emph),
        footnotes=with_grading_footnote(foot, long["criteria"].unique()),
        name="Lab shift",
        ard=pd.DataFrame(ard, columns=["row", "arm", "column", "n", "N", "percent"]),
    )


def _long(graded: pd.DataFrame) -> pd.DataFrame:
    """subject_id, day, term, criteria, grade: both directions, graded rows with a day."""
    day = pd.to_numeric(graded["day"], errors="coerce")
    crit = graded["criteria"] if "criteria" in graded else pd.Series(None, index=graded.index)
    parts = [
        pd.DataFrame(
            {
                "subject_id": graded["subject_id"].astype("string"),
                "day": day,
                "term": graded[f"term_{d}"],
                "criteria": crit,
                "grade": pd.to_numeric(graded[f"grade_{d}"], errors="coerce"),
            }
        )
        for d in ("low", "high")
        if f"term_{d}" in graded
    ]
    if not parts:
        raise TableSpecError(
            "shift table: graded_observations needs term_low/grade_low or term_high/grade_high"
        )
    long = pd.concat(parts, ignore_index=True)
    return long[long["term"].notna() & long["grade"].notna() & long["day"].notna()]


def _pairs(long: pd.DataFrame, missing_baseline: MissingBaseline) -> pd.DataFrame:
    """One row per subject and term: baseline grade (string) and worst post-baseline grade."""
    key = ["subject_id", "term"]
    pre = long[long["day"] <= 0].sort_values([*key, "day"], kind="stable")
    base = pre.groupby(key)["grade"].last()
    post = long[long["day"] > 0].groupby(key)["grade"].max()
    out = post.rename("post").to_frame().join(base.rename("base"), how="left").reset_index()
    if missing_baseline == "exclude":
        out = out[out["base"].notna()]
    elif missing_baseline == "grade0":
        out["base"] = out["base"].fillna(0)
    out["base"] = out["base"].map(lambda v: "Missing" if pd.isna(v) else str(int(v)))
    return out
