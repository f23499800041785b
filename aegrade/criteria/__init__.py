"""Versioned grading systems: loading, listing and the CTCAE term dictionaries."""

from __future__ import annotations

from functools import cache
from importlib import resources

import pandas as pd
import yaml
from pydantic import ValidationError

from aegrade.criteria.models import Clause, Compare, CriteriaSet, Entry, Grade
from aegrade.errors import CriteriaDefinitionError, UnknownCriteriaError

__all__ = [
    "SYSTEMS",
    "Clause",
    "Compare",
    "CriteriaSet",
    "Entry",
    "Grade",
    "list_criteria",
    "load_criteria",
    "load_dictionary",
    "load_raw",
    "resolve_criteria_id",
]

#: Every grading-system id of SPEC section 1 with what it grades and where aegrade implements it.
SYSTEMS: dict[str, str] = {
    "ctcae-v5.0": "CTCAE v5.0: lab and vital-sign terms from values; "
    "other terms as clinician grades",
    "ctcae-v4.03": "CTCAE v4.03: the same for version 4.03 (its CRS term only as a clinician "
    "grade: v4.03 writes it in infusion-reaction terms)",
    "astct-2019": "ASTCT consensus CRS and ICANS (Lee et al., BBMT 2019)",
    "lee-2014": "CRS, Lee et al., Blood 2014",
    "ctcae-v5.0-crs": "CTCAE v5.0 CRS from time series: operational readings (outputs carry "
    "ctcae-v5.0)",
    "icaht-2023": "EHA/EBMT immune effector cell-associated hematotoxicity, early and late",
    "car-hematotox": "CAR-HEMATOTOX baseline score (Rejeski et al., Blood 2021)",
    "asco-idsa-neutropenia": "ASCO/IDSA neutropenia depth and duration",
}

_ALIASES = {
    "5.0": "ctcae-v5.0",
    "5": "ctcae-v5.0",
    "v5": "ctcae-v5.0",
    "ctcae-v5": "ctcae-v5.0",
    "4.03": "ctcae-v4.03",
    "4": "ctcae-v4.03",
    "v4": "ctcae-v4.03",
    "ctcae-v4": "ctcae-v4.03",
}


def resolve_criteria_id(criteria: str) -> str:
    """Normalize a user's spelling ('5.0', 'ctcae-v5.0') to a criteria id."""
    key = criteria.strip().lower()
    return _ALIASES.get(key, key)


def _data_files() -> list[str]:
    root = resources.files("aegrade.criteria.data")
    return sorted(
        p.name[:-5]
        for p in root.iterdir()
        if p.name.endswith(".yaml") and p.name != "parameters.yaml"
    )


@cache
def load_raw(criteria: str) -> dict:
    """The parsed YAML of a criteria file, whatever its kind (header checked, body not).

    Files of kind ``value-thresholds`` (CTCAE) are validated by :func:`load_criteria`; the
    other kinds (ASTCT, ICAHT, ...) by the grading module that owns them.
    """
    cid = resolve_criteria_id(criteria)
    if cid not in _data_files():
        raise UnknownCriteriaError(
            f"unknown criteria {criteria!r}; available: {', '.join(_data_files())}"
        )
    text = resources.files("aegrade.criteria.data").joinpath(f"{cid}.yaml").read_text("utf-8")
    raw = yaml.load(text, Loader=SAFE_LOADER)
    missing = [k for k in _HEADER if k not in raw]
    if missing:
        raise CriteriaDefinitionError(f"{cid}.yaml: header lacks {', '.join(missing)}")
    if raw["id"] != cid:
        raise CriteriaDefinitionError(f"{cid}.yaml: id {raw['id']!r} does not match the file name")
    return raw


#: libyaml's safe loader when PyYAML was built with it (same documents, about 10x faster),
#: else the pure-Python one; either way only plain YAML types are ever constructed.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_HEADER = ("id", "kind", "title", "citation", "revision")


def list_criteria() -> pd.DataFrame:
    """The grading systems aegrade has: id, kind, title, revision and citation."""
    rows = []
    for cid in _data_files():
        raw = load_raw(cid)
        rows.append({k: raw[k] for k in _HEADER} | {"entries": len(raw.get("entries") or [])})
    return pd.DataFrame(rows)


@cache
def load_criteria(criteria: str) -> CriteriaSet:
    """Load and validate one criteria file.

    Raises
    ------
    UnknownCriteriaError
        The id is not one aegrade has (the message lists those it has).
    CriteriaDefinitionError
        The file breaks the format; the message names the file, entry and key.
    """
    raw = load_raw(criteria)
    name = f"{raw['id']}.yaml"
    if raw["kind"] != "value-thresholds":
        raise UnknownCriteriaError(
            f"{raw['id']} is a {raw['kind']} system; grade it with its own function, not grade_labs"
        )
    try:
        result = CriteriaSet.model_validate(raw)
    except ValidationError as exc:
        raise CriteriaDefinitionError(_describe(name, raw, exc)) from None
    return result


def _describe(name: str, raw: dict, exc: ValidationError) -> str:
    lines = [f"{name}: invalid criteria file"]
    for err in exc.errors():
        loc = list(err["loc"])
        where = ".".join(str(x) for x in loc)
        if len(loc) > 1 and loc[0] == "entries" and isinstance(loc[1], int):
            entry = raw.get("entries", [])[loc[1]]
            where = f"entry {entry.get('id', loc[1])!r}: " + ".".join(str(x) for x in loc[2:])
        lines.append(f"  {where}: {err['msg']}")
    return "\n".join(lines)


@cache
def load_dictionary(criteria: str) -> pd.DataFrame:
    """NCI's full term dictionary of a CTCAE version (837 terms in v5.0, 790 in v4.03)."""
    c = load_criteria(criteria)
    if not c.dictionary:
        raise UnknownCriteriaError(f"{c.id} has no term dictionary")
    path = resources.files("aegrade.criteria.data").joinpath("dictionaries", c.dictionary)
    with path.open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)
