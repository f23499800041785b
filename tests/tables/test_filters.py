"""Treatment-emergent, population and ``where`` filters of the AE table (issue 14, point 2)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aegrade.tables import (
    TableSpec,
    TableSpecError,
    build_ae_table,
    filter_population,
    filter_records,
    load_table_spec,
    treatment_emergent,
)

SUBJECTS = pd.DataFrame(
    {
        "subject_id": ["1", "2", "3", "4"],
        "arm": ["A", "A", "B", "B"],
        "SAFFL": ["Y", "Y", "Y", "N"],
    }
)


def _ae(**extra: list[object]) -> pd.DataFrame:
    base = {
        "subject_id": ["1", "2", "3", "4"],
        "term": ["Fever"] * 4,
        "criteria": ["ctcae-v5.0"] * 4,
        "grade": [3, 1, 2, 4],
        "onset": [-5.0, 0.0, 2.0, 3.0],
    }
    return pd.DataFrame({**base, **extra})


def _n(table, row: str = "Fever", column: str = "Any grade") -> int:  # type: ignore[no-untyped-def]
    c = table.cells
    return int(c.loc[(c["row"] == row) & (c["column"] == column), "n"].sum())


@pytest.mark.parametrize(
    ("onset", "flag", "expected"),
    [
        (-5.0, None, False),  # onset before treatment start
        (-0.01, None, False),  # the edge: any time before day 0
        (0.0, None, True),  # day 0 is on treatment
        (np.nan, None, True),  # no onset, no flag: counted
        (-5.0, "Y", True),  # the flag wins
        (3.0, "N", False),
        (3.0, "n", False),
        (-5.0, "", False),  # a blank flag: from the onset
        (3.0, "maybe", True),  # an unknown word: from the onset
    ],
)
def test_treatment_emergent_rule(onset, flag, expected):
    ae = pd.DataFrame({"onset": [onset], "teae": pd.array([flag], dtype="string")})
    assert treatment_emergent(ae).tolist() == [expected]


def test_trtemfl_column_is_honoured():
    ae = pd.DataFrame({"onset": [-2.0, 5.0], "TRTEMFL": ["Y", "N"]})
    assert treatment_emergent(ae).tolist() == [True, False]


def test_the_table_counts_treatment_emergent_aes_by_default_and_says_so():
    """The issue's case: an event with onset day -5 was counted."""
    t = build_ae_table(_ae(), SUBJECTS)
    assert _n(t) == 3
    assert _n(t, column="Grade >= 3") == 1  # subject 1's grade 3 at day -5 is gone
    assert any("1 AE record(s) with onset before treatment start" in f for f in t.footnotes)
    every = build_ae_table(_ae(), SUBJECTS, TableSpec(teae=False))
    assert _n(every) == 4
    assert not any("treatment start" in f for f in every.footnotes)


def test_population_restricts_n_and_rows():
    t = build_ae_table(_ae(), SUBJECTS, TableSpec(population="SAFFL", teae=False), by="arm")
    assert t.arms == (("A", 2), ("B", 1))
    assert _n(t) == 3
    assert any(f.startswith("Population: SAFFL = Y (3 patient(s); 1 other") for f in t.footnotes)


def test_population_needs_its_column():
    with pytest.raises(TableSpecError, match=r"population: 'SAFLF' is not a column.*SAFFL"):
        build_ae_table(_ae(), SUBJECTS, TableSpec(population="SAFLF"))
    with pytest.raises(TableSpecError, match="needs a subjects table"):
        build_ae_table(_ae(), None, TableSpec(population="SAFFL"))


def test_where_on_ae_and_subject_columns():
    ae = _ae(serious=["Y", "N", "Y", "y"])
    spec = load_table_spec('where = { serious = "Y", arm = ["B"] }\nteae = false')
    assert spec.where == {"serious": ("Y",), "arm": ("B",)}
    t = build_ae_table(ae, SUBJECTS, spec)
    assert t.arms == (("All subjects", 2),)  # arm B only
    assert _n(t) == 2  # subjects 3 and 4, serious Y/y
    kept, subjects, notes = filter_records(ae, SUBJECTS, teae=False, where=spec.where)
    assert kept["subject_id"].tolist() == ["1", "3", "4"]
    assert subjects is not None and subjects["subject_id"].tolist() == ["3", "4"]
    assert notes == (
        "Only AE records with serious = Y (1 other(s) not counted).",
        "Only patients with arm = B (2 other(s) not counted).",
    )


def test_where_column_must_exist():
    with pytest.raises(TableSpecError, match="'grade_x' is a column of neither"):
        filter_records(_ae(), SUBJECTS, where={"grade_x": ("1",)})


def test_filter_population_reads_yes_no_words():
    s = pd.DataFrame({"subject_id": list("abcde"), "FL": ["Y", "yes", "TRUE", "1", "N"]})
    kept, _ = filter_population(s, "FL")
    assert kept["subject_id"].tolist() == ["a", "b", "c", "d"]
