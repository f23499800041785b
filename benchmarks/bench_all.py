"""`make bench`: every figure of issue 15's table beside its floor, then one summary table.

Run: .venv/bin/python benchmarks/bench_all.py          (the full sizes: about 30-60 min here)
     BENCH_QUICK=1 .venv/bin/python benchmarks/bench_all.py   (small sizes, a few minutes)

Runs, each as its own process with its output shown as it comes:

- ``bench_grade_labs.py``: ``grade_labs`` beside a bare numpy threshold pass (1M rows, and
  10M in a fresh process);
- ``bench_speed.py``: ``aegrade --help`` beside ``python -c pass``; CSV and xlsx output beside
  pyarrow's csv writer; the episode sort beside one argsort; the whole ``aegrade grade`` of a
  1M-row CSV to Parquet and to CSV beside pyarrow reading that CSV and writing Parquet
  (in this process, and as a fresh python process: the summary gives both ratios);
- ``bench_startup.py``: the bedside commands beside ``python -c pass``;
- ``bench_scale.py``: one partition, subject partitions and Dask with 1 and 2 workers (peak
  memory per input row; Dask's 2-worker speed-up beside the machine's two-process capacity);
- in the full run also ``bench_crs_icans.py``, ``bench_hematology.py``, ``bench_tables.py``
  and ``bench_io.py`` (printed, not summarised).

Every ratio is to a floor measured in the same run (interleaved with the figure, medians), so
the load of a shared machine falls on both; the summary names the issue's target beside each
ratio. Never a test: wall times depend on the machine and its load.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")

#: (script, full arguments, quick arguments); None: skipped in the quick run.
STEPS: list[tuple[str, list[str], list[str] | None]] = [
    (
        "bench_grade_labs.py",
        ["--rows", "1000000", "--runs", "7", "--big", "10000000", "--no-cli"],
        ["--rows", "200000", "--runs", "3", "--no-cli"],
    ),
    (
        "bench_speed.py",
        ["--runs", "3"],
        ["--runs", "1", "--rows", "200000", "--xlsx-rows", "20000", "--sort-rows", "1000000"],
    ),
    ("bench_startup.py", ["--runs", "10"], ["--runs", "3"]),
    (
        "bench_scale.py",
        ["--rows", "2000000", "20000000", "--dask-rows", "20000000"],
        ["--rows", "400000", "--partition-rows", "100000", "--dask-rows", "400000"],
    ),
    ("bench_crs_icans.py", [], None),
    ("bench_hematology.py", [], None),
    ("bench_tables.py", [], None),
    ("bench_io.py", [], None),
]

#: A floor-relative line of bench_speed/bench_startup: "  after  1.234 s  5.6x floor".
_FLOORED = re.compile(r"^\s+(\w+)\s+([\d.]+) s\s+([\d.]+)x floor")
#: A whole-process line of bench_speed also has the ratio to the process floor ("2.4x process
#: floor"): pyarrow reading and writing as a fresh python process.
_PROCESS_FLOORED = re.compile(r"([\d.]+)x process floor")
_LABS_ROWS = re.compile(r"^rows: ([\d,]+) of")
_LABS_FLOOR = re.compile(r"bare numpy pass .*: ([\d.]+) s")
_LABS = re.compile(r"aegrade\.grade_labs:\s+([\d.]+) s\s+= ([\d.]+)x")


@dataclass
class Figure:
    """One row of the summary."""

    work: str
    seconds: float
    floor: str
    ratio: str
    target: str


def run(script: str, args: list[str]) -> str:
    """Run one benchmark script, showing its output as it comes; return the output."""
    cmd = [sys.executable, str(HERE / script), *args]
    print(f"\n$ {' '.join(['python', 'benchmarks/' + script, *args])}", flush=True)
    lines: list[str] = []
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, bufsize=1) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            print(line, end="", flush=True)
            lines.append(line.rstrip("\n"))
    if proc.returncode:
        print(f"  ({script} failed with exit code {proc.returncode})", flush=True)
    return "\n".join(lines)


def grade_labs_figures(out: str) -> list[Figure]:
    figures = []
    rows = floor = None
    for line in out.splitlines():
        if m := _LABS_ROWS.match(line):
            rows = m.group(1)
        elif m := _LABS_FLOOR.search(line):
            floor = float(m.group(1))
        elif (m := _LABS.search(line)) and rows and floor is not None:
            target = "< 3x at 10M" if int(rows.replace(",", "")) >= 10**7 else "< 5x at 1M"
            figures.append(
                Figure(
                    f"grade_labs, {rows} rows",
                    float(m.group(1)),
                    f"bare numpy pass {floor:.3f} s",
                    f"{float(m.group(2)):.1f}x",
                    target,
                )
            )
    return figures


#: bench_speed section titles -> (summary name, the issue's target).
_TARGETS = {
    "start-up: aegrade --help": ("aegrade --help (bench_speed)", "< 0.2 s"),
    "csv output": ("CSV output (write_csv)", "pyarrow's csv writer"),
    "xlsx output": ("xlsx output (write_xlsx)", "< 4 s at 100k rows"),
    "episode sort": ("episode sort (packed key)", ""),
}


def floored_figures(out: str) -> list[Figure]:
    """The "after" figure of every section of bench_speed/bench_startup, with its floor."""
    sections: dict[str, dict[str, tuple[float, float]]] = {}
    process_ratios: dict[str, dict[str, float]] = {}
    title = ""
    startup_floor = None
    for line in out.splitlines():
        heading = line.strip() and not line.startswith(" ")  # a bench_speed section
        if heading or line.strip().startswith("aegrade "):  # or a bench_startup command
            title = line.strip()
        elif line.strip().startswith("python -c pass"):
            startup_floor = float(line.split()[-2])
        if m := _FLOORED.match(line):
            sections.setdefault(title, {})[m.group(1)] = (float(m.group(2)), float(m.group(3)))
            if p := _PROCESS_FLOORED.search(line):
                process_ratios.setdefault(title, {})[m.group(1)] = float(p.group(1))
    figures = []
    for title, got in sections.items():
        if "after" not in got:
            continue
        seconds, ratio = got["after"]
        if title.startswith("aegrade "):  # bench_startup
            name, target = title, "< 0.2 s"
            floor = f"python -c pass {startup_floor:.3f} s" if startup_floor else ""
        else:
            name, target = next(
                ((n, t) for key, (n, t) in _TARGETS.items() if title.startswith(key)),
                (title, ""),
            )
            if title.startswith("whole process"):
                name = title.replace("whole process: aegrade grade ", "whole CLI, ")
                target = "< 2x" if title.endswith("parquet") else ""
            floor = f"{got['floor'][0]:.3f} s" if "floor" in got else ""
        shown = f"{ratio:.1f}x"
        if "process" in got and "after" in process_ratios.get(title, {}):
            # the whole CLI: in-process floor, then the floor as a whole process
            shown = f"{ratio:.1f}x floor, {process_ratios[title]['after']:.1f}x process floor"
            floor = f"{floor}; as a process {got['process'][0]:.3f} s"
        figures.append(Figure(name, seconds, floor, shown, target))
    return figures


def scale_figures(path: Path) -> list[Figure]:
    if not path.is_file():
        return []
    figures = []
    for f in json.loads(path.read_text()):
        rows = int(f["rows"])
        if f["run"].startswith("dask"):
            peak = max(f["worker_peaks"])
            figures.append(
                Figure(
                    f"--engine dask, {f['run'][5:]}, {rows:,} rows",
                    float(f["wall"]),
                    f"2-process capacity {f['capacity']:.2f}x",
                    f"2/1 workers {f['speedup']:.2f}x, {f['speedup'] / f['capacity']:.2f}x floor",
                    f"near-linear; worker peak {peak / 2**20:,.0f} MiB",
                )
            )
        else:
            figures.append(
                Figure(
                    f"{f['run']}, {rows:,} rows",
                    float(f["wall"]),
                    "",
                    f"{f['peak'] / rows:.0f} B/row peak",
                    "< 100 B/row at 20M" if "partition-rows" in f["run"] else "",
                )
            )
    return figures


def main() -> None:
    start = time.perf_counter()
    print(f"make bench ({'quick' if QUICK else 'full'}): load average {os.getloadavg()[0]:.1f}")
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as tmp:
        scale_json = Path(tmp) / "scale.json"
        for script, full, quick in STEPS:
            args = quick if QUICK else full
            if args is None:
                continue
            if script == "bench_scale.py":
                args = [*args, "--json", str(scale_json)]
            out = run(script, args)
            if script == "bench_grade_labs.py":
                figures += grade_labs_figures(out)
            elif script in ("bench_speed.py", "bench_startup.py"):
                figures += floored_figures(out)
            elif script == "bench_scale.py":
                figures += scale_figures(scale_json)
    print(f"\nSummary ({'BENCH_QUICK=1, small sizes' if QUICK else 'full sizes'}; load average")
    print(f"now {os.getloadavg()[0]:.1f}; {time.perf_counter() - start:.0f} s in all)")
    width = max([len(f.work) for f in figures] + [20])
    print(f"{'work':<{width}}  {'seconds':>8}  {'ratio':<28} {'floor':<30} target")
    print("(bench_speed's floors: pyarrow's csv writer for CSV and xlsx output, one argsort for")
    print(" the episode sort, pyarrow reading the CSV and writing Parquet for the whole CLI, in")
    print(" this process and as a fresh python process: the two ratios of the whole-CLI rows)")
    for f in figures:
        print(f"{f.work:<{width}}  {f.seconds:>8.2f}  {f.ratio:<28} {f.floor:<30} {f.target}")


if __name__ == "__main__":
    main()
