"""Grade a large study in subject partitions (issue 15, point 3).

Everything :func:`~aegrade.pipeline.grade` computes is per subject (baselines, episodes, the
subject summary, hematology), so a study split by a hash of ``subject_id`` grades to the same
rows, partition by partition. A single CSV (UTF-8 or one-byte encodings) or Parquet file of
observations is split while it is streamed, into one spill file per partition, so the run
never holds more than one partition in memory; any other input is read whole, then split.

The outputs of the partitions are combined with :func:`unify_columns` and
:func:`conform_part`: every part gets the same columns, in the order of the one-partition run,
with one dtype each, so that a Parquet dataset written part by part has one schema.
"""

from __future__ import annotations

import csv
import io
import math
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from aegrade.errors import InputError, failure_frame
from aegrade.grading.labs import Ambiguous
from aegrade.pipeline import GradeResult, grade
from aegrade.read.colmap import ColumnMap, load_column_map, map_key
from aegrade.read.files import detect_delimiter, detect_encoding
from aegrade.read.study import load_study, text_ids
from aegrade.study import Study

__all__ = [
    "DEFAULT_PARTITION_ROWS",
    "PartTables",
    "common_dtype",
    "conform_part",
    "grade_partitions",
    "split_study",
    "subject_column",
    "subject_partition",
    "unify_columns",
]

#: Default rows per partition: about 1M rows keeps one partition's grading under ~1 GiB.
DEFAULT_PARTITION_ROWS = 1_000_000

#: The identifier headers (folded) taken as the subject column when no map names one.
_SUBJECT_HEADERS = ("subject_id", "usubjid", "subjid", "subject", "patient_id", "patient")
#: The ``<term> [<system>]`` worst-grade columns of the subject summary (sorted by name).
_TERM_COLUMN = re.compile(r" \[[^\]]+\]$")

#: The three output tables and the issues, by name.
PartTables = dict[str, pd.DataFrame]


def subject_partition(subject_id: pd.Series | np.ndarray, n: int) -> np.ndarray:
    """The partition (0..n-1) of each row: a stable hash of the subject id as text.

    The hash is pandas' SipHash of the id as :func:`~aegrade.read.text_ids` writes it (so
    ``" 101"``, ``101`` and ``101.0`` are one subject, as when the study is read) with a fixed
    key, the same in every process and on every machine, so a subject's rows meet in one
    partition however the input is cut.

    Examples
    --------
    >>> subject_partition(pd.Series(["01", "02", "01"]), 4).tolist()
    [1, 2, 1]
    """
    text = text_ids(pd.Series(np.asarray(subject_id, dtype=object))).fillna("")
    hashed = pd.util.hash_array(text.to_numpy(dtype=object), categorize=True)
    return (hashed % np.uint64(max(n, 1))).astype(np.int64)


def split_study(study: Study, n: int) -> list[Study]:
    """``study`` cut into ``n`` studies by :func:`subject_partition`; rows keep their order,
    their file, sheet and row labels. Problems found while reading go with the first
    partition that has observations (the first one graded).

    Examples
    --------
    >>> from aegrade.study import Table
    >>> obs = Table(pd.DataFrame({"subject_id": ["01", "02", "01"], "parameter": "HGB",
    ...                           "value": [120, 95, 80]}))
    >>> parts = split_study(Study(obs), 2)
    >>> [p.observations.frame["subject_id"].tolist() for p in parts]
    [['02'], ['01', '01']]
    >>> parts[1].observations.labels().tolist()
    [0, 2]
    """
    cuts = {
        name: (table, subject_partition(table.frame["subject_id"], n))
        for name in ("observations", "subjects", "events")
        if (table := getattr(study, name)) is not None and "subject_id" in table.frame
    }
    obs = cuts.get("observations")
    # read problems go with the first partition graded (an empty one is skipped)
    first = int(obs[1].min()) if obs is not None and len(obs[1]) else 0
    out = []
    for k in range(n):
        parts: dict[str, Any] = {}
        for name, (table, part) in cuts.items():
            keep = part == k
            parts[name] = replace(
                table, frame=table.frame[keep], rows=np.asarray(table.labels())[keep]
            )
        failures = study.failures if k == first else failure_frame()
        out.append(replace(study, failures=failures, **parts))
    return out


def grade_partitions(
    source: str | Path | Study,
    criteria: str = "ctcae-v5.0",
    *,
    partition_rows: int = DEFAULT_PARTITION_ROWS,
    column_map: str | Path | None = None,
    decimal: str | None = None,
    workdir: str | Path | None = None,
    errors: Literal["raise", "coerce"] = "raise",
    ambiguous: Ambiguous = "worse",
    crs: str | list[str] | None = "astct-2019",
    icans: str | None = "astct-2019",
    hematology: bool = True,
    dayfirst: bool | None = None,
    progress: Callable[[str], object] | None = None,
) -> Iterator[GradeResult]:
    """Grade ``source`` one subject partition at a time; yields one result per partition.

    Parameters
    ----------
    source
        A path :func:`~aegrade.read.load_study` reads, or a study. A single ``.csv`` or
        ``.parquet`` observations file is split while streamed (spill files in ``workdir``,
        removed at the end); anything else is read whole and split.
    partition_rows
        Rows per partition (about): the number of partitions is the input's rows divided by
        it, rounded up.
    workdir
        Where the spill files go (default: the system temporary folder).
    criteria, ambiguous, crs, icans, hematology
        As for :func:`~aegrade.pipeline.grade`.
    errors
        ``"coerce"``: problems are listed in each result's ``issues``. ``"raise"``: every
        partition is checked, and when any has a problem, one
        :class:`~aegrade.errors.InputError` lists the problems of every partition (with the
        original file's row labels), naming how many partitions had them; no result is
        yielded after the first partition with a problem, so a writer consuming the results
        writes nothing (:func:`~aegrade.write.write_partitioned` removes its staged parts).
    decimal, dayfirst, column_map
        As for :func:`~aegrade.read.load_study`, for every partition.
    progress
        Called with what the run is doing: ``splitting <file>`` while a file is streamed
        into partitions, then ``partition <k>: <stage>`` for each stage of
        :func:`~aegrade.pipeline.grade` (:data:`~aegrade.pipeline.GRADE_STAGES`).

    Yields
    ------
    GradeResult
        Partition by partition; an empty partition is skipped. Issues carry the row labels
        and file name of the original input. ``extras["biomarkers_by_arm"]`` summarises
        one partition's subjects only (it is the one output that is not per subject;
        :func:`~aegrade.write.write_partitioned` computes it again over every subject).

    Raises
    ------
    InputError
        With ``errors="raise"``, after every partition was checked: the problems of all.

    Examples
    --------
    >>> obs = pd.DataFrame({"subject_id": ["01", "01", "02", "02"], "day": [0, 7, 0, 7],
    ...                     "parameter": "PLAT", "value": [250, 40, 230, 20],
    ...                     "unit": "10^9/L"})
    >>> parts = list(grade_partitions(load_study(obs), partition_rows=2, hematology=False))
    >>> sorted(len(p.adverse_events) for p in parts)
    [1, 1]
    """
    if partition_rows < 1:
        raise ValueError("partition_rows must be at least 1")
    kwargs: dict[str, Any] = {
        "errors": errors,
        "ambiguous": ambiguous,
        "crs": crs,
        "icans": icans,
        "hematology": hematology,
    }
    step = progress or _quiet
    if isinstance(source, Study):
        name = source.source or "DataFrame"
        n = max(1, math.ceil(len(source.observations.frame) / partition_rows))
        yield from _graded(split_study(source, n), name, criteria, kwargs, step)
        return
    path = Path(source)
    spill = _streamable(path, column_map)
    step(f"{'splitting' if spill else 'reading'} {path.name}")
    if spill is None:
        study = load_study(path, column_map=column_map, decimal=decimal, dayfirst=dayfirst)
        n = max(1, math.ceil(len(study.observations.frame) / partition_rows))
        yield from _graded(split_study(study, n), str(path), criteria, kwargs, step)
        return
    with tempfile.TemporaryDirectory(dir=workdir, prefix="aegrade-parts-") as tmp:
        studies = _spilled_studies(path, spill, partition_rows, column_map, tmp, dayfirst)
        studies = (replace(s, decimal=decimal or s.decimal) for s in studies)
        yield from _graded(studies, str(path), criteria, kwargs, step)


def _quiet(text: str) -> None:
    """No progress shown."""


def _labelled(step: Callable[[str], object], k: int) -> Callable[[str], object]:
    """``step`` called with ``partition <k>: <stage>``."""
    return lambda stage: step(f"partition {k}: {stage}")


def _graded(
    studies: Iterable[Study],
    source: str,
    criteria: str,
    kwargs: dict[str, Any],
    step: Callable[[str], object],
) -> Iterator[GradeResult]:
    """Grade each non-empty study. With ``errors="raise"``, a partition's problems do not
    stop the run at once: every partition is checked (none is yielded after the first with
    a problem), then one :class:`InputError` lists the problems of all of them."""
    problems: list[pd.DataFrame] = []
    checked = 0
    for study in studies:
        if not len(study.observations.frame):
            continue
        checked += 1
        try:
            result = grade(study, criteria, **kwargs, progress=_labelled(step, checked))
        except InputError as err:
            if kwargs.get("errors") != "raise":
                raise
            problems.append(err.failures)
            continue
        if not problems:
            yield result
    if problems:
        failures = pd.concat(problems, ignore_index=True)
        rows = pd.to_numeric(failures["row"], errors="coerce")
        failures = failures.iloc[np.argsort(rows.fillna(-1).to_numpy(), kind="stable")]
        raise InputError(failures, f"{source} ({len(problems)} of {checked} subject partitions)")


def subject_column(
    names: Sequence[str], column_map: str | Path | dict[str, Any] | ColumnMap | None = None
) -> str | None:
    """The header among ``names`` that holds the subject id: the one a column map maps to
    ``subject_id``, else a usual name (``subject_id``, ``USUBJID``, ``patient``, ...,
    matched as the map matches: case and outer spaces ignored); None when there is none.

    Examples
    --------
    >>> subject_column(["Patient", "Test", "Result"])
    'Patient'
    >>> subject_column(["Pt no", "Test"], {"columns": {"pt no": "subject_id"}}) is None
    False
    """
    cmap = load_column_map(column_map)
    mapped = {map_key(k) for k, v in (cmap.columns if cmap else {}).items() if v == "subject_id"}
    folded = {map_key(name): name for name in names}
    for key in [*mapped, *_SUBJECT_HEADERS]:
        if key in folded:
            return str(folded[key])
    return None


def _streamable(path: Path, column_map: str | Path | None) -> str | None:
    """The subject column of a single CSV/Parquet observations file, else None."""
    suffix = path.suffix.lower()
    if not path.is_file() or suffix not in (".csv", ".parquet"):
        return None
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        names = list(pq.ParquetFile(path).schema_arrow.names)
    else:
        head = path.open("rb").read(65536)
        encoding = detect_encoding(head)
        if encoding.startswith("utf-16"):
            return None
        first = head.decode(encoding, errors="replace").lstrip("\ufeff").splitlines()
        if not first:
            return None
        names = next(csv.reader([first[0]], delimiter=detect_delimiter(first[0])))
    return subject_column(names, column_map)


def _spilled_studies(
    path: Path,
    subject: str,
    partition_rows: int,
    column_map: str | Path | None,
    tmp: str,
    dayfirst: bool | None = None,
) -> Iterator[Study]:
    """Stream ``path`` into one file per partition, then read each back as a study whose
    rows are labelled as in the original file."""
    if path.suffix.lower() == ".parquet":
        files, labels = _spill_parquet(path, subject, partition_rows, Path(tmp))
    else:
        files, labels = _spill_csv(path, subject, partition_rows, Path(tmp))
    for part, label in zip(files, labels, strict=True):
        if not part.exists():
            continue
        study = load_study(part, column_map=column_map, dayfirst=dayfirst)
        obs = study.observations
        first = 2  # the spill file's labels (2.., as CSV and Parquet are read) -> the original's
        own = np.asarray(obs.labels()).astype(np.int64) - first
        original = _read_labels(label)[own]
        fails = study.failures
        if len(fails) and "row" in fails:
            rows = pd.to_numeric(fails["row"], errors="coerce")
            ok = rows.notna().to_numpy()
            mapped = fails["row"].astype(object).copy()
            mapped[ok] = _read_labels(label)[rows[ok].astype(np.int64) - first]
            fails = fails.assign(row=mapped, file=str(path))
        yield replace(
            study,
            observations=replace(obs, file=str(path), rows=original),
            source=str(path),
            failures=fails,
        )


def _spill_parquet(
    path: Path, subject: str, partition_rows: int, tmp: Path
) -> tuple[list[Path], list[Path]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = pq.ParquetFile(path)
    n = max(1, math.ceil(source.metadata.num_rows / partition_rows))
    writers: dict[int, Any] = {}
    files = [tmp / f"part-{k:05d}.parquet" for k in range(n)]
    labels = _Labels(tmp, n)
    start = 0
    for batch in source.iter_batches(batch_size=262_144):
        part = subject_partition(batch.column(subject).to_pandas(), n)
        table = pa.Table.from_batches([batch])
        for k in np.unique(part):
            keep = np.flatnonzero(part == k)
            if k not in writers:
                writers[k] = pq.ParquetWriter(files[k], table.schema)
            writers[k].write_table(table.take(keep))
            labels.add(k, keep + start + 2)
        start += batch.num_rows
    for w in writers.values():
        w.close()
    return files, labels.close()


def _spill_csv(
    path: Path, subject: str, partition_rows: int, tmp: Path
) -> tuple[list[Path], list[Path]]:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    with path.open("rb") as f:
        head = f.read(1 << 20)
    encoding = detect_encoding(head)
    text = head.decode(encoding, errors="replace").lstrip("\ufeff")
    lines = text.splitlines()
    sep = detect_delimiter(lines[0])
    names = next(csv.reader([lines[0]], delimiter=sep))
    per_row = max(1.0, len(head) / max(1, len(lines)))
    n = max(1, math.ceil(path.stat().st_size / per_row / partition_rows))
    reader = pcsv.open_csv(
        path,
        read_options=pcsv.ReadOptions(encoding=encoding, block_size=16 << 20),
        parse_options=pcsv.ParseOptions(delimiter=sep),
        convert_options=pcsv.ConvertOptions(
            column_types={name: pa.string() for name in names}, strings_can_be_null=False
        ),
    )
    files = [tmp / f"part-{k:05d}.csv" for k in range(n)]
    handles: dict[int, Any] = {}
    labels = _Labels(tmp, n)
    options = pcsv.WriteOptions(include_header=False, delimiter=sep)
    start = 0
    for batch in reader:
        part = subject_partition(batch.column(subject).to_pandas(), n)
        table = pa.Table.from_batches([batch])
        for k in np.unique(part):
            keep = np.flatnonzero(part == k)
            if k not in handles:
                handles[k] = files[k].open("wb")
                header = io.StringIO()
                csv.writer(header, delimiter=sep, lineterminator="\n").writerow(names)
                handles[k].write(header.getvalue().encode("utf-8"))
            pcsv.write_csv(table.take(keep), handles[k], options)
            labels.add(k, keep + start + 2)
        start += batch.num_rows
    for h in handles.values():
        h.close()
    return files, labels.close()


class _Labels:
    """The original row label of each spilled row, appended to one file per partition (so
    that they are not held in memory), read back with :func:`numpy.load`-like ``_read``."""

    def __init__(self, tmp: Path, n: int) -> None:
        self.paths = [tmp / f"rows-{k:05d}.i64" for k in range(n)]
        self.handles: dict[int, Any] = {}

    def add(self, k: int, labels: np.ndarray) -> None:
        if k not in self.handles:
            self.handles[k] = self.paths[k].open("wb")
        self.handles[k].write(labels.astype("<i8").tobytes())

    def close(self) -> list[Path]:
        for h in self.handles.values():
            h.close()
        return self.paths


def _read_labels(path: Path) -> np.ndarray:
    return np.fromfile(path, dtype="<i8") if path.exists() else np.zeros(0, np.int64)


def unify_columns(parts: Sequence[Sequence[str]]) -> list[str]:
    """The columns of all parts, in the order the one-partition run gives them: a column
    new in a part goes after the column before it there; the ``<term> [<system>]`` columns
    of a subject summary are sorted, as its pivot sorts them.

    Examples
    --------
    >>> unify_columns([["subject_id", "n_observations", "Anemia [ctcae-v5.0]", "crs_grade"],
    ...                ["subject_id", "n_observations", "Alkalosis [ctcae-v5.0]"]])
    ['subject_id', 'n_observations', 'Alkalosis [ctcae-v5.0]', 'Anemia [ctcae-v5.0]', 'crs_grade']
    """
    order: list[str] = []
    for columns in parts:
        for i, name in enumerate(columns):
            if name in order:
                continue
            before = [c for c in columns[:i] if c in order]
            at = order.index(before[-1]) + 1 if before else len(order)
            if not _TERM_COLUMN.search(name):  # after the block of terms, not inside it
                while at < len(order) and _TERM_COLUMN.search(order[at]):
                    at += 1
            order.insert(at, name)
    terms = [c for c in order if _TERM_COLUMN.search(c)]
    if not terms:
        return order
    at = order.index(terms[0])
    rest = [c for c in order if c not in set(terms)]
    return [*rest[:at], *sorted(terms), *rest[at:]]


def conform_part(
    frame: pd.DataFrame, columns: Sequence[str], dtypes: dict[str, Any]
) -> pd.DataFrame:
    """``frame`` with exactly ``columns`` (a missing one added, all NA) in ``dtypes``.

    Examples
    --------
    >>> out = conform_part(pd.DataFrame({"a": [1]}), ["a", "b"], {"a": "float64", "b": "Int64"})
    >>> out.dtypes.astype(str).tolist(), out["b"].isna().tolist()
    (['float64', 'Int64'], [True])
    """
    out = {}
    for name in columns:
        dtype = dtypes[name]
        if name in frame:
            column = frame[name]
            out[name] = column if column.dtype == dtype else column.astype(dtype)
        else:
            out[name] = pd.Series(pd.array([None] * len(frame), dtype=dtype), index=frame.index)
    return pd.DataFrame(out, index=frame.index)


def common_dtype(dtypes: Sequence[Any]) -> Any:
    """One dtype for a column across parts: the same one, numbers widened to float64 (or
    Int64 when every part is an integer), else text.

    >>> common_dtype([np.dtype("int64"), np.dtype("float64")])
    dtype('float64')
    """
    first = dtypes[0]
    if all(d == first for d in dtypes):
        return first
    if all(isinstance(d, pd.CategoricalDtype) for d in dtypes):
        cats = pd.Index(sorted({c for d in dtypes for c in d.categories.astype(str)}))
        return pd.CategoricalDtype(cats.astype("string"))
    if all(pd.api.types.is_integer_dtype(d) for d in dtypes):
        return pd.Int64Dtype()
    if all(pd.api.types.is_numeric_dtype(d) and not pd.api.types.is_bool_dtype(d) for d in dtypes):
        return np.dtype("float64")
    return pd.StringDtype()
