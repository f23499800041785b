"""Table inputs: a graded result read back through aegrade.read gives what grade() gave."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from aegrade import grade
from aegrade.errors import InputError
from aegrade.schema import ADVERSE_EVENTS, GRADED_OBSERVATIONS
from aegrade.tables import build_ae_table, build_crs_icans_summary, format_text
from aegrade.tables.inputs import inputs_from_result, load_table_inputs
from aegrade.write.results import write_result
from tests.conftest import EXAMPLES

EXAMPLE = EXAMPLES / "blinatumomab_short_course.xlsx"


@pytest.fixture(scope="module")
def result():  # type: ignore[no-untyped-def]
    return grade(EXAMPLE)


def _tables(data) -> str:  # type: ignore[no-untyped-def]
    ae = build_ae_table(data.adverse_events, data.subjects)
    crs = build_crs_icans_summary(data.adverse_events, data.subjects, data.graded_observations)
    return format_text(ae) + format_text(crs)


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_a_written_result_gives_the_same_tables(result, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / ("results.xlsx" if fmt == "xlsx" else "out")
    write_result(result, out, fmt=fmt)  # type: ignore[arg-type]
    data = load_table_inputs(out)
    assert data.source == str(out)
    assert _tables(data) == _tables(inputs_from_result(result))


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_read_back_tables_have_the_output_dtypes(result, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / ("results.xlsx" if fmt == "xlsx" else "out")
    write_result(result, out, fmt=fmt)  # type: ignore[arg-type]
    data = load_table_inputs(out)
    for frame, schema in (
        (data.adverse_events, ADVERSE_EVENTS),
        (data.graded_observations, GRADED_OBSERVATIONS),
    ):
        assert frame is not None
        for name in ("subject_id", "grade", "onset", "grade_low", "value", "value_text"):
            if name in frame:
                dtype = schema.dtype_of(name)
                assert str(frame[name].dtype) == dtype, (fmt, name, frame[name].dtype)
    assert str(data.subjects["subject_id"].dtype) == "string"


def test_a_workbook_with_a_formula_is_refused(tmp_path: Path) -> None:
    """The safe reader's formula check applies to graded workbooks too."""
    path = tmp_path / "graded.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "adverse_events"
    ws.append(["subject_id", "term", "criteria", "grade"])
    ws.append(["P1", "Anemia", "ctcae-v5.0", "=1+1"])
    wb.save(path)
    with pytest.raises(InputError) as err:
        load_table_inputs(path)
    assert "formula" in str(err.value).lower()


def test_a_study_is_graded_on_the_spot() -> None:
    data = load_table_inputs(EXAMPLE)
    assert len(data.adverse_events) and data.graded_observations is not None
    assert isinstance(data.subjects, pd.DataFrame)


def _graded_csv(result, tmp_path: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    out = tmp_path / "graded"
    write_result(result, out, fmt="csv")
    ae = pd.read_csv(out / "adverse_events.csv", dtype=str, keep_default_na=False)
    edit(ae)
    ae.to_csv(out / "adverse_events.csv", index=False)
    return out


@pytest.mark.parametrize("value", ["3.7", "7", "-1", "high", "2.5"])
def test_a_grade_that_is_not_a_whole_number_0_to_5_is_an_input_error(
    result, tmp_path: Path, value: str
) -> None:
    """(issue 11) grade 3.7 was counted as grade >= 3; each bad cell is named."""

    def edit(ae: pd.DataFrame) -> None:
        ae.loc[1, "grade"] = value

    out = _graded_csv(result, tmp_path, edit)
    with pytest.raises(InputError) as err:
        load_table_inputs(out)
    failures = err.value.failures
    assert failures[["row", "column", "check"]].values.tolist() == [[3, "grade", "invalid_grade"]]
    assert str(failures["file"][0]).endswith("adverse_events.csv")
    assert f"'{value}'" in str(err.value)


def test_whole_grades_and_blanks_are_accepted(result, tmp_path: Path) -> None:
    def edit(ae: pd.DataFrame) -> None:
        ae.loc[0, "grade"] = "4.0"
        ae.loc[1, "grade"] = ""

    data = load_table_inputs(_graded_csv(result, tmp_path, edit))
    assert data.adverse_events["grade"].iloc[0] == 4
    assert pd.isna(data.adverse_events["grade"].iloc[1])


def test_a_graded_result_without_a_grade_column_is_refused(result, tmp_path: Path) -> None:
    def edit(ae: pd.DataFrame) -> None:
        del ae["grade"]

    out = _graded_csv(result, tmp_path, edit)
    with pytest.raises(InputError, match="required column 'grade' is missing"):
        load_table_inputs(out)


def test_a_ragged_graded_csv_row_is_an_input_error(result, tmp_path: Path) -> None:
    out = tmp_path / "graded"
    write_result(result, out, fmt="csv")
    path = out / "adverse_events.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] += ",x,y"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_table_inputs(out)
    assert err.value.failures["row"].tolist() == [3]


def test_a_bad_grade_in_a_graded_workbook_names_sheet_and_cell(tmp_path: Path) -> None:
    path = tmp_path / "graded.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "adverse_events"
    ws.append(["subject_id", "term", "criteria", "grade"])
    ws.append(["P1", "Anemia", "ctcae-v5.0", 2])
    ws.append(["P2", "Anemia", "ctcae-v5.0", 3.7])
    wb.save(path)
    with pytest.raises(InputError) as err:
        load_table_inputs(path)
    row = err.value.failures.iloc[0]
    assert (row["sheet"], row["row"], row["column"]) == ("adverse_events", 3, "grade")
