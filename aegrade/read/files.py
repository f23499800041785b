"""Readers for the files a study comes in: csv, xlsx, parquet and SAS transport (.xpt).

Every reader returns :class:`Sheet` objects whose ``rows`` are the row numbers a user sees
(spreadsheet rows, header = row 1 of a csv; the real sheet row of an xlsx, title rows above
the header included). Fully blank rows are skipped and their numbers kept out of the labels.
Anything unreadable becomes an :class:`~aegrade.errors.InputError` naming the file (and the
sheet, row and cell where that is known), never a bare parser exception.

xlsx safety: the zip is checked before any parser sees it (size bounds on the whole and on
each part, read from the zip directory and again while inflating; no DTD or entity
declarations in any XML part, whatever its encoding); formulas are refused with the cell that
holds them, in every sheet part however it is named, because a formula's value is whatever the
last program to save the file computed (none at all when a script wrote it), not source data.
Hidden sheets are left unread with an :class:`InputNotice`; merged cells are read down an
identifier column and refused elsewhere.
"""

from __future__ import annotations

import codecs
import csv
import io
import posixpath
import re
import warnings
import zipfile
from collections.abc import Collection, Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from aegrade.errors import Failures, InputError, InputNotice, Reason
from aegrade.read.text import (
    _DELIMITERS,
    CSV_NA,
    TEXT_SUFFIXES,
    TextLayout,
    detect_delimiter,
    detect_encoding,
)

__all__ = [
    "CSV_NA",
    "EXCEL_SUFFIXES",
    "IDENTIFIER_HEADERS",
    "MAX_PART",
    "MAX_UNCOMPRESSED",
    "READABLE",
    "TEXT_SUFFIXES",
    "InputNotice",
    "Sheet",
    "Workbook",
    "column_letter",
    "detect_delimiter",
    "detect_encoding",
    "input_error",
    "notice_hidden",
    "read_csv",
    "read_file",
    "read_parquet",
    "read_xpt",
]

if TYPE_CHECKING:
    import openpyxl

    from aegrade.read.prefetch import PrefetchedText

#: Default bound on the total uncompressed size of an xlsx (bytes).
MAX_UNCOMPRESSED = 2 * 1024**3
#: Default bound on one sheet XML or shared-strings part of an xlsx, uncompressed (bytes): a
#: full sheet (1,048,576 rows) of ten short columns takes about 400 MB.
MAX_PART = 512 * 1024**2
#: Header names (folded) of the identifier columns whose vertically merged cells are read as
#: the merged value on each row of the block; any other merged range in the data is an error.
IDENTIFIER_HEADERS = frozenset(
    {"subject_id", "usubjid", "subjid", "subject", "patient", "patient_id", "studyid", "arm"}
)
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
READABLE = (*TEXT_SUFFIXES, *EXCEL_SUFFIXES, ".parquet", ".xpt")
_LINE = re.compile(r"line (\d+)")
_FIELDS = re.compile(r"Expected (\d+) fields in line \d+, saw (\d+)")
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
#: A cell of type "e": a spreadsheet error (#N/A, #DIV/0!), which calamine hands over as "".
_ERROR_CELL = re.compile(rb'<(?:\w+:)?c\b[^>]*\bt="e"')
_DTD = (b"<!DOCTYPE", b"<!ENTITY")
_MERGE = re.compile(
    rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]{1,3}[0-9]{1,7}(?::[A-Z]{1,3}[0-9]{1,7})?)"'
)
#: Cell references of columns past Z (``r="AA12"``, ``r="XFD1048576"``) and a row's number
#: (``<row r="12" ...>``) in a worksheet's XML; one-letter columns need no look.
_WIDE_COLUMN = re.compile(rb'r="([A-Z]{2,3})[0-9]')  # no word boundary: 7x faster
_ROW_NUMBER = re.compile(rb'<(?:\w+:)?row\b[^>]*?\br="([0-9]{1,7})"')
#: A sheet whose used range would take more cells than this, and far more than it holds
#: values, is refused: the readers allocate the whole range (a single stray cell at
#: XFD1048576 asks for 17 billion cells, which aborts the process).
_MAX_SHEET_AREA = 200_000_000

#: A sheet's cell values, row by row, as a reader returns them ("" for an empty cell).
CellRows = Sequence[Sequence[object]]


@dataclass(frozen=True)
class Sheet:
    """One table read from a file: its frame and the row label of each frame row.

    Attributes
    ----------
    frame
        The table, columns named by the header cells.
    file
        The file it came from.
    sheet
        The workbook sheet, None for a single-table file.
    rows
        The row number a user sees for each frame row (header = row 1 of a csv).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> sheet = Sheet(pd.DataFrame({"subject_id": ["S01"]}), "subjects.csv", None, np.array([2]))
    >>> sheet.file, sheet.rows.tolist()
    ('subjects.csv', [2])
    """

    frame: pd.DataFrame
    file: str
    sheet: str | None
    rows: npt.NDArray[np.int64]


def input_error(
    file: str | Path | None,
    message: str,
    *,
    check: Reason = Reason.UNREADABLE_FILE,
    sheet: str | None = None,
    row: Hashable | None = None,
    column: Hashable | None = None,
    value: object = None,
) -> InputError:
    """An :class:`InputError` with one problem.

    Parameters
    ----------
    file
        The file the problem is in (None when not a file).
    message
        What is wrong and, where possible, how to fix it.
    check
        The failure's reason code.
    sheet, row, column, value
        Where the problem is and the offending value, when known.

    Returns
    -------
    InputError
        To raise; its ``failures`` frame has the one row.

    Examples
    --------
    >>> err = input_error("labs.csv", "the file is empty", check=Reason.EMPTY_FILE)
    >>> err.failures[["file", "message"]].to_dict("records")
    [{'file': 'labs.csv', 'message': 'the file is empty'}]
    >>> err.error_counts
    {'empty_file': 1}
    """
    where = None if file is None else str(file)
    found = Failures(file=where, sheet=sheet)
    found.add(check, message, row=row, column=column, value=value)
    return found.error(where)


def read_file(
    path: Path,
    *,
    max_uncompressed: int = MAX_UNCOMPRESSED,
    max_part: int = MAX_PART,
    prefetched: PrefetchedText | None = None,
) -> list[Sheet]:
    """Read any supported file; a workbook gives one :class:`Sheet` per sheet.

    The reader follows the suffix: ``.csv``, ``.txt``, ``.tsv`` (encoding and delimiter
    detected, decimal commas read), ``.xlsx``/``.xlsm`` (checked before parsing, see
    :class:`Workbook`), ``.parquet`` and ``.xpt``. Fully blank rows are dropped; each sheet's
    ``rows`` keep the row numbers a user sees.

    Parameters
    ----------
    path
        The file.
    max_uncompressed
        Bound on an xlsx's total uncompressed size, in bytes.
    max_part
        Bound on one xlsx sheet or shared-strings part, uncompressed, in bytes.
    prefetched
        A text file already read and parsed (:func:`aegrade.read.prefetch.prefetch_text`),
        for :func:`read_csv`.

    Returns
    -------
    list of Sheet
        One for a table file; one per visible sheet of a workbook, in workbook order (hidden
        sheets are named in an :class:`InputNotice` and not read).

    Raises
    ------
    InputError
        The suffix is not supported, or the file is unreadable, empty, damaged, too large,
        holds formulas, or has a blank or repeated header; the failures name file, sheet, row
        and column where known.

    Examples
    --------
    A semicolon-separated file with decimal commas and a blank line:

    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "labs.csv"
    >>> _ = path.write_text("subject_id;day;parameter;value\\nS01;0;ANC;1,5\\n\\nS01;7;ANC;0,4\\n")
    >>> [sheet] = read_file(path)
    >>> sheet.frame
      subject_id  day parameter  value
    0        S01  0.0       ANC    1.5
    1        S01  7.0       ANC    0.4
    >>> sheet.rows
    array([2, 4])
    """
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return [read_csv(path, prefetched=prefetched)]
    if suffix in EXCEL_SUFFIXES:
        book = Workbook(path, max_uncompressed=max_uncompressed, max_part=max_part)
        notice_hidden(book, ())
        return [book.sheet(n) for n in book.sheet_names]
    if suffix == ".parquet":
        return [read_parquet(path)]
    if suffix == ".xpt":
        return [read_xpt(path)]
    raise input_error(
        path,
        f"cannot read {suffix or 'extension-less'} files; use .xlsx, .csv, .parquet or .xpt",
        value=suffix,
    )


# --------------------------------------------------------------------------- csv


def read_csv(path: Path, *, prefetched: PrefetchedText | None = None) -> Sheet:
    """Read a delimited text file with its encoding and delimiter detected.

    Parameters
    ----------
    path
        A text file; a semicolon-separated file with digits around commas reads them as
        decimal commas.
    prefetched
        The file's bytes, layout and pyarrow parse, read earlier by
        :func:`aegrade.read.prefetch.prefetch_text` (the command line reads them while it
        imports pandas): used while the file is unchanged, the same frame either way;
        otherwise, or None, the file is read here.

    Returns
    -------
    Sheet
        Rows labelled 2.. (the header is row 1); blank rows dropped with their labels.

    Raises
    ------
    InputError
        As for :func:`read_file`.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "ae.csv"
    >>> _ = path.write_text("subject_id,term,grade\\nS01,Pyrexia,2\\n")
    >>> read_csv(path).frame.to_dict("records")
    [{'subject_id': 'S01', 'term': 'Pyrexia', 'grade': 2}]
    """
    from aegrade.read.arrow_csv import frame_of
    from aegrade.read.prefetch import UnreadableText, read_text

    if prefetched is None or not prefetched.is_of(path):
        try:
            prefetched = read_text(path)
        except UnreadableText as exc:
            raise input_error(path, exc.message, check=exc.check) from None
    parsed = prefetched.parsed
    frame = None if parsed is None else frame_of(parsed)
    return _sheet_of(frame, prefetched.raw, prefetched.layout, path)


def _sheet_of(frame: pd.DataFrame | None, raw: bytes, layout: TextLayout, path: Path) -> Sheet:
    """:func:`read_csv`'s sheet from pyarrow's frame (None: pandas reads ``raw``)."""
    first, sep, decimal = layout.first, layout.sep, layout.decimal
    if frame is None:
        frame = _read_pandas(raw, layout.encoding, sep, decimal, path)
    _refuse_other_delimiter(frame, sep, path)
    if decimal == ",":
        frame = _decimal_commas(frame)
    header = _header_cells(first, sep, frame)
    frame = _named_columns(frame, header, path, None, header_row=1)
    return _without_blank_rows(Sheet(frame, str(path), None, np.arange(len(frame)) + 2))


def _read_pandas(raw: bytes, encoding: str, sep: str, decimal: str, path: Path) -> pd.DataFrame:
    """pandas' C parser, which names every problem it meets (rows longer than the header,
    an unclosed quote) for :func:`read_csv`'s errors."""
    buffer: io.BytesIO | io.StringIO = io.BytesIO(raw)
    if encoding.startswith("utf-16"):
        buffer, encoding = (
            io.StringIO(raw.decode(encoding, errors="replace").lstrip("\ufeff")),
            "utf-8",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                buffer,
                sep=sep,
                decimal=decimal,
                encoding=encoding,
                keep_default_na=False,
                na_values=CSV_NA,
                skip_blank_lines=False,
                low_memory=False,
                engine="c",
                index_col=False,
            )
    except pd.errors.ParserWarning:
        row = _first_long_row(raw.decode(encoding, errors="replace"), sep)
        raise input_error(path, "a row has more cells than the header", row=row) from None
    except pd.errors.EmptyDataError:
        raise input_error(path, "the file is empty", check=Reason.EMPTY_FILE) from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        found = _LINE.search(str(exc))
        cells = _FIELDS.search(str(exc))
        message = (
            f"row {found.group(1)} has {cells.group(2)} cells, the header {cells.group(1)}; "
            "quote cells that hold the delimiter, or remove the extra cells"
            if found and cells
            else f"cannot parse the file: {exc}".strip()
        )
        raise input_error(path, message, row=int(found.group(1)) if found else None) from None
    except Exception as exc:  # the C parser's other failures (memory, overflow) on odd bytes
        raise input_error(path, f"cannot parse the file: {exc}".strip()) from None
    return frame


def _refuse_other_delimiter(frame: pd.DataFrame, sep: str, path: Path) -> None:
    """Rows written with another delimiter than the header (header ``a,b,c``, rows ``1;2;3``)
    land whole in the first column with the others empty: an error naming the first such
    row, not a table of empty cells."""
    if frame.shape[1] < 2 or frame.empty:
        return
    first = frame.iloc[:, 0]
    if not (first.dtype == object or pd.api.types.is_string_dtype(first)):
        return
    rest_empty = frame.iloc[:, 1:].isna().all(axis=1).to_numpy(bool)
    if not rest_empty.any():
        return
    text = first.astype("string")
    for other in (d for d in _DELIMITERS if d != sep):
        hit = rest_empty & (text.str.count(re.escape(other)) >= frame.shape[1] - 1).fillna(
            False
        ).to_numpy(bool)
        if hit.any():
            at = int(np.flatnonzero(hit)[0])
            named = {"\t": "tab"}
            raise input_error(
                path,
                f"row {at + 2} is separated by {named.get(other, repr(other))} but the header "
                f"by {named.get(sep, repr(sep))}; use one delimiter throughout the file",
                row=at + 2,
                column=str(frame.columns[0]),
                value=str(first.iloc[at])[:80],
            )


def _header_cells(first: str, sep: str, frame: pd.DataFrame) -> list[object]:
    """The header line's cells as written (pandas renames repeated and blank headers)."""
    try:
        cells = next(csv.reader([first], delimiter=sep))
    except (csv.Error, StopIteration):
        return list(frame.columns)
    header: list[object] = list(cells) if len(cells) == frame.shape[1] else list(frame.columns)
    return header


def _first_long_row(text: str, sep: str) -> int | None:
    """Line number (header = 1) of the first row with more cells than the header."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=sep)
    width = None
    try:
        for line, cells in enumerate(reader, start=1):
            if width is None:
                width = len(cells)
            elif len(cells) > width:
                return line
    except csv.Error:
        return None
    return None


def _decimal_commas(frame: pd.DataFrame) -> pd.DataFrame:
    """In text columns (pandas converts only all-number columns), '88,4' becomes '88.4'."""
    for col in frame.columns:
        s = frame[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            frame[col] = (
                s.astype("string")
                .str.replace(r"^(\s*-?\d+),(\d+\s*)$", r"\1.\2", regex=True)
                .astype(object)
            )
    return frame


# --------------------------------------------------------------------------- headers, blanks


def column_letter(i: int) -> str:
    """Spreadsheet letter of a 0-based column position (0 -> A, 26 -> AA).

    Parameters
    ----------
    i
        Column position, from 0.

    Returns
    -------
    str

    Examples
    --------
    >>> column_letter(0), column_letter(25), column_letter(26), column_letter(701)
    ('A', 'Z', 'AA', 'ZZ')
    """
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def _named_columns(
    frame: pd.DataFrame,
    header: list[object],
    file: Path | str,
    sheet: str | None,
    *,
    header_row: int,
) -> pd.DataFrame:
    """Name columns from the header cells; blank-header columns with data, or repeated
    headers, are errors naming the header cell."""
    names = [
        ("" if h is None or (isinstance(h, float) and np.isnan(h)) else str(h)).strip()
        for h in header
    ]
    names += [""] * (frame.shape[1] - len(names))
    problems: list[dict[str, object]] = []
    seen: dict[str, int] = {}
    keep: list[int] = []
    for i, name in enumerate(names[: frame.shape[1]]):
        col = frame.iloc[:, i]
        if not name:
            if col.notna().any() and (col.astype("string").str.strip() != "").any():
                problems.append(
                    {
                        "column": column_letter(i),
                        "value": None,
                        "message": f"column {column_letter(i)} has values but no header",
                    }
                )
            continue
        key = name.lower()
        if key in seen:
            problems.append(
                {
                    "column": name,
                    "value": name,
                    "message": f"header {name!r} appears twice (columns {column_letter(seen[key])}"
                    f" and {column_letter(i)})",
                }
            )
        seen[key] = i
        keep.append(i)
    if problems:
        found = Failures(file=str(file), sheet=sheet, unique=False)  # a header may repeat twice
        for p in problems:
            found.add(
                Reason.BAD_HEADER,
                str(p["message"]),
                row=header_row,
                column=p["column"],
                value=p["value"],
            )
        raise found.error()
    # no copy (issue 15): the parsed frame is not kept, and copy-on-write guards the rest
    return frame.iloc[:, keep].set_axis([names[i] for i in keep], axis=1)


def _without_blank_rows(sheet: Sheet) -> Sheet:
    """Drop rows with nothing but blanks (spaces count as blank); labels go with them."""
    frame = sheet.frame
    if frame.empty:
        return sheet
    text_cols = [
        c
        for c in frame.columns
        if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])
    ]
    other = [c for c in frame.columns if c not in text_cols]
    filled = (
        frame[other].notna().any(axis=1).to_numpy(bool, copy=True)
        if other
        else np.zeros(len(frame), bool)
    )
    todo = np.flatnonzero(~filled)  # only rows not already known to hold something
    for col in text_cols:
        if not todo.size:
            break
        cells = frame[col].iloc[todo].astype("string").str.strip()
        hit = (cells.notna() & (cells != "")).to_numpy(bool)
        filled[todo[hit]] = True
        todo = todo[~hit]
    if filled.all():
        return sheet
    return Sheet(
        frame.loc[filled].reset_index(drop=True), sheet.file, sheet.sheet, sheet.rows[filled]
    )


# --------------------------------------------------------------------------- xlsx


def notice_hidden(book: Workbook, read: Collection[str]) -> None:
    """Warn (:class:`InputNotice`) about the hidden sheets of ``book`` not in ``read``.

    Parameters
    ----------
    book
        An opened workbook.
    read
        The hidden sheets that are read all the same (a column map names them).

    Examples
    --------
    >>> import tempfile, warnings
    >>> from pathlib import Path
    >>> import openpyxl
    >>> wb = openpyxl.Workbook()
    >>> wb.active.title = "observations"
    >>> wb.create_sheet("old").sheet_state = "veryHidden"
    >>> path = Path(tempfile.mkdtemp()) / "study.xlsx"
    >>> wb.save(path)
    >>> with warnings.catch_warnings(record=True) as seen:
    ...     warnings.simplefilter("always")
    ...     notice_hidden(Workbook(path), ())
    >>> print(seen[0].message)
    study.xlsx: hidden sheet 'old' not read (name it in the column map's [sheets] to read it)
    """
    left = [n for n in book.hidden if n not in read]
    if left:
        names = ", ".join(repr(n) for n in left)
        warnings.warn(
            f"{book.path.name}: hidden sheet{'s' if len(left) > 1 else ''} {names} not read "
            "(name it in the column map's [sheets] to read it)",
            InputNotice,
            stacklevel=2,
        )


class Workbook:
    """An xlsx opened safely: zip checked, parts scanned, sheets read by name.

    Before any spreadsheet parser sees the file: the zip directory's uncompressed sizes are
    checked (the whole workbook against ``max_uncompressed``, each sheet or shared-strings part
    against ``max_part``), then every XML part is streamed once, decoded from its own encoding
    (byte-order mark or XML declaration: UTF-8, UTF-16 and UTF-32 alike), and refused if it
    declares a DTD or entities; every sheet part (found through the workbook's relationships,
    whatever its name) is scanned for formula cells, merged ranges and a used range far beyond
    its values.

    Parameters
    ----------
    path
        An .xlsx or .xlsm file.
    max_uncompressed
        Bound on the total uncompressed size of its parts, in bytes.
    max_part
        Bound on the uncompressed size of one sheet XML or shared-strings part, in bytes
        (default :data:`MAX_PART`, 512 MiB: a full 1,048,576-row sheet of ten short columns
        takes about 400 MB).

    Attributes
    ----------
    sheet_names
        The visible sheets, in workbook order.
    hidden
        The hidden and very hidden sheets (read only when asked for by name).

    Raises
    ------
    InputError
        Not a workbook (a text file, an encrypted or legacy OLE file), damaged or truncated,
        too large once uncompressed, or with XML declarations (DTD/entities) that could
        expand or reach outside the file; two sheets whose names differ only in case or
        blanks.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import pandas as pd
    >>> path = Path(tempfile.mkdtemp()) / "study.xlsx"
    >>> pd.DataFrame({"subject_id": ["S01"], "arm": ["A"]}).to_excel(
    ...     path, sheet_name="subjects", index=False
    ... )
    >>> book = Workbook(path)
    >>> book.sheet_names, book.hidden
    (['subjects'], [])
    >>> book.sheet("subjects").frame.to_dict("records")
    [{'subject_id': 'S01', 'arm': 'A'}]
    """

    def __init__(
        self, path: Path, *, max_uncompressed: int = MAX_UNCOMPRESSED, max_part: int = MAX_PART
    ) -> None:
        self.path = path
        _refuse_non_zip(path)
        self._found = _scan_zip(path, max_uncompressed, max_part)
        names = _calamine_names(path)
        states = self._found.states
        self.hidden = [n for n in names if states.get(n, "visible") != "visible"]
        self.sheet_names = [n for n in names if n not in self.hidden]
        _refuse_folded_twins(path, names)

    def sheet(self, name: str, *, identifiers: Collection[str] = ()) -> Sheet:
        """The sheet ``name`` with its header found and rows labelled by sheet row number.

        ``identifiers`` (folded header names) add to :data:`IDENTIFIER_HEADERS`: the columns
        whose vertically merged cells are read as the merged value on every row.
        """
        rows = _sheet_rows(self.path, name)
        part = self._found.parts.get(name, "").lower()
        formulas = self._found.formulas.get(part, [])
        merges = self._found.merges.get(part, [])
        _put_error_cells(rows, self._found.errors.get(part, []))
        return _sheet_from_rows(
            rows, self.path, name, formulas, merges, {*IDENTIFIER_HEADERS, *identifiers}
        )


@dataclass
class _Found:
    """What the scan of a workbook's zip found, sheet parts keyed by lower-case part name."""

    parts: dict[str, str] = field(default_factory=dict)  # sheet name -> part
    states: dict[str, str] = field(default_factory=dict)  # sheet name -> visible/hidden/...
    formulas: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    merges: dict[str, list[str]] = field(default_factory=dict)
    #: spreadsheet error cells (reference, shown text) of the parts that have any
    errors: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _refuse_non_zip(path: Path) -> None:
    """A clear reason for the common files that are named .xlsx but are not a workbook."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise input_error(path, f"cannot open the file: {exc.strerror or exc}") from None
    if not head:
        raise input_error(path, "the file is empty", check=Reason.EMPTY_FILE)
    if head.startswith(_OLE):
        raise input_error(
            path,
            "not a readable xlsx workbook: this is an encrypted (password-protected) workbook "
            "or an old .xls file; remove the password or save it as .xlsx (Excel Workbook)",
        )
    if head.startswith(b"PK"):
        return
    try:
        detect_encoding(head)
        text = True
    except ValueError:
        text = False
    if text:
        raise input_error(
            path,
            "not a readable xlsx workbook: this is a text file; give it a .csv (or .txt) name",
        )
    raise input_error(path, "not a readable xlsx workbook (the file is not a zip archive)")


def _refuse_folded_twins(path: Path, names: list[str]) -> None:
    """Two sheets whose names differ only in case or blanks: which one is meant is unclear."""
    seen: dict[str, str] = {}
    found = Failures(file=str(path), unique=False)
    for name in names:
        key = " ".join(name.split()).lower()
        if key in seen:
            found.add(
                Reason.UNREADABLE_FILE,
                f"sheets {seen[key]!r} and {name!r} differ only in case or blanks; rename or "
                "delete one of them",
                value=name,
            )
        else:
            seen[key] = name
    if len(found):
        raise found.error(str(path))


def _scan_zip(path: Path, bound: int, part_bound: int) -> _Found:
    found = _Found()
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            total = sum(i.file_size for i in infos)
            if total > bound:
                raise input_error(
                    path,
                    f"the workbook uncompresses to more than its bound of {bound:,} bytes "
                    f"({total:,} bytes); refusing to read it",
                    value=total,
                )
            names = [i.filename.lower() for i in infos]
            if len(set(names)) < len(names):
                twice = sorted({n for n in names if names.count(n) > 1})
                raise input_error(path, f"the zip holds two parts named {twice[0]}; damaged file")
            for info in infos:  # the directory's sizes first: refuse before inflating anything
                if info.filename.lower().endswith((".xml", ".rels", ".vml", ".bin")):
                    _check_part_size(path, info, part_bound)
            found.parts, found.states = _sheet_parts(zf, path, part_bound)
            sheet_parts = {p.lower() for p in found.parts.values()}
            budget = bound
            for info in infos:
                if info.filename.endswith((".xml", ".rels", ".vml")) or info.filename.lower() in (
                    sheet_parts
                ):
                    budget -= _scan_part(zf, info, path, budget, part_bound, sheet_parts, found)
            return found
    except InputError:
        raise
    except Exception as exc:  # zipfile, zlib and XML parsers raise many types on bad bytes
        raise input_error(
            path,
            f"not a readable xlsx workbook (damaged or truncated): {exc}",
        ) from None


def _is_sheet_part(name: str, sheet_parts: set[str]) -> bool:
    low = name.lower()
    return low in sheet_parts or low.startswith(("xl/worksheets/", "xl/macrosheets/"))


def _check_part_size(path: Path, info: zipfile.ZipInfo, part_bound: int) -> None:
    if info.file_size > part_bound:
        raise input_error(
            path,
            f"part {info.filename} uncompresses to {info.file_size:,} bytes (from "
            f"{info.compress_size:,} compressed), more than the bound of {part_bound:,} bytes "
            "per part; refusing to read it (raise the bound with max_part= if the sheet is "
            "really that large)",
            value=info.filename,
        )


#: Encodings of XML parts whose bytes keep ASCII's ``<!DOCTYPE`` as is.
_ASCII_SAFE = re.compile(r"(utf-?8|us-ascii|ascii|iso-8859-\d+|latin-?1|windows-125\d|cp125\d)$")
_DECLARED = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def _part_encoding(head: bytes, name: str, path: Path) -> str | None:
    """The codec to decode a part with before scanning it; None when its bytes are ASCII-safe."""
    for bom, enc in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, None),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if head.startswith(bom):
            return enc
    for start, enc in (
        (b"\x00\x00\x00<", "utf-32-be"),
        (b"<\x00\x00\x00", "utf-32-le"),
        (b"\x00<\x00?", "utf-16-be"),
        (b"<\x00?\x00", "utf-16-le"),
    ):
        if head.startswith(start):
            return enc
    declared = _DECLARED.match(head)
    if declared and not _ASCII_SAFE.match(declared.group(1).decode("ascii").lower()):
        raise input_error(
            path,
            f"{name} declares the encoding {declared.group(1).decode('ascii')!r}; aegrade reads "
            "workbook XML in UTF-8, UTF-16 or UTF-32 only",
            value=declared.group(1).decode("ascii"),
        )
    return None


@dataclass
class _SheetScan:
    """What a sheet part's chunks show, by byte counts and regexes (no Python step per cell)."""

    formula: bool = False
    error: bool = False
    last_row: int = 0
    cells: int = 0
    columns: set[bytes] = field(default_factory=set)
    merges: set[bytes] = field(default_factory=set)

    def feed(self, chunk: bytes, window: bytes) -> None:
        if not self.formula and _FORMULA.search(window):
            self.formula = True
        if not self.error and _ERROR_CELL.search(window):
            self.error = True
        self.cells += chunk.count(b"<c ") + chunk.count(b":c ")
        self.columns.update(_WIDE_COLUMN.findall(window))
        at = window.rfind(b"row ")  # rows are written in order: the last one
        if at >= 0 and (m := _ROW_NUMBER.search(window, max(at - 4, 0))):
            self.last_row = max(self.last_row, int(m.group(1)))
        if b"mergeCell" in window:  # a fast find first: the regex only then
            self.merges.update(_MERGE.findall(window))

    def check_area(self, path: Path, name: str) -> None:
        if not self.columns:  # without a column past Z the area stays far below the bound
            return
        letters = max(self.columns, key=_column_number)
        area = self.last_row * _column_number(letters)
        if area > max(_MAX_SHEET_AREA, 20 * self.cells):
            raise input_error(
                path,
                f"{name} reaches cell {letters.decode()}{self.last_row}: reading it would "
                f"take {area:,} cells for about {self.cells:,} values; refusing to read it "
                "(delete the stray cells far from the data, or save only the data range)",
            )


def _scan_part(
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    path: Path,
    budget: int,
    part_bound: int,
    sheet_parts: set[str],
    found: _Found,
) -> int:
    sheet = _SheetScan() if _is_sheet_part(info.filename, sheet_parts) else None
    seen, tail = 0, b""
    decoder = None
    bound = min(budget, part_bound)
    with zf.open(info) as part:
        while raw := part.read(1 << 20):
            seen += len(raw)
            if seen > bound:
                raise input_error(
                    path,
                    f"part {info.filename} uncompresses to more than {bound:,} bytes (the zip "
                    f"directory said {info.file_size:,}); refusing to read it",
                    value=info.filename,
                )
            if seen == len(raw):  # the first chunk: which encoding the part is in
                enc = _part_encoding(raw[:256], info.filename, path)
                decoder = codecs.getincrementaldecoder(enc)("replace") if enc else None
            chunk = decoder.decode(raw).encode("utf-8") if decoder else raw
            window = tail + chunk
            if any(d in window for d in _DTD):
                raise input_error(
                    path,
                    f"{info.filename} declares a DTD or XML entities; "
                    "refusing to read it (possible XML attack)",
                    value=info.filename,
                )
            if sheet is not None:
                sheet.feed(chunk, window)
            tail = window[-64:]
    if sheet is not None:
        sheet.check_area(path, info.filename)
        key = info.filename.lower()
        if sheet.merges:
            found.merges[key] = sorted(m.decode("ascii") for m in sheet.merges)
        if sheet.error:  # issue 10: calamine reads error cells as empty; read them back
            found.errors[key] = _typed_cells(zf, info, "e")
        if sheet.formula:
            found.formulas[key] = _formula_cells(zf, info)
    return seen


def _typed_cells(zf: zipfile.ZipFile, info: zipfile.ZipInfo, kind: str) -> list[tuple[str, str]]:
    from defusedxml.ElementTree import iterparse

    found: list[tuple[str, str]] = []
    with zf.open(info) as part:
        for _, elem in iterparse(part, events=("end",)):
            if elem.tag.rsplit("}", 1)[-1] == "c" and elem.get("t") == kind:
                v = next((ch for ch in elem if ch.tag.rsplit("}", 1)[-1] == "v"), None)
                found.append((elem.get("r", ""), (v.text if v is not None else None) or "#ERROR"))
            if elem.tag.rsplit("}", 1)[-1] == "row":
                elem.clear()
    return found


def _put_error_cells(rows: CellRows, cells: list[tuple[str, str]]) -> None:
    """The error text put back into the cells calamine left empty (A1-based references)."""
    for ref, text in cells:
        m = re.match(r"([A-Z]+)(\d+)$", ref)
        if not m:
            continue
        r, c = int(m.group(2)) - 1, _column_number(m.group(1).encode()) - 1
        row = rows[r] if r < len(rows) else None
        if isinstance(row, list) and c < len(row) and row[c] in ("", None):
            row[c] = text


def _column_number(letters: bytes) -> int:
    """Spreadsheet column letters -> 1-based number (``b"A"`` 1, ``b"XFD"`` 16384)."""
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _formula_cells(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int = 20
) -> list[tuple[str, str]]:
    from defusedxml.ElementTree import iterparse

    found: list[tuple[str, str]] = []
    with zf.open(info) as part:
        for _, elem in iterparse(part, events=("end",)):
            if elem.tag.rsplit("}", 1)[-1] != "c":
                continue
            f = next((ch for ch in elem if ch.tag.rsplit("}", 1)[-1] == "f"), None)
            if f is not None:
                found.append((elem.get("r", "?"), f.text or "(shared formula)"))
                if len(found) >= limit:
                    break
            elem.clear()
    return found


def _sheet_parts(
    zf: zipfile.ZipFile, path: Path, part_bound: int
) -> tuple[dict[str, str], dict[str, str]]:
    """Sheet name -> its part (as named in the zip), and sheet name -> its state (visible,
    hidden, veryHidden), from workbook.xml and its relationships, whatever the parts' names."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    by_lower = {i.filename.lower(): i for i in zf.infolist()}
    book_info = by_lower.get("xl/workbook.xml")
    rels_info = by_lower.get("xl/_rels/workbook.xml.rels")
    if book_info is None or rels_info is None:
        return {}, {}
    try:
        book = fromstring(zf.read(book_info), forbid_dtd=True)
        rels = fromstring(zf.read(rels_info), forbid_dtd=True)
    except DefusedXmlException:
        raise input_error(
            path,
            "xl/workbook.xml declares a DTD or XML entities; refusing to read it "
            "(possible XML attack)",
        ) from None
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    parts: dict[str, str] = {}
    states: dict[str, str] = {}
    for el in book.iter():
        if el.tag.rsplit("}", 1)[-1] != "sheet":
            continue
        rid = next((v for k, v in el.attrib.items() if k.endswith("}id")), None)
        target = targets.get(rid, "").replace("\\", "/")
        joined = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
        name = el.get("name", "")
        parts[name] = getattr(by_lower.get(posixpath.normpath(joined).lower()), "filename", "")
        states[name] = el.get("state", "visible")
    return parts, states


def _calamine_names(path: Path) -> list[str]:
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:  # pragma: no cover - calamine is a dependency; openpyxl is the fallback
        return list(_openpyxl_book(path).sheetnames)
    try:
        return list(CalamineWorkbook.from_path(str(path)).sheet_names)
    except Exception as exc:  # calamine's errors have no common base beyond Exception
        raise input_error(path, f"not a readable xlsx workbook: {exc}") from None


def _openpyxl_book(path: Path) -> openpyxl.Workbook:
    import openpyxl  # uses defusedxml when it is installed

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise input_error(path, f"not a readable xlsx workbook: {exc}") from None


def _sheet_rows(path: Path, name: str) -> CellRows:
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:  # pragma: no cover - see _calamine_names
        return _openpyxl_rows(path, name)
    try:
        wb = CalamineWorkbook.from_path(str(path))
        return wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except Exception as exc:  # calamine's errors have no common base beyond Exception
        try:
            return _openpyxl_rows(path, name)
        except Exception:  # the fallback fails on the same damage; report calamine's reason
            raise input_error(path, f"cannot read sheet {name!r}: {exc}", sheet=name) from None


def _openpyxl_rows(path: Path, name: str) -> CellRows:
    """The sheet's cell values by openpyxl (empty cells as ""), the fallback reader."""
    ws = _openpyxl_book(path)[name]
    return [["" if v is None else v for v in row] for row in ws.iter_rows(values_only=True)]


def _header_index(rows: CellRows) -> int | None:
    """The header row: the first of the first 20 rows with two or more filled cells (title
    rows above it are skipped), else the first non-empty row."""
    first = None
    for i, row in enumerate(rows[:20]):
        filled = sum(1 for v in row if v != "" and v is not None)
        if filled >= 2:
            return i
        if filled and first is None:
            first = i
    if first is not None:
        return first
    return next((i for i, r in enumerate(rows) if any(v != "" and v is not None for v in r)), None)


def _sheet_from_rows(
    rows: CellRows,
    path: Path,
    name: str,
    formulas: list[tuple[str, str]],
    merges: Sequence[str] = (),
    identifiers: Collection[str] = IDENTIFIER_HEADERS,
) -> Sheet:
    h = _header_index(rows)
    if h is None:
        return Sheet(pd.DataFrame(), str(path), name, np.array([], dtype=np.int64))
    width = max(len(r) for r in rows)
    header = list(rows[h]) + [""] * (width - len(rows[h]))
    body = rows[h + 1 :]
    columns = {i: _typed([r[i] if i < len(r) else "" for r in body]) for i in range(width)}
    frame = pd.DataFrame(columns, index=pd.RangeIndex(len(body)))
    if merges:
        frame = _unmerged(frame, merges, header, h + 1, path, name, identifiers)
    frame = _named_columns(frame, header, path, name, header_row=h + 1)
    if formulas:
        raise _formula_error(formulas, path, name, header)
    return _without_blank_rows(Sheet(frame, str(path), name, np.arange(len(body)) + h + 2))


_CELL_REF = re.compile(r"([A-Z]{1,3})([0-9]{1,7})")


def _unmerged(
    frame: pd.DataFrame,
    merges: Sequence[str],
    header: list[object],
    header_row: int,
    path: Path,
    name: str,
    identifiers: Collection[str],
) -> pd.DataFrame:
    """Merged ranges below the header: a vertical block in an identifier column (a subject
    id written once beside its rows) gives every row the merged value; any other merged range
    is an input error naming it (which row would its value belong to?)."""
    found = Failures(file=str(path), sheet=name, unique=False)
    folded = {" ".join(str(k).split()).lower() for k in identifiers}
    for ref in merges:
        corners = _CELL_REF.findall(ref)
        if len(corners) != 2:
            continue
        (c1, r1), (c2, r2) = ((_column_number(c.encode()) - 1, int(r)) for c, r in corners)
        if r2 <= header_row:  # a merged title or header cell: not data
            continue
        label = str(header[c1]).strip() if c1 < len(header) else ""
        if (
            c1 == c2
            and r1 > header_row
            and c1 < frame.shape[1]
            and " ".join(label.split()).lower() in folded
        ):
            top, bottom = r1 - header_row - 1, min(r2 - header_row, len(frame))
            values = frame.iloc[:, c1].to_numpy(dtype=object, copy=True)
            values[top:bottom] = values[top]
            frame.isetitem(c1, pd.Series(values).infer_objects().to_numpy())
            continue
        found.add(
            Reason.UNREADABLE_FILE,
            f"cells {ref} are merged; aegrade reads one value per cell (merged cells are read "
            f"only down an identifier column such as subject_id): unmerge them and fill in "
            "each cell",
            row=max(r1, header_row),
            column=label or column_letter(c1),
            value=ref,
        )
    if len(found):
        raise found.error()
    return frame


def _typed(values: list[object]) -> pd.Series:
    """A column of cell values: numbers as float, text as str, dates as datetime."""
    s = pd.Series(values, dtype=object)
    s = s.where(s.map(lambda v: not (isinstance(v, str) and v.strip() == "")), None)
    kinds = set(s.dropna().map(type))
    if kinds and kinds <= {int, float}:
        return pd.to_numeric(s).astype(float)
    return s.infer_objects() if kinds and len(kinds) == 1 and str not in kinds else s


def _formula_error(
    formulas: list[tuple[str, str]], path: Path, name: str, header: list[object]
) -> InputError:
    found = Failures(file=str(path), sheet=name, unique=False)  # one row per cell
    for ref, text in formulas:
        m = re.match(r"([A-Z]+)(\d+)", ref)
        col, row = (m.group(1), int(m.group(2))) if m else (ref, None)
        pos = sum((ord(c) - 64) * 26**k for k, c in enumerate(reversed(col))) - 1 if m else -1
        label = str(header[pos]).strip() if 0 <= pos < len(header) and header[pos] != "" else col
        found.add(
            Reason.FORMULA_CELL,
            f"cell {ref} holds a formula (={text}); aegrade reads values "
            "only: replace formulas with their values",
            row=row,
            column=label,
            value=f"={text}",
        )
    return found.error()


# --------------------------------------------------------------------------- parquet, xpt


def read_parquet(path: Path) -> Sheet:
    """Read a Parquet file; rows are labelled 2.. like a spreadsheet under its header.

    Parameters
    ----------
    path
        A Parquet file.

    Returns
    -------
    Sheet

    Raises
    ------
    InputError
        The file cannot be read as Parquet.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import pandas as pd
    >>> path = Path(tempfile.mkdtemp()) / "obs.parquet"
    >>> pd.DataFrame({"subject_id": ["S01"], "value": [1.5]}).to_parquet(path)
    >>> sheet = read_parquet(path)
    >>> sheet.frame.shape, sheet.rows
    ((1, 2), array([2]))
    """
    try:
        schema = pq.read_schema(path)
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises many unrelated types for damaged files
        raise input_error(path, f"not a readable Parquet file: {exc}") from None
    nested = [f for f in schema if pa.types.is_nested(f.type)]
    if nested:
        found = Failures(file=str(path), unique=False)
        for f in nested:
            found.add(
                Reason.UNREADABLE_FILE,
                f"column {f.name!r} holds nested values ({f.type}); aegrade reads columns of "
                "numbers, text or dates",
                column=f.name,
            )
        raise found.error(str(path))
    return Sheet(frame.reset_index(drop=True), str(path), None, np.arange(len(frame)) + 2)


def read_xpt(path: Path) -> Sheet:
    """Read a SAS transport file (SDTM's delivery format); text is decoded UTF-8, else latin-1.

    Rows are labelled 2.. (record n is row n + 1), as for the other table files.

    Parameters
    ----------
    path
        A SAS transport (XPORT) file.

    Returns
    -------
    Sheet

    Raises
    ------
    InputError
        The file cannot be read as SAS transport.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "dm.xpt"
    >>> _ = path.write_bytes(b"not a transport file")
    >>> read_xpt(path)
    Traceback (most recent call last):
    ...
    aegrade.errors.InputError: ...
    """
    try:
        frame = pd.read_sas(path, format="xport", encoding=None)
    except Exception as exc:  # pandas' SAS reader raises many types for damaged files
        raise input_error(path, f"not a readable SAS transport (.xpt) file: {exc}") from None
    if not isinstance(frame, pd.DataFrame):  # pragma: no cover - iterator only with chunksize
        raise input_error(path, "not a readable SAS transport (.xpt) file")
    for col in frame.columns:
        if frame[col].dtype == object:
            frame[col] = frame[col].map(_decode)
    return Sheet(frame, str(path), None, np.arange(len(frame)) + 2)


def _decode(v: object) -> object:
    if isinstance(v, bytes):
        try:
            text = v.decode("utf-8")
        except UnicodeDecodeError:
            text = v.decode("latin-1")
        return text.strip() or None
    return v
