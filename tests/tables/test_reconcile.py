"""Reconciliation listing (issue 14 point 7): one row per finding, cells by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from aegrade.tables import TableSpecError, build_reconciliation

CRS = "Cytokine release syndrome"


def _ae():
    rows = [
        # patient 1: derived grade 3 anemia days 5-9, reported grade 2 on day 12 (in window)
        ("1", "Anemia", 3, "derived", "ctcae-v5.0", 5.0, 9.0, None),
        ("1", "Anemia", 2, "clinician", "ctcae-v5.0", 12.0, None, None),
        # patient 2: derived grade 4 neutropenia, reported 30 days later: not a match
        ("2", "Neutrophil count decreased", 4, "derived", "ctcae-v5.0", 3.0, 6.0, "10029366"),
        ("2", "Neutrophil count decreased", 4, "clinician", "ctcae-v5.0", 40.0, None, None),
        # patient 3: derived grade 3 matched by MedDRA code under another spelling, same grade
        ("3", "Platelet count decreased", 3, "derived", "ctcae-v5.0", 2.0, 4.0, "10035528"),
        ("3", "Platelets decreased", 3, "clinician", "ctcae-v5.0", 1.0, None, "10035528"),
        # patient 4: grade 2 derived, unreported: below the threshold
        ("4", "Anemia", 2, "derived", "ctcae-v5.0", 2.0, 4.0, None),
        # CRS: patient 1 by two systems and reported; patient 5 systems agree
        ("1", CRS, 2, "derived", "astct-2019", 1.0, 3.0, None),
        ("1", CRS, 3, "derived", "lee-2014", 1.0, 3.0, None),
        ("1", CRS, 1, "clinician", "ctcae-v5.0", 1.0, None, None),
        ("5", CRS, 1, "derived", "astct-2019", 1.0, 2.0, None),
        ("5", CRS, 1, "derived", "lee-2014", 1.0, 2.0, None),
    ]
    cols = ["subject_id", "term", "grade", "source", "criteria", "onset", "end", "meddra_code"]
    return pd.DataFrame(rows, columns=cols)


def test_one_row_per_finding():
    t = build_reconciliation(_ae())
    assert t.columns == ("Finding", "Term", "Derived system", "Derived", "Reported", "Detail")
    # patient 3 is matched by MedDRA code at the same grade: no finding; patient 4 is below 3
    assert [list(r) for r in t.body] == [
        ["1", "CRS systems differ", CRS, "", "", "1", "ASTCT 2019: 2, Lee 2014: 3"],
        ["1", "grade differs", "Anemia", "CTCAE v5.0", "3 (days 5-9)", "2 (day 12)", ""],
        ["1", "grade differs", CRS, "ASTCT 2019", "2 (days 1-3)", "1 (day 1)", ""],
        ["1", "grade differs", CRS, "Lee 2014", "3 (days 1-3)", "1 (day 1)", ""],
        [
            "2",
            "grade >= 3 not reported",
            "Neutrophil count decreased",
            "CTCAE v5.0",
            "4 (days 3-6)",
            "",
            "",
        ],
        ["5", "CRS by system", CRS, "", "", "", "ASTCT 2019: 1, Lee 2014: 1"],
    ]


def test_threshold_and_window_options():
    t = build_reconciliation(_ae(), threshold=2, window=40)
    found = {(r[0], r[1], r[2]) for r in t.body}
    assert ("4", "grade >= 2 not reported", "Anemia") in found
    assert not any(r[0] == "2" and "not reported" in r[1] for r in t.body)  # now matched
    with pytest.raises(TableSpecError, match="threshold"):
        build_reconciliation(_ae(), threshold=0)


# --------------------------------------------------------------------------- synonyms


def _pair(derived: str, reported: str, *, day: float = 5.0, grade: int = 3) -> pd.DataFrame:
    """Patient 1: a derived grade-4 AE on days 3-6 and a reported AE on ``day``."""
    return pd.DataFrame(
        {
            "subject_id": ["1", "1"],
            "term": [derived, reported],
            "grade": [4, grade],
            "source": ["derived", "clinician"],
            "criteria": ["ctcae-v5.0", "ctcae-v5.0"],
            "onset": [3.0, day],
            "end": [6.0, None],
        }
    )


_NOT_REPORTED = "grade >= 3 not reported"


def _found(t) -> list[tuple[str, ...]]:  # type: ignore[no-untyped-def]
    """(patient, finding, term) of every finding but the CRS-by-system rows."""
    return [r[:3] for r in t.body if not r[1].startswith("CRS")]


ICANS_FULL = "Immune effector cell-associated neurotoxicity syndrome"


@pytest.mark.parametrize(
    ("derived", "reported"),
    [
        ("Neutrophil count decreased", "Neutropenia"),
        ("Neutrophil count decreased", "neutropenia "),
        ("Platelet count decreased", "Thrombocytopenia"),
        ("White blood cell decreased", "Leukopenia"),
        ("White blood cell decreased", "Leucopenia"),
        ("Lymphocyte count decreased", "Lymphopenia"),
        ("Anemia", "Anaemia"),
        ("Anemia", "Haemoglobin decreased"),
        ("Alanine aminotransferase increased", "ALT increased"),
        ("Alanine aminotransferase increased", "Transaminases increased"),
        ("Aspartate aminotransferase increased", "Hepatic enzyme increased"),
        ("Aspartate aminotransferase increased", "AST increased"),
        ("Blood bilirubin increased", "Hyperbilirubinaemia"),
        ("Hypokalemia", "Hypokalaemia"),
        ("Hypokalemia", "Blood potassium decreased"),
        ("Hyponatremia", "Hyponatraemia"),
        ("Cytokine release syndrome", "CRS"),
        (ICANS_FULL, "ICANS"),
        (ICANS_FULL, "Immune effector cell associated neurotoxicity syndrome"),
    ],
)
def test_a_synonym_reported_in_the_window_is_a_match(derived, reported):
    """(issue 14 point 7) The finding disappears when the synonym is reported in the window
    at the derived grade, and stays with exact matching, or when the report is outside it."""
    assert _found(build_reconciliation(_pair(derived, reported, grade=4))) == []
    exact = build_reconciliation(_pair(derived, reported, grade=4), synonyms=False)
    assert _found(exact) == [("1", _NOT_REPORTED, derived)]
    late = build_reconciliation(_pair(derived, reported, grade=4, day=14.0))  # end 6 + 7 days
    assert _found(build_reconciliation(_pair(derived, reported, grade=4, day=13.0))) == []
    assert _found(late) == [("1", _NOT_REPORTED, derived)]


@pytest.mark.parametrize(
    ("derived", "reported"),
    [
        ("Alanine aminotransferase increased", "AST increased"),  # ALT and AST stay apart
        ("Aspartate aminotransferase increased", "Alanine aminotransferase increased"),
        ("Neutrophil count decreased", "Febrile neutropenia"),  # a CTCAE term of its own
        ("Neutrophil count decreased", "Leukopenia"),
        ("Platelet count decreased", "Anemia"),
        ("Hypokalemia", "Hyperkalemia"),
        (ICANS_FULL, "Neurotoxicity"),
        ("Cytokine release syndrome", "Cytokine storm"),
    ],
)
def test_a_different_adverse_event_is_no_match(derived, reported):
    t = build_reconciliation(_pair(derived, reported, grade=4))
    assert _found(t) == [("1", _NOT_REPORTED, derived)]


def test_a_synonym_at_another_grade_is_listed_with_the_reported_term():
    t = build_reconciliation(_pair("Neutrophil count decreased", "Neutropenia", grade=3))
    assert [list(r) for r in t.body] == [
        [
            "1",
            "grade differs",
            "Neutrophil count decreased",
            "CTCAE v5.0",
            "4 (days 3-6)",
            "3 (day 5)",
            "reported as 'Neutropenia'",
        ]
    ]
    assert "(or MedDRA code, spelling or synonym)" in t.footnotes[0]
    exact = build_reconciliation(
        _pair("Neutrophil count decreased", "Neutropenia", grade=3), synonyms=False
    )
    assert "(or MedDRA code)," in exact.footnotes[0]


def test_a_reported_crs_abbreviation_joins_the_crs_row():
    ae = pd.DataFrame(
        {
            "subject_id": ["1", "1", "1"],
            "term": [CRS, CRS, "CRS"],
            "grade": [2, 3, 2],
            "source": ["derived", "derived", "clinician"],
            "criteria": ["astct-2019", "lee-2014", None],
            "onset": [1.0, 1.0, 1.0],
            "end": [3.0, 3.0, None],
        }
    )
    rows = [r for r in build_reconciliation(ae, threshold=4).body if r[1].startswith("CRS")]
    assert [list(r) for r in rows] == [
        ["1", "CRS systems differ", CRS, "", "", "2", "ASTCT 2019: 2, Lee 2014: 3"]
    ]
    exact = build_reconciliation(ae, threshold=4, synonyms=False).body
    assert [r[5] for r in exact if r[1].startswith("CRS")] == [""]  # 'CRS' is not CRS


def test_no_finding_is_an_empty_listing():
    t = build_reconciliation(_pair("Anemia", "Anemia", grade=4))
    assert t.body == () and t.columns[0] == "Finding"
