"""Issue 10, done when: a realistic site export graded with
``aegrade grade export.xlsx --map map.toml --errors coerce -o out.xlsx`` gives every row its
right grade or a named reason, and no row is lost (fixture: tests/data/site_export/README.md).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import aegrade
from aegrade.cli import main
from tests.conftest import DATA

SITE = DATA / "site_export"


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, str]:
    out = tmp_path_factory.mktemp("site") / "out.xlsx"
    res = CliRunner().invoke(
        main,
        [
            "grade",
            str(SITE / "export.xlsx"),
            "--map",
            str(SITE / "map.toml"),
            "--errors",
            "coerce",
            "-o",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    return pd.read_excel(out, sheet_name="graded_observations", engine="openpyxl"), res.output


def _text(x: object) -> str:
    return "" if pd.isna(x) else str(int(x))  # type: ignore[call-overload]


def test_every_row_kept_in_order(graded: tuple[pd.DataFrame, str]) -> None:
    go, _ = graded
    expected = pd.read_csv(SITE / "expected.csv", keep_default_na=False)
    assert len(go) == len(expected) == 40
    assert go["subject_id"].tolist()[:3] == ["P01", "P01", "P01"]


@pytest.mark.parametrize(
    "row",
    pd.read_csv(SITE / "expected.csv", keep_default_na=False).to_dict("records"),
    ids=lambda r: f"row{r['row']}-{r['test']}",
)
def test_row_gets_its_grade_or_named_reason(graded: tuple[pd.DataFrame, str], row: dict) -> None:
    go, _ = graded
    got = go.iloc[row["row"] - 2]
    assert _text(got["grade_low"]) == str(row["grade_low"]), got["reason"]
    assert _text(got["grade_high"]) == str(row["grade_high"]), got["reason"]
    assert got["reason_code"] == row["reason_code"], got["reason"]


def test_censored_rows_are_reviewed_with_limit_and_side(graded: tuple[pd.DataFrame, str]) -> None:
    go, _ = graded
    cens = go[go["censor_side"].notna()]
    assert cens["value_text"].str.replace(" ", "").tolist() == ["<0.5", "<1.0", "<10", "<0.1"]
    assert cens["censor_limit"].tolist() == [0.5, 1.0, 10.0, 0.1]
    assert set(cens["censor_side"]) == {"<"}
    assert cens["review"].all()
    assert cens["reason"].str.contains("censored result <").all()


def test_cli_lists_unrecognised_names_with_counts(graded: tuple[pd.DataFrame, str]) -> None:
    _, output = graded
    assert "2 rows with unrecognised test names" in output
    assert "'Neutrophils (%)': 1" in output and "'Reticulocytes': 1" in output


def test_decimal_option_reads_the_ambiguous_cell(tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    args = ["grade", str(SITE / "export.xlsx"), "--map", str(SITE / "map.toml")]
    res = CliRunner().invoke(main, [*args, "--errors", "coerce", "--decimal", ",", "-o", str(out)])
    assert res.exit_code == 0, res.output
    go = pd.read_excel(out, sheet_name="graded_observations", engine="openpyxl")
    row = go.iloc[29 - 2]  # "150.000" /mm3 with range 150.000-400.000: 150000/mm3
    assert row["reason_code"] == "grade_0" and row["grade_low"] == 0


def test_raise_mode_names_the_cells(tmp_path: Path) -> None:
    args = ["grade", str(SITE / "export.xlsx"), "--map", str(SITE / "map.toml")]
    res = CliRunner().invoke(main, [*args, "-o", str(tmp_path / "o.xlsx")])
    assert res.exit_code == 1
    assert (
        "sheet Lab Results, row 35, column value: the cell holds a spreadsheet error "
        "(the cell: '#DIV/0!')" in res.output
    )
    assert "row 29, column value: the separator may mark thousands or decimals" in res.output
    assert not (tmp_path / "o.xlsx").exists()


def test_cli_lists_unknown_loinc_codes_with_counts(tmp_path: Path) -> None:
    data = tmp_path / "labs.csv"
    pd.DataFrame(
        {"subject_id": "1", "day": [1, 2, 3, 4], "parameter": ["Glucose", "Glucose", "K", "K"],
         "value": [90, 95, 4.0, 4.1], "unit": ["mg/dL", "mg/dL", "mmol/L", "mmol/L"],
         "loinc": ["2350-7", "99999-9", "99999-9", "1-8"]}
    ).to_csv(data, index=False)  # fmt: skip
    res = CliRunner().invoke(main, ["grade", str(data), "-o", str(tmp_path / "out.xlsx")])
    assert res.exit_code == 0, res.output
    assert "3 rows with LOINC codes aegrade does not know" in res.output
    assert "'99999-9': 2, '1-8': 1" in res.output
    assert "'2350-7'" not in res.output  # urine glucose is known (and not graded: urine)


def test_cells_read_as_text_keep_their_text(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"subject_id": "1", "day": [1, 2, 3, 4, 5],
         "parameter": ["HGB", "PLAT", "PLAT", "NEUT", "HGB"],
         "value": ["13,6", "150.000", "N/A", "<0.5", "12"],
         "unit": ["g/dL", "10^9/L", "10^9/L", "10^9/L", "g/dL"]}
    )  # fmt: skip
    result = aegrade.grade(frame, errors="coerce")
    go = result.graded_observations
    assert go["value_text"].tolist()[:4] == ["13,6", "150.000", "N/A", "<0.5"]
    assert pd.isna(go["value_text"].iloc[4]) and go["value"].iloc[4] == 12.0
    assert pd.isna(go["value"].iloc[1])  # refused as ambiguous: never 150
    assert result.issues["value"].tolist() == ["150.000"]


def test_ambiguous_cell_written_as_its_text(graded: tuple[pd.DataFrame, str]) -> None:
    go, _ = graded
    row = go.iloc[29 - 2]  # "150.000" /mm3, refused as ambiguous: its text, never 150
    assert row["value_text"] == "150.000" and pd.isna(row["value"])
