"""Study days: the ``day`` column as given, else ``time`` minus the subject's treatment start."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aegrade.errors import Reason
from aegrade.prepare.subjects import table_failures
from aegrade.study import Study

__all__ = ["study_days"]


def study_days(study: Study) -> tuple[np.ndarray | None, pd.DataFrame]:
    """Study day of each observation: ``day`` as given, else ``time`` minus treatment_start.

    Returns the day array (None when neither column exists) and the problems found.

    >>> from aegrade.study import Table
    >>> obs = pd.DataFrame({"subject_id": ["S1"], "time": ["2024-03-02T12:00"]})
    >>> subjects = pd.DataFrame({"subject_id": ["S1"], "treatment_start": ["2024-03-01"]})
    >>> day, problems = study_days(Study(Table(obs), subjects=Table(subjects)))
    >>> day.tolist(), len(problems)
    ([1.5], 0)
    """
    obs = study.observations
    df = obs.frame
    found = table_failures(obs)
    day = pd.to_numeric(df["day"], errors="coerce").to_numpy(float) if "day" in df else None
    if day is not None and np.isinf(day).any():
        found.add_rows(np.isinf(day), Reason.BAD_DAY, "day is not a finite number", column="day")
        day = np.where(np.isinf(day), np.nan, day)
    if "time" not in df:
        return day, found.frame()
    time = pd.to_datetime(df["time"], errors="coerce", format="mixed")
    if getattr(time.dt, "tz", None) is not None:
        time = time.dt.tz_convert(None)
    need = np.isnan(day) if day is not None else np.ones(len(df), bool)
    start = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    if study.subjects is not None and "treatment_start" in study.subjects.frame:
        s = study.subjects.frame
        starts = pd.to_datetime(s["treatment_start"], errors="coerce", format="mixed")
        if getattr(starts.dt, "tz", None) is not None:
            starts = starts.dt.tz_convert(None)
        lookup = pd.Series(starts.to_numpy(), index=s["subject_id"].astype("string"))
        lookup = lookup[~lookup.index.duplicated()]
        # reindex, not map: Series.map with an empty lookup (a subjects table with a header
        # and no rows) casts the dates to float and fails
        ids = df["subject_id"].astype("string")
        start = pd.Series(lookup.reindex(ids).to_numpy(), index=df.index)
    computed = ((time - pd.to_datetime(start)) / pd.Timedelta(days=1)).to_numpy(float)
    out = np.where(need, computed, day) if day is not None else computed
    no_start = need & time.notna().to_numpy(bool) & pd.isna(start).to_numpy(bool)
    found.add_rows(
        no_start,
        Reason.BAD_DAY,
        "time is given but the subject has no treatment_start, so its study day is unknown",
        column="time",
    )
    return out, found.frame()
