"""Hand-made AE frames for the table tests (the CRS engine is built elsewhere)."""

from __future__ import annotations

import pandas as pd

CRS = "Cytokine release syndrome"
ICANS = "Immune effector cell-associated neurotoxicity syndrome"
NEUT = "Neutrophil count decreased"
ALT = "Alanine aminotransferase increased"
AST = "Aspartate aminotransferase increased"


def ae_frame(rows: list[tuple]) -> pd.DataFrame:
    """Rows of (subject_id, term, criteria, grade, onset)."""
    df = pd.DataFrame(rows, columns=["subject_id", "term", "criteria", "grade", "onset"])
    df["grade"] = df["grade"].astype("Int64")
    df["end"] = df["onset"] + 2
    return df
