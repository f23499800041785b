"""An input csv read ahead (aegrade/read/ahead.py): the reader takes that work only for the
unchanged file, and reads exactly what it reads without it."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import aegrade.read.ahead as ahead_module
import aegrade.read.arrow_csv as arrow_csv
from aegrade.read.ahead import prefetch, take_prefetched
from aegrade.read.digest import file_sha256
from aegrade.read.files import read_csv

CSV = "subject_id,day,parameter,value,unit\nS1,0,HGB,120,g/L\nS1,7,HGB,95,g/L\n"


def _csv(tmp_path: Path, text: str = CSV, name: str = "labs.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def test_the_read_ahead_is_taken_once_with_the_file_bytes(tmp_path: Path) -> None:
    path = _csv(tmp_path)
    assert prefetch(path)
    ahead = take_prefetched(path)
    assert ahead is not None and ahead.tried and ahead.raw == path.read_bytes()
    assert ahead.parsed is not None and ahead.parsed.table.num_rows == 2
    assert take_prefetched(path) is None  # taken: the next reader reads the file itself
    assert file_sha256(path) == hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_reader_uses_the_parse_done_ahead_and_reads_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _csv(tmp_path)
    without = read_csv(path).frame
    assert prefetch(path)
    for job in ahead_module._jobs.values():  # the read ahead done before parse_text is watched
        job.result()
    parses: list[Any] = []
    real = arrow_csv.parse_text
    monkeypatch.setattr(arrow_csv, "parse_text", lambda *a, **k: parses.append(1) or real(*a, **k))
    sheet = read_csv(path)
    assert parses == []  # the parse was done ahead
    pd.testing.assert_frame_equal(sheet.frame, without)
    assert sheet.rows.tolist() == [2, 3]


def test_a_file_changed_after_the_read_ahead_is_read_again(tmp_path: Path) -> None:
    path = _csv(tmp_path)
    assert prefetch(path)
    take_prefetched(path)
    assert prefetch(path)
    path.write_text(CSV + "S2,0,HGB,130,g/L\n", "utf-8")
    os.utime(path, ns=(1, 1))  # a new modification time, whatever the clock's resolution
    assert take_prefetched(path) is None
    assert read_csv(path).frame["subject_id"].tolist() == ["S1", "S1", "S2"]


def test_only_text_tables_are_read_ahead(tmp_path: Path) -> None:
    assert not prefetch(_csv(tmp_path, name="study.xlsx"))
    assert not prefetch(tmp_path)  # a folder
    assert not prefetch(tmp_path / "missing.csv")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("subject_id;value\nS1;1,5\n", "a decimal comma: pandas reads it"),
        ("", "empty: the reader names the problem"),
        ("subject_id,value\nS1,1,2\n", "a long row: pyarrow refuses it, pandas names the row"),
    ],
)
def test_files_left_to_the_reader_give_the_reader_s_own_answer(
    tmp_path: Path, text: str, why: str
) -> None:
    path = _csv(tmp_path, text)
    try:
        expected: Any = read_csv(path).frame
    except Exception as exc:  # the reader's own error, compared below
        expected = exc
    assert prefetch(path)
    try:
        got: Any = read_csv(path).frame
    except Exception as exc:
        got = exc
    if isinstance(expected, pd.DataFrame):
        pd.testing.assert_frame_equal(got, expected)
    else:
        assert type(got) is type(expected) and str(got) == str(expected), why


@pytest.mark.parametrize(("load", "free"), [(0.2, True), (64.0, False)])
def test_the_read_ahead_waits_for_an_idle_core(
    monkeypatch: pytest.MonkeyPatch, load: float, free: bool
) -> None:
    """The command line reads ahead only when the load leaves a core idle (otherwise the
    parse only competes with the imports)."""
    from aegrade.read.ahead import core_free

    monkeypatch.setattr(os, "sched_getaffinity", lambda _: {0, 1}, raising=False)
    monkeypatch.setattr(os, "getloadavg", lambda: (load, 0.0, 0.0))
    assert core_free() is free
