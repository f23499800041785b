"""Grade with Dask, on one machine or a cluster (issue 15, point 4): ``pip install aegrade[dask]``.

:func:`grade_dask` reads observations (a path or glob of Parquet or CSV files in aegrade's own
column names, or a ``dask.dataframe``), numbers the rows, shuffles them by subject unless they
are already partitioned by subject, grades every partition with :func:`~aegrade.pipeline.grade`
(the same code as a single-process run), and returns Dask dataframes of the three output
tables and the issues. The graded partitions are persisted on the workers so that the columns
of every table are known (a subject summary has a column per term seen); each partition is
then given those columns with one dtype (:func:`~aegrade.partition.unify_columns`), so that
``to_parquet`` writes one schema in every part.

Dask is imported only when :func:`grade_dask` runs: ``import aegrade`` does not need it.
"""

from __future__ import annotations

import glob
import importlib
import pickle
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from aegrade.errors import AegradeError, InputError
from aegrade.grading.labs import Ambiguous
from aegrade.partition import (
    DEFAULT_PARTITION_ROWS,
    common_dtype,
    conform_part,
    subject_column,
    unify_columns,
)
from aegrade.pipeline import grade
from aegrade.read.colmap import load_column_map
from aegrade.read.files import CSV_NA, detect_delimiter, detect_encoding
from aegrade.read.study import load_study
from aegrade.schema import arrow_schema

if TYPE_CHECKING:
    import dask.dataframe as dd

__all__ = ["DaskResult", "grade_dask", "grade_dask_to_parquet", "require_dask"]

#: The tables :func:`grade_dask` returns, by name.
TABLES = ("graded_observations", "adverse_events", "subject_summary", "issues")
#: A cell that is a number written with a decimal comma (``-88,4``).
_DECIMAL_COMMA = r"^(\s*-?\d+),(\d+\s*)$"
#: The column carrying the input row through the shuffle (dropped before grading): the input
#: partition's number in the high bits, the row within it in the low :data:`_LOCAL_BITS`, so
#: that numbering needs no row counts (a second read of the input); the 0-based input row
#: number is given back once every partition has been graded (:func:`_input_rows`).
_ROW = "__aegrade_row"
_LOCAL_BITS = 40


@dataclass(frozen=True)
class DaskResult:
    """What :func:`grade_dask` returns: one Dask dataframe per output table.

    >>> DaskResult.__dataclass_fields__.keys()  # doctest: +ELLIPSIS
    dict_keys(['graded_observations', 'adverse_events', 'subject_summary', 'issues', 'meta'])
    """

    graded_observations: dd.DataFrame
    adverse_events: dd.DataFrame
    subject_summary: dd.DataFrame
    issues: dd.DataFrame
    meta: dict[str, str]

    def tables(self) -> dict[str, dd.DataFrame]:
        """The four tables by name."""
        return {name: getattr(self, name) for name in TABLES}

    def write_parquet(self, folder: str | Path) -> None:
        """Write each table as a Parquet dataset ``folder/<table>/part.N.parquet``, one Arrow
        schema in every part (:func:`~aegrade.schema.arrow_schema`), in ONE Dask computation:
        the parts of all four tables are written by whichever worker holds them, in parallel,
        and nothing is gathered on the client."""
        dask: Any = importlib.import_module("dask")
        writes = [
            frame.to_parquet(  # type: ignore[no-untyped-call]
                Path(folder) / name,
                write_index=False,
                schema=arrow_schema(frame._meta),
                compute=False,
            )
            for name, frame in self.tables().items()
        ]
        dask.compute(*writes)


def require_dask() -> None:
    """Raise a clear error when the ``dask`` extra is not installed.

    >>> require_dask()  # with aegrade[dask] installed, nothing happens
    """
    try:
        import dask
        import dask.dataframe  # noqa: F401
    except ImportError:
        raise AegradeError(
            "grading with Dask needs the 'dask' extra: pip install 'aegrade[dask]'"
        ) from None


def grade_dask(
    source: str | Path | dd.DataFrame,
    criteria: str = "ctcae-v5.0",
    *,
    partitioned_by_subject: bool = False,
    npartitions: int | None = None,
    partition_rows: int | None = None,
    errors: Literal["raise", "coerce"] = "coerce",
    ambiguous: Ambiguous = "worse",
    crs: str | list[str] | None = "astct-2019",
    icans: str | None = "astct-2019",
    hematology: bool = True,
    column_map: str | Path | dict[str, Any] | None = None,
    decimal: str | None = None,
    dayfirst: bool | None = None,
) -> DaskResult:
    """Grade observations with Dask on whatever scheduler is active (threads, processes, a
    ``distributed`` cluster).

    Parameters
    ----------
    source
        A path or glob of ``.parquet`` or ``.csv`` observation files (aegrade's column
        names: ``subject_id``, ``day``, ``parameter``, ``value``, ``unit``, ...; or the
        user's, with ``column_map``), or a ``dask.dataframe.DataFrame`` of them.
    column_map, decimal, dayfirst
        As for :func:`~aegrade.read.load_study`, applied to every partition: the map is read
        once (a bad map fails here, before any work) and sent to the workers; the subject
        column the shuffle uses is the header the map maps to ``subject_id`` (or a usual
        name: :func:`~aegrade.partition.subject_column`). With ``dayfirst=None`` a date
        column's day/month order is decided per partition from its unambiguous cells.
    partitioned_by_subject
        The input's partitions already hold all rows of each of their subjects: no shuffle.
        A path or glob is then read one partition per file (each file must hold all rows of
        its subjects, e.g. written by :func:`~aegrade.partition.subject_partition`).
    npartitions, partition_rows
        Partitions after the shuffle: ``npartitions``, else enough for about
        ``partition_rows`` rows each (the rows of Parquet files are read from their footers,
        those of CSV files judged from their size), else as many as the input has. The input
        is read once: rows are numbered without counting them. A Parquet source is
        read in pieces of about a quarter of ``partition_rows`` (whole row groups), so that
        reading and shuffling are spread over the workers.
    criteria, errors, ambiguous, crs, icans, hematology
        As for :func:`~aegrade.pipeline.grade`; the default ``errors="coerce"`` lists
        problems in ``issues``; with ``"raise"`` every partition is graded, then one
        :class:`~aegrade.errors.InputError` lists the problems of all of them (nothing is
        returned to write).

    Returns
    -------
    DaskResult
        ``graded_observations``, ``adverse_events``, ``subject_summary`` and ``issues`` as Dask
        dataframes, one partition per graded partition, each with the same columns and
        dtypes. The grading has run (it is persisted on the workers) when this returns.
        Issue rows are the 0-based row numbers of the input, in the order Dask reads it.

    Raises
    ------
    AegradeError
        The ``dask`` extra is not installed, or the input has no subject column.
    InputError
        With ``errors="raise"``: the problems of every partition.

    Examples
    --------
    >>> import dask, dask.dataframe as dd
    >>> obs = pd.DataFrame({"subject_id": ["01", "01", "02", "02"], "day": [0, 7, 0, 7],
    ...                     "parameter": "PLAT", "value": [250, 40, 230, 20],
    ...                     "unit": "10^9/L"})
    >>> with dask.config.set(scheduler="threads"):
    ...     result = grade_dask(dd.from_pandas(obs, npartitions=2), hematology=False)
    ...     ae = result.adverse_events.compute()
    >>> sorted(ae["grade"].tolist())
    [3, 4]
    """
    require_dask()
    dask: Any = importlib.import_module("dask")
    dd: Any = importlib.import_module("dask.dataframe")
    parts, reading, name = _partitions(
        source, partitioned_by_subject, npartitions, partition_rows, column_map, decimal, dayfirst
    )
    options = dict(
        criteria=criteria,
        errors=errors,
        ambiguous=ambiguous,
        crs=crs,
        icans=icans,
        hematology=hematology,
    )
    graded = [dask.delayed(_grade_part)(p, options, reading) for p in parts]
    (graded,) = dask.persist(graded)
    shapes = dask.compute(*[dask.delayed(_shape)(p) for p in graded])
    starts = _starts(shapes)
    _raise_failures(shapes, name, starts)
    out: dict[str, Any] = {}
    for table, (order, common) in _common_columns(shapes).items():
        meta = conform_part(pd.DataFrame(), order, common)
        pieces = [dask.delayed(_table)(p, table, order, common, starts) for p in graded]
        out[table] = dd.from_delayed(pieces, meta=meta, verify_meta=False)
    return DaskResult(**out, meta=_run_meta(shapes))


def grade_dask_to_parquet(
    source: str | Path | dd.DataFrame,
    folder: str | Path,
    criteria: str = "ctcae-v5.0",
    *,
    partitioned_by_subject: bool = False,
    npartitions: int | None = None,
    partition_rows: int | None = None,
    errors: Literal["raise", "coerce"] = "coerce",
    ambiguous: Ambiguous = "worse",
    crs: str | list[str] | None = "astct-2019",
    icans: str | None = "astct-2019",
    hematology: bool = True,
    column_map: str | Path | dict[str, Any] | None = None,
    decimal: str | None = None,
    dayfirst: bool | None = None,
) -> dict[str, str]:
    """Grade with Dask as :func:`grade_dask` does and write each table as a Parquet dataset
    ``folder/<table>/part-NNNNN.parquet``, holding at most one partition per worker at a time
    (what ``aegrade grade --engine dask`` runs).

    Each worker grades a partition and spills its tables to ``folder/.stage`` (pickles: every
    dtype kept); once the columns of every partition are known, each spilled partition is
    given the common columns and dtypes and written as Parquet with one Arrow schema. Nothing
    is persisted in the workers' memory (:func:`grade_dask` keeps every graded partition there
    until it is written) and nothing is gathered on the client: the memory of a worker is that
    of one partition whatever the size of the input. ``folder`` must be a path every worker
    can write (a local folder for a local cluster; a shared file system for a cluster).

    Parameters are those of :func:`grade_dask`.

    Returns
    -------
    dict of str to str
        The run's ``meta`` (criteria and versions; ``partitions``: how many).

    Raises
    ------
    AegradeError, InputError
        As for :func:`grade_dask`; with ``errors="raise"`` and a problem nothing is written.

    Examples
    --------
    >>> import dask, dask.dataframe as dd, tempfile
    >>> obs = pd.DataFrame({"subject_id": ["01", "01", "02", "02"], "day": [0, 7, 0, 7],
    ...                     "parameter": "PLAT", "value": [250, 40, 230, 20],
    ...                     "unit": "10^9/L"})
    >>> out = Path(tempfile.mkdtemp())
    >>> with dask.config.set(scheduler="threads"):
    ...     meta = grade_dask_to_parquet(dd.from_pandas(obs, npartitions=2), out,
    ...                                  hematology=False)
    >>> sorted(pd.read_parquet(out / "adverse_events")["grade"].tolist()), meta["partitions"]
    ([3, 4], '2')
    """
    require_dask()
    dask: Any = importlib.import_module("dask")
    parts, reading, name = _partitions(
        source, partitioned_by_subject, npartitions, partition_rows, column_map, decimal, dayfirst
    )
    options = dict(
        criteria=criteria,
        errors=errors,
        ambiguous=ambiguous,
        crs=crs,
        icans=icans,
        hematology=hematology,
    )
    folder = Path(folder)
    created = not folder.exists()
    stage = folder / ".stage"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    try:
        tasks = [
            dask.delayed(_grade_and_spill)(p, options, reading, str(stage / f"{k:05d}.pkl"))
            for k, p in enumerate(parts)
        ]
        shapes = dask.compute(*tasks)
        starts = _starts(shapes)
        _raise_failures(shapes, name, starts)
        columns = _common_columns(shapes)
        for table in TABLES:
            (folder / table).mkdir(parents=True, exist_ok=True)
        writes = [
            dask.delayed(_write_spilled)(
                str(stage / f"{k:05d}.pkl"), str(folder), k, columns, starts
            )
            for k in range(len(parts))
        ]
        dask.compute(*writes)
    except BaseException:
        if created:  # nothing of a failed run is left behind
            shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return _run_meta(shapes)


def _partitions(
    source: str | Path | dd.DataFrame,
    partitioned_by_subject: bool,
    npartitions: int | None,
    partition_rows: int | None,
    column_map: str | Path | dict[str, Any] | None,
    decimal: str | None,
    dayfirst: bool | None,
) -> tuple[list[Any], dict[str, Any], str]:
    """The input read, numbered and shuffled by subject: one delayed frame per partition,
    the reading options the partitions are graded with, and the input's name."""
    frame: Any = (
        _read(source, partition_rows or DEFAULT_PARTITION_ROWS, partitioned_by_subject)
        if isinstance(source, str | Path)
        else source
    )
    name = str(source) if isinstance(source, str | Path) else "the dataframe"
    cmap = load_column_map(column_map)
    subject = subject_column(list(frame.columns), cmap)
    if subject is None:
        raise AegradeError(
            f"{name}: no subject column (subject_id, USUBJID, patient, ...); name it in a "
            "column map's [columns]"
        )
    n = npartitions or frame.npartitions
    if npartitions is None and partition_rows:
        rows = _source_rows(source) if isinstance(source, str | Path) else None
        if rows is None:  # a dataframe, or files whose size is not known: count them
            rows = int(np.sum(frame.map_partitions(len).compute()))
        n = max(1, -(-rows // partition_rows))
    frame = frame.map_partitions(_number_rows, meta=_numbered_meta(frame._meta))
    if not partitioned_by_subject:
        frame = frame.shuffle(on=subject, npartitions=n)
    reading = {"column_map": cmap, "decimal": decimal, "dayfirst": dayfirst}
    return list(frame.to_delayed()), reading, name


def _run_meta(shapes: Sequence[dict[str, Any]]) -> dict[str, str]:
    """The run's meta: the first partition's that has one, and how many partitions."""
    first: dict[str, str] = next((s["meta"] for s in shapes if s["meta"]), {})
    return {**first, "partitions": str(len(shapes))}


def _raise_failures(shapes: Sequence[dict[str, Any]], name: str, starts: np.ndarray) -> None:
    failed = [s["failures"] for s in shapes if s["failures"] is not None]
    if failed:
        failures = _input_rows(pd.concat(failed, ignore_index=True), starts)
        rows = pd.to_numeric(failures["row"], errors="coerce").fillna(-1).to_numpy()
        raise InputError(
            failures.iloc[np.argsort(rows, kind="stable")],
            f"{name} ({len(failed)} of {len(shapes)} subject partitions)",
        )


def _common_columns(
    shapes: Sequence[dict[str, Any]],
) -> dict[str, tuple[list[str], dict[str, Any]]]:
    """Per table: the columns of every partition in order, and one dtype each."""
    out = {}
    for table in TABLES:
        kinds = [s[table] for s in shapes]
        order = unify_columns([list(k) for k in kinds])
        out[table] = (order, {c: common_dtype([k[c] for k in kinds if c in k]) for c in order})
    return out


def _read(source: str | Path, partition_rows: int, whole_files: bool = False) -> Any:
    """The observation files as a Dask dataframe: in pieces of about a quarter partition, or,
    with ``whole_files`` (files already partitioned by subject), one partition per file."""
    dd: Any = importlib.import_module("dask.dataframe")

    text = str(source)
    remote = "://" in text  # s3://, gs://, hdfs://: Dask (fsspec) lists and reads them
    files = [text] if remote else (sorted(glob.glob(text)) or [text])
    if all(f.lower().endswith(".csv") for f in files):
        sep, encoding, comma, blocksize = ",", "utf-8", False, None
        if not remote and Path(files[0]).is_file():  # the first file's header decides
            with open(files[0], "rb") as f:
                head = f.read(65536)
            encoding = detect_encoding(head)
            text_head = head.decode(encoding, errors="replace").lstrip("\ufeff")
            lines = text_head.splitlines()
            sep = detect_delimiter(lines[0]) if lines else ","
            # as aegrade.read.files.read_csv decides for the whole file from its head
            comma = sep == ";" and re.search(r"\d,\d", text_head) is not None
            # blocks of about a quarter partition, so that every worker reads and shuffles
            per_line = len(head) / max(1, len(lines))
            blocksize = max(2**20, int(per_line * partition_rows / 4))
        frame = dd.read_csv(
            files,
            sep=sep,
            encoding=encoding,
            keep_default_na=False,
            na_values=CSV_NA,
            dtype=object,
            **(
                {"blocksize": None}
                if whole_files
                else {"blocksize": blocksize}
                if blocksize
                else {}
            ),
        )
        return frame.map_partitions(_decimal_commas, meta=frame._meta) if comma else frame
    if remote or Path(text).is_dir() or all(f.lower().endswith(".parquet") for f in files):
        paths = files if len(files) > 1 else files[0]
        split = False if whole_files else _row_groups_per_part(files, partition_rows)
        return dd.read_parquet(paths, split_row_groups=split)
    raise AegradeError(f"{text}: give Parquet or CSV observation files (or a glob of them)")


def _decimal_commas(part: pd.DataFrame) -> pd.DataFrame:
    """Every cell is text: ``88,4`` becomes ``88.4`` (the rule the single-process reader
    applies to a semicolon-separated file with decimal commas), so both runs read one number."""
    out: pd.DataFrame = part.apply(lambda s: s.str.replace(_DECIMAL_COMMA, r"\1.\2", regex=True))
    return out


def _row_groups_per_part(files: list[str], partition_rows: int) -> int | str:
    """Row groups per input partition: about ``partition_rows / 4`` rows each, judged from the
    first file's row groups, so that reading, numbering and shuffling run on every worker (Dask's
    default reads a whole file of up to 256 MiB, 30M rows of compact lab data, as one partition).
    """
    first = Path(files[0])
    if not first.is_file():
        return "infer"
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(first).metadata
    if meta.num_row_groups == 0:
        return "infer"
    per_group = max(1, int(meta.num_rows) // int(meta.num_row_groups))
    return max(1, partition_rows // 4 // per_group)


def _numbered_meta(meta: pd.DataFrame) -> pd.DataFrame:
    return meta.assign(**{_ROW: pd.Series([], dtype="int64")})


def _number_rows(part: pd.DataFrame, partition_info: dict[str, Any] | None = None) -> pd.DataFrame:
    k = partition_info["number"] if partition_info else 0
    return part.assign(**{_ROW: np.arange(len(part), dtype=np.int64) + (k << _LOCAL_BITS)})


def _extent(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The input partitions sorted ``rows`` (numbered by :func:`_number_rows`) come from, and
    one past the highest row of each seen here."""
    if not len(rows):
        return np.empty(0, np.int64), np.empty(0, np.int64)
    parts = rows >> _LOCAL_BITS
    last = np.flatnonzero(np.diff(parts, append=-1))
    return parts[last], (rows[last] & ((1 << _LOCAL_BITS) - 1)) + 1


def _starts(shapes: Sequence[dict[str, Any]]) -> np.ndarray:
    """The first 0-based input row of every input partition: every row went to one graded
    partition, so an input partition's length is one past its highest row seen anywhere."""
    parts = np.concatenate([s["extent"][0] for s in shapes] or [np.empty(0, np.int64)])
    ends = np.concatenate([s["extent"][1] for s in shapes] or [np.empty(0, np.int64)])
    lengths = np.zeros(int(parts.max()) + 1 if len(parts) else 0, dtype=np.int64)
    np.maximum.at(lengths, parts, ends)
    return np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)


def _input_rows(frame: pd.DataFrame, starts: np.ndarray) -> pd.DataFrame:
    """``frame`` (issues or failures) with its ``row`` labels as 0-based input row numbers."""
    if frame.empty or "row" not in frame.columns:
        return frame
    labels = pd.to_numeric(frame["row"], errors="coerce")
    known = labels.notna().to_numpy()
    ids = labels.to_numpy(dtype=np.float64, na_value=np.nan)[known].astype(np.int64)
    rows = frame["row"].astype(object).to_numpy(copy=True)
    rows[known] = (starts[ids >> _LOCAL_BITS] + (ids & ((1 << _LOCAL_BITS) - 1))).tolist()
    return frame.assign(row=pd.Series(rows, index=frame.index).astype(frame["row"].dtype))


def _source_rows(source: str | Path) -> int | None:
    """The rows of local Parquet files (their footers), about the rows of local CSV files
    (their size over the bytes per line of the first file's head), else None."""
    text = str(source)
    files = [] if "://" in text else sorted(glob.glob(text)) or [text]
    if not files or not all(Path(f).is_file() for f in files):
        return None
    if all(f.lower().endswith(".parquet") for f in files):
        import pyarrow.parquet as pq

        return sum(int(pq.ParquetFile(f).metadata.num_rows) for f in files)
    with open(files[0], "rb") as f:
        head = f.read(65536)
    per_line = len(head) / max(1, head.count(b"\n"))
    return max(1, int(sum(Path(f).stat().st_size for f in files) / per_line))


def _grade_part(
    part: pd.DataFrame, options: dict[str, Any], reading: dict[str, Any]
) -> dict[str, Any]:
    """One partition through :func:`~aegrade.pipeline.grade`, rows back in input order."""
    part = part.sort_values(_ROW, kind="stable")
    rows = part[_ROW].to_numpy()
    obs = part.drop(columns=_ROW).set_axis(pd.Index(rows), axis=0)
    extent = _extent(rows)
    if obs.empty:
        return {"meta": {}, "extent": extent}
    try:
        # one thread: the worker's own threads or processes already use the cores
        result = grade(load_study(obs, **reading), **options, threads=1)
    except InputError as err:
        if options.get("errors") != "raise":
            raise
        # reported with every other partition's
        return {"meta": {}, "failures": err.failures, "extent": extent}
    return {**result.tables(), "issues": result.issues, "meta": result.meta, "extent": extent}


def _shape(part: dict[str, Any]) -> dict[str, Any]:
    shapes: dict[str, Any] = {
        "meta": part["meta"],
        "failures": part.get("failures"),
        "extent": part["extent"],
    }
    for name in TABLES:
        frame = part.get(name)
        shapes[name] = {} if frame is None else {str(c): frame[c].dtype for c in frame.columns}
    return shapes


def _table(
    part: dict[str, Any], name: str, order: list[str], common: dict[str, Any], starts: np.ndarray
) -> pd.DataFrame:
    frame = part.get(name)
    if frame is None:
        frame = pd.DataFrame()
    elif name == "issues":
        frame = _input_rows(frame, starts)
    return conform_part(frame.reset_index(drop=True), order, common)


def _grade_and_spill(
    part: pd.DataFrame, options: dict[str, Any], reading: dict[str, Any], path: str
) -> dict[str, Any]:
    """Grade one partition, keep its tables in a pickle at ``path``; return their shapes."""
    graded = _grade_part(part, options, reading)
    with open(path, "wb") as f:  # a file this run writes and reads back: every dtype kept
        pickle.dump({k: v for k, v in graded.items() if k in TABLES}, f, protocol=5)
    return _shape(graded)


def _write_spilled(
    path: str,
    folder: str,
    k: int,
    columns: dict[str, tuple[list[str], dict[str, Any]]],
    starts: np.ndarray,
) -> None:
    """One spilled partition's tables, conformed to the common columns, as Parquet parts."""
    with open(path, "rb") as f:
        graded = pickle.load(f)
    for table, (order, common) in columns.items():
        frame = _table(graded, table, order, common, starts)
        schema = arrow_schema(conform_part(pd.DataFrame(), order, common))
        frame.to_parquet(Path(folder) / table / f"part-{k:05d}.parquet", index=False, schema=schema)
    Path(path).unlink()
