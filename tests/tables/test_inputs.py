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
