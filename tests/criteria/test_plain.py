"""The packaged files read as plain data (``aegrade.criteria.plain``) agree with the models.

``aegrade criteria list`` and the bedside scorers read the packaged YAML without validating it
(issue 15 point 5); these tests hold what they read to the validating loader.
"""

from __future__ import annotations

import pytest

from aegrade.criteria import (
    CrsIcansCriteria,
    CtcaeCriteria,
    lab_vocabulary,
    list_criteria,
    load_criteria,
    load_dictionary,
    load_raw,
    resolve_crs_system,
    resolve_icans_system,
)
from aegrade.criteria.loader import packaged_ids as loader_packaged_ids
from aegrade.criteria.plain import (
    criteria_rows,
    crs_file_id,
    crs_file_ids,
    packaged_ids,
    plain_criteria,
    plain_dictionary,
    plain_entry,
    plain_parameter_code,
    plain_parameters,
)
from aegrade.criteria.units import registry
from aegrade.errors import UnknownCriteriaError


def test_criteria_rows_are_list_criteria_for_the_packaged_files() -> None:
    listed = [r for r in list_criteria().to_dict("records") if r["id"] in packaged_ids()]
    assert criteria_rows() == listed
    assert [r["id"] for r in criteria_rows()] == packaged_ids()


def test_criteria_rows_real_values() -> None:
    rows = {r["id"]: r for r in criteria_rows()}
    assert (rows["ctcae-v4.03"]["terms"], rows["ctcae-v6.0"]["terms"]) == (790, 850)
    assert rows["lee-2014"]["kind"] == "lee-2014-crs"
    assert rows["lee-2014"]["entries"] > 0 and rows["lee-2014"]["terms"] == 0


@pytest.mark.parametrize("cid", loader_packaged_ids())
def test_plain_data_is_the_loaders_raw_data(cid: str) -> None:
    assert plain_criteria(cid) == load_raw(cid)


@pytest.mark.parametrize(
    "name",
    [
        *("astct-2019", "astct", "ASTCT", "lee", "lee-2014", "ctcae", "5.0", "v5", "ctcae-v5.0"),
        *("ctcae-v5.0-crs", " Lee-2014 ", "ctcae-v4.03", "4.03", "ctcae-v6.0", "icaht-2023", "x"),
    ],
)
def test_crs_file_id_is_resolve_crs_system(name: str) -> None:
    try:
        expected: str | None = resolve_crs_system(name)
    except UnknownCriteriaError:
        expected = None
    assert crs_file_id(name) == expected


def test_crs_file_ids_are_the_validated_crs_icans_files() -> None:
    """resolve_crs_system and crs_file_id both find the CRS files by their text (the CTCAE
    files are not parsed): held here to the validated files' models."""
    validated = [i for i in loader_packaged_ids() if isinstance(load_criteria(i), CrsIcansCriteria)]
    assert crs_file_ids() == validated == ["astct-2019", "ctcae-v5.0-crs", "lee-2014"]
    with_icans = [i for i in validated if load_criteria(i).icans is not None]  # type: ignore[union-attr]
    assert with_icans == ["astct-2019"]
    assert resolve_icans_system("astct") == "astct-2019"
    with pytest.raises(UnknownCriteriaError, match="available: astct-2019"):
        resolve_icans_system("lee-2014")


def test_unknown_id_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="nonesuch"):
        plain_criteria("nonesuch")


def test_packaged_ids_hands_out_a_new_list() -> None:
    ids = packaged_ids()
    ids.append("mine")
    assert "mine" not in packaged_ids()
    assert packaged_ids() == loader_packaged_ids()


@pytest.mark.parametrize("code", ["TEMP", "SYSBP", "FIO2", "ICE", "CAPD"])
def test_plain_parameters_are_the_registry(code: str) -> None:
    spec, param = plain_parameters()[code], registry().parameters[code]
    assert (spec["unit"], tuple(spec["limits"])) == (param.unit, param.limits)
    for unit, how in (spec.get("convert") or {}).items():
        conv = param.conversions[unit]
        assert (conv.scale, conv.offset) == tuple(float(x) for x in how["affine"])


CTCAE_IDS = [i for i in loader_packaged_ids() if load_raw(i).get("kind") == "value-thresholds"]


def test_the_ctcae_files_are_three() -> None:
    assert CTCAE_IDS == ["ctcae-v4.03", "ctcae-v5.0", "ctcae-v6.0"]


@pytest.mark.parametrize("cid", CTCAE_IDS)
def test_plain_entry_is_the_models_dump_for_every_entry(cid: str) -> None:
    """`criteria show ID TERM` prints a packaged entry from its plain data: every field of
    every entry equals the validated model's dump (defaults, bare compares, floats)."""
    c = load_criteria(cid)
    assert isinstance(c, CtcaeCriteria)
    raw = plain_criteria(cid)["entries"]
    assert len(raw) == len(c.entries) > 40
    for r, e in zip(raw, c.entries, strict=True):
        assert plain_entry(r) == e.model_dump(exclude_none=True), e.id


def test_plain_entry_fills_what_the_model_fills() -> None:
    entry = plain_entry(
        {
            **{"id": "x", "term": "X", "meddra": "10000000", "parameters": ["HGB"]},
            **{"direction": "low", "unit": "g/L", "specimen": None},
            "grades": {
                2: {"text": "t", "rules": [{"op": "lt", "ref": "absolute", "threshold": 80}]},
                3: {
                    "text": "u",
                    "rules": [
                        {
                            "all": [
                                {"baseline": "above_uln"},
                                {"anticoagulated": True},
                                {"lhs": "pchg", "op": "ge", "ref": "baseline", "factor": 2},
                            ],
                            "alternative": 2,
                        }
                    ],
                },
                4: {"text": "v"},
            },
        }
    )
    assert entry["parameters"] == ("HGB",) and entry["notes"] == () and "specimen" not in entry
    assert entry["grades"][2]["rules"] == (
        {
            "all": (
                {"lhs": "value", "op": "lt", "ref": "absolute", "factor": 1.0, "threshold": 80.0},
            )
        },
    )
    (clause,) = entry["grades"][3]["rules"]
    assert clause["alternative"] == 2
    assert clause["all"][:2] == ({"baseline": "above_uln"}, {"anticoagulated": True})
    assert clause["all"][2] == {"lhs": "pchg", "op": "ge", "ref": "baseline", "factor": 2.0}
    assert isinstance(clause["all"][2]["factor"], float)
    assert entry["grades"][4] == {"text": "v", "rules": ()}


@pytest.mark.parametrize("cid", CTCAE_IDS)
def test_plain_dictionary_is_the_loaders(cid: str) -> None:
    assert list(plain_dictionary(cid)) == load_dictionary(cid).to_dict("records")


def test_plain_dictionary_of_a_file_without_one_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="lee-2014"):
        plain_dictionary("lee-2014")


def test_plain_parameter_code_is_the_registrys() -> None:
    reg = registry()
    spellings = {" a n c ", "Alt (sgpt)", "neutrophils %", "", "nothing", "SGPT", "hgb"}
    for code, param in reg.parameters.items():
        spellings |= {code, code.lower(), *param.aliases, *(a.upper() for a in param.aliases)}
    spellings |= set(lab_vocabulary().names)
    assert len(spellings) > 300
    wrong = {s: (plain_parameter_code(s), reg.resolve_code(s)) for s in spellings}
    assert {s: pair for s, pair in wrong.items() if pair[0] != pair[1]} == {}
    assert plain_parameter_code("anc") == "NEUT" and plain_parameter_code("nothing") is None
