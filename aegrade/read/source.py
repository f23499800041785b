"""From a path to the study's tables: which file or sheet is which table, SDTM domains,
column maps, wide layouts and dates. Used by :func:`aegrade.read.study.load_study`.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from aegrade.errors import Failures, Reason
from aegrade.read import sdtm
from aegrade.read.colmap import ColumnMap, rename_columns, translate_words
from aegrade.read.dates import check_days, check_times, event_days, from_excel_serials
from aegrade.read.files import (
    EXCEL_SUFFIXES,
    MAX_UNCOMPRESSED,
    READABLE,
    Sheet,
    Workbook,
    input_error,
    read_file,
)
from aegrade.read.wide import is_wide, wide_to_long
from aegrade.study import TABLES, Table

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
    path: Path, cmap: ColumnMap | None = None, *, max_uncompressed: int = MAX_UNCOMPRESSED
) -> dict[str, Table]:
    """The tables of a workbook, a folder or a single file, by role (see :func:`_role`).

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
        sheets = _folder(path, cmap, max_uncompressed)
    elif path.suffix.lower() in EXCEL_SUFFIXES:
        sheets = _workbook(path, cmap, max_uncompressed)
    else:
        sheets = {}
        for s in read_file(path, max_uncompressed=max_uncompressed):
            sheets[sdtm.domain_of(s.frame) or "observations"] = s
    if any(k in sdtm.DOMAINS for k in sheets):
        return _from_sdtm(sheets, path)
    return {k: _table(s) for k, s in sheets.items() if k in TABLES}


def _folder(path: Path, cmap: ColumnMap | None, bound: int) -> dict[str, Sheet]:
    found: dict[str, Sheet] = {}
    for file in sorted(
        path.iterdir(),
        key=lambda p: (
            _FOLDER_ORDER.index(p.suffix.lower()) if p.suffix.lower() in READABLE else 99,
            p.name,
        ),
    ):
        if file.name.startswith((".", "~$")) or file.suffix.lower() not in _FOLDER_ORDER:
            continue
        role = _role(file.stem, cmap)
        if role is not None and role not in found:
            found[role] = read_file(file, max_uncompressed=bound)[0]
    return found


def _workbook(path: Path, cmap: ColumnMap | None, bound: int) -> dict[str, Sheet]:
    book = Workbook(path, max_uncompressed=bound)
    roles = {n: _role(n, cmap) for n in book.sheet_names}
    chosen = {r: n for n, r in reversed(list(roles.items())) if r is not None}
    if (
        "observations" not in chosen and not set(chosen) & set(sdtm.DOMAINS) and book.sheet_names
    ):  # observations only: the first sheet, or the domain it holds
        first = book.sheet(book.sheet_names[0])
        return {sdtm.domain_of(first.frame) or "observations": first}
    return {r: book.sheet(n) for r, n in chosen.items()}


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
    tables: dict[str, Table], cmap: ColumnMap | None = None
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
    problems = Failures()
    obs = shaped.get("observations")
    if obs is not None:
        frame = translate_words(obs.frame, cmap)
        if obs.file is not None and "time" in frame:
            frame = frame.assign(time=from_excel_serials(frame["time"]))
        obs = shaped["observations"] = replace(obs, frame=frame)
        problems.extend(check_days(obs))
        problems.extend(check_times(obs))
    subjects = shaped.get("subjects")
    if subjects is not None and subjects.file is not None and "treatment_start" in subjects.frame:
        shaped["subjects"] = subjects = replace(
            subjects,
            frame=subjects.frame.assign(
                treatment_start=from_excel_serials(subjects.frame["treatment_start"])
            ),
        )
    events = shaped.get("events")
    if events is not None and "subject_id" in events.frame:
        frame, found = event_days(
            replace(events, frame=translate_words(events.frame, cmap)), subjects
        )
        shaped["events"] = replace(events, frame=frame)
        problems.extend(found)
    return shaped, problems.frame()


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
