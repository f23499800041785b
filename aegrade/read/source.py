"""From a path to the study's tables: which file or sheet is which table, SDTM domains,
column maps, wide layouts and dates. Used by :func:`aegrade.read.study.load_study`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from aegrade.errors import Failures, Reason, close_matches_hint
from aegrade.read import sdtm
from aegrade.read.colmap import ColumnMap, map_key, rename_columns, translate_words
from aegrade.read.dates import (
    check_days,
    check_times,
    date_problems,
    event_days,
    from_excel_serials,
    refuse_guessed_order,
)
from aegrade.read.files import (
    EXCEL_SUFFIXES,
    IDENTIFIER_HEADERS,
    MAX_PART,
    MAX_UNCOMPRESSED,
    READABLE,
    InputNotice,
    Sheet,
    Workbook,
    input_error,
    notice_hidden,
    read_file,
)
from aegrade.read.ranges import range_header, split_range
from aegrade.read.wide import is_wide, wide_to_long
from aegrade.study import TABLES, Table

if TYPE_CHECKING:
    from aegrade.read.prefetch import PrefetchedText

__all__ = ["read_source", "shape_tables"]

#: In a folder, the first of these found for a table is read (parquet before csv).
_FOLDER_ORDER = (".parquet", ".csv", ".xpt", ".txt", ".tsv", ".xlsx", ".xlsm")


def _table(sheet: Sheet) -> Table:
    return Table(sheet.frame, file=sheet.file, sheet=sheet.sheet, rows=sheet.rows)


def _role(name: str, cmap: ColumnMap | None) -> str | None:
    """subjects / observations / events, or an SDTM domain code, for a sheet or file stem."""
    if cmap is not None and (mapped := cmap.table_of(name)):
        return mapped
    key = name.strip().lower()
    if key in TABLES:
        return key
    if key.upper() in sdtm.DOMAINS:
        return key.upper()
    return None


def read_source(
    path: Path,
    cmap: ColumnMap | None = None,
    *,
    max_uncompressed: int = MAX_UNCOMPRESSED,
    max_part: int = MAX_PART,
    prefetched: PrefetchedText | None = None,
) -> dict[str, Table]:
    """The tables of a workbook, a folder or a single file, by role (see :func:`_role`).

    ``prefetched``: a single text file already read (:func:`aegrade.read.files.read_csv`).

    Raises
    ------
    InputError
        The path does not exist or cannot be read.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = Path(folder, "observations.csv").write_text(
    ...         "subject_id,day,parameter,value,unit\\n01,0,HGB,120,g/L\\n"
    ...     )
    ...     _ = Path(folder, "subjects.csv").write_text("subject_id\\n01\\n")
    ...     tables = read_source(Path(folder))
    >>> sorted(tables), tables["observations"].frame.shape
    (['observations', 'subjects'], (1, 5))
    """
    if not path.exists():
        raise input_error(path, f"{path} does not exist", check=Reason.MISSING_FILE)
    if path.is_dir():
        sheets = _folder(path, cmap, max_uncompressed, max_part)
    elif path.suffix.lower() in EXCEL_SUFFIXES:
        sheets = _workbook(path, cmap, max_uncompressed, max_part)
    else:
        sheets = {}
        for s in read_file(
            path, max_uncompressed=max_uncompressed, max_part=max_part, prefetched=prefetched
        ):
            sheets[sdtm.domain_of(s.frame) or "observations"] = s
    if any(k in sdtm.DOMAINS for k in sheets):
        return _from_sdtm(sheets, path)
    return {k: _table(s) for k, s in sheets.items() if k in TABLES}


def _folder(path: Path, cmap: ColumnMap | None, bound: int, part: int) -> dict[str, Sheet]:
    found: dict[str, Sheet] = {}
    files = sorted(
        path.iterdir(),
        key=lambda p: (
            _FOLDER_ORDER.index(p.suffix.lower()) if p.suffix.lower() in READABLE else 99,
            p.name,
        ),
    )
    files = [
        f for f in files if not f.name.startswith((".", "~$")) and f.suffix.lower() in _FOLDER_ORDER
    ]
    _refuse_unknown_sheets(path, cmap, [f.stem for f in files])
    for file in files:
        role = _role(file.stem, cmap)
        if role is not None and role not in found:
            sheets = read_file(file, max_uncompressed=bound, max_part=part)
            if not sheets:
                raise input_error(file, "the workbook has no visible sheet to read")
            found[role] = sheets[0]
    return found


def _workbook(path: Path, cmap: ColumnMap | None, bound: int, part: int) -> dict[str, Sheet]:
    book = Workbook(path, max_uncompressed=bound, max_part=part)
    asked = [n for n in book.hidden if cmap is not None and cmap.table_of(n)]
    notice_hidden(book, asked)
    _refuse_unknown_sheets(path, cmap, [*book.sheet_names, *book.hidden])
    roles = {n: _role(n, cmap) for n in [*book.sheet_names, *asked]}
    chosen = {r: n for n, r in reversed(list(roles.items())) if r is not None}
    if (
        "observations" not in chosen and not set(chosen) & set(sdtm.DOMAINS) and book.sheet_names
    ):  # observations only: the first sheet, or the domain it holds
        first = book.sheet(book.sheet_names[0], identifiers=_identifiers(cmap))
        return {sdtm.domain_of(first.frame) or "observations": first}
    ids = _identifiers(cmap)
    return {r: book.sheet(n, identifiers=ids) for r, n in chosen.items()}


def _identifiers(cmap: ColumnMap | None) -> set[str]:
    """The user's headers that the column map turns into an identifier column."""
    if cmap is None:
        return set()
    return {k for k, v in cmap.columns.items() if v in IDENTIFIER_HEADERS}


def _refuse_unknown_sheets(path: Path, cmap: ColumnMap | None, names: Sequence[str]) -> None:
    """A column map naming a sheet (or file) the study lacks: an error listing those it has."""
    if cmap is None or not cmap.sheets:
        return
    have = {map_key(n) for n in names}
    missing = [k for k in cmap.sheets if k not in have]
    if missing:
        listed = ", ".join(repr(n) for n in names) or "none"
        raise input_error(
            path,
            f"the column map names sheet {missing[0]!r}, which {path.name} does not have; "
            f"it has: {listed}{close_matches_hint(missing[0], names)}",
            check=Reason.BAD_COLUMN_MAP,
            value=missing[0],
        )


def _from_sdtm(sheets: dict[str, Sheet], path: Path) -> dict[str, Table]:
    """SDTM or ADaM domains as tables (:func:`aegrade.read.sdtm.cdisc_tables`); a domain is
    recognised by its variables where a file or sheet name says another (an ADLB in lb.csv)."""
    domains = {
        (sdtm.domain_of(s.frame) or k) if k in sdtm.DOMAINS else k: s for k, s in sheets.items()
    }
    domains = {k: s for k, s in domains.items() if k in sdtm.DOMAINS}
    out: dict[str, Table] = {}
    for role, (frame, codes) in sdtm.cdisc_tables({k: s.frame for k, s in domains.items()}).items():
        parts = [domains[c] for c in codes]
        if len(parts) == 1:
            out[role] = _table(replace(parts[0], frame=frame))
            continue
        labels = np.concatenate(  # "LB 12": the domain's sheet or file, then its row
            [
                (f"{s.sheet or Path(s.file).name} " + pd.Series(s.rows).astype(str)).to_numpy(
                    dtype=object
                )
                for s in parts
            ]
        )
        out[role] = Table(frame, file=str(path), rows=labels)
    return out


def _lower(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(columns={c: str(c).strip().lower() for c in frame.columns})


def shape_tables(
    tables: dict[str, Table], cmap: ColumnMap | None = None, dayfirst: bool | None = None
) -> tuple[dict[str, Table], pd.DataFrame]:
    """Column map applied, headers in lower case, wide observations made long, file dates
    read (Excel serials), event dates turned into study days; returns the tables and the
    problems found on the way.

    Examples
    --------
    A wide sheet made long:

    >>> import pandas as pd
    >>> sheet = pd.DataFrame({"Subject_ID": ["01", "01"], "Day": [0, 7], "HGB (g/L)": [120, 95]})
    >>> wide = Table(sheet)
    >>> shaped, problems = shape_tables({"observations": wide})
    >>> shaped["observations"].frame[["subject_id", "day", "parameter", "value", "unit"]]
      subject_id  day parameter  value unit
    0         01    0       HGB    120  g/L
    1         01    7       HGB     95  g/L
    >>> len(problems)
    0
    """
    shaped = {k: replace(t, frame=rename_columns(t.frame, cmap)) for k, t in tables.items()}
    _refuse_colliding_headers(tables, shaped)
    obs = shaped.get("observations")
    if obs is not None and is_wide(obs.frame, cmap):  # before lower-casing: keep the headers
        frame, rows = wide_to_long(obs.frame, obs.labels(), cmap)
        shaped["observations"] = replace(obs, frame=frame, rows=rows)
    shaped = {k: replace(t, frame=_lower(t.frame)) for k, t in shaped.items()}
    _refuse_unknown_columns(tables, shaped, cmap)
    problems = Failures()
    obs = shaped.get("observations")
    if obs is not None:
        frame = translate_words(obs.frame, cmap)
        if obs.file is not None and "time" in frame:
            frame = frame.assign(time=from_excel_serials(frame["time"]))
        header = range_header(frame.columns)
        if header is not None and "range" not in frame:
            frame = frame.rename(columns={header: "range"})
        obs, found = split_range(replace(obs, frame=frame))
        shaped["observations"] = obs
        problems.extend(found)
        problems.extend(check_days(obs))
        problems.extend(check_times(obs, dayfirst))
    subjects = shaped.get("subjects")
    if subjects is not None and subjects.file is not None and "treatment_start" in subjects.frame:
        shaped["subjects"] = subjects = replace(
            subjects,
            frame=subjects.frame.assign(
                treatment_start=from_excel_serials(subjects.frame["treatment_start"])
            ),
        )
    if subjects is not None and "treatment_start" in subjects.frame:
        # an unreadable or out-of-range start is named here, in the subjects table, not later
        # as "the subject has no treatment_start" on every observation
        problems.extend(date_problems(subjects, "treatment_start", dayfirst))
    refuse_guessed_order(shaped, dayfirst)
    events = shaped.get("events")
    if events is not None and "subject_id" in events.frame:
        frame, found = event_days(
            replace(events, frame=translate_words(events.frame, cmap)), subjects, dayfirst
        )
        shaped["events"] = replace(events, frame=frame)
        problems.extend(found)
    return shaped, problems.frame()


#: The columns whose absence stops grading: a column map entry aimed at one of them that
#: names a header no table has (a misspelling) is reported with the headers there are.
_NEEDED = ("subject_id", "day", "parameter", "value", "term", "grade")


def _refuse_unknown_columns(
    given: dict[str, Table], shaped: dict[str, Table], cmap: ColumnMap | None
) -> None:
    """A column map entry naming a header no table has, for a needed column that no table
    ends up with: an input error listing the headers there are. (A map may name headers of
    other layouts, such as a long sheet's ``Test`` beside a wide one: those pass.)"""
    if cmap is None or not cmap.columns:
        return
    have = {map_key(c): str(c) for t in given.values() for c in t.frame.columns}
    final = {str(c) for t in shaped.values() for c in t.frame.columns}
    missing = [
        k
        for k, target in cmap.columns.items()
        if k not in have and target in _NEEDED and target not in final
    ]
    if not missing:
        _notice_absent_headers(cmap, list(have.values()))
        return
    files = sorted({t.file for t in given.values() if t.file})
    listed = ", ".join(repr(h) for h in have.values())
    raise input_error(
        files[0] if files else None,
        f"the column map names column {missing[0]!r} (for {cmap.columns[missing[0]]}), which "
        f"no table has; the headers are: {listed}"
        f"{close_matches_hint(missing[0], list(have.values()))}",
        check=Reason.BAD_COLUMN_MAP,
        column=missing[0],
        value=missing[0],
    )


def _notice_absent_headers(cmap: ColumnMap, headers: list[str]) -> None:
    """One notice (:class:`~aegrade.read.files.InputNotice`) listing the column map's
    ``[columns]`` headers that no table has, each with the closest headers there are."""
    have = {map_key(h) for h in headers}
    absent = [k for k in cmap.columns if k not in have]
    if not absent:
        return
    listed = ", ".join(
        f"{k!r} (for {cmap.columns[k]}{close_matches_hint(k, headers)})" for k in absent
    )
    warnings.warn(
        f"the column map names header{'s' if len(absent) > 1 else ''} that no table has, "
        f"ignored: {listed}",
        InputNotice,
        stacklevel=3,
    )


def _refuse_colliding_headers(tables: dict[str, Table], renamed: dict[str, Table]) -> None:
    """Two input headers that become one column (``Result`` and ``Res2`` both mapped to
    ``value``, or ``Day`` beside ``day``) are an input error naming both."""
    found = Failures(unique=False)
    for role, table in renamed.items():
        given = [str(c) for c in tables[role].frame.columns]
        final = [str(c).strip().lower() for c in table.frame.columns]
        first: dict[str, str] = {}
        for header, name in zip(given, final, strict=True):
            if name in first:
                found.add(
                    Reason.BAD_HEADER,
                    f"headers {first[name]!r} and {header!r} both become column {name!r}; "
                    "keep one (or map one of them elsewhere in the column map)",
                    column=header,
                    file=table.file,
                    sheet=table.sheet,
                )
            else:
                first[name] = header
    if len(found):
        raise found.error(str(found.frame()["file"].iloc[0] or "") or None)
