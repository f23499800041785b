"""The one date rule of the pipeline: how a date cell is read and how two dates make a study day.

One date rule serves the whole pipeline (:func:`read_dates`):

* a column's day/month order is decided from its unambiguous cells (``13/03/2024`` is day-first,
  ``03/13/2024`` month-first); ``dayfirst`` forces it; with no unambiguous cell the order is
  month-first (pandas' reading) and ``guessed`` names the first slashed cell, which the readers
  of files turn into an input error asking for the order; a column holding both orders is an
  input error naming the first cell that contradicts the order of the cells before it;
* UTC offsets are honoured: every time is converted to UTC before differences are taken, so a DST
  change or mixed offsets are valid data; a time without an offset is read as UTC;
* a cell has a time of day when its text carries a clock time (``08:30``); a bare date, or a
  datetime cell at exactly midnight written without ``T`` (how spreadsheets store a date), has none.

Study days (:func:`between`): the number of calendar days between the two dates as written when
either side has no time of day; the fractional difference in days (on UTC times) only when both
have one (SPEC section 4; issue 10 point 9).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["DATE_COLUMNS", "MAX_STUDY_DAYS", "DateColumn", "between", "read_dates"]

#: The date columns of each table whose day/month order must be known.
DATE_COLUMNS = {
    "observations": ("time", "end"),
    "subjects": (
        "treatment_start",
        "death_time",
        "last_contact_time",
        "progression_time",
        "next_therapy_time",
        "lymphodepletion_start",
    ),
    "events": ("onset", "end"),
}

#: The farthest a study day may lie from treatment start, in days (100 years of 365.25 days):
#: beyond it a day is a data error (day 1e12, onset -1e12), not a clinical finding.
MAX_STUDY_DAYS = 36525.0

_FIRST, _END = pd.Timestamp("1677-09-22"), pd.Timestamp("2262-04-12")
_SLASHED = r"^\s*(\d{1,2})[/.](\d{1,2})[/.](\d{4})(.*)$"
_CLOCK = r"\d:\d\d"
_SPREADSHEET_MIDNIGHT = r"^\s*\d{4}-\d\d-\d\d 00:00:00\s*$"


@dataclass(frozen=True)
class DateColumn:
    """A date column read by the one date rule (:func:`read_dates`).

    ``utc``: naive UTC timestamps (NaT: empty or not a date); ``calendar``: the date as written
    (the wall-clock date, before any offset is applied); ``clock``: the cell has a time of day;
    ``bad``: filled but not a date; ``dayfirst``: the day/month order used; ``conflict``:
    position of the first cell contradicting that order (-1: none); ``guessed``: position of the
    first slashed cell when the order was neither forced nor decided by an unambiguous cell (every
    slashed cell has day and month <= 12, so month-first is a guess; -1: not guessed).
    """

    utc: pd.Series
    calendar: pd.Series
    clock: np.ndarray
    bad: np.ndarray
    dayfirst: bool
    conflict: int
    guessed: int = -1


def read_dates(series: pd.Series, dayfirst: bool | None = None) -> DateColumn:
    """Read a date column by the one date rule (see the module docstring).

    Parameters
    ----------
    series
        Cells: ISO text, ``dd/mm/yyyy`` or ``mm/dd/yyyy`` text, datetimes.
    dayfirst
        Force the day/month order; None decides it from the column's unambiguous cells.

    Returns
    -------
    DateColumn
        UTC times, calendar dates, which cells have a clock time, unreadable cells, the order
        used and the first conflicting cell.

    Examples
    --------
    >>> col = read_dates(pd.Series(["13/03/2024", "02/03/2024 08:30+01:00", None]))
    >>> col.dayfirst, col.conflict, [str(t) for t in col.utc]
    (True, -1, ['2024-03-13 00:00:00', '2024-03-02 07:30:00', 'NaT'])
    >>> col.clock.tolist(), col.bad.tolist()
    ([False, True, False], [False, False, False])
    >>> read_dates(pd.Series(["13/03/2024", "03/13/2024"])).conflict
    1
    >>> read_dates(pd.Series(["2024-03-01", "02/03/2024"])).guessed
    1
    """
    text = series.astype("string").str.strip()
    parts = text.str.extract(_SLASHED)
    a = pd.to_numeric(parts[0], errors="coerce").to_numpy(float)
    b = pd.to_numeric(parts[1], errors="coerce").to_numpy(float)
    says_day_first = (a > 12) & (b <= 12)
    says_month_first = (b > 12) & (a <= 12)
    slashed = ~np.isnan(a)
    guessed = -1
    if dayfirst is None:
        evidence = np.flatnonzero(says_day_first | says_month_first)
        dayfirst = bool(evidence.size and says_day_first[evidence[0]])
        ambiguous = (a <= 12) & (b <= 12)
        if not evidence.size and ambiguous.any():
            guessed = int(np.argmax(ambiguous))
    against = says_month_first if dayfirst else says_day_first
    conflict = int(np.argmax(against)) if against.any() else -1
    day, month = (parts[0], parts[1]) if dayfirst else (parts[1], parts[0])
    iso = parts[2] + "-" + month.str.zfill(2) + "-" + day.str.zfill(2) + parts[3].fillna("")
    text = text.where(~pd.Series(slashed, index=text.index), iso)
    utc = pd.to_datetime(text, errors="coerce", utc=True, format="mixed").dt.tz_convert(None)
    utc = utc.where((utc >= _FIRST) & (utc < _END))  # beyond: not a date (nanosecond range)
    filled = (text.notna() & (text != "")).to_numpy(bool)
    bad = filled & utc.isna().to_numpy(bool)
    written = pd.to_datetime(
        text.str.extract(r"^(\d{4}-\d\d-\d\d)")[0], errors="coerce", format="%Y-%m-%d"
    )
    calendar = written.where(written.notna(), utc.dt.normalize())
    calendar = calendar.where(~pd.Series(bad, index=text.index))
    clock = (
        text.str.contains(_CLOCK, regex=True, na=False)
        & ~text.str.match(_SPREADSHEET_MIDNIGHT, na=False)
    ).to_numpy(bool) & ~bad
    return DateColumn(utc, calendar, clock, bad, dayfirst, conflict, guessed)


def between(when: DateColumn, start: DateColumn, *, calendar: bool = False) -> np.ndarray:
    """Study days from ``start`` to ``when`` by the one rule (see the module docstring).

    Parameters
    ----------
    when, start
        Two date columns of the same length (:func:`read_dates`).
    calendar
        Whole calendar days even when both sides have a time of day.

    Returns
    -------
    numpy.ndarray
        Days (float, NaN where either side is missing).

    Examples
    --------
    >>> start = read_dates(pd.Series(["2024-03-01T14:00", "2024-03-01T14:00"]))
    >>> when = read_dates(pd.Series(["2024-03-02T08:00", "2024-03-05"]))
    >>> between(when, start).tolist(), between(when, start, calendar=True).tolist()
    ([0.75, 4.0], [1.0, 4.0])
    """
    exact = _days(when.utc.to_numpy("datetime64[ns]") - start.utc.to_numpy("datetime64[ns]"))
    dates = _days(
        when.calendar.to_numpy("datetime64[ns]") - start.calendar.to_numpy("datetime64[ns]")
    )
    if calendar:
        return dates
    out: np.ndarray = np.where(when.clock & start.clock, exact, dates)
    return out


def _days(delta: np.ndarray) -> np.ndarray:
    """Timedeltas as float days, NaN for NaT."""
    out: np.ndarray = np.where(
        np.isnat(delta), np.nan, delta.astype("int64") / 86_400_000_000_000.0
    )
    return out
