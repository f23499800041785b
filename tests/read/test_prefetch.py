"""A text input read and parsed before pandas is needed (aegrade.read.prefetch): the same
sheet as the ordinary read, the same errors, and never used for a file changed since."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from aegrade.errors import InputError
from aegrade.read.digest import file_sha256
from aegrade.read.files import read_csv
from aegrade.read.prefetch import PrefetchedText, prefetch_text
from aegrade.read.study import load_study

HEADER = "subject_id,day,parameter,value,unit"

#: Files the reader reads, by pyarrow or by pandas: name -> bytes.
READABLE = {
    "common.csv": f"{HEADER}\nS1,0,HGB,120,g/L\nS2,1.5,PLAT,40,10^9/L\n,,,NA,\n".encode(),
    "numeric_ids.csv": f"{HEADER}\n101,0,HGB,120,g/L\n102,1,HGB,80,g/L\n".encode(),
    "decimal_comma.csv": b"subject_id;day;parameter;value;unit\nS1;0;HGB;120,5;g/L\n",
    "hexadecimal.csv": f"{HEADER}\nS1,0,HGB,0x1A,g/L\nS1,1,HGB,90,g/L\n".encode(),
    "plus.csv": f"{HEADER}\nS1,+1,HGB,90,g/L\n".encode(),
    "dates.tsv": b"subject_id\tdate\tparameter\tvalue\tunit\nS1\t2024-01-05\tHGB\t90\tg/L\n",
    "latin1.csv": f"{HEADER}\nS\xe9,0,HGB,120,g/L\n".encode("latin-1"),
    "utf16.csv": f"{HEADER}\nS1,0,HGB,120,g/L\n".encode("utf-16"),
    "bom.txt": b"\xef\xbb\xbf" + f"{HEADER}\nS1,0,HGB,120,g/L\n".encode(),
    "blank_lines.csv": f"{HEADER}\nS1,0,HGB,120,g/L\n\nS1,2,HGB,90,g/L\n".encode(),
    "header_only.csv": f"{HEADER}\n".encode(),
    "quoted_break.csv": f'{HEADER}\nS1,0,"HGB\nx",120,g/L\n'.encode(),
}

#: Files the reader refuses: name -> bytes (None: a folder of that name).
REFUSED: dict[str, bytes | None] = {
    "empty.csv": b"",
    "blanks.csv": b"\n  \n\n",
    "ragged.csv": f"{HEADER}\nS1,0,HGB,120,g/L,extra\n".encode(),
    "unclosed_quote.csv": f'{HEADER}\nS1,0,"HGB,120,g/L\n'.encode(),
    "nul.csv": b"subject_id,day\x00\nS1,0\n",
    "workbook.csv": b"PK\x03\x04" + b"\x00" * 40,
    "folder.csv": None,
}


def _write(folder: Path, name: str, data: bytes | None) -> Path:
    path = folder / name
    if data is None:
        path.mkdir()
    else:
        path.write_bytes(data)
    return path


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("name", sorted(READABLE))
def test_the_sheet_is_the_ordinary_reads(name: str, threads: int, tmp_path: Path) -> None:
    path = _write(tmp_path, name, READABLE[name])
    text = prefetch_text(path, threads=threads)
    assert isinstance(text, PrefetchedText) and text.is_of(path)
    assert text.raw == READABLE[name]
    fetched, ordinary = read_csv(path, prefetched=text), read_csv(path)
    pd.testing.assert_frame_equal(fetched.frame, ordinary.frame, check_exact=True)
    assert fetched.rows.tolist() == ordinary.rows.tolist()
    assert (fetched.file, fetched.sheet) == (ordinary.file, ordinary.sheet)


def test_pyarrow_parses_the_common_file_and_leaves_the_rest_to_pandas(tmp_path: Path) -> None:
    common = prefetch_text(_write(tmp_path, "a.csv", READABLE["common.csv"]))
    comma = prefetch_text(_write(tmp_path, "b.csv", READABLE["decimal_comma.csv"]))
    hexes = prefetch_text(_write(tmp_path, "c.csv", READABLE["hexadecimal.csv"]))
    assert common is not None and common.parsed is not None
    assert common.parsed.table.num_rows == 3
    assert common.parsed.converted  # the columns as pandas reads them, checked already
    assert comma is not None and comma.parsed is None and comma.layout.decimal == ","
    assert hexes is not None and hexes.parsed is None  # hexadecimal integers: pandas reads


def test_the_frame_is_read_from_the_prefetched_parse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader neither reads the file nor parses it again (both happen in read_text)."""
    import aegrade.read.prefetch as prefetch

    path = _write(tmp_path, "labs.csv", READABLE["common.csv"])
    text = prefetch_text(path)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("read again")

    monkeypatch.setattr(prefetch, "read_bytes_hashed", refuse)
    monkeypatch.setattr(prefetch, "parse_text", refuse)
    assert read_csv(path, prefetched=text).frame["value"].tolist()[:2] == [120.0, 40.0]
    with pytest.raises(AssertionError, match="read again"):  # the seams the reader reads by
        read_csv(path)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_refused_file_gives_the_ordinary_error(name: str, tmp_path: Path) -> None:
    path = _write(tmp_path, name, REFUSED[name])
    text = prefetch_text(path)
    with pytest.raises(InputError) as ordinary:
        read_csv(path)
    with pytest.raises(InputError) as fetched:
        read_csv(path, prefetched=text)
    assert str(fetched.value) == str(ordinary.value)
    assert fetched.value.failures.equals(ordinary.value.failures)


@pytest.mark.parametrize("name", ["empty.csv", "blanks.csv", "nul.csv", "workbook.csv"])
def test_nothing_is_prefetched_where_the_reader_names_a_problem(name: str, tmp_path: Path) -> None:
    assert prefetch_text(_write(tmp_path, name, REFUSED[name])) is None


def test_nothing_is_prefetched_from_what_is_not_a_text_file(tmp_path: Path) -> None:
    assert prefetch_text(tmp_path / "absent.csv") is None
    assert prefetch_text(_write(tmp_path, "folder.csv", None)) is None
    assert prefetch_text(_write(tmp_path, "labs.parquet", b"PAR1")) is None
    assert prefetch_text(_write(tmp_path, "labs.xlsx", b"PK\x03\x04")) is None
    assert prefetch_text(tmp_path) is None


def test_a_file_changed_since_is_read_again(tmp_path: Path) -> None:
    path = _write(tmp_path, "labs.csv", READABLE["common.csv"])
    text = prefetch_text(path)
    assert text is not None
    path.write_bytes(f"{HEADER}\nS9,3,HGB,70,g/L\n".encode())
    os.utime(path, ns=(0, text.identity[3] + 1))  # a new time, whatever the clock's step
    assert not text.is_of(path)
    assert read_csv(path, prefetched=text).frame["subject_id"].tolist() == ["S9"]


def test_another_path_is_read_as_it_is(tmp_path: Path) -> None:
    first = _write(tmp_path, "a.csv", READABLE["common.csv"])
    second = _write(tmp_path, "b.csv", f"{HEADER}\nS7,0,HGB,90,g/L\n".encode())
    text = prefetch_text(first)
    assert text is not None and not text.is_of(second)
    assert read_csv(second, prefetched=text).frame["subject_id"].tolist() == ["S7"]
    second.unlink()
    assert not text.is_of(second)  # gone: no file to match


def test_the_digest_is_taken_from_the_prefetched_bytes(tmp_path: Path) -> None:
    path = _write(tmp_path, "labs.csv", READABLE["common.csv"])
    assert prefetch_text(path) is not None
    assert file_sha256(path) == hashlib.sha256(READABLE["common.csv"]).hexdigest()


def test_load_study_takes_the_prefetched_read(tmp_path: Path) -> None:
    path = _write(tmp_path, "labs.csv", READABLE["numeric_ids.csv"])
    study = load_study(path, prefetched=prefetch_text(path))
    ordinary = load_study(path)
    pd.testing.assert_frame_equal(study.observations.frame, ordinary.observations.frame)
    assert study.observations.rows.tolist() == ordinary.observations.rows.tolist() == [2, 3]
    assert study.source == ordinary.source == str(path)


def test_the_module_imports_no_pandas() -> None:
    """It runs while the command imports pandas: it must not import pandas itself."""
    code = (
        "import sys; import aegrade.read.prefetch; "
        "print('pandas' in sys.modules, 'aegrade.read.files' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
