"""Finding, reading and validating criteria files, whatever their kind.

One loader for every kind: :func:`load_criteria` (a packaged file, by id or alias) and
:func:`load_criteria_file` (any file, by path) read the YAML, pick the model from the file's
``kind`` (:data:`KINDS`) and validate it. A broken file gives one line per problem, naming the
file, the entry (by its term or id) and the key, never pydantic's internals.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar, cast, overload

import pandas as pd
import yaml
from pydantic import ValidationError

from aegrade.criteria.base import CriteriaHeader
from aegrade.criteria.ctcae import CtcaeCriteria
from aegrade.criteria.hematology import HematotoxCriteria, IcahtCriteria, NeutropeniaCriteria
from aegrade.criteria.problems import describe_problems
from aegrade.criteria.syndromes import CrsIcansCriteria
from aegrade.errors import CriteriaDefinitionError, UnknownCriteriaError

__all__ = [
    "ALIASES",
    "KINDS",
    "SAFE_LOADER",
    "Criteria",
    "list_criteria",
    "load_criteria",
    "load_criteria_as",
    "load_criteria_file",
    "load_crs_icans_criteria",
    "load_ctcae",
    "load_dictionary",
    "load_hematology_criteria",
    "load_raw",
    "packaged_ids",
    "provenance",
    "provenance_fields",
    "resolve_criteria_id",
]

#: Any criteria file, validated.
Criteria = (
    CtcaeCriteria | CrsIcansCriteria | IcahtCriteria | HematotoxCriteria | NeutropeniaCriteria
)
M = TypeVar("M", bound=CriteriaHeader)

#: File ``kind`` -> the model that validates it.
KINDS: dict[str, type[CriteriaHeader]] = {
    "value-thresholds": CtcaeCriteria,
    "astct-crs-icans": CrsIcansCriteria,
    "lee-2014-crs": CrsIcansCriteria,
    "ctcae-crs": CrsIcansCriteria,
    "icaht": IcahtCriteria,
    "car-hematotox": HematotoxCriteria,
    "neutropenia": NeutropeniaCriteria,
}

#: The one table of the spellings users type for a grading system (case-insensitive) -> file
#: id. A CRS system given as a CTCAE version means that version's CRS file (``grades_as``).
ALIASES: dict[str, str] = {
    "5.0": "ctcae-v5.0",
    "5": "ctcae-v5.0",
    "v5": "ctcae-v5.0",
    "ctcae-v5": "ctcae-v5.0",
    "ctcae": "ctcae-v5.0",
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
_LIST_COLUMNS = ("id", "kind", "title", "revision", "citation", "reviewed_by")


def resolve_criteria_id(criteria: str) -> str:
    """A user's spelling of a grading system -> its file id (through :data:`ALIASES`).

    Parameters
    ----------
    criteria
        An id (``ctcae-v5.0``) or an alias (``5.0``, ``v4``, ``astct``, ``lee``).

    Returns
    -------
    str
        The id, lower case; unknown spellings are returned folded, unchanged otherwise.

    Examples
    --------
    >>> resolve_criteria_id("5.0"), resolve_criteria_id(" ASTCT-2019 ")
    ('ctcae-v5.0', 'astct-2019')
    """
    key = criteria.strip().lower()
    return ALIASES.get(key, key)


def packaged_ids() -> list[str]:
    """The ids of the packaged criteria files, sorted.

    Examples
    --------
    >>> packaged_ids()[:2]
    ['asco-idsa-neutropenia', 'astct-2019']
    """
    root = resources.files(_DATA)
    return sorted(
        p.name.removesuffix(".yaml")
        for p in root.iterdir()
        if p.name.endswith(".yaml") and p.name not in _NOT_CRITERIA
    )


def _read_yaml(text: str, name: str) -> dict[str, Any]:
    try:
        raw = yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise CriteriaDefinitionError(f"{name}:{where}: not valid YAML: {problem}") from None
    if not isinstance(raw, dict):
        raise CriteriaDefinitionError(f"{name}: a criteria file is a mapping of keys")
    return raw


@cache
def load_raw(criteria: str) -> dict[str, Any]:
    """The parsed YAML of a packaged criteria file, whatever its kind (not validated).

    Parameters
    ----------
    criteria
        An id or alias (:func:`resolve_criteria_id`).

    Returns
    -------
    dict
        The file as plain YAML types. Use :func:`load_criteria` for the validated object.

    Raises
    ------
    UnknownCriteriaError
        No packaged file has this id (the message lists those there are).

    Examples
    --------
    >>> load_raw("lee-2014")["kind"]
    'lee-2014-crs'
    """
    cid = resolve_criteria_id(criteria)
    if cid not in packaged_ids():
        raise UnknownCriteriaError(
            f"unknown criteria {criteria!r}; available: {', '.join(packaged_ids())}"
        )
    text = resources.files(_DATA).joinpath(f"{cid}.yaml").read_text("utf-8")
    return _read_yaml(text, f"{cid}.yaml")


def _validate(raw: dict[str, Any], name: str) -> Criteria:
    """The model of the file's kind, validated; every problem at once, one line each."""
    kind = raw.get("kind")
    if kind is None:
        raise CriteriaDefinitionError(f"{name}: missing key 'kind'")
    if kind not in KINDS:
        raise CriteriaDefinitionError(
            f"{name}: key 'kind': unknown kind {kind!r}; one of {', '.join(KINDS)}"
        )
    try:
        return cast(Criteria, KINDS[kind].model_validate(raw))
    except ValidationError as exc:
        lines = describe_problems(name, raw, exc, list(KINDS.values()))
        raise CriteriaDefinitionError("\n".join(lines)) from None


@cache
def load_criteria(criteria: str) -> Criteria:
    """Load and validate one packaged criteria file, of any kind.

    Parameters
    ----------
    criteria
        An id (``ctcae-v5.0``, ``astct-2019``, ``icaht-2023``, ...) or an alias (``5.0``).

    Returns
    -------
    Criteria
        The model of the file's ``kind`` (:data:`KINDS`), frozen.

    Raises
    ------
    UnknownCriteriaError
        The id is not one aegrade has (the message lists those it has).
    CriteriaDefinitionError
        The file breaks its format: one line per problem naming the file, entry and key.

    Examples
    --------
    >>> load_criteria("5.0").id, load_criteria("astct-2019").kind
    ('ctcae-v5.0', 'astct-crs-icans')
    """
    raw = load_raw(criteria)
    cid = resolve_criteria_id(criteria)
    if raw.get("id") != cid:
        raise CriteriaDefinitionError(
            f"{cid}.yaml: key 'id': {raw.get('id')!r} does not match the file name"
        )
    return _validate(raw, f"{cid}.yaml")


def load_criteria_file(path: str | Path) -> Criteria:
    """Load and validate a criteria file from a path (e.g. a user's own criteria file).

    Parameters
    ----------
    path
        A YAML file in one of the formats of :data:`KINDS`.

    Returns
    -------
    Criteria
        The validated model of the file's ``kind``.

    Raises
    ------
    CriteriaDefinitionError
        The file cannot be read or breaks its format: one line per problem, each naming the
        file, the entry (by its term or id) and the key.

    Examples
    --------
    >>> from importlib import resources
    >>> path = resources.files("aegrade.criteria.data") / "lee-2014.yaml"
    >>> load_criteria_file(str(path)).title
    'Cytokine release syndrome grading (Lee et al., Blood 2014)'
    """
    p = Path(path)
    try:
        text = p.read_text("utf-8")
    except OSError as exc:
        raise CriteriaDefinitionError(f"{p.name}: cannot be read ({exc.strerror})") from None
    return _validate(_read_yaml(text, p.name), p.name)


def load_criteria_as(criteria: str, model: type[M]) -> M:
    """:func:`load_criteria`, checked to be of one model (for typed callers).

    Parameters
    ----------
    criteria
        An id or alias.
    model
        The expected model, e.g. :class:`~aegrade.criteria.ctcae.CtcaeCriteria`.

    Returns
    -------
    model
        The validated file.

    Raises
    ------
    UnknownCriteriaError
        The file is of another kind (the message says which).

    Examples
    --------
    >>> from aegrade.criteria.ctcae import CtcaeCriteria
    >>> len(load_criteria_as("ctcae-v5.0", CtcaeCriteria).entries)
    53
    """
    c = load_criteria(criteria)
    if not isinstance(c, model):
        kinds = [k for k, m in KINDS.items() if m is model]
        raise UnknownCriteriaError(
            f"{c.id} is a {c.kind} system, not {' or '.join(kinds)}; grade it with its own function"
        )
    return c


def load_ctcae(criteria: str) -> CtcaeCriteria:
    """A CTCAE criteria file (``kind: value-thresholds``) by id or alias.

    Raises
    ------
    UnknownCriteriaError
        No such file, or a file of another kind (grade it with its own function).

    Examples
    --------
    >>> load_ctcae("4.03").id
    'ctcae-v4.03'
    """
    return load_criteria_as(criteria, CtcaeCriteria)


def load_crs_icans_criteria(criteria: str) -> CrsIcansCriteria:
    """A CRS/ICANS criteria file by id (``astct-2019``, ``lee-2014``, ``ctcae-v5.0-crs``).

    Examples
    --------
    >>> load_crs_icans_criteria("lee-2014").crs.hypotension.multiple_vasopressors
    3
    """
    return load_criteria_as(criteria, CrsIcansCriteria)


@overload
def load_hematology_criteria(criteria: str, kind: type[IcahtCriteria]) -> IcahtCriteria: ...
@overload
def load_hematology_criteria(criteria: str, kind: type[HematotoxCriteria]) -> HematotoxCriteria: ...
@overload
def load_hematology_criteria(
    criteria: str, kind: type[NeutropeniaCriteria]
) -> NeutropeniaCriteria: ...
@overload
def load_hematology_criteria(criteria: str, kind: str) -> Any: ...
def load_hematology_criteria(criteria: str, kind: str | type[CriteriaHeader]) -> Any:
    """A hematology criteria file checked to be of ``kind`` (a kind name or its model).

    Raises
    ------
    CriteriaDefinitionError
        The file is of another kind.

    Examples
    --------
    >>> load_hematology_criteria("car-hematotox", "car-hematotox").classes[1].label
    'high'
    """
    names = [kind] if isinstance(kind, str) else [k for k, m in KINDS.items() if m is kind]
    c = load_criteria(criteria)
    if c.kind not in names:  # a file's kind decides its model (KINDS)
        raise CriteriaDefinitionError(
            f"{c.id}.yaml is of kind {c.kind!r}, not {' or '.join(map(repr, names))}"
        )
    return c


def list_criteria() -> pd.DataFrame:
    """The grading systems aegrade has, one row each.

    Returns
    -------
    pandas.DataFrame
        ``id``, ``kind``, ``title``, ``revision``, ``citation``, ``reviewed_by`` and
        ``entries`` (CTCAE terms graded from values; 0 for other kinds).

    Examples
    --------
    >>> list_criteria().set_index("id").loc["icaht-2023", "kind"]
    'icaht'
    """
    rows = []
    for cid in packaged_ids():
        c = load_criteria(cid)
        entries = len(c.entries) if isinstance(c, CtcaeCriteria) else 0
        rows.append({k: getattr(c, k) for k in _LIST_COLUMNS} | {"entries": entries})
    return pd.DataFrame(rows)


def provenance(ids: Iterable[str]) -> list[dict[str, str]]:
    """Where each grading system used comes from, read from the criteria headers.

    Parameters
    ----------
    ids
        Criteria ids or aliases (repeats are listed once, in first-seen order).

    Returns
    -------
    list of dict
        Per system: ``id``, ``kind``, ``title``, ``revision``, ``citation``, ``source_url``
        and ``reviewed_by`` (``"not reviewed"`` when no clinician has signed the file off),
        all as text.

    Examples
    --------
    >>> [(p["id"], p["revision"]) for p in provenance(["5.0", "astct-2019", "ctcae-v5.0"])]
    [('ctcae-v5.0', '2'), ('astct-2019', '1')]
    """
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for given in ids:
        c = load_criteria(given)
        if c.id in seen:
            continue
        seen.add(c.id)
        out.append(
            {
                "id": c.id,
                "kind": c.kind,
                "title": c.title,
                "revision": str(c.revision),
                "citation": " ".join(c.citation.split()),
                "source_url": c.source_url,
                "reviewed_by": c.reviewed_by or "not reviewed",
            }
        )
    return out


@cache
def load_dictionary(criteria: str) -> pd.DataFrame:
    """NCI's full term dictionary of a CTCAE version (837 terms in v5.0, 790 in v4.03).

    Raises
    ------
    UnknownCriteriaError
        The system has no term dictionary (not a CTCAE version).

    Examples
    --------
    >>> len(load_dictionary("ctcae-v5.0"))
    837
    """
    c = load_criteria(criteria)
    if not isinstance(c, CtcaeCriteria) or not c.dictionary:
        raise UnknownCriteriaError(f"{c.id} has no term dictionary")
    path = resources.files(_DATA).joinpath("dictionaries", c.dictionary)
    with path.open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


def provenance_fields(ids: Iterable[str]) -> dict[str, str]:
    """:func:`provenance` flattened for a result's ``meta`` and the About sheet.

    Parameters
    ----------
    ids
        Criteria ids or aliases, in the order they should be listed.

    Returns
    -------
    dict
        ``grading_systems`` (the ids, comma-separated) and ``"<id> <field>"`` for the title,
        revision, citation and reviewed_by of each system.

    Examples
    --------
    >>> fields = provenance_fields(["icaht-2023"])
    >>> fields["grading_systems"], fields["icaht-2023 revision"]
    ('icaht-2023', '1')
    """
    systems = provenance(ids)
    out = {"grading_systems": ", ".join(p["id"] for p in systems)}
    for p in systems:
        for key in ("title", "revision", "citation", "reviewed_by"):
            out[f"{p['id']} {key}"] = p[key]
    return out
