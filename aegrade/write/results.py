"""Writing results: one ``.xlsx`` with a sheet per table, or a folder of CSV or Parquet files.

A run's outputs are one unit (:mod:`aegrade.write.atomic`): written into a temporary folder
beside the destination and moved into place only when all of them are complete, so a failed
run never leaves half-written output; a folder of CSV or Parquet files replaces the earlier
run's folder as a whole (its ``issues.csv`` or ``explain.csv`` do not survive a run without
them), and a folder holding anything aegrade did not write is refused.
Text cells, headers and ``about`` cells that a spreadsheet would run as a formula (starting
with =, +, -, @, tab or CR) are prefixed with a single quote in CSV and xlsx output; numbers
stay numbers (:mod:`aegrade.write.neutralize`).
"""

from __future__ import annotations

import io
import json
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from aegrade.schema import SCHEMAS, TableSchema, arrow_schema, conform
from aegrade.threads import background
from aegrade.write.atomic import Writer, check_folder, refuse_inputs, write_folder, write_outputs
from aegrade.write.neutralize import neutralize_about, neutralize_formulas
from aegrade.write.streaming import write_csv, write_xlsx

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from aegrade.pipeline import GradeResult

__all__ = [
    "OUTPUT_TABLES",
    "XLSX_MAX_ROWS",
    "Format",
    "ParquetEncoder",
    "check_destination",
    "is_folder_name",
    "write_parquet",
    "write_result",
    "write_tables",
]

#: Rows an Excel sheet holds below its header row (1,048,576 rows in all; Excel's
#: "Specifications and limits").
XLSX_MAX_ROWS = 1_048_575

Format = Literal["xlsx", "csv", "parquet"]

#: Suffixes of files that are not an output (a path ending in one is refused, not made a
#: folder); any other suffix, as in ``pv_out_4.03``, is part of a folder's name.
FILE_SUFFIXES = frozenset(
    [
        ".pdf",
        ".csv",
        ".tsv",
        ".txt",
        ".parquet",
        ".pq",
        ".feather",
        ".arrow",
        ".xls",
        ".xlsm",
        ".xlsb",
        ".ods",
        ".json",
        ".xml",
        ".html",
        ".htm",
        ".md",
        ".doc",
        ".docx",
        ".rtf",
        ".ppt",
        ".pptx",
        ".zip",
        ".gz",
        ".bz2",
        ".xz",
        ".7z",
        ".tar",
        ".xpt",
        ".sas7bdat",
        ".dta",
        ".sav",
        ".rds",
        ".rdata",
        ".db",
        ".sqlite",
        ".toml",
        ".yaml",
        ".yml",
        ".log",
        ".png",
        ".jpg",
        ".jpeg",
        ".svg",
        ".gif",
    ]
)


def is_folder_name(path: Path) -> bool:
    """Whether an output path names a folder: no suffix, or one that is no known file's
    (:data:`FILE_SUFFIXES`) and not ``.xlsx``.

    >>> [is_folder_name(Path(p)) for p in ("out", "pv_out_4.03", "out.xlsx", "out.pdf")]
    [True, True, False, False]
    """
    suffix = path.suffix.lower()
    return suffix != ".xlsx" and suffix not in FILE_SUFFIXES


#: Every table a run may write (``<name>.csv``, ``<name>.parquet``, ``results.xlsx``): an
#: output folder holding only these is an earlier run's, replaced as a whole.
OUTPUT_TABLES = frozenset({*SCHEMAS, "explain", "listing", "results"})


def _excel_safe(frame: pd.DataFrame) -> pd.DataFrame:
    out = neutralize_formulas(frame, numbers=True)
    for col in out.columns:  # Excel has no time zones; nullable ints are written as numbers
        if isinstance(out[col].dtype, pd.DatetimeTZDtype):
            out[col] = out[col].dt.tz_localize(None)
    return out


def write_tables(
    tables: dict[str, pd.DataFrame],
    path: str | Path,
    *,
    fmt: Format | None = None,
    about: dict[str, str] | None = None,
    inputs: list[str | Path] | tuple[str | Path, ...] = (),
    encoder: ParquetEncoder | None = None,
) -> list[Path]:
    """Write named tables as one output set (:func:`~aegrade.write.atomic.write_outputs`).

    Parameters
    ----------
    tables
        Table name -> frame.
    path
        A ``.xlsx`` file (one workbook, a sheet per table plus an ``about`` sheet), or a
        folder receiving ``<name>.csv`` or ``<name>.parquet``.
    fmt
        ``xlsx``, ``csv`` or ``parquet``; default from ``path`` (a folder gets csv).
    about
        Key/value provenance for the ``about`` sheet of a workbook.
    inputs
        The run's input files, never overwritten.
    encoder
        Parquet output only: tables it has already encoded (the same frame under the same
        name) are written from its bytes, not encoded again (:class:`ParquetEncoder`).

    Returns
    -------
    list of pathlib.Path
        The files written.

    Raises
    ------
    ValueError
        The output would overwrite one of ``inputs``, a csv/parquet path is not a folder, or a
        table has more rows than an Excel sheet holds (nothing is written).
    OSError
        The output folder holds files aegrade did not write (``FileExistsError``), or the
        output file is a folder (``IsADirectoryError``): nothing is written.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> frame = pd.DataFrame({"term": ["=HYPERLINK()"], "grade": pd.array([2], dtype="Int64")})
    >>> [p.name for p in write_tables({"adverse_events": frame}, folder)]
    ['adverse_events.csv']
    >>> (folder / "adverse_events.csv").read_text().splitlines()[1]
    "'=HYPERLINK(),2"
    """
    target = Path(path)
    refuse_inputs([target, *(target / f"{n}.{fmt or 'csv'}" for n in tables)], inputs)
    if fmt is None:
        fmt = "xlsx" if target.suffix.lower() == ".xlsx" else "csv"
    if fmt == "xlsx":
        if target.suffix.lower() != ".xlsx":
            target = target / "results.xlsx"
        too_big = {n: len(f) for n, f in tables.items() if len(f) > XLSX_MAX_ROWS}
        if too_big:
            name, rows = next(iter(too_big.items()))
            raise ValueError(
                f"{target}: too many rows for xlsx ({name} has {rows:,}; a sheet holds "
                f"{XLSX_MAX_ROWS:,} below its header): use --format csv or parquet"
            )
        return write_outputs({target: lambda tmp: _write_xlsx(tables, tmp, about)})
    if not is_folder_name(target):
        raise ValueError(f"{target}: give a folder for {fmt} output, or a .xlsx file")
    writers: dict[str, Writer] = (
        {f"{name}.csv": _csv_writer(frame) for name, frame in tables.items()}
        if fmt == "csv"
        else _parquet_writers(tables, encoder)
    )
    known = OUTPUT_TABLES | set(tables)
    return write_folder(target, writers, ours=lambda entry: _earlier_output(entry, known))


def check_destination(path: str | Path, fmt: Format | None = None) -> None:
    """Refuse, before any work, a destination :func:`write_tables` would refuse at the end.

    A ``.xlsx`` path must not be a folder; a folder for csv or parquet must be new, empty, or
    hold only an earlier run's tables (it is replaced as a whole).

    Raises
    ------
    OSError
        ``IsADirectoryError``, ``NotADirectoryError`` or ``FileExistsError``, saying why.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> (folder / "issues.csv").write_text("an earlier run")
    14
    >>> check_destination(folder)
    >>> (folder / "protocol.pdf").write_text("mine")
    4
    >>> check_destination(folder)
    Traceback (most recent call last):
    ...
    FileExistsError: ... holds files aegrade did not write (protocol.pdf); an output folder ...
    """
    target = Path(path)
    if fmt == "xlsx" or target.suffix.lower() == ".xlsx":
        if target.suffix.lower() == ".xlsx" and target.is_dir() and not target.is_symlink():
            raise IsADirectoryError(
                f"{target} is a folder; it cannot be replaced by an output file"
            )
        return
    if is_folder_name(target):
        check_folder(target, ours=lambda entry: _earlier_output(entry, OUTPUT_TABLES))


def _earlier_output(entry: str, known: frozenset[str] | set[str]) -> bool:
    """Whether a file of an existing output folder is a table an earlier run wrote."""
    path = Path(entry)
    return path.suffix in (".csv", ".parquet", ".xlsx") and path.stem in known


def _csv_writer(frame: pd.DataFrame) -> Writer:
    """The bytes ``to_csv`` wrote, from pyarrow's kernels (:func:`write_csv`)."""
    return lambda tmp: write_csv(neutralize_formulas(frame), tmp)


def _parquet_writers(
    tables: dict[str, pd.DataFrame], encoder: ParquetEncoder | None = None
) -> dict[str, Writer]:
    """Parquet with :func:`write_parquet`: the same types on every run. A table without a
    schema of its own (``explain``, ``listing``) gets the stable dtypes of
    :func:`~aegrade.schema.conform` (mixed object columns as text).

    A table ``encoder`` has encoded already (the same frame) is written from its bytes. Of
    the others, the largest is written by the caller's thread; the rest are made Arrow tables
    here and encoded meanwhile, in memory, by the process's background thread
    (:func:`~aegrade.threads.background`: Parquet encoding releases the interpreter lock;
    pandas is never used on two threads at once), and their bytes written when their turn
    comes. Off the caller's thread nothing but memory is
    touched, so an interrupted run leaves no file of it behind."""
    frames = {
        name: frame if name in SCHEMAS else conform(frame, TableSchema(name, ()))
        for name, frame in tables.items()
    }
    encoded = {
        name: job
        for name, frame in frames.items()
        if encoder is not None and (job := encoder.job(name, frame)) is not None
    }
    rest = [name for name in frames if name not in encoded]
    largest = max(rest, key=lambda name: len(frames[name])) if rest else None
    for name in rest:
        if name != largest:
            encoded[name] = background(_table_bytes, _parquet_table(frames[name]))
    return {
        f"{name}.parquet": _parquet_writer(frame)
        if name == largest
        else _bytes_writer(encoded[name])
        for name, frame in frames.items()
    }


class ParquetEncoder:
    """Parquet files of tables encoded in memory as soon as each table is final, on the
    process's background thread (:func:`~aegrade.threads.background`; Parquet encoding
    releases the interpreter lock), so that the encoding runs beside the work still to do.

    Called with a table's name and frame (the ``on_table`` hook of :func:`aegrade.grade`), it
    makes the frame the Arrow table :func:`write_parquet` writes (on the caller's thread) and
    starts encoding it; given to
    :func:`write_result` or :func:`write_tables` (``encoder=``), it hands them the bytes of
    each table it encoded, which are then written, not encoded again. Nothing is written to
    disk before then: a run that fails after a table was encoded leaves no file. A frame
    must not be changed once given to it.

    Examples
    --------
    >>> import tempfile
    >>> from aegrade import grade
    >>> obs = pd.DataFrame({"subject_id": ["P1"], "day": [3.0], "parameter": ["PLAT"],
    ...                     "value": [40.0], "unit": ["10^9/L"]})
    >>> encoder = ParquetEncoder()
    >>> result = grade(obs, on_table=encoder)
    >>> encoder.names()
    ['graded_observations', 'adverse_events', 'subject_summary']
    >>> paths = write_result(result, Path(tempfile.mkdtemp()), fmt="parquet", encoder=encoder)
    >>> pd.read_parquet(paths[0])["grade_low"].tolist()
    [3]
    """

    def __init__(self) -> None:
        self._jobs: dict[str, tuple[pd.DataFrame, Future[Any]]] = {}

    def __call__(self, name: str, frame: pd.DataFrame) -> None:
        """Start encoding ``frame`` as the Parquet file of table ``name``. A frame that
        cannot be encoded raises only when its file is written, as :func:`write_parquet`
        would (the run's own errors, found later, come first)."""
        job: Future[Any]
        try:  # the frame made Arrow here, on the caller's thread: pandas never runs on two
            table = _parquet_table(frame)
        except Exception as exc:
            job = Future()
            job.set_exception(exc)
        else:  # the encoding, Arrow and Parquet only, on the background thread
            job = background(_table_bytes, table)
        self._jobs[name] = (frame, job)

    def names(self) -> list[str]:
        """The tables given to it, in the order given."""
        return list(self._jobs)

    def job(self, name: str, frame: pd.DataFrame) -> Future[Any] | None:
        """The encoding of table ``name`` if it was given this very frame, else None."""
        given = self._jobs.get(name)
        return given[1] if given is not None and given[0] is frame else None


def _parquet_writer(frame: pd.DataFrame) -> Writer:
    return lambda tmp: write_parquet(frame, tmp)


def _bytes_writer(job: Future[Any]) -> Writer:
    """Writes the bytes a background job encoded (its exception, if it failed)."""
    return lambda tmp: tmp.write_bytes(job.result())


def _table_bytes(table: pa.Table) -> Any:
    """The Parquet file :func:`write_parquet` writes of a table of :func:`_parquet_table`, in
    memory (a ``pyarrow.Buffer``): Arrow and Parquet only, no pandas object is touched, so it
    may run beside the caller's pandas work."""
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    _write_table(table, sink)
    return sink.getvalue()


def write_parquet(frame: pd.DataFrame, path: str | Path) -> None:
    """Write a frame as Parquet with :func:`~aegrade.schema.arrow_schema` (the same types on
    every run and in every part of a dataset), snappy-compressed, as ``DataFrame.to_parquet``
    with that schema writes it: the same schema, metadata and values.

    Two costs of ``to_parquet`` are left out. The schema is worked out from the frame's
    dtypes (``frame.iloc[:0]``: a categorical's type from its categories) instead of
    converting every categorical column once more just to learn its type; a frame with
    ``object`` columns, whose type only their cells tell, is inferred from the cells as before.
    Column statistics (min/max, null count) are written for numbers, booleans, dates and
    ``subject_id``, not for the other text and label columns: min/max of free text or of a
    rule id prune nothing and cost a string comparison per cell. The Arrow columns of a
    graded table are built from the frame's own buffers (categorical codes, nullable
    integers' values and masks, Arrow-backed text), the table ``from_pandas`` builds.

    Parameters
    ----------
    frame
        A table (its index is not written).
    path
        The file to write.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "t.parquet"
    >>> frame = pd.DataFrame({"subject_id": ["S1"], "term": pd.Categorical(["Anemia"]),
    ...                       "grade": pd.array([2], dtype="Int64")})
    >>> write_parquet(frame, path)
    >>> back = pd.read_parquet(path)
    >>> back.dtypes.astype(str).tolist(), back.loc[0, "term"]
    (['str', 'category', 'Int64'], 'Anemia')
    """
    _write_parquet(frame, path)


def _write_parquet(frame: pd.DataFrame, sink: Any) -> None:
    """:func:`write_parquet` to a path or a pyarrow output stream."""
    _write_table(_parquet_table(frame), sink)


def _parquet_table(frame: pd.DataFrame) -> pa.Table:
    """The Arrow table :func:`write_parquet` writes: the stable schema, the frame's attrs."""
    inferred = any(pd.api.types.is_object_dtype(dtype) for dtype in frame.dtypes)
    schema = arrow_schema(frame if inferred else frame.iloc[:0])
    table = _arrow_table(frame, schema)
    if frame.attrs:  # as to_parquet keeps them
        metadata = {**(table.schema.metadata or {}), "PANDAS_ATTRS": json.dumps(frame.attrs)}
        table = table.replace_schema_metadata(metadata)
    return table


def _write_table(table: pa.Table, sink: Any) -> None:
    """Write a table of :func:`_parquet_table` as :func:`write_parquet` does."""
    import pyarrow.parquet as pq

    pq.write_table(
        table,
        sink,
        compression="snappy",
        write_statistics=[f.name for f in table.schema if _has_statistics(f)],
    )


def _arrow_table(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    """``pa.Table.from_pandas(frame, schema=schema, preserve_index=False)``, each column built
    from its own buffers where its dtype says how (a categorical from its codes, a nullable
    integer from its values and mask, Arrow-backed text as it is, numbers and flags from their
    array): a quarter less work on a graded table. Any other column (objects, dates, an
    ordered categorical) is left to ``from_pandas``, for the whole frame."""
    import pyarrow as pa

    arrays = []
    for field, (_, column) in zip(schema, frame.items(), strict=True):
        array = _arrow_column(column, field.type)
        if array is None:
            return pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
        arrays.append(array)
    return pa.Table.from_arrays(arrays, schema=schema)


def _arrow_column(column: pd.Series, kind: pa.DataType) -> Any:
    """One column as ``from_pandas`` converts it to ``kind``, or None where not decided here."""
    import numpy as np
    import pyarrow as pa

    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        categories = dtype.categories
        if (
            dtype.ordered
            or not pa.types.is_dictionary(kind)
            or not pa.types.is_int32(kind.index_type)
            or not pa.types.is_string(kind.value_type)
            or not (len(categories) == 0 or categories.inferred_type == "string")
        ):
            return None
        codes = column.cat.codes.to_numpy()
        indices = _numpy_array(pa.int32(), codes.astype(np.int32), codes >= 0)
        values = pa.array(categories.to_numpy(dtype=object), type=pa.string())
        # codes are -1 (missing, masked above) or positions in the categories: no check
        return pa.DictionaryArray.from_arrays(indices, values, safe=False)
    if isinstance(dtype, pd.Int64Dtype) and pa.types.is_int64(kind):
        # its values and mask, as pandas' own __arrow_array__ reads them (the public
        # to_numpy(na_value=) writes a filled copy: slower than pyarrow's mask reading)
        values = getattr(column.array, "_data", None)
        if not isinstance(values, np.ndarray) or values.dtype != np.int64:
            return column.array.__arrow_array__(type=kind)
        return _numpy_array(kind, values, ~column.array.isna())
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        text = column.array.__arrow_array__()
        return text if text.type == kind else text.cast(kind)
    numpy_kinds = {
        "float64": pa.types.is_float64,
        "int64": pa.types.is_int64,
        "bool": pa.types.is_boolean,
    }
    if isinstance(dtype, np.dtype) and dtype.name in numpy_kinds and numpy_kinds[dtype.name](kind):
        values = column.to_numpy()
        if dtype.name == "float64":  # NaN is missing, as from_pandas reads it
            return _numpy_array(kind, values, ~np.isnan(values))
        return pa.array(values, type=kind, from_pandas=True)
    return None


def _numpy_array(kind: pa.DataType, values: np.ndarray, valid: np.ndarray) -> pa.Array:
    """The Arrow array of fixed-width type ``kind`` over a numpy array's own buffer (no
    copy), missing where ``valid`` is False (no validity bitmap when nothing is missing):
    the array ``pa.array(values, mask=~valid)`` makes, in a tenth of its time (pyarrow
    reads a boolean mask byte by byte; a bitmap packed by numpy is one pass)."""
    import numpy as np
    import pyarrow as pa

    values = np.ascontiguousarray(values)
    missing = len(values) - int(np.count_nonzero(valid))
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little")) if missing else None
    return pa.Array.from_buffers(
        kind, len(values), [bitmap, pa.py_buffer(values)], null_count=missing
    )


def _has_statistics(field: pa.Field) -> bool:
    """Whether a column's min/max can prune anything: not for text other than subject ids,
    nor for dictionaries (labels, rule ids, reasons)."""
    import pyarrow as pa

    text = pa.types.is_string(field.type) or pa.types.is_large_string(field.type)
    return not pa.types.is_dictionary(field.type) and (not text or field.name == "subject_id")


def _write_xlsx(tables: dict[str, pd.DataFrame], tmp: Path, about: dict[str, str] | None) -> None:
    """The workbook is streamed row by row (:func:`write_xlsx`, xlsxwriter in constant-memory
    mode: the cells ``to_excel`` wrote, several times faster) and zipped in memory, then
    written in one go: a full disk is then one clean ``OSError`` from that write, not a
    half-closed zip file complaining when it is collected."""
    book = io.BytesIO()
    safe = {name: _excel_safe(frame) for name, frame in tables.items()}
    write_xlsx(safe, book, neutralize_about(about) if about else None)
    tmp.write_bytes(book.getbuffer())


def write_result(
    result: GradeResult,
    path: str | Path,
    *,
    fmt: Format | None = None,
    inputs: list[str | Path] | tuple[str | Path, ...] = (),
    extra: dict[str, pd.DataFrame] | None = None,
    encoder: ParquetEncoder | None = None,
) -> list[Path]:
    """Write a :class:`~aegrade.pipeline.GradeResult` as one output set.

    Parameters
    ----------
    result
        What :func:`aegrade.grade` returned.
    path, fmt, inputs, encoder
        As for :func:`write_tables`.
    extra
        Further tables (e.g. the ADaM-style ones) written beside the three outputs.

    Returns
    -------
    list of pathlib.Path
        The files written: the three outputs, ``issues`` when there are any, the CRS/ICANS
        ``explain`` trail and the per-patient ``listing`` when not empty, and ``extra``.

    Examples
    --------
    >>> import tempfile
    >>> from aegrade import grade
    >>> frame = pd.DataFrame({"subject_id": ["P1"], "day": [3.0], "parameter": ["PLAT"],
    ...                       "value": [40.0], "unit": ["10^9/L"], "lln": [150.0], "uln": [400.0]})
    >>> paths = write_result(grade(frame), Path(tempfile.mkdtemp()), fmt="parquet")
    >>> sorted(p.name for p in paths)[:3]
    ['adverse_events.parquet', 'graded_observations.parquet', 'listing.parquet']
    """
    tables = dict(result.tables())
    tables.update(extra or {})
    for name in ("explain", "listing"):  # CRS/ICANS audit trail; per-patient listing
        more = result.extras.get(name)
        if more is not None and len(more):
            tables[name] = more
    if len(result.issues):
        tables["issues"] = result.issues
    return write_tables(tables, path, fmt=fmt, about=result.meta, inputs=inputs, encoder=encoder)
