"""Lab tables by arm (issue 14 point 3): worst post-baseline grade per test and direction
(LBT07 layout) and the shift table's baseline graded against the normal range."""

from __future__ import annotations

import pandas as pd
import pytest

from aegrade import grade
from aegrade.tables import (
    TableSpecError,
    baseline_against_normal_range,
    build_lab_worst_table,
    build_shift_table,
)


def _obs(rows):
    return pd.DataFrame(
        rows, columns=["subject_id", "day", "parameter", "value", "unit", "lln", "uln"]
    )


@pytest.fixture
def graded():
    """ALT 2 x ULN at baseline in patient 1 (abnormal baseline: CTCAE v5.0 then grades by
    multiples of baseline), normal baseline in patients 2 and 3; patient 4 has no baseline."""
    frame = _obs(
        [
            ("1", 0, "ALT", 80.0, "U/L", 0.0, 40.0),
            ("1", 7, "ALT", 130.0, "U/L", 0.0, 40.0),  # 1.6 x baseline: grade 1
            ("2", 0, "ALT", 30.0, "U/L", 0.0, 40.0),
            ("2", 7, "ALT", 700.0, "U/L", 0.0, 40.0),  # 17.5 x ULN: grade 3
            ("3", 0, "ALT", 30.0, "U/L", 0.0, 40.0),
            ("3", 7, "ALT", 30.0, "U/L", 0.0, 40.0),
            ("4", 7, "ALT", 100.0, "U/L", 0.0, 40.0),  # 2.5 x ULN: grade 1
            ("1", 0, "NEUT", 2.0, "10^9/L", 1.8, 7.5),
            ("1", 5, "NEUT", 0.4, "10^9/L", 1.8, 7.5),  # grade 4
            ("3", 5, "NEUT", 1.2, "10^9/L", 1.8, 7.5),  # grade 2
        ]
    )
    return grade(frame).graded_observations


@pytest.fixture
def subjects():
    return pd.DataFrame({"subject_id": ["1", "2", "3", "4", "5"], "arm": list("AABBB")})


def test_baseline_graded_against_normal_range(graded):
    as_graded = graded.loc[(graded["parameter"] == "ALT") & (graded["day"] == 0), "grade_high"]
    assert as_graded.tolist() == [0, 0, 0]  # 2 x ULN compared with itself: grade 0
    fixed = baseline_against_normal_range(graded)
    base = fixed.loc[(fixed["parameter"] == "ALT") & (fixed["day"] == 0), "grade_high"]
    assert base.tolist() == [1, 0, 0]  # >ULN - 3.0 x ULN
    post = fixed.loc[fixed["day"] > 0, "grade_high"]
    assert post.tolist() == graded.loc[graded["day"] > 0, "grade_high"].tolist()


def test_shift_baseline_row_from_normal_range_and_missing_baseline_row(graded, subjects):
    t = build_shift_table(graded, terms=["Alanine aminotransferase increased"])
    rows = {r[0]: list(r[1:]) for r in t.body}
    assert rows["Baseline grade 1"] == ["0", "1 (100.0)", "0", "0", "0", "1"]
    assert rows["Baseline grade 0"] == ["1 (50.0)", "0", "0", "1 (50.0)", "0", "2"]
    assert rows["Baseline missing"] == ["0", "1 (100.0)", "0", "0", "0", "1"]
    old = build_shift_table(
        graded, terms=["Alanine aminotransferase increased"], baseline="as-graded"
    )
    assert {r[0] for r in old.body} == {
        "Alanine aminotransferase increased",
        "Baseline grade 0",
        "Baseline missing",
    }
    assert any("normal range" in f for f in t.footnotes)
    by_arm = build_shift_table(
        graded, terms=["Alanine aminotransferase increased"], subjects=subjects, by="arm"
    )
    assert by_arm.groups == (("A (N = 2)", 6), ("B (N = 3)", 6))
    cells = {r[0]: list(r[1:]) for r in by_arm.body}
    assert cells["Baseline grade 1"] == ["0", "1 (100.0)", "0", "0", "0", "1"] + ["0"] * 5 + ["0"]
    assert cells["Baseline missing"][6:] == ["0", "1 (100.0)", "0", "0", "0", "1"]
    with pytest.raises(TableSpecError, match="baseline"):
        build_shift_table(graded, baseline="itself")  # type: ignore[arg-type]


def test_lab_worst_table_by_arm(graded, subjects):
    t = build_lab_worst_table(graded, subjects=subjects, by="arm")
    assert t.columns == ("A (N = 2)", "B (N = 3)")
    rows = [(r[0], *r[1:]) for r in t.body]
    alt = rows.index(("Alanine aminotransferase increased", "", ""))
    assert rows[alt - 1] == ("ALT", "", "")
    assert rows[alt + 1 : alt + 7] == [
        ("(n)", "2", "2"),
        ("Grade 1", "1 (50.0)", "1 (50.0)"),
        ("Grade 2", "0", "0"),
        ("Grade 3", "1 (50.0)", "0"),
        ("Grade 4", "0", "0"),
        ("Any grade", "2 (100.0)", "1 (50.0)"),
    ]
    neut = rows.index(("Neutrophil count decreased", "", ""))
    assert rows[neut + 1] == ("(n)", "1", "1")
    assert rows[neut + 3] == ("Grade 2", "0", "1 (100.0)")
    assert rows[neut + 5] == ("Grade 4", "1 (100.0)", "0")
    ard = t.ard.set_index(["row", "arm"])
    assert ard.loc[("ALT / Alanine aminotransferase increased / Grade 3", "A"), "N"] == 2
    # The NEUT high side (Neutrophil count increased is not a CTCAE term) has no block.
    assert not any(r[0].startswith("Neutrophil count increased") for r in rows)


def test_lab_worst_table_errors():
    with pytest.raises(TableSpecError, match="day"):
        build_lab_worst_table(pd.DataFrame({"subject_id": ["1"], "parameter": ["ALT"]}))
    obs = pd.DataFrame(
        {
            "subject_id": ["1"],
            "day": [1.0],
            "parameter": ["ALT"],
            "term_high": ["x"],
            "grade_high": [1],
        }
    )
    with pytest.raises(TableSpecError, match="subjects"):
        build_lab_worst_table(obs, by="arm")
