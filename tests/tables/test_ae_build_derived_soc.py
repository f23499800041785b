"""Derived CRS, ICANS and lab rows filed under their dictionary SOC (issue 14 point 6)."""

from __future__ import annotations

import pandas as pd

from aegrade.tables import TableSpec, build_ae_table
from aegrade.tables.build import NO_SOC

ICANS = "Immune effector cell-associated neurotoxicity syndrome"


def _table(ae: pd.DataFrame) -> list[tuple[str, ...]]:
    subjects = pd.DataFrame({"subject_id": ["1", "2", "3", "4"]})
    t = build_ae_table(ae, subjects, TableSpec(soc=True)).to_display()
    return [(r[0], r[1]) for r in t.body]


def test_derived_rows_without_a_soc_get_the_dictionary_soc():
    """No soc column (derived records): CRS under Immune system disorders (CTCAE v5.0),
    ICANS under Nervous system disorders (CTCAE v6.0, MedDRA 10083347; not in v5.0), labs
    under their CTCAE v5.0 SOC; nothing is 'System organ class not given'."""
    ae = pd.DataFrame(
        {
            "subject_id": ["1", "2", "1", "3", "4"],
            "term": [
                "Cytokine release syndrome",
                ICANS,
                ICANS,
                "Neutrophil count decreased",
                "Thrombocytopenia",
            ],
            "grade": [2, 3, 1, 4, 3],
            "criteria": ["astct-2019", "astct-2019", "astct-2019", "ctcae-v5.0", "ctcae-v6.0"],
        }
    )
    # SOCs by frequency, then name; before: ICANS under 'System organ class not given'
    assert _table(ae) == [
        ("Any adverse event", "4 (100.0)"),
        ("Nervous system disorders", "2 (50.0)"),
        (ICANS, "2 (50.0)"),
        ("Blood and lymphatic system disorders", "1 (25.0)"),
        ("Thrombocytopenia", "1 (25.0)"),
        ("Immune system disorders", "1 (25.0)"),
        ("Cytokine release syndrome", "1 (25.0)"),
        ("Investigations", "1 (25.0)"),
        ("Neutrophil count decreased", "1 (25.0)"),
    ]
    assert NO_SOC == "System organ class not given"


def test_a_soc_given_in_the_data_still_wins():
    ae = pd.DataFrame(
        {
            "subject_id": ["1", "2"],
            "term": [ICANS, ICANS],
            "grade": [2, 3],
            "soc": ["Psychiatric disorders", None],
        }
    )
    rows = _table(ae)
    # the record without a soc takes the term's most frequent SOC in the data first
    assert ("Psychiatric disorders", "2 (50.0)") in rows
    assert "Nervous system disorders" not in [r[0] for r in rows]


def test_exposure_table_files_derived_rows_the_same_way():
    from aegrade.tables import build_exposure_table

    ae = pd.DataFrame(
        {
            "subject_id": ["1", "2", "2"],
            "term": [ICANS, "Neutrophil count decreased", "Fever"],
            "grade": [3, 2, 1],
            "soc": [None, "", "General disorders and administration site conditions"],
        }
    )
    subjects = pd.DataFrame({"subject_id": ["1", "2"], "exposure_days": [30, 60]})
    rows = [r[0] for r in build_exposure_table(ae, subjects).body]
    assert rows == [
        "Any adverse event",
        "General disorders and administration site conditions",
        "Fever",
        "Investigations",
        "Neutrophil count decreased",
        "Nervous system disorders",
        ICANS,
    ]
