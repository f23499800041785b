"""``aegrade grade --partition-rows N`` and ``--engine dask``: grade a large input in subject
partitions and write each table as a Parquet dataset (a folder of part files)."""

from __future__ import annotations

import importlib
import logging
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import click

from aegrade.cli.progress import ticker
from aegrade.dask import grade_dask_to_parquet, require_dask
from aegrade.grading.labs import Ambiguous
from aegrade.partition import DEFAULT_PARTITION_ROWS, grade_partitions
from aegrade.pipeline import GradeResult
from aegrade.write.dataset import DATASET_TABLES, write_partitioned

__all__ = ["run_partitioned"]


def run_partitioned(
    input_path: Path,
    output: Path | None,
    criteria: str,
    *,
    errors: Literal["raise", "coerce"],
    ambiguous: Ambiguous,
    crs: list[str] | None,
    icans: str | None,
    column_map: Path | None,
    decimal: str | None,
    dayfirst: bool | None = None,
    quiet: bool = False,
    partition_rows: int | None,
    engine: str,
    scheduler: str | None,
    workers: int | None,
) -> None:
    """Grade ``input_path`` partition by partition (or with Dask) into ``output``'s datasets.

    >>> callable(run_partitioned)
    True
    """
    folder = _folder(input_path, output)
    grading: dict[str, Any] = {
        "errors": errors,
        "ambiguous": ambiguous,
        "crs": crs,
        "icans": icans,
    }
    reading: dict[str, Any] = {"column_map": column_map, "decimal": decimal, "dayfirst": dayfirst}
    if engine == "dask":
        grading["partition_rows"] = partition_rows or DEFAULT_PARTITION_ROWS
        _run_dask(input_path, folder, criteria, {**grading, **reading}, scheduler, workers)
        return
    counts = {"rows": 0, "graded": 0, "events": 0, "subjects": 0, "issues": 0}
    with ticker(enabled=False if quiet else None) as line:

        def show(text: str) -> None:
            done = f", {counts['rows']:,} rows graded" if counts["rows"] else ""
            line.show(f"{text}{done}")

        results = grade_partitions(
            input_path,
            criteria,
            partition_rows=partition_rows or DEFAULT_PARTITION_ROWS,
            workdir=folder.parent if folder.parent.exists() else None,
            progress=show,
            **grading,
            **reading,
        )
        written = write_partitioned(_counted(results, counts, show), folder)
    click.echo(
        f"graded {counts['graded']} of {counts['rows']} observations with {criteria} in "
        f"subject partitions; {counts['events']} adverse events; {counts['subjects']} subjects"
    )
    if counts["issues"]:
        click.echo(f"input problems (coerced): {counts['issues']}, see 'issues'", err=True)
    for path in written:
        click.echo(f"wrote {path}")


def _folder(input_path: Path, output: Path | None) -> Path:
    if output is None:
        stem = input_path.stem if input_path.is_file() else input_path.name
        return input_path.parent / f"{stem}_graded"
    if output.suffix:
        raise click.BadParameter(
            f"{output}: a partitioned run writes Parquet datasets into a folder; give a folder",
            param_hint="-o/--output",
        )
    return output


def _counted(
    results: Iterator[GradeResult], counts: dict[str, int], show: Callable[[str], None]
) -> Iterator[GradeResult]:
    """Count what each partition graded (shown on the progress line while it is written)."""
    for k, result in enumerate(results, start=1):
        go = result.graded_observations
        counts["rows"] += len(go)
        counts["graded"] += int((go["grade_low"].notna() | go["grade_high"].notna()).sum())
        counts["events"] += len(result.adverse_events)
        counts["subjects"] += len(result.subject_summary)
        counts["issues"] += len(result.issues)
        show(f"partition {k}: writing")
        yield result


def _run_dask(
    input_path: Path,
    folder: Path,
    criteria: str,
    grading: dict[str, Any],
    scheduler: str | None,
    workers: int | None,
) -> None:
    require_dask()
    client = None
    cluster = None
    if scheduler or workers:
        distributed: Any = importlib.import_module("distributed")
        if scheduler:
            client = distributed.Client(scheduler)
        else:
            cluster = distributed.LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            client = distributed.Client(cluster)
    try:
        stage = folder.parent / f".{folder.name}.partial"
        shutil.rmtree(stage, ignore_errors=True)
        meta = grade_dask_to_parquet(input_path, stage, criteria, **grading)
        if folder.exists():
            foreign = [p.name for p in folder.iterdir() if p.name not in DATASET_TABLES]
            if foreign:
                shutil.rmtree(stage, ignore_errors=True)
                raise click.UsageError(f"{folder} holds files aegrade did not write")
            shutil.rmtree(folder)
        stage.rename(folder)
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    click.echo(
        f"graded with Dask in {meta.get('partitions', '?')} partitions ({criteria}); wrote {folder}"
    )
