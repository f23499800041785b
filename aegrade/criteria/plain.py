"""The packaged criteria files as plain data, for the commands that must start instantly.

``aegrade criteria list``, ``aegrade criteria show ID [TERM]`` and the bedside scorers
(``aegrade crs``, ``aegrade icans``) read the packaged YAML files (and NCI's dictionaries, the
parameter registry's aliases) with PyYAML and the standard library alone: no pydantic, no
pandas, no numpy (issue 15 point 5).
They are the very files :func:`~aegrade.criteria.loader.load_criteria` validates; the test
suite validates every packaged file and checks that what is read here agrees with the models
(``tests/criteria/test_plain.py``), so nothing here decides anything the models do not. A
user's own criteria file is never read here: it goes through the validating loader.
"""

from __future__ import annotations

import csv
import io
import re
from functools import cache
from importlib import resources
from typing import Any

import yaml

from aegrade.criteria.labnames import fold_name, lab_vocabulary

__all__ = [
    "ALIASES",
    "SAFE_LOADER",
    "criteria_rows",
    "crs_file_id",
    "crs_file_ids",
    "packaged_ids",
    "plain_criteria",
    "plain_dictionary",
    "plain_entry",
    "plain_parameter_code",
    "plain_parameters",
]

#: The one table of the spellings users type for a grading system (case-insensitive) -> file
#: id. A CRS system given as a CTCAE version means that version's CRS file (``grades_as``).
ALIASES: dict[str, str] = {
    "5.0": "ctcae-v5.0",
    "5": "ctcae-v5.0",
    "v5": "ctcae-v5.0",
    "ctcae-v5": "ctcae-v5.0",
    "ctcae": "ctcae-v5.0",
    "6.0": "ctcae-v6.0",
    "6": "ctcae-v6.0",
    "v6": "ctcae-v6.0",
    "ctcae-v6": "ctcae-v6.0",
    "4.03": "ctcae-v4.03",
    "4": "ctcae-v4.03",
    "v4": "ctcae-v4.03",
    "ctcae-v4": "ctcae-v4.03",
    "astct": "astct-2019",
    "lee": "lee-2014",
}

#: libyaml's safe loader when PyYAML was built with it (same documents, about 10x faster),
#: else the pure-Python one; either way only plain YAML types are ever constructed.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_DATA = "aegrade.criteria.data"
_NOT_CRITERIA = ("parameters.yaml",)
_HEADER = ("id", "kind", "title", "revision", "citation", "reviewed_by")


def packaged_ids() -> list[str]:
    """The ids of the packaged criteria files, sorted.

    Examples
    --------
    >>> packaged_ids()[:2]
    ['asco-idsa-neutropenia', 'astct-2019']
    """
    return list(_packaged())


@cache
def _packaged() -> tuple[str, ...]:
    root = resources.files(_DATA)
    return tuple(
        sorted(
            p.name.removesuffix(".yaml")
            for p in root.iterdir()
            if p.name.endswith(".yaml") and p.name not in _NOT_CRITERIA
        )
    )


#: A packaged file larger than this (the CTCAE versions) is parsed once and its data kept
#: between runs (:func:`~aegrade.criteria.cache.cached_plain`): PyYAML takes about 10 ms
#: for one, a kept copy well under 1 ms. Smaller files are parsed each time.
_KEEP_ABOVE = 32_000


@cache
def _read(name: str) -> Any:
    content = resources.files(_DATA).joinpath(name).read_bytes()
    if len(content) <= _KEEP_ABOVE:
        return _parse(content)
    from aegrade.criteria.cache import cached_plain

    return cached_plain(name, content, lambda: _parse(content))


def _parse(content: bytes) -> Any:
    """A packaged file's data, as ``read_text("utf-8")`` and the safe loader give it."""
    text = content.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    return yaml.load(text, Loader=SAFE_LOADER)


def plain_criteria(criteria: str) -> dict[str, Any]:
    """A packaged criteria file by id or alias, as plain YAML data (not validated, cached).

    Raises
    ------
    KeyError
        No packaged file has this id (the validating loader names those there are).

    Examples
    --------
    >>> plain_criteria("lee")["crs"]["hypotension"]["multiple_vasopressors"]
    3
    """
    key = str(criteria).strip().lower()
    cid = ALIASES.get(key, key)
    if cid not in _packaged():
        raise KeyError(cid)
    raw: dict[str, Any] = _read(f"{cid}.yaml")
    return raw


def plain_parameters() -> dict[str, Any]:
    """The packaged parameter registry (``parameters.yaml``) as plain data: each parameter's
    canonical unit, conversions and plausible limits.

    Examples
    --------
    >>> plain_parameters()["FIO2"]["limits"]
    [21, 100]
    """
    params: dict[str, Any] = _read("parameters.yaml")["parameters"]
    return params


def crs_file_id(system: str) -> str | None:
    """The packaged file that grades a CRS system name (``astct``, ``lee-2014``, ``ctcae``,
    ``5.0``, ...), or None when no packaged file does (the validating
    :func:`~aegrade.criteria.systems.resolve_crs_system` then says why).

    Examples
    --------
    >>> crs_file_id("ctcae"), crs_file_id("LEE"), crs_file_id("4.03")
    ('ctcae-v5.0-crs', 'lee-2014', None)
    """
    key = str(system).strip().lower()
    cid = ALIASES.get(key, key)
    crs = crs_file_ids()
    if cid in crs:
        return cid
    return next((i for i in crs if _read(f"{i}.yaml").get("grades_as") == cid), None)


def crs_file_ids() -> list[str]:
    """The packaged files with a CRS part (the CRS/ICANS kinds), found without parsing the
    others (the large CTCAE files).

    Examples
    --------
    >>> crs_file_ids()
    ['astct-2019', 'ctcae-v5.0-crs', 'lee-2014']
    """
    return [i for i in _packaged() if _has_crs(i)]


@cache
def _has_crs(cid: str) -> bool:
    """Whether a packaged file has a ``crs`` part. Its text is searched for the top-level key
    before anything is parsed, so that the large CTCAE files are never parsed here (the
    packaged files are written in block style; tests/criteria/test_plain.py checks the answer
    against the validated files)."""
    text = resources.files(_DATA).joinpath(f"{cid}.yaml").read_text("utf-8")
    return ("\ncrs:" in text or text.startswith("crs:")) and "crs" in _read(f"{cid}.yaml")


def criteria_rows() -> list[dict[str, Any]]:
    """One row per packaged grading system, as :func:`~aegrade.criteria.loader.list_criteria`
    gives them (``id``, ``kind``, ``title``, ``revision``, ``citation``, ``reviewed_by``,
    ``entries``, ``graded_terms``, ``terms``), read without validating the files.

    Examples
    --------
    >>> row = {r["id"]: r for r in criteria_rows()}["ctcae-v5.0"]
    >>> row["entries"], row["graded_terms"], row["terms"]
    (53, 50, 837)
    """
    rows = []
    for cid in packaged_ids():
        raw = plain_criteria(cid)
        row = {k: raw.get(k) for k in _HEADER}
        if raw.get("kind") == "value-thresholds":
            entries = raw.get("entries") or []
            dictionary = raw.get("dictionary")
            row |= {
                "entries": len(entries),
                "graded_terms": len({e["term"] for e in entries}),
                "terms": _dictionary_size(dictionary) if dictionary else 0,
            }
        else:
            row |= {"entries": _quoted(raw), "graded_terms": 0, "terms": 0}
        rows.append(row)
    return rows


def _quoted(node: object) -> int:
    """How many criteria a file quotes from its source: the mappings with a ``text``."""
    if isinstance(node, dict):
        own = 1 if isinstance(node.get("text"), str) else 0
        return own + sum(_quoted(v) for v in node.values())
    if isinstance(node, list):
        return sum(_quoted(v) for v in node)
    return 0


@cache
def _dictionary_size(name: str) -> int:
    """Terms in a packaged NCI dictionary: its CSV records after the header."""
    text = resources.files(_DATA).joinpath("dictionaries", name).read_text("utf-8")
    return sum(1 for record in csv.reader(io.StringIO(text)) if record) - 1


_SPACE = re.compile(r"\s+")


def plain_parameter_code(text: str) -> str | None:
    """The parameter code for a code, alias or test name (case-insensitive), or None: what
    :meth:`~aegrade.criteria.units.UnitRegistry.resolve_code` answers, from the same files.

    Examples
    --------
    >>> plain_parameter_code("anc"), plain_parameter_code("ALT (SGPT)"), plain_parameter_code("x")
    ('NEUT', 'ALT', None)
    """
    code_alias, name_alias = _parameter_aliases()
    found = code_alias.get(_SPACE.sub("", str(text)).upper())
    return found if found is not None else name_alias.get(fold_name(text))


@cache
def _parameter_aliases() -> tuple[dict[str, str], dict[str, str]]:
    """Folded code or alias -> code, and folded test name -> code (the registry's lookups)."""
    code_alias: dict[str, str] = {}
    for code, spec in plain_parameters().items():
        for alias in (code, *(spec.get("aliases") or ())):
            code_alias[_SPACE.sub("", str(alias)).upper()] = code
    name_alias = dict(lab_vocabulary().names)
    for key, code in code_alias.items():
        name_alias.setdefault(fold_name(key), code)
    return code_alias, name_alias


#: The fields of a compare condition in the order the model has them, and those it holds as
#: numbers (a YAML integer is a float there).
_COMPARE = ("lhs", "op", "ref", "factor", "offset", "threshold", "sustained_hours", "max_gap_hours")
_NUMBERS = ("factor", "offset", "threshold", "sustained_hours", "max_gap_hours")
_ENTRY = ("id", "term", "meddra", "parameters", "direction", "unit")
_ENTRY_OPTIONAL = ("admiral_term", "specimen", "no_grade_zero")


def plain_entry(raw: dict[str, Any]) -> dict[str, Any]:
    """One entry of a packaged CTCAE file (plain YAML) as the validated model dumps it
    (``Entry.model_dump(exclude_none=True)``): defaults filled in, a bare compare made a
    one-condition clause, numbers as floats. Only for the packaged files, which the test suite
    validates (``tests/criteria/test_plain.py`` holds every entry to the model's dump).

    Examples
    --------
    >>> entry = plain_entry(plain_criteria("ctcae-v5.0")["entries"][0])
    >>> entry["term"], entry["grades"][1]["rules"]
    ('Anemia', ({'all': ({'lhs': 'value', 'op': 'lt', 'ref': 'lln', 'factor': 1.0},)},))
    """
    out: dict[str, Any] = {k: raw[k] for k in _ENTRY}
    out["parameters"] = tuple(raw["parameters"])
    out["grades"] = {int(g): _grade(d) for g, d in raw["grades"].items()}
    out["notes"] = tuple(raw.get("notes") or ())
    out |= {k: raw[k] for k in _ENTRY_OPTIONAL if raw.get(k) is not None}
    return out


def _grade(raw: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "text": raw["text"],
        "rules": tuple(map(_clause, raw.get("rules") or ())),
    }
    if raw.get("note") is not None:
        out["note"] = raw["note"]
    return out


def _clause(raw: dict[str, Any]) -> dict[str, Any]:
    extra = ("alternative", "note")
    conditions = raw["all"] if "all" in raw else [{k: v for k, v in raw.items() if k not in extra}]
    out: dict[str, Any] = {"all": tuple(map(_condition, conditions))}
    out |= {k: raw[k] for k in extra if raw.get(k) is not None}
    return out


def _condition(raw: dict[str, Any]) -> dict[str, Any]:
    if "baseline" in raw:
        return {"baseline": raw["baseline"]}
    if "anticoagulated" in raw:
        return {"anticoagulated": bool(raw["anticoagulated"])}
    full = {"lhs": "value", "factor": 1.0, **raw}
    return {
        k: _number(full[k]) if k in _NUMBERS else full[k]
        for k in _COMPARE
        if full.get(k) is not None
    }


def _number(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): float(v) for k, v in value.items()}
    return float(value)


def plain_dictionary(criteria: str) -> tuple[dict[str, str], ...]:
    """NCI's term dictionary of a packaged CTCAE version, one mapping of text per term (what
    :func:`~aegrade.criteria.loader.load_dictionary` reads, as records; cached).

    Raises
    ------
    KeyError
        No packaged file has this id, or it has no dictionary.

    Examples
    --------
    >>> rows = plain_dictionary("5.0")
    >>> len(rows), rows[0]["term"], rows[0]["meddra_code"]
    (837, 'Anemia', '10002272')
    """
    name = plain_criteria(criteria).get("dictionary")
    if not name:
        raise KeyError(criteria)
    return _dictionary_rows(name)


@cache
def _dictionary_rows(name: str) -> tuple[dict[str, str], ...]:
    text = resources.files(_DATA).joinpath("dictionaries", name).read_text("utf-8")
    return tuple(csv.DictReader(io.StringIO(text)))
