"""Fuzzing the way in: generated CSV and xlsx bytes through the CSV reader, the xlsx reader
and :func:`aegrade.grade` end to end. Only aegrade's own error types may escape (issue 11).

A fast subset runs in ``make test`` (about 200 examples over the four tests); the 5,000-example
run is marked ``slow`` (``make test-slow``).
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import aegrade
from aegrade.errors import AegradeError
from aegrade.read.files import Workbook, read_csv

FAST = settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
SLOW = settings(max_examples=5000, deadline=None, suppress_health_check=list(HealthCheck))

HEADERS = ["subject_id", "day", "parameter", "value", "unit", "time", "grade", "term", "onset"]
WORDS = [
    "S01", "S 02", "", " ", "NA", "0", "-1", "7", "2.5", "1e308", "inf", "-inf", "nan", "1,5",
    "ANC", "HGB", "TEMP", "PLT", "CRS", "g/L", "10^9/L", "degC", "=1+1", "+cmd", "2262-04-12",
    "01/02/2024", "'", '"', '""', "\\", "\x00", "é", "\ufeff", "250000", "-1e12", "Pyrexia",
]  # fmt: skip
CELL = st.one_of(
    st.sampled_from(WORDS),
    st.text(max_size=6),
    st.integers(-(10**12), 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
SEP = st.sampled_from([",", ";", "\t", "|"])


@st.composite
def csv_bytes(draw: st.DrawFn) -> bytes:
    """A header of known and odd names, then rows of mixed cells, delimiters and encodings."""
    header = draw(
        st.lists(st.one_of(st.sampled_from(HEADERS), st.text(max_size=5)), min_size=1, max_size=7)
    )
    rows = draw(st.lists(st.lists(CELL, min_size=0, max_size=8), max_size=8))
    sep = draw(SEP)
    row_sep = draw(st.one_of(st.just(sep), SEP))  # sometimes rows use another delimiter
    lines = [sep.join(header), *(row_sep.join(r) for r in rows)]
    text = draw(st.sampled_from(["\n", "\r\n", "\r"])).join(lines)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"]))
    return text.encode(encoding, errors="replace")


XLSX_CELL = st.one_of(
    st.sampled_from([w for w in WORDS if w.isprintable()]),  # xlsx cannot hold control chars
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.none(),
)


@st.composite
def xlsx_bytes(draw: st.DrawFn) -> bytes:
    """A workbook written by pandas, then sometimes cut short or with one byte changed."""
    width = draw(st.integers(1, 6))
    header = draw(st.lists(st.sampled_from(HEADERS), min_size=width, max_size=width, unique=True))
    body = draw(st.lists(st.lists(XLSX_CELL, min_size=width, max_size=width), max_size=6))
    name = draw(st.sampled_from(["observations", "subjects", "events", "Sheet1", "LB"]))
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        pd.DataFrame(body, columns=header).to_excel(xw, sheet_name=name, index=False)
    data = bytearray(buf.getvalue())
    damage = draw(st.sampled_from(["none", "none", "cut", "byte", "part"]))
    # positions as fractions: the workbook's length varies with its saved-at time stamp, and
    # hypothesis needs the same draws to give the same input when it replays one
    if damage == "cut":
        data = data[: int(draw(st.floats(0, 1)) * len(data))]
    elif damage == "byte":
        data[int(draw(st.floats(0, 1)) * (len(data) - 1))] = draw(st.integers(0, 255))
    elif damage == "part":  # a sheet part replaced by arbitrary (maybe hostile) XML text
        data = bytearray(_replace_part(bytes(data), draw(st.binary(max_size=300))))
    return bytes(data)


def _replace_part(book: bytes, text: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(book)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename.startswith("xl/worksheets/"):
                body = body[: len(body) // 2] + text
            dst.writestr(info.filename, body)
    return out.getvalue()


def _only_aegrade_errors(data: bytes, suffix: str, call: Callable[[Path], object]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"input{suffix}"
        path.write_bytes(data)
        try:
            call(path)
        except AegradeError as exc:
            assert str(exc)
        assert path.read_bytes() == data  # the input is never changed


def _grade(path: Path) -> object:
    return aegrade.grade(aegrade.load_study(path), crs="none", icans="none")


def _xlsx_sheets(path: Path) -> object:
    book = Workbook(path)
    return [book.sheet(n) for n in book.sheet_names]


def check_csv_reader(data: bytes) -> None:
    _only_aegrade_errors(data, ".csv", read_csv)


def check_xlsx_reader(data: bytes) -> None:
    _only_aegrade_errors(data, ".xlsx", _xlsx_sheets)


def check_grade_csv(data: bytes) -> None:
    _only_aegrade_errors(data, ".csv", _grade)


def check_grade_xlsx(data: bytes) -> None:
    _only_aegrade_errors(data, ".xlsx", _grade)


@FAST
@given(csv_bytes())
def test_csv_reader_fast(data: bytes) -> None:
    check_csv_reader(data)


@FAST
@given(xlsx_bytes())
def test_xlsx_reader_fast(data: bytes) -> None:
    check_xlsx_reader(data)


@FAST
@given(csv_bytes())
def test_grade_csv_fast(data: bytes) -> None:
    check_grade_csv(data)


@FAST
@given(xlsx_bytes())
def test_grade_xlsx_fast(data: bytes) -> None:
    check_grade_xlsx(data)


@pytest.mark.slow
@SLOW
@given(csv_bytes())
def test_grade_csv_slow(data: bytes) -> None:
    check_grade_csv(data)


@pytest.mark.slow
@SLOW
@given(xlsx_bytes())
def test_grade_xlsx_slow(data: bytes) -> None:
    check_grade_xlsx(data)
