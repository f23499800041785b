"""Wide layouts and the TOML column map."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import aegrade
from aegrade.errors import InputError
from aegrade.read.colmap import load_column_map
from aegrade.read.study import load_study
from aegrade.read.wide import parameter_columns


def test_header_units_are_read() -> None:
    frame = pd.DataFrame(
        columns=[
            "subject_id",
            "day",
            "TEMP (degF)",
            "ANC x10^9/L",
            "PLAT [10^9/L]",
            "NEUT",
            "comment",
        ]
    )
    assert parameter_columns(frame) == {
        "TEMP (degF)": ("TEMP", "degF"),
        "ANC x10^9/L": ("NEUT", "x10^9/L"),
        "PLAT [10^9/L]": ("PLAT", "10^9/L"),
        "NEUT": ("NEUT", None),
    }


def test_wide_csv_graded_as_long(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(
        "subject_id,day,TEMP (degF),ANC x10^9/L\nS1,0,98.6,2.5\nS1,3,102.0,\nS1,4,,0.4\n"
    )
    go = aegrade.grade(path).graded_observations
    assert go[["parameter", "value"]].values.tolist() == [
        ["TEMP", 98.6],
        ["NEUT", 2.5],
        ["TEMP", 102.0],
        ["NEUT", 0.4],
    ]
    assert go["source_column"].tolist()[:2] == ["TEMP (degF)", "ANC x10^9/L"]
    assert go["grade_high"].tolist()[2] == 1 and go["grade_low"].tolist()[3] == 4


def test_wide_unit_row_and_row_labels(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("subject_id,day,TEMP,PLAT\n,,degC,10^9/L\nS1,0,37,200\nS1,1,46,190\n")
    with pytest.raises(InputError) as exc:
        aegrade.grade(path)
    assert exc.value.failures[["row", "column", "check"]].values.tolist() == [
        [4, "value", "implausible_value"]
    ]


MAP = """
[sheets]
"Patients" = "subjects"
"Vitals" = "observations"

[columns]
"Patient" = "subject_id"
"Study day" = "day"
"Start" = "treatment_start"

[parameters]
"Temp (F)" = { parameter = "TEMP", unit = "degF" }
"O2" = "OXYGEN"

[values]
"yes" = "true"
"no" = "false"

[values.OXYGEN]
"RA" = "room_air"
"NC 4L" = { value = "nasal_cannula", flow = 4 }
"""


def test_column_map_sheets_headers_and_words(tmp_path: Path) -> None:
    (tmp_path / "map.toml").write_text(MAP)
    path = tmp_path / "study.xlsx"
    with pd.ExcelWriter(path) as xw:
        pd.DataFrame({"Patient": ["P1"], "Start": ["2024-01-01"]}).to_excel(
            xw, sheet_name="Patients", index=False
        )
        pd.DataFrame(
            {
                "Patient": ["P1", "P1"],
                "Study day": [0, 1],
                "Temp (F)": [98.6, 101.3],
                "O2": ["RA", "NC  4l"],
                "Other cause": ["no", "yes"],
            }
        ).to_excel(xw, sheet_name="Vitals", index=False)
    study = load_study(path, column_map=tmp_path / "map.toml")
    obs = study.observations.frame
    assert study.subjects is not None and study.observations.sheet == "Vitals"
    oxygen = obs[obs["parameter"] == "OXYGEN"]
    assert oxygen["value"].tolist() == ["room_air", "nasal_cannula"]
    assert oxygen["flow"].tolist()[1] == 4
    assert obs["unit"][obs["parameter"] == "TEMP"].tolist() == ["degF", "degF"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[colums]\n", "unknown section"),
        ("[sheets]\n'Labs' = 'labs'\n", "must be one of"),
        ("[parameters]\n'x' = {unit = 'g/L'}\n", "parameters.x"),
        ("[columns\n", "cannot read the column map"),
    ],
)
def test_bad_column_map(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "m.toml").write_text(text)
    with pytest.raises(InputError, match=message):
        load_column_map(tmp_path / "m.toml")


def test_two_headers_mapped_to_one_column_are_an_input_error(tmp_path: Path) -> None:
    src = tmp_path / "labs.csv"
    src.write_text("Pt,Day,Test,Result,Res2,U\nA,1,PLAT,40,41,10^9/L\n")
    cmap = {
        "columns": {
            "Pt": "subject_id",
            "Day": "day",
            "Test": "parameter",
            "Result": "value",
            "Res2": "value",
            "U": "unit",
        }
    }
    with pytest.raises(InputError) as err:
        load_study(src, column_map=cmap)
    f = err.value.failures
    assert f[["file", "column", "check"]].values.tolist() == [[str(src), "Res2", "bad_header"]]
    assert "'Result' and 'Res2' both become column 'value'" in f["message"].iloc[0]
