"""Fast writers for large results: CSV by pyarrow's kernels, xlsx built as sheet XML.

Both take a frame that is already neutralised (:mod:`aegrade.write.neutralize`) and write what
the pandas writers wrote before them (issue 15 point 2):

- :func:`write_csv` gives the same bytes as ``frame.to_csv(path, index=False)``: every column
  is turned into the text pandas writes (``2.0`` for a float, ``True`` for a flag, an empty
  field for a missing value) with numpy, and pyarrow's compute kernels quote the cells pandas
  quotes and join them into lines. A column of another kind (dates, objects other than text)
  or a one-column frame is written by pandas, so the bytes never differ.
- :func:`write_xlsx` writes the cells ``DataFrame.to_excel`` writes: numbers as numbers,
  flags as booleans, text as text (never read as a formula or a link), missing values as
  empty cells, timestamps with pandas' number format, and the header row frozen in place.
  Each sheet's XML is built a block of rows at a time by pyarrow's string kernels
  (:mod:`aegrade.write.xlsx_fast`: the cells xlsxwriter's constant-memory mode wrote, about
  ten times faster); a column of a kind that module leaves out is written, with the whole
  workbook, cell by cell by xlsxwriter.
"""

from __future__ import annotations

import csv
import io
from collections import deque
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["write_csv", "write_xlsx"]


def _quoted_by_csv() -> str:
    """The characters Python's csv writer (as pandas sets it up) quotes a field for: probed,
    as they differ between Python versions (a carriage return is quoted from 3.12 on)."""
    found = ""
    for ch in ',"\r\n':
        line = io.StringIO()
        csv.writer(line, lineterminator="\n").writerow([f"a{ch}b", "c"])
        if line.getvalue().startswith('"'):
            found += ch
    return found


#: Characters that make a csv field quoted.
_QUOTE_CHARS = _quoted_by_csv()

#: Rows joined into lines at a time (bounded memory for any length of table). A few MB of
#: text per block: the allocator hands the same pages back block after block, where blocks
#: of 262,144 rows (60 MB of lines) took fresh pages each time, 1.5-2x slower in all.
_CHUNK_ROWS = 16_384


#: One column's csv text: the words and, for a categorical column, the code of each row into
#: them (-1: missing); without codes, the words are the rows' (None or "": missing).
_Text = tuple[np.ndarray | pa.Array, np.ndarray | None]


def _csv_columns(frame: pd.DataFrame) -> list[_Text] | None:
    """Each column as the text ``DataFrame.to_csv`` writes for it before quoting, or None when
    a column is of a kind left to pandas."""
    out: list[_Text] = []
    for _, s in frame.items():
        text = _column_text(s)
        if text is None:
            return None
        out.append(text)
    return out


def _column_text(s: pd.Series) -> _Text | None:
    """The text of one column as pandas' csv writer gives it; None for a kind not handled
    (dates, durations, objects other than text, non-text categories)."""
    dtype = s.dtype
    missing = s.isna().to_numpy(bool)
    if isinstance(dtype, np.dtype):
        return _numpy_text(s.to_numpy(), missing)
    if isinstance(dtype, pd.CategoricalDtype):
        cats = dtype.categories
        if pd.api.types.infer_dtype(cats, skipna=True) not in ("string", "empty"):
            return None
        return np.asarray(cats.to_numpy(object), dtype=object), s.cat.codes.to_numpy()
    if isinstance(dtype, pd.Int64Dtype | pd.Int32Dtype | pd.Int16Dtype | pd.Int8Dtype):
        return _int_text(s.to_numpy(np.int64, na_value=0), missing), None
    if isinstance(dtype, pd.BooleanDtype):
        return _flag_text(s.to_numpy(bool, na_value=False), missing), None
    if isinstance(dtype, pd.Float64Dtype):
        return _float_text(s.to_numpy(np.float64, na_value=np.nan), missing), None
    if isinstance(dtype, pd.StringDtype):  # text held by Arrow (or Python): no objects made
        arrow = pa.array(s.array)
        if isinstance(arrow, pa.ChunkedArray):
            arrow = arrow.combine_chunks()
        return _quoted(pc.cast(arrow, pa.large_string()), quote=True), None
    if pd.api.types.is_string_dtype(dtype):
        if pd.api.types.infer_dtype(s, skipna=True) not in ("string", "empty"):
            return None
        return _objects(s, missing), None
    return None


def _numpy_text(values: np.ndarray, missing: np.ndarray) -> _Text | None:
    """The text of a numpy column (:func:`_column_text`): numbers, flags and text objects."""
    kind = values.dtype.kind
    if values.dtype == np.float64:
        return _floats(values, missing)
    if kind in "iu":
        return _int_text(values.astype(np.int64) if kind == "i" else values, None), None
    if kind == "b":
        return _flag_text(values, None), None
    if kind == "f":  # numpy's text (a str array, no Python objects) of a narrower float
        return np.where(missing, "", values.astype(str)), None
    if kind == "O":
        cells = pd.Series(values, copy=False)
        if pd.api.types.infer_dtype(cells, skipna=True) not in ("string", "empty"):
            return None
        return _objects(cells, missing), None
    return None


def _int_text(values: np.ndarray, missing: np.ndarray | None) -> pa.Array:
    """Integers as ``str(int)`` (Arrow's cast spells them alike), missing cells empty."""
    text = pc.cast(pa.array(values, mask=missing), pa.large_string())
    return pc.fill_null(text, "") if missing is not None and missing.any() else text


def _flag_text(values: np.ndarray, missing: np.ndarray | None) -> pa.Array:
    """Flags as Python spells them (``True``, ``False``), missing cells empty."""
    text = pc.if_else(pa.array(values), _text("True"), _text("False"))
    return pc.if_else(pa.array(missing), _text(""), text) if missing is not None else text


#: A float column with at most this share of distinct values is spelt value by value.
_FEW = 0.25


def _floats(values: np.ndarray, missing: np.ndarray) -> _Text:
    """A float64 column's text: a column of few distinct values (days, reference limits) as
    the text of each distinct value and each row's code into them, spelt once each by
    :func:`_float_text`; any other column cell by cell. A column holding -0.0, which
    factorize joins with 0.0, is always spelt cell by cell."""
    if len(values) >= 64 and not (np.signbit(values) & (values == 0)).any():
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        if len(uniques) <= _FEW * len(values):
            distinct = np.asarray(uniques, dtype=np.float64)
            return _float_text(distinct, np.zeros(len(distinct), bool)), codes
    return _float_text(values, missing), None


def _float_text(values: np.ndarray, missing: np.ndarray) -> pa.Array:
    """Floats as Python's ``repr`` (what pandas writes), by pyarrow's cast where it spells
    the same digits: between 1e-4 and 1e16 (and zero) both write the shortest round-trip
    digits positionally, and Python adds ``.0`` to a whole number. Every other cell (an
    exponent on either side, infinities) is spelt by numpy's ``astype(str)``, which is
    Python's ``repr``."""
    text = pc.cast(pa.array(values), pa.large_string())
    size = np.abs(values)
    with np.errstate(invalid="ignore"):
        plain = (size == 0) | ((size >= 1e-4) & (size < 1e16))
    plain &= ~pc.match_substring(text, "e").to_numpy(zero_copy_only=False)
    whole = plain & ~pc.match_substring(text, ".").to_numpy(zero_copy_only=False)
    if whole.any():
        text = pc.if_else(whole, pc.binary_join_element_wise(text, _text(".0"), _text("")), text)
    other = ~plain & ~missing
    if other.any():
        text = pc.replace_with_mask(
            text, pa.array(other), pa.array(values[other].astype(str), pa.large_string())
        )
    if missing.any():
        text = pc.if_else(missing, _text(""), text)
    return text


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """Write ``frame`` as ``frame.to_csv(path, index=False)`` does, byte for byte.

    Each column is turned into the text pandas writes (numbers by numpy's ``astype(str)``,
    which spells a float as Python's ``repr`` does; a categorical column by its words);
    pyarrow's compute kernels quote the cells pandas quotes (a comma, double quote or line
    break inside: the cell in double quotes, its quotes doubled) and join the cells into
    lines, which are written as they are, a chunk of rows at a time. A one-column or empty
    frame, or one with a column of another kind, is written by pandas.

    Parameters
    ----------
    frame
        A neutralised table.
    path
        The file to write.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "t.csv"
    >>> frame = pd.DataFrame({"term": ["Anemia", 'say "a, b"', None], "grade": [2.0, 1.0, None]})
    >>> write_csv(frame, path)
    >>> path.read_text() == frame.to_csv(index=False)
    True
    """
    columns = _csv_columns(frame) if frame.shape[1] > 1 and len(frame) else None
    if columns is None:
        frame.to_csv(path, index=False)
        return
    # a categorical column's words are quoted once, then taken by each row's code
    columns = [(w, None) if c is None else (_quoted(w), c) for w, c in columns]
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow([str(c) for c in frame.columns])
    starts = range(0, len(frame), _CHUNK_ROWS)
    with open(path, "wb") as out, _Writes(out, ahead=len(starts) > 1) as writes:
        writes.put(header.getvalue().encode("utf-8"))
        for start in starts:
            cells = [
                _quoted(words[start : start + _CHUNK_ROWS])
                if codes is None
                else pc.fill_null(pc.take(words, _codes(codes[start : start + _CHUNK_ROWS])), "")
                for words, codes in columns
            ]
            # the line break joined to the last cell, not to each whole line
            cells[-1] = pc.binary_join_element_wise(cells[-1], _text("\n"), _text(""))
            writes.put(_text_bytes(pc.binary_join_element_wise(*cells, _text(","))))


class _Writes:
    """A file's blocks written in order on a thread of their own while the caller makes the
    next ones (``ahead``; else each is written at once): the kernel's copy of 240 MB of text
    into a new file took 0.4 s of the 1M-row csv output here, beside 0.3 s of pyarrow's
    kernels making the lines, both outside the interpreter lock. At most
    :data:`_WRITES_AHEAD` blocks wait (bounded memory); a failed write is raised by the
    next :meth:`put` or on leaving, after every write given has ended (the file is closed
    only then)."""

    def __init__(self, out: BinaryIO, *, ahead: bool) -> None:
        self._out = out
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="aegrade-csv") if ahead else None
        self._pending: deque[Future[None]] = deque()
        self._failed = False

    def put(self, block: bytes | memoryview) -> None:
        if self._pool is None:
            self._out.write(block)
            return
        while len(self._pending) >= _WRITES_AHEAD:
            self._pending.popleft().result()
        # the block's memory is the lines' Arrow buffer, alive in the job's arguments
        self._pending.append(self._pool.submit(self._write, block))

    def _write(self, block: bytes | memoryview) -> None:
        if self._failed:  # no block after a failed one
            return
        try:
            self._out.write(block)
        except BaseException:
            self._failed = True
            raise

    def __enter__(self) -> _Writes:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        if self._pool is None:
            return
        self._pool.shutdown(wait=True)  # every write ended before the file is closed
        if kind is None:  # else the caller's own error goes on
            for job in self._pending:
                job.result()  # the first failed write, once the blocks were all made


#: Blocks of lines made but not yet written, at most.
_WRITES_AHEAD = 2


def _quoted(text: np.ndarray | pa.Array, *, quote: bool = False) -> pa.Array:
    """Cells as csv fields: empty for a missing value, quoted where pandas quotes. An Arrow
    array is already fields (numbers, flags: never quoted; words quoted once) unless
    ``quote``."""
    if isinstance(text, pa.Array) and not quote:
        return text
    cells = (
        text
        if isinstance(text, pa.Array)
        else pa.array(text, type=pa.large_string(), from_pandas=True)
    )
    if cells.null_count:
        cells = pc.fill_null(cells, "")
    if not _any_quote_char(cells):  # the usual column: one scan of its bytes, no cell test
        return cells
    quote = pc.match_substring_regex(cells, "[" + _QUOTE_CHARS.replace("\r", "\\r") + "]")
    if not pc.any(quote).as_py():
        return cells
    escaped = pc.replace_substring(cells, '"', '""')
    wrapped = pc.binary_join_element_wise(_text('"'), escaped, _text('"'), _text(""))
    return pc.if_else(quote, wrapped, cells)


def _any_quote_char(cells: pa.Array) -> bool:
    """Whether any cell holds a character that makes a field quoted: a search of the
    cells' bytes back to back (the characters are ASCII, so a byte is never part of another
    character)."""
    data = bytes(_text_bytes(cells))
    return any(ch.encode() in data for ch in _QUOTE_CHARS)


def _codes(codes: np.ndarray) -> pa.Array:
    """Category codes as take() indices, null where missing (-1)."""
    return pa.array(codes.astype(np.int64), mask=codes < 0)


def _text(value: str) -> pa.Scalar:
    return pa.scalar(value, type=pa.large_string())


def _text_bytes(text: pa.Array) -> memoryview:
    """The bytes of a large_string array's values back to back (no nulls)."""
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    _, offsets, data = text.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int64)[text.offset : text.offset + len(text) + 1]
    return memoryview(data)[int(bounds[0]) : int(bounds[-1])]


#: The number format pandas gives a timestamp cell.
_DATETIME_FORMAT = "YYYY-MM-DD HH:MM:SS"


def write_workbook(
    sheets: Mapping[str, pd.DataFrame],
    target: io.BytesIO | str | Path,
    frozen: set[str] | frozenset[str] = frozenset(),
) -> bool:
    """:func:`aegrade.write.xlsx_fast.write_workbook`, imported when a workbook is written
    (its XML helpers are no part of a csv or Parquet run)."""
    from aegrade.write.xlsx_fast import write_workbook as direct

    return direct(sheets, target, frozen)


def write_xlsx(
    tables: Mapping[str, pd.DataFrame],
    target: io.BytesIO | str | Path,
    about: Mapping[str, str] | None = None,
) -> None:
    """Write tables as sheets of one workbook (memory bounded by a block of rows).

    Parameters
    ----------
    tables
        Sheet name (cut to Excel's 31 characters) -> neutralised frame.
    target
        A path or a binary buffer.
    about
        Key/value rows of a last ``about`` sheet (neutralised by the caller).

    Examples
    --------
    >>> import openpyxl
    >>> book = io.BytesIO()
    >>> write_xlsx({"t": pd.DataFrame({"term": ["Anemia"], "grade": [3]})}, book)
    >>> ws = openpyxl.load_workbook(book)["t"]
    >>> [(c.value, c.data_type) for c in ws[2]], ws.freeze_panes
    ([('Anemia', 's'), (3, 'n')], 'A2')
    """
    sheets = {name[:31]: frame for name, frame in tables.items()}
    if about:
        sheets["about"] = pd.DataFrame({"key": list(about), "value": list(about.values())})
    if write_workbook(sheets, target, frozen={name[:31] for name in tables}):
        return
    import xlsxwriter

    options = {
        "constant_memory": True,
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
    }
    book = xlsxwriter.Workbook(target, options)
    try:
        for name, frame in tables.items():
            ws = book.add_worksheet(name[:31])
            _write_sheet(book, ws, frame)
            ws.freeze_panes(1, 0)
        if about:
            frame = pd.DataFrame({"key": list(about), "value": list(about.values())})
            _write_sheet(book, book.add_worksheet("about"), frame)
    finally:
        book.close()


def _write_sheet(book: Any, ws: Any, frame: pd.DataFrame) -> None:
    """Header row, then every row: each column's cells converted once (vectorised) and each
    column's xlsxwriter call chosen once; the cells themselves are written one by one, which
    is what an xlsx writer does."""
    for j, col in enumerate(frame.columns):
        ws.write_string(0, j, str(col))
    columns: list[list[Any]] = []
    methods: list[Any] = []
    formats: list[Any] = []
    for _, s in frame.items():
        cells, kind = _excel_cells(s)
        columns.append(cells)
        methods.append(
            {
                "number": ws.write_number,
                "string": ws.write_string,
                "boolean": ws.write_boolean,
                "datetime": ws.write_datetime,
            }.get(kind, ws.write)
        )
        formats.append(
            book.add_format({"num_format": _DATETIME_FORMAT}) if kind == "datetime" else None
        )
    for i, row in enumerate(zip(*columns, strict=True), start=1):
        for j, value in enumerate(row):
            if value is not None:
                methods[j](i, j, value, formats[j])


def _objects(s: pd.Series, missing: np.ndarray) -> np.ndarray:
    """A column's values as Python objects, None where missing (a new, writable array)."""
    out = np.array(s.astype(object).to_numpy(), dtype=object)
    out[missing] = None
    return out


def _excel_cells(s: pd.Series) -> tuple[list[Any], str]:
    """A column's cells as Python values (None: an empty cell) and the kind of its cells:
    ``number``, ``boolean``, ``string``, ``datetime`` or ``mixed`` (each cell by its type).
    As ``DataFrame.to_excel``: infinities are the text ``inf`` and ``-inf``, every timestamp
    takes the date-time format."""
    missing = s.isna().to_numpy(bool)
    dtype = s.dtype
    kind = "mixed"
    if isinstance(dtype, np.dtype | pd.DatetimeTZDtype) and dtype.kind == "M":
        naive = s.dt.tz_localize(None) if isinstance(dtype, pd.DatetimeTZDtype) else s
        values = np.asarray(naive.dt.to_pydatetime(), dtype=object)
        kind = "datetime"
    elif isinstance(dtype, np.dtype) and dtype.kind == "b":
        values, kind = s.to_numpy().astype(object), "boolean"
    elif isinstance(dtype, np.dtype) and dtype.kind in "fiu":
        numbers = s.to_numpy()
        values, kind = numbers.astype(object), "number"
        if dtype.kind == "f":
            infinite = np.isinf(numbers)
            if infinite.any():
                values[infinite] = np.where(numbers[infinite] > 0, "inf", "-inf")
                kind = "mixed"
    elif isinstance(dtype, pd.BooleanDtype):
        values, kind = _objects(s, missing), "boolean"
    elif isinstance(dtype, pd.api.extensions.ExtensionDtype) and dtype.kind in "iu":
        values, kind = _objects(s, missing), "number"  # nullable integers
    elif isinstance(dtype, pd.CategoricalDtype) and pd.api.types.infer_dtype(
        dtype.categories, skipna=True
    ) in ("string", "empty"):
        values, kind = _objects(s, missing), "string"
    elif pd.api.types.is_string_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype):
        values = _objects(s, missing)
        if not pd.api.types.is_object_dtype(dtype) or pd.api.types.infer_dtype(s, skipna=True) in (
            "string",
            "empty",
        ):
            kind = "string"
    else:
        values = _objects(s, missing)
    values = np.array(values, dtype=object)
    values[missing] = None
    return values.tolist(), kind
