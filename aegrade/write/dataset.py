"""Partitioned output: each table as a Parquet dataset (a folder of part files) with one
schema in every part (issue 15, points 3 and 4).

Parts are written as the partitions are graded (one partition in memory at a time) into a
staging folder beside the destination; when all are written, the parts whose columns or
dtypes differ from the union of all parts are read back one at a time and rewritten with the
union (:func:`~aegrade.partition.unify_columns`, :func:`~aegrade.partition.common_dtype`),
and the staging folder is moved into place. ``about.json`` holds the run's provenance.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from aegrade.grading.biomarkers import biomarker_columns, summarize_biomarkers_by_arm
from aegrade.partition import common_dtype, conform_part, unify_columns
from aegrade.pipeline import GradeResult
from aegrade.write.results import write_parquet

__all__ = ["DATASET_TABLES", "write_partitioned"]

#: The tables of a partitioned run, one dataset folder each: the three outputs and the
#: issues always; the CRS/ICANS ``explain`` trail and the hematology ``listing`` (per subject,
#: a part per partition) when a partition has rows in them, as the one-partition run writes
#: them, and ``biomarkers_by_arm`` (over every subject, one part) when hematology ran.
DATASET_TABLES = (
    "graded_observations",
    "adverse_events",
    "subject_summary",
    "issues",
    "explain",
    "listing",
    "biomarkers_by_arm",
)
#: The tables every partitioned run writes.
_ALWAYS = DATASET_TABLES[:4]
#: The per-subject extras of :attr:`~aegrade.pipeline.GradeResult.extras` written part by part.
_EXTRAS = ("explain", "listing")


def write_partitioned(
    results: Iterable[GradeResult], folder: str | Path, *, about: dict[str, str] | None = None
) -> list[Path]:
    """Write graded partitions as Parquet datasets ``<folder>/<table>/part-NNNNN.parquet``.

    Parameters
    ----------
    results
        One :class:`~aegrade.pipeline.GradeResult` per partition (consumed one at a time).
    folder
        The output folder: refused when it holds anything but an earlier partitioned run.
    about
        More provenance for ``about.json`` (the first partition's ``meta`` is the base).

    Returns
    -------
    list of pathlib.Path
        The dataset folders written (:data:`DATASET_TABLES`) and ``about.json``.

    Examples
    --------
    >>> import tempfile
    >>> from aegrade.partition import grade_partitions
    >>> from aegrade.read import load_study
    >>> obs = pd.DataFrame({"subject_id": ["01", "02"], "day": [0, 0], "parameter": "PLAT",
    ...                     "value": [250, 20], "unit": "10^9/L"})
    >>> out = Path(tempfile.mkdtemp()) / "graded"
    >>> parts = grade_partitions(load_study(obs), partition_rows=1, hematology=False)
    >>> [p.name for p in write_partitioned(parts, out)]
    ['graded_observations', 'adverse_events', 'subject_summary', 'issues', 'about.json']
    >>> len(pd.read_parquet(out / "graded_observations"))
    2
    """
    final = Path(folder)
    _refuse_foreign(final)
    stage = final.parent / f".{final.name}.partial-{os.getpid()}"
    shutil.rmtree(stage, ignore_errors=True)
    try:
        meta, tables = _write_parts(results, stage)
        about_all = {**meta, **(about or {})}
        (stage / "about.json").write_text(json.dumps(about_all, indent=1), "utf-8")
        if final.exists():
            shutil.rmtree(final)
        final.parent.mkdir(parents=True, exist_ok=True)
        stage.rename(final)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return [final / name for name in (*tables, "about.json")]


def _refuse_foreign(final: Path) -> None:
    if not final.exists():
        return
    if not final.is_dir():
        raise FileExistsError(f"{final} exists and is not a folder")
    foreign = [p.name for p in final.iterdir() if p.name not in {*DATASET_TABLES, "about.json"}]
    if foreign:
        raise FileExistsError(
            f"{final} holds files aegrade did not write ({', '.join(sorted(foreign)[:3])}); "
            "give another output folder"
        )


def _write_parts(results: Iterable[GradeResult], stage: Path) -> tuple[dict[str, str], list[str]]:
    """Every partition's tables as parts, then the parts unified; ``biomarkers_by_arm`` from
    the whole subject summary. Returns the run's meta and the tables written."""
    dtypes: dict[str, list[dict[str, Any]]] = {t: [] for t in DATASET_TABLES}
    meta: dict[str, str] = {}
    made: set[str] = set()
    n = 0
    for n, result in enumerate(results, start=1):
        meta = meta or dict(result.meta)
        tables = {**result.tables(), "issues": result.issues}
        made |= {t for t in _EXTRAS if len(result.extras.get(t, ()))}  # as write_result
        made |= {"biomarkers_by_arm"} & set(result.extras)
        for name in _EXTRAS:  # a part in every partition, so that part k is partition k
            extra = result.extras.get(name)
            tables[name] = pd.DataFrame() if extra is None else extra
        for name, frame in tables.items():
            (stage / name).mkdir(parents=True, exist_ok=True)
            _write(frame, stage / name / f"part-{n - 1:05d}.parquet")
            dtypes[name].append({str(c): frame[c].dtype for c in frame.columns})
    written = [*_ALWAYS, *(t for t in _EXTRAS if t in made)]
    for name in DATASET_TABLES:
        if name in written:
            (stage / name).mkdir(parents=True, exist_ok=True)
            _unify(stage / name, dtypes[name])
        else:
            shutil.rmtree(stage / name, ignore_errors=True)
    if "biomarkers_by_arm" in made and _biomarkers_by_arm(stage):
        written.append("biomarkers_by_arm")
    meta["partitions"] = str(n)
    return meta, written


def _biomarkers_by_arm(stage: Path) -> bool:
    """``biomarkers_by_arm`` over every subject, from the written subject summary (only its
    arm and biomarker columns are read back), as :func:`~aegrade.pipeline.grade` makes it
    for a one-partition run; False when the run made no biomarker statistics."""
    import pyarrow.parquet as pq

    folder = stage / "subject_summary"
    parts = sorted(folder.glob("part-*.parquet"))
    if not parts:
        return False
    names = set(pq.read_schema(parts[0]).names)
    wanted = ["arm", *biomarker_columns()]
    if not any(c in names for c in biomarker_columns()):
        return False
    summary = pd.read_parquet(folder, columns=[c for c in wanted if c in names])
    (stage / "biomarkers_by_arm").mkdir(parents=True, exist_ok=True)
    _write(summarize_biomarkers_by_arm(summary), stage / "biomarkers_by_arm" / "part-00000.parquet")
    return True


def _write(frame: pd.DataFrame, path: Path) -> None:
    write_parquet(frame.reset_index(drop=True), path)


def _unify(folder: Path, parts: list[dict[str, Any]]) -> None:
    """Rewrite the parts whose columns or dtypes differ from the union of all parts."""
    if not parts:
        return
    order = unify_columns([list(p) for p in parts])
    common = {c: common_dtype([p[c] for p in parts if c in p]) for c in order}
    for k, part in enumerate(parts):
        if list(part) == order and all(_same_dtype(d, common[c]) for c, d in part.items()):
            continue
        path = folder / f"part-{k:05d}.parquet"
        _write(conform_part(pd.read_parquet(path), order, common), path)


def _same_dtype(a: Any, b: Any) -> bool:
    if isinstance(a, pd.CategoricalDtype) and isinstance(b, pd.CategoricalDtype):
        return True  # written as dictionary<int32, string> whatever the categories
    return bool(a == b)
