"""A run's outputs are one unit: real processes, real signals, real renames that fail.

Each test asserts what the destination holds afterwards (bytes), the exit status, and that no
temporary (``.aegrade-tmp-*``) is left behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from aegrade.cli import main
from aegrade.write.atomic import TMP_PREFIX, OutputRun, remove_stale, write_folder, write_outputs
from aegrade.write.results import write_tables

ROOT = Path(__file__).resolve().parents[2]

GOOD = [
    {"subject_id": "S1", "day": 0, "parameter": "NEUT", "value": 2.5, "unit": "10^9/L",
     "lln": 1.8, "uln": 7.5},
    {"subject_id": "S1", "day": 3, "parameter": "NEUT", "value": 0.4, "unit": "10^9/L",
     "lln": 1.8, "uln": 7.5},
    {"subject_id": "S1", "day": 3, "parameter": "TEMP", "value": 101.5, "unit": "degF"},
]  # fmt: skip


def _temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob(f"{TMP_PREFIX}*"))


def _listing(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _as_from_a_shell() -> None:
    """In the child before it runs: SIGINT and SIGTERM unblocked and at their default action,
    as a shell starts a command. A test process may hold them blocked or ignored (a test
    runner's worker does, at times), and a child inherits both; aegrade rightly leaves an
    inherited ignored or blocked signal alone, which is not what these tests are about."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT, signal.SIGTERM])
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)


def _child(code: str, cwd: Path) -> subprocess.Popen[str]:
    """A Python process running ``code`` that writes ``ready`` once it is mid-run."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        env=env,
        preexec_fn=_as_from_a_shell,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(path: Path, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"child ended early: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("child never got mid-run")
        time.sleep(0.02)


#: Writes a.csv, then (mid-run) signals readiness and waits to be killed while writing b.csv.
MID_RUN = """
    import pathlib, time
    from aegrade.write.atomic import write_outputs, write_folder
    out = pathlib.Path("out")

    def slow(tmp):
        tmp.write_text("half of b")
        pathlib.Path("ready").write_text("")
        time.sleep(120)

    {call}
"""


def _prepare_old_outputs(tmp_path: Path) -> dict[str, bytes]:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "a.csv").write_text("old a")
    (tmp_path / "out" / "b.csv").write_text("old b")
    return _listing(tmp_path)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_mid_run_leaves_the_previous_files_and_no_temporary(
    tmp_path: Path, sig: signal.Signals
) -> None:
    before = _prepare_old_outputs(tmp_path)
    call = 'write_outputs({out / "a.csv": lambda t: t.write_text("new a"), out / "b.csv": slow})'
    proc = _child(MID_RUN.format(call=call), tmp_path)
    _wait_for(tmp_path / "ready", proc)
    assert _temporaries(tmp_path / "out")  # the run is staged beside its outputs
    proc.send_signal(sig)
    proc.communicate(timeout=60)
    assert proc.returncode == -sig  # the signal still ends the process as it would have
    (tmp_path / "ready").unlink()
    assert _listing(tmp_path) == before
    assert _temporaries(tmp_path) == []


def test_sigterm_while_a_folder_is_staged_keeps_the_earlier_folder(tmp_path: Path) -> None:
    before = _prepare_old_outputs(tmp_path)
    call = (
        'write_folder(out, {"a.csv": lambda t: t.write_text("new a"), "b.csv": slow}, '
        "ours=lambda name: True)"
    )
    proc = _child(MID_RUN.format(call=call), tmp_path)
    _wait_for(tmp_path / "ready", proc)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGTERM
    (tmp_path / "ready").unlink()
    assert _listing(tmp_path) == before
    assert _temporaries(tmp_path) == []


def test_a_sigkilled_run_leaves_a_temporary_the_next_run_removes(tmp_path: Path) -> None:
    before = _prepare_old_outputs(tmp_path)
    call = 'write_outputs({out / "a.csv": lambda t: t.write_text("new a"), out / "b.csv": slow})'
    proc = _child(MID_RUN.format(call=call), tmp_path)
    _wait_for(tmp_path / "ready", proc)
    proc.kill()  # SIGKILL: no handler runs
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    (stale,) = _temporaries(tmp_path / "out")
    assert stale.startswith(f"{TMP_PREFIX}{proc.pid}-")
    assert _listing(tmp_path / "out")["a.csv"] == before["out/a.csv"]  # not yet replaced
    write_outputs({tmp_path / "out" / "a.csv": lambda t: t.write_text("next a")})
    assert _temporaries(tmp_path) == []
    assert _listing(tmp_path / "out") == {"a.csv": b"next a", "b.csv": b"old b"}


def test_a_sigterm_to_aegrade_grade_while_writing_leaves_nothing(tmp_path: Path) -> None:
    src = tmp_path / "labs.csv"
    pd.DataFrame(GOOD).to_csv(src, index=False)
    code = """
        import pathlib, sys, time
        import aegrade.write.results as results
        real = results._parquet_writers

        def slow(tables, *more):
            def wrap(name, write):
                def writer(tmp):
                    write(tmp)
                    if name == "subject_summary.parquet":
                        pathlib.Path("ready").write_text("")
                        time.sleep(120)
                return writer
            return {name: wrap(name, write) for name, write in real(tables, *more).items()}

        results._parquet_writers = slow
        from aegrade.cli import main
        main(["grade", "labs.csv", "-o", "graded", "--format", "parquet"])
    """
    proc = _child(code, tmp_path)
    _wait_for(tmp_path / "ready", proc)
    staged = _temporaries(tmp_path)
    assert (
        len(staged) == 1 and (tmp_path / staged[0] / "graded" / "adverse_events.parquet").exists()
    )
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGTERM
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labs.csv", "ready"]


def test_a_rerun_replaces_the_output_folder_as_a_whole(tmp_path: Path) -> None:
    src = tmp_path / "labs.csv"
    bad = [*GOOD, {"subject_id": "S1", "day": 4, "parameter": "TEMP", "value": 55, "unit": "degC"}]
    pd.DataFrame(bad).to_csv(src, index=False)
    out = tmp_path / "graded"
    first = CliRunner().invoke(main, ["grade", str(src), "-o", str(out), "--errors", "coerce"])
    assert first.exit_code == 0, first.output
    assert {"issues.csv", "explain.csv"} <= {p.name for p in out.iterdir()}
    pd.DataFrame(GOOD[:2]).to_csv(src, index=False)  # fixed data, and no fever any more
    second = CliRunner().invoke(main, ["grade", str(src), "-o", str(out)])
    assert second.exit_code == 0, second.output
    assert sorted(p.name for p in out.iterdir()) == [
        "adverse_events.csv",
        "graded_observations.csv",
        "listing.csv",
        "subject_summary.csv",
    ]
    assert len(pd.read_csv(out / "graded_observations.csv")) == 2
    assert _temporaries(tmp_path) == []


def test_an_output_folder_holding_other_files_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "labs.csv"
    pd.DataFrame(GOOD).to_csv(src, index=False)
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.docx").write_bytes(b"my notes")
    (out / "graded_observations.csv").write_text("earlier run")
    before = _listing(tmp_path)
    res = CliRunner().invoke(main, ["grade", str(src), "-o", str(out)])
    assert res.exit_code == 1
    assert "holds files aegrade did not write (notes.docx)" in res.output
    assert "Traceback" not in res.output
    assert _listing(tmp_path) == before
    assert _temporaries(tmp_path) == []


def test_an_output_file_that_is_a_folder_leaves_it_as_it_was(tmp_path: Path) -> None:
    src = tmp_path / "labs.csv"
    pd.DataFrame(GOOD).to_csv(src, index=False)
    (tmp_path / "graded.xlsx").mkdir()
    (tmp_path / "graded.xlsx" / "keep.txt").write_text("keep")
    before = _listing(tmp_path)
    res = CliRunner().invoke(main, ["grade", str(src), "-o", str(tmp_path / "graded.xlsx")])
    assert res.exit_code == 1
    assert "is a folder" in res.output and "Traceback" not in res.output
    assert _listing(tmp_path) == before
    assert _temporaries(tmp_path) == []


def test_table_and_report_are_one_unit(tmp_path: Path) -> None:
    src = tmp_path / "labs.csv"
    pd.DataFrame(GOOD).to_csv(src, index=False)
    (tmp_path / "t.csv").write_text("earlier table")
    report = tmp_path / "report.html"
    report.mkdir()  # the report cannot be written
    before = _listing(tmp_path)
    res = CliRunner().invoke(
        main,
        [
            "table",
            str(src),
            "-o",
            str(tmp_path / "t.csv"),
            "--report",
            str(tmp_path / "report.html"),
        ],
    )
    assert res.exit_code == 1
    assert "report.html is a folder" in res.output and "Traceback" not in res.output
    assert _listing(tmp_path) == before  # the table was not replaced either
    assert _temporaries(tmp_path) == []
    (tmp_path / "report.html").rmdir()
    res = CliRunner().invoke(
        main,
        [
            "table",
            str(src),
            "-o",
            str(tmp_path / "t.csv"),
            "--report",
            str(tmp_path / "report.html"),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "Neutrophil count decreased" in (tmp_path / "t.csv").read_text()
    assert (tmp_path / "report.html").read_text().lstrip().lower().startswith("<!doctype html")
    assert _temporaries(tmp_path) == []


def test_a_rename_failing_mid_commit_puts_everything_back(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("old a")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "x.csv").write_text("old x")
    run = OutputRun()
    run.add_file(tmp_path / "a.csv", lambda t: t.write_text("new a"))
    run.add_folder(tmp_path / "c", {"y.csv": lambda t: t.write_text("new y")}, ours=bool)
    run.add_file(tmp_path / "z.csv", lambda t: t.write_text("new z"))
    (tmp_path / "z.csv").mkdir()  # appears after staging: the third rename fails
    with pytest.raises(IsADirectoryError, match=r"z\.csv is a folder"):
        run.commit()
    assert _listing(tmp_path) == {"a.csv": b"old a", "c/x.csv": b"old x"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "c", "z.csv"]


def test_an_os_error_mid_commit_puts_everything_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "issues.csv").write_text("old issues")
    (tmp_path / "b.xlsx").write_bytes(b"old book")
    real = os.replace
    calls: list[str] = []

    def failing(src: str | Path, dst: str | Path) -> None:
        calls.append(str(dst))
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real(src, dst)

    run = OutputRun()
    run.add_folder(tmp_path / "out", {"a.csv": lambda t: t.write_text("a")}, ours=bool)
    run.add_file(tmp_path / "b.xlsx", lambda t: t.write_bytes(b"new book"))
    monkeypatch.setattr(os, "replace", failing)
    with pytest.raises(OSError, match="No space left"):
        run.commit()
    monkeypatch.undo()
    assert _listing(tmp_path) == {"out/issues.csv": b"old issues", "b.xlsx": b"old book"}
    assert _temporaries(tmp_path) == []


def test_stale_temporaries_of_live_processes_are_kept(tmp_path: Path) -> None:
    mine = tmp_path / f"{TMP_PREFIX}{os.getpid()}-abc"
    parent = tmp_path / f"{TMP_PREFIX}{os.getppid()}-abc"
    dead = tmp_path / f"{TMP_PREFIX}4194305-abc"  # above Linux's largest pid
    other = tmp_path / ".aegrade-tmp-notapid"
    for p in (mine, parent, dead, other):
        p.mkdir()
    (dead / "graded_observations.csv").write_text("half")
    assert remove_stale(tmp_path) == [dead]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in (mine, parent, other)
    )


def test_a_folder_entry_that_is_a_folder_is_never_ours(tmp_path: Path) -> None:
    out = tmp_path / "graded"
    (out / "issues.csv").mkdir(parents=True)
    (out / "issues.csv" / "data.bin").write_bytes(b"\x00")
    frame = pd.DataFrame({"a": [1]})
    with pytest.raises(FileExistsError, match=r"holds files aegrade did not write \(issues.csv\)"):
        write_tables({"issues": frame}, out)
    assert _listing(tmp_path) == {"graded/issues.csv/data.bin": b"\x00"}
    assert _temporaries(tmp_path) == []


def test_leftovers_of_the_earlier_writer_count_as_an_earlier_run(tmp_path: Path) -> None:
    out = tmp_path / "graded"
    out.mkdir()
    (out / ".graded_observations.k2j4h5g6.csv.tmp").write_text("killed half")
    (out / ".DS_Store").write_bytes(b"x")
    (out / "explain.csv").write_text("old")
    write_tables({"adverse_events": pd.DataFrame({"grade": [3]})}, out)
    assert _listing(tmp_path) == {"graded/adverse_events.csv": b"grade\n3\n"}


def test_folder_outputs_get_the_usual_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        (path,) = write_folder(tmp_path / "o", {"a.csv": lambda t: t.write_text("1")})
    finally:
        os.umask(umask)
    assert (path.parent.stat().st_mode & 0o777, path.stat().st_mode & 0o777) == (0o755, 0o644)


def test_a_writer_error_in_a_folder_run_keeps_the_earlier_folder(tmp_path: Path) -> None:
    out = tmp_path / "graded"
    write_folder(out, {"issues.csv": lambda t: t.write_text("old")})

    def full(tmp: Path) -> None:
        tmp.write_text("partial")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        write_folder(out, {"a.csv": lambda t: t.write_text("a"), "b.csv": full}, ours=bool)
    assert _listing(tmp_path) == {"graded/issues.csv": b"old"}
    assert _temporaries(tmp_path) == []


def test_a_symlinked_output_folder_is_replaced_where_it_points(tmp_path: Path) -> None:
    real = tmp_path / "data" / "graded"
    write_folder(real, {"issues.csv": lambda t: t.write_text("old")})
    link = tmp_path / "graded"
    link.symlink_to(real, target_is_directory=True)
    write_folder(link, {"a.csv": lambda t: t.write_text("new")}, ours=bool)
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert _listing(real) == {"a.csv": b"new"}
    assert _temporaries(tmp_path) == []


def test_explain_writes_its_trail_through_the_atomic_writer(tmp_path: Path) -> None:
    obs = pd.DataFrame(
        {
            "subject_id": ["S1", "S1"],
            "day": [1.0, 1.5],
            "parameter": ["TEMP", "OXYGEN"],
            "value": ["38.6", "facemask"],
            "unit": ["degC", ""],
        }
    )
    src = tmp_path / "obs.csv"
    obs.to_csv(src, index=False)
    before = src.read_bytes()
    res = CliRunner().invoke(main, ["explain", str(src), "S1", "-o", str(src)])
    assert res.exit_code == 1 and "refusing to overwrite the input" in res.output
    assert src.read_bytes() == before
    out = tmp_path / "trail.csv"
    res = CliRunner().invoke(main, ["explain", str(src), "S1", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert pd.read_csv(out)["subject_id"].tolist() == ["S1", "S1"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["obs.csv", "trail.csv"]
