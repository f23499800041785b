"""Benchmark large runs: peak memory and wall time of whole `aegrade grade` processes, one
partition vs subject partitions, and Dask with 1 and 2 workers (never run as a test).

Run: .venv/bin/python benchmarks/bench_scale.py [--rows 2000000 20000000]
     [--partition-rows 1000000] [--single-max 5000000] [--dask-rows 2000000]

The input is a Parquet file of synthetic lab rows (500 rows per subject), written chunk by
chunk. Peak memory is the largest resident set of the command and its child processes
(getrusage of a wrapper process), reported as bytes per input row; the one-partition run is
skipped above --single-max rows (about 500 B/row: 10 GB at 20M). Dask runs use a LocalCluster
of 1 or 2 single-threaded worker processes; their figure is wall time (each worker's memory
is bounded by its partitions). Timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).parent))
from _synth import lab_rows

#: Runs the command given as JSON in argv[1]; prints its children's peak RSS in bytes.
_WRAPPER = (
    "import json, resource, subprocess, sys\n"
    "r = subprocess.run(json.loads(sys.argv[1]), capture_output=True, text=True)\n"
    "sys.stderr.write(r.stderr[-2000:] if r.returncode else '')\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024, r.returncode)\n"
)


def make_input(path: Path, rows: int, chunk: int = 1_000_000) -> None:
    """``rows`` lab rows, 500 per subject, subjects numbered across chunks."""
    writer = None
    done = 0
    k = 0
    while done < rows:
        n = min(chunk, rows - done)
        frame = lab_rows(n, seed=k + 1)
        frame["subject_id"] = f"C{k:04d}-" + frame["subject_id"].astype(str)
        table = pa.Table.from_pandas(frame, preserve_index=False)
        table = table.cast(
            pa.schema(
                [
                    pa.field(
                        f.name,
                        pa.string() if f.name in {"subject_id", "parameter", "unit"} else f.type,
                    )
                    for f in table.schema
                ]
            )
        )
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=250_000)
        done += n
        k += 1
    if writer is not None:
        writer.close()


def measure(cmd: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS bytes of ``cmd``."""
    t = time.perf_counter()
    res = subprocess.run(
        [sys.executable, "-c", _WRAPPER, json.dumps(cmd)], capture_output=True, text=True
    )
    wall = time.perf_counter() - t
    peak, code = res.stdout.split()
    if code != "0":
        raise SystemExit(f"failed: {' '.join(cmd)}\n{res.stderr}")
    return wall, int(peak)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, nargs="+", default=[2_000_000, 20_000_000])
    ap.add_argument("--partition-rows", type=int, default=1_000_000)
    ap.add_argument("--single-max", type=int, default=5_000_000)
    ap.add_argument("--dask-rows", type=int, default=2_000_000)
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args()
    exe = str(Path(sys.executable).parent / "aegrade")
    print(f"{'run':<44} {'rows':>11} {'wall s':>8} {'peak MiB':>9} {'B/row':>7} {'us/row':>7}")
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        d = Path(tmp)
        for rows in args.rows:
            src = d / f"labs_{rows}.parquet"
            make_input(src, rows)
            runs: list[tuple[str, list[str]]] = []
            if rows <= args.single_max:
                runs.append(("one partition (--format parquet)", ["--format", "parquet"]))
            runs.append(
                (
                    f"--partition-rows {args.partition_rows:,}",
                    ["--partition-rows", str(args.partition_rows)],
                )
            )
            if rows <= args.dask_rows:
                for w in (1, 2):
                    runs.append(
                        (
                            f"--engine dask --workers {w}",
                            [
                                "--engine",
                                "dask",
                                "--workers",
                                str(w),
                                "--partition-rows",
                                str(args.partition_rows),
                            ],
                        )
                    )
            for k, (name, extra) in enumerate(runs):
                out = d / f"out_{rows}_{k}"
                cmd = [exe, "grade", str(src), "-o", str(out), "--errors", "coerce", *extra]
                wall, peak = measure(cmd)
                print(
                    f"{name:<44} {rows:>11,} {wall:>8.1f} {peak / 2**20:>9.0f} "
                    f"{peak / rows:>7.0f} {wall / rows * 1e6:>7.2f}",
                    flush=True,
                )
            src.unlink()


if __name__ == "__main__":
    main()
