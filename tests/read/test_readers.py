"""Readers: encodings, delimiters, header rows, row labels, xlsx safety, Excel dates."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import aegrade
from aegrade.errors import InputError
from aegrade.read.files import Workbook, column_letter, detect_delimiter, detect_encoding, read_csv
from aegrade.read.study import load_study

ROWS = (
    "subject_id{s}day{s}parameter{s}value{s}unit\nS1{s}0{s}NEUT{s}2.5{s}10^9/L\n"
    "S1{s}3{s}TEMP{s}38.6{s}°C\n"
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"])
@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_csv_encodings_and_delimiters(tmp_path: Path, encoding: str, sep: str) -> None:
    path = tmp_path / "obs.csv"
    path.write_bytes(ROWS.format(s=sep).encode(encoding))
    sheet = read_csv(path)
    assert list(sheet.frame.columns) == ["subject_id", "day", "parameter", "value", "unit"]
    assert sheet.frame["unit"].tolist() == ["10^9/L", "°C"]
    assert sheet.frame["value"].astype(float).tolist() == [2.5, 38.6]


def test_detectors() -> None:
    assert detect_encoding("é".encode()) == "utf-8"
    assert detect_encoding("é".encode("cp1252")) == "cp1252"
    assert detect_encoding("ab".encode("utf-16-le")) == "utf-16-le"
    with pytest.raises(ValueError, match="not text"):
        detect_encoding(b"\x00\x01\x02\x03\x04\x05\x00\xff")
    assert detect_delimiter("a;b;c") == ";" and detect_delimiter("abc") == ","
    assert [column_letter(i) for i in (0, 25, 26, 701)] == ["A", "Z", "AA", "ZZ"]


def test_decimal_commas_with_semicolons(tmp_path: Path) -> None:
    path = tmp_path / "obs.csv"
    path.write_text("subject_id;parameter;value;unit\nS1;HGB;11,5;g/dL\nS1;HGB;9,0;g/dL\n")
    assert read_csv(path).frame["value"].tolist() == [11.5, 9.0]


def test_blank_rows_keep_spreadsheet_numbers(tmp_path: Path) -> None:
    path = tmp_path / "obs.csv"
    path.write_text(
        "subject_id,day,parameter,value,unit\nS1,0,NEUT,2.5,10^9/L\n\n , , , ,\nS1,1,TEMP,55,degC\n"
    )
    sheet = read_csv(path)
    assert sheet.rows.tolist() == [2, 5]
    with pytest.raises(InputError) as exc:
        aegrade.grade(path)
    assert exc.value.failures["row"].tolist() == [5]


def test_xlsx_title_rows_and_row_numbers(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "observations"
    ws["A1"] = "Study XYZ labs (exported 2024-05-01)"
    ws.append([])
    ws.append(["subject_id", "day", "parameter", "value", "unit"])
    ws.append(["S1", 0, "NEUT", 2.5, "10^9/L"])
    ws.append([])
    ws.append(["S1", 1, "HGB", "low", "g/dL"])
    wb.save(tmp_path / "t.xlsx")
    study = load_study(tmp_path / "t.xlsx")
    assert study.observations.labels().tolist() == [4, 6]
    with pytest.raises(InputError) as exc:
        aegrade.grade(study)
    f = exc.value.failures.iloc[0]
    assert (f["sheet"], f["row"], f["column"]) == ("observations", 6, "value")


def test_xlsx_dates_and_serials_become_study_days(tmp_path: Path) -> None:
    path = tmp_path / "s.xlsx"
    with pd.ExcelWriter(path) as xw:
        pd.DataFrame({"subject_id": ["S1"], "treatment_start": [45352.0]}).to_excel(
            xw, sheet_name="subjects", index=False
        )  # serial 45352 = 2024-03-01
        pd.DataFrame(
            {
                "subject_id": ["S1", "S1"],
                "time": [pd.Timestamp("2024-03-03 12:00"), 45351.5],
                "parameter": ["TEMP", "TEMP"],
                "value": [38.5, 37.0],
                "unit": ["degC", "degC"],
            }
        ).to_excel(xw, sheet_name="observations", index=False)
    result = aegrade.grade(path)
    # treatment_start is a date (no time of day): calendar days (SPEC section 4)
    assert result.graded_observations["day"].tolist() == [2.0, -1.0]


def test_size_bound_refuses_large_workbooks(tmp_path: Path) -> None:
    path = tmp_path / "w.xlsx"
    pd.DataFrame({"a": range(1000), "b": range(1000)}).to_excel(path, index=False)
    with pytest.raises(InputError, match="uncompresses to more than"):
        Workbook(path, max_uncompressed=10_000)
    assert Workbook(path).sheet_names == ["Sheet1"]


def test_formula_with_cached_value_is_still_refused(tmp_path: Path) -> None:
    path = tmp_path / "f.xlsx"
    pd.DataFrame(
        {"subject_id": ["S1"], "parameter": ["NEUT"], "value": [2.5], "unit": ["10^9/L"]}
    ).to_excel(path, index=False, sheet_name="observations", engine="openpyxl")  # its XML
    with zipfile.ZipFile(path) as src:
        parts = {i.filename: src.read(i) for i in src.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(
        '<c r="C2" t="n"><v>2.5</v>', '<c r="C2"><f>1+1.5</f><v>2.5</v>'
    ).encode()
    assert parts["xl/worksheets/sheet1.xml"] != sheet.encode()
    with zipfile.ZipFile(path, "w") as dst:
        for name, data in parts.items():
            dst.writestr(name, data)
    with pytest.raises(InputError) as exc:
        load_study(path)
    assert exc.value.failures[["row", "column", "check"]].values.tolist() == [
        [2, "value", "formula_cell"]
    ]


def test_folder_prefers_parquet_and_reads_sheet_names_any_case(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"subject_id": ["S1"], "parameter": ["NEUT"], "value": [2.5], "unit": ["10^9/L"]}
    )
    frame.to_parquet(tmp_path / "Observations.parquet")
    frame.assign(value=9.9).to_csv(tmp_path / "observations.csv", index=False)
    obs = load_study(tmp_path).observations
    assert obs.frame["value"].tolist() == [2.5] and np.array_equal(obs.labels(), [2])


def test_a_parquet_column_of_nested_values_is_an_input_error(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "obs.parquet"
    table = pa.table(
        {"subject_id": [{"a": 1}], "day": [1.0], "parameter": ["PLAT"], "value": [40.0]}
    )
    pq.write_table(table, path)
    with pytest.raises(InputError) as err:
        aegrade.load_study(path)
    f = err.value.failures
    assert f[["file", "column", "check"]].values.tolist() == [
        [str(path), "subject_id", "unreadable_file"]
    ]
    assert "nested values (struct<a: int64>)" in f["message"].iloc[0]


def test_a_stray_cell_at_the_far_corner_is_refused_not_allocated(tmp_path: Path) -> None:
    """Data in A1:C3 and one cell at XFD1048576: reading it would allocate 17 billion cells
    (the process aborts); the reader refuses it with the file and the cell named. Read in a
    child process, so that a regression cannot take the test run down with it."""
    import subprocess
    import sys

    path = tmp_path / "stray.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "observations"
    for row in (["subject_id", "day", "value"], ["A", 1, 2.0], ["B", 2, 3.0]):
        ws.append(row)
    ws["XFD1048576"] = "x"
    wb.save(path)
    code = (
        "import sys, aegrade\n"
        "try:\n    aegrade.load_study(sys.argv[1])\n"
        "except aegrade.InputError as e:\n    print(e.report())\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "reaches cell XFD1048576" in proc.stdout
    assert "refusing to read it" in proc.stdout


def test_an_ordinary_workbook_is_not_taken_for_a_stray_cell(tmp_path: Path) -> None:
    path = tmp_path / "wide.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "observations"
    ws.append(["subject_id", "day", "parameter", "value", "unit"])
    for i in range(300):
        ws.append([f"S{i}", 1, "PLAT", 100 + i, "10^9/L"])
    wb.save(path)
    assert len(aegrade.load_study(path).observations.frame) == 300
