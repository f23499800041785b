"""Result cells as sites write them (issue 10 points 2-4): aegrade.prepare.values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aegrade.prepare.values import (
    AMBIGUOUS,
    BOOLEAN,
    INFINITE,
    NAN_WORD,
    NO_RESULT,
    OK,
    SHEET_ERROR,
    TEXT,
    parse_values,
)


def _one(cell: object, **kw: object) -> tuple[float, int, object]:
    got = parse_values(pd.Series([cell], dtype=object), **kw)  # type: ignore[arg-type]
    return float(got.value[0]), int(got.status[0]), got.censor_side[0]


@pytest.mark.parametrize(
    ("cell", "value", "side"),
    [
        ("<0.5", 0.5, "<"),
        ("< 0.5", 0.5, "<"),
        ("<=10", 10.0, "<="),
        ("<= 10", 10.0, "<="),
        (">7.0", 7.0, ">"),
        (">=7", 7.0, ">="),
        ("≤ 3", 3.0, "<="),
        ("<0,5", 0.5, "<"),
    ],
)
def test_censored_cells_keep_limit_and_side(cell: str, value: float, side: str) -> None:
    assert _one(cell) == (value, OK, side)


def test_censoring_can_be_turned_off() -> None:
    v, st, side = _one("<0.5", censored=False)
    assert np.isnan(v) and st == TEXT and side is None


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("13,6", 13.6),
        ("0,5", 0.5),
        ("0,125", 0.125),  # a leading 0 is never a thousands group
        ("1234,567", 1234.567),  # 4 digits before: not a thousands group
        ("1,234,567", 1234567.0),
        ("1,234.5", 1234.5),
        ("1.234,5", 1234.5),
        ("1.234.567", 1234567.0),
        ("150 000", 150000.0),
        ("150\u00a0000", 150000.0),
        ("  12  ", 12.0),
        ("+5", 5.0),
        ("-0.5", -0.5),
        (".5", 0.5),
        ("1e3", 1000.0),
        ("0.125", 0.125),
        (7, 7.0),
        (7.25, 7.25),
    ],
)
def test_numbers_as_sites_write_them(cell: object, value: float) -> None:
    assert _one(cell)[:2] == (value, OK)


@pytest.mark.parametrize("cell", ["150.000", "1,234", "-150.000", "<1,234"])
def test_ambiguous_separator_without_decimal_is_flagged(cell: str) -> None:
    v, st, _ = _one(cell)
    assert np.isnan(v) and st == AMBIGUOUS


@pytest.mark.parametrize(
    ("decimal", "cell", "value"),
    [
        (",", "150.000", 150000.0),
        (",", "1,234", 1.234),
        (".", "150.000", 150.0),
        (".", "1,234", 1234.0),
        (",", "13,6", 13.6),
        (".", "13,6", 13.6),
    ],
)
def test_decimal_option_decides_ambiguous_cells(decimal: str, cell: str, value: float) -> None:
    assert _one(cell, decimal=decimal)[:2] == (value, OK)


def test_bad_decimal_option_is_refused() -> None:
    with pytest.raises(ValueError, match="decimal"):
        parse_values(pd.Series(["1"]), decimal=";")


@pytest.mark.parametrize(
    "cell", ["N/A", "n/a", "not done", "Not  Done", "ND", "hemolyzed", "QNS", "--", "cancelled"]
)
def test_no_result_words(cell: str) -> None:
    v, st, _ = _one(cell)
    assert np.isnan(v) and st == NO_RESULT


def test_no_result_words_extendable() -> None:
    assert _one("see comment")[1] == TEXT
    assert _one("See  Comment", no_result=["see comment"])[1] == NO_RESULT


@pytest.mark.parametrize(
    ("cell", "status"),
    [
        (True, BOOLEAN),
        (False, BOOLEAN),
        ("TRUE", BOOLEAN),
        ("false", BOOLEAN),
        ("inf", INFINITE),
        ("-Infinity", INFINITE),
        (float("inf"), INFINITE),
        ("1e999", INFINITE),
        ("nan", NAN_WORD),
        ("NaN", NAN_WORD),
        ("#N/A", SHEET_ERROR),
        ("#DIV/0!", SHEET_ERROR),
        ("#VALUE!", SHEET_ERROR),
        ("#REF!", SHEET_ERROR),
        ("abc", TEXT),
        ("12..5", TEXT),
        ("<abc", TEXT),
    ],
)
def test_cells_that_are_not_results(cell: object, status: int) -> None:
    v, st, side = _one(cell)
    assert np.isnan(v) and st == status and side is None


def test_typed_columns() -> None:
    nums = parse_values(pd.Series([1.0, np.inf, np.nan]))
    assert nums.status.tolist() == [OK, INFINITE, OK]
    flags = parse_values(pd.Series([True, False]))
    assert flags.status.tolist() == [BOOLEAN, BOOLEAN]


def test_empty_cells_are_missing_not_errors() -> None:
    got = parse_values(pd.Series([None, "", "  ", np.nan], dtype=object))
    assert got.status.tolist() == [OK] * 4 and np.isnan(got.value).all()


@pytest.mark.parametrize(
    "dtype", ["string[pyarrow]", "string[python]", "Float64", "Int64", "boolean", "object"]
)
def test_nullable_dtypes_with_missing_cells(dtype: str) -> None:
    # pd.NA compares as NA: reading such a column raised "boolean value of NA is ambiguous"
    data = {
        "string[pyarrow]": ["7.5", None, "<0.5"],
        "string[python]": ["7.5", None, "<0.5"],
        "Float64": [7.5, None, 0.5],
        "Int64": [7, None, 1],
        "boolean": [True, None, False],
        "object": ["7.5", pd.NA, "<0.5"],
    }[dtype]
    got = parse_values(pd.Series(data, dtype=dtype))
    assert np.isnan(got.value[1]) and got.status[1] == 0
    if dtype == "boolean":
        assert got.status.tolist() == [4, 0, 4]
    elif dtype in ("Float64", "Int64"):
        assert got.value[[0, 2]].tolist() == ([7.5, 0.5] if dtype == "Float64" else [7.0, 1.0])
    else:
        assert got.value[[0, 2]].tolist() == [7.5, 0.5]
        assert got.censor_side.tolist() == [None, None, "<"]


@pytest.mark.parametrize("backend", ["numpy_nullable", "pyarrow"])
def test_grading_a_frame_of_nullable_dtypes(backend: str) -> None:
    import aegrade

    frame = pd.DataFrame(
        {
            "subject_id": ["1", "1", "2"],
            "day": [1, 2, 1],
            "parameter": ["NEUT", "NEUT", "PLAT"],
            "value": [0.4, None, 20.0],
            "unit": ["10^9/L", "10^9/L", "10^9/L"],
            "flag": [True, None, False],
        }
    ).convert_dtypes(dtype_backend=backend)  # type: ignore[arg-type]
    got = aegrade.grade(frame, "ctcae-v5.0").graded_observations
    assert got["grade_low"].tolist()[0] == 4 and got["grade_low"].tolist()[2] == 4
    assert pd.isna(got["grade_low"].tolist()[1])


def test_float_columns_in_blocks_on_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    from aegrade import threads

    monkeypatch.setattr(threads, "SMALLEST_BLOCK", 3)
    cells = pd.Series([1.5, np.inf, np.nan, -np.inf, 7.0, 2.25, 0.0])
    for copy in (True, False):
        got = parse_values(cells, copy=copy, threads=2)
        np.testing.assert_array_equal(
            got.value, np.array([1.5, np.nan, np.nan, np.nan, 7.0, 2.25, 0.0])
        )
        assert got.status.tolist() == [0, 5, 0, 5, 0, 0, 0]
        assert cells.iloc[1] == np.inf  # the caller's column is never changed


def test_a_float_column_without_infinity_has_every_status_ok() -> None:
    # issue 15: the statuses are written only where a value is infinite
    from aegrade.prepare.values import INFINITE, OK

    plain = parse_values(pd.Series([1.5, np.nan, -2.0]), copy=False)
    assert plain.status.tolist() == [OK] * 3 and plain.status.dtype == np.int8
    inf = parse_values(pd.Series([1.5, np.inf, -np.inf]))
    assert inf.status.tolist() == [OK, INFINITE, INFINITE]
    assert np.isnan(inf.value[1:]).all() and inf.value[0] == 1.5


def test_whether_a_cell_is_flagged_is_known_from_the_pass_that_read_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # issue 15: a float column's blocks say whether they hold an infinite value, so nobody
    # scans the statuses again; other columns' statuses are read when asked
    from aegrade import threads

    monkeypatch.setattr(threads, "SMALLEST_BLOCK", 3)
    for workers in (1, 2, 3):
        clean = parse_values(pd.Series([1.5, np.nan, -2.0, 4.0, 5.0, 6.0, 7.0]), threads=workers)
        assert clean.all_ok and not clean.flagged and clean.status.tolist() == [OK] * 7
        last = parse_values(pd.Series([1.5, np.nan, -2.0, 4.0, 5.0, 6.0, np.inf]), threads=workers)
        assert not last.all_ok and last.flagged
        assert last.status.tolist() == [OK] * 6 + [INFINITE] and np.isnan(last.value[-1])
    assert parse_values(pd.Series([1, 2])).all_ok  # integers: no infinite value
    text = parse_values(pd.Series(["1.5", "QNS"]))
    assert not text.all_ok and text.flagged and text.status.tolist() == [OK, NO_RESULT]
    assert not parse_values(pd.Series(["1.5", None])).flagged
