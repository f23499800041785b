"""Benchmark grade_labs against a bare numpy pass, and the whole CSV -> Parquet process.

Run: .venv/bin/python benchmarks/bench_grade_labs.py [--rows 1000000] [--big 10000000]

Prints median wall times (5 runs) for (a) the bare numpy pass the issue names as reference:
gather four thresholds per row from a parameter table and compare four times, (b)
aegrade.grade_labs on the same rows, and (c) `aegrade grade big.csv --format parquet` as a
whole process with its peak memory; optionally (d) peak memory of grade_labs on 10M rows.
Never run as a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
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


def median_time(fn, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def numpy_pass(codes: np.ndarray, value: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    t = thresholds[codes]  # gather four thresholds per row
    return (
        (value < t[:, 0]).astype(np.int8)
        + (value < t[:, 1])
        + (value < t[:, 2])
        + (value < t[:, 3])
    )


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


def big_memory(n: int) -> tuple[float, float]:
    cmd = [
        sys.executable,
        "-c",
        "import sys, time, resource; sys.path.insert(0, sys.argv[2]);"
        "from _synth import lab_rows; import aegrade;"
        "df = lab_rows(int(sys.argv[1])); t = time.perf_counter();"
        "aegrade.grade_labs(df); el = time.perf_counter() - t;"
        "print(el, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)",
        str(n),
        str(Path(__file__).parent),
    ]
    res = subprocess.run(cmd, capture_output=True, text=True, check=True)
    el, rss = res.stdout.split()
    return float(el), float(rss) / 1024 / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--big", type=int, default=0, help="also measure peak memory at this size")
    args = ap.parse_args()
    df = lab_rows(args.rows)
    codes = df["parameter"].cat.codes.to_numpy()
    value = df["value"].to_numpy()
    thresholds = np.sort(np.random.default_rng(0).random((len(PARAMS), 4)) * 100, axis=1)
    t_np = median_time(lambda: numpy_pass(codes, value, thresholds))
    aegrade.grade_labs(df.head(1000))  # load criteria once
    t_ae = median_time(lambda: aegrade.grade_labs(df))
    print(f"rows: {args.rows:,} of {len(PARAMS)} parameters")
    print(f"bare numpy pass (gather 4 thresholds, 4 comparisons): {t_np:.3f} s (median of 5)")
    print(
        f"aegrade.grade_labs:                                  {t_ae:.3f} s (median of 5)"
        f"  = {t_ae / t_np:.1f}x the numpy pass"
    )
    wall, rss = whole_process(args.rows)
    print(
        f"aegrade grade rows.csv --format parquet (whole process): {wall:.2f} s, "
        f"peak RSS {rss:.0f} MiB"
    )
    if args.big:
        el, gib = big_memory(args.big)
        print(f"grade_labs on {args.big:,} rows: {el:.1f} s, peak RSS {gib:.2f} GiB")
    print(
        f"peak RSS of this process: "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )


if __name__ == "__main__":
    main()
