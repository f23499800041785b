"""Counting semantics of the AE table as the peer (tern/chevron) tables count (issue 14, point 1):
uncoded terms under 'No coding available', ungraded AEs in grade-independent columns and as
'Grade missing', SOC per record, patient and event counts in one table."""

from __future__ import annotations

import pandas as pd
import pytest

from aegrade.tables import TableSpec, build_ae_table
from aegrade.tables.spec import ColumnSpec, RowSpec

BLOOD = "Blood and lymphatic system disorders"
INV = "Investigations"


def _ae(rows: list[tuple[str, str | None, str | None, float | None]]) -> pd.DataFrame:
    sid, term, soc, grade = zip(*rows, strict=True)
    return pd.DataFrame(
        {
            "subject_id": list(sid),
            "term": pd.array(term, dtype="string"),
            "soc": pd.array(soc, dtype="string"),
            "criteria": "ctcae-v5.0",
            "grade": pd.array(grade, dtype="Float64"),
        }
    )


SUBJECTS = pd.DataFrame({"subject_id": ["1", "2", "3", "4"], "arm": ["A", "A", "B", "B"]})


def _grid(table) -> dict[tuple[str, str, str], str]:  # type: ignore[no-untyped-def]
    c = table.cells
    keys = table.rows.set_index("row_id")["key"]
    return {
        (keys[r], a, col): cell
        for r, a, col, cell in zip(c["row_id"], c["arm"], c["column"], c["cell"], strict=True)
    }


ALL = "All subjects"


def test_uncoded_records_count_under_no_coding_available():
    """Blanking every term of subject 3 used to drop them from 'Any adverse event' (3 -> 2)."""
    ae = _ae(
        [
            ("1", "Anemia", BLOOD, 2),
            ("2", "Anemia", BLOOD, 3),
            ("3", "", None, 1),
            ("3", None, None, 3),
            ("3", "  ", None, 2),
        ]
    )
    t = build_ae_table(ae, SUBJECTS)
    g = _grid(t)
    assert g["Any adverse event", ALL, "Any grade"] == "3 (75.0)"
    assert g["No coding available", ALL, "Any grade"] == "1 (25.0)"
    assert g["No coding available", ALL, "Grade >= 3"] == "1 (25.0)"
    assert g["Anemia", ALL, "Grade >= 3"] == "1 (25.0)"
    assert any("3 AE record(s) without a term" in n for n in t.notes)


def test_uncoded_label_is_configurable_and_nests_under_its_own_soc():
    ae = _ae([("1", "Anemia", BLOOD, 2), ("3", None, None, 1), ("4", None, INV, 1)])
    t = build_ae_table(ae, SUBJECTS, TableSpec(soc=True, uncoded_label="No Coding Available"))
    g = _grid(t)
    assert g["No Coding Available", ALL, "Any grade"] == "1 (25.0)"  # the SOC row
    assert g["No Coding Available / No Coding Available", ALL, "Any grade"] == "1 (25.0)"
    assert g[f"{INV} / No Coding Available", ALL, "Any grade"] == "1 (25.0)"
    assert g["Any adverse event", ALL, "Any grade"] == "3 (75.0)"


def test_ungraded_records_count_in_any_grade_and_as_grade_missing():
    ae = _ae(
        [
            ("1", "Anemia", BLOOD, 2),
            ("1", "Anemia", BLOOD, None),  # graded elsewhere: worst grade 2, not missing
            ("2", "Anemia", BLOOD, None),  # only ungraded: Any grade and Grade missing
            ("3", "Fever", None, 3),
            ("4", "Fever", None, 0),  # grade 0 is no AE: never counted
        ]
    )
    t = build_ae_table(ae, SUBJECTS, by="arm")
    g = _grid(t)
    assert t.columns == ("Any grade", "Grade >= 3", "Grade missing")
    assert g["Anemia", "A", "Any grade"] == "2 (100.0)"
    assert g["Anemia", "A", "Grade >= 3"] == "0"
    assert g["Anemia", "A", "Grade missing"] == "1 (50.0)"
    assert g["Any adverse event", "A", "Any grade"] == "2 (100.0)"
    assert g["Any adverse event", "A", "Grade missing"] == "1 (50.0)"
    assert g["Fever", "B", "Any grade"] == "1 (50.0)"
    assert g["Fever", "B", "Grade missing"] == "0"


def test_only_columns_over_every_grade_count_ungraded_records():
    ae = _ae([("1", "Anemia", BLOOD, None), ("2", "Anemia", BLOOD, 1)])
    cols = [
        ColumnSpec(label="Any grade", grades=(1, 5)),
        ColumnSpec(label="Grade 1-2", grades=(1, 2)),
        ColumnSpec(label="Grade 5", grades=(5, 5)),
    ]
    t = build_ae_table(ae, SUBJECTS, TableSpec(columns=cols, grade_missing_label=None))
    g = _grid(t)
    assert t.columns == ("Any grade", "Grade 1-2", "Grade 5")
    assert [g["Anemia", ALL, c] for c in t.columns] == ["2 (50.0)", "1 (25.0)", "0"]


def test_ungraded_events_are_counted_per_record():
    ae = _ae([("1", "Anemia", BLOOD, None)] * 2 + [("1", "Anemia", BLOOD, 3)])
    t = build_ae_table(ae, SUBJECTS, TableSpec(count="events"))
    g = _grid(t)
    assert [g["Anemia", ALL, c] for c in t.columns] == ["3", "1", "2"]


def test_soc_is_taken_per_record_and_a_term_is_listed_under_each_soc():
    """Anemia coded to two SOCs used to be filed under its most frequent one only."""
    ae = _ae(
        [
            ("1", "Anemia", BLOOD, 3),
            ("2", "Anemia", BLOOD, 1),
            ("3", "Anemia", INV, 2),
            ("3", "Platelet count decreased", INV, 4),
            ("4", "Platelet count decreased", None, 1),  # SOC from the term's other records
        ]
    )
    t = build_ae_table(ae, SUBJECTS, TableSpec(soc=True))
    g = _grid(t)
    assert g[f"{BLOOD} / Anemia", ALL, "Any grade"] == "2 (50.0)"
    assert g[f"{INV} / Anemia", ALL, "Any grade"] == "1 (25.0)"
    assert g[f"{INV} / Anemia", ALL, "Grade >= 3"] == "0"
    assert g[INV, ALL, "Any grade"] == "2 (50.0)"
    assert g[INV, ALL, "Grade >= 3"] == "1 (25.0)"
    assert g[BLOOD, ALL, "Any grade"] == "2 (50.0)"
    assert g[f"{INV} / Platelet count decreased", ALL, "Any grade"] == "2 (50.0)"
    assert t.rows["key"].tolist() == [
        "Any adverse event",
        BLOOD,
        f"{BLOOD} / Anemia",
        INV,
        f"{INV} / Platelet count decreased",
        f"{INV} / Anemia",
    ]


def test_a_listed_row_is_split_by_soc_too():
    ae = _ae([("1", "Anemia", BLOOD, 3), ("3", "Anemia", INV, 2)])
    spec = TableSpec(soc=True, rows=[RowSpec(term="Anemia")], any_event_row=False)
    t = build_ae_table(ae, SUBJECTS, spec)
    assert t.rows["key"].tolist() == [BLOOD, f"{BLOOD} / Anemia", INV, f"{INV} / Anemia"]


def test_patients_and_events_in_one_table():
    ae = _ae(
        [
            ("1", "Anemia", BLOOD, 3),
            ("1", "Anemia", BLOOD, 1),
            ("2", "Anemia", BLOOD, 1),
            ("3", "Platelet count decreased", INV, 4),
            ("3", "Platelet count decreased", INV, 2),
            ("3", "Platelet count decreased", INV, 1),
        ]
    )
    t = build_ae_table(ae, SUBJECTS, TableSpec(soc=True, count="both"), by="arm")
    g = _grid(t)
    top = "Total number of patients with at least one adverse event"
    assert t.rows["key"].tolist() == [
        top,
        "Total number of events",
        BLOOD,
        f"{BLOOD} / Total number of events",
        f"{BLOOD} / Anemia",
        INV,
        f"{INV} / Total number of events",
        f"{INV} / Platelet count decreased",
    ]
    assert g[top, "A", "Any grade"] == "2 (100.0)"
    assert g["Total number of events", "A", "Any grade"] == "3"
    assert g["Total number of events", "A", "Grade >= 3"] == "1"
    assert g["Total number of events", "B", "Any grade"] == "3"
    assert g[f"{INV} / Total number of events", "B", "Grade >= 3"] == "1"
    assert g[f"{INV} / Platelet count decreased", "B", "Any grade"] == "1 (50.0)"
    ev = t.cells[t.cells["level"] == "events"]
    assert ev["percent"].isna().all()
    assert t.to_display().groups[0] == ("A (N = 2)", 2)


@pytest.mark.parametrize("count", ["subjects", "events", "both"])
def test_no_record_is_lost_whatever_the_count(count):
    ae = _ae([("1", None, None, None), ("2", "Anemia", BLOOD, None)])
    t = build_ae_table(ae, SUBJECTS, TableSpec(count=count))
    any_row = t.cells[(t.cells["level"] == "any") & (t.cells["column"] == "Any grade")]
    assert any_row["n"].item() == 2
