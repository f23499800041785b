"""A delimited text file read by pyarrow's csv reader into the frame pandas' reader gives.

:func:`aegrade.read.files.read_csv` reads the common file (decimal point, a known delimiter)
with pyarrow: one pass over the bytes on the process's threads, no Python objects per cell.
The frame must be the one ``pandas.read_csv`` gives with read_csv's options (the same column
dtypes, values and missing cells), so pyarrow's read answers None wherever the two readers
may disagree and the caller reads the file with pandas as before. Measured against pandas 3
(tests/read/test_arrow_csv.py reads the same files both ways), they disagree on:

- tokens pyarrow reads as numbers and pandas as text: hexadecimal integers (``0x1A``); NaN
  and infinity words other than the missing-value words, or with blanks around them; numbers
  padded with vertical tab or form feed (pandas reads those as numbers, pyarrow as text);
- integers written with a plus sign (``+5``: pandas int64, pyarrow float64); integers beyond
  int64 (pandas uint64, Python ints, or text beside a decimal number; pyarrow float64);
- dates and times (pyarrow infers date and timestamp columns, pandas keeps the text): such
  columns are read as text (those the file's head shows at once, others in a second read);
- flags with a missing cell (pandas: an object column of True, False and NaN), columns that
  are missing throughout (pandas float64 NaN, pyarrow a null column: converted), a file with
  a header and no rows;
- rows whose width differs from the header's, blank lines of blanks, an unclosed quote:
  pyarrow refuses them, and pandas reads them or names the problem as read_csv reports it.

The read is in two steps: :func:`parse_text` (pyarrow only, no pandas) and :func:`frame_of`
(the checks above and the conversion to pandas).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.csv as pacsv

from aegrade.read.text import TextLayout
from aegrade.threads import thread_count

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ParsedText", "frame_of", "pandas_columns", "parse_text", "read_delimited"]

#: pandas' flag words (its C parser's defaults): pyarrow's defaults add "1" and "0".
_TRUE = ["True", "TRUE", "true"]
_FALSE = ["False", "FALSE", "false"]
#: The largest integer pandas reads as int64 (larger ones become uint64 or Python ints).
_INT64_END = float(2**63)
_TEMPORAL = (pa.types.is_date, pa.types.is_time, pa.types.is_timestamp)
#: A cell pyarrow may read as a date, a timestamp or a time of day (ISO dates, hh:mm).
_DATED = re.compile(r"\s*(\d{4}-\d\d-\d\d|\d\d?:\d\d)")
#: The lines of the file's head looked at for dated columns.
_HEAD_ROWS = 200


@dataclass(frozen=True)
class ParsedText:
    """pyarrow's read of a delimited text file, with what the file holds that pyarrow reads
    otherwise than pandas.

    Attributes
    ----------
    table
        The columns as pyarrow typed them (dates and times as text).
    hexes
        The file holds ``0x`` or ``0X`` and pyarrow read integer columns (it reads
        hexadecimal integers, pandas does not).
    plus
        The file holds a ``+`` (``+5`` is an integer to pandas, a float to pyarrow).
    converted
        The columns are already as pandas reads them (:func:`pandas_columns`).

    Examples
    --------
    >>> from aegrade.read.text import text_layout
    >>> raw = b"id,n\\nS1,0x1A\\n"
    >>> parse_text(raw, text_layout(raw, "utf-8"), na_values=[]).hexes
    True
    """

    table: pa.Table
    hexes: bool
    plus: bool
    converted: bool = False


def parse_text(
    raw: bytes, layout: TextLayout, *, na_values: Sequence[str], threads: int | None = None
) -> ParsedText | None:
    """pyarrow's read of ``raw`` with pandas' rules where it has them (the cells read as
    missing, the flag words, blank lines kept), or None where pyarrow refuses the file or
    cannot read it as pandas would.

    Parameters
    ----------
    raw
        The file's bytes, in ``layout.encoding`` (made UTF-8 first when it is another).
    layout
        How the file is written (:func:`aegrade.read.text.text_layout`); a decimal comma is
        pandas' to read.
    na_values
        The cells read as missing, as pandas' ``na_values`` (no default words).
    threads
        As :func:`aegrade.threads.thread_count` (pyarrow reads on its threads when more than 1).

    Returns
    -------
    ParsedText or None

    Examples
    --------
    >>> from aegrade.read.text import text_layout
    >>> raw = b"id,day\\nS1,2024-01-05\\n"
    >>> parse_text(raw, text_layout(raw, "utf-8"), na_values=[""]).table.schema.types
    [DataType(string), DataType(string)]
    """
    if layout.decimal != "." or not layout.first:
        return None
    try:
        width = len(next(csv.reader([layout.first], delimiter=layout.sep)))
    except (csv.Error, StopIteration):
        return None
    if layout.encoding not in ("utf-8", "utf-8-sig"):
        raw = raw.decode(layout.encoding, errors="replace").lstrip("\ufeff").encode("utf-8")
    if b"\x0b" in raw or b"\x0c" in raw:  # numbers padded with these are pandas' numbers only
        return None
    use_threads = thread_count(threads) > 1
    texts = _dated_columns(layout.head, layout.sep, na_values)
    table = _read(raw, layout.sep, na_values, texts, use_threads)
    if table is None or table.num_columns != width or table.num_rows == 0:
        return None
    temporal = [f.name for f in table.schema if any(is_(f.type) for is_ in _TEMPORAL)]
    if temporal:  # dates and times the head did not show: their text, read once more
        if len(set(table.column_names)) != table.num_columns:
            return None  # pyarrow's column types go by name
        table = _read(raw, layout.sep, na_values, [*texts, *temporal], use_threads)
        if table is None or table.num_columns != width:
            return None
    ints = any(pa.types.is_int64(t) for t in table.schema.types)
    return ParsedText(table, hexes=ints and _has_hex(raw), plus=b"+" in raw)


def frame_of(parsed: ParsedText, *, threads: int | None = None) -> pd.DataFrame | None:
    """The frame ``pandas.read_csv`` reads from the file (read_csv's options), or None where
    pyarrow's read may differ from it.

    Parameters
    ----------
    parsed
        :func:`parse_text`'s read.
    threads
        As :func:`aegrade.threads.thread_count`.

    Returns
    -------
    pandas.DataFrame or None
        Columns named by the header (a blank header ``Unnamed: <position>``, as pandas names
        it), rows in file order.

    Examples
    --------
    >>> from aegrade.read.text import text_layout
    >>> raw = b"id,v,\\nS1,1.5,\\nS2,NA,\\n"
    >>> frame = frame_of(parse_text(raw, text_layout(raw, "utf-8"), na_values=["", "NA"]))
    >>> list(frame.columns), frame.dtypes.astype(str).tolist()
    (['id', 'v', 'Unnamed: 2'], ['str', 'float64', 'float64'])
    """
    ready = parsed if parsed.converted else pandas_columns(parsed)
    if ready is None:
        return None
    names = [name or f"Unnamed: {i}" for i, name in enumerate(ready.table.column_names)]
    table = ready.table.rename_columns([str(i) for i in range(len(names))])
    # a block per column, as pandas' reader lays a frame out (and no copy to consolidate)
    frame: pd.DataFrame = table.to_pandas(use_threads=thread_count(threads) > 1, split_blocks=True)
    return frame.set_axis(names, axis=1)


def pandas_columns(parsed: ParsedText) -> ParsedText | None:
    """:func:`frame_of`'s checks and conversions, which need no pandas: the read with its
    columns as pandas' reader types them (``converted``), or None where pyarrow's read may
    differ from pandas'. The command line runs it beside its imports
    (:func:`aegrade.read.prefetch.prefetch_text`).

    Parameters
    ----------
    parsed
        :func:`parse_text`'s read.

    Returns
    -------
    ParsedText or None

    Examples
    --------
    >>> from aegrade.read.text import text_layout
    >>> raw = b"id,v,f\\nS1,,true\\nS2,,\\n"
    >>> parsed = parse_text(raw, text_layout(raw, "utf-8"), na_values=[""])
    >>> pandas_columns(parsed) is None  # a flag column with a missing cell: pandas' to read
    True
    >>> raw = b"id,v\\nS1,\\n"
    >>> ready = pandas_columns(parse_text(raw, text_layout(raw, "utf-8"), na_values=[""]))
    >>> ready.converted, ready.table.schema.types  # missing throughout: float64, as pandas
    (True, [DataType(string), DataType(double)])
    """
    if parsed.converted:
        return parsed
    columns: list[pa.ChunkedArray] = []
    for column in parsed.table.columns:
        kept = _as_pandas_reads(column, parsed)
        if kept is None:
            return None
        columns.append(kept)
    table = pa.table(columns, names=[str(i) for i in range(len(columns))])
    table = table.rename_columns(parsed.table.column_names)  # repeated names too
    return ParsedText(table, hexes=parsed.hexes, plus=parsed.plus, converted=True)


def read_delimited(
    raw: bytes, layout: TextLayout, *, na_values: Sequence[str], threads: int | None = None
) -> pd.DataFrame | None:
    """:func:`parse_text` then :func:`frame_of`: the frame pandas reads, or None.

    Parameters
    ----------
    raw, layout, na_values, threads
        As for :func:`parse_text`.

    Returns
    -------
    pandas.DataFrame or None

    Examples
    --------
    >>> from aegrade.read.text import text_layout
    >>> raw = b"id,day,v\\nS1,0,1.5\\nS2,NA,x\\n"
    >>> frame = read_delimited(raw, text_layout(raw, "utf-8"), na_values=["", "NA"])
    >>> frame.dtypes.astype(str).tolist(), frame["day"].tolist()
    (['str', 'float64', 'str'], [0.0, nan])
    >>> raw = b"id,n\\nS1,0x1A\\n"  # hexadecimal: pandas' to read
    >>> read_delimited(raw, text_layout(raw, "utf-8"), na_values=[]) is None
    True
    """
    parsed = parse_text(raw, layout, na_values=na_values, threads=threads)
    return None if parsed is None else frame_of(parsed, threads=threads)


def _read(
    raw: bytes, sep: str, na_values: Sequence[str], texts: list[str], use_threads: bool
) -> pa.Table | None:
    """pyarrow's read, ``texts`` read as text; None where pyarrow refuses the file."""
    try:
        return pacsv.read_csv(
            pa.py_buffer(raw),
            read_options=pacsv.ReadOptions(use_threads=use_threads),
            parse_options=pacsv.ParseOptions(
                delimiter=sep,
                ignore_empty_lines=False,
                newlines_in_values=b'"' in raw,  # a quoted cell may hold a line break
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in texts},
                null_values=list(na_values),
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
                true_values=_TRUE,
                false_values=_FALSE,
                check_utf8=False,  # the caller has decoded the bytes as UTF-8 already
            ),
        )
    except pa.ArrowException:  # ragged rows, an unclosed quote, ...: pandas decides
        return None


def _dated_columns(head: str, sep: str, na_values: Sequence[str]) -> list[str]:
    """The columns whose first value in ``head`` (the file's first lines, as text) is a date
    or a time of day, as pyarrow would infer them: read as text at once (such a column is
    text to pandas, and never a number to pyarrow). Only names the header holds once."""
    rows = head.splitlines()[:_HEAD_ROWS]
    try:
        header, *body = list(csv.reader(rows, delimiter=sep))
    except (csv.Error, ValueError):
        return []
    missing = set(na_values)
    found = []
    for i, name in enumerate(header):
        cell = next((r[i] for r in body if i < len(r) and r[i] not in missing), None)
        if cell is not None and _DATED.match(cell) and header.count(name) == 1:
            found.append(name)
    return found


def _as_pandas_reads(column: pa.ChunkedArray, parsed: ParsedText) -> pa.ChunkedArray | None:
    """The column as pandas reads it (its Arrow type converted by ``to_pandas`` as pandas'
    reader types it), or None where pyarrow's reading may differ from pandas'."""
    import pyarrow.compute as pc

    kind = column.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        # one chunk, as pandas' reader gives: pandas' string methods and joins work a chunk
        # at a time (pyarrow reads a chunk per megabyte)
        if column.num_chunks < 2:
            return column
        return pa.chunked_array([column.cast(pa.large_string()).combine_chunks()])
    if pa.types.is_null(kind):  # missing throughout: pandas reads float64 NaN
        return pa.chunked_array([pa.nulls(len(column), pa.float64())])
    if pa.types.is_boolean(kind):  # with a missing cell pandas keeps an object column
        return column if column.null_count == 0 else None
    if pa.types.is_int64(kind):
        return None if parsed.hexes else column
    if pa.types.is_float64(kind):
        if not pc.all(pc.is_finite(column)).as_py():  # nan/inf words pandas may keep as text
            return None
        low, high = pc.min_max(column).values()
        if low.as_py() is None:
            return column
        if low.as_py() < -_INT64_END or high.as_py() >= _INT64_END:
            return None  # an integer beyond int64 turns pandas' column to uint64 or text
        if parsed.plus and pc.all(pc.equal(pc.floor(column), column)).as_py():
            return None  # all whole numbers: pandas may have read integers (+5)
        return column
    return None


def _has_hex(raw: bytes) -> bool:
    """Whether ``raw`` holds ``0x`` or ``0X`` (pyarrow reads hexadecimal integers, pandas
    does not); memchr for the letter first, which most files of numbers lack."""
    if b"x" not in raw and b"X" not in raw:
        return False
    import numpy as np

    data = np.frombuffer(raw, dtype=np.uint8)
    at = np.flatnonzero((data[1:] | 0x20) == ord("x"))
    return bool((data[at] == ord("0")).any())
