"""Hostile and careless inputs through ``aegrade grade`` (issue 11): exit 1 with a message
naming the place, no traceback, no output left behind, the input's bytes unchanged; usage
errors exit 2; ``--debug`` shows the trace; OS failures are one line."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import click
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from aegrade.cli import main
from aegrade.cli._common import reports_errors

pytestmark = pytest.mark.cli

HEADER = "subject_id,day,parameter,value,unit\n"
ROW = "S1,0,HGB,120,g/L\n"


def _text(body: str | bytes, name: str = "obs.csv") -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(body.encode() if isinstance(body, str) else body)
        return path

    return make


def _sheet(
    rows: list[list[object]], *, merge: str | None = None, state: str | None = None
) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "observations"
        for r in rows:
            ws.append(r)
        if merge:
            ws.merge_cells(merge)
        if state:
            ws.sheet_state = state
            wb.create_sheet("notes")
        path = folder / "study.xlsx"
        wb.save(path)
        return path

    return make


def _zipped(change: Callable[[str, bytes], bytes]) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        buf = io.BytesIO()
        pd.DataFrame(
            {
                "subject_id": ["S1"],
                "day": [0],
                "parameter": ["HGB"],
                "value": [120],
                "unit": ["g/L"],
            }
        ).to_excel(buf, sheet_name="observations", index=False)
        src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as dst:
            for info in src.infolist():
                dst.writestr(info.filename, change(info.filename, src.read(info)))
        path = folder / "study.xlsx"
        path.write_bytes(out.getvalue())
        return path

    return make


def _sheet_xml(edit: Callable[[bytes], bytes]) -> Callable[[str, bytes], bytes]:
    return lambda name, body: edit(body) if name == "xl/worksheets/sheet1.xml" else body


OBS_HEAD = ["subject_id", "day", "parameter", "value", "unit"]
DTD = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>'

#: (id, builder, pattern the report must show)
CASES: list[tuple[str, Callable[[Path], Path], str]] = [
    ("empty csv", _text(""), r"obs\.csv: the file is empty"),
    ("bom only", _text(b"\xef\xbb\xbf"), r"the file is empty"),
    ("blank lines", _text("\n\n \n"), r"the file is empty"),
    ("nul bytes", _text(b"a,b\x00\n1,2\n"), r"NUL bytes"),
    ("zip named csv", _text(b"PK\x03\x04" + bytes(64)), r"an Excel workbook"),
    ("other delimiter rows", _text(HEADER + "S1;0;HGB;120;g/L\n"), r"row 2 is separated by ';'"),
    ("tab rows", _text(HEADER + ROW + "S1\t7\tHGB\t95\tg/L\n"), r"row 3 is separated by tab"),
    ("ragged row", _text(HEADER + ROW + "S1,7,HGB,9,5,g/L\n"), r"row 3 has 6 cells"),
    ("trailing cells", _text(HEADER + ROW + "S1,7,HGB,95,g/L,,\n"), r"row 3 has 7 cells"),
    ("header twice", _text("subject_id,subject_id\nS1,S2\n"), r"header 'subject_id' appears twice"),
    ("blank header", _text("subject_id,,value\nS1,2,3\n"), r"column B has values but no header"),
    ("case twin header", _text("Day,day\n1,2\n"), r"appears twice"),
    ("no observations columns", _text("foo,bar\n1,2\n"), r"obs\.csv"),
    (
        "dtd in workbook.xml",
        _zipped(lambda n, b: DTD + b if n == "xl/workbook.xml" else b),
        r"workbook\.xml declares a DTD",
    ),
    ("unterminated quote", _text('a,b\n"x,1\n'), r"obs\.csv"),
    ("binary junk csv", _text(bytes(range(1, 256)) * 8), r"obs\.csv"),
    ("unknown suffix", _text("x", "obs.docx"), r"cannot read \.docx files"),
    ("no suffix", _text("x", "obs"), r"cannot read extension-less files"),
    ("junk parquet", _text(b"PAR1xxxxPAR1", "obs.parquet"), r"not a readable Parquet file"),
    ("junk xpt", _text(b"HEADER RECORD", "obs.xpt"), r"not a readable SAS transport"),
    ("text named xlsx", _text(HEADER + ROW, "obs.xlsx"), r"this is a text file"),
    ("empty xlsx", _text(b"", "obs.xlsx"), r"the file is empty"),
    (
        "encrypted xlsx",
        _text(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "o.xlsx"),
        r"encrypted \(password-protected\)",
    ),
    (
        "truncated xlsx",
        _text(b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(40), "o.xlsx"),
        r"not a readable xlsx workbook",
    ),
    ("dtd in sheet", _zipped(_sheet_xml(lambda b: DTD + b)), r"declares a DTD or XML entities"),
    (
        "dtd in utf16 sheet",
        _zipped(_sheet_xml(lambda b: (DTD.decode() + b.decode()).encode("utf-16"))),
        r"sheet1\.xml declares a DTD",
    ),
    (
        "dtd in styles",
        _zipped(lambda n, b: DTD + b if n == "xl/styles.xml" else b),
        r"styles\.xml declares a DTD",
    ),
    (
        "utf-7 part",
        _zipped(_sheet_xml(lambda b: b'<?xml version="1.0" encoding="utf-7"?>' + b)),
        r"declares the encoding 'utf-7'",
    ),
    (
        "formula cell",
        _sheet([OBS_HEAD, ["S1", 0, "HGB", "=100+20", "g/L"]]),
        r"cell D2 holds a formula",
    ),
    (
        "merged values",
        _sheet(
            [OBS_HEAD, ["S1", 0, "HGB", 120, "g/L"], ["S1", 7, "HGB", None, "g/L"]], merge="D2:D3"
        ),
        r"cells D2:D3 are merged",
    ),
    (
        "merged row",
        _sheet([OBS_HEAD, ["S1", 0, "HGB", 120, "g/L"]], merge="A2:E2"),
        r"cells A2:E2 are merged",
    ),
    (
        "stray far cell",
        _zipped(
            _sheet_xml(
                lambda b: b.replace(
                    b"</sheetData>",
                    b'<row r="1048576"><c r="XFD1048576" t="n"><v>1</v></c></row></sheetData>',
                )
            )
        ),
        r"reaches cell XFD1048576",
    ),
    (
        "only a hidden sheet",
        _sheet([OBS_HEAD, ["S1", 0, "HGB", 120, "g/L"]], state="hidden"),
        r"hidden sheet .observations. not read.*sheet notes",
    ),
    ("day inf", _text(HEADER + "S1,inf,HGB,120,g/L\n"), r"row 2"),
    ("value 1e400", _text(HEADER + "S1,0,HGB,1e400,g/L\n"), r"row 2"),
    ("unknown unit", _text(HEADER + "S1,0,HGB,120,furlongs\n"), r"row 2.*furlongs"),
    ("negative count", _text(HEADER + "S1,0,PLT,-5,10^9/L\n"), r"row 2"),
    ("blank subject", _text(HEADER + ",0,HGB,120,g/L\n"), r"row 2"),
    ("formula text value", _text(HEADER + "S1,0,HGB,=1+1,g/L\n"), r"row 2"),
]


@pytest.mark.parametrize(("builder", "pattern"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_hostile_input_fails_cleanly(
    builder: Callable[[Path], Path], pattern: str, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    src = builder(folder)
    before = src.read_bytes()
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["grade", str(src), "-o", str(out)])
    assert res.exit_code == 1, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert "Traceback" not in res.output
    assert re.search(pattern, res.output, re.DOTALL), res.output
    assert src.name in res.output
    assert not out.exists()
    assert src.read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == [src.name]  # nothing written beside it


def test_there_are_at_least_forty_cases() -> None:
    assert len(CASES) >= 39  # and the usage, notice, debug and OS cases below


def test_hidden_sheet_notice_on_the_command_line(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "observations"
    ws.append(OBS_HEAD)
    ws.append(["S1", 0, "HGB", 120, "g/L"])
    wb.create_sheet("old labs").sheet_state = "veryHidden"
    wb.save(tmp_path / "s.xlsx")
    res = CliRunner().invoke(main, ["grade", str(tmp_path / "s.xlsx"), "-o", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert "notice: s.xlsx: hidden sheet 'old labs' not read" in res.stderr


def test_debug_shows_the_trace(tmp_path: Path) -> None:
    src = _text(HEADER + "S1;0;HGB;120;g/L\n")(tmp_path)
    res = CliRunner().invoke(main, ["--debug", "grade", str(src), "-o", str(tmp_path / "o")])
    assert res.exit_code == 1
    assert type(res.exception).__name__ == "InputError"  # raised, so Python prints the trace


@pytest.mark.parametrize(
    "args",
    [["grade", "--no-such-option"], ["grade", "x.csv", "--format", "pdf"], ["nosuchcommand"]],
)
def test_usage_errors_exit_2(args: list[str], tmp_path: Path) -> None:
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output


def test_a_defect_is_one_line_without_debug() -> None:
    @click.group()
    @click.option("--debug", is_flag=True)
    @click.pass_context
    def group(ctx: click.Context, debug: bool) -> None:
        ctx.obj = {"debug": debug}

    @group.command()
    @reports_errors
    def boom() -> None:
        raise KeyError("surprise")

    res = CliRunner().invoke(group, ["boom"])
    assert res.exit_code == 1
    assert res.output == (
        "error: unexpected KeyError: 'surprise' (run `aegrade --debug ...` for the trace and "
        "report it)\n"
    )
    assert isinstance(CliRunner().invoke(group, ["--debug", "boom"]).exception, KeyError)


_DISK_FULL = """
import errno, zipfile, click
from aegrade.cli._common import reports_errors

class Full:
    def write(self, b):
        raise OSError(errno.ENOSPC, "No space left on device", "/full/out.xlsx")
    def tell(self):
        return 0
    def flush(self):
        pass

@click.command()
@reports_errors
def run():
    book = zipfile.ZipFile(Full(), "w")
    book.writestr("a.xml", b"x" * 100)

@click.group()
def grp():
    pass

grp.add_command(run)
grp(["run"], obj={})
"""


def test_disk_full_is_one_line_without_finaliser_noise(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _DISK_FULL],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[2],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr == "error: No space left on device: /full/out.xlsx\n"


def test_output_is_a_folder_where_a_file_is_wanted(tmp_path: Path) -> None:
    src = _text(HEADER + ROW)(tmp_path)
    (tmp_path / "out.csv").mkdir()
    res = CliRunner().invoke(main, ["grade", str(src), "-o", str(tmp_path / "out.csv")])
    assert res.exit_code in (1, 2), res.output
    assert "Traceback" not in res.output
    assert (tmp_path / "out.csv").is_dir()
