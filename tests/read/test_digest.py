"""The input digest is the sha256 of the file's bytes, taken from the bytes read once."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pandas as pd
import pytest

import aegrade.read.digest as digest
from aegrade import grade, load_study
from aegrade.read.digest import file_sha256, read_bytes_hashed


def test_digest_of_the_bytes_read_is_the_files_sha256(tmp_path: Path) -> None:
    path = tmp_path / "labs.csv"
    path.write_bytes(b"subject_id,day\nS1,1\n")
    raw = read_bytes_hashed(path)
    assert raw == path.read_bytes()
    assert file_sha256(path) == hashlib.sha256(raw).hexdigest()


def test_a_file_changed_after_reading_is_hashed_again(tmp_path: Path) -> None:
    path = tmp_path / "labs.csv"
    path.write_bytes(b"a\n1\n")
    read_bytes_hashed(path)
    path.write_bytes(b"a\n22\n")  # another size: another identity
    os.utime(path, ns=(1, 1))
    assert file_sha256(path) == hashlib.sha256(b"a\n22\n").hexdigest()


def test_a_file_never_read_is_read_and_hashed(tmp_path: Path) -> None:
    path = tmp_path / "other.bin"
    path.write_bytes(b"\x00\x01")
    assert file_sha256(path) == hashlib.sha256(b"\x00\x01").hexdigest()


def test_the_run_reads_the_csv_once_and_reports_its_sha256(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "labs.csv"
    pd.DataFrame(
        {"subject_id": ["S1", "S1"], "day": [0, 7], "parameter": "PLAT", "value": [250, 40]}
    ).assign(unit="10^9/L").to_csv(path, index=False)
    study = load_study(path)
    grade(study.observations.frame)  # criteria loaded before reading is watched
    hashed: list[bytes] = []
    monkeypatch.setattr(digest, "_sha256", lambda raw: hashed.append(raw) or "")
    monkeypatch.setattr(Path, "read_bytes", lambda self: (_ for _ in ()).throw(AssertionError))
    meta = grade(study).meta
    assert hashed == []  # the digest was taken while reading, not again
    monkeypatch.undo()
    assert meta["sha256 labs.csv"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_forked_process_does_not_wait_for_the_parents_pool(tmp_path: Path) -> None:
    path = tmp_path / "labs.csv"
    path.write_bytes(b"a\n1\n")
    read_bytes_hashed(path)
    owner = digest._owner
    try:
        digest._owner = -1  # as seen from a child process
        assert file_sha256(path) == hashlib.sha256(b"a\n1\n").hexdigest()
        assert read_bytes_hashed(path) == b"a\n1\n"
        assert digest._owner == os.getpid()
    finally:
        digest._owner = owner
