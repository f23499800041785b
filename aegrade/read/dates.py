"""Dates as ISO text, Excel serial numbers or datetimes; event dates turned into study days.

Excel stores a date as days since 1899-12-30 (the 1900 date system, with Lotus' phantom
29 February 1900 already folded into that origin). A number in a date column of a file is read
that way; numbers outside 1..132,320 (up to 2262-04-11, the last day a timestamp holds) are not
dates and are reported as unreadable, like the text ``2262-04-12``.

The one date rule (day/month order, offsets, clock times) is :mod:`aegrade.dates`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from aegrade.dates import DATE_COLUMNS, MAX_STUDY_DAYS, between, read_dates
from aegrade.errors import Failures, Reason
from aegrade.read.files import input_error
from aegrade.study import Table

__all__ = [
    "check_days",
    "check_times",
    "date_problems",
    "event_days",
    "from_excel_serials",
    "parse_datetimes",
    "refuse_guessed_order",
]

_EXCEL_ORIGIN = pd.Timestamp("1899-12-30")
_MAX_SERIAL = 132_320  # 2262-04-11, the last day a nanosecond timestamp holds


def from_excel_serials(series: pd.Series) -> pd.Series:
    """Numbers read as Excel serial dates; other cells are left as they are.

    A serial's time of day is rounded to the millisecond: ``45292.333333333`` (08:00 written
    with nine decimals) is 08:00:00, not 07:59:59.999971.

    Examples
    --------
    >>> import pandas as pd
    >>> from_excel_serials(pd.Series([45352, "2024-03-01"], dtype=object)).tolist()
    [Timestamp('2024-03-01 00:00:00'), '2024-03-01']
    >>> str(from_excel_serials(pd.Series([45292.333333333], dtype=object))[0])
    '2024-01-01 08:00:00'
    """
    nums = pd.to_numeric(series, errors="coerce")
    is_serial = (
        (nums >= 1)
        & (nums <= _MAX_SERIAL)
        & series.map(
            lambda v: (
                isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
            )
        )
    )
    if not is_serial.any():
        return series
    out = series.astype(object).copy()
    since = pd.to_timedelta(nums[is_serial], unit="D").dt.round("ms")
    out[is_serial] = (_EXCEL_ORIGIN + since).to_numpy(dtype=object)
    return out


def parse_datetimes(series: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Naive timestamps (UTC offsets converted) and a mask of filled cells that are not dates.

    Examples
    --------
    >>> import pandas as pd
    >>> parsed, bad = parse_datetimes(pd.Series(["2024-03-01T08:30+01:00", "soon", None]))
    >>> str(parsed[0]), bad.tolist()
    ('2024-03-01 07:30:00', [False, True, False])
    """
    col = read_dates(series)
    return col.utc, col.bad


def _problems(table: Table, mask: np.ndarray, column: str, message: str) -> pd.DataFrame:
    found = Failures(table.file, table.sheet, labels=table.labels(), table=table.frame)
    found.add_rows(mask, Reason.BAD_DAY, message, column=column)
    return found.frame()


def check_times(table: Table, dayfirst: bool | None = None) -> pd.DataFrame:
    """Problems of an observations ``time`` column: cells that are not date-times.

    Examples
    --------
    >>> import pandas as pd
    >>> from aegrade.study import Table
    >>> times = Table(pd.DataFrame({"time": ["2024-03-01T08:30", "soon", None]}))
    >>> check_times(times)[["row", "column"]].values.tolist()
    [[1, 'time']]
    """
    if "time" not in table.frame:
        return Failures().frame()
    return date_problems(table, "time", dayfirst)


def date_problems(table: Table, column: str, dayfirst: bool | None = None) -> pd.DataFrame:
    """Problems of a date column: unreadable or out-of-range cells, and the first cell whose
    day/month order contradicts the order of the cells before it.

    Examples
    --------
    >>> import pandas as pd
    >>> from aegrade.study import Table
    >>> t = Table(pd.DataFrame({"time": ["13/03/2024", "03/13/2024", "2262-04-12"]}))
    >>> date_problems(t, "time")[["row", "column", "message"]].values.tolist()[0][:2]
    [1, 'time']
    """
    col = read_dates(table.frame[column], dayfirst)
    found = _problems(
        table,
        col.bad,
        column,
        f"{column} is not a readable date-time between 1677-09-22 and 2262-04-11 "
        "(use ISO 8601, e.g. 2024-03-01T08:30)",
    )
    if col.conflict < 0:
        return found
    order = "day/month" if col.dayfirst else "month/day"
    mixed = np.zeros(len(table.frame), bool)
    mixed[col.conflict] = True
    return pd.concat(
        [
            found,
            _problems(
                table,
                mixed,
                column,
                f"{column} mixes date orders: earlier cells are {order}/year, this one is not "
                "(write ISO dates, or force the order with --dayfirst / --no-dayfirst)",
            ),
        ],
        ignore_index=True,
    )


def refuse_guessed_order(tables: dict[str, Table], dayfirst: bool | None = None) -> None:
    """An input error for the first date column whose slashed dates are all ambiguous (day and
    month both <= 12, as ``02/03/2024``) when the order is not forced: reading them month-first
    would be a guess. Columns without slashed dates, or with one unambiguous cell, pass.

    Raises
    ------
    InputError
        Naming the table, column, row and cell, and the ``--dayfirst`` / ``--no-dayfirst``
        options (``load_study(dayfirst=...)`` in Python).

    Examples
    --------
    >>> import pandas as pd
    >>> from aegrade.study import Table
    >>> obs = Table(pd.DataFrame({"time": ["02/03/2024", "10/03/2024"]}))
    >>> try:
    ...     refuse_guessed_order({"observations": obs})
    ... except ValueError as err:
    ...     print(err.failures[["row", "column", "value"]].values.tolist())
    [[0, 'time', '02/03/2024']]
    >>> refuse_guessed_order({"observations": obs}, dayfirst=True) is None
    True
    """
    if dayfirst is not None:
        return
    for role, columns in DATE_COLUMNS.items():
        table = tables.get(role)
        if table is None:
            continue
        for column in columns:
            if column not in table.frame:
                continue
            guessed = read_dates(table.frame[column]).guessed
            if guessed < 0:
                continue
            value = table.frame[column].iloc[guessed]
            raise input_error(
                table.file,
                f"{role} column {column!r}: every slashed date is ambiguous (day and month both "
                f"12 or less, first {value!s}), so its day/month order is unknown; give it with "
                "--dayfirst (day/month/year) or --no-dayfirst (month/day/year), in Python "
                "load_study(dayfirst=True/False), or write ISO dates (2024-03-02)",
                check=Reason.BAD_DAY,
                sheet=table.sheet,
                row=table.labels()[guessed],
                column=column,
                value=value,
            )


def check_days(table: Table) -> pd.DataFrame:
    """Problems of an observations ``day`` column: filled cells that are not numbers, and
    days farther than :data:`~aegrade.dates.MAX_STUDY_DAYS` (100 years) from treatment start.

    Examples
    --------
    >>> import pandas as pd
    >>> from aegrade.study import Table
    >>> days = Table(pd.DataFrame({"day": [0, "x", None, 1e12]}))
    >>> check_days(days)[["row", "column", "check"]].values.tolist()
    [[1, 'day', 'unreadable_day'], [3, 'day', 'implausible_value']]
    """
    if "day" not in table.frame:
        return Failures().frame()
    raw = table.frame["day"]
    nums = pd.to_numeric(raw, errors="coerce")
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        bad = np.zeros(len(raw), bool)
    else:
        text = raw.astype("string").str.strip()
        bad = (nums.isna() & text.notna() & (text != "")).to_numpy(bool)
    values = nums.to_numpy(float, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        far = np.isfinite(values) & (np.abs(values) > MAX_STUDY_DAYS)
    found = Failures(table.file, table.sheet, labels=table.labels(), table=table.frame)
    found.add_rows(
        bad,
        Reason.BAD_DAY,
        "day is not a number (a study day, 0 = treatment start; fractions allowed)",
        column="day",
    )
    found.add_rows(
        far,
        Reason.IMPLAUSIBLE,
        f"day is not a plausible study day (more than {MAX_STUDY_DAYS:g} days, 100 years, from "
        "treatment start)",
        column="day",
    )
    return found.frame()


def event_days(
    events: Table, subjects: Table | None, dayfirst: bool | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Events whose ``onset``/``end`` are dates get study days from the subject's
    ``treatment_start`` by the one date rule (:func:`aegrade.dates.between`: calendar days when
    either side has no time of day); returns the new frame and the problems (unreadable values,
    or dates without a start).

    Examples
    --------
    An onset given as a date becomes day 3 after a treatment start on 1 March:

    >>> import pandas as pd
    >>> from aegrade.study import Table
    >>> subjects = Table(pd.DataFrame({"subject_id": ["01"], "treatment_start": ["2024-03-01"]}))
    >>> events = Table(pd.DataFrame({"subject_id": "01", "term": "Nausea",
    ...                              "onset": ["2024-03-04", 2]}))
    >>> frame, problems = event_days(events, subjects)
    >>> frame["onset"].tolist(), len(problems)
    ([3.0, 2.0], 0)
    """
    frame = events.frame.copy()
    starts = _starts(subjects)
    found = Failures(events.file, events.sheet, labels=events.labels(), table=events.frame)
    for col in ("onset", "end"):
        if col not in frame:
            continue
        raw = frame[col]
        nums = pd.to_numeric(raw, errors="coerce")
        text = raw.astype("string").str.strip()
        filled = (text.notna() & (text != "")).to_numpy(bool)
        dated = filled & nums.isna().to_numpy(bool)
        if not dated.any():
            continue
        when = read_dates(raw.where(dated).astype(object), dayfirst)
        bad = when.bad & dated
        start = (
            frame["subject_id"].astype("string").str.strip().map(starts)
            if starts is not None
            else pd.Series(None, index=frame.index, dtype=object)
        )
        days = between(when, read_dates(start.astype(object), dayfirst))
        no_start = dated & ~bad & np.isnan(days)
        found.add_rows(
            bad, Reason.BAD_DAY, f"{col} is neither a study day nor a readable date", column=col
        )
        found.add_rows(
            no_start,
            Reason.BAD_DAY,
            f"{col} is a date but the subject has no treatment_start, so its day is unknown",
            column=col,
        )
        frame[col] = np.where(dated, days, nums.to_numpy(float))
    return frame, found.frame()


def _starts(subjects: Table | None) -> pd.Series | None:
    if subjects is None or "treatment_start" not in subjects.frame:
        return None
    s = subjects.frame
    out = pd.Series(
        s["treatment_start"].to_numpy(object), index=s["subject_id"].astype("string").str.strip()
    )
    return out[~out.index.duplicated()]
