"""ICAHT (EHA/EBMT 2023): early and late immune effector cell-associated hematotoxicity.

:func:`grade_icaht` grades one row per subject from absolute neutrophil counts. The thresholds,
the duration bands and every day-counting choice live in ``criteria/data/icaht-2023.yaml``
(``aegrade criteria show icaht-2023``); this module only combines them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from aegrade.criteria import load_hematology_criteria
from aegrade.criteria.hematology import Cut, IcahtCriteria, to_canonical
from aegrade.grading.biomarkers import format_significant
from aegrade.grading.daily import (
    Grid,
    Readings,
    cut_mask,
    daily_grid,
    first_true,
    joined_runs,
    longest_run,
    nullable_int,
)

if TYPE_CHECKING:
    from pandas.core.arrays.string_ import BaseStringArray

BoolArray = npt.NDArray[np.bool_]

__all__ = ["ICAHT_COLUMNS", "grade_icaht", "load_icaht"]

#: Columns of :func:`grade_icaht`, after ``subject_id``.
ICAHT_COLUMNS = [
    "icaht_early_grade",
    "icaht_late_grade",
    "days_anc_le_500",
    "days_anc_le_100",
    "anc_recovery_day",
    "icaht_early_rule",
    "icaht_late_rule",
    "icaht_early_reason",
    "icaht_late_reason",
]


def load_icaht(criteria: str = "icaht-2023") -> IcahtCriteria:
    """The validated ICAHT criteria file.

    Parameters
    ----------
    criteria
        ``"icaht-2023"``.

    Returns
    -------
    IcahtCriteria
        Early tracks and duration bands, the late levels, the recovery rule and the options.

    Examples
    --------
    >>> c = load_icaht()
    >>> c.early.first_day, c.early.last_day, [t.column for t in c.early.tracks]
    (0, 30, ['days_anc_le_500', 'days_anc_le_100'])
    """
    return load_hematology_criteria(criteria, IcahtCriteria)


def grade_icaht(
    anc: pd.DataFrame | Readings,
    criteria: str = "icaht-2023",
    *,
    subjects: pd.Index | list[str] | None = None,
    options: dict[str, Any] | None = None,
    follow_up: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Grade early and late ICAHT per subject.

    Parameters
    ----------
    anc
        Absolute neutrophil counts: columns ``subject_id``, ``day`` (study day, day 0 =
        infusion) and ``value`` in 10^9/L (for observations in other units use
        :func:`~aegrade.grading.hematology.summarize_hematology`).
    criteria
        ``"icaht-2023"``.
    subjects
        Every subject to report (default: those in ``anc``); a subject without ANC gets NA.
    options
        Overrides of the file's options: ``daily_value`` (lowest | last),
        ``carry_forward_days``, ``join_gap_days``, ``duration`` (longest_run | cumulative),
        ``recovery_days``, ``late_last_day``, ``late_confirmation`` (second_value | none),
        ``censoring`` (censor | never_recovered_grade_4).
    follow_up
        Where each subject's follow-up ends: columns ``subject_id``, ``day`` (study day of
        death, last contact, progression or next therapy, the earliest) and ``cause``
        (``death``...). No value is carried forward past that day and no later value is used;
        with ``censoring="never_recovered_grade_4"`` neutropenia starting on days 0-3 that has
        not recovered by then is early grade 4.

    Returns
    -------
    pandas.DataFrame
        One row per subject: ``subject_id`` and :data:`ICAHT_COLUMNS`. Grades and day counts
        are nullable integers, NA when the subject has no ANC in the window.

    Notes
    -----
    Early ICAHT (days 0-30) grades the longest run of days with ANC <= 500/uL (1-6 days grade 1,
    7-13 grade 2, 14-30 grade 3, every day grade 4) and <= 100/uL (7-13 days grade 3, >= 14
    grade 4); late ICAHT grades the lowest ANC after day 30, confirmed by a second value
    <= 1500/uL. Rejeski et al., Blood 2023;142(10):865-877.

    Examples
    --------
    Subject 01 has ANC <= 500/uL on day 2 and day 10 (each carried forward up to 7 days, so 14
    days in a row) and recovers on day 16; subject 02 is neutropenic only after day 30:

    >>> import pandas as pd
    >>> anc = pd.DataFrame(
    ...     {
    ...         "subject_id": ["01", "01", "01", "01", "02", "02"],
    ...         "day": [0, 2, 10, 16, 1, 45],
    ...         "value": [1.8, 0.3, 0.4, 2.5, 2.0, 0.4],
    ...     }
    ... )
    >>> graded = grade_icaht(anc)
    >>> graded[["subject_id", "icaht_early_grade", "days_anc_le_500", "icaht_late_grade"]]
      subject_id  icaht_early_grade  days_anc_le_500  icaht_late_grade
    0         01                  3               14              <NA>
    1         02                  0                0                 3
    >>> graded.loc[1, "icaht_late_reason"]
    'grade 3: lowest ANC 400/uL on day 45 (1 values after day 30)'
    """
    c = load_icaht(criteria)
    opts = c.resolve(options)
    rows = anc if isinstance(anc, Readings) else Readings.from_frame(anc, _index(subjects))
    end, cause = _follow_up(rows.subjects, follow_up)
    rows = _before(rows, end)
    early = _early(rows, c, opts, end, cause)
    late = _late(rows, c, opts)
    out = pd.DataFrame({"subject_id": rows.subjects.astype("string").array})
    for part in (early, late):
        for name, values in part.items():
            out[name] = values
    return out[["subject_id", *ICAHT_COLUMNS]]


def _index(subjects: pd.Index | list[str] | None) -> pd.Index | None:
    return None if subjects is None else pd.Index(subjects, dtype="string")


def _follow_up(
    subjects: pd.Index, follow_up: pd.DataFrame | None
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.object_]]:
    """Per subject: the last whole study day of follow-up (inf: open) and why it ends."""
    end = np.full(len(subjects), np.inf)
    cause = np.full(len(subjects), None, dtype=object)
    if follow_up is None or follow_up.empty:
        return end, cause
    at = subjects.get_indexer(pd.Index(follow_up["subject_id"].astype("string")))
    day = pd.to_numeric(follow_up["day"], errors="coerce").to_numpy(float)
    ok = (at >= 0) & ~np.isnan(day)
    end[at[ok]] = np.floor(day[ok])
    cause[at[ok]] = follow_up["cause"].to_numpy(object)[ok]
    return end, cause


def _before(rows: Readings, end: npt.NDArray[np.float64]) -> Readings:
    """The readings on or before each subject's last day of follow-up."""
    keep = ~(np.floor(rows.day) > end[rows.subject])
    if keep.all():
        return rows
    return Readings(
        rows.subjects,
        rows.subject[keep],
        rows.day[keep],
        rows.value[keep],
        rows.raw[keep],
        rows.unit[keep],
        rows.baseline[keep],
    )


def _early(
    rows: Readings,
    c: IcahtCriteria,
    opts: dict[str, Any],
    end: npt.NDArray[np.float64],
    cause: npt.NDArray[np.object_],
) -> dict[str, Any]:
    e = c.early
    grid = daily_grid(
        rows,
        first_day=e.first_day,
        last_day=None,
        daily_value=opts["daily_value"],
        carry_forward_days=int(opts["carry_forward_days"]),
        through_day=e.last_day,
    )
    # no value is carried past the end of follow-up (death, last contact, progression, ...)
    cols = grid.first_day + np.arange(grid.value.shape[1])
    after = cols[None, :] > end[:, None]
    grid = Grid(grid.first_day, np.where(after, np.nan, grid.value), grid.measured & ~after)
    win = grid.days(e.first_day, e.last_day)
    window = grid.value[:, win]
    graded: BoolArray = np.asarray(grid.measured[:, win].any(axis=1), dtype=bool)
    n_days = e.last_day - e.first_day + 1
    followed = np.clip(np.minimum(end, e.last_day) - e.first_day + 1, 0, n_days).astype(np.int64)
    grade = np.zeros(len(rows.subjects), np.int64)
    rule = np.full(len(rows.subjects), "", dtype=object)
    out: dict[str, Any] = {}
    flags: dict[str, BoolArray] = {}
    for track in e.tracks:
        flag = cut_mask(track.cut, c.parameter, c.unit, window, window, np.full(window.shape, None))
        flags[track.id] = flag
        joined = joined_runs(flag, int(opts["join_gap_days"]))
        days = longest_run(joined) if opts["duration"] == "longest_run" else joined.sum(axis=1)
        out[track.column] = nullable_int(days, graded)
        for band in track.bands:
            top = band.max_days or n_days
            hit = (days >= band.min_days) & (days <= top) & (band.grade > grade)
            grade = np.where(hit, band.grade, grade)
            rule = np.where(hit, f"{c.id}/early/{track.id}/{band.grade}", rule)
    out["anc_recovery_day"], recovered = _recovery(grid, flags[e.tracks[0].id], c, opts)
    onset = first_true(flags[e.tracks[0].id])
    never = (
        (opts["censoring"] == "never_recovered_grade_4")
        & np.isfinite(end)
        & (onset >= 0)
        & (onset <= 3 - e.first_day)
        & ~recovered
        & (grade < 4)
    )
    grade = np.where(never, 4, grade)
    rule = np.where(never, f"{c.id}/early/never-recovered/4", rule)
    out["icaht_early_grade"] = nullable_int(grade, graded)
    out["icaht_early_rule"] = _text_where(graded & (grade > 0), rule)
    text = _early_reason(
        out, graded, grade, rule, window, followed, c, recovered, int(opts["recovery_days"])
    )
    censored = pd.Series(np.isfinite(end) & (end < e.last_day) & graded)
    if not censored.any():  # no follow-up ends inside the window: nothing to add
        out["icaht_early_reason"] = text
        return out
    stop = (
        "; follow-up ends on day "
        + format_significant(np.where(np.isfinite(end), end, np.nan), 6)
        + " ("
        + pd.Series(cause, dtype="string").fillna("end of follow-up")
        + "): no value carried past it, later days not counted"
    )
    never_s = pd.Series(never)
    stop = stop.where(
        ~never_s,
        stop
        + "; neutropenia from day "
        + pd.Series(onset).astype("string")
        + " never recovered before it: grade 4 (option censoring=never_recovered_grade_4)",
    )
    said = pd.Series(text).where(~censored, pd.Series(text) + stop)
    out["icaht_early_reason"] = pd.array(said.to_numpy(dtype=object), dtype="string")
    return out


def _text_where(keep: BoolArray, text: npt.NDArray[np.object_]) -> BaseStringArray[Any]:
    """``text`` as a string array, NA where not ``keep``."""
    out = pd.array(text, dtype="string")
    out[~keep] = pd.NA
    return out


def _wording(cut: Cut, c: IcahtCriteria) -> str:
    """The source's wording of a cut-off, else the comparison spelled out."""
    return cut.text if cut.text is not None else f"{c.parameter} {cut.op} {cut.threshold}"


def _recovery(
    grid: Grid, neutropenic: BoolArray, c: IcahtCriteria, opts: dict[str, Any]
) -> tuple[pd.arrays.IntegerArray, BoolArray]:
    """First day of the first stretch of ``recovery_days`` days above the recovery cut-off
    after the first neutropenic day of the early window."""
    r = int(opts["recovery_days"])
    start = grid.days(c.early.first_day, None)
    values = grid.value[:, start]
    above = cut_mask(
        c.early.recovery, c.parameter, c.unit, values, values, np.full(values.shape, None)
    )
    cs = np.concatenate([np.zeros((above.shape[0], 1), np.int64), np.cumsum(above, axis=1)], 1)
    stretch = (
        (cs[:, r:] - cs[:, :-r]) == r
        if above.shape[1] >= r
        else np.zeros((above.shape[0], 0), bool)
    )
    onset = first_true(neutropenic)
    cols = np.arange(stretch.shape[1])
    first = first_true(stretch & (cols[None, :] > onset[:, None]) & (onset[:, None] >= 0))
    day = c.early.first_day + start.start + first
    return nullable_int(day, first >= 0), first >= 0


def _early_reason(
    out: dict[str, Any],
    graded: BoolArray,
    grade: npt.NDArray[np.int64],
    rule: npt.NDArray[np.object_],
    window: npt.NDArray[np.float64],
    n_days: npt.NDArray[np.int64],
    c: IcahtCriteria,
    recovered: BoolArray,
    recovery_days: int,
) -> BaseStringArray[Any]:
    """Per subject, how the early grade was reached. The text depends only on a few small
    numbers per subject (grade, days at each cut-off, days without a value, rule, recovery),
    so it is written once per distinct case and gathered, not concatenated row by row."""
    e = c.early
    unobserved = n_days - (~np.isnan(window)).sum(axis=1)
    t500, t100 = e.tracks[0], e.tracks[1]
    d500 = np.asarray(out[t500.column].to_numpy(dtype=np.int64, na_value=-1))
    d100 = np.asarray(out[t100.column].to_numpy(dtype=np.int64, na_value=-1))
    rule_code, rules = pd.factorize(np.asarray(rule, dtype=object), use_na_sentinel=True)
    parts = np.column_stack(
        [grade, d500, d100, rule_code, unobserved, np.asarray(recovered, np.int64)]
    )
    parts[~np.asarray(graded, bool)] = -2  # every subject not graded reads the same text
    cases, case = np.unique(parts, axis=0, return_inverse=True)
    head = f"{_wording(t500.cut, c)}"
    mid = f"{_wording(t100.cut, c)}"
    span = f"{e.first_day}-{e.last_day}"
    texts: list[str | None] = []
    for g, a, b, r, gaps, back in cases.tolist():
        if g == -2:
            texts.append(f"not graded: no ANC measured in days {span}")
            continue
        if g != 0 and r < 0:  # a grade without its rule: no text (never made so)
            texts.append(None)
            continue
        text = f"grade {g}: {head} for {a} days, {mid} for {b} days in days {span}"
        if g != 0:
            text += f" [{rules[r]}]"
        if gaps > 0 and g < 4:
            text += f"; {gaps} days without a value: the grade is a lower bound"
        if back and g != 0:
            text += f"; recovered ({e.recovery.text} on {recovery_days} consecutive days)"
        texts.append(text)
    table = np.array(texts, dtype=object)
    return pd.array(table[case.reshape(-1)], dtype="string")


def _late(rows: Readings, c: IcahtCriteria, opts: dict[str, Any]) -> dict[str, Any]:
    late = c.late
    n = len(rows.subjects)
    dint = np.floor(rows.day)
    sel = dint >= late.first_day
    if opts["late_last_day"] is not None:
        sel &= dint <= float(opts["late_last_day"])
    subj, value, day = rows.subject[sel], rows.value[sel], rows.day[sel]
    count = np.bincount(subj, minlength=n)
    lowest = np.full(n, np.inf)
    np.minimum.at(lowest, subj, value)
    at_low = np.flatnonzero(value == lowest[subj])
    lowest_day = np.full(n, np.inf)
    np.minimum.at(lowest_day, subj[at_low], day[at_low])
    _, first = np.unique(subj[at_low], return_index=True)
    others = np.ones(subj.size, bool)
    others[at_low[first]] = False  # one lowest value per subject; a tie stays among the others
    second = np.full(n, np.inf)
    np.minimum.at(second, subj[others], value[others])
    lowest, lowest_day, second = (
        np.where(np.isinf(x), np.nan, x) for x in (lowest, lowest_day, second)
    )
    two = count >= 2
    grade = np.zeros(n, np.int64)
    rule = np.full(n, None, dtype=object)
    for level in late.levels:  # worst first: the first that holds wins
        hit = cut_mask(level.cut, c.parameter, c.unit, lowest, lowest, np.full(n, None)) & (
            grade == 0
        )
        grade = np.where(hit, level.grade, grade)
        rule = np.where(hit, f"{c.id}/late/{level.grade}", rule)
    confirm = cut_mask(late.confirmation, c.parameter, c.unit, second, second, np.full(n, None))
    second_value = opts["late_confirmation"] == "second_value"
    transient: BoolArray = two & ~confirm & (grade > 0) & second_value
    grade = np.where(transient, 0, grade)
    rule[transient] = None
    graded = count > 0
    return {
        "icaht_late_grade": nullable_int(grade, graded),
        "icaht_late_rule": _text_where(graded, rule),
        "icaht_late_reason": _late_reason(
            c, graded, grade, lowest, lowest_day, second, count, transient
        ),
    }


def _late_reason(
    c: IcahtCriteria,
    graded: BoolArray,
    grade: npt.NDArray[np.int64],
    lowest: npt.NDArray[np.float64],
    lowest_day: npt.NDArray[np.float64],
    second: npt.NDArray[np.float64],
    count: npt.NDArray[np.intp],
    transient: BoolArray,
) -> BaseStringArray[Any]:
    per_ul = 1.0 / canonical_per_ul(c)
    # every part is text (never NA: a number that is not finite formats as ""), so the
    # parts are joined as Python strings in object arrays (a pandas string operation per
    # part costs more than the joining itself for a few thousand subjects)
    low_s = format_significant(lowest * per_ul, 4).to_numpy(dtype=object)
    sec_s = format_significant(second * per_ul, 4).to_numpy(dtype=object)
    day_s = format_significant(lowest_day, 6).to_numpy(dtype=object)
    text = (
        "grade "
        + grade.astype(str).astype(object)
        + ": lowest ANC "
        + low_s
        + "/uL on day "
        + day_s
        + " ("
        + count.astype(str).astype(object)
        + f" values after day {c.late.first_day - 1})"
    )
    confirmation = c.late.confirmation.text or "a second value"
    text = np.where(
        transient,
        text
        + f"; not confirmed by {confirmation} (second-lowest "
        + sec_s
        + "/uL), so the low value is taken as transient",
        text,
    )
    missing = f"not graded: no ANC after day {c.late.first_day - 1}"
    return pd.array(np.where(graded, text, missing), dtype="string")


def canonical_per_ul(c: IcahtCriteria) -> float:
    """1/uL in the canonical unit (10^9/L), for readable reasons.

    Parameters
    ----------
    c
        ICAHT criteria (their ``parameter`` and printed ``unit``).

    Returns
    -------
    float
        The canonical value of one cell per microlitre.

    Examples
    --------
    >>> canonical_per_ul(load_icaht())
    0.001
    """
    return to_canonical(c.parameter, c.unit, 1.0)
