"""build_ae_table: counting rules, spec options and the Table 3 layout (values, not bytes)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from aegrade.tables import (
    GRADE_COLUMNS,
    ColumnSpec,
    RowSpec,
    TableSpec,
    TableSpecError,
    build_ae_table,
    format_text,
)
from aegrade.tables.display import format_count, format_percent
from tests.tables._frames import ALT, AST, CRS, ICANS, NEUT


def cell(table, row, column, arm=None):
    c = table.cells
    sel = (c["row"] == row) & (c["column"] == column)
    if arm is not None:
        sel &= c["arm"] == arm
    hit = c[sel]
    assert len(hit) == 1, (row, column, arm, len(hit))
    return hit.iloc[0]


def test_pinned_percentages_25_of_30(table3_ae, subjects30):
    t = build_ae_table(table3_ae, subjects30)
    crs = cell(t, CRS, "Any grade")
    assert (crs["n"], crs["N"], crs["cell"]) == (25, 30, "25 (83.3)")
    assert crs["percent"] == pytest.approx(83.3333, abs=1e-4)
    assert cell(t, CRS, "Grade >= 3")["cell"] == "3 (10.0)"
    assert cell(t, NEUT, "Any grade")["cell"] == "28 (93.3)"
    assert cell(t, NEUT, "Grade >= 3")["cell"] == "27 (90.0)"
    assert cell(t, AST, "Any grade")["cell"] == "2 (6.7)"


def test_subjects_without_events_count_in_n(table3_ae, subjects30):
    t = build_ae_table(table3_ae, subjects30)
    assert t.arms == (("All subjects", 30),)
    assert set(t.cells["N"]) == {30}
    assert cell(t, "Any adverse event", "Any grade")["cell"] == "28 (93.3)"
    assert cell(t, "Any adverse event", "Grade >= 3")["cell"] == "27 (90.0)"


def test_without_subjects_n_is_subjects_seen(table3_ae):
    t = build_ae_table(table3_ae)
    assert t.arms == (("All subjects", 28),)
    assert any("No subjects table" in n for n in t.notes)


def test_each_subject_once_at_worst_grade(table3_ae, subjects30):
    t = build_ae_table(table3_ae, subjects30, TableSpec(columns=GRADE_COLUMNS))
    # P04: CRS grade 1 then grade 2: counted once, in grade 2 only
    assert cell(t, CRS, "Grade 1")["n"] == 21
    assert cell(t, CRS, "Grade 2")["n"] == 1
    assert cell(t, CRS, "Grade 3")["n"] == 3
    # P01: ALT grade 1 and grade 3 episodes -> one subject at grade 3
    assert cell(t, ALT, "Grade 1")["n"] == 0
    assert cell(t, ALT, "Grade 3")["n"] == 1


def test_grouped_row_counts_a_subject_once(table3_ae, subjects30):
    spec = TableSpec(
        rows=[RowSpec(label="Elevated liver enzymes", terms=[ALT, AST])],
        columns=[*GRADE_COLUMNS, ColumnSpec(label="Any grade", grades=[1, 5])],
    )
    t = build_ae_table(table3_ae, subjects30, spec)
    # P01 has ALT 1, ALT 3, AST 2 -> grade 3 once; P02 AST 4
    assert cell(t, "Elevated liver enzymes", "Any grade")["n"] == 2
    assert cell(t, "Elevated liver enzymes", "Grade 3")["n"] == 1
    assert cell(t, "Elevated liver enzymes", "Grade 4")["n"] == 1
    assert cell(t, "Elevated liver enzymes", "Grade 2")["n"] == 0


def test_grade_3_4_leaves_out_grade_5(table3_ae, subjects30):
    spec = TableSpec(
        columns=[
            ColumnSpec(label="Grade 3-4", grades=[3, 4]),
            ColumnSpec(label="Grade >= 3", grades=[3, 5]),
        ]
    )
    t = build_ae_table(table3_ae, subjects30, spec)
    assert cell(t, ICANS, "Grade 3-4")["cell"] == "0"
    assert cell(t, ICANS, "Grade >= 3")["cell"] == "1 (3.3)"


def test_arms_with_n_and_total(table3_ae, subjects30):
    t = build_ae_table(table3_ae, subjects30, TableSpec(total=True), by="arm")
    assert t.arms == (("A", 15), ("B", 15), ("Total", 30))
    assert cell(t, CRS, "Any grade", "A")["cell"] == "15 (100.0)"
    assert cell(t, CRS, "Any grade", "B")["cell"] == "10 (66.7)"
    assert cell(t, CRS, "Any grade", "Total")["cell"] == "25 (83.3)"
    disp = t.to_display()
    assert disp.groups == (("A (N = 15)", 2), ("B (N = 15)", 2), ("Total (N = 30)", 2))
    assert t.frame.columns.tolist()[:3] == [
        "Adverse event",
        "A (N = 15): Any grade",
        "A (N = 15): Grade >= 3",
    ]


def test_by_must_be_a_subjects_column(table3_ae, subjects30):
    with pytest.raises(TableSpecError, match="'cohort' is not a column"):
        build_ae_table(table3_ae, subjects30, by="cohort")


def test_missing_required_column(subjects30):
    with pytest.raises(TableSpecError, match="grade"):
        build_ae_table(pd.DataFrame({"subject_id": ["P01"], "term": [CRS]}), subjects30)


def test_frequency_sort_with_alphabetical_tie_break(table3_ae, subjects30):
    t = build_ae_table(table3_ae, subjects30)
    assert t.rows["row"].tolist() == ["Any adverse event", NEUT, CRS, AST, ALT, ICANS]


def test_spec_order_and_listed_rows_kept_at_zero(table3_ae, subjects30):
    spec = TableSpec(
        rows=[RowSpec(term="Fever"), RowSpec(term=CRS), RowSpec(term=NEUT)], any_event_row=False
    )
    t = build_ae_table(table3_ae, subjects30, spec)
    assert t.rows["row"].tolist() == ["Fever", CRS, NEUT]
    assert cell(t, "Fever", "Any grade")["cell"] == "0"
    assert cell(t, "Fever", "Any grade")["N"] == 30
    spec = spec.model_copy(update={"sort": "frequency"})
    assert build_ae_table(table3_ae, subjects30, spec).rows["row"].tolist() == [NEUT, CRS, "Fever"]


def test_include_unlisted_adds_other_terms(table3_ae, subjects30):
    spec = TableSpec(
        rows=[RowSpec(label="Liver", terms=[ALT, AST])], include_unlisted=True, any_event_row=False
    )
    rows = build_ae_table(table3_ae, subjects30, spec).rows["row"].tolist()
    assert rows[0] == "Liver"
    assert sorted(rows[1:]) == sorted([CRS, ICANS, NEUT])


def test_terms_match_case_insensitively(table3_ae, subjects30):
    spec = TableSpec(rows=[RowSpec(term="cytokine RELEASE syndrome")])
    t = build_ae_table(table3_ae, subjects30, spec)
    assert cell(t, "cytokine RELEASE syndrome", "Any grade")["n"] == 25


def test_criteria_filter_per_table_and_row(table3_ae, subjects30):
    t = build_ae_table(table3_ae, subjects30, TableSpec(criteria="ctcae-v5.0"))
    assert CRS not in t.rows["row"].tolist()
    assert t.criteria == ("ctcae-v5.0",)
    spec = TableSpec(
        criteria="ctcae-v5.0",
        rows=[RowSpec(term=CRS, criteria="astct-2019"), RowSpec(term=NEUT), RowSpec(term=ICANS)],
    )
    t = build_ae_table(table3_ae, subjects30, spec)
    assert cell(t, CRS, "Any grade")["n"] == 25
    assert cell(t, ICANS, "Any grade")["n"] == 0  # astct-2019 only, table counts ctcae-v5.0
    # 'Any adverse event' covers what the table or a row counts (CRS included, ICANS not)
    assert cell(t, "Any adverse event", "Any grade")["n"] == 28
    assert set(t.criteria) == {"astct-2019", "ctcae-v5.0"}


def test_a_term_graded_by_two_systems_gets_a_row_each(table3_ae, subjects30):
    extra = table3_ae.iloc[:1].assign(criteria="lee-2014", grade=pd.array([4], dtype="Int64"))
    t = build_ae_table(pd.concat([table3_ae, extra], ignore_index=True), subjects30)
    assert cell(t, f"{CRS} (ASTCT 2019)", "Any grade")["n"] == 25
    assert cell(t, f"{CRS} (Lee 2014)", "Grade >= 3")["n"] == 1
    assert "Lee 2014" in " ".join(t.footnotes)


def test_threshold_keeps_rows_at_or_above(table3_ae, subjects30):
    t = build_ae_table(table3_ae, subjects30, TableSpec(threshold=83.3))
    assert t.rows["row"].tolist() == ["Any adverse event", NEUT, CRS]
    t = build_ae_table(table3_ae, subjects30, TableSpec(threshold=6.7, by="arm"))
    # AST: 2 of 15 in arm A = 13.3 %; ALT 1 of 15 = 6.67 %, below 6.7 (unrounded percent)
    assert AST in set(t.rows["row"]) and ALT not in set(t.rows["row"])
    t = build_ae_table(table3_ae, subjects30, TableSpec(threshold=6.6, by="arm"))
    assert {AST, ALT, ICANS} <= set(t.rows["row"])


def test_events_count(table3_ae, subjects30):
    t = build_ae_table(table3_ae, subjects30, TableSpec(count="events"))
    assert cell(t, CRS, "Any grade")["cell"] == "26"
    assert cell(t, ALT, "Any grade")["n"] == 2
    assert np.isnan(cell(t, CRS, "Any grade")["percent"])
    assert t.to_display().groups[0][0] == "Number of events (N = 30 patients)"


def test_soc_rows_count_once_and_nest_terms(table3_ae, subjects30):
    socs = {
        CRS: "Immune system disorders",
        ICANS: "Nervous system disorders",
        NEUT: "Investigations",
        ALT: "Investigations",
        AST: "Investigations",
    }
    ae = table3_ae.assign(soc=table3_ae["term"].map(socs))
    t = build_ae_table(ae, subjects30, TableSpec(soc=True))
    inv = cell(t, "Investigations", "Any grade")
    assert inv["n"] == 28 and inv["level"] == "soc"
    assert cell(t, "Investigations", "Grade >= 3")["n"] == 27
    rows = t.rows
    assert rows["row"].tolist()[:5] == ["Any adverse event", "Investigations", NEUT, AST, ALT]
    assert rows.loc[rows["row"] == NEUT, "indent"].item() == 1
    assert f"Investigations / {NEUT}" in set(t.ard()["row"])


def test_unknown_subjects_are_not_counted_and_ungraded_aes_count_in_any_grade(
    table3_ae, subjects30
):
    """Issue 14 point 1 changed this: an ungraded AE (P30's CRS) used to vanish from every
    row; it now counts in 'Any grade' (25 -> 26) and under 'Grade missing', never in a graded
    column."""
    extra = pd.DataFrame(
        {
            "subject_id": ["P99", "P30"],
            "term": [CRS, CRS],
            "criteria": ["astct-2019"] * 2,
            "grade": pd.array([3, pd.NA], dtype="Int64"),
            "onset": [1.0, 1.0],
        }
    )
    base = build_ae_table(table3_ae, subjects30)
    t = build_ae_table(pd.concat([table3_ae, extra], ignore_index=True), subjects30)
    assert cell(base, CRS, "Any grade")["n"] == 25
    assert cell(t, CRS, "Any grade")["n"] == 26
    assert cell(t, CRS, "Grade >= 3")["n"] == cell(base, CRS, "Grade >= 3")["n"]
    assert cell(t, CRS, "Grade missing")["n"] == 1
    assert t.columns == ("Any grade", "Grade >= 3", "Grade missing")
    assert "Grade missing" not in base.columns
    assert any("not in the subjects table" in n for n in t.notes)
    assert any("without a grade are counted" in n for n in t.notes)


def test_inputs_are_not_mutated(table3_ae, subjects30):
    ae0, s0 = table3_ae.copy(), subjects30.copy()
    build_ae_table(table3_ae, subjects30, TableSpec(soc=True, total=True), by="arm")
    pd.testing.assert_frame_equal(table3_ae, ae0)
    pd.testing.assert_frame_equal(subjects30, s0)


def test_integer_subject_ids_match_string_ids(table3_ae, subjects30):
    ae = table3_ae.assign(subject_id=table3_ae["subject_id"].str[1:].astype(int))
    subj = subjects30.assign(subject_id=subjects30["subject_id"].str[1:].astype(int).astype(str))
    assert cell(build_ae_table(ae, subj), CRS, "Any grade")["n"] == 25


def test_footnote_names_every_system(table3_ae, subjects30):
    foot = " ".join(build_ae_table(table3_ae, subjects30).footnotes)
    assert "CTCAE v5.0" in foot and "ASTCT 2019" in foot
    assert "worst grade" in foot


def test_ard_one_line_per_cell(table3_ae, subjects30):
    t = build_ae_table(table3_ae, subjects30, by="arm")
    ard = t.ard()
    assert ard.columns.tolist() == ["row", "arm", "column", "n", "N", "percent"]
    assert len(ard) == len(t.rows) * 2 * 2
    line = ard[(ard["row"] == CRS) & (ard["arm"] == "B") & (ard["column"] == "Any grade")]
    assert line[["n", "N"]].values.tolist() == [[10, 15]]
    assert line["percent"].item() == pytest.approx(66.667, abs=1e-3)


def test_zero_style_and_decimals(table3_ae, subjects30):
    t = build_ae_table(table3_ae, subjects30, TableSpec(zero="0 (0.0)", decimals=2))
    assert cell(t, CRS, "Any grade")["cell"] == "25 (83.33)"
    assert cell(t, AST, "Grade >= 3")["cell"] == "1 (3.33)"
    t = build_ae_table(table3_ae, subjects30, TableSpec(zero="0 (0.0)"), by="arm")
    assert cell(t, AST, "Any grade", "B")["cell"] == "0 (0.0)"


@pytest.mark.parametrize(
    "value, text",
    [
        (83.33333, "83.3"),
        (6.25, "6.3"),
        (12.5, "12.5"),
        (66.66667, "66.7"),
        (100.0, "100.0"),
        (0.05, "0.1"),
    ],
)
def test_percent_rounds_half_up(value, text):
    assert format_percent(value) == text


def test_format_count():
    assert format_count(25, 30) == "25 (83.3)"
    assert format_count(0, 30) == "0"
    assert format_count(0, 30, zero="0 (0.0)") == "0 (0.0)"


def test_table3_layout_in_text(table3_ae, subjects30):
    spec = TableSpec(
        title="Table 3. Adverse events",
        any_event_row=False,
        rows=[RowSpec(term=CRS), RowSpec(term=ICANS), RowSpec(term=NEUT)],
    )
    text = format_text(build_ae_table(table3_ae, subjects30, spec))
    lines = text.splitlines()
    assert lines[0] == "Table 3. Adverse events"
    assert lines[1].strip() == "Number of patients (N = 30)"
    header = next(x for x in lines if x.startswith("Adverse event"))
    assert re.split(r"\s{2,}", header) == ["Adverse event", "Any grade", "Grade >= 3"]
    body = {
        re.split(r"\s{2,}", x)[0]: re.split(r"\s{2,}", x)[1:]
        for x in lines
        if x.startswith((CRS, ICANS, NEUT))
    }
    assert body == {
        CRS: ["25 (83.3)", "3 (10.0)"],
        ICANS: ["1 (3.3)", "1 (3.3)"],
        NEUT: ["28 (93.3)", "27 (90.0)"],
    }
    # the values line up under their headers
    crs_line = next(x for x in lines if x.startswith(CRS))
    assert crs_line.index("25 (83.3)") == header.index("Any grade")
    assert crs_line.index("3 (10.0)") == header.index("Grade >= 3")


def test_empty_adverse_events(subjects30):
    empty = pd.DataFrame(
        {
            "subject_id": pd.Series(dtype=str),
            "term": pd.Series(dtype=str),
            "criteria": pd.Series(dtype=str),
            "grade": pd.Series(dtype="Int64"),
        }
    )
    t = build_ae_table(empty, subjects30)
    assert t.rows["row"].tolist() == ["Any adverse event"]
    assert cell(t, "Any adverse event", "Any grade")["cell"] == "0"
