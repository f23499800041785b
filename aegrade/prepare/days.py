"""Study days: the ``day`` column as given, else ``time`` minus the subject's treatment start.

One study-day rule serves the whole pipeline (SPEC section 4, issue 10 point 9): with dates read
by :func:`aegrade.dates.read_dates` (offsets converted to UTC, a time without an offset
read as UTC), a study day is

* the number of calendar days between the two dates as written when either side has no time
  of day (``2024-03-05`` against a start of ``2024-03-01T14:00`` is day 4);
* the fractional difference in days when both have a time of day (``2024-03-02T08:00``
  against ``2024-03-01T14:00`` is day 0.75).

``calendar=True`` gives the calendar day in both cases (day 0 is the date of the start): ICAHT
and the CRS-onset windows count calendar days.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from aegrade.dates import DATE_COLUMNS, DateColumn, between, read_dates
from aegrade.errors import Reason
from aegrade.prepare.subjects import table_failures
from aegrade.study import Study

__all__ = ["date_orders", "end_days", "study_days", "subject_days"]


def _order(study: Study, dayfirst: bool | None) -> bool | None:
    """The day/month order asked for: the call's, else the study's (``--dayfirst``)."""
    return study.dayfirst if dayfirst is None else dayfirst


def _starts(study: Study, ids: pd.Series) -> DateColumn:
    """The treatment start of each id's subject (NaT when unknown)."""
    if study.subjects is None or "treatment_start" not in study.subjects.frame:
        return read_dates(pd.Series([None] * len(ids), dtype=object))
    s = study.subjects.frame
    keys = s["subject_id"].astype("string").str.strip()
    first = ~keys.duplicated().to_numpy(bool)
    raw = pd.Series(s["treatment_start"].to_numpy(object)[first], index=keys[first])
    picked = raw.reindex(ids.astype("string").str.strip())
    return read_dates(pd.Series(picked.to_numpy(object), dtype=object), study.dayfirst)


def study_days(
    study: Study, *, calendar: bool = False, dayfirst: bool | None = None
) -> tuple[np.ndarray | None, pd.DataFrame]:
    """Study day of each observation: ``day`` as given, else ``time`` minus treatment_start.

    Returns the day array (None when neither column exists) and the problems found. ``calendar``
    gives whole calendar days for ``time`` rows (a ``day`` given is floored); ``dayfirst``
    forces the day/month order of slashed dates.

    >>> from aegrade.study import Table
    >>> obs = pd.DataFrame({"subject_id": ["S1", "S1"],
    ...                     "time": ["2024-03-02T12:00", "2024-03-04"]})
    >>> subjects = pd.DataFrame({"subject_id": ["S1"], "treatment_start": ["2024-03-01T18:00"]})
    >>> day, problems = study_days(Study(Table(obs), subjects=Table(subjects)))
    >>> day.tolist(), len(problems)
    ([0.75, 3.0], 0)
    >>> study_days(Study(Table(obs), subjects=Table(subjects)), calendar=True)[0].tolist()
    [1.0, 3.0]
    """
    obs = study.observations
    df = obs.frame
    found = table_failures(obs)
    day = pd.to_numeric(df["day"], errors="coerce").to_numpy(float) if "day" in df else None
    if day is not None and np.isinf(day).any():
        found.add_rows(np.isinf(day), Reason.BAD_DAY, "day is not a finite number", column="day")
        day = np.where(np.isinf(day), np.nan, day)
    if "start" in df:  # an interval row's start (SPEC 'start', 'end'): where day/time are empty
        number = pd.to_numeric(df["start"], errors="coerce").to_numpy(float)
        dated = between(
            read_dates(df["start"], _order(study, dayfirst)),
            _starts(study, df["subject_id"]),
            calendar=calendar,
        )
        begun = np.where(np.isnan(number), dated, number)
        no_time = df["time"].isna().to_numpy(bool) if "time" in df else np.ones(len(df), bool)
        begun = np.where(no_time, begun, np.nan)
        day = begun if day is None else np.where(np.isnan(day), begun, day)
    if day is not None and calendar:
        day = np.floor(day)
    if "time" not in df:
        return day, found.frame()
    time = read_dates(df["time"], _order(study, dayfirst))
    start = _starts(study, df["subject_id"])
    need = np.isnan(day) if day is not None else np.ones(len(df), bool)
    computed = between(time, start, calendar=calendar)
    out = np.where(need, computed, day) if day is not None else computed
    no_start = need & time.utc.notna().to_numpy(bool) & start.utc.isna().to_numpy(bool)
    found.add_rows(
        no_start,
        Reason.BAD_DAY,
        "time is given but the subject has no treatment_start, so its study day is unknown",
        column="time",
    )
    return out, found.frame()


def subject_days(
    study: Study, name: str, subjects: pd.Series, *, dayfirst: bool | None = None
) -> np.ndarray:
    """Per subject, the study day of a subjects-table fact: ``<name>_day`` as given, else
    ``<name>_time`` or ``<name>_start`` (a study day, or a date minus ``treatment_start`` by
    the one rule); NaN when unknown.

    Parameters
    ----------
    study
        The study (its subjects table).
    name
        ``death``, ``last_contact``, ``progression``, ``next_therapy``, ``lymphodepletion``...
    subjects
        The subject ids to report, in order.
    dayfirst
        Force the day/month order of slashed dates.

    Returns
    -------
    numpy.ndarray
        Float days, NaN when the subjects table has neither column or the cell is empty.

    Examples
    --------
    >>> from aegrade.study import Table
    >>> s = pd.DataFrame({"subject_id": ["S1", "S2"], "treatment_start": ["2024-03-10", None],
    ...                   "death_time": ["2024-03-15T06:00", None], "death_day": [None, 9]})
    >>> study = Study(Table(pd.DataFrame({"subject_id": ["S1"]})), subjects=Table(s))
    >>> subject_days(study, "death", pd.Series(["S2", "S1", "S3"])).tolist()
    [9.0, 5.0, nan]
    """
    out = np.full(len(subjects), np.nan)
    if study.subjects is None:
        return out
    s = study.subjects.frame
    keys = s["subject_id"].astype("string").str.strip()
    first = ~keys.duplicated().to_numpy(bool)
    ids = subjects.astype("string").str.strip()
    no_start = pd.Series([None] * len(s), dtype=object)
    start = read_dates(s.get("treatment_start", no_start), study.dayfirst)
    for column in (f"{name}_start", f"{name}_time", f"{name}_day"):  # the last given wins
        if column not in s:
            continue
        number = pd.to_numeric(s[column], errors="coerce").to_numpy(float)
        dated = between(read_dates(s[column], _order(study, dayfirst)), start)
        days = np.where(np.isnan(number), dated, number)
        picked = pd.Series(days[first], index=keys[first]).reindex(ids).to_numpy(float)
        out = np.where(np.isnan(picked), out, picked)
    return out


def end_days(study: Study, *, dayfirst: bool | None = None) -> np.ndarray | None:
    """Study day each observation row ends (an interval row: an infusion, oxygen, a drug):
    ``end_day`` as given, else ``end`` (a study day, or a date-time minus the subject's
    treatment start by the one rule); None when neither column exists, NaN for point rows.

    >>> from aegrade.study import Table
    >>> obs = pd.DataFrame({"subject_id": ["S1", "S1"], "end": ["2024-03-02T18:00", 4]})
    >>> subjects = pd.DataFrame({"subject_id": ["S1"], "treatment_start": ["2024-03-01T18:00"]})
    >>> end_days(Study(Table(obs), subjects=Table(subjects))).tolist()
    [1.0, 4.0]
    """
    df = study.observations.frame
    if "end_day" in df:
        out: np.ndarray = pd.to_numeric(df["end_day"], errors="coerce").to_numpy(float)
        return out
    if "end" not in df:
        return None
    number = pd.to_numeric(df["end"], errors="coerce").to_numpy(float)
    dated = between(
        read_dates(df["end"], _order(study, dayfirst)), _starts(study, df["subject_id"])
    )
    ended: np.ndarray = np.where(np.isnan(number), dated, number)
    return ended


def date_orders(study: Study, *, dayfirst: bool | None = None) -> dict[str, str]:
    """The date convention used for each date column of the study, for the run metadata:
    ``day/month/year`` or ``month/day/year`` for columns with slashed dates (decided from
    their unambiguous cells, or forced by ``dayfirst``), ``ISO 8601`` otherwise.

    >>> from aegrade.study import Table
    >>> obs = pd.DataFrame({"subject_id": ["S1"], "time": ["13/03/2024 08:00"]})
    >>> date_orders(Study(Table(obs)))
    {'date order observations.time': 'day/month/year (decided from the data)'}
    """
    out = {}
    for role, columns in DATE_COLUMNS.items():
        table = {"observations": study.observations, "subjects": study.subjects}.get(role)
        if table is None:  # event dates are days by the time the run metadata is written
            continue
        for column in columns:
            if column not in table.frame:
                continue
            text = table.frame[column].astype("string")
            if not text.str.contains(r"^\s*\d{1,2}[/.]\d{1,2}[/.]\d{4}", na=False).any():
                out[f"date order {role}.{column}"] = "ISO 8601"
                continue
            col = read_dates(table.frame[column], _order(study, dayfirst))
            how = "forced" if _order(study, dayfirst) is not None else "decided from the data"
            how = "guessed: no unambiguous cell" if col.guessed >= 0 else how
            order = "day/month/year" if col.dayfirst else "month/day/year"
            out[f"date order {role}.{column}"] = f"{order} ({how})"
    return out
