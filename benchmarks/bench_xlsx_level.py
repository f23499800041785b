"""Size and time of the direct xlsx writer at each zlib level, beside xlsxwriter (never a test).

Run: .venv/bin/python benchmarks/bench_xlsx_level.py [--rows 100000] [--runs 3]

Writes ``--rows`` graded rows (16 columns) with :func:`aegrade.write.xlsx_fast.write_workbook`
at zlib levels 1-6 and 9, the levels taking turns run after run (median of ``--runs``), and
once with xlsxwriter (the cell-by-cell writer it replaced, zlib's default level 6), and prints
each file's size and time. ``aegrade.write.xlsx_fast.COMPRESSLEVEL`` is the level chosen.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _synth import lab_rows

import aegrade
from aegrade.write import neutralize_formulas, streaming, write_xlsx
from aegrade.write.xlsx_fast import COMPRESSLEVEL, write_workbook

LEVELS = (1, 2, 3, 4, 5, 6, 9)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    graded = neutralize_formulas(aegrade.grade_labs(lab_rows(args.rows)), numbers=True)
    direct = streaming.write_workbook
    streaming.write_workbook = lambda *a, **k: False  # type: ignore[assignment]
    book = io.BytesIO()
    t = time.perf_counter()
    try:
        write_xlsx({"g": graded}, book)
    finally:
        streaming.write_workbook = direct
    print(f"{len(graded):,} graded rows x {graded.shape[1]} columns")
    print(
        f"  xlsxwriter      {len(book.getvalue()) / 1e6:6.2f} MB  {time.perf_counter() - t:6.2f} s"
    )
    times: dict[int, list[float]] = {level: [] for level in LEVELS}
    sizes: dict[int, int] = {}
    for _ in range(args.runs):
        for level in LEVELS:
            book = io.BytesIO()
            t = time.perf_counter()
            write_workbook({"g": graded}, book, compresslevel=level)
            times[level].append(time.perf_counter() - t)
            sizes[level] = len(book.getvalue())
    for level in LEVELS:
        chosen = "  (COMPRESSLEVEL)" if level == COMPRESSLEVEL else ""
        print(
            f"  zlib level {level}    {sizes[level] / 1e6:6.2f} MB  "
            f"{statistics.median(times[level]):6.2f} s{chosen}"
        )


if __name__ == "__main__":
    main()
