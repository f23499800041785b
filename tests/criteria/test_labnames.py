"""The packaged lab vocabulary (issue 10): test names, LOINC codes, specimens, no-result words;
every file cites its sources."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml

from aegrade.criteria.labnames import fold_name, lab_vocabulary
from aegrade.criteria.units import registry

FILES = ["test_names.yaml", "loinc.yaml", "no_result.yaml", "specimens.yaml"]


@pytest.mark.parametrize("name", FILES)
def test_each_file_names_its_sources(name: str) -> None:
    text = resources.files("aegrade.criteria.data").joinpath("inputs", name).read_text("utf-8")
    assert "# Sources" in text or "# Source:" in text
    assert yaml.safe_load(text)["source"]


def test_every_synonym_and_loinc_code_names_a_known_parameter() -> None:
    vocab, params = lab_vocabulary(), registry().parameters
    assert set(vocab.names.values()) <= set(params)
    assert {c.parameter for c in vocab.loinc.values()} <= set(params)


def test_no_synonym_shadows_another_parameters_code_or_alias() -> None:
    reg = registry()
    for key, code in lab_vocabulary().names.items():
        exact = reg.code_alias.get(key)
        assert exact in (None, code), (key, exact, code)


def test_percentages_never_fold_to_absolute_counts() -> None:
    assert fold_name("Neutrophils %") not in lab_vocabulary().names
    assert registry().resolve_code("Lymphocytes (%)") is None


def test_loinc_codes_have_a_check_digit_shape_and_a_property() -> None:
    for code, item in lab_vocabulary().loinc.items():
        number, _, check = code.partition("-")
        assert number.isdigit() and check.isdigit() and len(check) == 1, code
        assert item.property


def test_loinc_check_digits_are_valid() -> None:
    # LOINC check digit: mod 10 (Luhn) over the number part
    def luhn(number: str) -> int:
        digits = [int(d) for d in number]
        total = 0
        for i, d in enumerate(reversed(digits)):
            if i % 2 == 0:
                d *= 2
                d = d - 9 if d > 9 else d
            total += d
        return (10 - total % 10) % 10

    for code in lab_vocabulary().loinc:
        number, _, check = code.partition("-")
        assert luhn(number) == int(check), code


def test_blood_specimens_and_urine() -> None:
    vocab = lab_vocabulary()
    assert {"BLOOD", "SERUM", "PLASMA", "SERUM OR PLASMA"} == set(vocab.blood)
    assert vocab.specimen("Whole Blood") == "BLOOD" and vocab.specimen("UR") == "URINE"
    assert vocab.specimen("CSF") == "CEREBROSPINAL FLUID"


def test_no_result_words_of_the_issue() -> None:
    words = lab_vocabulary().no_result
    assert {"n/a", "not done", "nd", "hemolyzed", "qns", "--", "cancelled"} <= words


def test_reference_windows_hold_typical_ranges_in_the_canonical_unit() -> None:
    params = registry().parameters
    typical = {
        "HGB": (120, 160),
        "CA": (2.2, 2.6),
        "GLUC": (3.9, 5.6),
        "K": (3.5, 5.0),
        "CREAT": (53, 106),
        "BILI": (5.1, 20.5),
        "PLAT": (150, 450),
        "NEUT": (1.8, 7.7),
    }
    for code, (lln, uln) in typical.items():
        ref = params[code].reference
        assert ref is not None
        assert ref[0][0] <= lln <= ref[0][1] and ref[1][0] <= uln <= ref[1][1], code
