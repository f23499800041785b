"""The CTCAE criteria files: verbatim NCI text, MedDRA codes, coverage and format checks."""

from __future__ import annotations

import re
from importlib import resources

import pandas as pd
import pytest
import yaml
from pydantic import ValidationError

from aegrade.criteria import (
    CrsIcansCriteria,
    CtcaeCriteria,
    HematotoxCriteria,
    IcahtCriteria,
    NeutropeniaCriteria,
    list_criteria,
    load_criteria,
    load_crs_icans_criteria,
    load_ctcae,
    load_dictionary,
    load_hematology_criteria,
    provenance,
    resolve_criteria_id,
    resolve_crs_system,
    resolve_icans_system,
)
from aegrade.criteria.ctcae import UNIT_AGREEMENT, BaselineStatus, unit_gaps, unit_problems
from aegrade.criteria.units import registry
from aegrade.errors import CriteriaDefinitionError, UnknownCriteriaError

CTCAE = ["ctcae-v5.0", "ctcae-v4.03", "ctcae-v6.0"]


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
    # terms admiral does not grade, added from values trials collect (issue 12)
    beyond_admiral = {
        "eosinophilia",
        "hypertension-systolic",
        "hypertension-diastolic",
        "blood-bicarbonate-decreased",
        "chronic-kidney-disease",
        "weight-loss",
        "weight-gain",
        "hypoxia",
        "qtc-prolonged",
        "ejection-fraction-decreased",
        "proteinuria",
    }
    assert len([e for e in entries if e.id not in vital | beyond_admiral]) == admiral_terms
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
    assert len(load_dictionary("ctcae-v6.0")) == 850


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


PACKAGED = sorted(
    p.name
    for p in resources.files("aegrade.criteria.data").iterdir()
    if p.name.endswith(".yaml") and p.name != "parameters.yaml"
)
KIND_MODELS = {
    "ctcae-v5.0": CtcaeCriteria,
    "ctcae-v4.03": CtcaeCriteria,
    "ctcae-v6.0": CtcaeCriteria,
    "astct-2019": CrsIcansCriteria,
    "lee-2014": CrsIcansCriteria,
    "ctcae-v5.0-crs": CrsIcansCriteria,
    "icaht-2023": IcahtCriteria,
    "car-hematotox": HematotoxCriteria,
    "asco-idsa-neutropenia": NeutropeniaCriteria,
}


@pytest.mark.parametrize("name", PACKAGED)
def test_files_read_as_a_clinician_reads(name: str) -> None:
    text = resources.files("aegrade.criteria.data").joinpath(name).read_text("utf-8")
    assert not re.search(r"(^|[\s\[{,:-])[&*][A-Za-z0-9_]+\b", text), "YAML anchor or alias"
    raw = yaml.safe_load(text)
    for key in ("id", "kind", "title", "citation", "revision", "reviewed_by", "errata", "notes"):
        assert key in raw, f"{name}: header lacks {key}"
    assert isinstance(raw["errata"], list)
    assert raw["id"] == name.removesuffix(".yaml")


def test_baseline_conditions_are_spelled_out() -> None:
    alt = next(e for e in load_criteria("ctcae-v5.0").entries if e.id == "alt-increased")
    conditions = [c for clause in alt.grades[1].rules for c in clause.all]
    assert [c.baseline for c in conditions if isinstance(c, BaselineStatus)] == [
        "not_above_uln",
        "above_uln",
    ]


@pytest.mark.parametrize(("cid", "model"), KIND_MODELS.items())
def test_load_criteria_returns_every_kind(cid: str, model: type) -> None:
    c = load_criteria(cid)
    assert isinstance(c, model) and c.id == cid
    assert set(KIND_MODELS) == set(list_criteria()["id"])


def test_list_criteria_columns() -> None:
    table = list_criteria().set_index("id")
    assert list(table.columns) == [
        "kind",
        "title",
        "revision",
        "citation",
        "reviewed_by",
        "entries",
        "graded_terms",
        "terms",
    ]
    assert table.loc["ctcae-v5.0", "entries"] == 53  # 40 admiral terms, 2 vital, 11 of issue 12
    # distinct terms of those entries (Hypercalcemia of CA and CAION is one term, two entries)
    assert table["graded_terms"].to_dict() == {
        cid: {"ctcae-v4.03": 49, "ctcae-v5.0": 50, "ctcae-v6.0": 52}.get(cid, 0)
        for cid in table.index
    }
    # every system counts what it grades: CTCAE dictionary terms, quoted criteria of the others
    assert table["terms"].to_dict() == {
        cid: {"ctcae-v4.03": 790, "ctcae-v5.0": 837, "ctcae-v6.0": 850}.get(cid, 0)
        for cid in table.index
    }
    # 44 admiral-based + Fever, Hypothermia; 12 of issue 12
    assert table.loc["ctcae-v6.0", "entries"] == 56
    assert (table["entries"] > 0).all()
    assert table.loc["lee-2014", "kind"] == "lee-2014-crs"


def test_grade_is_an_int_in_every_kind() -> None:
    assert load_crs_icans_criteria("astct-2019").crs.hypotension.multiple_vasopressors == 4
    assert load_criteria("icaht-2023").late.levels[0].grade == 4
    assert load_criteria("asco-idsa-neutropenia").febrile_neutropenia.grade == 3
    hypo = next(e for e in load_criteria("ctcae-v5.0").entries if e.id == "hypokalemia")
    assert set(hypo.grades) == {1, 2, 3, 4, 5}
    assert hypo.grades[2].rules[0].alternative == 1


def test_typed_loaders_refuse_other_kinds() -> None:
    with pytest.raises(UnknownCriteriaError, match="astct-2019 is a astct-crs-icans system"):
        load_ctcae("astct-2019")
    with pytest.raises(CriteriaDefinitionError, match="not 'icaht'"):
        load_hematology_criteria("car-hematotox", "icaht")
    with pytest.raises(CriteriaDefinitionError, match="not 'icaht'"):
        load_hematology_criteria("car-hematotox", IcahtCriteria)


def test_one_alias_table_serves_every_use() -> None:
    assert resolve_criteria_id("v4") == "ctcae-v4.03"
    assert resolve_crs_system("astct") == "astct-2019"
    assert resolve_crs_system("5.0") == "ctcae-v5.0-crs"
    assert resolve_crs_system("ctcae-v5.0-crs") == "ctcae-v5.0-crs"
    assert resolve_icans_system("astct") == "astct-2019"
    with pytest.raises(UnknownCriteriaError, match="infusion-reaction"):
        resolve_crs_system("4.03")
    with pytest.raises(UnknownCriteriaError, match="unknown ICANS system 'lee'"):
        resolve_icans_system("lee")


def test_provenance_reads_the_headers() -> None:
    rows = provenance(["5.0", "lee", "icaht-2023", "ctcae-v5.0"])
    assert [r["id"] for r in rows] == ["ctcae-v5.0", "lee-2014", "icaht-2023"]
    lee = rows[1]
    assert lee["revision"] == "2"
    assert lee["citation"].startswith("Lee DW, Gardner R, Porter DL, et al.")
    assert "doi:10.1182/blood-2014-05-552729" in lee["citation"]
    assert lee["reviewed_by"] == "not reviewed"
    assert lee["title"] == "Cytokine release syndrome grading (Lee et al., Blood 2014)"


@pytest.mark.parametrize("cid", ["ctcae-v4.03", "ctcae-v5.0", "ctcae-v6.0"])
def test_packaged_units_agree_within_ctcae_rounding(cid: str) -> None:
    assert unit_problems(load_ctcae(cid)) == []


def test_unit_tolerance_is_the_widest_packaged_gap_rounded_up() -> None:
    gaps = [
        (round(gap, 4), cid, e.id, g)
        for cid in ("ctcae-v4.03", "ctcae-v5.0", "ctcae-v6.0")
        for e in load_ctcae(cid).entries
        for g, _, _, gap in unit_gaps(e)
    ]
    # CTCAE prints hypomagnesemia grade 3 as '<0.9 - 0.7 mg/dL; <0.4 - 0.3 mmol/L': 0.9 mg/dL
    # is 0.370 mmol/L (molar mass 24.305), 7.4% below the 0.4 it prints; the next widest is
    # v4.03 hypophosphatemia ('<2.0 - 1.0 mg/dL; <0.6 - 0.3 mmol/L', 7.1%)
    widest = max(gaps)
    assert widest == (0.0743, "ctcae-v6.0", "hypomagnesemia", 3)
    assert sorted({x[0] for x in gaps})[-2] == 0.0708
    assert len(gaps) == 173
    assert widest[0] < UNIT_AGREEMENT <= widest[0] + 0.01


def test_v403_non_fasting_glucose_below_grade_3_is_not_graded_zero() -> None:
    import aegrade

    rows = pd.DataFrame(
        {"subject_id": "1", "day": [1, 2, 3, 4], "parameter": ["GLUC", "GLUC", "GLUC", "GLUCFAST"],
         "value": [250, 250.1, 90, 250], "unit": "mg/dL", "lln": 70, "uln": 100}
    )  # fmt: skip
    got = aegrade.grade(rows, "ctcae-v4.03").graded_observations
    high = got["grade_high"].tolist()
    assert pd.isna(high[0]) and pd.isna(high[2])  # 'Fasting glucose value' grades 1-2
    assert high[1] == 3 and high[3] == 2  # grade 3 names no fasting state; fasting: grade 2
    assert "Hyperglycemia: not graded, not fasting (or not known to be)" in got["reason"].iloc[0]
    # v5.0 grades hyperglycemia by management only: no value entry
    terms = {e.term for e in aegrade.criteria.load_ctcae("ctcae-v5.0").entries}
    assert "Hyperglycemia" not in terms
