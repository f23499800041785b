"""Lab tables by arm (issue 14, point 3): worst post-baseline grade per lab test and direction
(the peer LBT07 layout), and the baseline grade read against the normal range.

A baseline-relative CTCAE criterion (e.g. v5.0 'Alanine aminotransferase increased': ">ULN -
3.0 x ULN if baseline was normal; 1.5 - 3.0 x baseline if baseline was abnormal") grades a
baseline value against itself when it is graded as an ordinary observation: an ALT of 2 x ULN
at baseline is then grade 0. :func:`baseline_against_normal_range` grades every baseline value
(day <= 0) as if the baseline were normal (CDISC ``BNRIND = NORMAL``, the baseline multiple
1.0), so the ULN / LLN branch decides: that ALT is grade 1, its grade against the normal range.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from aegrade.errors import AegradeError
from aegrade.grading.labs import grade_labs
from aegrade.tables.display import DisplayTable, format_count, with_grading_footnote
from aegrade.tables.spec import TableSpecError, arm_column

__all__ = ["baseline_against_normal_range", "build_lab_worst_table"]

_CONTEXT = ("unit", "lln", "uln", "anticoagulated", "specimen")


def baseline_against_normal_range(graded_observations: pd.DataFrame) -> pd.DataFrame:
    """The observations with every baseline row (day <= 0) re-graded against its normal range.

    Parameters
    ----------
    graded_observations
        ``aegrade.grade(...).graded_observations`` (``parameter``, ``value``, ``day``,
        ``criteria``, ``grade_low``/``grade_high``; ``unit``, ``lln``, ``uln`` when given).

    Returns
    -------
    pandas.DataFrame
        A copy; on baseline rows ``grade_low``/``grade_high`` are the grades the value has when
        the baseline is taken as normal (only where that grading gives a grade; other rows and
        grading systems other than CTCAE lab criteria are unchanged).

    Examples
    --------
    >>> obs = pd.DataFrame({"subject_id": ["1", "1"], "day": [0.0, 7.0],
    ...                     "parameter": ["ALT", "ALT"], "value": [80.0, 80.0],
    ...                     "unit": ["U/L", "U/L"], "lln": [0.0, 0.0], "uln": [40.0, 40.0],
    ...                     "term_high": ["Alanine aminotransferase increased"] * 2,
    ...                     "grade_high": pd.array([0, 0], dtype="Int64"),
    ...                     "criteria": ["ctcae-v5.0"] * 2})
    >>> baseline_against_normal_range(obs)["grade_high"].tolist()
    [1, 0]
    """
    out = graded_observations.copy()
    need = {"parameter", "value", "day", "criteria"}
    if not need <= set(out.columns):
        return out
    day = pd.to_numeric(out["day"], errors="coerce")
    value = pd.to_numeric(out["value"], errors="coerce")
    crit = out["criteria"].astype(object).where(out["criteria"].notna(), "").astype(str)
    base = (
        (day <= 0).to_numpy(bool, na_value=False)
        & value.notna().to_numpy(bool)
        & crit.str.startswith("ctcae").to_numpy(bool)
    )
    for system in pd.unique(crit[base]):
        rows = base & (crit == system).to_numpy(bool)
        cols = ["parameter", "value", *(c for c in _CONTEXT if c in out)]
        frame = out.loc[rows, cols].copy()
        frame["value"] = value[rows]
        frame["baseline"] = value[rows]
        frame["baseline_indicator"] = "NORMAL"
        try:
            regraded = grade_labs(frame.reset_index(drop=True), str(system), errors="coerce")
        except (AegradeError, ValueError, KeyError):
            continue  # not a lab grading system: keep the grades as they are
        for d in ("low", "high"):
            col = f"grade_{d}"
            if col not in out:
                continue
            new = pd.to_numeric(regraded[col], errors="coerce").to_numpy(float)
            old = pd.to_numeric(out.loc[rows, col], errors="coerce").to_numpy(float)
            merged = np.where(np.isnan(new), old, new)
            out[col] = pd.to_numeric(out[col], errors="coerce").astype("Float64")
            out.loc[rows, col] = merged
            out[col] = out[col].round().astype("Int64")
    return out


def build_lab_worst_table(
    graded_observations: pd.DataFrame,
    *,
    subjects: pd.DataFrame | None = None,
    by: str | None = None,
    parameters: Sequence[str] | None = None,
) -> DisplayTable:
    """Worst post-baseline grade per lab test and direction, per arm (peer layout LBT07).

    Parameters
    ----------
    graded_observations
        ``subject_id``, ``day``, ``parameter``, ``term_low``/``grade_low``,
        ``term_high``/``grade_high``, ``criteria``.
    subjects, by
        The subjects table and its arm column (one column per arm, headed with its N).
    parameters
        Parameters to show, in this order (default: every graded one, sorted).

    Returns
    -------
    DisplayTable
        Per parameter (section row) and direction (its CTCAE term): a row '(n)' with the
        patients who have a graded post-baseline value in that direction, then 'Grade 1' ..
        'Grade 4' and 'Any grade' as n (%) of that (n), each patient at the worst grade after
        day 0. ``ard``: row, arm, column, n, N, percent.

    Raises
    ------
    TableSpecError
        A required column is missing; ``by`` without ``subjects``.

    Examples
    --------
    >>> obs = pd.DataFrame({"subject_id": ["1", "1", "2"], "day": [0.0, 7.0, 7.0],
    ...                     "parameter": ["NEUT"] * 3,
    ...                     "term_low": ["Neutrophil count decreased"] * 3,
    ...                     "grade_low": pd.array([0, 3, 0], dtype="Int64"),
    ...                     "criteria": ["ctcae-v5.0"] * 3})
    >>> for row in build_lab_worst_table(obs).body[2:]:
    ...     print(row)
    ('(n)', '2')
    ('Grade 1', '0')
    ('Grade 2', '0')
    ('Grade 3', '1 (50.0)')
    ('Grade 4', '0')
    ('Any grade', '1 (50.0)')
    """
    for col in ("subject_id", "day", "parameter"):
        if col not in graded_observations:
            raise TableSpecError(f"lab table: graded_observations needs a {col!r} column")
    obs = graded_observations
    parts = [
        pd.DataFrame(
            {
                "subject_id": obs["subject_id"].astype("string"),
                "parameter": obs["parameter"].astype("string"),
                "direction": d,
                "term": obs[f"term_{d}"].astype("string"),
                "grade": pd.to_numeric(obs[f"grade_{d}"], errors="coerce"),
                "day": pd.to_numeric(obs["day"], errors="coerce"),
            }
        )
        for d in ("low", "high")
        if f"term_{d}" in obs and f"grade_{d}" in obs
    ]
    if not parts:
        raise TableSpecError("lab table: graded_observations has no term/grade columns")
    long = pd.concat(parts, ignore_index=True)
    long = long[(long["day"] > 0) & long["grade"].notna() & long["term"].notna()]
    worst = (
        long.groupby(["parameter", "direction", "term", "subject_id"])["grade"].max().reset_index()
    )
    arms, big_ns = _arms(subjects, by, worst)
    worst["arm"] = worst["subject_id"].map(arms).fillna("Missing")
    names = sorted(set(arms.to_numpy(object)) - {"Missing"})
    if (worst["arm"] == "Missing").any() or (arms == "Missing").any():
        names.append("Missing")
    top = int(max(4, worst["grade"].max() if len(worst) else 4))
    wanted = list(parameters) if parameters is not None else sorted(worst["parameter"].unique())
    body: list[tuple[str, ...]] = []
    indent: list[int] = []
    emph: list[bool] = []
    ard: list[list[object]] = []
    blank = ("",) * len(names)
    for p in wanted:
        block = worst[worst["parameter"] == p]
        body.append((p, *blank))
        indent.append(0)
        emph.append(True)
        for d in ("low", "high"):
            sub = block[block["direction"] == d]
            if sub.empty:
                continue
            term = str(sub["term"].iloc[0])
            body.append((term, *blank))
            indent.append(1)
            emph.append(False)
            per_arm = {a: sub[sub["arm"] == a] for a in names}
            ns = {a: int(per_arm[a]["subject_id"].nunique()) for a in names}
            body.append(("(n)", *(str(ns[a]) for a in names)))
            indent.append(2)
            emph.append(False)
            rows = [(f"Grade {g}", g, g) for g in range(1, top + 1)] + [("Any grade", 1, top)]
            for label, lo, hi in rows:
                cells = []
                for a in names:
                    g = per_arm[a]["grade"]
                    k = int(((g >= lo) & (g <= hi)).sum())
                    cells.append(format_count(k, ns[a]))
                    pct = 100.0 * k / ns[a] if ns[a] else np.nan
                    ard.append([f"{p} / {term} / {label}", a, label, k, ns[a], pct])
                body.append((label, *cells))
                indent.append(2)
                emph.append(False)
    crit = obs["criteria"].dropna().unique() if "criteria" in obs else ()
    return DisplayTable(
        title="Laboratory tests: worst grade after baseline",
        stub_header="Parameter / direction / highest grade",
        columns=tuple(f"{a} (N = {big_ns.get(a, 0)})" for a in names),
        body=tuple(body),
        indent=tuple(indent),
        emphasis=tuple(emph),
        footnotes=with_grading_footnote(
            [
                "(n): patients with at least one graded value after day 0 in that direction; "
                "each counted once, at the worst grade after day 0; % of (n).",
            ],
            crit,
        ),
        name="Lab worst grade",
        ard=pd.DataFrame(ard, columns=["row", "arm", "column", "n", "N", "percent"]),
    )


def _arms(
    subjects: pd.DataFrame | None, by: str | None, worst: pd.DataFrame
) -> tuple[pd.Series, dict[str, int]]:
    """The arm of each patient (indexed by subject id) and each arm's N."""
    if by is None:
        ids = (
            subjects["subject_id"].astype("string").unique()
            if subjects is not None
            else worst["subject_id"].unique()
        )
        arms = pd.Series("All subjects", index=np.asarray(ids, object), dtype=object)
    else:
        if subjects is None:
            raise TableSpecError("lab table: by needs the subjects table")
        frame = subjects.drop_duplicates("subject_id")
        col = arm_column(frame.columns, by)
        arms = pd.Series(
            frame[col].astype("string").fillna("Missing").to_numpy(object),
            index=frame["subject_id"].astype("string").to_numpy(object),
        )
    counts = arms.value_counts()
    return arms, {str(k): int(v) for k, v in counts.items()}
