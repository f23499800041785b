"""AE table layout options of the NEST peer tables (issue 14): grades as rows (AET04), SOC
counts under a label row (AET02/AET04), the labels of the events rows."""

from __future__ import annotations

import pandas as pd
import pytest

from aegrade.tables import TableSpec, TableSpecError, build_ae_table, load_table_spec

AE = pd.DataFrame(
    {
        "subject_id": ["1", "1", "2", "3", "3"],
        "term": ["Nausea", "Nausea", "Nausea", "Rash", "Nausea"],
        "soc": ["GI", "GI", "GI", "Skin", "GI"],
        "grade": [1, 3, 2, 1, None],
    }
)
SUBJECTS = pd.DataFrame({"subject_id": ["1", "2", "3", "4"], "arm": ["A", "A", "B", "B"]})
COLUMNS = [
    {"label": "Any", "grades": [1, 5]},
    {"label": "Grade 1-2", "grades": [1, 2]},
    {"label": "Grade 3-4", "grades": [3, 4]},
    {"label": "Grade 5", "grades": 5},
]


def _body(spec: TableSpec) -> list[tuple[str, ...]]:
    return list(build_ae_table(AE, SUBJECTS, spec).to_display().body)


def test_grade_rows_put_each_grade_group_on_a_row_with_one_column_per_arm() -> None:
    spec = load_table_spec({"by": "arm", "columns": COLUMNS, "grade_rows": True})
    t = build_ae_table(AE, SUBJECTS, spec).to_display()
    assert t.columns == ("A (N = 2)", "B (N = 2)")
    assert t.groups == ()
    assert list(t.body) == [
        ("Any adverse event", "", ""),
        ("Any", "2 (100.0)", "1 (50.0)"),
        ("Grade 1-2", "1 (50.0)", "1 (50.0)"),  # patient 3: Rash 1 (Nausea ungraded)
        ("Grade 3-4", "1 (50.0)", "0"),
        # 'Grade 5' is zero in both arms: left out; 'Grade missing' is a column too
        ("Nausea", "", ""),
        ("Any", "2 (100.0)", "1 (50.0)"),
        ("Grade 1-2", "1 (50.0)", "0"),
        ("Grade 3-4", "1 (50.0)", "0"),
        ("Grade missing", "0", "1 (50.0)"),
        ("Rash", "", ""),
        ("Any", "0", "1 (50.0)"),
        ("Grade 1-2", "0", "1 (50.0)"),
    ]
    assert t.indent == (0, 1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1)
    assert "Grade rows without a patient in any arm are not shown." in t.footnotes


def test_grade_rows_keep_the_ard_of_every_cell() -> None:
    spec = load_table_spec({"by": "arm", "columns": COLUMNS, "grade_rows": True})
    ard = build_ae_table(AE, SUBJECTS, spec).to_display().ard
    assert ard is not None
    five = ard[(ard["row"] == "Rash") & (ard["column"] == "Grade 5")]
    assert five[["arm", "n", "N"]].values.tolist() == [["A", 0, 2], ["B", 0, 2]]


def test_soc_total_label_moves_the_soc_counts_under_a_label_row() -> None:
    label = "Total number of patients with at least one adverse event"
    plain = _body(TableSpec(by="arm", soc=True))
    moved = build_ae_table(
        AE, SUBJECTS, TableSpec(by="arm", soc=True, soc_total_label=label)
    ).to_display()
    gi = next(r for r in plain if r[0] == "GI")
    at = list(moved.body).index(("GI", "", "", "", "", "", ""))
    assert moved.body[at + 1] == (label, *gi[1:])
    assert moved.indent[at : at + 3] == (0, 1, 1)
    assert moved.emphasis[at : at + 2] == (True, False)
    assert len(moved.body) == len(plain) + 2  # one more row per SOC


def test_soc_total_label_in_grade_rows_is_a_label_row_over_the_grades() -> None:
    spec = load_table_spec(
        {
            "by": "arm",
            "soc": True,
            "grade_rows": True,
            "soc_total_label": "- Overall -",
            "columns": COLUMNS[:2],
            "grade_missing_label": "",
        }
    )
    t = build_ae_table(AE, SUBJECTS, spec).to_display()
    at = list(t.body).index(("Skin", "", ""))
    assert list(t.body[at : at + 4]) == [
        ("Skin", "", ""),
        ("- Overall -", "", ""),
        ("Any", "0", "1 (50.0)"),
        ("Grade 1-2", "0", "1 (50.0)"),
    ]
    assert t.indent[at : at + 4] == (0, 1, 2, 2)


def test_events_labels() -> None:
    spec = TableSpec(
        by="arm",
        soc=True,
        count="both",
        events_label="Number of events",
        overall_events_label="Overall total number of events",
    )
    t = build_ae_table(AE, SUBJECTS, spec)
    labels = [r[0] for r in t.to_display().body]
    assert labels[:2] == [
        "Total number of patients with at least one adverse event",
        "Overall total number of events",
    ]
    assert labels.count("Number of events") == 2  # one per SOC
    assert "Number of events: every AE record (episode) of the rows above." in t.footnotes
    default = [
        r[0] for r in build_ae_table(AE, SUBJECTS, TableSpec(count="both")).to_display().body
    ]
    assert default[1] == "Total number of events"


def test_grade_rows_refuse_risk_differences() -> None:
    with pytest.raises(TableSpecError, match="grade_rows"):
        load_table_spec({"by": "arm", "grade_rows": True, "risk_difference": ["A", "B"]})
