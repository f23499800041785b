"""AE term groups, spellings and SOCs of derived terms (criteria/data/terms/ae_terms.yaml)."""

from __future__ import annotations

import csv
import re
from importlib import resources

import pandas as pd
import pytest
import yaml

from aegrade.criteria import fold_terms, load_dictionary, term_match_keys, term_socs

DATA = resources.files("aegrade.criteria.data")
RAW = yaml.safe_load(DATA.joinpath("terms", "ae_terms.yaml").read_text("utf-8"))
SOURCES = {"CTCAE-V6-MAP", "CTCAE-V6", "CTCAE-V5", "ASTCT-2019", "MEDDRA-CONV", "AEGRADE"}


def _terms(version: str) -> dict[str, pd.Series]:
    d = load_dictionary(version)
    return {str(t): row for t, (_, row) in zip(d["term"], d.iterrows(), strict=True)}


def test_every_group_cites_a_known_source_and_quotes_it():
    ids = [g["id"] for g in RAW["groups"]]
    assert len(ids) == len(set(ids))
    for group in RAW["groups"]:
        assert group["sources"] and set(group["sources"]) <= SOURCES, group["id"]
        assert len(group["terms"]) >= 2, group["id"]
        if set(group["sources"]) != {"AEGRADE"}:
            assert group["quote"], group["id"]  # a cited group quotes its source
    for entry in RAW["socs"]:
        assert set(entry["sources"]) <= SOURCES and entry["quote"]
    assert RAW["reviewed_by"] is None  # aegrade's own groupings are not signed off yet


def test_each_group_names_the_ctcae_term_aegrade_derives():
    """The first term of a group is the CTCAE v5.0 (or, for ICANS, v6.0) name, exactly as
    NCI writes it: the derived records carry it."""
    v5, v6 = _terms("ctcae-v5.0"), _terms("ctcae-v6.0")
    for group in RAW["groups"]:
        assert group["terms"][0] in v5 or group["terms"][0] in v6, group["id"]


def test_quoted_mapping_lines_say_what_the_file_says():
    """Quotes citing a line of the v5.0-to-v6.0 mapping or the v6.0 dictionary match it."""
    folder = DATA.joinpath("dictionaries")
    mapping = folder.joinpath("ctcae_v5.0_to_v6.0_mapping.csv").read_text("utf-8").splitlines()
    v6 = folder.joinpath("ctcae_v6.0.csv").read_text("utf-8").splitlines()
    cited = 0
    for entry in [*RAW["groups"], *RAW["socs"]]:
        m = re.match(r"line (\d+): (.*)", entry.get("quote") or "")
        if not m:
            continue
        lines = mapping if "CTCAE-V6-MAP" in entry["sources"] else v6
        row = next(csv.reader([lines[int(m.group(1)) - 1]]))
        for part in m.group(2).replace(" ... ", ", ").split(", "):
            assert part in row, (entry.get("id") or entry.get("term"), part, row)
        cited += 1
    assert cited == 4  # Thrombocytopenia, Lymphopenia, ICANS (group and SOC)


def test_quoted_ctcae_definitions_are_verbatim():
    v5 = _terms("ctcae-v5.0")
    for group in RAW["groups"]:
        quote = group["quote"] or ""
        term = group["terms"][0]
        if "CTCAE-V5" in group["sources"] and quote.startswith(f"{term}: "):
            assert v5[term]["definition"].startswith(quote.removeprefix(f"{term}: "))


def test_fold_terms_makes_british_spellings_us():
    folded = fold_terms(
        pd.Series(
            [
                "Anaemia",
                "Haemoglobin decreased",
                "Hypokalaemia",
                "Oedema  limbs",
                "Diarrhoea",
                "Leucopenia",
                "Oesophagitis",
                "Immune effector cell-associated neurotoxicity syndrome",
                None,
            ]
        )
    )
    assert folded.tolist() == [
        "anemia",
        "hemoglobin decreased",
        "hypokalemia",
        "edema limbs",
        "diarrhea",
        "leukopenia",
        "esophagitis",
        "immune effector cell associated neurotoxicity syndrome",
        pd.NA,
    ]


def test_match_keys_of_groups_spellings_and_exact_names():
    terms = pd.Series(
        ["Thrombocytopenia", "Platelet count decreased", "Hepatic enzyme increased", "Fever", " "],
        index=[10, 11, 12, 13, 14],
    )
    keys = term_match_keys(terms)
    assert keys.values.tolist() == [
        [0, "group:platelets-decreased"],
        [1, "group:platelets-decreased"],
        [2, "group:alt-increased"],
        [2, "group:ast-increased"],
        [3, "fever"],
    ]
    exact = term_match_keys(terms, synonyms=False)
    assert exact.values.tolist() == [
        [0, "thrombocytopenia"],
        [1, "platelet count decreased"],
        [2, "hepatic enzyme increased"],
        [3, "fever"],
    ]


@pytest.mark.parametrize(
    ("term", "soc"),
    [
        ("Cytokine release syndrome", "Immune system disorders"),  # CTCAE v5.0 line 279
        # not in v5.0; CTCAE v6.0 line 624 (MedDRA 10083347)
        ("Immune effector cell-associated neurotoxicity syndrome", "Nervous system disorders"),
        ("ICANS", "Nervous system disorders"),
        ("CRS", "Immune system disorders"),
        ("Neutrophil count decreased", "Investigations"),
        ("Platelet count decreased", "Investigations"),  # v5.0 wins over v6.0
        ("Thrombocytopenia", "Blood and lymphatic system disorders"),  # v6.0 only
        ("Anemia", "Blood and lymphatic system disorders"),
    ],
)
def test_term_socs(term, soc):
    assert term_socs()[term.lower()] == soc
