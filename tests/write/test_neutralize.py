"""The neutraliser: formula-leading text made inert, numbers left numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aegrade.write.neutralize import neutralize, neutralize_about, neutralize_formulas


@pytest.mark.parametrize(
    "text, out",
    [
        ("-2", "-2"),
        ("-12.5", "-12.5"),
        ("-0.5", "-0.5"),
        ("-.5", "-.5"),
        ("-1e-3", "-1e-3"),
        ("-2+3", "'-2+3"),  # a spreadsheet computes this: a formula
        ("-2 mg", "'-2 mg"),
        ("--2", "'--2"),
        ("-", "'-"),
        ("-x", "'-x"),
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        (" =1", " =1"),  # not at the start
        ("", ""),
        (-2, -2),
        (-12.5, -12.5),
    ],
)
def test_neutralize_prefixes_formulas_but_not_negative_numbers(text: object, out: object) -> None:
    assert neutralize(text) == out


def test_a_mixed_column_keeps_each_cells_type() -> None:
    frame = pd.DataFrame({"note": ["RA", "-2", "-12.5", "5", "=1+2", None, "007"]})
    csv = neutralize_formulas(frame)["note"].tolist()
    assert csv[:5] == ["RA", "-2", "-12.5", "5", "'=1+2"]
    xlsx = neutralize_formulas(frame, numbers=True)["note"].tolist()
    assert xlsx[:5] == ["RA", -2, -12.5, 5, "'=1+2"]
    assert [type(v) for v in xlsx[1:4]] == [int, float, int]
    assert xlsx[6] == "007"  # leading zeros: an identifier, kept as text
    assert frame["note"].tolist()[1] == "-2"  # the input frame is not changed


def test_numbers_in_an_object_column_are_never_turned_into_text() -> None:
    frame = pd.DataFrame({"v": pd.Series(["RA", -2.0, -12.5, 3, "-x"], dtype=object)})
    out = neutralize_formulas(frame)["v"].tolist()
    assert out == ["RA", -2.0, -12.5, 3, "'-x"]
    assert [type(v) for v in out[1:4]] == [float, float, int]


def test_a_column_of_numbers_as_text_stays_text() -> None:
    ids = pd.DataFrame({"subject_id": pd.array(["101", "-102", "103"], dtype="string")})
    out = neutralize_formulas(ids, numbers=True)
    pd.testing.assert_series_equal(out["subject_id"], ids["subject_id"])  # string dtype kept


def test_columns_without_text_are_left_alone() -> None:
    frame = pd.DataFrame(
        {
            "n": [-1.0, np.nan],
            "i": pd.array([-3, None], dtype="Int64"),
            "d": pd.to_datetime(["2026-01-01", None]),
            "o": pd.Series([-1, -2.5], dtype=object),
        }
    )
    out = neutralize_formulas(frame, numbers=True)
    pd.testing.assert_frame_equal(out, frame)  # same values and dtypes
    assert out["o"].tolist() == [-1, -2.5] and type(out["o"][0]) is int


def test_headers_are_neutralised_even_for_non_string_labels() -> None:
    frame = pd.DataFrame([[1, 2, 3]], columns=['=HYPERLINK("http://x")', "-2", 7])
    assert list(neutralize_formulas(frame).columns) == ['\'=HYPERLINK("http://x")', "-2", 7]


def test_categories_are_neutralised_not_the_codes() -> None:
    frame = pd.DataFrame({"arm": pd.Categorical(["@A", "B", "@A", "-3"])})
    out = neutralize_formulas(frame)["arm"]
    assert out.tolist() == ["'@A", "B", "'@A", "-3"]
    assert out.cat.codes.tolist() == frame["arm"].cat.codes.tolist()


def test_about_keys_and_values_are_neutralised() -> None:
    about = {"source": "=cmd|' /C calc'!A0.xlsx", "=sha256": "+abc", "criteria": "ctcae-v5.0"}
    assert neutralize_about(about) == {
        "source": "'=cmd|' /C calc'!A0.xlsx",
        "'=sha256": "'+abc",
        "criteria": "ctcae-v5.0",
    }
