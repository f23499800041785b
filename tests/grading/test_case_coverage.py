"""Every value-graded entry of every packaged criteria file has rows in tests/cases.

The criteria files are read as YAML (not through aegrade's models), so the check holds whatever
shape the loaders take. A new entry, tier, device or domain level without a case row fails here;
so does a new criteria file of a kind this test does not know.

- CTCAE (``kind: value-thresholds``): each entry with a value rule has a row in
  tests/cases/ctcae/*.csv naming its ``term`` and one of its ``parameters``, and every grade that
  has a rule is the expected grade of some row (a grade that is only the lower option of an
  ambiguous pair, ``alternative``, is reached with ``ambiguous='lower'`` and is exempt).
- ICAHT, CAR-HEMATOTOX, neutropenia: every band, level, marker point, risk class and depth is
  named in the ``covers`` column of tests/cases/<id>/cases.csv.
- CRS and ICANS: every oxygen device, FiO2 and flow edge, hypotension tier, high-dose agent,
  organ-toxicity term, ICE and CAPD band edge and domain level occurs in the case tables, and
  the expected grades span 0-4.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from tests.conftest import CASES

DATA = Path(str(files("aegrade.criteria.data")))
NOT_CRITERIA = {"parameters"}
CTCAE = "value-thresholds"
HEMATOLOGY = {"icaht", "car-hematotox", "neutropenia"}
SYNDROMES = {"astct-crs-icans", "lee-2014-crs", "ctcae-crs"}


@cache
def _criteria() -> dict[str, dict[str, Any]]:
    out = {}
    for path in sorted(DATA.glob("*.yaml")):
        if path.stem not in NOT_CRITERIA:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
            out[doc["id"]] = doc
    return out


def _of_kind(*kinds: str) -> list[str]:
    return [cid for cid, doc in _criteria().items() if doc["kind"] in kinds]


@cache
def _ctcae_rows() -> pd.DataFrame:
    tables = [pd.read_csv(p, dtype={"term": str}) for p in sorted((CASES / "ctcae").glob("*.csv"))]
    return pd.concat(tables, ignore_index=True)


def _value_graded(entry: dict[str, Any]) -> bool:
    return any(g.get("rules") for g in (entry.get("grades") or {}).values())


def test_every_criteria_file_is_of_a_kind_with_case_tables() -> None:
    kinds = {doc["kind"] for doc in _criteria().values()}
    assert kinds <= {CTCAE} | HEMATOLOGY | SYNDROMES, "add case tables and teach this test"
    assert len(_of_kind(CTCAE)) >= 2


@pytest.mark.parametrize("cid", _of_kind(CTCAE))
def test_every_ctcae_entry_has_boundary_rows(cid: str) -> None:
    rows = _ctcae_rows()
    rows = rows[rows["criteria"] == cid]
    missing = []
    for entry in _criteria()[cid]["entries"]:
        hit = (rows["term"] == entry["term"]) & rows["parameter"].isin(entry["parameters"])
        if _value_graded(entry) and not hit.any():
            missing.append(f"{entry['term']} {entry['parameters']}")
    assert not missing, f"{cid}: entries without a row in tests/cases/ctcae: {missing}"


@pytest.mark.parametrize("cid", _of_kind(CTCAE))
def test_every_ruled_grade_is_an_expected_grade(cid: str) -> None:
    rows = _ctcae_rows()
    rows = rows[rows["criteria"] == cid]
    missing = []
    for entry in _criteria()[cid]["entries"]:
        grades = entry.get("grades") or {}
        ruled = {int(g) for g, spec in grades.items() if spec.get("rules")}
        lower = {
            int(rule["alternative"])
            for spec in grades.values()
            for rule in spec.get("rules") or []
            if rule.get("alternative") is not None
        }
        mine = rows[(rows["term"] == entry["term"]) & rows["parameter"].isin(entry["parameters"])]
        seen = set(mine[f"expected_{entry['direction']}"].dropna().astype(int))
        if ruled - lower - seen:
            missing.append(f"{entry['term']} {entry['parameters']}: {sorted(ruled - lower - seen)}")
    assert not missing, f"{cid}: grades no row expects: {missing}"


@pytest.mark.parametrize("cid", _of_kind(CTCAE))
def test_every_row_names_an_entry(cid: str) -> None:
    rows = _ctcae_rows()
    rows = rows[(rows["criteria"] == cid) & rows["term"].notna()]
    known = {(e["term"], p) for e in _criteria()[cid]["entries"] for p in e["parameters"]}
    unknown = {(t, p) for t, p in zip(rows["term"], rows["parameter"], strict=True)} - known
    assert not unknown, unknown


def _hematology_tiers(doc: dict[str, Any]) -> set[str]:
    kind = doc["kind"]
    if kind == "icaht":
        early = {
            f"early/{track['id']}/{band['grade']}"
            for track in doc["early"]["tracks"]
            for band in track["bands"]
        }
        return early | {f"late/{level['grade']}" for level in doc["late"]["levels"]}
    if kind == "car-hematotox":
        points = {f"{m['id']}/{p['points']}" for m in doc["markers"] for p in m["points"]}
        zero = {f"{m['id']}/0" for m in doc["markers"]}
        return points | zero | {f"class/{c['label']}" for c in doc["classes"]}
    tiers = {depth["id"] for depth in doc["depths"]}
    return tiers | ({"febrile_neutropenia"} if doc.get("febrile_neutropenia") else set())


@pytest.mark.parametrize("cid", _of_kind(*HEMATOLOGY))
def test_every_hematology_tier_has_a_case(cid: str) -> None:
    table = pd.read_csv(CASES / cid / "cases.csv", dtype=str, keep_default_na=False)
    covered = {t.strip() for cell in table["covers"] for t in cell.split(";") if t.strip()}
    missing = _hematology_tiers(_criteria()[cid]) - covered
    assert not missing, f"{cid}: tiers without a case: {sorted(missing)}"


def _syndrome_table(cid: str, syndrome: str) -> pd.DataFrame:
    # a file that grades as another (ctcae-v5.0-crs grades as ctcae-v5.0) keeps its cases there
    folder = _criteria()[cid].get("grades_as") or cid
    path = CASES / folder / f"{syndrome}.csv"
    assert path.exists(), f"{cid} has {syndrome} criteria but no case table {path}"
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _values(table: pd.DataFrame, parameter: str) -> set[str]:
    return set(table.loc[table["parameter"] == parameter, "value"].str.lower())


def _numbers(table: pd.DataFrame, parameter: str) -> set[float]:
    return set(pd.to_numeric(table.loc[table["parameter"] == parameter, "value"], errors="coerce"))


def _crs_gaps(cid: str, crs: dict[str, Any]) -> list[str]:
    table = _syndrome_table(cid, "crs")
    gaps = []
    hypoxia = crs.get("hypoxia") or {}
    devices = hypoxia.get("devices") or {}
    gaps += [f"device {d}" for d in devices if d not in _values(table, "OXYGEN")]
    for key, device in devices.items():
        if "flow_le" in device:
            flows = set(pd.to_numeric(table.loc[table["value"] == key, "flow"], errors="coerce"))
            if device["flow_le"] not in flows or not any(f > device["flow_le"] for f in flows):
                gaps.append(f"{key} flow at and above {device['flow_le']}")
    for band in hypoxia.get("fio2") or []:
        edge = band.get("ge", band.get("gt"))
        if edge not in _numbers(table, "FIO2"):
            gaps.append(f"FiO2 {edge}")
    hypotension = crs.get("hypotension") or {}
    if hypotension and "true" not in _values(table, "HYPOTENSION"):
        gaps.append("hypotension without vasopressor")
    pressors = table[table["parameter"] == "VASOPRESSOR"]
    per_time = pressors.groupby(["subject_id", "day"])["value"].nunique()
    if hypotension and not (per_time >= 2).any():
        gaps.append("multiple vasopressors")
    for agent, cut in ((hypotension.get("high_dose") or {}).get("agents") or {}).items():
        doses = pd.to_numeric(pressors.loc[pressors["value"] == agent, "dose"], errors="coerce")
        if cut["ge"] not in set(doses) or not (doses < cut["ge"]).any():
            gaps.append(f"high-dose {agent} at and below {cut['ge']}")
    organ = crs.get("organ_toxicity") or {}
    entries = _criteria().get(organ.get("criteria", ""), {}).get("entries", [])
    for term in organ.get("terms") or {}:
        params = {p for e in entries if e["term"] == term for p in e["parameters"]}
        if not params & set(table["parameter"]):
            gaps.append(f"organ toxicity {term}")
    grades = set(table["expected_grade"]) - {"", "NA"}
    gaps += [f"expected grade {g}" for g in "01234" if g not in grades]
    return gaps


def _icans_gaps(cid: str, icans: dict[str, Any]) -> list[str]:
    table = _syndrome_table(cid, "icans")
    gaps = []
    for tool in ("ice", "capd"):
        spec = icans.get(tool) or {}
        numbers = _numbers(table, tool.upper())
        for band in spec.get("bands") or []:
            gaps += [f"{tool} {band[k]}" for k in ("min", "max") if band[k] not in numbers]
        if "unable" not in _values(table, tool.upper()):
            gaps.append(f"{tool} unable")
    for parameter, domain in (icans.get("domains") or {}).items():
        levels = domain.get("grades") or {}
        gaps += [f"{parameter} {lv}" for lv in levels if lv not in _values(table, parameter)]
    grades = set(table["expected_grade"]) - {"", "NA"}
    gaps += [f"expected grade {g}" for g in "01234" if g not in grades]
    return gaps


@pytest.mark.parametrize("cid", _of_kind(*SYNDROMES))
def test_every_crs_and_icans_tier_has_a_case(cid: str) -> None:
    doc = _criteria()[cid]
    gaps = _crs_gaps(cid, doc["crs"]) if doc.get("crs") else []
    gaps += _icans_gaps(cid, doc["icans"]) if doc.get("icans") else []
    assert not gaps, f"{cid}: no case for {gaps}"
