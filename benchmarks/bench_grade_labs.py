"""Benchmark grade_labs against a bare numpy pass, and the whole CSV -> Parquet process.

Run: .venv/bin/python benchmarks/bench_grade_labs.py [--rows 1000000] [--big 10000000]
     [--runs 7] [--no-cli] [--stages] [--threads N] [--before DIR [--rounds 3]]

Prints, for (a) the bare numpy pass the issue names as reference (gather four thresholds per
row from a parameter table and compare four times) and (b) aegrade.grade_labs on the same
rows, the median wall time of ``--runs`` INTERLEAVED runs (floor, aegrade, floor, aegrade,
...), so that both see the same load on a shared machine, and the ratio of the medians.
grade_labs runs twice in each round: on one thread (``threads=1``, the serial path: its CPU
ratio is what no second core helps, as the floor is one thread) and with ``--threads`` (the
default: every core, as ``grade_labs`` runs by default); both wall and CPU ratios are printed.
The process first sets the allocator to keep freed memory, as the ``aegrade grade`` command
does (:func:`aegrade.threads.keep_freed_memory`; the library alone never changes it), which
then holds for the floor too; run with ``AEGRADE_KEEP_MEMORY=0`` to measure without it.
``--big N`` repeats (a) and (b) on N rows in a fresh process (interleaved, 3 runs) with its
peak memory. Unless ``--no-cli``, it also times ``aegrade grade big.csv --format parquet`` as a
whole process with its peak memory. ``--before DIR`` also measures another aegrade tree
(DIR holds its ``aegrade`` package, e.g. ``git archive main | tar -x -C DIR``) against this
one: fresh processes for either tree in turn (``--rounds``, 3 interleaved runs each, each
with its own floor), so both see the same load; the medians over the rounds are printed side
by side. ``--stages`` splits grade_labs
into its three steps
(``prepare_observations``, ``grade_prepared``, ``assemble_grades``), each timed against the
same floor, in wall and in CPU time of this process (CPU time is steadier on a shared
machine: other processes' load does not count).
Never run as a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _synth import PARAMS, lab_rows

import aegrade
from aegrade.threads import keep_freed_memory, thread_count


def numpy_pass(codes: np.ndarray, value: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    t = thresholds[codes]  # gather four thresholds per row
    return (
        (value < t[:, 0]).astype(np.int8)
        + (value < t[:, 1])
        + (value < t[:, 2])
        + (value < t[:, 3])
    )


def interleaved(n: int, runs: int, threads: int | None = None) -> dict[str, float]:
    """Median wall and CPU seconds of the floor, of grade_labs on one thread (the serial path)
    and of grade_labs on ``threads`` threads (None: the default, every core), runs interleaved.

    ``aegrade``/``ratio`` are the default (threaded) run's wall time and its ratio to the
    floor's wall time; the floor runs on one thread, so the serial CPU ratio is the figure
    that no second core helps.
    """
    df = lab_rows(n)
    codes = df["parameter"].cat.codes.to_numpy()
    value = df["value"].to_numpy()
    thresholds = np.sort(np.random.default_rng(0).random((len(PARAMS), 4)) * 100, axis=1)
    aegrade.grade_labs(df.head(1000))  # load and compile the criteria once
    jobs = {
        "floor": lambda: numpy_pass(codes, value, thresholds),
        "serial": lambda: aegrade.grade_labs(df, threads=1),
        "threaded": lambda: aegrade.grade_labs(df, threads=threads),
    }
    wall: dict[str, list[float]] = {k: [] for k in jobs}
    cpu: dict[str, list[float]] = {k: [] for k in jobs}
    for _ in range(runs):
        for k, job in jobs.items():
            w, c = time.perf_counter(), time.process_time()
            job()
            wall[k].append(time.perf_counter() - w)
            cpu[k].append(time.process_time() - c)
    out = {k: statistics.median(v) for k, v in wall.items()}
    out |= {f"{k}_cpu": statistics.median(v) for k, v in cpu.items()}
    out["aegrade"], out["ratio"] = out["threaded"], out["threaded"] / out["floor"]
    out["threads"] = float(thread_count(threads))
    return out


def stages(n: int, runs: int, threads: int | None = None) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) seconds of the floor and of each step of grade_labs, on one thread
    (``<step>/1``) and on ``threads`` threads (``<step>/T``), interleaved."""
    from aegrade.grading.labs import assemble_grades, grade_prepared
    from aegrade.prepare.observations import prepare_observations

    df = lab_rows(n)
    codes = df["parameter"].cat.codes.to_numpy()
    value = df["value"].to_numpy()
    thresholds = np.sort(np.random.default_rng(0).random((len(PARAMS), 4)) * 100, axis=1)
    aegrade.grade_labs(df.head(1000))
    names = ["floor"] + [f"{k}/{t}" for t in "1T" for k in ("prepare", "grade", "assemble")]
    wall: dict[str, list[float]] = {k: [] for k in names}
    cpu: dict[str, list[float]] = {k: [] for k in names}
    for _ in range(runs):
        marks = [(time.perf_counter(), time.process_time())]
        numpy_pass(codes, value, thresholds)
        marks.append((time.perf_counter(), time.process_time()))
        for t in (1, threads):
            prep = prepare_observations(df, threads=t)
            marks.append((time.perf_counter(), time.process_time()))
            plan, low, high = grade_prepared(prep, "ctcae-v5.0", threads=t)
            marks.append((time.perf_counter(), time.process_time()))
            assemble_grades(df, prep, plan, low, high, threads=t)
            marks.append((time.perf_counter(), time.process_time()))
            del prep, plan, low, high
            marks[-1] = (time.perf_counter(), time.process_time())  # freeing not counted
        for k, (a, b) in zip(names, itertools.pairwise(marks), strict=True):
            wall[k].append(b[0] - a[0])
            cpu[k].append(b[1] - a[1])
    return {k: (statistics.median(wall[k]), statistics.median(cpu[k])) for k in names}


def whole_process(n: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "labs.csv"
        lab_rows(n).to_csv(csv, index=False)
        out = Path(tmp) / "out"
        cmd = [
            sys.executable,
            "-c",
            "import resource, sys, time; t=time.perf_counter();"
            "from aegrade.cli import main;"
            "sys.argv=['aegrade','grade',sys.argv[1],'-o',sys.argv[2],'--format','parquet'];"
            "\ntry:\n main(standalone_mode=False)\nfinally:\n"
            " print('ELAPSED', time.perf_counter()-t, 'RSS', "
            "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)",
            str(csv),
            str(out),
        ]
        t = time.perf_counter()
        res = subprocess.run(cmd, capture_output=True, text=True, check=True)
        wall = time.perf_counter() - t
        rss_kib = float(res.stdout.split("RSS")[-1].split()[0])
        return wall, rss_kib / 1024


def big(n: int, runs: int, threads: int | None = None) -> dict[str, float]:
    """:func:`interleaved` on ``n`` rows in a fresh process, with its peak memory (GiB)."""
    cmd = [
        sys.executable,
        "-c",
        "import json, resource, sys; sys.path.insert(0, sys.argv[3]);"
        "from bench_grade_labs import interleaved; from aegrade.threads import keep_freed_memory;"
        "keep_freed_memory();"
        "out = interleaved(int(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[4]));"
        "out['rss_gib'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024;"
        "print(json.dumps(out))",
        str(n),
        str(runs),
        str(Path(__file__).parent),
        json.dumps(threads),
    ]
    res = subprocess.run(cmd, capture_output=True, text=True, check=True)
    out: dict[str, float] = json.loads(res.stdout.strip().splitlines()[-1])
    return out


def _child(n: int, runs: int, tree: str | None, threads: int | None) -> dict[str, float]:
    """:func:`interleaved` in a fresh process, with ``tree``'s aegrade (None: this one)."""
    here = str(Path(__file__).parent)
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[3]);"
        "tree = sys.argv[4]\nif tree: sys.path.insert(0, tree)\n"
        "from bench_grade_labs import interleaved; from aegrade.threads import keep_freed_memory;"
        "keep_freed_memory();"
        "got = interleaved(int(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[5]));"
        "print(json.dumps(got))"
    )
    cmd = [sys.executable, "-c", code, str(n), str(runs), here, tree or "", json.dumps(threads)]
    res = subprocess.run(cmd, capture_output=True, text=True, check=True)
    out: dict[str, float] = json.loads(res.stdout.strip().splitlines()[-1])
    return out


def versus(n: int, rounds: int, before: str, threads: int | None = None) -> None:
    """grade_labs of the aegrade in ``before`` and of this one, in fresh processes in turn."""
    got: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
    for _ in range(rounds):
        got["before"].append(_child(n, 3, before, threads))
        got["after"].append(_child(n, 3, None, threads))
    print(f"before ({before}) and after (this tree), {rounds} rounds of fresh processes:")
    for name, runs in got.items():
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        ratio = {k: statistics.median(r[k] / r["floor"] for r in runs) for k in runs[0]}
        cpu = {
            k: statistics.median(r[f"{k}_cpu"] / r["floor_cpu"] for r in runs)
            for k in ("serial", "threaded")
        }
        print(
            f"  {name:6s} floor {med['floor']:.3f} s; 1 thread {med['serial']:.3f} s ="
            f" {ratio['serial']:.1f}x wall, {cpu['serial']:.1f}x CPU; default threads"
            f" {med['threaded']:.3f} s = {ratio['threaded']:.1f}x wall,"
            f" {cpu['threaded']:.1f}x CPU"
        )


def report(n: int, runs: int, got: dict[str, float]) -> None:
    f, fc = got["floor"], got["floor_cpu"]
    print(f"rows: {n:,} of {len(PARAMS)} parameters, median of {runs} interleaved runs")
    print(f"  bare numpy pass (gather 4 thresholds, 4 comparisons): {f:.3f} s (CPU {fc:.3f} s)")
    print(
        f"  grade_labs on 1 thread (serial):                     {got['serial']:.3f} s"
        f"  = {got['serial'] / f:.1f}x wall   CPU {got['serial_cpu']:.3f} s"
        f" = {got['serial_cpu'] / fc:.1f}x CPU"
    )
    print(
        f"  aegrade.grade_labs:                                  {got['aegrade']:.3f} s"
        f"  = {got['ratio']:.1f}x the numpy pass (wall, {got['threads']:.0f} threads;"
        f" CPU {got['threaded_cpu']:.3f} s = {got['threaded_cpu'] / fc:.1f}x)"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--big", type=int, default=0, help="also measure this many rows (3 runs)")
    ap.add_argument("--no-cli", action="store_true", help="skip the whole-process CLI run")
    ap.add_argument("--stages", action="store_true", help="time each step of grade_labs")
    ap.add_argument("--before", default=None, help="another aegrade tree to compare with")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of --before processes")
    ap.add_argument(
        "--threads", type=int, default=None, help="threads of the threaded runs (default: all)"
    )
    args = ap.parse_args()
    kept = keep_freed_memory()
    print(f"allocator: freed memory {'kept (as aegrade grade sets it)' if kept else 'returned'}")
    report(args.rows, args.runs, interleaved(args.rows, args.runs, args.threads))
    if args.stages:
        got = stages(args.rows, args.runs, args.threads)
        fw, fc = got["floor"]
        t = thread_count(args.threads)
        print(
            f"steps of grade_labs on {args.rows:,} rows (median of {args.runs}, interleaved), "
            f"on 1 thread and on {t}:"
        )
        for label, suffix in (("1 thread", "/1"), (f"{t} threads", "/T")):
            total_w = total_c = 0.0
            print(f" {label}:")
            for k in ("prepare", "grade", "assemble"):
                w, c = got[k + suffix]
                total_w, total_c = total_w + w, total_c + c
                print(f"  {k:9s} wall {w:.3f} s = {w / fw:4.1f}x   CPU {c:.3f} s = {c / fc:4.1f}x")
            print(
                f"  {'sum':9s} wall {total_w:.3f} s = {total_w / fw:4.1f}x   "
                f"CPU {total_c:.3f} s = {total_c / fc:4.1f}x"
            )
        print(f"  (floor: wall {fw:.3f} s, CPU {fc:.3f} s, one thread)")
    if args.before:
        versus(args.rows, args.rounds, args.before, args.threads)
    if not args.no_cli:
        wall, rss = whole_process(args.rows)
        print(
            f"aegrade grade rows.csv --format parquet (whole process): {wall:.2f} s, "
            f"peak RSS {rss:.0f} MiB"
        )
    if args.big:
        got = big(args.big, 3, args.threads)
        report(args.big, 3, got)
        print(f"  peak RSS of that process: {got['rss_gib']:.2f} GiB")
    print(
        f"peak RSS of this process: "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )


if __name__ == "__main__":
    main()
