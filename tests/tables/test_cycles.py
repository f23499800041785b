"""Counts by cycle (issue 14 point 4)."""

from __future__ import annotations

import pandas as pd
import pytest

from aegrade.tables import TableSpecError, build_cycle_table


def test_cycle_counts_worst_grade_per_cycle_and_direction():
    obs = pd.DataFrame(
        {
            "subject_id": ["1", "1", "1", "2", "2", "3", "3"],
            "cycle": [1, 1, 2, 1, 2, 1, None],
            "term_low": ["Anemia", "Anemia", "Anemia", "Anemia", "Anemia", None, "Anemia"],
            "grade_low": pd.array([0, 3, 0, 1, None, None, 4], dtype="Int64"),
            "term_high": [None, None, None, None, None, "Hyperkalemia", None],
            "grade_high": pd.array([None, None, None, None, None, 2, None], dtype="Int64"),
        }
    )
    t = build_cycle_table(obs, min_grade=3)
    assert t.columns == ("Cycle 1", "Cycle 2")
    assert [list(r) for r in t.body] == [
        ["Anemia", "1 (50.0)", "0"],  # cycle 2: patient 2 ungraded, patient 3 has no cycle
        ["Hyperkalemia", "0", "-"],
    ]
    ard = t.ard.set_index(["row", "column"])
    assert ard.loc[("Anemia", "Cycle 2"), "N"] == 1
    assert build_cycle_table(obs).body[1][1] == "1 (100.0)"


def test_cycle_table_needs_cycle():
    with pytest.raises(TableSpecError, match="cycle"):
        build_cycle_table(pd.DataFrame({"subject_id": ["1"]}))
