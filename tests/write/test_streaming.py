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


def _repeated() -> pd.DataFrame:
    """Columns of few distinct values over many rows (days, limits, grades, arrow text):
    floats spelt once per distinct value, -0.0 beside 0.0, text whose quoted cells are rare."""
    n = 3000
    days = RNG.choice([0.0, 7.0, -3.0, 1e-5, 2.5e16, np.nan, 1 / 3], n)
    signed = RNG.choice([0.0, -0.0, 1.5], n)
    return pd.DataFrame(
        {
            "day": days,
            "signed": signed,
            "uint": RNG.integers(0, 2**63, n, dtype=np.uint64),
            "int8": RNG.integers(-128, 127, n).astype(np.int8),
            "flag": RNG.random(n) > 0.5,
            "text": pd.array(RNG.choice(["P1", "=x", None, "é, ü"], n), dtype="string"),
            "str": pd.Series(np.where(np.arange(n) == n - 1, 'a "q"', "plain"), dtype="str"),
            "grade": pd.array(RNG.choice([0, 4, None], n), dtype="Int64"),
        }
    )


FRAMES = {
    "every kind": _kinds(),
    "repeated values": _repeated(),
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


# -- the xlsx package written directly (aegrade.write.xlsx_fast) against xlsxwriter ----------


def _hostile() -> pd.DataFrame:
    """Text no spreadsheet cell should run or mangle, and every kind of number and date."""
    text = [
        "=1+1",
        "+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1)",
        "a < b & c > d",
        "quote \" and ' apostrophe",
        "bell\x07 nul\x00 esc\x1b vt\x0b ff\x0c",
        "tab\tline\nfeed",
        "carriage\r\nreturn",
        "_x0041_ is not A",
        "non-characters \ufffe\uffff",
        " leading and trailing ",
        "",
        None,
        "x" * 40_000,
        "y" * 32_766 + "\U0001f600",  # the emoji would straddle the limit: cut before it
        "\U0001f600 émoji ünïcode 中文",
        "]]><![CDATA[",
        "<f>1+1</f>",
        "http://example.org",
    ]
    n = len(text)
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {
            "text": text,
            "category": pd.Categorical([*text[:-6], "p", None, "q", "p", "", "&"]),
            "float": np.r_[
                [np.nan, np.inf, -np.inf, 0.1 + 0.2, 1e16, 1e15, 1e-5, 5e-324, -0.0],
                rng.normal(size=n - 9) * 10.0 ** rng.integers(-30, 30, n - 9),
            ],
            "int": np.arange(n, dtype=np.int64) * 10**15,
            "flag": np.arange(n) % 3 == 0,
            "when": pd.to_datetime(
                [
                    "2024-01-01 10:00",
                    "2024-02-29 23:59:59.999999",
                    None,
                    "1900-01-01",
                    "1900-02-28",
                    "1900-03-01 06:00",
                    "1999-12-31 12:34:56.5",
                ]
                * 3,
                format="ISO8601",
            )[:n],
            "zoned": pd.date_range("2024-03-30 22:00", periods=n, freq="7h", tz="Europe/Paris"),
            "mixed": (["RA", -2, 3.5, None, True, "", 1e300, pd.NA] * 3)[:n],
            '=HYPERLINK("x")': pd.array([1, None] * (n // 2), dtype="Int64"),
        }
    )


def _both(tables: dict[str, pd.DataFrame], monkeypatch: pytest.MonkeyPatch) -> tuple[bytes, bytes]:
    """The workbook from xlsxwriter (the writer before issue 15) and from the direct writer."""
    import aegrade.write.streaming as streaming

    fast = io.BytesIO()
    write_xlsx(tables, fast, about={"criteria": "ctcae-v5.0", "=x": "a & b"})
    with monkeypatch.context() as m:
        m.setattr(streaming, "write_workbook", lambda *a, **k: False)
        old = io.BytesIO()
        write_xlsx(tables, old, about={"criteria": "ctcae-v5.0", "=x": "a & b"})
    return old.getvalue(), fast.getvalue()


def _calamine(book: bytes) -> dict[str, list[list[object]]]:
    import python_calamine

    wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(book))
    return {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}


def _openpyxl(book: bytes) -> dict[str, list[list[tuple[object, str, str]]]]:
    wb = openpyxl.load_workbook(io.BytesIO(book))
    return {
        ws.title: [[(c.value, c.data_type, c.number_format) for c in row] for row in ws.iter_rows()]
        for ws in wb.worksheets
    }


def test_xlsx_direct_cells_are_xlsxwriter_cells(monkeypatch: pytest.MonkeyPatch) -> None:
    tables = {"hostile": _hostile(), "kinds": neutralize_formulas(_kinds(), numbers=True)}
    old, new = _both(tables, monkeypatch)
    book = _openpyxl(new)
    assert book == _openpyxl(old)
    assert _calamine(new) == _calamine(old)
    cells = book["hostile"]
    text = [row[0][0] for row in cells[1:]]
    assert text[0] == "=1+1" and text[4] == "a < b & c > d"
    assert text[6] == "bell_x0007_ nul_x0000_ esc_x001B_ vt_x000B_ ff_x000C_"  # as xlsxwriter
    assert text[9] == "_x005F_x0041_ is not A"  # the literal escape kept literal
    assert len(text[14]) == 32_767 and text[15] == "y" * 32_766  # Excel's cell limit
    assert text[13] is None and text[12] == ""
    assert cells[1][2][0] is None and cells[2][2][:2] == ("inf", "s")  # NaN: no cell
    assert cells[4][2][0] == 0.3  # 0.1 + 0.2 written as %.16G, as xlsxwriter and openpyxl do
    assert cells[1][5][2] == "YYYY-MM-DD HH:MM:SS"
    assert [c[0] for c in cells[1][7:8]] == ["RA"] and cells[2][7][:2] == (-2, "n")


def test_xlsx_direct_writes_no_formula_and_keeps_the_frozen_header(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import zipfile

    _, new = _both({"hostile": _hostile()}, monkeypatch)
    with zipfile.ZipFile(io.BytesIO(new)) as z:
        sheets = [z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/")]
    assert len(sheets) == 2 and not any(b"<f>" in s or b"<f " in s for s in sheets)
    assert b"&lt;f&gt;1+1&lt;/f&gt;" in sheets[0]
    book = openpyxl.load_workbook(io.BytesIO(new))
    assert book.sheetnames == ["hostile", "about"]
    assert book["hostile"].freeze_panes == "A2" and book["about"].freeze_panes is None
    assert not book["hostile"]._hyperlinks


def test_xlsx_direct_blocks_give_the_same_cells(monkeypatch: pytest.MonkeyPatch) -> None:
    import aegrade.write.xlsx_fast as xlsx_fast

    tables = {"kinds": neutralize_formulas(_kinds(), numbers=True)}
    whole, blocks = io.BytesIO(), io.BytesIO()
    write_xlsx(tables, whole)
    monkeypatch.setattr(xlsx_fast, "_CHUNK_ROWS", 7)
    write_xlsx(tables, blocks)
    assert _openpyxl(blocks.getvalue()) == _openpyxl(whole.getvalue())


STUDIES = {
    "example study": ("aegrade/examples/blinatumomab_short_course.xlsx", None),
    "site export": ("tests/data/site_export/export.xlsx", "tests/data/site_export/map.toml"),
}


@pytest.mark.parametrize("study", STUDIES)
def test_xlsx_graded_study_cells_are_xlsxwriter_cells(
    study: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import aegrade

    root = Path(aegrade.__file__).parents[1]
    path, cmap = STUDIES[study]
    loaded = aegrade.load_study(root / path, column_map=root / cmap if cmap else None)
    result = aegrade.grade(loaded, errors="coerce")
    tables = {n: neutralize_formulas(f, numbers=True) for n, f in result.tables().items()}
    tables |= {n: neutralize_formulas(f, numbers=True) for n, f in result.extras.items()}
    tables["issues"] = neutralize_formulas(result.issues, numbers=True)
    old, new = _both(tables, monkeypatch)
    cells = _openpyxl(new)  # each workbook read once: reading it is most of this test's time
    assert cells == _openpyxl(old)
    assert _calamine(new) == _calamine(old)
    assert sum(len(rows) for rows in cells.values()) > 100


def test_xlsx_infinity_among_words_is_text() -> None:
    # xlsxwriter raised TypeError here (write_number of inf); a numeric column wrote "inf"
    book = io.BytesIO()
    write_xlsx({"t": pd.DataFrame({"mixed": ["RA", np.inf, -np.inf, 2]})}, book)
    ws = openpyxl.load_workbook(book)["t"]
    assert [(c.value, c.data_type) for c in ws["A"][1:]] == [
        ("RA", "s"),
        ("inf", "s"),
        ("-inf", "s"),
        (2, "n"),
    ]


def test_xlsx_column_of_another_kind_is_left_to_xlsxwriter() -> None:
    book = io.BytesIO()
    frame = pd.DataFrame({"gap": pd.to_timedelta([1, 2], unit="D"), "term": ["a", "b"]})
    write_xlsx({"t": frame}, book)
    ws = openpyxl.load_workbook(book)["t"]
    assert [c.value for c in ws["B"]] == ["term", "a", "b"]
    assert ws["A2"].value is not None


@pytest.mark.parametrize("name", ["a/b", "x" * 3 + "[1]", "'quoted'"])
def test_xlsx_bad_sheet_name_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="sheet name"):
        write_xlsx({name: pd.DataFrame({"a": [1]})}, io.BytesIO())


def test_xlsx_opens_in_libreoffice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil
    import subprocess

    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    frame = _hostile().drop(columns=["zoned"])
    frame["text"] = frame["text"].str.slice(0, 200)
    old, new = _both({"hostile": frame}, monkeypatch)
    (tmp_path / "old.xlsx").write_bytes(old)
    (tmp_path / "new.xlsx").write_bytes(new)
    subprocess.run(
        [
            soffice,
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--convert-to",
            "csv",
            "--outdir",
            str(tmp_path),
            str(tmp_path / "old.xlsx"),
            str(tmp_path / "new.xlsx"),
        ],
        check=False,
        capture_output=True,
        timeout=300,
    )
    if not (tmp_path / "old.csv").exists():
        pytest.skip("this LibreOffice cannot convert xlsx (Calc is not installed)")
    text = (tmp_path / "new.csv").read_bytes()
    assert text == (tmp_path / "old.csv").read_bytes()
    assert b"a < b & c > d" in text and b"2024-01-01 10:00:00" in text


def test_csv_of_repeated_values_across_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import aegrade.write.streaming as streaming

    monkeypatch.setattr(streaming, "_CHUNK_ROWS", 1000)  # the one quoted str cell: last chunk
    frame = neutralize_formulas(_repeated())
    frame.to_csv(tmp_path / "pandas.csv", index=False)
    write_csv(frame, tmp_path / "fast.csv")
    assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()
    day = frame["day"].to_numpy(np.float64)
    words, codes = streaming._floats(day, np.isnan(day))
    assert codes is not None and len(words) == 6  # spelt once per distinct value (NaN: -1)
    signed = frame["signed"].to_numpy(np.float64)
    assert streaming._floats(signed, np.isnan(signed))[1] is None  # -0.0: cell by cell
    assert "-0.0" in (tmp_path / "fast.csv").read_text()


def test_neutralised_arrow_text_is_the_cell_rule() -> None:
    from aegrade.write.neutralize import neutralize

    cells = ["ok", None, "=1+1", "-2", "\tx", "é=", "", "@a", "+3"]
    for start in range(len(cells)):  # a slice starts inside the Arrow buffers
        s = pd.Series(cells, dtype="string").iloc[start:]
        got = neutralize_formulas(pd.DataFrame({"t": s, "n": 1}))["t"].tolist()
        want = [None if c is None else neutralize(c) for c in cells[start:]]
        assert [None if v is pd.NA else v for v in got] == want


class _Recorder:
    """A file that records each block written and the thread that wrote it, and fails the
    ``fail_at``-th write (counting from 0) with a full disk, once."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.blocks: list[bytes] = []
        self.threads: list[str] = []
        self.fail_at = fail_at
        self.calls = 0

    def write(self, block: bytes | memoryview) -> int:
        import errno
        import threading

        self.calls += 1
        if self.calls - 1 == self.fail_at:  # once: a later block would be written
            raise OSError(errno.ENOSPC, "No space left on device")
        self.blocks.append(bytes(block))
        self.threads.append(threading.current_thread().name)
        return len(block)


def test_csv_blocks_are_written_in_order_beside_the_next_ones() -> None:
    import aegrade.write.streaming as streaming

    out = _Recorder()
    with streaming._Writes(out, ahead=True) as writes:  # type: ignore[arg-type]
        for i in range(9):
            writes.put(f"block {i}\n".encode())
            assert len(writes._pending) <= streaming._WRITES_AHEAD  # bounded memory
    assert out.blocks == [f"block {i}\n".encode() for i in range(9)]
    assert {name.split("_")[0] for name in out.threads} == {"aegrade-csv"}


def test_one_block_is_written_on_the_callers_thread() -> None:
    import threading

    import aegrade.write.streaming as streaming

    out = _Recorder()
    with streaming._Writes(out, ahead=False) as writes:  # type: ignore[arg-type]
        writes.put(b"a,b\n")
    assert out.threads == [threading.current_thread().name]


@pytest.mark.parametrize("fail_at", [0, 1, 5, 8])
def test_a_failed_csv_write_is_raised(fail_at: int) -> None:
    import aegrade.write.streaming as streaming

    out = _Recorder(fail_at)
    writes = streaming._Writes(out, ahead=True)  # type: ignore[arg-type]
    with pytest.raises(OSError, match="No space left"), writes:  # by a put or on leaving
        for i in range(9):
            writes.put(f"block {i}\n".encode())
    assert out.blocks == [f"block {i}\n".encode() for i in range(fail_at)]


def test_the_callers_error_goes_on_after_the_writes_ended() -> None:
    import aegrade.write.streaming as streaming

    out = _Recorder(fail_at=1)
    writes = streaming._Writes(out, ahead=True)  # type: ignore[arg-type]
    with pytest.raises(KeyError), writes:
        writes.put(b"one\n")
        writes.put(b"two\n")  # fails on the writer's thread
        raise KeyError("made while writing")
    assert out.blocks == [b"one\n"]


def test_csv_on_a_full_disk_is_an_os_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import aegrade.write.streaming as streaming

    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    monkeypatch.setattr(streaming, "_CHUNK_ROWS", 7)
    with pytest.raises(OSError) as failed:
        write_csv(_kinds(), "/dev/full")
    assert failed.value.errno == 28  # ENOSPC


def test_csv_of_many_blocks_is_pandas_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import aegrade.write.streaming as streaming

    monkeypatch.setattr(streaming, "_CHUNK_ROWS", 3)
    frame = pd.concat([_kinds()] * 40, ignore_index=True)
    frame.to_csv(tmp_path / "pandas.csv", index=False)
    write_csv(frame, tmp_path / "fast.csv")
    assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()
