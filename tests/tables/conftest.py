"""Fixtures for the table tests: the 30-patient Table 3 study."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.tables._frames import ALT, AST, CRS, ICANS, NEUT, ae_frame


@pytest.fixture
def subjects30() -> pd.DataFrame:
    """30 patients, P01..P30; arms A (P01-P15) and B (P16-P30)."""
    ids = [f"P{i:02d}" for i in range(1, 31)]
    return pd.DataFrame(
        {
            "subject_id": ids,
            "arm": ["A"] * 15 + ["B"] * 15,
            "best_response": ["CR"] * 20 + ["PR"] * 5 + ["NR"] * 5,
        }
    )


@pytest.fixture
def table3_ae() -> pd.DataFrame:
    """The Yin et al. Table 3 shape: N = 30.

    CRS (astct-2019): 25 patients, grade 3 in 3 of them (P01-P03), P04 has a second milder
    episode. Neutropenia (ctcae-v5.0): 28 patients, grade 4 in 27 (P01-P27), grade 2 in P28.
    ALT: P01 grade 1 and grade 3 (two episodes); AST: P01 grade 2, P02 grade 4.
    ICANS: P05 grade 5 (a 'Grade 3-4' column leaves it out).
    P29 and P30 have no adverse event at all.
    """
    rows = []
    for i in range(1, 26):
        rows.append((f"P{i:02d}", CRS, "astct-2019", 3 if i <= 3 else 1, float(i % 5 + 1)))
    rows.append(("P04", CRS, "astct-2019", 2, 9.0))
    for i in range(1, 29):
        rows.append((f"P{i:02d}", NEUT, "ctcae-v5.0", 4 if i <= 27 else 2, 3.0))
    rows += [
        ("P01", ALT, "ctcae-v5.0", 1, 2.0),
        ("P01", ALT, "ctcae-v5.0", 3, 8.0),
        ("P01", AST, "ctcae-v5.0", 2, 2.0),
        ("P02", AST, "ctcae-v5.0", 4, 5.0),
        ("P05", ICANS, "astct-2019", 5, 6.0),
    ]
    return ae_frame(rows)
