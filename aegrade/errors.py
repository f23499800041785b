"""Errors, the closed list of reason codes and the one failure collector.

Every input problem is collected before anything is reported (pandera's lazy validation):
one row per problem in a failure table with the columns of :data:`FAILURE_COLUMNS`, so a user
sees all of them at once, with the file, sheet, row and column that hold each. Every module
builds those rows through :class:`Failures`; the ``check`` of each row is a :class:`Reason`.
"""

from __future__ import annotations

import difflib
from collections.abc import Hashable, Iterable
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from aegrade.lazy import lazy_module

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:  # imported when a failure table is first built: ``aegrade criteria check`` never does
    np = lazy_module("numpy", globals(), "np")
    pd = lazy_module("pandas", globals(), "pd")

__all__ = [
    "FAILURE_COLUMNS",
    "FAILURE_KEY",
    "AegradeError",
    "CriteriaDefinitionError",
    "Failures",
    "InputError",
    "InputNotice",
    "Reason",
    "UnknownCriteriaError",
    "close_matches_hint",
    "failure_frame",
]

FAILURE_COLUMNS = ["file", "sheet", "row", "column", "value", "check", "message"]
#: A problem is the same problem when these agree; :class:`Failures` keeps the first of them.
FAILURE_KEY = ["file", "sheet", "row", "column", "check"]


class Reason(StrEnum):
    """Every code aegrade writes in a failure table's ``check`` column (closed list).

    Input checks name what is wrong with a cell, a row or a file; the same codes say why a
    row was not graded (``reason`` text ``not graded: <code> (<message>)``).

    ========================  ======================================================================
    code                      meaning
    ========================  ======================================================================
    missing_column            a required column is absent from a table
    missing_value             a required cell is empty
    not_a_number              a cell that must be a number (or a listed word) is something else
    unknown_unit              the unit cannot be converted to the parameter's canonical unit
    missing_unit              a numeric value has no unit and its parameter needs one
    implausible_value         a value outside what is physiologically possible (or a score's range)
    missing_reference_range   the reference range (LLN/ULN) a criterion needs is missing
    missing_baseline          the baseline a criterion needs is missing
    no_criteria               no criteria entry grades this parameter
    duplicate_subject         a subject id appears more than once in the subjects table
    unreadable_day            a day, time or date cannot be read or turned into a study day
    missing_subject           a subject id is empty
    unknown_term              an event term is not a term of the CTCAE version
    invalid_grade             a grade the term does not have in the CTCAE version
    missing_table             the study has no observations table
    missing_file              the input path does not exist
    empty_file                the input file holds no data
    unreadable_file           the file cannot be opened or parsed in its format
    bad_header                a header cell is empty or appears twice
    formula_cell              a spreadsheet cell holds a formula instead of a value
    bad_column_map            the column map file cannot be read or is invalid
    end_before_onset          an event ends before it starts (its duration cannot be computed)
    unknown_parameter         a test name or code aegrade does not recognise (name it in the map)
    no_result                 the result cell holds a no-result word (not done, hemolyzed, QNS ...)
    ambiguous_number          a number whose thousands separator or decimal mark is ambiguous
    spreadsheet_error         a spreadsheet error cell (#N/A, #DIV/0!, #VALUE! ...)
    other_specimen            a specimen (urine, CSF ...) that the blood criteria do not grade
    unit_mismatch             the value and reference range do not fit the unit given
    ========================  ======================================================================

    Examples
    --------
    >>> Reason.UNKNOWN_UNIT.value
    'unknown_unit'
    >>> Reason("missing_baseline").name
    'MISSING_BASELINE'
    """

    MISSING_COLUMN = "missing_column"
    MISSING_VALUE = "missing_value"
    NOT_A_NUMBER = "not_a_number"
    UNKNOWN_UNIT = "unknown_unit"
    MISSING_UNIT = "missing_unit"
    IMPLAUSIBLE = "implausible_value"
    MISSING_REFERENCE_RANGE = "missing_reference_range"
    MISSING_BASELINE = "missing_baseline"
    NO_CRITERIA = "no_criteria"
    DUPLICATE_SUBJECT = "duplicate_subject"
    BAD_DAY = "unreadable_day"
    MISSING_SUBJECT = "missing_subject"
    UNKNOWN_TERM = "unknown_term"
    INVALID_GRADE = "invalid_grade"
    MISSING_TABLE = "missing_table"
    MISSING_FILE = "missing_file"
    EMPTY_FILE = "empty_file"
    UNREADABLE_FILE = "unreadable_file"
    BAD_HEADER = "bad_header"
    FORMULA_CELL = "formula_cell"
    BAD_COLUMN_MAP = "bad_column_map"
    END_BEFORE_ONSET = "end_before_onset"
    UNKNOWN_PARAMETER = "unknown_parameter"
    NO_RESULT = "no_result"
    AMBIGUOUS_NUMBER = "ambiguous_number"
    SPREADSHEET_ERROR = "spreadsheet_error"
    OTHER_SPECIMEN = "other_specimen"
    UNIT_MISMATCH = "unit_mismatch"

    @classmethod
    def meanings(cls) -> dict[str, str]:
        """Each code and its one-line meaning, read from the table above.

        >>> Reason.meanings()["unreadable_day"]
        'a day, time or date cannot be read or turned into a study day'
        """
        out: dict[str, str] = {}
        for line in (cls.__doc__ or "").splitlines():
            code, _, meaning = line.strip().partition(" ")
            if code in cls._value2member_map_ and meaning.strip():
                out[code] = meaning.strip()
        return out


class AegradeError(Exception):
    """Base class of every error aegrade raises on purpose."""


class CriteriaDefinitionError(ValueError, AegradeError):
    """A criteria file does not follow the format (names the file, the entry and the key)."""


class UnknownCriteriaError(KeyError, AegradeError):
    """A grading-system id that aegrade does not have."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else "unknown criteria"


class InputError(ValueError, AegradeError):
    """The input has problems; ``failures`` holds all of them, one row each.

    Columns: file, sheet, row, column, value, check, message. ``row`` is the spreadsheet row
    (header = row 1) for files and the index label for DataFrames.

    Examples
    --------
    >>> from aegrade import load_study
    >>> try:
    ...     load_study("no-such-study.xlsx")
    ... except InputError as err:
    ...     print(err.failures["check"].tolist())
    ['missing_file']
    """

    def __init__(self, failures: pd.DataFrame, source: str | None = None) -> None:
        self.failures = failures.reset_index(drop=True)
        self.source = source
        super().__init__(self.report())

    @property
    def error_counts(self) -> dict[str, int]:
        """Number of problems per check."""
        return {str(k): int(v) for k, v in self.failures["check"].value_counts().items()}

    def report(self, limit: int = 20) -> str:
        """A short readable report: counts per check, then the first ``limit`` problems."""
        n = len(self.failures)
        head = f"{n} input problem{'s' if n != 1 else ''}"
        if self.source:
            head += f" in {self.source}"
        counts = ", ".join(f"{k}: {v}" for k, v in self.error_counts.items())
        lines = [f"{head} ({counts})"]
        for rec in self.failures.head(limit).itertuples(index=False):
            place = ", ".join(
                f"{label} {val!s}"
                for label, val in (
                    ("file", rec.file),
                    ("sheet", rec.sheet),
                    ("row", rec.row),
                    ("column", rec.column),
                )
                if _shown(val)
            )
            lines.append(f"  {place}: {_clipped(str(rec.message))}")
        if n > limit:
            lines.append(f"  ... and {n - limit} more")
        return "\n".join(lines)


#: The longest message line a report prints; the failures frame keeps the whole text.
MESSAGE_CHARS = 400


class InputNotice(UserWarning):
    """Something about an input that was read as documented but that the user should know
    (a hidden sheet left unread). The command line prints it as ``notice: ...``.

    Examples
    --------
    >>> issubclass(InputNotice, UserWarning)
    True
    """


def _clipped(text: str) -> str:
    """A message as printed: at most :data:`MESSAGE_CHARS` characters (a cell of a million
    characters is not echoed whole to the terminal)."""
    if len(text) <= MESSAGE_CHARS:
        return text
    return f"{text[: MESSAGE_CHARS - 40]} ... ({len(text):,} characters in all)"


def _shown(value: object) -> bool:
    """A place worth printing: not None, NaN, NA or empty text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return False
    if isinstance(value, float) and value != value:
        return False
    return value != ""


def close_matches_hint(given: str, known: Iterable[str]) -> str:
    """``"; did you mean 'A', 'B'?"`` for the up to three known names closest to ``given``
    (compared ignoring case; empty when none is close), the one way every message suggests
    a spelling.

    >>> close_matches_hint("Nausia", ["Nausea", "Fatigue"])
    "; did you mean 'Nausea'?"
    >>> close_matches_hint("xyz", ["Nausea"])
    ''
    """
    spelled = {k.lower(): k for k in reversed(list(known))}  # compared ignoring case
    close = difflib.get_close_matches(given.lower(), list(spelled), n=3, cutoff=0.7)
    return f"; did you mean {', '.join(repr(spelled[c]) for c in close)}?" if close else ""


def failure_frame(records: list[dict[str, object]] | None = None) -> pd.DataFrame:
    """An empty or filled failure table with the standard columns.

    >>> failure_frame().columns.tolist()
    ['file', 'sheet', 'row', 'column', 'value', 'check', 'message']
    """
    if not records:  # the empty table, built once (a copy each time: callers may add rows)
        return _empty_failures().copy()
    frame = pd.DataFrame(records, columns=FAILURE_COLUMNS)
    return frame.astype(dict.fromkeys(("check", "message"), "object"))


@lru_cache(maxsize=1)
def _empty_failures() -> pd.DataFrame:
    frame = pd.DataFrame([], columns=FAILURE_COLUMNS)
    return frame.astype(dict.fromkeys(("check", "message"), "object"))


class Failures:
    """The one failure collector: problems added check by check, one table at the end.

    A problem already held (same file, sheet, row, column and check: :data:`FAILURE_KEY`) is
    not added twice, so two checks reaching the same cell report it once, with the first
    message.

    Parameters
    ----------
    file, sheet
        Where the rows of :meth:`add_rows` come from (also the default of :meth:`add`).
    labels
        The row label to report for each table row (spreadsheet rows; default: the position,
        or the index of ``table`` when given).
    table
        The table the rows of :meth:`add_rows` index; a problem's ``value`` is read from its
        column when not given.
    unique
        Keep one row per :data:`FAILURE_KEY` (default). False keeps every row added, for
        problems told apart by their message only (a header repeated three times).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> obs = pd.DataFrame({"day": ["1", "x", "y"]})
    >>> found = Failures(file="study.csv", labels=np.array([2, 3, 4]), table=obs)
    >>> bad = np.array([False, True, True])
    >>> found.add_rows(bad, Reason.BAD_DAY, "day is not a number", column="day")
    >>> found.add_rows(bad, Reason.BAD_DAY, "day is unreadable", column="day")  # the same
    >>> found.frame()[["row", "value", "check", "message"]]
      row value           check              message
    0   3     x  unreadable_day  day is not a number
    1   4     y  unreadable_day  day is not a number
    """

    def __init__(
        self,
        file: str | None = None,
        sheet: str | None = None,
        *,
        labels: np.ndarray | pd.Index | None = None,
        table: pd.DataFrame | None = None,
        unique: bool = True,
    ) -> None:
        self.file, self.sheet, self.table, self.unique = file, sheet, table, unique
        self._labels = labels
        self._parts: list[pd.DataFrame] = []
        self._cache: pd.DataFrame | None = None

    def _labels_at(self, positions: np.ndarray) -> np.ndarray:
        if self._labels is not None:
            out: np.ndarray = np.asarray(self._labels, dtype=object)[positions]
        elif self.table is not None:
            out = self.table.index.to_numpy(dtype=object)[positions]
        else:
            out = positions.astype(object)
        return out

    def _append(self, part: pd.DataFrame) -> None:
        self._parts.append(part)
        self._cache = None

    def add(
        self,
        check: Reason,
        message: str,
        *,
        file: str | None = None,
        sheet: str | None = None,
        row: Hashable | None = None,
        column: Hashable | None = None,
        value: object = None,
    ) -> None:
        """One problem (file and sheet default to the collector's)."""
        record = {
            "file": self.file if file is None else file,
            "sheet": self.sheet if sheet is None else sheet,
            "row": row,
            "column": column,
            "value": value,
            "check": Reason(check).value,
            "message": message,
            "_pos": -1,
        }
        self._append(pd.DataFrame([record]))

    def add_rows(
        self,
        mask: np.ndarray,
        check: Reason,
        message: str | np.ndarray,
        *,
        column: str,
        values: pd.Series | np.ndarray | None = None,
        positions: np.ndarray | None = None,
    ) -> None:
        """The rows where ``mask`` is true; values and messages are read at those rows only.

        Parameters
        ----------
        mask
            Boolean per row; ``message`` (an array) and ``values`` are aligned with it.
        positions
            The table position of each element of ``mask`` when ``mask`` covers a subset of
            the table (default: the same positions).
        """
        if not mask.any():
            return
        idx = np.flatnonzero(mask)
        at = idx if positions is None else np.asarray(positions)[idx]
        if values is not None:
            vals: np.ndarray | None = (
                values.iloc[idx].to_numpy(dtype=object)
                if isinstance(values, pd.Series)
                else np.asarray(values, dtype=object)[idx]
            )
        elif self.table is not None and column in self.table:
            vals = self.table[column].to_numpy(dtype=object)[at]
        else:
            vals = None
        msg = message[idx] if isinstance(message, np.ndarray) else message
        self._append(
            pd.DataFrame(
                {
                    "file": self.file,
                    "sheet": self.sheet,
                    "row": self._labels_at(at),
                    "column": column,
                    "value": vals,
                    "check": Reason(check).value,
                    "message": msg,
                    "_pos": at,
                }
            )
        )

    def extend(self, failures: pd.DataFrame | Failures) -> None:
        """Add the rows of another failure table or collector (after the rows held)."""
        frame = failures.frame() if isinstance(failures, Failures) else failures
        unknown = set(frame["check"].dropna().astype(str)) - set(Reason)
        if unknown:  # the list of reasons is closed
            raise ValueError(f"not a Reason code: {sorted(unknown)}")
        if len(frame):
            self._append(frame[FAILURE_COLUMNS].assign(_pos=-1))

    def _all(self, by_row: bool) -> pd.DataFrame:
        if not self._parts:
            return failure_frame().assign(_pos=pd.Series(dtype=np.int64))
        table = pd.concat([failure_frame().assign(_pos=-1), *self._parts], ignore_index=True)
        if by_row:
            table = table.sort_values("_pos", kind="stable")
        if self.unique:
            table = table[~table.duplicated(FAILURE_KEY)]
        return table.reset_index(drop=True)

    def frame(self, *, by_row: bool = False) -> pd.DataFrame:
        """The failure table: :data:`FAILURE_COLUMNS`, one row per distinct problem, in the
        order added (``by_row``: ordered by table row, stable)."""
        if not self._parts:
            return failure_frame()
        if by_row:
            return self._all(True)[FAILURE_COLUMNS]
        if self._cache is None:
            self._cache = self._all(False)[FAILURE_COLUMNS]
        return self._cache

    def row_errors(self, n: int) -> np.ndarray:
        """Per table row (``n`` rows), ``"not graded: <check> (<message>)"`` of its first
        problem, else None."""
        out = np.full(n, None, dtype=object)
        at, text = self.first_problems()
        out[at] = text
        return out

    def first_problems(self) -> tuple[np.ndarray, np.ndarray]:
        """The table rows with a problem (ascending positions) and, for each, ``"not graded:
        <check> (<message>)"`` of its first problem: :meth:`row_errors` without an array of
        every row."""
        if not self._parts:
            return np.zeros(0, np.int64), np.zeros(0, dtype=object)
        table = self._all(True)
        table = table[table["_pos"] >= 0].drop_duplicates("_pos")
        text = ("not graded: " + table["check"] + " (" + table["message"] + ")").to_numpy(
            dtype=object
        )
        return table["_pos"].to_numpy(np.int64), text

    def error(self, source: str | None = None) -> InputError:
        """An :class:`InputError` holding every problem collected."""
        return InputError(self.frame(), source=source if source is not None else self.file)

    def raise_if(self, errors: Literal["raise", "coerce"] | str, source: str | None = None) -> None:
        """Raise :class:`InputError` when ``errors == "raise"`` and there is a problem."""
        if errors == "raise" and len(self):
            raise self.error(source)

    def __len__(self) -> int:
        return len(self.frame()) if self._parts else 0
