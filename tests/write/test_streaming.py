"""The fast writers write what pandas wrote (issue 15 point 2): the same csv bytes as
``DataFrame.to_csv``, the same xlsx cells (value, type, number format) as ``to_excel``."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from aegrade.write.neutralize import neutralize_formulas
from aegrade.write.streaming import write_csv, write_xlsx

RNG = np.random.default_rng(7)
N = 60


def _kinds() -> pd.DataFrame:
    """One column of every kind an output table holds, missing values in each."""
    return pd.DataFrame(
        {
            "float": RNG.normal(size=N) * 10.0 ** RNG.integers(-20, 20, N),
            "edges": [1e16, 1e15, 1e-5, 1e-4, 0.1, -0.0, 123456789.123, 5e-324, 2.5, 3.0] * 6,
            "with_nan": np.where(RNG.random(N) > 0.7, np.nan, RNG.random(N)),
            "int": RNG.integers(-5, 5, N),
            "flag": RNG.random(N) > 0.5,
            "Int8": pd.array(RNG.choice([1, 2, None], N), dtype="Int8"),
            "Int64": pd.array(RNG.choice([10, -3, None], N), dtype="Int64"),
            "boolean": pd.array(RNG.choice([True, False, None], N), dtype="boolean"),
            "Float64": pd.array(RNG.choice([1.5, 2.0, None], N), dtype="Float64"),
            "text": RNG.choice(["Anemia", "", None, "'=cmd()", "-1.5", "a, b", 'say "hi"'], N),
            "lines": RNG.choice(["one\ntwo", "cr\rhere", "plain"], N),
            "string": pd.Series(RNG.choice(["s", None, "x,y"], N), dtype="string"),
            "category": pd.Categorical(RNG.choice(["p", "q, r", None], N)),
        }
    )


FRAMES = {
    "every kind": _kinds(),
    "no missing": _kinds().dropna(),
    "dates (pandas writes them)": _kinds().assign(when=pd.Timestamp("2024-01-01")),
    "mixed objects (pandas writes them)": _kinds().assign(mixed=["RA", -2, 3.5, None] * 15),
    "one column": pd.DataFrame({"term": ["a", "", None]}),
    "empty": pd.DataFrame({"a": pd.Series(dtype=float), "b": pd.Series(dtype=object)}),
    "odd headers": pd.DataFrame({"a,b": [1, 2], 'say "x"': ["u", "v"], 3: [0.5, None]}),
}


@pytest.mark.parametrize("name", FRAMES)
def test_csv_bytes_are_pandas_bytes(name: str, tmp_path: Path) -> None:
    frame = neutralize_formulas(FRAMES[name])
    frame.to_csv(tmp_path / "pandas.csv", index=False)
    write_csv(frame, tmp_path / "fast.csv")
    assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()


def test_csv_quotes_like_pandas_across_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import aegrade.write.streaming as streaming

    monkeypatch.setattr(streaming, "_CHUNK_ROWS", 7)  # many chunks, some without a quote
    frame = _kinds()
    frame.to_csv(tmp_path / "pandas.csv", index=False)
    write_csv(frame, tmp_path / "fast.csv")
    text = (tmp_path / "fast.csv").read_text()
    assert text == (tmp_path / "pandas.csv").read_text()
    assert '"a, b"' in text and '"say ""hi"""' in text and '"one\ntwo"' in text


def _cells(book: io.BytesIO, sheet: str) -> list[list[tuple[object, str, str]]]:
    ws = openpyxl.load_workbook(book)[sheet]
    # a missing value: pandas wrote an empty text cell, the stream writes no cell; both read None
    return [
        [(c.value, c.data_type if c.value is not None else "n", c.number_format) for c in row]
        for row in ws.iter_rows()
    ]


@pytest.mark.parametrize("name", ["every kind", "dates (pandas writes them)", "empty"])
def test_xlsx_cells_are_pandas_cells(name: str) -> None:
    frame = FRAMES[name].drop(columns=["lines"], errors="ignore")
    frame = neutralize_formulas(frame, numbers=True).assign(inf=np.inf if len(frame) else [])
    old, new = io.BytesIO(), io.BytesIO()
    with pd.ExcelWriter(old, engine="openpyxl") as xw:
        frame.to_excel(xw, sheet_name="t", index=False)
    write_xlsx({"t": frame}, new, about={"criteria": "ctcae-v5.0"})
    assert _cells(new, "t") == _cells(old, "t")
    book = openpyxl.load_workbook(new)
    assert book.sheetnames == ["t", "about"]
    assert book["t"].freeze_panes == "A2"
    assert [c.value for c in book["about"][2]] == ["criteria", "ctcae-v5.0"]


def test_xlsx_text_is_never_a_formula_or_a_link() -> None:
    book = io.BytesIO()
    write_xlsx({"t": pd.DataFrame({"a": ["=1+1", "http://example.org", "007"]})}, book)
    ws = openpyxl.load_workbook(book)["t"]
    assert [(c.value, c.data_type) for c in ws["A"][1:]] == [
        ("=1+1", "s"),
        ("http://example.org", "s"),
        ("007", "s"),
    ]
    assert not ws._hyperlinks
