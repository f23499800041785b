"""Case tables for CRS and ICANS (tests/cases/<criteria>/crs.csv, icans.csv).

Each table holds observation rows of several one-subject cases (``subject_id`` = case name),
the subject's ``age`` on its first row, and on that row ``expected_grade`` (worst grade of the
subject; ``NA`` = not assessable) and ``expected_episodes``. All cases of a table are graded as
one study, so they also show that subjects never leak into each other.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from aegrade.grading.syndromes import grade_crs_icans
from aegrade.read.study import load_study

CASES = Path(__file__).parent.parent / "cases"
TABLES = [
    ("astct-2019", "crs", "crs_grade_astct-2019"),
    ("astct-2019", "icans", "icans_grade_astct-2019"),
    ("lee-2014", "crs", "crs_grade_lee-2014"),
    ("ctcae-v5.0", "crs", "crs_grade_ctcae-v5.0"),
]


def _load(criteria: str, syndrome: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    table = pd.read_csv(
        CASES / criteria / f"{syndrome}.csv",
        keep_default_na=False,
        na_values=[""],
        dtype={"value": str},
    )
    heads = table.dropna(subset=["note"]).set_index("subject_id")
    expected = heads[["expected_grade", "expected_episodes", "note"]]
    subjects = heads[["age"]].reset_index()
    obs = table.drop(columns=[c for c in table if c.startswith("expected_")] + ["note", "age"])
    return obs, subjects, expected


def _graded(criteria: str, syndrome: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    obs, subjects, expected = _load(criteria, syndrome)
    study = load_study(observations=obs, subjects=subjects)
    kw = {"crs": criteria, "icans": None} if syndrome == "crs" else {"crs": None, "icans": criteria}
    res = grade_crs_icans(study, **kw)
    return res.subject_summary.set_index("subject_id"), res.adverse_events, expected


def _ids() -> list[tuple[str, str, str, str]]:
    out = []
    for criteria, syndrome, column in TABLES:
        _, _, expected = _load(criteria, syndrome)
        out += [(criteria, syndrome, column, case) for case in expected.index]
    return out


@pytest.fixture(scope="module")
def graded() -> dict[tuple[str, str], tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]]:
    return {(c, s): _graded(c, s) for c, s, _ in TABLES}


@pytest.mark.parametrize(("criteria", "syndrome", "column", "case"), _ids(), ids=lambda x: str(x))
def test_case(graded: dict, criteria: str, syndrome: str, column: str, case: str) -> None:
    summary, ae, expected = graded[(criteria, syndrome)]
    want = expected.loc[case]
    got = summary.loc[case, column]
    if want["expected_grade"] == "NA":
        assert pd.isna(got), want["note"]
    else:
        assert got == int(want["expected_grade"]), want["note"]
    n = int((ae["subject_id"] == case).sum())
    assert n == int(want["expected_episodes"]), want["note"]
