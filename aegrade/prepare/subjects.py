"""The subjects of a study: the checks of the subjects table and the one subjects frame.

Every engine (labs, CRS/ICANS, hematology) and the pipeline take their list of subjects from
:func:`subjects_frame`, so a subject never counts in one table and not in another.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from aegrade.errors import Failures, Reason
from aegrade.prepare.ids import text_codes
from aegrade.study import Study, Table

__all__ = [
    "missing_columns",
    "subjects_frame",
    "table_failures",
    "validate_subjects",
]

#: Plausible ages in years (outside: an input error, not a clinical threshold).
_AGE_RANGE = (0, 130)


def table_failures(table: Table) -> Failures:
    """An empty collector for the rows of ``table`` (its file, sheet and row labels).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from aegrade.errors import Reason
    >>> from aegrade.study import Table
    >>> found = table_failures(Table(pd.DataFrame({"day": [0, -1]}), file="obs.csv"))
    >>> found.add_rows(np.array([False, True]), Reason.BAD_DAY, "negative day", column="day")
    >>> found.frame()[["file", "row", "column"]].values.tolist()
    [['obs.csv', 1, 'day']]
    """
    return Failures(table.file, table.sheet, labels=table.labels(), table=table.frame)


def missing_columns(table: Table, required: tuple[str, ...], name: str) -> Failures:
    """One ``missing_column`` problem per column of ``required`` that ``table`` lacks.

    >>> found = missing_columns(Table(pd.DataFrame({"a": [1]})), ("subject_id",), "subjects")
    >>> found.frame()[["sheet", "column", "check"]]
          sheet      column           check
    0  subjects  subject_id  missing_column
    """
    found = Failures(table.file, table.sheet or name)
    for c in required:
        if c not in table.frame.columns:
            found.add(Reason.MISSING_COLUMN, f"{name}: required column {c!r} is missing", column=c)
    return found


def validate_subjects(table: Table) -> pd.DataFrame:
    """Problems of the subjects table: missing id, duplicate id, unreadable age or start.

    >>> subjects = Table(pd.DataFrame({"subject_id": ["S1", "S1", None]}))
    >>> validate_subjects(subjects)[["row", "check"]].values.tolist()
    [[2, 'missing_subject'], [1, 'duplicate_subject']]
    """
    head = missing_columns(table, ("subject_id",), "subjects")
    if len(head):
        return head.frame()
    df = table.frame
    found = table_failures(table)
    sid = df["subject_id"].astype("string").str.strip()
    # (column, rows that fail, reason, message), reported in this order
    checks: list[tuple[str, pd.Series, Reason, str]] = [
        ("subject_id", sid.isna() | (sid == ""), Reason.MISSING_SUBJECT, "subject_id is empty"),
        (
            "subject_id",
            sid.duplicated(keep="first") & sid.notna(),
            Reason.DUPLICATE_SUBJECT,
            "subject_id appears more than once in subjects",
        ),
    ]
    if "age" in df:
        age = pd.to_numeric(df["age"], errors="coerce")
        bad = (age.isna() & df["age"].notna()) | (age < _AGE_RANGE[0]) | (age > _AGE_RANGE[1])
        checks.append(("age", bad, Reason.NOT_A_NUMBER, "age must be a number of years (0-130)"))
    if "treatment_start" in df:
        ts = pd.to_datetime(df["treatment_start"], errors="coerce", format="mixed", utc=True)
        bad = ts.isna() & df["treatment_start"].notna()
        checks.append(
            (
                "treatment_start",
                bad,
                Reason.BAD_DAY,
                "treatment_start is not a readable date-time",
            )
        )
    for column, failed, reason, message in checks:
        found.add_rows(failed.to_numpy(bool), reason, message, column=column)
    return found.frame()


def subjects_frame(study: Study) -> pd.DataFrame:
    """One row per subject, ``subject_id`` as text: the N of every table.

    With a subjects table: its rows (first of a repeated id), every column kept; a row whose
    id is empty is kept (one row, id NA) and reported by :func:`validate_subjects`, never
    dropped. Without one: the subjects seen in observations and events, in order of appearance.

    >>> obs = pd.DataFrame({"subject_id": ["S2", "S1", "S2"]})
    >>> subjects_frame(Study(Table(obs)))["subject_id"].tolist()
    ['S2', 'S1']
    """
    if study.subjects is not None:
        frame = study.subjects.frame.copy()
        frame["subject_id"] = frame["subject_id"].astype("string")
        return frame.drop_duplicates("subject_id").reset_index(drop=True)
    # the distinct observation ids in order of appearance are the uniques of their codes
    # (made once per column, :func:`text_codes`), not a second pass over every row
    _, seen = text_codes(study.observations.frame["subject_id"])
    ids: np.ndarray | pd.api.extensions.ExtensionArray = seen
    if study.events is not None:
        both = [pd.Series(seen, dtype="string"), study.events.frame["subject_id"].astype("string")]
        ids = pd.concat(both).dropna().unique()
    return pd.DataFrame({"subject_id": pd.array(np.asarray(ids, dtype=object), dtype="string")})
