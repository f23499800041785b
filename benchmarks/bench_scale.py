"""Benchmark large runs: peak memory and wall time of whole `aegrade grade` processes, one
partition vs subject partitions, and Dask with 1 and 2 workers (never run as a test).

Run: .venv/bin/python benchmarks/bench_scale.py [--rows 2000000 20000000]
     [--partition-rows 1000000] [--single-max 5000000] [--dask-rows 2000000]
     [--only single,partitioned,dask] [--json PATH]

The input is a Parquet file of synthetic lab rows (500 rows per subject), written chunk by
chunk. Peak memory is the largest resident set of the command and its child processes
(getrusage of a wrapper process), reported as bytes per input row; the one-partition run is
skipped above --single-max rows (about 500 B/row: 10 GB at 20M).

Dask runs (up to --dask-rows rows) are a fresh process each that starts a LocalCluster of 1 or
2 single-threaded worker processes and does what ``aegrade grade --engine dask --workers N``
does (``aegrade.dask.grade_dask_to_parquet``); it reports the whole wall time, the
grading phase (first to last graded partition, from Dask's task stream), the CPU seconds of
the grading tasks, and each worker's peak resident set. Beside them, in the same run, the
floor: how much faster two processes finish two copies of a CPU-bound numpy job than one
process finishes both (2.0 on an idle 2-core machine; less when other jobs take the cores),
measured before, between and after the Dask runs. The 2-worker speed-up is printed beside it.
Timings depend on the machine and its load (printed).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

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


def _numpy_job() -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    for _ in range(6):
        np.sort(rng.random(2_000_000))


def capacity() -> float:
    """Speed-up two processes get on this machine now: 2 jobs in 1 process / 1 job in each of 2
    processes at once (2.0 with two idle cores)."""
    code = f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); " + (
        "from bench_scale import _numpy_job; _numpy_job()"
    )
    one = [sys.executable, "-c", code + "; _numpy_job()"]
    t = time.perf_counter()
    subprocess.run(one, check=True)
    serial = time.perf_counter() - t
    t = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(2)]
    for p in procs:
        p.wait()
    return serial / (time.perf_counter() - t)


def dask_child(src: str, workers: int, partition_rows: int, out: str) -> None:
    """``aegrade grade SRC -o OUT --engine dask --workers N`` with its phases measured (JSON)."""
    import logging
    import resource

    import distributed

    from aegrade.dask import grade_dask_to_parquet

    t0 = time.perf_counter()
    cluster = distributed.LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    client = distributed.Client(cluster)
    cpu0 = client.run(lambda: sum(os.times()[:2]))
    t1 = time.perf_counter()
    with distributed.get_task_stream(client) as stream:
        grade_dask_to_parquet(src, out, partition_rows=partition_rows, errors="coerce")
    t2 = time.perf_counter()
    peaks = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    cpu1 = client.run(lambda: sum(os.times()[:2]))
    spans = []
    busy = 0.0
    kinds: dict[str, float] = {}
    for task in stream.data:
        key = task["key"]
        kind = str(key[0] if isinstance(key, tuple) else key).split("-")[0]
        seconds = sum(s["stop"] - s["start"] for s in task["startstops"])
        kinds[kind] = kinds.get(kind, 0.0) + seconds
        if "_grade_and_spill" not in str(key[0] if isinstance(key, tuple) else key):
            continue
        for s in task["startstops"]:
            if s["action"] == "compute":
                spans.append((s["start"], s["stop"]))
                busy += s["stop"] - s["start"]
    grading = max(e for _, e in spans) - min(b for b, _ in spans) if spans else 0.0
    client.close()
    cluster.close()
    print(
        json.dumps(
            {
                "cluster": t1 - t0,
                "elapsed": t2 - t1,
                "wall": t2 - t0,
                "grading": grading,
                "grading_busy": busy,
                "worker_cpu": sum(cpu1[k] - cpu0[k] for k in cpu1),
                "tasks": {
                    k: v for k, v in sorted(kinds.items(), key=lambda kv: -kv[1]) if v > 0.05
                },
                "worker_peaks": sorted(peaks.values()),
                "driver_peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            }
        )
    )


def run_dask(src: Path, workers: int, partition_rows: int, out: Path) -> dict[str, Any]:
    res = subprocess.run(
        [
            sys.executable,
            __file__,
            "--dask-child",
            json.dumps([str(src), workers, partition_rows, str(out)]),
        ],
        capture_output=True,
        text=True,
    )
    if res.returncode:
        raise SystemExit(f"dask run failed:\n{res.stderr[-3000:]}")
    got: dict[str, Any] = json.loads(res.stdout.strip().splitlines()[-1])
    return got


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, nargs="+", default=[2_000_000, 20_000_000])
    ap.add_argument("--partition-rows", type=int, default=1_000_000)
    ap.add_argument("--single-max", type=int, default=5_000_000)
    ap.add_argument("--dask-rows", type=int, default=2_000_000)
    ap.add_argument("--only", default="single,partitioned,dask")
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--json", type=Path, help="also write the figures here (for bench_all.py)")
    ap.add_argument("--dask-child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.dask_child:
        dask_child(*json.loads(args.dask_child))
        return
    only = set(args.only.split(","))
    exe = str(Path(sys.executable).parent / "aegrade")
    figures: list[dict[str, Any]] = []
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'run':<44} {'rows':>11} {'wall s':>8} {'peak MiB':>9} {'B/row':>7} {'us/row':>7}")
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        d = Path(tmp)
        for rows in args.rows:
            src = d / f"labs_{rows}.parquet"
            make_input(src, rows)
            runs: list[tuple[str, list[str]]] = []
            if rows <= args.single_max and "single" in only:
                runs.append(("one partition (--format parquet)", ["--format", "parquet"]))
            if "partitioned" in only:
                runs.append(
                    (
                        f"--partition-rows {args.partition_rows:,}",
                        ["--partition-rows", str(args.partition_rows)],
                    )
                )
            for k, (name, extra) in enumerate(runs):
                out = d / f"out_{rows}_{k}"
                cmd = [exe, "grade", str(src), "-o", str(out), "--errors", "coerce", *extra]
                wall, peak = measure(cmd)
                figures.append({"run": name, "rows": rows, "wall": wall, "peak": peak})
                print(
                    f"{name:<44} {rows:>11,} {wall:>8.1f} {peak / 2**20:>9.0f} "
                    f"{peak / rows:>7.0f} {wall / rows * 1e6:>7.2f}",
                    flush=True,
                )
            if rows <= args.dask_rows and "dask" in only:
                figures.extend(dask_runs(src, rows, args.partition_rows, d))
            src.unlink()
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


def dask_runs(src: Path, rows: int, partition_rows: int, d: Path) -> list[dict[str, Any]]:
    """Dask with 1 and 2 workers, the machine's two-process capacity measured around them."""
    caps = [capacity()]
    got = {}
    for w in (1, 2):
        got[w] = run_dask(src, w, partition_rows, d / f"dask_{rows}_{w}")
        caps.append(capacity())
    cap = statistics.median(caps)
    for w, g in got.items():
        peak = max(g["worker_peaks"])
        print(
            f"{'--engine dask, LocalCluster ' + str(w) + ' worker(s)':<44} {rows:>11,} "
            f"{g['wall']:>8.1f} {peak / 2**20:>9.0f} {peak / rows:>7.0f} "
            f"{g['wall'] / rows * 1e6:>7.2f}",
            flush=True,
        )
        print(
            f"    cluster start {g['cluster']:.1f} s, grade_dask_to_parquet {g['elapsed']:.1f} s "
            f"(grading phase {g['grading']:.1f} s, grading tasks ran {g['grading_busy']:.1f} s); "
            f"CPU of the workers {g['worker_cpu']:.1f} s; "
            "peak per worker "
            + ", ".join(f"{p / 2**20:,.0f} MiB" for p in g["worker_peaks"])
            + f"; driver {g['driver_peak'] / 2**20:,.0f} MiB",
            flush=True,
        )
        print(
            "    task seconds by kind: " + ", ".join(f"{k} {v:.1f}" for k, v in g["tasks"].items()),
            flush=True,
        )
    speed = got[1]["grading"] / got[2]["grading"] if got[2]["grading"] else float("nan")
    whole = got[1]["wall"] / got[2]["wall"]
    print(
        f"    2 workers vs 1: grading phase {speed:.2f}x, whole run {whole:.2f}x; floor: two "
        f"processes now run {cap:.2f}x as fast as one ({', '.join(f'{c:.2f}' for c in caps)}); "
        f"grading speed-up / floor {speed / cap:.2f}; load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    return [
        {"run": f"dask {w} worker(s)", "rows": rows, **g, "capacity": cap, "speedup": speed}
        for w, g in got.items()
    ]


if __name__ == "__main__":
    main()
