"""Hostile and careless input files through the library (issue 11): each case raises an
InputError naming the file (and sheet, row, column where there is one), reads nothing it
should not, and leaves the input's bytes unchanged."""

from __future__ import annotations

import codecs
import io
import re
import struct
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from aegrade.errors import InputError, Reason
from aegrade.read.files import InputNotice, Workbook, read_csv, read_file
from aegrade.read.study import load_study

OBS = {
    "subject_id": ["S1", "S1", "S2"],
    "day": [0, 7, 0],
    "parameter": ["HGB", "HGB", "HGB"],
    "value": [120, 95, 130],
    "unit": ["g/L", "g/L", "g/L"],
}


def _book(path: Path, sheets: dict[str, pd.DataFrame] | None = None) -> Path:
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        for name, frame in (sheets or {"observations": pd.DataFrame(OBS)}).items():
            frame.to_excel(xw, sheet_name=name, index=False)
    return path


def _rezip(path: Path, change: Callable[[str, bytes], tuple[str, bytes] | None]) -> Path:
    """Rewrite a workbook part by part: ``change(name, body)`` gives the new name and body
    (None drops the part)."""
    src = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            new = change(info.filename, src.read(info))
            if new is not None:
                dst.writestr(new[0], new[1])
    path.write_bytes(out.getvalue())
    return path


def _raises(path: Path, pattern: str, call: Callable[[Path], object] = load_study) -> InputError:
    before = path.read_bytes() if path.is_file() else None
    with pytest.raises(InputError) as info:
        call(path)
    report = info.value.report()
    assert re.search(pattern, report), report
    assert str(path) in report or path.name in report
    if before is not None:
        assert path.read_bytes() == before
    return info.value


# --------------------------------------------------------------------------- xlsx: sizes


def _claim_size(data: bytes, part: str, size: int) -> bytes:
    """The zip's central directory edited to say ``part`` uncompresses to ``size`` bytes."""
    raw = bytearray(data)
    at = raw.find(b"PK\x01\x02")
    while at >= 0:
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", raw, at + 28)
        name = bytes(raw[at + 46 : at + 46 + name_len]).decode()
        if name == part:
            struct.pack_into("<I", raw, at + 24, size)
        at = raw.find(b"PK\x01\x02", at + 46 + name_len + extra_len + comment_len)
    return bytes(raw)


def test_sheet_part_inflating_past_the_bound_is_refused_from_the_directory(
    tmp_path: Path,
) -> None:
    path = _book(tmp_path / "bomb.xlsx")
    path.write_bytes(_claim_size(path.read_bytes(), "xl/worksheets/sheet1.xml", 966_000_000))
    err = _raises(path, r"xl/worksheets/sheet1\.xml uncompresses to 966,000,000 bytes")
    assert "536,870,912" in err.report()  # the default bound, named


def test_part_bound_is_an_option(tmp_path: Path) -> None:
    path = _book(tmp_path / "big.xlsx", {"observations": pd.DataFrame({"a": range(2000)})})
    assert Workbook(path).sheet_names == ["observations"]
    _raises(
        path, r"sheet1\.xml uncompresses to [\d,]+ bytes", lambda p: Workbook(p, max_part=20_000)
    )


def test_directory_lying_about_a_size_is_caught_while_inflating(tmp_path: Path) -> None:
    path = _book(tmp_path / "liar.xlsx", {"observations": pd.DataFrame({"a": range(2000)})})
    path.write_bytes(_claim_size(path.read_bytes(), "xl/worksheets/sheet1.xml", 100))
    # zipfile itself notices the size mismatch or the streamed count passes the bound
    _raises(path, r"sheet1\.xml|damaged", lambda p: Workbook(p, max_part=20_000))


# --------------------------------------------------------------------------- xlsx: XML


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-32", "utf-8"])
def test_dtd_in_shared_strings_in_any_encoding_is_refused(tmp_path: Path, codec: str) -> None:
    xml = (
        f'<?xml version="1.0" encoding="{codec.split("-le")[0]}"?>'
        '<!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa">]>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&a;</t>'
        "</si></sst>"
    )
    body = xml.encode(codec)
    if codec == "utf-16-le":  # no byte-order mark: the bytes '<\0?\0' tell
        assert not body.startswith(codecs.BOM_UTF16_LE)
    path = _book(tmp_path / "dtd.xlsx")
    with zipfile.ZipFile(path, "a") as zf:  # pandas writes inline strings: add the part
        zf.writestr("xl/sharedStrings.xml", body)
    _raises(path, r"sharedStrings\.xml declares a DTD or XML entities")


def test_part_in_an_unsupported_encoding_is_refused(tmp_path: Path) -> None:
    path = _rezip(
        _book(tmp_path / "utf7.xlsx"),
        lambda n, b: (
            (n, b'<?xml version="1.0" encoding="UTF-7"?>' + b)
            if n == "xl/worksheets/sheet1.xml"
            else (n, b)
        ),
    )
    _raises(path, r"declares the encoding 'UTF-7'")


def _with_formula(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "observations"
    ws.append(list(OBS))
    ws.append(["S1", 0, "HGB", "=70+0", "g/L"])
    wb.save(path)
    return path


def test_formula_in_a_sheet_part_with_an_odd_name_is_refused(tmp_path: Path) -> None:
    odd = "xl/data/values.xml"

    def rename(name: str, body: bytes) -> tuple[str, bytes]:
        if name == "xl/worksheets/sheet1.xml":
            return odd, body
        if name == "xl/_rels/workbook.xml.rels":
            return name, body.replace(b"worksheets/sheet1.xml", b"data/values.xml")
        if name == "[Content_Types].xml":
            return name, body.replace(b"/xl/worksheets/sheet1.xml", b"/" + odd.encode())
        return name, body

    path = _rezip(_with_formula(tmp_path / "odd.xlsx"), rename)
    err = _raises(path, r"cell D2 holds a formula \(=70\+0\)")
    assert err.failures["check"].tolist() == [Reason.FORMULA_CELL.value]
    assert err.failures["sheet"].tolist() == ["observations"]


def test_formula_in_a_part_named_by_an_absolute_target_is_refused(tmp_path: Path) -> None:
    path = _rezip(
        _with_formula(tmp_path / "abs.xlsx"),
        lambda n, b: (
            (n, b.replace(b'Target="worksheets/', b'Target="/xl/worksheets/'))
            if n == "xl/_rels/workbook.xml.rels"
            else (n, b)
        ),
    )
    _raises(path, r"cell D2 holds a formula")


def test_two_parts_with_one_name_are_refused(tmp_path: Path) -> None:
    path = _book(tmp_path / "twice.xlsx")
    with zipfile.ZipFile(path, "a") as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
        zf.writestr("xl/worksheets/sheet1.xml", b"<worksheet/>")
    _raises(path, r"two parts named xl/worksheets/sheet1\.xml")


# --------------------------------------------------------------------------- xlsx: not one


def test_truncated_workbook_names_the_file(tmp_path: Path) -> None:
    path = _book(tmp_path / "cut.xlsx")
    path.write_bytes(path.read_bytes()[:900])
    _raises(path, r"not a readable xlsx workbook")


def test_encrypted_workbook_says_so(tmp_path: Path) -> None:
    path = tmp_path / "locked.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000))
    _raises(path, r"encrypted \(password-protected\) workbook or an old \.xls")


def test_text_named_xlsx_says_so(tmp_path: Path) -> None:
    path = tmp_path / "labs.xlsx"
    path.write_text("subject_id,day\nS1,0\n")
    _raises(path, r"this is a text file; give it a \.csv")


def test_empty_xlsx_is_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    err = _raises(path, r"the file is empty")
    assert err.error_counts == {"empty_file": 1}


def test_binary_junk_named_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "junk.xlsx"
    path.write_bytes(bytes(range(256)) * 4)
    _raises(path, r"not a readable xlsx workbook")


# --------------------------------------------------------------------------- xlsx: sheets


def _hidden(path: Path, state: str) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "observations"
    ws.append(list(OBS))
    ws.append(["S1", 0, "HGB", 120, "g/L"])
    secret = wb.create_sheet("events")
    secret.append(["subject_id", "term", "grade", "onset_day"])
    secret.append(["S1", "Pyrexia", 2, 1])
    secret.sheet_state = state
    wb.save(path)
    return path


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_hidden_sheet_is_named_in_a_notice_and_not_read(tmp_path: Path, state: str) -> None:
    path = _hidden(tmp_path / "h.xlsx", state)
    with pytest.warns(InputNotice, match=r"h\.xlsx: hidden sheet 'events' not read"):
        study = load_study(path)
    assert study.events is None
    assert len(study.observations.frame) == 1


def test_hidden_sheet_is_read_when_the_map_names_it(tmp_path: Path) -> None:
    path = _hidden(tmp_path / "h.xlsx", "veryHidden")
    with warnings.catch_warnings():
        warnings.simplefilter("error", InputNotice)  # no notice: it is read as asked
        study = load_study(path, column_map={"sheets": {"events": "events"}})
    assert study.events is not None
    assert study.events.frame["term"].tolist() == ["Pyrexia"]


def test_hidden_sheet_is_skipped_by_read_file(tmp_path: Path) -> None:
    path = _hidden(tmp_path / "h.xlsx", "hidden")
    with pytest.warns(InputNotice):
        sheets = read_file(path)
    assert [s.sheet for s in sheets] == ["observations"]


def test_sheets_folding_to_one_name_are_refused(tmp_path: Path) -> None:
    frame = pd.DataFrame(OBS)
    path = _book(tmp_path / "twins.xlsx", {"observations": frame, "Observations ": frame})
    _raises(path, r"sheets 'observations' and 'Observations ' differ only in case or blanks")


def test_map_naming_a_missing_sheet_lists_the_sheets(tmp_path: Path) -> None:
    path = _book(tmp_path / "s.xlsx", {"Labs": pd.DataFrame(OBS)})
    err = _raises(
        path,
        r"names sheet 'lab results', which s\.xlsx does not have; it has: 'Labs'",
        lambda p: load_study(p, column_map={"sheets": {"Lab results": "observations"}}),
    )
    assert err.error_counts == {"bad_column_map": 1}


def test_map_naming_a_missing_file_in_a_folder_lists_the_files(tmp_path: Path) -> None:
    pd.DataFrame(OBS).to_csv(tmp_path / "observations.csv", index=False)
    _raises(
        tmp_path,
        r"names sheet 'patients', .* it has: 'observations'",
        lambda p: load_study(p, column_map={"sheets": {"Patients": "subjects"}}),
    )


def test_map_naming_a_missing_column_lists_the_headers(tmp_path: Path) -> None:
    path = tmp_path / "obs.csv"
    pd.DataFrame(OBS).rename(columns={"value": "Result"}).to_csv(path, index=False)
    err = _raises(
        path,
        r"names column 'resutl' \(for value\), which no table has; the headers are: .*'Result'.*"
        r"did you mean 'Result'",
        lambda p: load_study(p, column_map={"columns": {"Resutl": "value"}}),
    )
    assert err.failures["column"].tolist() == ["resutl"]


def test_map_naming_headers_of_another_layout_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "obs.csv"
    pd.DataFrame(OBS).rename(columns={"value": "Result"}).to_csv(path, index=False)
    cmap = {"columns": {"Result": "value", "Low": "lln", "Patient": "subject_id"}}
    with pytest.warns(InputNotice, match="'low' \\(for lln\\), 'patient' \\(for subject_id\\)"):
        study = load_study(path, column_map=cmap)
    assert study.observations.frame["value"].tolist() == [120, 95, 130]


def test_map_headers_no_table_has_are_named_in_one_notice(tmp_path: Path) -> None:
    path = tmp_path / "obs.csv"
    pd.DataFrame(OBS).rename(columns={"value": "Result", "unit": "Units"}).to_csv(path, index=False)
    cmap = {"columns": {"Result": "value", "Unit": "unit", "Reference Low": "lln"}}
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        load_study(path, column_map=cmap)
    notices = [str(w.message) for w in seen if issubclass(w.category, InputNotice)]
    assert notices == [
        "the column map names headers that no table has, ignored: "
        "'unit' (for unit; did you mean 'Units'?), 'reference low' (for lln)"
    ]
    with warnings.catch_warnings(record=True) as seen:  # every header found: no notice
        warnings.simplefilter("always")
        load_study(path, column_map={"columns": {"Result": "value", "Units": "unit"}})
    assert not [w for w in seen if issubclass(w.category, InputNotice)]


# --------------------------------------------------------------------------- xlsx: merged


def _merged(path: Path, ref: str, title: bool = False) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "observations"
    if title:
        ws.append(["Study X labs"])
        ws.merge_cells("A1:E1")
    ws.append(list(OBS))
    for day, value in ((0, 120), (7, 95), (14, 60)):
        ws.append(["S1" if day == 0 else None, day, "HGB", value, "g/L"])
    ws.merge_cells(ref)
    wb.save(path)
    return path


def test_merged_subject_id_is_read_on_every_row_of_its_block(tmp_path: Path) -> None:
    path = _merged(tmp_path / "m.xlsx", "A2:A4")
    frame = load_study(path).observations.frame
    assert frame["subject_id"].tolist() == ["S1", "S1", "S1"]


def test_merged_subject_id_below_a_merged_title_row(tmp_path: Path) -> None:
    path = _merged(tmp_path / "m.xlsx", "A3:A5", title=True)
    study = load_study(path)
    assert study.observations.frame["subject_id"].tolist() == ["S1", "S1", "S1"]
    assert study.observations.rows.tolist() == [3, 4, 5]


def test_merged_subject_id_through_a_mapped_header(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "observations"
    ws.append(["Patient No", "day", "parameter", "value", "unit"])
    ws.append(["P7", 0, "HGB", 120, "g/L"])
    ws.append([None, 7, "HGB", 95, "g/L"])
    ws.merge_cells("A2:A3")
    wb.save(tmp_path / "m.xlsx")
    study = load_study(tmp_path / "m.xlsx", column_map={"columns": {"Patient No": "subject_id"}})
    assert study.observations.frame["subject_id"].tolist() == ["P7", "P7"]


@pytest.mark.parametrize("ref", ["D2:D3", "B3:C3"])
def test_other_merged_cells_are_refused_with_the_range(tmp_path: Path, ref: str) -> None:
    path = _merged(tmp_path / "m.xlsx", ref)
    err = _raises(path, rf"cells {ref} are merged")
    assert err.failures["sheet"].tolist() == ["observations"]
    assert err.failures["row"].tolist() == [int(ref[1])]


# --------------------------------------------------------------------------- csv


def _csv(tmp_path: Path, text: str | bytes, name: str = "obs.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def test_rows_in_another_delimiter_name_the_row(tmp_path: Path) -> None:
    path = _csv(tmp_path, "subject_id,day,parameter,value,unit\nS1;0;HGB;120;g/L\n")
    err = _raises(path, r"row 2 is separated by ';' but the header by ','")
    assert err.failures["row"].tolist() == [2]


def test_a_later_row_in_another_delimiter_is_named(tmp_path: Path) -> None:
    text = "subject_id;day;parameter;value;unit\nS1;0;HGB;120;g/L\nS1\t7\tHGB\t95\tg/L\n"
    _raises(_csv(tmp_path, text), r"row 3 is separated by tab but the header by ';'")


def test_ragged_row_names_the_row(tmp_path: Path) -> None:
    path = _csv(
        tmp_path, "subject_id,day,parameter,value,unit\nS1,0,HGB,120,g/L\nS1,7,HGB,9,5,g/L\n"
    )
    err = _raises(path, r"row 3 has 6 cells, the header 5", read_csv)
    assert err.failures["row"].tolist() == [3]


def test_semicolons_inside_a_comma_file_are_not_a_delimiter_problem(tmp_path: Path) -> None:
    path = _csv(tmp_path, "subject_id,note\nS1,a;b\nS2,\n")
    assert read_csv(path).frame["note"].tolist()[0] == "a;b"


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        (b"", r"the file is empty"),
        (b"\xef\xbb\xbf", r"the file is empty"),
        (b"   \n\n  \n", r"the file is empty"),
        (b"subject_id,day\x00,value\nS1,0,1\n", r"not text \(it holds NUL bytes\)"),
        (b"PK\x03\x04" + bytes(100), r"an Excel workbook \(or another zip archive\)"),
        (b'a,b\n"unterminated,1\n', r"obs\.csv"),
        (b"a,a\n1,2\n", r"header 'a' appears twice"),
        (b"a,,c\n1,2,3\n", r"column B has values but no header"),
    ],
)
def test_careless_text_files(tmp_path: Path, text: bytes, pattern: str) -> None:
    _raises(_csv(tmp_path, text), pattern, read_csv)


def test_utf16_without_bom_is_read(tmp_path: Path) -> None:
    path = _csv(tmp_path, "subject_id,value\nS1,1\n".encode("utf-16-le"))
    assert read_csv(path).frame.to_dict("records") == [{"subject_id": "S1", "value": 1}]


@pytest.mark.parametrize(
    ("name", "data", "pattern"),
    [
        ("obs.parquet", b"PAR1 not really", r"not a readable Parquet file"),
        ("obs.xpt", b"HEADER RECORD*******", r"not a readable SAS transport"),
        ("obs.docx", b"whatever", r"cannot read \.docx files"),
        ("obs", b"whatever", r"cannot read extension-less files"),
    ],
)
def test_other_formats_and_suffixes(tmp_path: Path, name: str, data: bytes, pattern: str) -> None:
    _raises(_csv(tmp_path, data, name), pattern)


def test_a_folder_named_like_a_csv_is_an_input_error(tmp_path: Path) -> None:
    folder = tmp_path / "obs.csv"
    folder.mkdir()
    _raises(folder, r"cannot open the file", read_csv)


def test_missing_path_is_named(tmp_path: Path) -> None:
    err = _raises(tmp_path / "nope.xlsx", r"does not exist")
    assert err.error_counts == {"missing_file": 1}


def test_a_folder_workbook_with_every_sheet_hidden(tmp_path: Path) -> None:
    path = _book(
        tmp_path / "observations.xlsx", {"data": pd.DataFrame(OBS), "shown": pd.DataFrame()}
    )
    _rezip(  # Excel would not save this; a script can
        path,
        lambda n, b: (
            (n, b.replace(b'state="visible"', b'state="hidden"'))
            if n == "xl/workbook.xml"
            else (n, b)
        ),
    )
    with pytest.warns(InputNotice, match="hidden sheets 'data', 'shown' not read"):
        _raises(path, r"no visible sheet", lambda p: load_study(p.parent))
