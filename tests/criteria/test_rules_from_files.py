"""Clinical counts and lists live in the criteria files: changing the file changes the grade."""

from __future__ import annotations

import copy
from typing import Any

import pandas as pd
import pytest

from aegrade.criteria import (
    CrsIcansCriteria,
    load_criteria,
    load_crs_icans_criteria,
    load_hematology_criteria,
    organ_toxicity_parameters,
)
from aegrade.criteria.plain import plain_criteria
from aegrade.criteria.syndromes import OrganToxicity
from aegrade.errors import CriteriaDefinitionError
from aegrade.grading import bedside, crs, neutropenia, onepoint
from aegrade.grading.bedside import capd_score, crs_timepoint_engine, grade_crs_timepoint
from aegrade.grading.crs import grade_crs
from aegrade.grading.neutropenia import summarize_neutropenia
from aegrade.grading.syndromes import grade_crs_icans
from aegrade.prepare.findings import extract_findings
from aegrade.read.study import load_study


def _patched(cid: str, **crs_parts: Any) -> CrsIcansCriteria:
    c = load_crs_icans_criteria(cid)
    return c.model_copy(update={"crs": c.crs.model_copy(update=crs_parts)})


def test_an_organ_term_added_to_the_file_takes_effect(monkeypatch: pytest.MonkeyPatch) -> None:
    obs = pd.DataFrame(
        {
            "subject_id": ["S1"] * 3,
            "day": [1.0, 1.5, 2.0],
            "parameter": ["TEMP", "LIPASE", "OXYGEN"],
            "value": [38.5, 6 * 60.0, "nasal_cannula"],
            "unit": ["degC", "U/L", None],
            "uln": [None, 60.0, None],
        }
    )
    assert grade_crs_icans(obs, crs="lee-2014", icans=None).adverse_events["grade"].tolist() == [2]
    lee = load_crs_icans_criteria("lee-2014").crs.organ_toxicity
    assert lee is not None
    more = lee.model_copy(update={"terms": {**lee.terms, "Lipase increased": {2: 2, 3: 3, 4: 4}}})
    assert organ_toxicity_parameters(more)[-1] == "LIPASE"
    patched = _patched("lee-2014", organ_toxicity=more)
    monkeypatch.setattr(crs, "load_crs_icans_criteria", lambda cid: patched)
    res = grade_crs_icans(obs, crs="lee-2014", icans=None)
    # lipase 6 x ULN: CTCAE v5.0 grade 4 -> Lee 4 (the file's mapping)
    assert res.adverse_events["grade"].tolist() == [4]
    assert "Lipase increased grade 4 (ctcae-v5.0)" in res.adverse_events["reason"][0]


def test_organ_terms_must_be_ctcae_value_terms() -> None:
    rule = OrganToxicity(
        criteria="ctcae-v5.0", text="t", source="s", terms={"Confusion": {2: 2}}, notes=()
    )
    with pytest.raises(
        CriteriaDefinitionError, match=r"'Confusion' is not graded from values in ctcae-v5\.0"
    ):
        organ_toxicity_parameters(rule)


def test_multiple_vasopressors_count_is_read_from_the_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    two = {"temp": 38.5, "pressors": ["norepinephrine", "epinephrine"]}
    assert grade_crs_timepoint(**two).grade == 4
    h = load_crs_icans_criteria("astct-2019").crs.hypotension
    assert h.multiple_means_at_least == 2
    patched = _patched(
        "astct-2019", hypotension=h.model_copy(update={"multiple_means_at_least": 3})
    )
    monkeypatch.setattr(crs, "load_crs_icans_criteria", lambda cid: patched)
    # the whole engine reads the validated file (grade_crs_timepoint answers from the plain
    # path first: tested with the plain data below)
    assert crs_timepoint_engine(**two).grade == 3


def test_multiple_vasopressors_count_is_read_from_the_file_on_the_plain_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    two = {"temp": 38.5, "pressors": ["norepinephrine", "epinephrine"]}
    assert grade_crs_timepoint(**two).grade == 4
    raw = copy.deepcopy(plain_criteria("astct-2019"))
    raw["crs"]["hypotension"]["multiple_means_at_least"] = 3
    real = onepoint.plain_criteria
    monkeypatch.setattr(
        onepoint, "plain_criteria", lambda cid: raw if cid == "astct-2019" else real(cid)
    )
    assert onepoint.crs_one_time_point(**two) == grade_crs_timepoint(**two)
    assert grade_crs_timepoint(**two).grade == 3


def test_capd_items_are_read_from_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    capd = load_crs_icans_criteria("astct-2019").icans.capd  # type: ignore[union-attr]
    assert (capd.item_count, capd.item_max) == (8, 4)
    c = load_crs_icans_criteria("astct-2019")
    assert c.icans is not None
    short = c.icans.model_copy(update={"capd": capd.model_copy(update={"item_count": 4})})
    monkeypatch.setattr(
        bedside,
        "load_crs_icans_criteria",
        lambda cid: c.model_copy(update={"icans": short}),
    )
    assert capd_score([4, 4, 4, 4]) == 16


def _fake_fever_grade(**given: Any) -> tuple[int, str]:
    """How the bedside grader read 'episode ongoing' before: a 40 degC reading just before."""
    rows = [("TEMP", 40.0, "degC", None, -1e-6)]
    if "temp" in given:
        rows.append(("TEMP", given["temp"], "degC", None, 0.0))
    rows += [("VASOPRESSOR", p, None, None, 0.0) for p in given.get("pressors", ())]
    if "oxygen" in given:
        rows.append(("OXYGEN", given["oxygen"], None, given.get("flow"), 0.0))
    obs = pd.DataFrame(rows, columns=["parameter", "value", "unit", "flow", "day"])
    obs.insert(0, "subject_id", "timepoint")
    tp = grade_crs(extract_findings(load_study(obs)), "astct-2019").timepoints
    row = tp[tp["day"] == 0.0].iloc[0]
    return int(row["grade"]), row["text"]


@pytest.mark.parametrize(
    "given",
    [
        {"oxygen": "bipap"},
        {"oxygen": "nasal_cannula", "flow": 8.0},
        {"pressors": ["norepinephrine"]},
        {"temp": 38.6, "oxygen": "facemask"},
        {"temp": 39.0},
    ],
)
def test_episode_open_grades_as_the_old_fake_fever(given: dict[str, Any]) -> None:
    res = grade_crs_timepoint(episode_ongoing=True, **given)
    assert (res.grade, res.text) == _fake_fever_grade(**given)
    assert "episode onset" not in res.text


def test_neutropenia_day_options_default_to_icaht(monkeypatch: pytest.MonkeyPatch) -> None:
    anc = pd.DataFrame({"subject_id": ["S1"] * 2, "day": [1.0, 5.0], "value": [0.3, 0.3]})
    icaht = load_criteria("icaht-2023")
    assert icaht.day_defaults() == {"daily_value": "lowest", "carry_forward_days": 7}
    assert summarize_neutropenia(anc)["severe_neutropenia_days"].tolist() == [12]
    no_carry = icaht.model_copy(
        update={
            "options": {
                **icaht.options,
                "carry_forward_days": icaht.options["carry_forward_days"].model_copy(
                    update={"default": 0}
                ),
            }
        }
    )

    def patched(cid: str, kind: Any) -> Any:
        return no_carry if cid == "icaht-2023" else load_hematology_criteria(cid, kind)

    monkeypatch.setattr(neutropenia, "load_hematology_criteria", patched)
    assert summarize_neutropenia(anc)["severe_neutropenia_days"].tolist() == [2]
