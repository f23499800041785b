"""Findings for CRS and ICANS read from a study, and the time-point and run helpers.

:func:`extract_findings` keeps the observation rows CRS/ICANS use, in canonical form (codes
resolved, words folded, TEMP in degC), and collects every problem of those rows at once (the
failure table of :mod:`aegrade.errors`). Distinct values are parsed once and broadcast back, so
the cost does not grow with a Python loop over rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from aegrade.criteria import load_crs_icans_criteria
from aegrade.criteria.units import registry
from aegrade.criteria.vocabulary import (
    allowed_words,
    false_words,
    normalize_word,
    read_values,
    true_words,
)
from aegrade.dates import between, read_dates
from aegrade.errors import Failures, InputError, Reason
from aegrade.prepare.days import end_days
from aegrade.prepare.observations import Context, prepare_observations
from aegrade.prepare.study import PreparedStudy, prepare_study
from aegrade.prepare.subjects import table_failures
from aegrade.study import Study, Table

__all__ = [
    "CRS_CODES",
    "ICANS_CODES",
    "ICE_ITEMS",
    "INTERVAL_CODES",
    "TREATMENT_CODES",
    "Findings",
    "TimePoints",
    "extract_findings",
    "fmt_numbers",
    "isin",
    "time_points",
]

CRS_CODES = (
    "TEMP",
    "SYSBP",
    "HYPOTENSION",
    "VASOPRESSOR",
    "OXYGEN",
    "FIO2",
    "TOCILIZUMAB",
    "CORTICOSTEROID",
    "ANTIPYRETIC",
)
TREATMENT_CODES = ("TOCILIZUMAB", "CORTICOSTEROID", "ANTIPYRETIC")
#: Rows that may carry ``end``/``end_day``: the agent or support is active over the interval.
INTERVAL_CODES = ("VASOPRESSOR", "OXYGEN", *TREATMENT_CODES)
ICE_ITEMS = ("ICE_ORIENTATION", "ICE_NAMING", "ICE_COMMANDS", "ICE_WRITING", "ICE_ATTENTION")
ICANS_CODES = ("ICE", *ICE_ITEMS, "CAPD", "LOC", "SEIZURE", "MOTOR", "ICP")
_VITALS = ("TEMP", "SYSBP", "FIO2")
_DOSE_UNITS = {
    "ug/min": "ug/min",
    "mcg/min": "ug/min",
    "µg/min": "ug/min",
    "ug/kg/min": "ug/kg/min",
    "mcg/kg/min": "ug/kg/min",
    "µg/kg/min": "ug/kg/min",
}


def isin(values: np.ndarray, options: object) -> np.ndarray:
    """Hash-based membership of an object array (numpy's isin sorts objects, which is slow).

    Examples
    --------
    >>> import numpy as np
    >>> isin(np.array(["TEMP", "ICE", None], object), {"TEMP"}).tolist()
    [True, False, False]
    """
    return pd.Series(values, dtype=object, copy=False).isin(list(options)).to_numpy(bool)  # type: ignore[call-overload]


@dataclass(frozen=True)
class Findings:
    """Usable CRS/ICANS rows (row-aligned arrays) and per-subject facts."""

    subjects: np.ndarray  # subject labels (str), indexed by ``subject``
    subject: np.ndarray  # int per row
    day: np.ndarray
    code: np.ndarray  # canonical parameter code (object)
    word: np.ndarray  # folded word after aliases, or None
    number: np.ndarray  # numeric value (TEMP in degC), NaN for words
    flow: np.ndarray  # L/min
    dose: np.ndarray
    dose_unit: np.ndarray  # "ug/min", "ug/kg/min" or None
    other: np.ndarray  # other_cause flag
    pos: np.ndarray  # position of the row in the observations table
    age: np.ndarray  # per subject (years, NaN unknown)
    death_cause: np.ndarray  # per subject, folded word or None
    death_day: np.ndarray  # per subject
    issues: pd.DataFrame  # problems of the rows CRS/ICANS use
    frame: pd.DataFrame  # the observations (with ``day``) for lab-derived inputs
    prepared: PreparedStudy | None = None  # the one preparation (codes, days, lab grades)
    end: np.ndarray | None = None  # per row: study day an interval row ends (NaN: a point)

    def ends(self) -> np.ndarray:
        """Per row, the day it ends: its own day for a point row."""
        if self.end is None:
            return self.day
        out: np.ndarray = np.where(np.isnan(self.end), self.day, self.end)
        return out

    def rows(self, mask: np.ndarray) -> Findings:
        """The same findings restricted to the rows in ``mask``."""
        per_row = (
            "subject",
            "day",
            "code",
            "word",
            "number",
            "flow",
            "dose",
            "dose_unit",
            "other",
            "pos",
        )
        kw = {k: getattr(self, k)[mask] for k in per_row}
        return Findings(
            subjects=self.subjects,
            age=self.age,
            death_cause=self.death_cause,
            death_day=self.death_day,
            issues=self.issues,
            frame=self.frame,
            prepared=self.prepared,
            end=None if self.end is None else self.end[mask],
            **kw,
        )


def _truthy(values: pd.Series | None, n: int) -> tuple[np.ndarray, np.ndarray]:
    """True/False per row from a flag column, and a mask of unreadable cells."""
    if values is None:
        return np.zeros(n, bool), np.zeros(n, bool)
    codes, uniq = pd.factorize(values.to_numpy(object))
    words = [normalize_word(str(x)) for x in uniq]
    true, false = true_words(), false_words()
    yes = np.array([w in true for w in words] + [False], bool)
    bad = np.array(
        [w not in true and w not in false and w not in ("nan", "<na>", "none", "") for w in words]
        + [False],
        bool,
    )
    return yes[codes], bad[codes]


@dataclass
class _Checked:
    """The rows found wrong so far (positions ``pos`` of the observations), into one
    collector."""

    failures: Failures
    pos: np.ndarray
    bad: np.ndarray

    def add(
        self,
        mask: np.ndarray,
        column: str,
        check: Reason,
        message: str | np.ndarray,
        values: np.ndarray | None = None,
    ) -> None:
        self.bad |= mask
        self.failures.add_rows(
            mask, check, message, column=column, values=values, positions=self.pos
        )


def extract_findings(
    study: Study, *, errors: str = "raise", prepared: PreparedStudy | None = None
) -> Findings:
    """The rows CRS and ICANS use, in canonical form, with the problems found.

    Parameters
    ----------
    study
        The study.
    errors
        ``"raise"`` or ``"coerce"`` (rows with a problem left out, listed in ``issues``).
    prepared
        The study prepared by :func:`~aegrade.prepare.study.prepare_study` (codes, study days,
        subjects, lab grades); prepared here when not given.

    Raises
    ------
    InputError
        A required column is missing (always), or with ``errors="raise"`` any row problem.

    Examples
    --------
    >>> import pandas as pd
    >>> from aegrade.read import load_study
    >>> obs = pd.DataFrame({"subject_id": "01", "day": [1, 1, 2],
    ...                     "parameter": ["TEMP", "SYSBP", "TEMP"], "value": [38.9, 85, 37.0],
    ...                     "unit": ["degC", "mmHg", "degC"]})
    >>> found = extract_findings(load_study(obs))
    >>> found.code.tolist(), found.number.tolist()
    (['TEMP', 'SYSBP', 'TEMP'], [38.9, 85.0, 37.0])
    """
    obs = study.observations
    df = obs.frame
    if any(c not in df for c in ("subject_id", "parameter", "value")):
        raise _missing(obs, study.source)
    ready = prepared if prepared is not None else prepare_study(study)
    day_all = ready.frame["day"].to_numpy(float) if "day" in ready.frame else None
    day_problems = ready.day_issues
    code_all = ready.code
    pos = ready.code_rows([*CRS_CODES, *ICANS_CODES])
    number, word = read_values(df["value"].iloc[pos])
    code = code_all[pos]
    day = day_all[pos] if day_all is not None else np.full(len(pos), np.nan)
    found = table_failures(obs)
    probs = _Checked(found, pos, np.zeros(len(pos), bool))
    probs.add(
        np.isnan(day),
        "day" if "day" in df else "time",
        Reason.BAD_DAY,
        "CRS/ICANS need the day (or time) of each finding",
    )
    number = _check_vitals(obs, pos, code, number, probs)
    _check_words(code, number, word, probs)
    flow, dose, dose_unit = _flow_and_dose(df, pos, code, probs)
    end_all = end_days(study)
    end = None
    if end_all is not None:
        end = np.where(isin(code, INTERVAL_CODES), end_all[pos], np.nan)
        probs.add(
            end < day,
            "end_day" if "end_day" in df else "end",
            Reason.BAD_DAY,
            "the interval ends before it starts",
        )
    other, bad_other = _truthy(
        df["other_cause"].iloc[pos] if "other_cause" in df else None, len(pos)
    )
    probs.add(bad_other, "other_cause", Reason.NOT_A_NUMBER, "other_cause must be true or false")
    collected = Failures(obs.file, obs.sheet)
    if len(day_problems):
        collected.extend(
            day_problems[isin(day_problems["row"].to_numpy(object), obs.labels()[pos])]
        )
    collected.extend(found)
    collected.raise_if(errors, study.source)
    subjects, subject_codes = _subjects(ready, df["subject_id"].iloc[pos])
    age, death_cause, death_day = _subject_facts(ready.subjects, subjects, ready.study.dayfirst)
    ok = ~probs.bad & (subject_codes >= 0)
    frame = df.assign(day=day_all) if day_all is not None else df
    out = Findings(
        subjects=subjects,
        subject=subject_codes,
        day=day,
        code=code,
        word=word,
        number=number,
        flow=flow,
        dose=dose,
        dose_unit=dose_unit,
        other=other,
        pos=pos,
        age=age,
        death_cause=death_cause,
        death_day=death_day,
        issues=collected.frame(),
        frame=frame,
        prepared=ready,
        end=end,
    )
    return out.rows(ok)


def _missing(obs: Table, source: str | None) -> InputError:
    found = Failures(obs.file, obs.sheet)
    for c in ("subject_id", "parameter", "value"):
        if c not in obs.frame:
            found.add(
                Reason.MISSING_COLUMN, f"observations: required column {c!r} is missing", column=c
            )
    return found.error(source)


def _check_vitals(
    obs: Table, pos: np.ndarray, code: np.ndarray, number: np.ndarray, probs: _Checked
) -> np.ndarray:
    """The numbers of the vital-sign rows (TEMP, SYSBP, FIO2) in canonical units, read and
    checked by the one preparation of values (:func:`prepare_observations`) on those rows;
    a row it refuses is marked bad and its problems go into the collector."""
    vit = isin(code, _VITALS)
    out = number.copy()
    if not vit.any():
        return out
    idx = np.flatnonzero(vit)
    rows = pos[idx]
    prep = prepare_observations(
        obs.frame.iloc[rows].drop(columns=["time"], errors="ignore"),
        context=Context(file=obs.file, sheet=obs.sheet, rows=obs.labels()[rows]),
        errors="coerce",
    )
    out[idx] = prep.value
    refused = np.zeros(len(code), bool)
    refused[idx] = prep.has_error
    probs.bad |= refused
    probs.failures.extend(prep.failures)
    return out


def _objects(series: pd.Series) -> np.ndarray:
    """The values as an object array, None where missing."""
    out = series.to_numpy(dtype=object)
    out[pd.isna(out)] = None
    return out


def _check_words(code: np.ndarray, number: np.ndarray, word: np.ndarray, probs: _Checked) -> None:
    astct = load_crs_icans_criteria("astct-2019")
    assert astct.icans is not None
    allowed = allowed_words()
    false, true = false_words(), true_words()
    kinds, names = pd.factorize(code)
    kind_of = {c: i for i, c in enumerate(names)}
    for c, words in allowed.items():
        rows = np.flatnonzero(kinds == kind_of.get(c, -2))
        bad = np.zeros(len(code), bool)
        bad[rows] = ~isin(word[rows], words)
        if c == "HYPOTENSION":
            bad[rows] &= ~np.isin(number[rows], (0.0, 1.0))
        shown = sorted(words - false - true) or ["true", "false"]
        probs.add(bad, "value", Reason.NOT_A_NUMBER, f"{c} must be one of: {', '.join(shown)}")
    limits = {c: registry().parameters[c].limits or (0, 0) for c in ("ICE", "CAPD")}
    ranges = {**limits, **{k: (0, v) for k, v in astct.icans.ice.items.items()}}
    for c, (lo, hi) in ranges.items():
        rows = np.flatnonzero(kinds == kind_of.get(c, -2))
        ok = (number[rows] >= lo) & (number[rows] <= hi)
        if c in ("ICE", "CAPD"):
            ok |= word[rows] == "unable"
        bad = np.zeros(len(code), bool)
        bad[rows] = ~ok
        probs.add(
            bad,
            "value",
            Reason.IMPLAUSIBLE,
            f"{c} must be a score from {lo} to {hi}"
            + (" or 'unable'" if c in ("ICE", "CAPD") else ""),
        )


def _flow_and_dose(
    df: pd.DataFrame, pos: np.ndarray, code: np.ndarray, probs: _Checked
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(pos)
    flow = np.full(n, np.nan)
    if "flow" in df:
        ox = np.flatnonzero(code == "OXYGEN")
        raw = df["flow"].iloc[pos[ox]]
        flow[ox] = pd.to_numeric(raw, errors="coerce").to_numpy(float)
        text = raw.astype(object).astype(str).str.strip()
        bad = np.zeros(n, bool)
        bad[ox] = (
            np.isnan(flow[ox])
            & raw.notna().to_numpy(bool)
            & ~text.isin(["", "nan", "None", "<NA>"]).to_numpy(bool)
        ) | (flow[ox] < 0)
        probs.add(bad, "flow", Reason.NOT_A_NUMBER, "flow must be a non-negative number of L/min")
    dose_col = "dose" if "dose" in df else ("value2" if "value2" in df else None)
    unit_col = "dose_unit" if "dose_unit" in df else ("unit2" if "unit2" in df else None)
    dose = (
        pd.to_numeric(df[dose_col].iloc[pos], errors="coerce").to_numpy(float)
        if dose_col
        else np.full(n, np.nan)
    )
    if unit_col:
        u = df[unit_col].iloc[pos].astype("string").str.replace(" ", "").str.lower()
        dose_unit = _objects(u.map(_DOSE_UNITS))
    else:
        dose_unit = np.full(n, None, object)
    return flow, dose, dose_unit


def _subjects(ready: PreparedStudy, ids: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Subject labels (those of the subjects table first, then any others seen) and the
    label index of each row."""
    codes, uniq = pd.factorize(ids)
    seen = pd.Index([str(u) for u in uniq], dtype=object)
    known = (
        pd.Index([str(u) for u in ready.subjects["subject_id"]], dtype=object)
        if ready.study.subjects is not None
        else pd.Index([], dtype=object)
    )
    labels = known.append(seen.difference(known, sort=False))
    at = np.r_[labels.get_indexer(seen), -1]
    return labels.to_numpy(object), at[codes]


def _subject_facts(
    frame: pd.DataFrame, subjects: np.ndarray, order: bool | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per subject label: age, death cause (folded) and death day, from the subjects frame."""
    n = len(subjects)
    age, cause, dday = np.full(n, np.nan), np.full(n, None, object), np.full(n, np.nan)
    s = frame
    at = pd.Index(subjects).get_indexer(s["subject_id"].astype("string"))
    ok = at >= 0
    if "age" in s:
        age[at[ok]] = pd.to_numeric(s["age"], errors="coerce").to_numpy(float)[ok]
    if "death_cause" in s:
        c = s["death_cause"].astype("string").str.strip().str.lower()
        cause[at[ok]] = _objects(c)[ok]
    if "death_day" in s:
        dday[at[ok]] = pd.to_numeric(s["death_day"], errors="coerce").to_numpy(float)[ok]
    elif "death_time" in s and "treatment_start" in s:  # the one date rule (offsets: UTC)
        d = between(read_dates(s["death_time"], order), read_dates(s["treatment_start"], order))
        dday[at[ok]] = d[ok]
    return age, cause, dday


# --------------------------------------------------------------------------- time points


@dataclass(frozen=True)
class TimePoints:
    """Rows grouped by (subject, day): ``order`` sorts rows, ``tp`` is each sorted row's point."""

    order: np.ndarray
    tp: np.ndarray  # time point of each sorted row
    starts: np.ndarray  # first sorted row of each time point
    subject: np.ndarray  # per time point
    day: np.ndarray  # per time point

    @property
    def n(self) -> int:
        return len(self.starts)

    def reduce_max(self, values: np.ndarray, fill: float = 0) -> np.ndarray:
        """Per time point, the max of ``values`` (row-aligned in input order)."""
        if self.n == 0:
            return np.zeros(0, dtype=np.asarray(values).dtype)
        return np.maximum.reduceat(np.asarray(values)[self.order], self.starts)

    def best_row(self, score: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Per time point, the input row with the highest ``score`` among ``mask`` (-1: none)."""
        out = np.full(self.n, -1, np.int64)
        rows = self.order[mask[self.order]]
        if rows.size == 0:
            return out
        tp = self.tp[mask[self.order]]
        pick = np.lexsort((-np.arange(rows.size), score[rows], tp))
        last = np.r_[tp[pick][1:] != tp[pick][:-1], True]
        out[tp[pick][last]] = rows[pick][last]
        return out


def time_points(subject: np.ndarray, day: np.ndarray) -> TimePoints:
    """Group rows by subject and day (exact day values).

    Examples
    --------
    >>> import numpy as np
    >>> tps = time_points(np.array(["01", "01", "02"], object), np.array([2.0, 1.0, 1.0]))
    >>> tps.order.tolist(), tps.tp.tolist(), tps.day.tolist()
    ([1, 0, 2], [0, 1, 2], [1.0, 2.0, 1.0])
    """
    order = np.lexsort((day, subject))
    s, d = subject[order], day[order]
    new = np.r_[True, (s[1:] != s[:-1]) | (d[1:] != d[:-1])] if len(order) else np.zeros(0, bool)
    starts = np.flatnonzero(new)
    tp = np.cumsum(new) - 1
    return TimePoints(order, tp, starts, s[starts], d[starts])


def fmt_numbers(x: np.ndarray) -> np.ndarray:
    """Numbers as short text ('8', '38.5'); NaN as ''. Distinct values formatted once.

    Examples
    --------
    >>> import numpy as np
    >>> fmt_numbers(np.array([8.0, 38.5, np.nan])).tolist()
    ['8', '38.5', '']
    """
    x = np.round(np.asarray(x, float), 3) + 0.0  # + 0.0 folds -0.0 into 0.0
    if x.size == 0:
        return np.zeros(0, object)
    uniq, inv = np.unique(x, return_inverse=True)
    text = np.array(["" if np.isnan(u) else f"{u:g}" for u in uniq], object)
    return text[inv.reshape(x.shape)]
