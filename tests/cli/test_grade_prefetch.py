"""``aegrade grade`` reads a text input on the background thread while it imports pandas
(aegrade.cli.grade._start_prefetch): the same outputs, messages and exit codes as reading it
afterwards."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import aegrade.cli.grade as grade_cli
import aegrade.read.prefetch as prefetch
import aegrade.read.study as study_module
from aegrade.cli import main
from aegrade.read.prefetch import PrefetchedText

HEADER = "subject_id,day,parameter,value,unit"
LABS = f"{HEADER}\nS1,0,PLAT,140,10^9/L\nS1,7,PLAT,40,10^9/L\nS2,0,HGB,120,g/L\n"

#: Inputs the command refuses or reads with problems: name -> bytes (None: a folder).
HOSTILE: dict[str, bytes | None] = {
    "empty.csv": b"",
    "blanks.csv": b"\n \n",
    "ragged.csv": f"{HEADER}\nS1,0,HGB,120,g/L,extra\n".encode(),
    "unclosed.csv": f'{HEADER}\nS1,0,"HGB,120,g/L\n'.encode(),
    "nul.csv": b"subject_id,day\x00\nS1,0\n",
    "workbook.csv": b"PK\x03\x04" + b"\x00" * 40,
    "folder.csv": None,
    "bad_value.csv": f"{HEADER}\nS1,0,HGB,1..2,g/L\n".encode(),
    "cp1252.csv": "subject_id;day;parameter;value;unit\nSé;0;HGB;12,5;g/dL\n".encode("cp1252"),
    "utf16.csv": f"{HEADER}\nS1,0,HGB,120,g/Lx\n".encode("utf-16"),
    "no_subject.csv": b"day,parameter,value,unit\n0,HGB,120,g/L\n",
}


@pytest.fixture
def handed(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """What the command hands :func:`load_study` as ``prefetched``, call by call."""
    seen: list[Any] = []
    load = study_module.load_study

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs.get("prefetched"))
        return load(*args, **kwargs)

    monkeypatch.setattr(study_module, "load_study", spy)
    return seen


def _run(args: list[str]) -> Any:
    return CliRunner().invoke(main, args)


def test_a_csv_input_is_handed_over_read(handed: list[Any], tmp_path: Path) -> None:
    src = tmp_path / "labs.csv"
    src.write_text(LABS)
    run = _run(["grade", str(src), "-o", str(tmp_path / "out"), "--format", "parquet"])
    assert run.exit_code == 0, run.output
    [text] = handed
    assert isinstance(text, PrefetchedText) and text.path == src and text.parsed is not None
    assert text.raw == LABS.encode()


def test_other_inputs_are_read_as_before(handed: list[Any], tmp_path: Path) -> None:
    folder = tmp_path / "study"
    folder.mkdir()
    (folder / "observations.csv").write_text(LABS)
    run = _run(["grade", str(folder), "-o", str(tmp_path / "out"), "--format", "csv"])
    assert run.exit_code == 0, run.output
    assert handed == [None]


def test_the_outputs_are_those_of_a_read_afterwards(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "labs.csv"
    src.write_text(LABS)
    fetched = _run(["grade", str(src), "-o", str(tmp_path / "a"), "--format", "csv"])
    monkeypatch.setattr(grade_cli, "_start_prefetch", lambda path: None)
    ordinary = _run(["grade", str(src), "-o", str(tmp_path / "b"), "--format", "csv"])
    assert fetched.exit_code == ordinary.exit_code == 0
    assert fetched.output.replace(str(tmp_path / "a"), "") == ordinary.output.replace(
        str(tmp_path / "b"), ""
    )
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    assert "graded_observations.csv" in names
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


@pytest.mark.parametrize("errors", ["raise", "coerce"])
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_input_fails_as_it_did(
    name: str, errors: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Problems met on the background thread are named by the reader on the main thread:
    the same message, exit code and no traceback."""
    src = tmp_path / name
    data = HOSTILE[name]
    src.mkdir() if data is None else src.write_bytes(data)
    args = ["grade", str(src), "-o", str(tmp_path / "out"), "--format", "csv", "--errors", errors]
    fetched = _run(args)
    monkeypatch.setattr(grade_cli, "_start_prefetch", lambda path: None)
    ordinary = _run(args)
    assert (fetched.exit_code, fetched.output) == (ordinary.exit_code, ordinary.output)
    assert "Traceback" not in fetched.output
    if name in ("empty.csv", "ragged.csv", "workbook.csv", "folder.csv", "nul.csv"):
        assert fetched.exit_code == 1 and name in fetched.output


def test_a_bad_thread_count_is_named_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "labs.csv"
    src.write_text(LABS)
    monkeypatch.setenv("AEGRADE_THREADS", "two")
    args = ["grade", str(src), "-o", str(tmp_path / "out"), "--format", "csv"]
    fetched = _run(args)
    monkeypatch.setattr(grade_cli, "_start_prefetch", lambda path: None)
    ordinary = _run(args)
    assert (fetched.exit_code, fetched.output) == (ordinary.exit_code, ordinary.output)
    assert fetched.exit_code != 0 and "AEGRADE_THREADS" in fetched.output


@pytest.mark.parametrize(("bound", "threads"), [(None, 1), (0, 3)])
def test_a_small_file_is_parsed_on_one_thread_beside_the_imports(
    bound: int | None, threads: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Up to _ONE_CORE_BYTES on one thread, a larger file on the main thread's count."""
    src = tmp_path / "labs.csv"
    src.write_text(LABS)
    asked: list[int | None] = []
    real = prefetch.prefetch_text

    def spy(path: Path, *, threads: int | None = None) -> PrefetchedText | None:
        asked.append(threads)
        return real(path, threads=threads)

    monkeypatch.setattr(prefetch, "prefetch_text", spy)
    monkeypatch.setenv("AEGRADE_THREADS", "3")
    if bound is not None:
        monkeypatch.setattr(grade_cli, "_ONE_CORE_BYTES", bound)
    job = grade_cli._start_prefetch(src)
    assert job is not None
    text = job.result()
    assert asked == [threads] and text is not None and text.parsed is not None


def test_nothing_is_started_for_other_inputs(tmp_path: Path) -> None:
    (tmp_path / "labs.parquet").write_bytes(b"PAR1")
    (tmp_path / "dir.csv").mkdir()
    assert grade_cli._start_prefetch(tmp_path / "labs.parquet") is None
    assert grade_cli._start_prefetch(tmp_path / "dir.csv") is None
    assert grade_cli._start_prefetch(tmp_path) is None
