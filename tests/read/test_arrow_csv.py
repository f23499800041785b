"""pyarrow's csv read (aegrade/read/arrow_csv.py) gives the frame pandas' reader gives.

:func:`aegrade.read.files.read_csv` reads the common file with pyarrow and leaves every file
pyarrow may read otherwise to pandas. Each test reads the same bytes both ways (pyarrow's
read turned off by patching :func:`frame_of` to answer None) and asserts the same
frame, row labels and errors; the cases where the readers disagree are each checked to go to
pandas, and the common file to pyarrow (so that these tests can fail).
"""

from __future__ import annotations

import random
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import aegrade.read.arrow_csv as arrow_csv
from aegrade.errors import InputError
from aegrade.read.arrow_csv import read_delimited
from aegrade.read.files import CSV_NA, read_csv
from aegrade.read.text import detect_encoding, text_layout

DATA = Path(__file__).resolve().parents[1] / "data"


def _outcome(path: Path) -> tuple[Any, ...]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            sheet = read_csv(path)
        except InputError as exc:
            return ("error", exc.failures.to_dict("records"))
    return ("sheet", sheet.frame, sheet.rows.tolist())


def _both(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[tuple[Any, ...], bool]:
    """The outcome of read_csv with pyarrow's read (and whether it was used), then without:
    asserted equal."""
    used: list[bool] = []
    real = arrow_csv.frame_of

    def spy(*args: Any, **kwargs: Any) -> pd.DataFrame | None:
        frame = real(*args, **kwargs)
        used.append(frame is not None)
        return frame

    monkeypatch.setattr(arrow_csv, "frame_of", spy)
    fast = _outcome(path)
    monkeypatch.setattr(arrow_csv, "frame_of", lambda *a, **k: None)
    slow = _outcome(path)
    monkeypatch.setattr(arrow_csv, "frame_of", real)
    assert fast[0] == slow[0], (fast, slow)
    if fast[0] == "sheet":
        pd.testing.assert_frame_equal(fast[1], slow[1])
        assert fast[2] == slow[2]
    else:
        assert fast[1] == slow[1]
    return fast, any(used)


def _write(tmp_path: Path, text: str | bytes, name: str = "labs.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def test_the_common_file_is_read_by_pyarrow_with_pandas_dtypes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(
        tmp_path,
        "subject_id,day,parameter,value,unit,lln,uln,time\n"
        "101,0,HGB,120.5,g/L,120,160,2024-01-05 08:00\n"
        "101,7,HGB,NA,g/L,120,160,2024-01-12 08:00\n"
        "\n"
        "102,0,PLAT,40,10^9/L,150,400,\n",
    )
    (kind, frame, rows), used = _both(path, monkeypatch)
    assert used and kind == "sheet"
    assert rows == [2, 3, 5]  # the blank line's label is kept out
    # the blank line is a row of missing cells to pandas (dropped after): numbers as float64
    assert frame.dtypes.astype(str).tolist() == [
        "float64",
        "float64",
        "str",
        "float64",
        "str",
        "float64",
        "float64",
        "str",  # dates stay text (aegrade's own date rule reads them later)
    ]
    assert frame["value"].isna().tolist() == [False, True, False]
    assert frame["time"].tolist()[:2] == ["2024-01-05 08:00", "2024-01-12 08:00"]


@pytest.mark.parametrize(
    ("cells", "why"),
    [
        (["0x1A", "2"], "hexadecimal: pyarrow reads 26, pandas the text"),
        (["NAN", "2"], "a NaN word outside the missing-value words"),
        (["inf ", "2"], "infinity with a blank: pandas keeps the text"),
        (["+5", "2"], "an integer with a plus sign: pandas int64, pyarrow float64"),
        (["12345678901234567890", "2.5"], "beyond int64: pandas keeps the text here"),
        (["18446744073709551615", "2"], "beyond int64: pandas uint64"),
        (["True", ""], "a flag with a missing cell: pandas object"),
        (["\x0b7", "2"], "vertical tab around a number: pandas reads the number"),
    ],
    ids=lambda x: x if isinstance(x, str) else None,
)
def test_cells_the_readers_read_otherwise_go_to_pandas(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cells: list[str], why: str
) -> None:
    path = _write(tmp_path, "subject_id,v\n" + "".join(f"S{i},{c}\n" for i, c in enumerate(cells)))
    _, used = _both(path, monkeypatch)
    assert not used, why


@pytest.mark.parametrize(
    "body",
    [
        "a,b\n1,2\n3\n",  # a short row: pandas pads it
        "a,b\n1,2,3\n",  # a long row: pandas names the row
        'a,b\n"abc,2\n3,4\n',  # an unclosed quote
        "a,b\n1,2\n   \n3,4\n",  # a line of blanks
        "a,b\n",  # a header without rows
    ],
)
def test_rows_pyarrow_refuses_are_read_or_refused_by_pandas(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str
) -> None:
    _, used = _both(_write(tmp_path, body), monkeypatch)
    assert not used


def test_dates_found_after_the_head_are_read_again_as_text(tmp_path: Path) -> None:
    n = 500  # more rows than the head looked at: the column is empty there
    dates = [""] * 300 + ["2024-03-01"] * (n - 300)
    raw = ("s,d\n" + "".join(f"S{i},{d}\n" for i, d in enumerate(dates))).encode()
    frame = read_delimited(raw, text_layout(raw, "utf-8"), na_values=CSV_NA)
    assert frame is not None
    assert str(frame["d"].dtype) == "str" and frame["d"].iloc[-1] == "2024-03-01"
    assert frame["d"].isna().sum() == 300


def test_a_column_missing_throughout_is_float_nan_as_pandas_reads_it() -> None:
    raw = b"a,b,\n1,,\n2,NA,\n"
    frame = read_delimited(raw, text_layout(raw, "utf-8"), na_values=CSV_NA)
    assert frame is not None
    assert list(frame.columns) == ["a", "b", "Unnamed: 2"]
    assert frame.dtypes.astype(str).tolist() == ["int64", "float64", "float64"]


def test_quoted_line_breaks_across_pyarrow_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A one-column file whose quoted cells hold line breaks: pyarrow's block cutting must
    follow the quotes (read with line breaks allowed in values)."""
    rng = np.random.default_rng(3)
    cells = rng.choice(["a", "b\nc", "d\n\ne", "x,y", "1"], size=60_000)
    path = tmp_path / "notes.csv"
    pd.DataFrame({"note": cells}).to_csv(path, index=False)
    (kind, frame, _), used = _both(path, monkeypatch)
    assert used and kind == "sheet"
    assert frame["note"].tolist() == cells.tolist()


def test_the_same_frame_on_one_thread_or_more() -> None:
    rng = np.random.default_rng(4)
    n = 200_000
    raw = (
        pd.DataFrame(
            {
                "s": rng.integers(0, 999, n),
                "v": rng.random(n).round(3),
                "u": rng.choice(["a", "b"], n),
            }
        )
        .to_csv(index=False)
        .encode()
    )
    layout = text_layout(raw, "utf-8")
    one = read_delimited(raw, layout, na_values=CSV_NA, threads=1)
    two = read_delimited(raw, layout, na_values=CSV_NA, threads=2)
    assert one is not None and two is not None
    pd.testing.assert_frame_equal(one, two)


@pytest.mark.parametrize(
    "path", sorted(p for p in DATA.rglob("*") if p.suffix.lower() in (".csv", ".txt", ".tsv"))
)
def test_every_text_file_of_the_test_data_reads_the_same(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _both(path, monkeypatch)


_TOKENS = [
    "1", "-2", "3.5", "+4", " 5", "6 ", "0x1F", "1e3", "inf", "NaN", "nan", "NA", "", " ",
    "x", "Yes", "True", "false", "2024-01-05", "2024-01-05 10:00", "10:30", '"q,1"', '"a""b"',
    '"l\nb"', "9223372036854775808", "-0", ".5", "1.", "S01", "01", "\u03ac", "1,5", "\t",
    "N/A", '"7"', '""', "CD4+", "a\"b", "2.0", "100", "-1e-3", "inf ", "NAN",
]  # fmt: skip


def _random_file(rng: random.Random) -> bytes:
    width = rng.randint(1, 5)
    sep = rng.choice([",", ",", ";", "\t", "|"])
    end = rng.choice(["\n", "\r\n", "\r"])
    header = [rng.choice(["a", "b", "value", "", " day "]) + str(i) for i in range(width)]
    pools = [rng.sample(_TOKENS, rng.randint(1, 4)) for _ in range(width)]
    lines = [sep.join(header)]
    for _ in range(rng.randint(0, 12)):
        if rng.random() < 0.05:
            lines.append("")
            continue
        cells = width if rng.random() > 0.05 else max(width + rng.choice([-1, 1]), 1)
        lines.append(sep.join(rng.choice(pools[i % width]) for i in range(cells)))
    text = end.join(lines) + (end if rng.random() < 0.8 else "")
    encoding = rng.choice(["utf-8", "utf-8", "utf-8-sig", "cp1252", "utf-16"])
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        return text.encode("utf-8")


@pytest.mark.parametrize("seed", range(4))
def test_random_files_read_the_same_both_ways(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """Random small files of awkward cells, delimiters, line ends, encodings and ragged
    rows: the same frame, labels or error both ways; pyarrow reads a good share of them."""
    rng = random.Random(seed)
    used = 0
    for i in range(150):
        _, fast = _both(_write(tmp_path, _random_file(rng), f"f{i}.csv"), monkeypatch)
        used += fast
    assert used > 20


@pytest.mark.parametrize(
    "path", sorted(p for p in DATA.rglob("*") if p.suffix.lower() in (".csv", ".txt", ".tsv"))
)
def test_columns_converted_beforehand_give_the_same_frame(path: Path) -> None:
    """pandas_columns (run by the command line beside its imports) then frame_of gives
    frame_of's own frame, or None where frame_of gives None."""
    raw = path.read_bytes()
    try:
        layout = text_layout(raw, detect_encoding(raw))
    except ValueError:  # not text: the reader refuses it before pyarrow sees it
        return
    parsed = arrow_csv.parse_text(raw, layout, na_values=CSV_NA)
    if parsed is None:
        return
    ready = arrow_csv.pandas_columns(parsed)
    direct = arrow_csv.frame_of(parsed)
    assert (ready is None) == (direct is None)
    if ready is not None and direct is not None:
        assert ready.converted and arrow_csv.pandas_columns(ready) is ready
        pd.testing.assert_frame_equal(arrow_csv.frame_of(ready), direct, check_exact=True)


def test_repeated_and_blank_headers_survive_the_conversion() -> None:
    raw = b"id,v,v,\nS1,1.5,2,x\nS2,,3,y\n"
    parsed = arrow_csv.parse_text(raw, text_layout(raw, "utf-8"), na_values=CSV_NA)
    assert parsed is not None
    ready = arrow_csv.pandas_columns(parsed)
    assert ready is not None and ready.table.column_names == ["id", "v", "v", ""]
    frame = arrow_csv.frame_of(ready)
    assert frame is not None
    assert list(frame.columns) == ["id", "v", "v", "Unnamed: 3"]
    assert frame.iloc[:, 2].tolist() == [2, 3]
