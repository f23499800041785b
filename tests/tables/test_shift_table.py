from __future__ import annotations

import pandas as pd
import pytest

import aegrade
from aegrade.tables import build_shift_table


def graded(rows):
    """Rows of (subject, day, term_low, grade_low)."""
    df = pd.DataFrame(rows, columns=["subject_id", "day", "term_low", "grade_low"])
    df["grade_low"] = df["grade_low"].astype("Int64")
    df["term_high"] = None
    df["grade_high"] = pd.array([pd.NA] * len(df), dtype="Int64")
    df["rule_low"] = df["rule_high"] = None
    df["criteria"] = "ctcae-v5.0"
    return df


N = "Neutrophil count decreased"


def test_baseline_vs_worst_post_baseline():
    g = graded(
        [
            ("1", -2, N, 2),
            ("1", 0, N, 0),
            ("1", 3, N, 4),
            ("1", 5, N, 1),
            ("2", 0, N, 0),
            ("2", 4, N, 3),
            ("3", 0, N, 1),
            ("3", 4, N, 1),
            ("4", 2, N, 2),  # no baseline
            ("5", 0, N, 0),
        ]
    )  # no post-baseline value: not counted
    t = build_shift_table(g)
    assert t.columns == ("Grade 0", "Grade 1", "Grade 2", "Grade 3", "Grade 4", "Total")
    body = {r[0]: list(r[1:]) for r in t.body}
    assert body["Baseline grade 0"] == ["0", "0", "0", "1 (50.0)", "1 (50.0)", "2"]
    assert body["Baseline grade 1"] == ["0", "1 (100.0)", "0", "0", "0", "1"]
    assert body["Baseline missing"] == ["0", "0", "1 (100.0)", "0", "0", "1"]
    assert t.body[0][0] == N and t.emphasis[0]
    assert t.groups == (("Worst post-baseline grade", 6),)
    ard = t.ard
    line = ard[(ard["row"] == f"{N} / Baseline grade 0") & (ard["column"] == "Grade 4")]
    assert line[["n", "N"]].values.tolist() == [[1, 2]]


@pytest.mark.parametrize(
    "policy, row, total",
    [("grade0", "Baseline grade 0", "3"), ("exclude", "Baseline grade 0", "2")],
)
def test_missing_baseline_policies(policy, row, total):
    g = graded([("1", 0, N, 0), ("1", 3, N, 4), ("2", 0, N, 0), ("2", 4, N, 3), ("4", 2, N, 2)])
    t = build_shift_table(g, missing_baseline=policy)
    body = {r[0]: list(r[1:]) for r in t.body}
    assert body[row][-1] == total
    assert "Baseline missing" not in body


def test_from_the_grading_pipeline():
    obs = pd.DataFrame(
        {
            "subject_id": ["1"] * 4 + ["2"] * 3,
            "day": [-1, 2, 5, 9, 0, 3, 4],
            "parameter": ["NEUT"] * 4 + ["PLAT"] * 3,
            "value": [1.6, 0.4, 0.9, 2.0, 160, 40, 100],
            "unit": ["10^9/L"] * 7,
            "lln": [1.8] * 4 + [150.0] * 3,
        }
    )
    result = aegrade.grade(obs)
    t = build_shift_table(result.graded_observations)
    body = [(r[0], list(r[1:])) for r in t.body]
    names = [b[0] for b in body]
    assert "Neutrophil count decreased" in names and "Platelet count decreased" in names
    i = names.index("Neutrophil count decreased")
    assert body[i + 1] == ("Baseline grade 1", ["0", "0", "0", "0", "1 (100.0)", "1"])
    j = names.index("Platelet count decreased")
    assert body[j + 1] == ("Baseline grade 0", ["0", "0", "0", "1 (100.0)", "0", "1"])


def test_empty_baseline_rows_hidden_unless_kept():
    g = graded([("1", 0, N, 0), ("1", 3, N, 4)])
    assert [r[0] for r in build_shift_table(g).body] == [N, "Baseline grade 0"]
    kept = build_shift_table(g, keep_empty=True)
    assert [r[0] for r in kept.body] == [N] + [f"Baseline grade {k}" for k in range(5)]
    assert kept.body[3][1:] == ("0", "0", "0", "0", "0", "0")


def _two_arms():
    g = graded(
        [
            ("1", 0, N, 0),
            ("1", 3, N, 4),
            ("2", 0, N, 1),
            ("2", 4, N, 2),
            ("3", 0, N, 0),
            ("3", 4, N, 3),
            ("4", 2, N, 1),  # no baseline
        ]
    )
    subjects = pd.DataFrame(
        {"subject_id": ["1", "2", "3", "4", "5"], "arm": ["A", "A", "B", "B", "B"]}
    )
    return g, subjects


def test_shift_per_arm_with_each_arms_n():
    """`--kind shift --by arm` used to pool the arms."""
    g, subjects = _two_arms()
    t = build_shift_table(g, subjects=subjects, by="ARM")
    assert t.groups == (("A (N = 2)", 6), ("B (N = 3)", 6))
    body = {r[0]: list(r[1:]) for r in t.body}
    assert body["Baseline grade 0"] == [
        *["0", "0", "0", "0", "1 (100.0)", "1"],
        *["0", "0", "0", "1 (100.0)", "0", "1"],
    ]
    assert body["Baseline grade 1"] == [*["0", "0", "1 (100.0)", "0", "0", "1"], *["0"] * 5, "0"]
    assert body["Baseline missing"] == [*["0"] * 5, "0", "0", "1 (100.0)", "0", "0", "0", "1"]
    ard = t.ard
    line = ard[(ard["row"] == f"{N} / Baseline grade 0") & (ard["arm"] == "B")]
    assert line["n"].tolist() == [0, 0, 0, 1, 0] and set(line["N"]) == {1}


def test_shift_grade_3_4_cut_point():
    g, subjects = _two_arms()
    t = build_shift_table(g, subjects=subjects, by="arm", cut=3)
    assert t.columns == ("Grade 0-2", "Grade 3-4", "Total") * 2
    body = {r[0]: list(r[1:]) for r in t.body}
    assert body["Baseline grade 0-2"] == ["1 (50.0)", "1 (50.0)", "2", "0", "1 (100.0)", "1"]
    assert body["Baseline missing"] == ["0", "0", "0", "1 (100.0)", "0", "1"]


@pytest.mark.parametrize("cut", [0, 5])
def test_shift_cut_must_be_a_grade_1_to_4(cut):
    g, _ = _two_arms()
    with pytest.raises(ValueError, match="cut must be a grade from 1 to 4"):
        build_shift_table(g, cut=cut)


def test_shift_by_needs_subjects():
    g, _ = _two_arms()
    with pytest.raises(ValueError, match="by needs the subjects table"):
        build_shift_table(g, by="arm")
