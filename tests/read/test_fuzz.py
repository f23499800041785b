"""Fuzzing the readers: random bytes, truncated or corrupted workbooks and odd encodings
give an InputError or a table, never another exception."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aegrade.errors import InputError
from aegrade.read.study import load_study

#: Modest by default so the suite stays fast; AEGRADE_FUZZ_EXAMPLES=800 for a deeper run.
FUZZ = settings(
    max_examples=int(os.environ.get("AEGRADE_FUZZ_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def _workbook() -> bytes:
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        pd.DataFrame(
            {
                "subject_id": ["S1", "S2"],
                "day": [0, 1],
                "parameter": ["NEUT", "TEMP"],
                "value": [2.5, 38.2],
                "unit": ["10^9/L", "degC"],
            }
        ).to_excel(xw, sheet_name="observations", index=False)
    return buf.getvalue()


WORKBOOK = _workbook()


def _load(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"input{suffix}"
        path.write_bytes(data)
        try:
            load_study(path)
        except InputError as exc:
            assert len(exc.failures) >= 1
            assert exc.report()


@FUZZ
@given(
    data=st.binary(max_size=2048),
    suffix=st.sampled_from([".csv", ".tsv", ".xlsx", ".parquet", ".xpt"]),
)
def test_random_bytes(data: bytes, suffix: str) -> None:
    _load(data, suffix)


@FUZZ
@given(cut=st.integers(min_value=0, max_value=len(WORKBOOK)))
def test_truncated_workbook(cut: int) -> None:
    _load(WORKBOOK[:cut], ".xlsx")


@FUZZ
@given(
    pos=st.integers(min_value=0, max_value=len(WORKBOOK) - 1),
    byte=st.integers(min_value=0, max_value=255),
)
def test_corrupted_workbook(pos: int, byte: int) -> None:
    data = bytearray(WORKBOOK)
    data[pos] = byte
    _load(bytes(data), ".xlsx")


CELL = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8)


@FUZZ
@given(
    rows=st.lists(st.lists(CELL, min_size=1, max_size=5), min_size=0, max_size=6),
    sep=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"]),
)
def test_odd_text(rows: list[list[str]], sep: str, encoding: str) -> None:
    body = "\n".join(sep.join(r) for r in [["subject_id", "parameter", "value"], *rows])
    _load(body.encode(encoding, errors="replace"), ".csv")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_fuzz_smoke_valid_file_loads(suffix: str, tmp_path: Path) -> None:
    path = tmp_path / f"x{suffix}"
    if suffix == ".xlsx":
        path.write_bytes(WORKBOOK)
    else:
        path.write_text("subject_id,parameter,value,unit\nS1,NEUT,2.5,10^9/L\n")
    assert len(load_study(path).observations.frame) >= 1
