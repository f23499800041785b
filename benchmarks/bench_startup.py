"""Start-up of the instant commands (issue 15 point 5), beside a floor (never a test).

Run: .venv/bin/python benchmarks/bench_startup.py [--runs 10] [--before PATH] [--grade]
[--compiled]

Each command runs as a fresh process; the commands take turns run after run (so the load of a
shared machine falls on all of them alike) and each figure is the median of ``--runs``, printed
with its ratio to ``python -c pass``, the process's CPU time (user + system: on a shared machine
the steadier figure) and the total import time of that process (the sum of
``python -X importtime``'s self times). With ``--before PATH`` (a checkout of an earlier
commit) the same commands run on that code too, through ``PYTHONPATH``. ``--grade`` adds a
whole ``aegrade grade`` of a 1,000-row CSV to Parquet (imports, criteria, grading, writing;
the criteria cache, ``AEGRADE_CACHE_DIR``, is warm after the first run). ``--compiled`` runs
each tree's ``aegrade`` package from a copy compiled to bytecode first, as an installed wheel
is (with ``PYTHONDONTWRITEBYTECODE`` set and no ``__pycache__``, every process compiles
aegrade's modules from source; a checkout's stale or partial ``__pycache__`` would favour it).
"""

from __future__ import annotations

import argparse
import compileall
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS = [
    ["--help"],
    ["crs", "--temp", "39", "--oxygen", "facemask"],
    ["crs", "--temp", "39", "--oxygen", "facemask", "--criteria", "lee-2014"],
    ["crs", "--temp", "39", "--pressor", "norepinephrine", "--pressor", "vasopressin"],
    ["icans", "--ice", "5", "--loc", "awakens_to_voice"],
    ["criteria", "list"],
    ["criteria", "show", "lee-2014"],
    ["criteria", "show", "ctcae-v5.0", "ANC"],
    ["criteria", "show", "ctcae-v5.0", "Nausea"],
    [
        "criteria",
        "check",
        str(Path(__file__).resolve().parents[1] / "aegrade/criteria/data/lee-2014.yaml"),
    ],
    [  # a CTCAE-sized file (53 entries): the plain check reads and checks all of it
        "criteria",
        "check",
        str(Path(__file__).resolve().parents[1] / "aegrade/criteria/data/ctcae-v5.0.yaml"),
    ],
]
PROBE = "import sys; from aegrade.cli import main; main(sys.argv[1:], prog_name='aegrade')"
_SELF = re.compile(r"import time:\s+(\d+) \|")


def once(source: Path, args: list[str], importtime: bool = False) -> tuple[float, float]:
    """Wall and CPU seconds of one fresh process of the command line from ``source`` (or the
    total import seconds, twice, with ``importtime``)."""
    env = {**os.environ, "PYTHONPATH": str(source)}
    flags = ["-X", "importtime"] if importtime else []
    with tempfile.TemporaryDirectory() as cwd:  # not the checkout: its own path comes first
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        done = subprocess.run(
            [sys.executable, *flags, "-c", PROBE, *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"aegrade {' '.join(args)} failed on {source}:\n{done.stderr}")
    if importtime:
        total = sum(int(us) for us in _SELF.findall(done.stderr)) / 1e6
        return total, total
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu


def compiled_copy(source: Path, folder: Path) -> Path:
    """``source``'s ``aegrade`` package copied into ``folder`` and compiled to bytecode."""
    shutil.copytree(
        source / "aegrade", folder / "aegrade", ignore=shutil.ignore_patterns("__pycache__")
    )
    compileall.compile_dir(folder / "aegrade", quiet=1)
    return folder


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--before", type=Path, help="a checkout of an earlier commit")
    ap.add_argument("--grade", action="store_true", help="also a whole 1,000-row grade run")
    ap.add_argument("--compiled", action="store_true", help="each tree compiled to bytecode")
    args = ap.parse_args()
    commands = list(COMMANDS)
    data = tempfile.TemporaryDirectory()
    if args.grade:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from _synth import lab_rows

        csv = Path(data.name) / "labs-1000.csv"
        lab_rows(1000).to_csv(csv, index=False)
        commands.append(["grade", str(csv), "-o", "out", "--format", "parquet"])
    trees = {"after": Path(__file__).resolve().parents[1]}
    if args.before:
        trees = {"before": args.before.resolve(), **trees}
    if args.compiled:
        trees = {
            name: compiled_copy(source, Path(data.name) / name) for name, source in trees.items()
        }
    wall: dict[tuple[str, str], list[float]] = {}
    cpu: dict[tuple[str, str], list[float]] = {}
    imports: dict[tuple[str, str], list[float]] = {}
    floor: list[float] = []
    for _ in range(args.runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        floor.append(time.perf_counter() - t)
        for name, source in trees.items():
            for cmd in commands:
                key = (name, " ".join(cmd))
                w, c = once(source, cmd)
                wall.setdefault(key, []).append(w)
                cpu.setdefault(key, []).append(c)
                imports.setdefault(key, []).append(once(source, cmd, importtime=True)[0])
    base = statistics.median(floor)
    print(f"start-up, median of {args.runs} interleaved fresh processes")
    for name, source in trees.items():
        if os.environ.get("PYTHONDONTWRITEBYTECODE") and not any(
            (source / "aegrade").glob("**/__pycache__/*.pyc")
        ):  # an installed wheel has its .pyc: say that these figures include compiling
            print(
                f"  note: {name}: aegrade's modules are compiled from source in every process "
                "(PYTHONDONTWRITEBYTECODE is set, no __pycache__); run "
                "'python -m compileall aegrade' once for an installed package's figures"
            )
    print(f"  python -c pass {base:8.3f} s")
    for cmd in commands:
        print(f"  aegrade {' '.join(cmd)}")
        for name in trees:
            key = (name, " ".join(cmd))
            w, c = statistics.median(wall[key]), statistics.median(cpu[key])
            i = statistics.median(imports[key])
            print(
                f"    {name:<7} {w:8.3f} s  {w / base:6.1f}x floor  cpu {c:6.3f} s  "
                f"imports {i:6.3f} s"
            )
    data.cleanup()


if __name__ == "__main__":
    main()
