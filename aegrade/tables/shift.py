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
from aegrade.tables.labtests import baseline_against_normal_range
from aegrade.tables.spec import TableSpecError, arm_column

__all__ = ["build_shift_table"]

MissingBaseline = Literal["missing", "grade0", "exclude"]
BaselineGrade = Literal["normal-range", "as-graded"]
ShiftLayout = Literal["grid", "nested"]


def build_shift_table(
    graded_observations: pd.DataFrame,
    *,
    terms: Sequence[str] | None = None,
    missing_baseline: MissingBaseline = "missing",
    keep_empty: bool = False,
    subjects: pd.DataFrame | None = None,
    by: str | None = None,
    cut: int | None = None,
    baseline: BaselineGrade = "normal-range",
    layout: ShiftLayout = "grid",
    rounding: str = "half-up",
    percent_sign: bool = False,
) -> DisplayTable:
    """Baseline vs worst post-baseline grade for each lab term, per arm.

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
    subjects, by
        The subjects table and its arm column: one block of columns per arm, headed with the
        arm's N (its patients in ``subjects``); a patient without an arm is in 'Missing'.
    cut
        A cut-point grade (e.g. 3): baseline and worst grades are grouped as 'Grade 0-2' and
        'Grade 3-4' (LBT07-style 'Grade 3-4' shift) instead of one row and column per grade.
    baseline
        'normal-range' (default): the baseline grade is the baseline value graded against its
        normal range (:func:`aegrade.tables.labtests.baseline_against_normal_range`: a
        baseline-relative criterion never compares the baseline with itself);
        'as-graded': the grade the baseline row has in ``graded_observations``.
    layout
        'grid' (default): baseline grades as rows, post-baseline grades as columns per arm.
        'nested' (NEST LBT14): one column per arm; per term, a row per baseline grade with its
        number of patients, and under it a row per worst post-baseline grade, n (%) of that
        baseline row. Every patient of ``subjects`` is counted: no baseline value is the
        baseline row 'Missing', no post-baseline value the post-baseline row 'Missing'; grade
        0 reads 'Not Low' (a low-direction term) or 'Not High'; rows without a patient in any
        arm are left out unless ``keep_empty``. Its ARD rows are 'term / Baseline <label>'
        with the columns 'Patients' (n of the baseline row, N of the arm) and
        'Post-baseline <label>' (N: the patients of the baseline row).
    rounding, percent_sign
        How the nested layout prints percentages (:func:`~aegrade.tables.display.format_count`).

    Returns
    -------
    DisplayTable
        With an ``ard`` (row = 'term / Baseline grade g', arm, column = post-baseline grade,
        n, N = patients in that baseline row and arm, percent).

    Raises
    ------
    TableSpecError
        No ``day`` or no term/grade columns; ``by`` without ``subjects`` or not one of its
        columns; ``cut`` outside 1-4.

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
    >>> subjects = pd.DataFrame({"subject_id": ["1", "2", "3"], "arm": ["A", "B", "B"]})
    >>> t = build_shift_table(obs, subjects=subjects, by="arm", cut=3)
    >>> t.groups
    (('A (N = 1)', 3), ('B (N = 2)', 3))
    >>> t.to_frame().iloc[1].tolist()
    ['Baseline grade 0-2', '0', '1 (100.0)', '1', '1 (100.0)', '0', '1']
    >>> nested = build_shift_table(obs, subjects=subjects, by="arm", layout="nested")
    >>> print(nested.to_frame().to_string(index=False))
    Laboratory term / baseline grade / worst post-baseline grade A (N = 1) B (N = 2)
                                                          Anemia
                                                         Not Low         1         0
                                                               3 1 (100.0)         0
                                                               1         0         1
                                                               1         0 1 (100.0)
                                                         Missing         0         1
                                                         Missing         0 1 (100.0)
    """
    _check_options(graded_observations, cut, layout)
    graded_observations = _with_baseline(graded_observations, baseline)
    long = _long(graded_observations)
    if layout == "nested":
        return _nested(
            long,
            terms,
            missing_baseline,
            keep_empty,
            subjects,
            by,
            cut,
            baseline,
            rounding,
            percent_sign,
        )
    pairs = _pairs(long, missing_baseline)
    arms, big_ns = _arms(pairs, subjects, by)
    top = int(max(4, pairs["post"].max() if len(pairs) else 4))
    if cut is None:
        cats = [(str(g), g, g) for g in range(top + 1)]
    else:
        cats = [(f"0-{cut - 1}", 0, cut - 1), (f"{cut}-{top}", cut, top)]
    pairs["post_cat"] = _category(pairs["post"], cats)
    base_num = pd.to_numeric(pairs["base"].where(pairs["base"] != "Missing"), errors="coerce")
    pairs["base_cat"] = _category(base_num, cats).where(base_num.notna(), "Missing")
    wanted = list(terms) if terms is not None else sorted(pairs["term"].unique())
    labels = [c for c, _, _ in cats]
    width = len(labels) + 1
    body, indent, emph, ard = [], [], [], []
    for term in wanted:
        block = pairs[pairs["term"] == term]
        body.append((term, *[""] * (width * len(arms))))
        indent.append(0)
        emph.append(True)
        for base in [*labels, "Missing"]:
            rows = block[block["base_cat"] == base]
            if rows.empty and (base == "Missing" or not keep_empty):
                continue
            cells: list[str] = []
            for arm in arms:
                in_arm = rows[rows["arm"] == arm]
                big_n = len(in_arm)
                counts = in_arm["post_cat"].value_counts()
                cells += [format_count(int(counts.get(g, 0)), big_n) for g in labels]
                cells.append(str(big_n))
                ard += [
                    [
                        f"{term} / Baseline grade {base}",
                        arm,
                        f"Grade {g}",
                        int(counts.get(g, 0)),
                        big_n,
                        100.0 * counts.get(g, 0) / big_n if big_n else np.nan,
                    ]
                    for g in labels
                ]
            stub = f"Baseline grade {base}" if base != "Missing" else "Baseline missing"
            body.append((stub, *cells))
            indent.append(1)
            emph.append(False)
    foot = [
        "Baseline: last graded value on or before day 0; post-baseline: worst grade after "
        "day 0. n (%) of the patients in each baseline row; patients without a "
        "post-baseline value are not counted."
    ]
    if baseline == "normal-range":
        foot.append(
            "Baseline grade: the baseline value graded against its normal range (a criterion "
            "relative to baseline is read as if the baseline were normal)."
        )
    if by is not None:
        foot.append("N: patients of the arm in the subjects table.")
    if missing_baseline == "grade0":
        foot.append("A missing baseline is counted as grade 0.")
    if by is None:
        groups: tuple[tuple[str, int], ...] = (("Worst post-baseline grade", width),)
    else:
        groups = tuple((f"{a} (N = {n})", width) for a, n in zip(arms, big_ns, strict=True))
    return DisplayTable(
        title="Shift from baseline to worst post-baseline grade",
        stub_header="Laboratory term",
        columns=(*[f"Grade {g}" for g in labels], "Total") * len(arms),
        body=tuple(body),
        groups=groups,
        indent=tuple(indent),
        emphasis=tuple(emph),
        footnotes=with_grading_footnote(foot, long["criteria"].unique()),
        name="Lab shift",
        ard=pd.DataFrame(ard, columns=["row", "arm", "column", "n", "N", "percent"]),
    )


def _every_patient(
    long: pd.DataFrame,
    terms: list[str],
    subjects: pd.DataFrame | None,
    missing_baseline: MissingBaseline,
) -> pd.DataFrame:
    """One row per patient (of ``subjects``, else of ``long``) and term: ``base`` (grade of
    the last value on or before day 0) and ``post`` (worst grade after day 0), NaN when none."""
    if subjects is not None:
        ids = pd.unique(subjects["subject_id"].astype("string").dropna())
    else:
        ids = pd.unique(long["subject_id"].dropna())
    key = ["subject_id", "term"]
    pre = long[long["day"] <= 0].sort_values([*key, "day"], kind="stable")
    grid = pd.MultiIndex.from_product([pd.Index(ids, dtype="string"), terms], names=key)
    every = pd.DataFrame(index=grid).reset_index()
    every["base"] = pre.groupby(key)["grade"].last().reindex(grid).to_numpy()
    every["post"] = long[long["day"] > 0].groupby(key)["grade"].max().reindex(grid).to_numpy()
    if missing_baseline == "exclude":
        return every[every["base"].notna()].copy()
    if missing_baseline == "grade0":
        every["base"] = every["base"].fillna(0)
    return every


def _nested_footnotes(baseline: BaselineGrade, missing_baseline: MissingBaseline) -> list[str]:
    foot = [
        "Baseline: last graded value on or before day 0; post-baseline: worst grade after "
        "day 0. Each patient is counted once per term: under the baseline grade, then at the "
        "worst post-baseline grade, n (%) of the patients with that baseline grade; Missing: "
        "no baseline (or no post-baseline) value."
    ]
    if baseline == "normal-range":
        foot.append(
            "Baseline grade: the baseline value graded against its normal range (a criterion "
            "relative to baseline is read as if the baseline were normal)."
        )
    if missing_baseline == "grade0":
        foot.append("A missing baseline is counted as grade 0.")
    if missing_baseline == "exclude":
        foot.append("Patients without a baseline value are not counted.")
    return foot


def _check_options(graded: pd.DataFrame, cut: int | None, layout: str) -> None:
    """A TableSpecError for options the shift table cannot follow."""
    if "day" not in graded:
        raise TableSpecError("shift table: graded_observations needs a 'day' column")
    if cut is not None and not 1 <= cut <= 4:
        raise TableSpecError(f"shift table: cut must be a grade from 1 to 4, got {cut}")
    if layout not in ("grid", "nested"):
        raise TableSpecError(f"shift table: layout must be grid or nested, not {layout!r}")


def _with_baseline(graded: pd.DataFrame, baseline: BaselineGrade) -> pd.DataFrame:
    """The observations whose baseline rows carry the grade the ``baseline`` option asks for."""
    if baseline not in ("normal-range", "as-graded"):
        raise TableSpecError(
            f"shift table: baseline must be normal-range or as-graded, not {baseline!r}"
        )
    return baseline_against_normal_range(graded) if baseline == "normal-range" else graded


def _category(grades: pd.Series, cats: list[tuple[str, int, int]]) -> pd.Series:
    """The label of the grade group each grade falls in."""
    num = pd.to_numeric(grades, errors="coerce").to_numpy(float, na_value=np.nan)
    out = np.full(len(num), "", dtype=object)
    for label, lo, hi in cats:
        out[(num >= lo) & (num <= hi)] = label
    return pd.Series(out, index=grades.index, dtype=object)


def _arms(
    pairs: pd.DataFrame, subjects: pd.DataFrame | None, by: str | None
) -> tuple[list[str], list[int]]:
    """Adds ``arm`` to ``pairs``; the arms in order and each arm's N."""
    if by is None:
        pairs["arm"] = "All subjects"
        n = (
            len(pd.unique(subjects["subject_id"].astype(str)))
            if subjects is not None
            else int(pairs["subject_id"].nunique())
        )
        return ["All subjects"], [n]
    if subjects is None:
        raise TableSpecError("shift table: by needs the subjects table")
    col = arm_column(subjects.columns, by)
    frame = subjects.drop_duplicates("subject_id")
    arm = frame[col].astype("string").fillna("Missing")
    ids = frame["subject_id"].astype("string")
    of = pd.Series(arm.to_numpy(object), index=ids.to_numpy(object))
    pairs["arm"] = pairs["subject_id"].astype(str).map(of).fillna("Missing").to_numpy(object)
    names = sorted(set(arm) - {"Missing"})
    if (arm == "Missing").any() or (pairs["arm"] == "Missing").any():
        names.append("Missing")
    counts = arm.value_counts()
    return names, [int(counts.get(a, 0)) for a in names]


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
                "direction": d,
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


def _nested(
    long: pd.DataFrame,
    terms: Sequence[str] | None,
    missing_baseline: MissingBaseline,
    keep_empty: bool,
    subjects: pd.DataFrame | None,
    by: str | None,
    cut: int | None,
    baseline: BaselineGrade,
    rounding: str,
    percent_sign: bool,
) -> DisplayTable:
    """The LBT14 layout of :func:`build_shift_table` (``layout='nested'``)."""
    wanted = list(terms) if terms is not None else sorted(_pairs(long, "missing")["term"].unique())
    every = _every_patient(long, wanted, subjects, missing_baseline)
    arms, big_ns = _arms(every, subjects, by)
    if cut is None:
        cats = [(str(g), g, g) for g in range(5)]
    else:
        cats = [(f"0-{cut - 1}", 0, cut - 1), (f"{cut}-4", cut, 4)]
    every["base_cat"] = _category(every["base"], cats).where(every["base"].notna(), "Missing")
    every["post_cat"] = _category(every["post"], cats).where(every["post"].notna(), "Missing")
    direction = long.drop_duplicates("term").set_index("term")["direction"]
    order = [c for c, _, _ in cats] + ["Missing"]
    body: list[tuple[str, ...]] = []
    indent: list[int] = []
    emph: list[bool] = []
    ard: list[list[object]] = []
    for term in wanted:
        side = "Low" if direction.get(term, "low") == "low" else "High"
        shown = {"0": f"Not {side}"} if cut is None else {}
        body.append((term, *[""] * len(arms)))
        indent.append(0)
        emph.append(True)
        block = every[every["term"] == term]
        k, m = len(order), len(arms)
        where = pd.Index(order)
        b_at = np.asarray(where.get_indexer(pd.Index(block["base_cat"])), np.int64)
        p_at = np.asarray(where.get_indexer(pd.Index(block["post_cat"])), np.int64)
        a_at = np.asarray(pd.Index(arms).get_indexer(pd.Index(block["arm"])), np.int64)
        cell = (b_at * k + p_at) * m + a_at
        cube = np.bincount(cell, minlength=k * k * m).reshape(k, k, m)
        for bi, b in enumerate(order):
            sizes = cube[bi].sum(axis=0)
            if not sizes.any() and (b == "Missing" or not keep_empty):
                continue
            body.append((shown.get(b, b), *[str(int(x)) for x in sizes]))
            indent.append(1)
            emph.append(False)
            row = f"{term} / Baseline {shown.get(b, b)}"  # the labels as displayed
            ard += [
                [row, a, "Patients", int(x), n, np.nan]
                for a, x, n in zip(arms, sizes, big_ns, strict=True)
            ]
            for pi, p in enumerate(order):
                counts = cube[bi, pi]
                if not counts.any() and (p == "Missing" or not keep_empty):
                    continue
                body.append(
                    (
                        shown.get(p, p),
                        *[
                            format_count(
                                int(c), int(n), rounding=rounding, percent_sign=percent_sign
                            )
                            for c, n in zip(counts, sizes, strict=True)
                        ],
                    )
                )
                indent.append(2)
                emph.append(False)
                ard += [
                    [
                        row,
                        a,
                        f"Post-baseline {shown.get(p, p)}",
                        int(c),
                        int(n),
                        100.0 * int(c) / int(n) if n else np.nan,
                    ]
                    for a, c, n in zip(arms, counts, sizes, strict=True)
                ]
    return DisplayTable(
        title="Shift from baseline to worst post-baseline grade",
        stub_header="Laboratory term / baseline grade / worst post-baseline grade",
        columns=tuple(f"{a} (N = {n})" for a, n in zip(arms, big_ns, strict=True)),
        body=tuple(body),
        indent=tuple(indent),
        emphasis=tuple(emph),
        footnotes=with_grading_footnote(
            _nested_footnotes(baseline, missing_baseline), long["criteria"].unique()
        ),
        name="Lab shift",
        ard=pd.DataFrame(ard, columns=["row", "arm", "column", "n", "N", "percent"]),
    )
