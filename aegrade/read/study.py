"""The study model (SPEC section 2): subjects, observations and clinician events.

:func:`load_study` reads a workbook (sheets ``subjects``, ``observations``, ``events``), a folder
of CSV or Parquet files with those names, a single observations file, or DataFrames. Every
table keeps the row labels a user would look for (spreadsheet row numbers, header = row 1), so
each problem can name file, sheet, row and column. Nothing read is ever dropped.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from aegrade.errors import InputError, Reason, failure_frame

TABLES = ("subjects", "observations", "events")
_READABLE = (".csv", ".parquet", ".xlsx", ".xlsm", ".txt", ".tsv")


@dataclass(frozen=True)
class Table:
    """One input table and where it came from."""

    frame: pd.DataFrame
    file: str | None = None
    sheet: str | None = None
    rows: np.ndarray | None = None  # labels for error messages

    def labels(self) -> np.ndarray:
        if self.rows is not None:
            return self.rows
        return self.frame.index.to_numpy(dtype=object)


@dataclass(frozen=True)
class Study:
    """Up to three tables; observations are required."""

    observations: Table
    subjects: Table | None = None
    events: Table | None = None
    source: str | None = None
    failures: pd.DataFrame = field(default_factory=failure_frame)

    @property
    def subject_ids(self) -> pd.Index:
        """All subjects: the subjects table when given (N of tables), else those seen in data."""
        if self.subjects is not None:
            return pd.Index(self.subjects.frame["subject_id"].astype("string").unique())
        seen = [self.observations.frame["subject_id"].astype("string")]
        if self.events is not None:
            seen.append(self.events.frame["subject_id"].astype("string"))
        return pd.Index(pd.concat(seen).dropna().unique())


def _lower_columns(df: pd.DataFrame) -> pd.DataFrame:
    return df.rename(columns={c: str(c).strip().lower() for c in df.columns})


def load_study(
    source: str | Path | pd.DataFrame | None = None,
    *,
    subjects: pd.DataFrame | None = None,
    observations: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    column_map: str | Path | dict | None = None,
) -> Study:
    """Read a study from a path or DataFrames.

    Parameters
    ----------
    source
        A workbook with sheets ``subjects``/``observations``/``events`` (a workbook with one
        sheet, or without an ``observations`` sheet, is read as observations only); a folder
        holding ``subjects``, ``observations``, ``events`` as ``.csv`` or ``.parquet``; a single
        observations file; or an observations DataFrame.
    subjects, observations, events
        DataFrames, instead of or besides ``source``.
    column_map
        A TOML column map (path, or its parsed dict) for the user's own sheet names, headers
        and words; see :mod:`aegrade.read.colmap`. Wide layouts, SDTM domains (LB, VS, AE, DM)
        and .xpt files are recognised without one.

    Raises
    ------
    InputError
        The path does not exist or holds no observations.
    """
    from aegrade.read.colmap import load_column_map
    from aegrade.read.source import read_source, shape_tables

    cmap = load_column_map(column_map)
    tables: dict[str, Table] = {}
    src = None
    if isinstance(source, pd.DataFrame):
        tables["observations"] = Table(source)
    elif source is not None:
        path = Path(source)
        src = str(path)
        tables.update(read_source(path, cmap))
    for name, frame in (("subjects", subjects), ("observations", observations), ("events", events)):
        if frame is not None:
            tables[name] = Table(frame)
    if "observations" not in tables:
        raise InputError(
            failure_frame(
                [
                    {
                        "file": src,
                        "sheet": None,
                        "row": None,
                        "column": None,
                        "value": None,
                        "check": "missing_table",
                        "message": "no observations table found "
                        "(expected a sheet or file named 'observations')",
                    }
                ]
            ),
            source=src,
        )
    tables, problems = shape_tables(tables, cmap)
    return Study(
        observations=tables["observations"],
        subjects=tables.get("subjects"),
        events=tables.get("events"),
        source=src,
        failures=problems,
    )


# --------------------------------------------------------------------------- validation


def _fail(
    table: Table, mask: np.ndarray, column: str, check: Reason, message: str | np.ndarray
) -> pd.DataFrame:
    idx = np.flatnonzero(mask)
    values = table.frame[column].to_numpy(dtype=object)[idx] if column in table.frame else None
    msg = message[idx] if isinstance(message, np.ndarray) else message
    return pd.DataFrame(
        {
            "file": table.file,
            "sheet": table.sheet,
            "row": table.labels()[idx],
            "column": column,
            "value": values,
            "check": check.value,
            "message": msg,
        }
    )


def _missing_columns(table: Table, required: tuple[str, ...], name: str) -> list[dict]:
    return [
        {
            "file": table.file,
            "sheet": table.sheet or name,
            "row": None,
            "column": c,
            "value": None,
            "check": Reason.MISSING_COLUMN.value,
            "message": f"{name}: required column {c!r} is missing",
        }
        for c in required
        if c not in table.frame.columns
    ]


def validate_subjects(table: Table) -> pd.DataFrame:
    """Problems of the subjects table: missing id, duplicate id, unreadable age or start."""
    head = _missing_columns(table, ("subject_id",), "subjects")
    if head:
        return failure_frame(head)
    df = table.frame
    parts = []
    sid = df["subject_id"].astype("string").str.strip()
    parts.append(
        _fail(
            table,
            (sid.isna() | (sid == "")).to_numpy(bool),
            "subject_id",
            Reason.MISSING_SUBJECT,
            "subject_id is empty",
        )
    )
    dup = sid.duplicated(keep="first") & sid.notna()
    parts.append(
        _fail(
            table,
            dup.to_numpy(bool),
            "subject_id",
            Reason.DUPLICATE_SUBJECT,
            "subject_id appears more than once in subjects",
        )
    )
    if "age" in df:
        age = pd.to_numeric(df["age"], errors="coerce")
        bad = (age.isna() & df["age"].notna()) | (age < 0) | (age > 130)
        parts.append(
            _fail(
                table,
                bad.to_numpy(bool),
                "age",
                Reason.NOT_A_NUMBER,
                "age must be a number of years (0-130)",
            )
        )
    if "treatment_start" in df:
        ts = pd.to_datetime(df["treatment_start"], errors="coerce", format="mixed")
        bad = ts.isna() & df["treatment_start"].notna()
        parts.append(
            _fail(
                table,
                bad.to_numpy(bool),
                "treatment_start",
                Reason.BAD_DAY,
                "treatment_start is not a readable date-time",
            )
        )
    return pd.concat([failure_frame(), *parts], ignore_index=True)


def study_days(study: Study) -> tuple[np.ndarray | None, pd.DataFrame]:
    """Study day of each observation: ``day`` as given, else ``time`` minus treatment_start.

    Returns the day array (None when neither column exists) and the problems found.
    """
    obs = study.observations
    df = obs.frame
    day = pd.to_numeric(df["day"], errors="coerce").to_numpy(float) if "day" in df else None
    if "time" not in df:
        return day, failure_frame()
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
        start = df["subject_id"].astype("string").map(lookup)
    computed = ((time - pd.to_datetime(start)) / pd.Timedelta(days=1)).to_numpy(float)
    out = np.where(need, computed, day) if day is not None else computed
    no_start = need & time.notna().to_numpy(bool) & pd.isna(start).to_numpy(bool)
    fails = _fail(
        obs,
        no_start,
        "time",
        Reason.BAD_DAY,
        "time is given but the subject has no treatment_start, so its study day is unknown",
    )
    return out, fails


def _grades_of(dictionary: pd.DataFrame, rows: np.ndarray) -> list[str]:
    """For each row's dictionary term, the grades CTCAE gives it, e.g. '3, 4, 5'."""
    cells = dictionary[[f"grade{k}" for k in range(1, 6)]].to_numpy(dtype=object)[rows]
    return [", ".join(str(k + 1) for k in range(5) if c[k] != "-") for c in cells]


def validate_events(table: Table, criteria: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check clinician events against the CTCAE dictionary of ``criteria``.

    Returns the events with the NCI term name, MedDRA code and SOC filled in, and the problems:
    an unknown term (with close matches), or a grade the term does not have in that version.
    """
    from aegrade.criteria import load_dictionary

    head = _missing_columns(table, ("subject_id", "term", "grade"), "events")
    if head:
        return table.frame, failure_frame(head)
    dictionary = load_dictionary(criteria)
    df = table.frame.copy()
    by_term = {t.lower(): i for i, t in enumerate(dictionary["term"])}
    by_code = {c: i for i, c in enumerate(dictionary["meddra_code"])}
    raw = df["term"].astype("string").str.strip()
    key = raw.str.lower()
    pos = key.map(by_term)
    pos = pos.fillna(raw.str.replace(r"\.0$", "", regex=True).map(by_code))
    unknown = pos.isna().to_numpy(bool) & raw.notna().to_numpy(bool)
    terms = list(dictionary["term"])
    messages = np.full(len(df), None, dtype=object)
    for i in np.flatnonzero(unknown):  # only the failing rows: suggestions need fuzzy matching
        close = difflib.get_close_matches(str(raw.iloc[i]), terms, n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        messages[i] = f"{raw.iloc[i]!r} is not a {criteria} term{hint}"
    parts = [
        _fail(table, unknown, "term", Reason.UNKNOWN_TERM, messages),
        _fail(table, raw.isna().to_numpy(bool), "term", Reason.MISSING_VALUE, "term is empty"),
    ]
    grade = pd.to_numeric(df["grade"], errors="coerce")
    known = ~unknown & raw.notna().to_numpy(bool)
    rows = pos.fillna(0).astype(int).to_numpy()
    allowed = np.zeros(len(df), bool)
    g = grade.to_numpy(float)
    for k in range(1, 6):
        cells = dictionary[f"grade{k}"].to_numpy(dtype=object)[rows]
        allowed |= (g == k) & (cells != "-")
    bad_grade = known & ~allowed
    shown = (
        [
            f"{gv:g}" if isinstance(gv, float) and gv == gv else str(gv)
            for gv in df["grade"].to_numpy(dtype=object)
        ]
        if bad_grade.any()
        else []
    )
    gmsg = (
        np.array(
            [
                f"grade {gv} is not a grade of {term!r} in {criteria} (its grades: {grades})"
                for gv, term, grades in zip(
                    shown, df["term"], _grades_of(dictionary, rows), strict=True
                )
            ],
            dtype=object,
        )
        if bad_grade.any()
        else ""
    )
    parts.append(_fail(table, bad_grade, "grade", Reason.INVALID_GRADE, gmsg))
    column = {c: dictionary[c].to_numpy(dtype=object)[rows] for c in ("term", "meddra_code")}
    df["term"] = np.where(known, column["term"], raw.to_numpy(dtype=object))
    df["meddra_code"] = np.where(known, column["meddra_code"], None)
    df["soc"] = np.where(known, dictionary["soc"].to_numpy(dtype=object)[rows], None)
    df.attrs["row_labels"] = table.labels()
    return df, pd.concat([failure_frame(), *parts], ignore_index=True)
