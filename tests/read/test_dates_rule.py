"""The one date rule (aegrade.dates): day/month order, offsets, clock times, range."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import aegrade
from aegrade.dates import between, read_dates
from aegrade.errors import InputError
from aegrade.read.dates import date_problems, from_excel_serials
from aegrade.study import Table


def test_the_order_is_decided_from_the_unambiguous_cells() -> None:
    col = read_dates(pd.Series(["02/03/2024", "13/03/2024"]))
    assert col.dayfirst and col.conflict == -1
    assert [str(t.date()) for t in col.utc] == ["2024-03-02", "2024-03-13"]
    col = read_dates(pd.Series(["02/03/2024", "03/13/2024"]))
    assert not col.dayfirst
    assert [str(t.date()) for t in col.utc] == ["2024-02-03", "2024-03-13"]


def test_only_ambiguous_cells_read_month_first_unless_forced() -> None:
    assert str(read_dates(pd.Series(["02/03/2024"])).utc[0].date()) == "2024-02-03"
    assert str(read_dates(pd.Series(["02/03/2024"]), dayfirst=True).utc[0].date()) == "2024-03-02"


def test_a_column_mixing_orders_names_the_first_conflicting_cell() -> None:
    t = Table(pd.DataFrame({"time": ["2024-03-01", "13/03/2024", "01/02/2024", "03/14/2024"]}))
    problems = date_problems(t, "time")
    mixed = problems[problems["message"].str.contains("mixes date orders")]
    assert mixed[["row", "column", "value"]].values.tolist() == [[3, "time", "03/14/2024"]]


def test_forcing_the_order_makes_the_other_order_the_conflict() -> None:
    assert read_dates(pd.Series(["13/03/2024"]), dayfirst=False).conflict == 0


def test_offsets_are_converted_to_utc_and_a_dst_change_is_valid() -> None:
    start = read_dates(pd.Series(["2024-03-30T12:00+01:00"] * 2))
    when = read_dates(pd.Series(["2024-03-31T12:00+02:00", "2024-03-31T11:00Z"]))
    assert between(when, start).tolist() == pytest.approx([23 / 24, 1.0])


def test_a_naive_time_is_read_as_utc() -> None:
    start = read_dates(pd.Series(["2024-03-01T12:00"]))
    when = read_dates(pd.Series(["2024-03-02T12:00+02:00"]))
    assert between(when, start).tolist() == pytest.approx([1 - 2 / 24])


def test_calendar_days_when_either_side_has_no_clock_time() -> None:
    start = read_dates(pd.Series(["2024-03-01T14:00", "2024-03-01", "2024-03-01T14:00"]))
    when = read_dates(pd.Series(["2024-03-31T06:00", "2024-03-31T06:00", "2024-03-31"]))
    assert between(when, start).tolist() == pytest.approx([29 + 16 / 24, 30.0, 30.0])
    assert between(when, start, calendar=True).tolist() == [30.0, 30.0, 30.0]


def test_calendar_days_use_the_date_as_written_not_the_utc_date() -> None:
    start = read_dates(pd.Series(["2024-03-01"]))
    when = read_dates(pd.Series(["2024-03-02T00:30+02:00"]))  # UTC: 1 March 22:30
    assert between(when, start).tolist() == [1.0]


def test_a_spreadsheet_date_cell_has_no_clock_time() -> None:
    col = read_dates(pd.Series([pd.Timestamp("2024-03-01"), "2024-03-01T00:00"], dtype=object))
    assert col.clock.tolist() == [False, True]


def test_out_of_range_dates_and_serials_are_not_dates() -> None:
    assert from_excel_serials(pd.Series([250000, 45352], dtype=object))[0] == 250000
    col = read_dates(pd.Series(["2262-04-12", "250000", "2262-04-11"]))
    assert col.bad.tolist() == [True, True, False]
    assert np.isnan(between(col, read_dates(pd.Series(["2024-01-01"] * 3)))[:2]).all()


@pytest.mark.parametrize("cell", ["2262-04-12", 250000])
def test_out_of_range_dates_are_input_errors_naming_the_cell(tmp_path: Path, cell: object) -> None:
    path = tmp_path / "s.xlsx"
    with pd.ExcelWriter(path) as xw:
        pd.DataFrame({"subject_id": ["S1"], "treatment_start": ["2024-03-01"]}).to_excel(
            xw, sheet_name="subjects", index=False
        )
        pd.DataFrame(
            {
                "subject_id": ["S1", "S1"],
                "time": ["2024-03-02", cell],
                "parameter": ["TEMP", "TEMP"],
                "value": [38.5, 37.0],
                "unit": ["degC", "degC"],
            }
        ).to_excel(xw, sheet_name="observations", index=False)
    with pytest.raises(InputError) as err:
        aegrade.grade(path)
    text = str(err.value)
    assert "s.xlsx" in text and "row 3" in text and "column time" in text
    assert "between 1677-09-22 and 2262-04-11" in text
    values = err.value.failures["value"].astype(str)
    assert values.str.startswith(str(cell)).any()  # 250000 is written as 250000.0


def test_mixed_offsets_run_through_the_whole_pipeline() -> None:
    from aegrade.study import Study

    obs = pd.DataFrame(
        {
            "subject_id": ["S1", "S2"],
            "time": ["2024-03-02T08:00+01:00", "2024-03-02T20:00-05:00"],
            "parameter": "TEMP",
            "value": [38.9, 39.0],
            "unit": "degC",
        }
    )
    subjects = pd.DataFrame(
        {
            "subject_id": ["S1", "S2"],
            "treatment_start": ["2024-03-01T08:00+01:00", "2024-03-01T08:00-05:00"],
            "death_time": ["2024-03-03T08:00+01:00", None],
            "death_cause": ["CRS", None],
        }
    )
    result = aegrade.grade(Study(Table(obs), Table(subjects)))
    assert result.graded_observations["day"].tolist() == [1.0, 1.5]
    ae = result.adverse_events
    crs = ae[ae["term"] == "Cytokine release syndrome"].set_index("subject_id")
    assert crs.loc["S1", "grade"] == 5 and crs.loc["S1", "end"] == 2.0


# --- new-user audit 3: an order no cell decides is asked for, not guessed --------------------


def _ambiguous_workbook(path: Path, start: str = "04/03/2024") -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    s = wb.active
    s.title = "subjects"
    s.append(["subject_id", "treatment_start"])
    s.append(["D1", start])
    o = wb.create_sheet("observations")
    o.append(["subject_id", "time", "parameter", "value", "unit", "lln", "uln"])
    o.append(["D1", "02/03/2024", "NEUT", 0.4, "10^9/L", 1.8, 7.7])
    o.append(["D1", "10/03/2024", "NEUT", 0.3, "10^9/L", 1.8, 7.7])
    wb.save(path)
    return path


def test_read_dates_marks_a_guessed_order() -> None:
    assert read_dates(pd.Series(["2024-03-01", "02/03/2024", "10/03/2024"])).guessed == 1
    assert read_dates(pd.Series(["02/03/2024", "13/03/2024"])).guessed == -1  # decided
    assert read_dates(pd.Series(["02/03/2024"]), dayfirst=True).guessed == -1  # forced
    assert read_dates(pd.Series(["2024-03-02"])).guessed == -1  # no slashed date


def test_all_ambiguous_dates_are_an_input_error_naming_column_and_cell(tmp_path: Path) -> None:
    path = _ambiguous_workbook(tmp_path / "eu.xlsx")
    with pytest.raises(InputError) as err:
        aegrade.load_study(path)
    fail = err.value.failures.iloc[0]
    assert (fail["sheet"], fail["row"], fail["column"], fail["value"]) == (
        "observations",
        2,
        "time",
        "02/03/2024",
    )
    assert "--dayfirst" in fail["message"] and "--no-dayfirst" in fail["message"]
    assert "load_study(dayfirst=" in fail["message"]


def test_forced_order_reads_the_ambiguous_dates_and_says_forced(tmp_path: Path) -> None:
    path = _ambiguous_workbook(tmp_path / "eu.xlsx")
    result = aegrade.grade(aegrade.load_study(path, dayfirst=True))
    # 2 and 10 March against a start on 4 March
    assert result.graded_observations["day"].tolist() == [-2.0, 6.0]
    assert result.meta["date order observations.time"] == "day/month/year (forced)"
    us = aegrade.grade(aegrade.load_study(path, dayfirst=False))
    # month first: 3 February and 3 October against 3 April
    assert us.graded_observations["day"].tolist() == [-60.0, 183.0]
    assert us.meta["date order observations.time"] == "month/day/year (forced)"


def test_one_decided_column_does_not_decide_another(tmp_path: Path) -> None:
    # the time column is decided (13 March), the single treatment start is not
    path = _ambiguous_workbook(tmp_path / "eu.xlsx")
    import openpyxl

    wb = openpyxl.load_workbook(path)
    wb["observations"].append(["D1", "13/03/2024", "NEUT", 0.3, "10^9/L", 1.8, 7.7])
    wb.save(path)
    with pytest.raises(InputError) as err:
        aegrade.load_study(path)
    fail = err.value.failures.iloc[0]
    assert (fail["sheet"], fail["column"], fail["value"]) == (
        "subjects",
        "treatment_start",
        "04/03/2024",
    )


def test_decided_from_the_data_is_said_only_when_a_cell_decided(tmp_path: Path) -> None:
    path = _ambiguous_workbook(tmp_path / "eu.xlsx", start="2024-03-04")
    import openpyxl

    wb = openpyxl.load_workbook(path)
    wb["observations"].append(["D1", "13/03/2024", "NEUT", 0.3, "10^9/L", 1.8, 7.7])
    wb.save(path)
    result = aegrade.grade(aegrade.load_study(path))
    assert result.graded_observations["day"].tolist() == [-2.0, 6.0, 9.0]
    assert result.meta["date order observations.time"] == "day/month/year (decided from the data)"


def test_excel_serial_times_are_rounded_to_the_millisecond() -> None:
    out = from_excel_serials(pd.Series([45292.333333333, 45292.5], dtype=object))
    assert [str(t) for t in out] == ["2024-01-01 08:00:00", "2024-01-01 12:00:00"]
    assert out[0].isoformat() == "2024-01-01T08:00:00"
