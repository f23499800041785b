"""Errors and the failure table.

Every input problem is collected before anything is reported (pandera's lazy validation):
one row per problem in a failure table with the columns of :data:`FAILURE_COLUMNS`, so a user
sees all of them at once, with the file, sheet, row and column that hold each.
"""

from __future__ import annotations

from enum import StrEnum

import pandas as pd

FAILURE_COLUMNS = ["file", "sheet", "row", "column", "value", "check", "message"]


class Reason(StrEnum):
    """Stable codes for why a value was not graded or why an input row is wrong."""

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
                f"{label} {val}"
                for label, val in (
                    ("file", rec.file),
                    ("sheet", rec.sheet),
                    ("row", rec.row),
                    ("column", rec.column),
                )
                if val is not None and val == val and val != ""
            )
            lines.append(f"  {place}: {rec.message}")
        if n > limit:
            lines.append(f"  ... and {n - limit} more")
        return "\n".join(lines)


def failure_frame(records: list[dict[str, object]] | None = None) -> pd.DataFrame:
    """An empty or filled failure table with the standard columns."""
    frame = pd.DataFrame(records or [], columns=FAILURE_COLUMNS)
    return frame.astype({"check": "object", "message": "object"})
