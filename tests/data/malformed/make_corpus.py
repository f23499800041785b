"""Write the malformed-input corpus and its manifest (file, expect, note).

Run from the repository root: .venv/bin/python tests/data/malformed/make_corpus.py
Each file must make `aegrade grade FILE` exit 1 with a report containing `expect` (the place:
sheet, row, column or the file-level reason), no traceback, and write nothing.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd

HERE = Path(__file__).parent
HEAD = "subject_id,day,parameter,value,unit,lln,uln\n"
OK1 = "S1,0,NEUT,2.5,10^9/L,1.8,7.5\n"
OK2 = "S1,3,TEMP,38.5,degC,,\n"
MANIFEST: list[tuple[str, str, str]] = []


def text(name: str, body: str | bytes, expect: str, note: str, encoding: str = "utf-8") -> None:
    data = body if isinstance(body, bytes) else body.encode(encoding)
    (HERE / name).write_bytes(data)
    MANIFEST.append((name, expect, note))


def book(name: str, sheets: dict[str, list[dict]], expect: str, note: str) -> None:
    with pd.ExcelWriter(HERE / name, engine="openpyxl") as xw:
        for sheet, rows in sheets.items():
            pd.DataFrame(rows).to_excel(xw, sheet_name=sheet, index=False)
    MANIFEST.append((name, expect, note))


OBS = [
    {
        "subject_id": "S1",
        "day": 0,
        "parameter": "NEUT",
        "value": 2.5,
        "unit": "10^9/L",
        "lln": 1.8,
        "uln": 7.5,
    },
    {"subject_id": "S2", "day": 1, "parameter": "TEMP", "value": 38.2, "unit": "degC"},
]
SUBJ = [
    {"subject_id": "S1", "arm": "A", "age": 40, "treatment_start": "2024-03-01"},
    {"subject_id": "S2", "arm": "A", "age": 50, "treatment_start": "2024-03-02"},
]
EV = [{"subject_id": "S1", "term": "Headache", "grade": 1, "onset": 2, "end": 3}]


def csv_files() -> None:
    text(
        "missing_parameter_column.csv",
        "subject_id,day,value,unit\nS1,0,2.5,10^9/L\n",
        "column parameter",
        "no 'parameter' column",
    )
    text(
        "missing_value_column.csv",
        "subject_id,day,parameter,unit\nS1,0,NEUT,10^9/L\n",
        "column value",
        "no 'value' column",
    )
    text(
        "missing_subject_column.csv",
        "day,parameter,value,unit\n0,NEUT,2.5,10^9/L\n",
        "column subject_id",
        "no 'subject_id' column",
    )
    text(
        "value_not_a_number.csv",
        HEAD + OK1 + "S1,4,HGB,low,g/dL,12,16\n",
        "row 3, column value",
        "HGB value 'low' is not a number (n/a is a no-result word: issue 10)",
    )
    text(
        "value_double_dot.csv",
        HEAD + OK1 + OK2 + "S1,5,PLAT,12..5,10^9/L,150,400\n",
        "row 4, column value",
        "value '12..5' is not a number",
    )
    text(
        "unknown_unit.csv",
        HEAD + OK1 + "S1,5,HGB,9,mg/mL,12,16\n",
        "row 3, column unit",
        "HGB in mg/mL: a unit aegrade cannot convert",
    )
    text(
        "missing_unit.csv",
        HEAD + "S1,0,NEUT,2.5,,1.8,7.5\n",
        "row 2, column unit",
        "NEUT without a unit",
    )
    text(
        "implausible_temperature.csv",
        HEAD + OK1 + "S1,4,TEMP,55,degC,,\n",
        "row 3, column value",
        "TEMP 55 degC is outside 25-45 degC",
    )
    text(
        "implausible_temperature_degF.csv",
        HEAD + "S1,4,TEMP,200,degF,,\n",
        "row 2, column value",
        "TEMP 200 degF = 93 degC",
    )
    text(
        "negative_count.csv",
        HEAD + OK1 + "S1,4,PLAT,-5,10^9/L,150,400\n",
        "row 3, column value",
        "a negative platelet count",
    )
    text(
        "lln_not_a_number.csv",
        HEAD + "S1,0,NEUT,2.5,10^9/L,low,7.5\n",
        "row 2, column lln",
        "lln 'low' is not a number",
    )
    text(
        "day_not_a_number.csv",
        HEAD + OK1 + "S1,tomorrow,NEUT,2.5,10^9/L,1.8,7.5\n",
        "row 3, column day",
        "day 'tomorrow' is not a number",
    )
    text(
        "bad_time.csv",
        "subject_id,time,parameter,value,unit\nS1,2024-13-45,TEMP,38,degC\n",
        "row 2, column time",
        "time '2024-13-45' is not a date",
    )
    text(
        "time_without_start.csv",
        "subject_id,time,parameter,value,unit\nS1,2024-03-01T08:00,TEMP,38,degC\n",
        "row 2, column time",
        "a date-time but no subjects table with treatment_start",
    )
    text("empty.csv", "", "empty", "a 0-byte file")
    text("blank_lines_only.csv", "\n  \n\n", "empty", "only blank lines")
    text("binary_garbage.csv", bytes(range(256)) * 4, "not text", "binary bytes with NULs")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
    text("workbook_named_csv.csv", buf.getvalue(), "Excel workbook", "an xlsx (zip) named .csv")
    text(
        "ragged_row.csv",
        HEAD + OK1 + "S1,3,TEMP,38.5,degC,,,extra,cells\n" + OK2,
        "row 3",
        "row 3 has more cells than the header",
    )
    text(
        "duplicate_header.csv",
        "subject_id,day,parameter,value,unit,value\nS1,0,NEUT,2.5,10^9/L,3\n",
        "row 1, column value",
        "header 'value' twice",
    )
    text(
        "data_without_header.csv",
        "subject_id,day,parameter,value,unit,\nS1,0,NEUT,2.5,10^9/L,oops\n",
        "row 1, column F",
        "column F has data but no header",
    )
    text(
        "cp1252_semicolon_bad_value.csv",
        "subject_id;day;parameter;value;unit\nS1;0;CREAT;88,4;µmol/L\n"
        "S1;1;CREAT;très haut;µmol/L\n",
        "row 3, column value",
        "cp1252, semicolons, decimal commas: read; 'très haut' is not a number",
        encoding="cp1252",
    )
    text(
        "utf16_bad_unit.csv",
        HEAD + "S1,0,NEUT,2.5,furlongs,1.8,7.5\n",
        "row 2, column unit",
        "UTF-16 with BOM: read; unit 'furlongs' unknown",
        encoding="utf-16",
    )
    text(
        "wide_bad_value.csv",
        "subject_id,day,TEMP (degC),NEUT (10^9/L)\nS1,0,37.0,2.5\nS1,1,hot,2.0\n",
        "row 3, column value",
        "wide layout: TEMP cell 'hot'",
    )
    text(
        "wide_unknown_unit.csv",
        "subject_id,day,NEUT (furlongs)\nS1,0,2.5\n",
        "row 2, column unit",
        "wide layout: header unit 'furlongs' unknown",
    )
    text(
        "sdtm_lb_bad_unit.csv",
        "USUBJID,LBTESTCD,LBSTRESN,LBSTRESU,LBSTNRLO,LBSTNRHI,LBDY\n"
        "P1,HGB,130,g/L,120,160,1\nP1,HGB,9,bananas,120,160,8\n",
        "row 3, column unit",
        "SDTM LB: LBSTRESU 'bananas'",
    )
    text(
        "several_problems.csv",
        HEAD + "S1,0,NEUT,x,10^9/L,1.8,7.5\nS1,1,TEMP,60,degC,,\nS1,2,HGB,9,mg/mL,12,16\n",
        "row 4, column unit",
        "three problems in one file, all reported (not a number, implausible, unit)",
    )
    text("unsupported.json", '{"subject_id": "S1"}', "cannot read .json", "not a table format")
    text(
        "garbage.parquet", b"PAR1 this is not parquet", "not a readable Parquet", "damaged parquet"
    )
    text(
        "garbage.xpt",
        b"HEADER RECORD*******LIBRARY but not really",
        "not a readable SAS",
        "damaged SAS transport file",
    )


def xlsx_files() -> None:
    book(
        "duplicate_subjects.xlsx",
        {"subjects": [*SUBJ, SUBJ[0]], "observations": OBS},
        "sheet subjects, row 4, column subject_id",
        "S1 twice in subjects",
    )
    book(
        "subject_bad_age.xlsx",
        {"subjects": [{**SUBJ[0], "age": "old"}, SUBJ[1]], "observations": OBS},
        "sheet subjects, row 2, column age",
        "age 'old'",
    )
    book(
        "bad_treatment_start.xlsx",
        {"subjects": [SUBJ[0], {**SUBJ[1], "treatment_start": "yesterday"}], "observations": OBS},
        "sheet subjects, row 3, column treatment_start",
        "treatment_start 'yesterday'",
    )
    book(
        "unknown_ctcae_term.xlsx",
        {"observations": OBS, "events": [{**EV[0], "term": "Headach"}]},
        "sheet events, row 2, column term",
        "'Headach': unknown, suggests 'Headache'",
    )
    book(
        "invalid_grade_tls.xlsx",
        {"observations": OBS, "events": [{**EV[0], "term": "Tumor lysis syndrome", "grade": 2}]},
        "sheet events, row 2, column grade",
        "Tumor lysis syndrome has no grade 2 in v5.0",
    )
    book(
        "invalid_grade_alopecia.xlsx",
        {"observations": OBS, "events": [EV[0], {**EV[0], "term": "Alopecia", "grade": 3}]},
        "sheet events, row 3, column grade",
        "Alopecia has grades 1-2 only",
    )
    book(
        "grade_not_a_number.xlsx",
        {"observations": OBS, "events": [{**EV[0], "grade": "severe"}]},
        "sheet events, row 2, column grade",
        "grade 'severe'",
    )
    book(
        "events_without_term.xlsx",
        {"observations": OBS, "events": [{"subject_id": "S1", "grade": 1}]},
        "column term",
        "events sheet lacks 'term'",
    )
    book(
        "event_onset_not_a_date.xlsx",
        {"subjects": SUBJ, "observations": OBS, "events": [{**EV[0], "onset": "last week"}]},
        "sheet events, row 2, column onset",
        "onset 'last week'",
    )
    book(
        "empty_observations_sheet.xlsx",
        {"observations": [{}]},
        "sheet observations, column",
        "an observations sheet with nothing in it",
    )
    book(
        "unit_row_wide_implausible.xlsx",
        {
            "observations": [
                {"subject_id": "unit", "day": "", "TEMP": "degC", "NEUT": "10^9/L"},
                {"subject_id": "S1", "day": 0, "TEMP": 37.0, "NEUT": 2.5},
                {"subject_id": "S1", "day": 1, "TEMP": 47.0, "NEUT": 2.0},
            ]
        },
        "sheet observations, row 4, column value",
        "wide sheet with a unit row: TEMP 47 degC",
    )
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "observations"
    ws.append(["subject_id", "day", "parameter", "value", "unit"])
    ws.append(["S1", 0, "NEUT", 2.5, "10^9/L"])
    ws.append(["S1", 1, "NEUT", "=D2*2", "10^9/L"])
    wb.save(HERE / "formula_cell.xlsx")
    MANIFEST.append(
        (
            "formula_cell.xlsx",
            "sheet observations, row 3, column value",
            "cell D3 holds =D2*2 (no cached value: it would read as empty)",
        )
    )
    good = (HERE / "formula_cell.xlsx").read_bytes()
    text(
        "truncated.xlsx",
        good[: len(good) // 2],
        "not a readable xlsx",
        "the first half of a workbook",
    )
    text("text_named_xlsx.xlsx", HEAD + OK1, "not a readable xlsx", "a csv named .xlsx")
    book("xml_entity.xlsx", {"observations": OBS}, "", "")
    MANIFEST.pop()
    buf = io.BytesIO()
    with zipfile.ZipFile(HERE / "xml_entity.xlsx") as src, zipfile.ZipFile(buf, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = b'<!DOCTYPE x [<!ENTITY e "lol">]>' + data.split(b"?>", 1)[-1]
            dst.writestr(item, data)
    text("xml_entity.xlsx", buf.getvalue(), "DTD", "a DTD with an entity in the sheet XML")


if __name__ == "__main__":
    for old in HERE.iterdir():
        if old.name not in ("make_corpus.py", "README.md"):
            old.unlink()
    csv_files()
    xlsx_files()
    with (HERE / "manifest.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "expect", "note"])
        w.writerows(MANIFEST)
    print(len(MANIFEST), "files")
