"""Column map for long layout (issue 10 points 1, 3, 4): [parameters] maps test names, the
top-level decimal and no_result keys; xlsx error cells reach the checks."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import aegrade
from aegrade.errors import InputError
from aegrade.read.colmap import load_column_map, map_parameter_names
from aegrade.read.files import Workbook


def test_parameters_section_maps_long_layout_names_and_fills_units() -> None:
    cmap = load_column_map(
        {
            "parameters": {
                "Neutro abs (manual)": {"parameter": "neut", "unit": "10^9/L"},
                "Plt": "PLAT",
            }
        }
    )
    obs = pd.DataFrame(
        {
            "parameter": ["neutro ABS (manual)", "Plt", "HGB"],
            "value": [0.4, 20, 9],
            "unit": [None, "10^9/L", "g/dL"],
        }
    )
    out = map_parameter_names(obs, cmap)
    assert out["parameter"].tolist() == ["NEUT", "PLAT", "HGB"]
    assert out["unit"].tolist() == ["10^9/L", "10^9/L", "g/dL"]
    assert obs["parameter"].iloc[0] == "neutro ABS (manual)"  # the caller's frame unchanged


def test_long_layout_map_through_load_study() -> None:
    obs = pd.DataFrame(
        {
            "subject_id": ["S1"],
            "day": [3],
            "parameter": ["Neutro abs"],
            "value": [0.4],
            "unit": ["10^9/L"],
        }
    )
    study = aegrade.load_study(obs, column_map={"parameters": {"Neutro abs": "NEUT"}})
    result = aegrade.grade(study)
    assert result.graded_observations["grade_low"].tolist() == [4]


def test_decimal_and_no_result_keys() -> None:
    cmap = load_column_map({"decimal": ",", "no_result": ["see comment"]})
    assert cmap is not None and cmap.decimal == "," and cmap.no_result == ("see comment",)
    obs = pd.DataFrame(
        {
            "subject_id": ["S1", "S1"],
            "day": [1, 2],
            "parameter": ["PLAT", "PLAT"],
            "value": ["150.000", "see comment"],
            "unit": ["/mm3", "/mm3"],
            "lln": ["150.000", "150.000"],
        }
    )
    result = aegrade.grade(
        aegrade.load_study(obs, column_map={"decimal": ",", "no_result": ["see comment"]})
    )
    go = result.graded_observations
    assert go["grade_low"].iloc[0] == 0  # 150,000/mm3
    assert go["reason_code"].tolist()[1] == "no_result"


def test_load_study_decimal_argument_wins_over_nothing() -> None:
    obs = pd.DataFrame(
        {
            "subject_id": ["S1"],
            "day": [1],
            "parameter": ["PLAT"],
            "value": ["150.000"],
            "unit": ["/mm3"],
        }
    )
    with pytest.raises(InputError, match="ambiguous_number"):
        aegrade.grade(aegrade.load_study(obs))
    assert aegrade.load_study(obs, decimal=".").decimal == "."


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        ({"decimal": ";"}, "decimal"),
        ({"no_result": 3}, "no_result"),
        ({"decimals": ","}, "unknown"),
    ],
)
def test_bad_number_keys_are_map_errors(raw: dict[str, object], match: str) -> None:
    with pytest.raises(InputError, match=match):
        load_column_map(raw)


def test_xlsx_error_cells_are_read_as_their_error_text(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "observations"
    ws.append(["subject_id", "day", "parameter", "value", "unit"])
    ws.append(["S1", 1, "PLAT", "#DIV/0!", "10^9/L"])
    ws.append(["S1", 2, "PLAT", "#N/A", "10^9/L"])
    ws["D2"].data_type = "e"
    ws["D3"].data_type = "e"
    path = tmp_path / "labs.xlsx"
    wb.save(path)
    assert Workbook(path).sheet("observations").frame["value"].tolist() == ["#DIV/0!", "#N/A"]
    with pytest.raises(InputError) as err:
        aegrade.grade(aegrade.load_study(path))
    fails = err.value.failures
    assert fails["check"].tolist() == ["spreadsheet_error"] * 2
    assert fails["row"].tolist() == [2, 3] and fails["value"].tolist() == ["#DIV/0!", "#N/A"]
