"""CTCAE v6.0: the criteria file, its new rule shape (baseline below LLN) and what changed from
v5.0, each checked against NCI's v6.0 text."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import aegrade
from aegrade.criteria import load_criteria, load_ctcae, load_dictionary, resolve_criteria_id
from aegrade.criteria.ctcae import BaselineStatus
from aegrade.grading.predicates import Rows, eval_baseline
from tests.conftest import DATA


@pytest.mark.parametrize("alias", ["6.0", "6", "v6", "ctcae-v6", "CTCAE-V6.0"])
def test_aliases(alias: str) -> None:
    assert resolve_criteria_id(alias) == "ctcae-v6.0"
    assert load_ctcae(alias).id == "ctcae-v6.0"


def test_covers_every_term_admiral_v6_grades() -> None:
    cases = pd.read_csv(DATA / "admiral" / "ctcae_v6.csv", dtype=str, keep_default_na=False)
    admiral = set(cases["term"].str.lower()) - {"", "not a term"}
    ours = {(e.admiral_term or e.term).lower() for e in load_criteria("ctcae-v6.0").entries}
    ours |= {f"{e.term} (ionized)".lower() for e in load_criteria("ctcae-v6.0").entries}
    assert "creatinine clearance decreased" in admiral
    assert admiral - ours == set()
    assert {"fever", "hypothermia"} <= {e.id for e in load_ctcae("ctcae-v6.0").entries}


def test_dropped_terms_are_gone_and_new_terms_are_there() -> None:
    terms = {e.term for e in load_ctcae("ctcae-v6.0").entries}
    assert not terms & {"Platelet count decreased", "Lymphocyte count decreased", "CPK increased"}
    assert {"Thrombocytopenia", "HDL decreased", "LDL increased", "Hyperglycemia"} <= terms
    nci = load_dictionary("ctcae-v6.0").set_index("term")
    assert nci.loc["Lymphopenia", "grade1"] == "Present"
    assert "CPK increased" not in nci.index


def _rows(baseline: list[float], lln: list[float], flag: list[float]) -> Rows:
    return Rows(
        baseline=np.array(baseline),
        lln=np.array(lln),
        uln=np.full(len(baseline), 100.0),
        baseline_flag=np.array(flag),
    )


def test_baseline_below_lln_by_value_and_by_indicator() -> None:
    nan = np.nan
    rows = _rows([50.0, 60.0, 70.0, nan, 90.0, 50.0], [60.0] * 5 + [nan], [nan] * 6)
    true, known = eval_baseline(BaselineStatus(baseline="below_lln"), rows)
    assert true.tolist() == [True, False, False, False, False, False]
    assert known.tolist() == [True, True, True, True, True, False]
    not_low, _ = eval_baseline(BaselineStatus(baseline="not_below_lln"), rows)
    assert not_low.tolist() == [False, True, True, True, True, False]
    # the indicator decides when given: LOW (-1.0) whatever the value, HIGH or NORMAL not low
    flagged = _rows([70.0, 50.0, 50.0], [60.0] * 3, [-1.0, 0.0, 1.0])
    true, known = eval_baseline(BaselineStatus(baseline="below_lln"), flagged)
    assert true.tolist() == [True, False, False]
    assert known.all()


def _grade(criteria: str, **cols: object) -> pd.DataFrame:
    return aegrade.grade_labs(pd.DataFrame(cols), criteria)


def test_neutrophils_lose_the_lln_and_shift_one_grade() -> None:
    values = [1.7, 1.4, 0.9, 0.4, 0.09]
    kw = {"parameter": ["NEUT"] * 5, "value": values, "unit": ["10^9/L"] * 5, "lln": [2.0] * 5}
    v5 = _grade("ctcae-v5.0", **kw)["grade_low"].tolist()
    v6 = _grade("ctcae-v6.0", **kw)["grade_low"].tolist()
    assert v5 == [1, 2, 3, 4, 4]
    assert v6 == [0, 1, 2, 3, 4]


def test_creatinine_baseline_multiples_only_below_lln() -> None:
    # 120 umol/L is 2.0 x a baseline of 60: grade 2 in v5.0 whatever the baseline; in v6.0
    # only when the baseline (60) is below LLN (here 65), else 1.2 x ULN = grade 1
    kw = {
        "parameter": ["CREAT"] * 3,
        "value": [120.0, 120.0, 120.0],
        "unit": ["umol/L"] * 3,
        "lln": [65.0, 55.0, 55.0],
        "uln": [100.0] * 3,
        "baseline": [60.0, 60.0, 60.0],
        "baseline_indicator": [None, None, "LOW"],
    }
    assert _grade("ctcae-v5.0", **kw)["grade_high"].tolist() == [2, 2, 2]
    assert _grade("ctcae-v6.0", **kw)["grade_high"].tolist() == [2, 1, 2]


def test_hepatic_baseline_above_uln_multiples() -> None:
    # ALT baseline 80 (> ULN 40): v6.0 '1.0 - 1.5 x baseline' g1, '>1.5 - 2.0' g2,
    # '>2.0 - 4.0' g3, '>4.0 x baseline' g4
    values = [80.0, 120.0, 120.01, 160.01, 320.0, 320.01]
    kw = {
        "parameter": ["ALT"] * 6,
        "value": values,
        "unit": ["U/L"] * 6,
        "uln": [40.0] * 6,
        "baseline": [80.0] * 6,
    }
    assert _grade("ctcae-v6.0", **kw)["grade_high"].tolist() == [1, 1, 2, 3, 3, 4]
    assert _grade("ctcae-v5.0", **kw)["grade_high"].tolist() == [0, 1, 1, 1, 2, 2]


def test_alp_keeps_grade_1_only() -> None:
    kw = {
        "parameter": ["ALP"] * 3,
        "value": [1000.0, 50.0, 50.0],
        "unit": ["U/L"] * 3,
        "uln": [40.0] * 3,
        "baseline": [30.0, 60.0, np.nan],
    }
    out = _grade("ctcae-v6.0", **kw)
    assert out["grade_high"].tolist()[:2] == [1, 0]
    assert pd.isna(out["grade_high"].iloc[2])


def test_version_term_map_follows_nci_sheets() -> None:
    from aegrade.criteria import version_term_map

    forward = version_term_map("ctcae-v5.0", "ctcae-v6.0")
    assert forward["Platelet count decreased"] == "Thrombocytopenia"
    assert forward["Lymphocyte count decreased"] == "Lymphopenia"
    assert forward["CPK increased"] == "Investigations - Other, specify"
    assert forward["Anemia"] == "Anemia"
    assert version_term_map("ctcae-v4.03", "ctcae-v6.0")["Platelet count decreased"] == (
        "Thrombocytopenia"
    )
    assert version_term_map("ctcae-v6.0", "ctcae-v5.0")["Thrombocytopenia"] == (
        "Platelet count decreased"
    )
    assert version_term_map("ctcae-v5.0", "ctcae-v5.0") == {}
    assert version_term_map("ctcae-v5.0", "site-ctcae") == {}


def test_map_terms_from_v5_to_v6() -> None:
    from aegrade.criteria import load_mapping, map_terms

    sheet = load_mapping("ctcae-v5.0")
    assert len(sheet) == 3185  # grade rows of NCI's v5.0 -> v6.0 sheet
    mapped, problems = map_terms(
        pd.Series(["Neutrophil count decreased", "10035528", "Nausea"]),
        pd.Series([1, 4, 5]),
        source="5.0",
    )
    assert mapped["v6_term"].tolist()[:2] == ["Neutrophil count decreased", "Thrombocytopenia"]
    assert mapped["v6_grade"].tolist()[:2] == [1, 4]
    assert problems["message"].tolist() == ["grade 5 is not a grade of 'Nausea' in CTCAE v5.0"]


def test_clinician_events_are_checked_against_the_v6_dictionary() -> None:
    from aegrade.prepare.events import validate_events
    from aegrade.study import Table

    frame = pd.DataFrame(
        {
            "subject_id": ["S1", "S1", "S1", "S1"],
            "term": ["Lymphopenia", "Platelet count decreased", "Lymphopenia", "10043554"],
            "grade": [1, 3, 2, 4],
        }
    )
    events = Table(frame, file="e.csv", rows=frame.index.to_numpy() + 2)
    df, problems = validate_events(events, "ctcae-v6.0")
    found = problems[["row", "column", "check"]].values.tolist()
    assert sorted(found) == [[3, "term", "unknown_term"], [4, "grade", "invalid_grade"]]
    assert df["term"].tolist()[3] == "Thrombocytopenia"
    _, v5 = validate_events(events, "ctcae-v5.0")
    assert sorted(v5["row"].tolist()) == [2, 4, 5]  # no Lymphopenia, Thrombocytopenia in v5.0
