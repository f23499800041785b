"""compare_versions: every kind of change, the term mapping, counts, driving rows and tables."""

from __future__ import annotations

import pandas as pd
import pytest

import aegrade
from aegrade.compare import CHANGES
from tests.conftest import EXAMPLES


def _obs(rows: list[tuple[str, str, float, float | None, float | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "subject_id": [r[0] for r in rows],
            "day": list(range(1, len(rows) + 1)),
            "parameter": [r[1] for r in rows],
            "value": [r[2] for r in rows],
            "unit": [
                {"PLAT": "10^9/L", "NEUT": "10^9/L", "LYM": "10^9/L", "CK": "U/L"}.get(
                    r[1], "mmol/L"
                )
                for r in rows
            ],
            "lln": [r[3] for r in rows],
            "uln": [r[4] for r in rows],
        }
    )


@pytest.fixture(scope="module")
def comparison() -> aegrade.VersionComparison:
    obs = _obs(
        [
            ("S1", "PLAT", 20.0, 150.0, 400.0),  # v5 <25 grade 4 -> v6 <50 - 10 grade 3
            ("S2", "PLAT", 60.0, 150.0, 400.0),  # grade 2 both: renamed only
            ("S3", "NEUT", 1.7, 2.0, 7.5),  # v5 <LLN grade 1 -> v6 >= 1500 grade 0
            ("S4", "LYM", 0.7, 1.0, 4.0),  # v5 grade 2 -> v6 Lymphopenia not value-graded
            ("S5", "GLUCFAST", 9.5, 3.9, 5.6),  # v5 not graded high -> v6 fasting >8.9 grade 2
            ("S6", "PLAT", 200.0, 150.0, 400.0),  # grade 0 both: nothing to report
            ("S7", "SODIUM", 129.5, 135.0, 145.0),  # v5 grade 1 -> v6 '125 - <130' grade 3
        ]
    )
    return aegrade.compare_versions(obs, "ctcae-v5.0", "ctcae-v6.0")


def test_every_kind_of_change(comparison: aegrade.VersionComparison) -> None:
    got = comparison.changes.set_index("subject_id")
    assert got.loc["S1", ["term_a", "term_b", "grade_a", "grade_b", "change"]].tolist() == [
        "Platelet count decreased",
        "Thrombocytopenia",
        4,
        3,
        "grade down",
    ]
    assert bool(got.loc["S1", "renamed"])
    assert got.loc["S2", ["grade_a", "grade_b", "change"]].tolist() == [2, 2, "term renamed"]
    assert got.loc["S3", ["grade_a", "grade_b", "change"]].tolist() == [1, 0, "grade down"]
    assert got.loc["S4", "change"] == "no longer graded"
    assert got.loc["S4", "term_b"] == "Lymphopenia" and pd.isna(got.loc["S4", "grade_b"])
    s5 = got.loc["S5"]
    assert (s5["term_b"], s5["change"], s5["grade_b"]) == ("Hyperglycemia", "newly graded", 2)
    assert pd.isna(s5["term_a"]) and pd.isna(s5["grade_a"])
    assert got.loc["S7", ["grade_a", "grade_b", "change"]].tolist() == [1, 3, "grade up"]
    assert "S6" not in got.index
    assert set(comparison.changes["change"]) == set(CHANGES)


def test_counts_per_term(comparison: aegrade.VersionComparison) -> None:
    counts = comparison.counts.set_index(["term_a", "term_b"])
    plat = counts.loc[("Platelet count decreased", "Thrombocytopenia")]
    assert plat[list(CHANGES)].tolist() == [1, 0, 1, 0, 0]
    assert plat["subjects"] == 2
    assert counts.loc[("-", "Hyperglycemia"), "newly graded"] == 1
    assert counts["subjects"].sum() == len(comparison.changes)


def test_drivers_are_the_rows_at_the_worst_grade(comparison: aegrade.VersionComparison) -> None:
    d = comparison.drivers
    s1 = d[d["subject_id"] == "S1"]
    assert s1[["version", "term", "grade", "parameter", "value"]].values.tolist() == [
        ["ctcae-v5.0", "Platelet count decreased", 4, "PLAT", 20.0],
        ["ctcae-v6.0", "Thrombocytopenia", 3, "PLAT", 20.0],
    ]
    assert s1["rule"].tolist() == [
        "ctcae-v5.0/platelet-count-decreased/4",
        "ctcae-v6.0/thrombocytopenia/3",
    ]
    # a grade of 0 drove nothing: S3 has only its v5.0 row
    assert d.loc[d["subject_id"] == "S3", "version"].tolist() == ["ctcae-v5.0"]


def test_tables_render(comparison: aegrade.VersionComparison) -> None:
    counts, subjects, drivers = comparison.tables()
    assert counts.columns == (*CHANGES, "subjects")
    assert ("Platelet count decreased -> Thrombocytopenia", "1", "0", "1", "0", "0", "2") in (
        counts.body
    )
    assert ("S4", "Lymphocyte count decreased", "2", "Lymphopenia", "-", "no longer graded") in (
        subjects.body
    )
    assert len(drivers.body) == len(comparison.drivers)


def test_the_same_version_changes_nothing() -> None:
    obs = _obs([("S1", "PLAT", 20.0, 150.0, 400.0)])
    c = aegrade.compare_versions(obs, "5.0", "ctcae-v5.0")
    assert c.changes.empty and c.counts.empty and c.drivers.empty
    assert [len(t.body) for t in c.tables()] == [0, 0, 0]


def test_example_study_v5_to_v6() -> None:
    c = aegrade.compare_versions(EXAMPLES / "blinatumomab_short_course.xlsx")
    assert (c.a, c.b) == ("ctcae-v5.0", "ctcae-v6.0")
    assert c.changes["change"].value_counts().to_dict() == {
        "grade down": 48,
        "no longer graded": 30,
        "term renamed": 7,
        "grade up": 7,
    }
    counts = c.counts.set_index(["term_a", "term_b"])["subjects"].to_dict()
    assert counts == {
        ("Lymphocyte count decreased", "Lymphopenia"): 30,
        ("Neutrophil count decreased", "Neutrophil count decreased"): 27,
        ("Hypertension", "Hypertension"): 24,
        ("Platelet count decreased", "Thrombocytopenia"): 8,
        ("Creatinine increased", "Creatinine increased"): 2,
        ("Alanine aminotransferase increased", "Alanine aminotransferase increased"): 1,
    }


def test_example_study_hypertension_changes_follow_the_v6_text() -> None:
    """The 24 Hypertension changes are v6.0's: grade 1 deleted ('Deletion: Grade 1'), and
    grade 3 gained 'SBP >140 and plus either increase in SBP >20 mmHg ... from baseline'."""
    c = aegrade.compare_versions(EXAMPLES / "blinatumomab_short_course.xlsx")
    htn = c.changes[c.changes["term_a"] == "Hypertension"]
    pairs = htn.groupby(["grade_a", "grade_b", "change"]).size().to_dict()
    assert pairs == {(1, 0, "grade down"): 18, (2, 3, "grade up"): 6}
    assert not htn["renamed"].any()
    up = c.drivers[(c.drivers["term"] == "Hypertension") & (c.drivers["change"] == "grade up")]
    v6 = up[up["version"] == "ctcae-v6.0"]
    assert set(v6["rule"]) == {"ctcae-v6.0/hypertension-systolic/3.3"}
    assert ((v6["parameter"] == "SYSBP") & (v6["value"] > 140) & (v6["value"] < 160)).all()
    down = c.drivers[(c.drivers["term"] == "Hypertension") & (c.drivers["change"] == "grade down")]
    assert set(down["version"]) == {"ctcae-v5.0"}
    assert down["rule"].str.endswith("/1").all()


def test_nci_renames_of_value_graded_terms_are_renames() -> None:
    """NCI's v5.0 -> v6.0 mapping: 'Ejection fraction decreased' -> 'Left ventricular
    dysfunction', 'Proteinuria' -> 'Urinary protein increased': one subject-term each, never
    'no longer graded' plus 'newly graded'."""
    obs = pd.DataFrame(
        {
            "subject_id": ["E1", "E1", "E2", "E2", "E3", "E3", "P1", "P2"],
            "day": [0, 14, 0, 14, 0, 14, 14, 14],
            "parameter": ["LVEF"] * 6 + ["UPROT"] * 2,
            "value": [60.0, 45.0, 60.0, 35.0, 52.0, 48.0, 1.2, 0.5],
            "unit": ["%"] * 6 + ["g/24h"] * 2,
            "uln": [None] * 6 + [0.15, 0.15],
        }
    )
    c = aegrade.compare_versions(obs, "5.0", "6.0")
    got = c.changes.set_index("subject_id")
    assert len(got) == 5 and got["renamed"].all()
    ef = ("Ejection fraction decreased", "Left ventricular dysfunction")
    protein = ("Proteinuria", "Urinary protein increased")
    assert got.loc["E1", ["term_a", "term_b", "grade_a", "grade_b", "change"]].tolist() == [
        *ef,
        2,
        2,
        "term renamed",
    ]
    assert got.loc["E2", ["grade_a", "grade_b", "change"]].tolist() == [3, 3, "term renamed"]
    # v5.0 'Resting EF 50 - 40%' grade 2; v6.0 'LVEF 40 - 49% AND ... LVEF reduction by >=10%'
    # needs a 10-point drop (4 here): grade 0
    assert got.loc["E3", ["term_b", "grade_a", "grade_b", "change"]].tolist() == [
        ef[1],
        2,
        0,
        "grade down",
    ]
    assert got.loc["P1", ["term_a", "term_b", "grade_a", "grade_b"]].tolist() == [*protein, 2, 2]
    assert got.loc["P2", ["grade_a", "grade_b", "change"]].tolist() == [1, 1, "term renamed"]
    assert not set(got["change"]) & {"no longer graded", "newly graded"}
    counts = c.counts.set_index(["term_a", "term_b"])
    assert counts.loc[ef, "subjects"] == 3 and counts.loc[protein, "term renamed"] == 2
