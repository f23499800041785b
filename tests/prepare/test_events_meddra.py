"""MedDRA-coded events, treatment-emergence and the onset/end checks of clinician events
(issue 10 point 8, issue 11 "wrong results")."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import aegrade
from aegrade.cli import main
from aegrade.errors import InputError
from aegrade.prepare.events import MAX_STUDY_DAYS, validate_events
from aegrade.study import Table
from aegrade.tables import TableSpec, build_ae_table

SOC = "Infections and infestations"


def _events(rows: list[dict[str, object]]) -> Table:
    frame = pd.DataFrame(rows)
    return Table(frame, file="e.csv", rows=frame.index.to_numpy() + 2)


def _obs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "subject_id": ["S1", "S2"],
            "day": [0, 0],
            "parameter": ["PLAT", "PLAT"],
            "value": [200, 210],
            "unit": ["10^9/L"] * 2,
            "lln": [150] * 2,
            "uln": [400] * 2,
        }
    )


def test_meddra_term_with_soc_and_grade_is_accepted() -> None:
    df, problems = validate_events(
        _events(
            [
                {"subject_id": "S1", "term": "Pneumonia", "soc": SOC, "grade": 3},
                {"subject_id": "S1", "term": "Pyrexia", "soc": "General disorders", "grade": 5},
                {"subject_id": "S2", "term": "Anemia", "soc": "whatever", "grade": 2},
            ]
        ),
        "ctcae-v5.0",
    )
    assert problems.empty
    assert df["coding"].tolist() == ["meddra", "meddra", "ctcae"]
    assert df["soc"].tolist() == [SOC, "General disorders", "Blood and lymphatic system disorders"]
    assert df["term"].tolist() == ["Pneumonia", "Pyrexia", "Anemia"]


def test_meddra_code_column_alone_marks_a_coded_event() -> None:
    df, problems = validate_events(
        _events([{"subject_id": "S1", "term": "Pneumonia", "meddra_code": 10035664.0, "grade": 2}]),
        "ctcae-v5.0",
    )
    assert problems.empty
    assert (df.loc[0, "coding"], df.loc[0, "meddra_code"]) == ("meddra", "10035664")


@pytest.mark.parametrize("grade", [0, 6, 2.5, "x"])
def test_meddra_term_is_checked_for_its_grade_range(grade: object) -> None:
    _, problems = validate_events(
        _events([{"subject_id": "S1", "term": "Pneumonia", "soc": SOC, "grade": grade}]),
        "ctcae-v5.0",
    )
    assert problems[["row", "column", "check"]].values.tolist() == [[2, "term", "unknown_term"]]
    assert "needs a grade 1-5" in problems["message"].item()


@pytest.mark.parametrize("grade", [1, 5])
def test_meddra_grade_edges_are_accepted(grade: int) -> None:
    _, problems = validate_events(
        _events([{"subject_id": "S1", "term": "Pneumonia", "soc": SOC, "grade": grade}]),
        "ctcae-v5.0",
    )
    assert problems.empty


def test_without_soc_or_code_an_unknown_term_stays_an_error() -> None:
    _, problems = validate_events(
        _events([{"subject_id": "S1", "term": "Pneumonia", "grade": 3}]), "ctcae-v5.0"
    )
    assert problems["check"].tolist() == ["unknown_term"]
    assert "did you mean 'Pneumonitis'" in problems["message"].item()


def test_ctcae_term_keeps_full_validation_even_with_a_soc() -> None:
    # Tumor lysis syndrome has no grade 2 in CTCAE v5.0: a SOC does not make it MedDRA-coded
    _, problems = validate_events(
        _events([{"subject_id": "S1", "term": "Tumor lysis syndrome", "soc": "x", "grade": 2}]),
        "ctcae-v5.0",
    )
    assert problems["check"].tolist() == ["invalid_grade"]


def test_empty_term_is_uncoded() -> None:
    # issue 14 point 1: an uncoded AE (AEDECOD not yet coded) is counted under 'No coding
    # available', as the NEST AET02 table does, so it is no longer an input error (it was
    # missing_value, which stopped `aegrade table` on any sponsor ADAE with an uncoded record)
    df, problems = validate_events(
        _events([{"subject_id": "S1", "term": " ", "grade": 2}]), "ctcae-v5.0"
    )
    assert df.loc[0, "coding"] == "uncoded"
    assert pd.isna(df.loc[0, "term"])
    assert problems.empty


def test_ctcae_term_keeps_a_given_system_organ_class() -> None:
    # NEST files every record under its AEBODSYS: Dizziness coded to Ear and labyrinth
    # disorders (a secondary SOC) stays there; a SOC that is no SOC name takes CTCAE's
    df, problems = validate_events(
        _events(
            [
                {
                    "subject_id": "S1",
                    "term": "Dizziness",
                    "soc": "Ear and labyrinth disorders",
                    "grade": 1,
                },
                {
                    "subject_id": "S1",
                    "term": "Dizziness",
                    "soc": "ear AND labyrinth disorders",
                    "grade": 1,
                },
                {"subject_id": "S2", "term": "Dizziness", "soc": "whatever", "grade": 1},
                {"subject_id": "S2", "term": "Dizziness", "soc": None, "grade": 1},
            ]
        ),
        "ctcae-v5.0",
    )
    assert problems.empty
    assert df["soc"].tolist() == [
        "Ear and labyrinth disorders",
        "ear AND labyrinth disorders",
        "Nervous system disorders",
        "Nervous system disorders",
    ]
    assert df["coding"].tolist() == ["ctcae"] * 4


def test_uncoded_event_keeps_its_given_soc() -> None:
    # NEST AET02 files a record with AEBODSYS but no AEDECOD under 'No Coding Available' in
    # its own SOC; the SOC was dropped here, so it went under the uncoded SOC
    df, _ = validate_events(
        _events([{"subject_id": "S1", "term": "", "soc": SOC, "grade": 1}]), "ctcae-v5.0"
    )
    assert df.loc[0, "soc"] == SOC
    table = build_ae_table(df.assign(term=None), df[["subject_id"]], TableSpec(soc=True))
    assert table.rows["key"].tolist()[1:] == [SOC, f"{SOC} / No coding available"]


@pytest.mark.parametrize("grade", [0, 6, "x"])
def test_uncoded_event_grade_is_still_checked(grade: object) -> None:
    _, problems = validate_events(
        _events([{"subject_id": "S1", "term": "", "grade": grade}]), "ctcae-v5.0"
    )
    assert problems[["row", "column", "check"]].values.tolist() == [[2, "grade", "invalid_grade"]]


@pytest.mark.parametrize("grade", [None, "", " "])
@pytest.mark.parametrize(
    ("term", "soc", "coding"),
    [("Nausea", None, "ctcae"), ("Pneumonia", SOC, "meddra"), ("", None, "uncoded")],
)
def test_blank_grade_is_an_ungraded_event_not_an_error(
    grade: object, term: str, soc: str | None, coding: str
) -> None:
    # issue 14 point 1: AETOXGR not yet entered; the tables count the AE in 'Any grade' and
    # 'Grade missing' (it was invalid_grade for a CTCAE term, unknown_term for a MedDRA one)
    df, problems = validate_events(
        _events([{"subject_id": "S1", "term": term, "soc": soc, "grade": grade}]), "ctcae-v5.0"
    )
    assert problems.empty
    assert df.loc[0, "coding"] == coding


def test_blank_grade_reaches_the_ae_table_as_grade_missing() -> None:
    events = pd.DataFrame(
        {
            "subject_id": ["S1", "S2", "S2"],
            "term": ["Nausea", "Nausea", ""],
            "grade": ["", "3", "2"],
            "onset": [2.0, 3.0, 4.0],
        }
    )
    result = aegrade.grade(aegrade.load_study(_obs(), events=events), "ctcae-v5.0")
    clin = result.adverse_events[result.adverse_events["source"] == "clinician"]
    assert clin["grade"].isna().tolist() == [True, False, False]
    assert clin["reason"].iloc[0] == "clinician event without a grade (counted in 'Any grade')"
    cells = build_ae_table(clin, clin[["subject_id"]]).cells.set_index(["row", "column"])["n"]
    assert cells[("Nausea", "Any grade")] == 2
    assert cells[("Nausea", "Grade >= 3")] == 1
    assert cells[("Nausea", "Grade missing")] == 1
    assert cells[("No coding available", "Any grade")] == 1


def test_teae_from_onset_and_from_the_given_flag() -> None:
    df, _ = validate_events(
        _events(
            [
                {"subject_id": "S1", "term": "Nausea", "grade": 1, "onset": -0.5},
                {"subject_id": "S1", "term": "Nausea", "grade": 1, "onset": 0.0},
                {"subject_id": "S1", "term": "Nausea", "grade": 1, "onset": 3.0},
                {"subject_id": "S1", "term": "Nausea", "grade": 1, "onset": None},
            ]
        ),
        "ctcae-v5.0",
    )
    assert df["teae"].tolist() == ["N", "Y", "Y", None]
    flagged, _ = validate_events(
        _events(
            [
                {"subject_id": "S1", "term": "Nausea", "grade": 1, "onset": -2, "teae": "Y"},
                {"subject_id": "S1", "term": "Nausea", "grade": 1, "onset": 5, "teae": "N"},
                {"subject_id": "S1", "term": "Nausea", "grade": 1, "onset": -2, "teae": ""},
            ]
        ),
        "ctcae-v5.0",
    )
    assert flagged["teae"].tolist() == ["Y", "N", "N"]


def test_end_before_onset_names_the_row() -> None:
    df, problems = validate_events(
        _events(
            [
                {"subject_id": "S1", "term": "Nausea", "grade": 2, "onset": 5, "end": 3},
                {"subject_id": "S1", "term": "Nausea", "grade": 2, "onset": 5, "end": 5},
            ]
        ),
        "ctcae-v5.0",
    )
    assert problems[["file", "row", "column", "check"]].values.tolist() == [
        ["e.csv", 2, "end", "end_before_onset"]
    ]
    assert np.isnan(df.loc[0, "end"]) and df.loc[1, "end"] == 5


@pytest.mark.parametrize("bad", [-1e12, 1e12, np.inf, -np.inf, MAX_STUDY_DAYS + 1])
def test_implausible_onset_names_the_cell(bad: float) -> None:
    _, problems = validate_events(
        _events([{"subject_id": "S1", "term": "Nausea", "grade": 2, "onset": bad, "end": 1}]),
        "ctcae-v5.0",
    )
    assert problems[["row", "column", "check"]].values.tolist() == [
        [2, "onset", "implausible_value"]
    ]


def test_days_at_the_bound_are_plausible() -> None:
    _, problems = validate_events(
        _events(
            [
                {
                    "subject_id": "S1",
                    "term": "Nausea",
                    "grade": 2,
                    "onset": -MAX_STUDY_DAYS,
                    "end": MAX_STUDY_DAYS,
                }
            ]
        ),
        "ctcae-v5.0",
    )
    assert problems.empty


def test_grade_refuses_end_before_onset_and_coerce_keeps_the_grade() -> None:
    events = pd.DataFrame(
        {"subject_id": ["S1"], "term": ["Nausea"], "grade": [2], "onset": [5], "end": [3]}
    )
    with pytest.raises(InputError, match="end is before onset"):
        aegrade.grade(aegrade.load_study(_obs(), events=events), "ctcae-v5.0")
    result = aegrade.grade(aegrade.load_study(_obs(), events=events), "ctcae-v5.0", errors="coerce")
    row = result.adverse_events.query("source == 'clinician'").iloc[0]
    assert row["grade"] == 2 and np.isnan(row["duration"]) and np.isnan(row["end"])
    assert "end before onset" in row["reason"]
    assert result.issues["check"].astype(str).tolist() == ["end_before_onset"]


def test_grade_refuses_onset_minus_1e12() -> None:
    events = pd.DataFrame(
        {"subject_id": ["S1"], "term": ["Nausea"], "grade": [2], "onset": [-1e12]}
    )
    with pytest.raises(InputError, match="onset is not a plausible study day"):
        aegrade.grade(aegrade.load_study(_obs(), events=events), "ctcae-v5.0")


def test_meddra_events_are_counted_in_tables_even_fatal_ones() -> None:
    events = pd.DataFrame(
        {
            "subject_id": ["S1", "S2", "S2"],
            "term": ["Pneumonia", "Pneumonia", "Pyrexia"],
            "soc": [SOC, SOC, "General disorders and administration site conditions"],
            "grade": [5, 2, 1],
            "onset": [3, 4, 1],
        }
    )
    result = aegrade.grade(aegrade.load_study(_obs(), events=events), "ctcae-v5.0")
    ae = result.adverse_events.query("source == 'clinician'")
    assert ae["grade"].tolist() == [5, 2, 1] and set(ae["coding"]) == {"meddra"}
    cells = build_ae_table(result.adverse_events, result.subjects).cells
    cells = cells.set_index(["row", "column"])
    assert cells.loc[("Pneumonia", "Any grade"), "n"] == 2
    assert cells.loc[("Pneumonia", "Grade >= 3"), "n"] == 1
    assert cells.loc[("Pyrexia", "Any grade"), "n"] == 1


def test_ctcae_map_of_a_meddra_term_is_a_clear_error() -> None:
    out = CliRunner().invoke(main, ["ctcae", "map", "--term", "Pneumonia"])
    assert out.exit_code == 1
    assert "'Pneumonia' is not a CTCAE v4.03 term; did you mean 'Pneumonitis'?" in out.output
