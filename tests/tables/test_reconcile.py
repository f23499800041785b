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
