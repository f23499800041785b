"""Neutropenia depth and duration (ASCO/IDSA) and CTCAE febrile neutropenia.

:func:`summarize_neutropenia` counts the days of severe (< 500/uL) and profound (< 100/uL)
neutropenia and finds the nadir; :func:`find_febrile_neutropenia` pairs temperatures with the
ANC of their day and returns per-subject results and the graded readings (episodes are built
from them by :mod:`aegrade.episodes`). Cut-offs and readings of the
sources: ``criteria/data/asco-idsa-neutropenia.yaml``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from aegrade.criteria import load_hematology_criteria, resolve_criteria_id
from aegrade.criteria.hematology import IcahtCriteria, NeutropeniaCriteria, OptionValue
from aegrade.grading.daily import (
    SECOND,
    Readings,
    cut_mask,
    daily_grid,
    first_true,
    is_sorted,
    nullable_int,
)

__all__ = [
    "FEBRILE_COLUMNS",
    "FEBRILE_READING_COLUMNS",
    "NEUTROPENIA_COLUMNS",
    "find_febrile_neutropenia",
    "load_neutropenia",
    "summarize_neutropenia",
]

NEUTROPENIA_COLUMNS = [
    "severe_neutropenia_days",
    "profound_neutropenia_days",
    "anc_nadir",
    "anc_nadir_day",
]
#: Columns of the graded temperature readings :func:`find_febrile_neutropenia` returns.
FEBRILE_READING_COLUMNS = ["subject_id", "day", "term", "criteria", "grade", "rule"]
FEBRILE_COLUMNS = [
    "febrile_neutropenia_grade",
    "febrile_neutropenia_onset_day",
    "febrile_neutropenia_reason",
]
#: The file whose day options (daily_value, carry_forward_days) the counts follow by default.
_DAY_OPTIONS_FROM = "icaht-2023"


def load_neutropenia(criteria: str = "asco-idsa-neutropenia") -> NeutropeniaCriteria:
    """The validated neutropenia criteria file.

    Examples
    --------
    >>> c = load_neutropenia()
    >>> c.id, [d.column for d in c.depths]
    ('asco-idsa-neutropenia', ['severe_neutropenia_days', 'profound_neutropenia_days'])
    """
    return load_hematology_criteria(criteria, NeutropeniaCriteria)


def _rows(data: pd.DataFrame | Readings, subjects: pd.Index | list[str] | None) -> Readings:
    if isinstance(data, Readings):
        return data
    return Readings.from_frame(
        data, None if subjects is None else pd.Index(subjects, dtype="string")
    )


def summarize_neutropenia(
    anc: pd.DataFrame | Readings,
    criteria: str = "asco-idsa-neutropenia",
    *,
    subjects: pd.Index | list[str] | None = None,
    day_options: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Days of severe and profound neutropenia and the ANC nadir per subject.

    Parameters
    ----------
    anc
        Columns ``subject_id``, ``day`` and ``value`` (ANC in 10^9/L).
    criteria
        ``"asco-idsa-neutropenia"``.
    subjects
        Every subject to report (default: those in ``anc``).
    day_options
        ``daily_value`` and ``carry_forward_days`` as for ICAHT (the icaht-2023 defaults).

    Returns
    -------
    pandas.DataFrame
        ``subject_id``, ``severe_neutropenia_days`` and ``profound_neutropenia_days`` (Int64:
        days of the window with ANC < 500/uL and < 100/uL), ``anc_nadir`` (10^9/L) and
        ``anc_nadir_day``; NA when no ANC was measured in the window (default days 0-60).

    Examples
    --------
    >>> import pandas as pd
    >>> anc = pd.DataFrame({"subject_id": "01", "day": [0, 3, 5, 9, 14],
    ...                     "value": [2.1, 0.4, 0.08, 0.3, 1.9]})
    >>> days = summarize_neutropenia(anc)
    >>> days[["severe_neutropenia_days", "profound_neutropenia_days", "anc_nadir"]]
       severe_neutropenia_days  profound_neutropenia_days  anc_nadir
    0                       11                          4       0.08
    """
    c = load_neutropenia(criteria)
    rows = _rows(anc, subjects)
    defaults = load_hematology_criteria(_DAY_OPTIONS_FROM, IcahtCriteria).day_defaults()
    how = {**defaults, **(day_options or {})}
    first, last = c.window
    grid = daily_grid(
        rows,
        first_day=first,
        last_day=last,
        daily_value=str(how["daily_value"]),
        carry_forward_days=int(how["carry_forward_days"]),
    )
    values = grid.value
    graded = np.asarray(grid.measured.any(axis=1), dtype=bool)
    out = pd.DataFrame({"subject_id": _string_ids(rows.subjects)})
    none = np.full(values.shape, None)
    for depth in c.depths:
        days = cut_mask(depth.cut, "NEUT", c.unit, values, values, none).sum(axis=1)
        out[depth.column] = nullable_int(days, graded)
    filled = np.where(np.isnan(values), np.inf, values)
    nadir = filled.min(axis=1) if values.shape[1] else np.full(len(out), np.inf)
    at = first_true(filled == nadir[:, None]) if values.shape[1] else np.full(len(out), -1)
    out["anc_nadir"] = np.where(graded & np.isfinite(nadir), nadir, np.nan)
    out["anc_nadir_day"] = nullable_int(first + at, graded & (at >= 0))
    return out[["subject_id", *NEUTROPENIA_COLUMNS]]


def find_febrile_neutropenia(
    anc: pd.DataFrame | Readings,
    temperature: pd.DataFrame | Readings,
    criteria: str = "asco-idsa-neutropenia",
    *,
    ctcae: str = "ctcae-v5.0",
    subjects: pd.Index | list[str] | None = None,
    options: dict[str, Any] | None = None,
    daily_value: str = "lowest",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """CTCAE Febrile neutropenia (grade 3) from ANC and temperature.

    Parameters
    ----------
    anc
        Columns ``subject_id``, ``day``, ``value`` (10^9/L).
    temperature
        Columns ``subject_id``, ``day`` (fractions carry the time of day), ``value`` (degC);
        optional ``raw_value`` and ``unit`` (canonical spelling, ``degC`` or ``degF``) so a
        reading in degF is compared with CTCAE's own degF number.
    ctcae
        The CTCAE version the events are reported under (the text is the same in v4.03 and v5.0).
    options
        ``anc_carry_days`` (days an ANC may precede the reading's day).
    daily_value
        ``lowest`` or ``last``: which ANC of the day stands for the day.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        Per subject: ``subject_id``, ``febrile_neutropenia_grade`` (3, 0, or NA when ANC or
        temperature is absent or a fever has no ANC), ``febrile_neutropenia_onset_day``,
        ``febrile_neutropenia_reason``. Every temperature reading with a day, sorted by
        subject and day (:data:`FEBRILE_READING_COLUMNS`): ``grade`` is the febrile
        neutropenia grade where the reading qualifies and 0 where not, ``rule`` names the
        rule where it qualifies.

    Notes
    -----
    ANC < 1000/mm3 with a single temperature > 38.3 degC (101 degF) or >= 38.0 degC (100.4 degF)
    sustained for more than one hour (CTCAE v5.0 Febrile neutropenia, grade 3).

    Examples
    --------
    A fever of 38.6 degC on day 3.5 while the ANC is 0.4 x 10^9/L:

    >>> import pandas as pd
    >>> anc = pd.DataFrame({"subject_id": "01", "day": [0, 3, 9], "value": [2.1, 0.4, 1.9]})
    >>> temp = pd.DataFrame({"subject_id": "01", "day": [3.5, 12.0], "value": [38.6, 37.0]})
    >>> per_subject, readings = find_febrile_neutropenia(anc, temp)
    >>> per_subject[["febrile_neutropenia_grade", "febrile_neutropenia_onset_day"]]
       febrile_neutropenia_grade  febrile_neutropenia_onset_day
    0                          3                            3.5
    >>> readings["grade"].tolist()
    [3, 0]
    """
    c = load_neutropenia(criteria)
    fn = c.febrile_neutropenia
    opts = c.resolve(options)
    if subjects is None and not isinstance(anc, Readings):
        ids = [f["subject_id"] for f in (anc, temperature) if isinstance(f, pd.DataFrame)]
        subjects = pd.Index(pd.concat(ids).astype("string").dropna().unique())
    a = _rows(anc, subjects)
    t = _rows(temperature, a.subjects)
    usable = np.flatnonzero(~np.isnan(t.day))
    order = (
        usable
        if is_sorted(t.subject[usable], t.day[usable], t.value[usable])
        else usable[np.lexsort((t.value[usable], t.day[usable], t.subject[usable]))]
    )
    subj, day = t.subject[order], t.day[order]
    value, raw, unit = t.value[order], t.raw[order], t.unit[order]
    single = cut_mask(fn.single_temperature, "TEMP", "degC", value, raw, unit)
    ge = cut_mask(fn.sustained_temperature, "TEMP", "degC", value, raw, unit)
    sustained = ge & (_run_elapsed(ge, subj, day) > fn.sustained_more_than_hours / 24.0 + SECOND)
    anc_day = _anc_of_day(a, subj, day, _whole(opts["anc_carry_days"]), daily_value)
    low = cut_mask(fn.anc, "NEUT", "10^9/L", anc_day, anc_day, np.full(len(anc_day), None))
    fever = single | sustained
    qualifies = fever & low
    rid = f"{resolve_criteria_id(ctcae)}/febrile-neutropenia/{fn.grade}"
    summary = _fn_summary(
        a.subjects,
        c,
        subj,
        day,
        qualifies,
        fever & np.isnan(anc_day),
        np.bincount(a.subject, minlength=len(a.subjects)) > 0,
        rid,
        opts,
    )
    rule = np.full(len(day), None, dtype=object)
    rule[qualifies] = rid
    readings = pd.DataFrame(
        {
            "subject_id": _string_ids(a.subjects[subj]),
            "day": day,
            "term": fn.term,
            "criteria": resolve_criteria_id(ctcae),
            "grade": np.where(qualifies, fn.grade, 0),
            "rule": rule,
        },
        columns=FEBRILE_READING_COLUMNS,
    )
    return summary, readings


def _string_ids(labels: pd.Index) -> pd.arrays.StringArray:
    """Subject labels as a nullable string array."""
    ids: pd.arrays.StringArray = pd.Series(labels, dtype="string").array
    return ids


def _whole(value: OptionValue) -> int:
    """An option read as a whole number."""
    if not isinstance(value, (int, float, str)):
        raise TypeError(f"expected a number, got {value!r}")
    return int(value)


def _run_elapsed(flag: np.ndarray, subj: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days since the start of each reading's run of consecutive flagged readings (sorted)."""
    if flag.size == 0:
        return np.zeros(0)
    new_subject = np.r_[True, subj[1:] != subj[:-1]]
    starts = flag & (new_subject | ~np.r_[False, flag[:-1]])
    run = np.cumsum(starts)
    start_day = day[np.flatnonzero(starts)] if starts.any() else np.zeros(1)
    return np.where(flag, day - start_day[np.maximum(run, 1) - 1], np.nan)


def _anc_of_day(a: Readings, subj: np.ndarray, day: np.ndarray, carry: int, how: str) -> np.ndarray:
    """The ANC of each reading's study day, else of the last ANC day at most ``carry`` before."""
    out = np.full(len(day), np.nan)
    ok = ~np.isnan(a.day)
    if not ok.any() or len(day) == 0:
        return out
    d_anc = np.floor(a.day[ok]).astype(np.int64)
    d_t = np.floor(day).astype(np.int64)
    lo = min(d_anc.min(), d_t.min())
    width = int(max(d_anc.max(), d_t.max()) - lo + 1)
    key = a.subject[ok] * width + (d_anc - lo)
    val = a.value[ok]
    if how == "lowest":
        keys, inverse = np.unique(key, return_inverse=True)
        vals = np.full(keys.size, np.inf)
        np.minimum.at(vals, inverse.reshape(-1), val)
    else:
        order = np.lexsort((-val, a.day[ok], key))
        take = np.r_[key[order][1:] != key[order][:-1], True]
        keys, vals = key[order][take], val[order][take]
    tkey = subj * width + (d_t - lo)
    pos = np.searchsorted(keys, tkey, side="right") - 1
    hit = pos >= 0
    pos = np.maximum(pos, 0)
    same = hit & (keys[pos] // width == subj) & (tkey - keys[pos] <= carry)
    out[same] = vals[pos[same]]
    return out


def _fn_summary(
    subjects: pd.Index,
    c: NeutropeniaCriteria,
    subj: np.ndarray,
    day: np.ndarray,
    qualifies: np.ndarray,
    fever_no_anc: np.ndarray,
    has_anc: np.ndarray,
    rid: str,
    opts: dict[str, Any],
) -> pd.DataFrame:
    n = len(subjects)
    has_temp = np.bincount(subj, minlength=n) > 0
    n_q = np.bincount(subj, weights=qualifies, minlength=n)
    unpaired = np.bincount(subj, weights=fever_no_anc, minlength=n) > 0
    onset = np.full(n, np.nan)
    q = np.flatnonzero(qualifies)
    onset[subj[q][::-1]] = day[q][::-1]  # sorted by day: the first reading wins
    yes = n_q > 0
    known = yes | (has_temp & has_anc & ~unpaired)
    fn = c.febrile_neutropenia
    reason = np.select(
        [yes, ~has_anc, ~has_temp, unpaired],
        [
            f"grade {fn.grade}: {fn.text} [{rid}]",
            "not assessed: no ANC",
            "not assessed: no temperature with a day",
            f"not assessed: a fever without an ANC on its day or up to {opts['anc_carry_days']} "
            "day(s) before",
        ],
        default=f"grade 0: no temperature meeting {fn.single_temperature.text} or "
        f"{fn.sustained_temperature.text} for more than "
        f"{fn.sustained_more_than_hours:g} hour with {fn.anc.text}",
    )
    reason = np.where(
        yes,
        pd.Series(reason, dtype="string") + "; first on day " + pd.Series(onset, dtype="string"),
        reason,
    )
    return pd.DataFrame(
        {
            "subject_id": _string_ids(subjects),
            "febrile_neutropenia_grade": nullable_int(np.where(yes, fn.grade, 0), known),
            "febrile_neutropenia_onset_day": onset,
            "febrile_neutropenia_reason": pd.array(reason, dtype="string"),
        }
    )
