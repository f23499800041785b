"""The packaged files read as plain data (``aegrade.criteria.plain``) agree with the models.

``aegrade criteria list`` and the bedside scorers read the packaged YAML without validating it
(issue 15 point 5); these tests hold what they read to the validating loader.
"""

from __future__ import annotations

import pytest

from aegrade.criteria import list_criteria, load_raw, resolve_crs_system
from aegrade.criteria.loader import packaged_ids as loader_packaged_ids
from aegrade.criteria.plain import (
    criteria_rows,
    crs_file_id,
    packaged_ids,
    plain_criteria,
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
