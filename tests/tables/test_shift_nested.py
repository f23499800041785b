"""The nested (NEST LBT14) layout of the lab shift table: build_shift_table(layout='nested')."""

from __future__ import annotations

import pandas as pd
import pytest

from aegrade.tables import TableSpecError, build_shift_table

N = "Neutrophil count decreased"
K = "Hyperkalemia"


def graded(rows: list[tuple[str, int, str, int]]) -> pd.DataFrame:
    """Rows of (subject, day, term, grade); Hyperkalemia is a high-direction term."""
    low = [r if r[2] != K else (r[0], r[1], None, None) for r in rows]
    df = pd.DataFrame(low, columns=["subject_id", "day", "term_low", "grade_low"])
    df["grade_low"] = df["grade_low"].astype("Int64")
    df["term_high"] = [K if r[2] == K else None for r in rows]
    df["grade_high"] = pd.array([r[3] if r[2] == K else pd.NA for r in rows], dtype="Int64")
    df["criteria"] = "ctcae-v5.0"
    return df


ROWS = [
    ("1", -2, N, 2),
    ("1", 0, N, 0),  # baseline: the last value on or before day 0
    ("1", 3, N, 4),
    ("1", 5, N, 1),
    ("2", 0, N, 0),
    ("2", 4, N, 3),
    ("3", 0, N, 0),
    ("3", 4, N, 0),
    ("4", 2, N, 2),  # no baseline
    ("5", 0, N, 1),  # no post-baseline value
]
SUBJECTS = pd.DataFrame(
    {"subject_id": ["1", "2", "3", "4", "5", "6"], "arm": ["A", "A", "A", "B", "B", "B"]}
)


def test_every_patient_is_counted_under_baseline_and_worst_post_baseline_grade() -> None:
    t = build_shift_table(graded(ROWS), subjects=SUBJECTS, by="arm", layout="nested")
    assert t.columns == ("A (N = 3)", "B (N = 3)")
    assert list(t.body) == [
        (N, "", ""),
        ("Not Low", "3", "0"),
        ("Not Low", "1 (33.3)", "0"),
        ("3", "1 (33.3)", "0"),
        ("4", "1 (33.3)", "0"),
        ("1", "0", "1"),
        ("Missing", "0", "1 (100.0)"),  # patient 5: baseline, no post-baseline value
        ("Missing", "0", "2"),  # patient 4 (no baseline) and 6 (no value at all)
        ("2", "0", "1 (50.0)"),
        ("Missing", "0", "1 (50.0)"),
    ]
    assert t.indent == (0, 1, 2, 2, 2, 1, 2, 1, 2, 2)
    assert t.emphasis[0] and not any(t.emphasis[1:])


def test_block_counts_add_up_to_each_arms_n() -> None:
    t = build_shift_table(graded(ROWS), subjects=SUBJECTS, by="arm", layout="nested")
    ard = t.ard
    assert ard is not None
    blocks = ard[ard["column"] == "Patients"].groupby("arm")["n"].sum()
    assert blocks.to_dict() == {"A": 3, "B": 3}
    cell = ard[(ard["row"] == f"{N} / Baseline Not Low") & (ard["column"] == "Post-baseline 4")]
    assert cell[["arm", "n", "N"]].values.tolist() == [["A", 1, 3], ["B", 0, 0]]


def test_a_high_direction_term_reads_not_high() -> None:
    rows = [("1", 0, K, 0), ("1", 3, K, 2), ("2", 0, K, 1), ("2", 3, K, 1)]
    t = build_shift_table(graded(rows), layout="nested")
    assert [r[0] for r in t.body] == [K, "Not High", "2", "1", "1"]
    assert t.columns == ("All subjects (N = 2)",)


def test_keep_empty_shows_the_whole_shell() -> None:
    t = build_shift_table(
        graded(ROWS), subjects=SUBJECTS, by="arm", layout="nested", keep_empty=True
    )
    labels = [r[0] for r in t.body]
    assert labels[:7] == [N, "Not Low", "Not Low", "1", "2", "3", "4"]
    assert labels.count("4") == 1 + 6  # the '4' block, and a '4' grade row in each of 6 blocks


@pytest.mark.parametrize(
    ("policy", "first"), [("grade0", ("Not Low", "3", "2")), ("exclude", ("Not Low", "3", "0"))]
)
def test_missing_baseline_policies(policy: str, first: tuple[str, ...]) -> None:
    t = build_shift_table(
        graded(ROWS), subjects=SUBJECTS, by="arm", layout="nested", missing_baseline=policy
    )
    assert t.body[1] == first
    assert ("Missing", "0", "2") not in t.body


def test_cut_groups_the_grades_and_printing_options() -> None:
    t = build_shift_table(
        graded(ROWS),
        subjects=SUBJECTS,
        by="arm",
        layout="nested",
        cut=3,
        percent_sign=True,
        rounding="half-even",
    )
    assert list(t.body[:4]) == [
        (N, "", ""),
        ("0-2", "3", "1"),
        ("0-2", "1 (33.3%)", "0"),
        ("3-4", "2 (66.7%)", "0"),
    ]


def test_unknown_layout_is_refused() -> None:
    with pytest.raises(TableSpecError, match="layout"):
        build_shift_table(graded(ROWS), layout="wide")  # type: ignore[arg-type]
