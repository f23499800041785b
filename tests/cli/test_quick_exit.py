"""``aegrade grade`` run as the process's own command line ends the process without tearing
it down once every output is written (aegrade.cli.main, aegrade.cli._common.quick_exit): the
same outputs, lines and exit status; never under click's test runner or a caller's own
``main([...])``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from aegrade.cli import main
from aegrade.cli._common import quick_exit

LABS = (
    "subject_id,day,parameter,value,unit\n"
    "S1,0,PLAT,140,10^9/L\nS1,7,PLAT,40,10^9/L\nS2,0,HGB,120,g/L\nS2,3,HGB,75,g/L\n"
)

#: The process: os._exit reported on stdout, an atexit handler of the caller's own.
PROCESS = """
import atexit, os, sys
real = os._exit
def spy(code):
    print("QUICK", code, flush=True)
    real(code)
os._exit = spy
atexit.register(lambda: print("ATEXIT", flush=True))
from aegrade.cli import main
main(prog_name="aegrade")
"""

#: A caller's own ``main([...])``: it goes on after click's SystemExit.
CALLER = """
import sys
from aegrade.cli import main
try:
    main(sys.argv[1:], prog_name="aegrade")
except SystemExit as exc:
    print("AFTER", exc.code, flush=True)
"""


def _process(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_the_process_ends_at_once_with_every_output_written(fmt: str, tmp_path: Path) -> None:
    src = tmp_path / "labs.csv"
    src.write_text(LABS)
    quick = tmp_path / "quick"
    done = _process(PROCESS, "grade", str(src), "-o", str(quick), "--format", fmt)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-2:] == ["ATEXIT", "QUICK 0"]  # the handlers ran, then the quick exit
    usual = tmp_path / "usual"
    run = CliRunner().invoke(main, ["grade", str(src), "-o", str(usual), "--format", fmt])
    assert run.exit_code == 0, run.output
    assert lines[:-2] == run.output.replace(str(usual), str(quick)).splitlines()
    names = sorted(p.name for p in usual.iterdir())
    assert sorted(p.name for p in quick.iterdir()) == names
    assert f"graded_observations.{fmt}" in names
    for name in names:
        if fmt == "parquet":
            assert pq.read_table(quick / name).equals(pq.read_table(usual / name), True)
        else:
            assert (quick / name).read_bytes() == (usual / name).read_bytes()


def test_notices_are_printed_before_the_quick_exit(tmp_path: Path) -> None:
    src, colmap = tmp_path / "labs.csv", tmp_path / "map.toml"
    src.write_text(LABS)
    colmap.write_text('[columns]\n"Nope" = "arm"\n')
    done = _process(PROCESS, "grade", str(src), "--map", str(colmap), "-o", str(tmp_path / "o"))
    assert done.returncode == 0, done.stderr
    assert "notice: the column map names header that no table has" in done.stderr
    assert done.stdout.splitlines()[-1] == "QUICK 0"


def test_a_failed_run_exits_as_usual(tmp_path: Path) -> None:
    src = tmp_path / "labs.csv"
    src.write_text("subject_id,day,parameter,value,unit\nS1,0,HGB,120,g/L,extra\n")
    done = _process(PROCESS, "grade", str(src), "-o", str(tmp_path / "out"))
    assert done.returncode == 1
    assert "QUICK" not in done.stdout and "ATEXIT" in done.stdout
    assert "labs.csv" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_callers_own_main_goes_on_after_the_command(tmp_path: Path) -> None:
    src = tmp_path / "labs.csv"
    src.write_text(LABS)
    done = _process(CALLER, "grade", str(src), "-o", str(tmp_path / "out"), "--format", "csv")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "AFTER 0"
    assert (tmp_path / "out" / "graded_observations.csv").exists()


def test_the_partitioned_path_exits_as_usual(tmp_path: Path) -> None:
    src = tmp_path / "labs.csv"
    src.write_text(LABS)
    out = tmp_path / "out"
    done = _process(PROCESS, "grade", str(src), "-o", str(out), "--partition-rows", "2")
    assert done.returncode == 0, done.stderr
    assert "QUICK" not in done.stdout and done.stdout.splitlines()[-1] == "ATEXIT"
    assert (out / "graded_observations").is_dir()


def test_an_output_that_cannot_be_flushed_leaves_the_usual_exit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """quick_exit returns (and the process is not ended) when standard output is gone."""

    class Gone:
        def flush(self) -> None:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", Gone())
    assert quick_exit() is None  # still here
