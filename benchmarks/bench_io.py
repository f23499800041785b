"""Benchmark reading and grading large inputs end to end (never run as a test).

Run: .venv/bin/python benchmarks/bench_io.py [--csv-rows 1000000] [--xlsx-rows 100000]

Prints wall times of whole `aegrade grade` processes (import, read, check, grade, write) for
(a) a long csv of --csv-rows lab rows written as a parquet folder and as a csv folder, and
(b) an xlsx of --xlsx-rows rows written as a parquet folder and as an xlsx workbook, plus the
read alone of each input.
Timings depend on the machine.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _synth import lab_rows

from aegrade.read.files import Workbook, read_csv


def run(cmd: list[str]) -> float:
    t = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if res.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{res.stderr}")
    return wall


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def write_xlsx(frame, path: Path) -> None:  # type: ignore[no-untyped-def]
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("observations")
    ws.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        ws.append([None if v != v else v for v in row])
    wb.save(path)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--csv-rows", type=int, default=1_000_000)
    ap.add_argument("--xlsx-rows", type=int, default=100_000)
    args = ap.parse_args()
    exe = [str(Path(sys.executable).parent / "aegrade")]
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        big = d / "labs.csv"
        lab_rows(args.csv_rows).to_csv(big, index=False)
        print(f"csv: {args.csv_rows:,} rows, {big.stat().st_size / 1e6:.0f} MB")
        print(f"  read only               {timed(lambda: read_csv(big)):6.2f} s")
        for fmt in ("parquet", "csv"):
            wall = run([*exe, "grade", str(big), "-o", str(d / f"out_{fmt}"), "--format", fmt])
            print(f"  grade -> {fmt:<8}         {wall:6.2f} s (whole process)")
        xlsx = d / "labs.xlsx"
        write_xlsx(lab_rows(args.xlsx_rows, seed=2), xlsx)
        print(f"xlsx: {args.xlsx_rows:,} rows, {xlsx.stat().st_size / 1e6:.1f} MB")
        book = Workbook(xlsx)
        print(f"  read only (checks+calamine) {timed(lambda: book.sheet('observations')):6.2f} s")
        wall = run([*exe, "grade", str(xlsx), "-o", str(d / "out_x"), "--format", "parquet"])
        print(f"  grade -> parquet         {wall:6.2f} s (whole process)")
        wall = run([*exe, "grade", str(xlsx), "-o", str(d / "out.xlsx")])
        print(f"  grade -> xlsx            {wall:6.2f} s (whole process)")


if __name__ == "__main__":
    main()
