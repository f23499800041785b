"""Cell formats of the AE table: n (x.x%), round half to even, one spelling of 'Grade >= 3'
in every format (issue 14, point 5)."""

from __future__ import annotations

import pandas as pd
import pytest

from aegrade.tables import TableSpec, build_ae_table, format_count, format_percent
from aegrade.write import write_table

AE = pd.DataFrame(
    {
        "subject_id": ["1", "2", "3"],
        "term": ["Fever", "Fever", "Rash"],
        "grade": [3, 1, 2],
    }
)
# 8 patients: 1/8 = 12.5 %, 3 patients... 2/8 = 25.0 %
SUBJECTS = pd.DataFrame({"subject_id": [str(i) for i in range(1, 9)]})


def _cells(table) -> dict[tuple[str, str], str]:  # type: ignore[no-untyped-def]
    c = table.cells
    return dict(zip(zip(c["row"], c["column"], strict=True), c["cell"], strict=True))


@pytest.mark.parametrize(
    ("value", "decimals", "up", "even"),
    [
        (12.25, 1, "12.3", "12.2"),
        (12.35, 1, "12.4", "12.4"),
        (12.5, 0, "13", "12"),
        (13.5, 0, "14", "14"),
        (100 / 3, 1, "33.3", "33.3"),
        (200 / 3, 1, "66.7", "66.7"),
        (0.05, 1, "0.1", "0.0"),
    ],
)
def test_rounding_half_up_and_half_even(value, decimals, up, even):
    assert format_percent(value, decimals) == up
    assert format_percent(value, decimals, rounding="half-even") == even


def test_unknown_rounding_is_refused():
    with pytest.raises(ValueError, match="rounding must be"):
        format_percent(1.0, rounding="banker")


def test_percent_sign_and_rounding_in_the_table():
    spec = TableSpec(percent_sign=True, rounding="half-even", decimals=0)
    t = build_ae_table(AE, SUBJECTS, spec)
    cells = _cells(t)
    assert cells["Rash", "Any grade"] == "1 (12%)"  # 12.5 -> 12 (half to even)
    assert cells["Fever", "Any grade"] == "2 (25%)"
    assert cells["Fever", "Grade >= 3"] == "1 (12%)"
    default = _cells(build_ae_table(AE, SUBJECTS, TableSpec(decimals=0)))
    assert default["Rash", "Any grade"] == "1 (13)"
    assert format_count(0, 8, percent_sign=True) == "0"


@pytest.mark.parametrize("fmt", ["md", "html", "rtf", "csv", "txt"])
def test_one_spelling_of_grade_3_or_worse_in_every_format(fmt, tmp_path):
    spec = TableSpec(grade_sign="≥", threshold=10)
    t = build_ae_table(AE, SUBJECTS, spec)
    assert t.columns == ("Any grade", "Grade ≥ 3")
    assert any("Adverse events in ≥ 10.0% of patients" in f for f in t.footnotes)
    text = write_table(t, tmp_path / f"t.{fmt}").read_text(encoding="utf-8")
    if fmt == "rtf":
        assert "Grade \\u8805? 3" in text and "Grade >= 3" not in text
    else:
        assert "Grade ≥ 3" in text and "Grade >= 3" not in text


def test_the_sort_column_keeps_its_spec_label_with_the_sign():
    spec = TableSpec(grade_sign="≥", sort_column="Grade >= 3")
    t = build_ae_table(AE, SUBJECTS, spec)
    assert t.rows["row"].tolist() == ["Any adverse event", "Fever", "Rash"]


def test_a_footnote_names_the_grade_3_records_graded_on_the_worse_reading():
    ae = AE.assign(review=[True, True, False])  # the grade-3 fever and the grade-1 fever
    t = build_ae_table(ae, SUBJECTS)
    notes = [f for f in t.footnotes if "review" in f]
    assert notes == [
        "1 AE record(s) counted at grade >= 3 come from values that cannot tell two grades "
        "apart (review) and were graded on the worse; 'aegrade grade --ambiguous lower' grades "
        "them on the lower."
    ]
    assert not [f for f in build_ae_table(AE, SUBJECTS).footnotes if "review" in f]
    text = AE.assign(review=["N", "Y", "N"])  # a grade-1 review record: no footnote
    assert not [f for f in build_ae_table(text, SUBJECTS).footnotes if "review" in f]
