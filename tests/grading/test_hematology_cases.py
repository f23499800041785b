"""Case tables for the hematology criteria (tests/cases/<criteria>/cases.csv).

Each table holds the observation rows of several one-subject cases (``subject_id`` = case
name). ``day`` is a study day or an inclusive range ``first..last`` (one row per day, the same
value each day). The case's first row carries the expectations: a column
``expected_<summary column>`` holds the value expected in that column of
``summarize_hematology(...).subject_summary`` (``NA`` = missing; empty = not checked), ``covers``
names the criteria-file tiers the case probes (checked by tests/cases/test_coverage.py) and
``note`` quotes the source. All cases of a table are graded as one study, so subjects cannot
leak into each other.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pytest

from aegrade.grading.hematology import summarize_hematology
from tests.conftest import CASES

CRITERIA = ("icaht-2023", "car-hematotox", "asco-idsa-neutropenia")
PREFIX = "expected_"


@cache
def _table(criteria: str) -> pd.DataFrame:
    return pd.read_csv(
        CASES / criteria / "cases.csv", dtype=str, keep_default_na=False, na_values=[]
    )


def _days(day: str) -> list[float]:
    first, _, last = day.partition("..")
    if not last:
        return [float(first)]
    return [float(d) for d in np.arange(int(first), int(last) + 1)]


def _observations(table: pd.DataFrame) -> pd.DataFrame:
    rows = table[["subject_id", "day", "parameter", "value", "unit"]]
    days = rows["day"].map(_days)
    obs = rows.loc[rows.index.repeat(days.map(len))].reset_index(drop=True)
    obs["day"] = np.concatenate(days.to_numpy())
    obs["value"] = pd.to_numeric(obs["value"])
    return obs


def _heads(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["note"] != ""].set_index("subject_id")


@cache
def _summary(criteria: str) -> pd.DataFrame:
    result = summarize_hematology(_observations(_table(criteria)))
    return result.subject_summary.set_index("subject_id")


def _cases() -> list[tuple[str, str, str]]:
    out = []
    for criteria in CRITERIA:
        heads = _heads(_table(criteria))
        for column in (str(c) for c in heads.columns if str(c).startswith(PREFIX)):
            for case, want in heads[column].items():
                if want != "":
                    out.append((criteria, str(case), column.removeprefix(PREFIX)))
    return out


@pytest.mark.parametrize(("criteria", "case", "column"), _cases(), ids=lambda x: str(x))
def test_case(criteria: str, case: str, column: str) -> None:
    want = str(_heads(_table(criteria)).loc[case, f"{PREFIX}{column}"])
    got: Any = _summary(criteria).loc[case, column]
    note = _heads(_table(criteria)).loc[case, "note"]
    if want == "NA":
        assert pd.isna(got), note
    elif isinstance(got, str):
        assert got == want, note
    else:
        assert not pd.isna(got), note
        assert float(got) == pytest.approx(float(want)), note


@pytest.mark.parametrize("criteria", CRITERIA)
def test_every_case_has_one_head_row(criteria: str) -> None:
    table = _table(criteria)
    heads = _heads(table)
    assert heads.index.is_unique
    assert set(table["subject_id"]) == set(heads.index)
    expected = heads[[c for c in heads.columns if str(c).startswith(PREFIX)]]
    assert (expected != "").any(axis=1).all()
