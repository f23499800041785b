"""Issue 15's speed figures, each beside a floor measured in the same run (never a test).

Run: .venv/bin/python benchmarks/bench_speed.py [--rows 1000000] [--xlsx-rows 100000]
     [--sort-rows 5000000] [--runs 3] [--before PATH]
     [--only startup,csv,xlsx,sort,process,stages]

Every figure is the median of ``--runs`` interleaved runs (before, after and floor take turns,
so the load of a shared machine falls on all of them alike) and is printed with its ratio to
the floor:

- start-up: ``aegrade --help`` as a process, beside ``python -c pass``; "before" imports what
  the command line imported eagerly until issue 15 (the whole grading stack);
- csv output: ``DataFrame.to_csv`` (before) and :func:`aegrade.write.write_csv` (after) of
  ``--rows`` graded rows, beside pyarrow's own csv writer on the same table;
- xlsx output: pandas' ``to_excel`` with openpyxl (before), the same function writing cell
  by cell with xlsxwriter's constant-memory mode (``xlsxwriter``, the writer until the
  direct one) and :func:`aegrade.write.write_xlsx` (after: the sheet XML built by pyarrow's
  string kernels) of ``--xlsx-rows`` graded rows, beside pyarrow's csv writer on the same
  rows (the cost of writing the cells at all);
- the episode sort: ``np.lexsort`` of 3 keys (before) and the packed int64 key (after) on
  ``--sort-rows`` rows, beside one stable argsort of an int64 array;
- whole process: ``aegrade grade rows.csv`` to parquet and to csv, beside two floors: pyarrow
  reading the csv and writing it with a grade column as parquet inside this process
  (``floor``), and the same work as a fresh ``python -c`` process (``process``: start-up and
  pyarrow's imports included, as the run's own are); each figure is printed with its ratio to
  both. With ``--before PATH`` (a checkout of an earlier commit) the same commands run on that
  code too. Each tree's ``aegrade`` package runs from a copy compiled to bytecode first, as an
  installed wheel does (``PYTHONDONTWRITEBYTECODE`` is set on the project's machine, so a
  checkout without ``__pycache__`` would compile its modules from source in every process,
  about 85 ms); ``--from-source`` runs the trees as they are, and the output says which;
- stages: where the time of one ``--rows`` run goes (imports of the command line, reading,
  each stage of :func:`aegrade.grade` as its progress callback reports it, the output
  assembly after the last stage, the Parquet write), medians of ``--runs`` runs beside both
  floors of the same runs (not part of the default set). The imports are a process of their
  own, from the compiled copy, freezing its modules out of the collector as the command does;
  the read of the text input is in two rows, as the command makes it: the prefetch (bytes,
  digest, pyarrow's parse), which the command runs beside its imports and which is not
  counted in the total, and the pandas part in load_study;
  the stages run in this process, so only the first run pays for fresh memory (page faults)
  and first uses: it is printed on its own beside the medians, and the whole process's
  figure is the sum of the imports and that first run, not of the medians.
"""

from __future__ import annotations

import argparse
import functools
import gc
import io
import itertools
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).parent))
from _synth import lab_rows
from bench_startup import compiled_copy

import aegrade
import aegrade.episodes.labs as episode_labs
import aegrade.write.streaming as streaming
from aegrade.write import neutralize_formulas, write_csv, write_xlsx

Timer = Callable[[], object]


def interleaved(runs: int, **jobs: Timer) -> dict[str, float]:
    """Median wall time of each job, the jobs taking turns run after run."""
    times: dict[str, list[float]] = {name: [] for name in jobs}
    for _ in range(runs):
        for name, job in jobs.items():
            t = time.perf_counter()
            job()
            times[name].append(time.perf_counter() - t)
    return {name: statistics.median(ts) for name, ts in times.items()}


def report(title: str, medians: dict[str, float]) -> None:
    """Each job's median and its ratio to the ``floor`` job; with a ``process`` job (the
    floor's work as a whole ``python -c`` process, imports included) the ratio to that too."""
    floor = medians["floor"]
    process_floor = medians.get("process")
    print(title)
    for name, t in medians.items():
        both = f"  {t / process_floor:6.1f}x process floor" if process_floor else ""
        print(f"  {name:<8} {t:8.3f} s  {t / floor:6.1f}x floor{both}")
    if process_floor:
        print(
            "  (floor: pyarrow reading the csv and writing parquet inside this process;"
            " process floor: the same work as a fresh python process, imports included)"
        )
    if "before" in medians and "after" in medians:
        print(f"  after/before: {medians['after'] / medians['before']:.2f}")


def process(*cmd: str, env: dict[str, str] | None = None, cwd: str | None = None) -> Timer:
    def run() -> None:
        subprocess.run(cmd, check=True, capture_output=True, env=env, cwd=cwd)

    return run


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--xlsx-rows", type=int, default=100_000)
    ap.add_argument("--sort-rows", type=int, default=5_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--before", type=Path, help="a checkout of an earlier commit")
    ap.add_argument(
        "--from-source",
        action="store_true",
        help="run the trees as they are, not from copies compiled to bytecode",
    )
    ap.add_argument(
        "--only",
        default="startup,csv,xlsx,sort,process",
        help="comma-separated parts to run (default: all but stages)",
    )
    args = ap.parse_args()
    only = set(args.only.split(","))
    py = sys.executable
    exe = str(Path(py).parent / "aegrade")

    if "startup" in only:
        report(
            "start-up: aegrade --help (process)",
            interleaved(
                max(args.runs, 5),
                before=process(py, "-c", "import aegrade.pipeline, aegrade.write, aegrade.cli"),
                after=process(exe, "--help"),
                floor=process(py, "-c", "pass"),
            ),
        )
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        if "csv" in only:
            csv_output(args.rows, args.runs, d)
        if "xlsx" in only:
            xlsx_output(args.xlsx_rows, args.runs, d)
        if "sort" in only:
            episode_sort(args.sort_rows, args.runs)
        trees = None
        if only & {"process", "stages"}:
            trees = _trees(d, args.before, compiled=not args.from_source)
        if "process" in only:
            whole_process(args.rows, args.runs, d, py, exe, trees)
        if "stages" in only:
            stages(args.rows, args.runs, d, py, trees)


def csv_output(rows: int, runs: int, d: Path) -> None:
    graded = neutralize_formulas(aegrade.grade_labs(lab_rows(rows)))
    table = pa.Table.from_pandas(graded, preserve_index=False)
    report(
        f"csv output: {rows:,} graded rows x {graded.shape[1]} columns",
        interleaved(
            runs,
            before=lambda: graded.to_csv(d / "before.csv", index=False),
            after=lambda: write_csv(graded, d / "after.csv"),
            floor=lambda: pacsv.write_csv(table, d / "floor.csv"),
        ),
    )
    same = (d / "before.csv").read_bytes() == (d / "after.csv").read_bytes()
    print(f"  same bytes: {same}")


def xlsx_output(rows: int, runs: int, d: Path) -> None:
    small = neutralize_formulas(aegrade.grade_labs(lab_rows(rows)), numbers=True)
    small_table = pa.Table.from_pandas(small, preserve_index=False)

    def openpyxl_book() -> None:
        with pd.ExcelWriter(io.BytesIO(), engine="openpyxl") as xw:
            small.to_excel(xw, sheet_name="g", index=False)

    def xlsxwriter_book() -> None:
        direct = streaming.write_workbook
        streaming.write_workbook = lambda *a, **k: False  # type: ignore[assignment]
        try:
            write_xlsx({"g": small}, io.BytesIO())
        finally:
            streaming.write_workbook = direct

    report(
        f"xlsx output: {len(small):,} graded rows x {small.shape[1]} columns",
        interleaved(
            runs,
            before=openpyxl_book,
            xlsxwriter=xlsxwriter_book,
            after=lambda: write_xlsx({"g": small}, io.BytesIO()),
            floor=lambda: pacsv.write_csv(small_table, d / "floor_small.csv"),
        ),
    )


def episode_sort(n: int, runs: int) -> None:
    rng = np.random.default_rng(0)
    key = rng.integers(0, max(n // 25, 1), n)
    day = rng.integers(-3, 60, n).astype(float)
    grade = rng.integers(0, 5, n).astype(float)
    packed = key * 64 + day.astype(np.int64) + 3
    report(
        f"episode sort: {n:,} rows (subject-term, day, worse grade first)",
        interleaved(
            runs,
            before=lambda: np.lexsort((-grade, day, key)),
            after=lambda: episode_labs._episode_order(key, day, grade),
            floor=lambda: np.argsort(packed, kind="stable"),
        ),
    )


#: The floor of a whole run as its own process: start Python, import pyarrow, read the csv,
#: write it with a grade column as parquet (what :func:`arrow_read_write` does in process).
PROCESS_FLOOR = (
    "import sys; import numpy as np, pyarrow as pa, pyarrow.csv as pacsv, pyarrow.parquet as pq; "
    "t = pacsv.read_csv(sys.argv[1]); "
    "pq.write_table(t.append_column('grade', pa.array(np.zeros(t.num_rows))), sys.argv[2])"
)


def arrow_read_write(src: Path, out: Path) -> None:
    """The in-process floor: pyarrow reads the csv and writes it with a grade column."""
    table = pacsv.read_csv(src)
    pq.write_table(table.append_column("grade", pa.array(np.zeros(table.num_rows))), out)


#: This checkout (the tree whose ``aegrade`` the "after" figures run).
HERE = Path(__file__).resolve().parents[1]


def _trees(d: Path, before: Path | None, *, compiled: bool) -> dict[str, Path] | None:
    """The folder each side's ``aegrade`` runs from (``before``, ``after``): a copy compiled
    to bytecode of each tree (as an installed wheel has its ``.pyc``), or with ``compiled``
    False the trees themselves and None for "after" (the installed ``aegrade`` command).
    Prints which."""
    if not compiled:
        print(
            "(aegrade runs from its trees as they are: with PYTHONDONTWRITEBYTECODE set, a tree "
            "without __pycache__ compiles aegrade's modules from source in every process)"
        )
        return {"before": before} if before is not None else None
    sides = {"after": HERE, **({"before": before.resolve()} if before is not None else {})}
    out = {name: compiled_copy(tree, d / f"tree_{name}") for name, tree in sides.items()}
    shown = ", ".join(f"{name} {tree}" for name, tree in sides.items())
    print(f"(aegrade runs from copies compiled to bytecode, as an installed wheel: {shown})")
    return out


def _cli(py: str, tree: Path, *args: str) -> Timer:
    """``aegrade ARGS`` as a process running ``tree``'s ``aegrade`` package."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    cli = "from aegrade.cli import main; main(prog_name='aegrade')"
    # run in the tree: ``python -c`` puts the working folder before PYTHONPATH
    return process(py, "-c", cli, *args, env=env, cwd=str(tree))


def whole_process(
    rows: int, runs: int, d: Path, py: str, exe: str, trees: dict[str, Path] | None
) -> None:
    src = d / "labs.csv"
    lab_rows(rows).to_csv(src, index=False)
    trees = trees or {}

    def arrow_floor() -> None:
        arrow_read_write(src, d / "floor.parquet")

    for fmt in ("parquet", "csv"):
        jobs: dict[str, Timer] = {}
        if "before" in trees:
            args = ("grade", str(src), "--format", fmt, "-o", str(d / f"b_{fmt}"))
            jobs["before"] = _cli(py, trees["before"], *args)
        args = ("grade", str(src), "-o", str(d / f"a_{fmt}"), "--format", fmt)
        jobs["after"] = _cli(py, trees["after"], *args) if "after" in trees else process(exe, *args)
        jobs["floor"] = arrow_floor
        jobs["process"] = process(py, "-c", PROCESS_FLOOR, str(src), str(d / "process.parquet"))
        report(
            f"whole process: aegrade grade {rows:,}-row csv -> {fmt}",
            interleaved(runs, **jobs),
        )


#: The two floors of the stage table: pyarrow's read + write in this process (no start-up),
#: and the same work as a fresh Python process (start-up and pyarrow's imports included).
FLOOR = "floor: pyarrow read + write"
PROCESS = "process floor: the same as a process"
#: The read's part that the command runs beside its imports (not counted in the total).
OVERLAPPED = "(prefetch, beside the imports)"


def _mark(marks: list[tuple[str, float, float]], stage: str) -> None:
    marks.append((stage, time.perf_counter(), time.process_time()))


def stages(rows: int, runs: int, d: Path, py: str, trees: dict[str, Path] | None) -> None:
    """Where one whole run's time goes, stage by stage: wall and CPU seconds (the process's
    CPU time, all threads: on a shared machine the steadier figure), in process; the imports
    as a process of their own (from the compiled copy in ``trees``, if any)."""
    from aegrade.cli.grade import _start_prefetch
    from aegrade.read import load_study
    from aegrade.threads import keep_freed_memory
    from aegrade.write.results import ParquetEncoder, write_result

    # as ``aegrade grade`` runs: freed memory kept for reuse (by pyarrow too), the imported
    # modules frozen out of the collector's passes (without these, page faults land in
    # whichever stage is first)
    if keep_freed_memory() and not os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        pa.set_memory_pool(pa.system_memory_pool())
    gc.freeze()
    src = d / "stages.csv"
    lab_rows(rows).to_csv(src, index=False)
    # the command's imports as it makes them: no collection meanwhile, the modules then frozen
    # out of the collector (a process whose modules are not frozen spends ~70 ms more on its
    # last collection at exit)
    imports = (
        "import gc; gc.disable(); import aegrade.pipeline, aegrade.write.results, aegrade.cli; "
        "gc.freeze(); gc.enable()"
    )
    env = {**os.environ, "PYTHONPATH": str(trees["after"])} if trees and "after" in trees else None
    cwd = str(trees["after"]) if env else None
    first: tuple[float, float] | None = None
    wall: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}

    def add(marks: list[tuple[str, float, float]]) -> None:
        for (name, w0, c0), (_, w1, c1) in itertools.pairwise(marks):
            wall.setdefault(name, []).append(w1 - w0)
            cpu.setdefault(name, []).append(c1 - c0)

    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run([py, "-c", imports], check=True, env=env, cwd=cwd)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall.setdefault("imports (a process)", []).append(time.perf_counter() - t)
        cpu.setdefault("imports (a process)", []).append(
            after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        )
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run([py, "-c", PROCESS_FLOOR, str(src), str(d / "process.parquet")], check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall.setdefault(PROCESS, []).append(time.perf_counter() - t)
        cpu.setdefault(PROCESS, []).append(
            after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        )
        marks: list[tuple[str, float, float]] = []
        _mark(marks, FLOOR)
        arrow_read_write(src, d / "floor.parquet")
        # as the command reads a text input: bytes, digest and pyarrow's parse on the
        # background thread beside the imports (its own row, not in the total), then the
        # pandas part in load_study
        _mark(marks, OVERLAPPED)
        job = _start_prefetch(src)
        text = None if job is None else job.result()
        _mark(marks, "read (load_study, prefetched)")
        study = load_study(src, prefetched=text)
        # as the command does: each table encoded as soon as it is final, beside the stages
        # after it (their figures include what the encoding takes from them)
        encoder = ParquetEncoder()
        result = aegrade.grade(study, progress=functools.partial(_mark, marks), on_table=encoder)
        marks[-1] = (f"{marks[-1][0]} + output assembly", *marks[-1][1:])
        _mark(marks, "write parquet (rest of the encoding)")
        write_result(result, d / "stages_out", fmt="parquet", inputs=[src], encoder=encoder)
        _mark(marks, "end")
        add(marks)
        if first is None:  # the stages of the first run: fresh memory, first uses
            first = (marks[-1][1] - marks[2][1], marks[-1][2] - marks[2][2])  # no prefetch
    w = {name: statistics.median(ts) for name, ts in wall.items()}
    c = {name: statistics.median(ts) for name, ts in cpu.items()}
    floor_w, floor_c = w.pop(FLOOR), c.pop(FLOOR)
    process_w, process_c = w.pop(PROCESS), c.pop(PROCESS)
    total_w = sum(t for name, t in w.items() if name != OVERLAPPED)
    total_c = sum(t for name, t in c.items() if name != OVERLAPPED)
    print(f"stages: {rows:,}-row csv -> parquet, medians of {runs} runs (wall, CPU)")
    for name in w:
        print(
            f"  {name:<36} {w[name]:7.3f} s {c[name]:7.3f} s cpu  {100 * c[name] / total_c:5.1f} %"
        )
    print(
        f"  {'total':<36} {total_w:7.3f} s {total_c:7.3f} s cpu  "
        f"{total_w / floor_w:.1f}x / {total_c / floor_c:.1f}x floor (wall / cpu)"
    )
    print(
        f"  {'':<36} {'':>7}   {'':>7}        "
        f"{total_w / process_w:.1f}x / {total_c / process_c:.1f}x process floor (wall / cpu)"
    )
    print(f"  {FLOOR:<36} {floor_w:7.3f} s {floor_c:7.3f} s cpu")
    print(f"  {PROCESS:<36} {process_w:7.3f} s {process_c:7.3f} s cpu")
    if first is not None:  # what a fresh process pays that the medians of a warm one do not
        stage_w = total_w - w["imports (a process)"]
        stage_c = total_c - c["imports (a process)"]
        print(
            f"  {'first run, read to written':<36} {first[0]:7.3f} s {first[1]:7.3f} s cpu  "
            f"(the medians: {stage_w:.3f} s, {stage_c:.3f} s cpu)"
        )


if __name__ == "__main__":
    main()
