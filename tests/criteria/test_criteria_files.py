"""The CTCAE criteria files: verbatim NCI text, MedDRA codes, coverage and format checks."""

from __future__ import annotations

import re

import pytest
import yaml
from pydantic import ValidationError

from aegrade.criteria import CtcaeCriteria, list_criteria, load_criteria, load_dictionary
from aegrade.criteria.units import registry
from aegrade.errors import UnknownCriteriaError

CTCAE = ["ctcae-v5.0", "ctcae-v4.03"]


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize("cid", CTCAE)
def test_grade_text_is_nci_verbatim(cid: str) -> None:
    nci = load_dictionary(cid).set_index("term")
    for entry in load_criteria(cid).entries:
        row = nci.loc[entry.term]
        assert row["meddra_code"] == entry.meddra, entry.id
        for g in range(1, 6):
            cell = row[f"grade{g}"]
            if cell == "-":
                assert g not in entry.grades, f"{entry.id}: CTCAE has no grade {g}"
            else:
                assert _norm(entry.grades[g].text) == _norm(cell), f"{entry.id} grade {g}"


@pytest.mark.parametrize(("cid", "admiral_terms"), [("ctcae-v4.03", 42), ("ctcae-v5.0", 40)])
def test_covers_every_term_admiral_grades(cid: str, admiral_terms: int) -> None:
    entries = load_criteria(cid).entries
    vital = {"fever", "hypothermia"}
    assert len([e for e in entries if e.id not in vital]) == admiral_terms
    assert {"fever", "hypothermia"} <= {e.id for e in entries}


@pytest.mark.parametrize("cid", CTCAE)
def test_every_rule_uses_known_parameters_and_units(cid: str) -> None:
    reg = registry()
    for entry in load_criteria(cid).entries:
        for code in entry.parameters:
            assert code in reg.parameters, (entry.id, code)
            assert reg.parameters[code].unit == entry.unit, (entry.id, code)
        for grade in entry.grades.values():
            for clause in grade.rules:
                for cond in clause.all:
                    spec = getattr(cond, "threshold", None)
                    if isinstance(spec, dict):
                        assert entry.unit in spec, f"{entry.id}: canonical unit missing"
                        for unit in spec:
                            param = reg.parameters[entry.parameters[0]]
                            assert unit == param.unit or unit in param.conversions, (entry.id, unit)


def test_dictionaries_have_nci_term_counts() -> None:
    assert len(load_dictionary("ctcae-v5.0")) == 837
    assert len(load_dictionary("ctcae-v4.03")) == 790


def test_list_and_aliases() -> None:
    ids = set(list_criteria()["id"])
    assert {"ctcae-v5.0", "ctcae-v4.03"} <= ids
    assert load_criteria("5.0").id == "ctcae-v5.0"
    assert load_criteria("4.03").id == "ctcae-v4.03"
    with pytest.raises(UnknownCriteriaError, match="available"):
        load_criteria("ctcae-v9")


def test_unknown_key_is_rejected_with_its_place() -> None:
    doc = yaml.safe_load(yaml.safe_dump(load_criteria("ctcae-v5.0").model_dump(mode="json")))
    doc["entries"][0]["grades"]["1"]["rules"][0]["all"][0]["treshold"] = 3
    with pytest.raises(ValidationError, match="treshold"):
        CtcaeCriteria.model_validate(doc)


def test_alternative_must_be_lower_grade() -> None:
    doc = load_criteria("ctcae-v5.0").model_dump(mode="json")
    hypo = next(e for e in doc["entries"] if e["id"] == "hypokalemia")
    hypo["grades"]["2"]["rules"][0]["alternative"] = 3
    with pytest.raises(ValidationError, match="lower grade"):
        CtcaeCriteria.model_validate(doc)
