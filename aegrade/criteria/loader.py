"""Finding, reading and validating criteria files, whatever their kind.

One loader for every kind: :func:`load_criteria` (a packaged file, by id or alias) and
:func:`load_criteria_file` (any file, by path) read the YAML, pick the model from the file's
``kind`` (:data:`KINDS`) and validate it. A broken file gives one line per problem, naming the
file, the entry (by its term or id) and the key, never pydantic's internals.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

import yaml
from pydantic import BaseModel, ValidationError

from aegrade.criteria.base import CriteriaHeader
from aegrade.criteria.cache import cached
from aegrade.criteria.ctcae import CtcaeCriteria, unit_problems
from aegrade.criteria.hematology import HematotoxCriteria, IcahtCriteria, NeutropeniaCriteria
from aegrade.criteria.plain import ALIASES, SAFE_LOADER, packaged_ids
from aegrade.criteria.syndromes import CrsIcansCriteria
from aegrade.errors import CriteriaDefinitionError, UnknownCriteriaError
from aegrade.lazy import lazy_module

if TYPE_CHECKING:
    import pandas as pd
else:  # the tables of list_criteria and load_dictionary only: a file is checked without it
    pd = lazy_module("pandas", globals(), "pd")

__all__ = [
    "ALIASES",
    "KINDS",
    "SAFE_LOADER",
    "Criteria",
    "criteria_token",
    "is_criteria_path",
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
    "register_criteria_file",
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

_DATA = "aegrade.criteria.data"
_LIST_COLUMNS = ("id", "kind", "title", "revision", "citation", "reviewed_by")
_PATH_SUFFIXES = (".yaml", ".yml")

#: A user's own criteria files loaded this session: lower-case id -> (file, content digest).
_USER: dict[str, tuple[Criteria, str]] = {}


def is_criteria_path(criteria: str) -> bool:
    """Whether a criteria argument names a file (``.yaml``/``.yml``) rather than an id.

    Examples
    --------
    >>> is_criteria_path("site/ctcae-site.yaml"), is_criteria_path("ctcae-v5.0")
    (True, False)
    """
    return str(criteria).strip().lower().endswith(_PATH_SUFFIXES)


def register_criteria_file(path: str | Path) -> str:
    """Load a user's criteria file and make its id usable wherever an id is (this session).

    The file is validated in the packaged format (one line per problem). Its ``id`` must not be
    a packaged id (a site's copy of CTCAE v5.0 needs its own id, e.g. ``site-ctcae-v5.0``), so
    that the packaged system is never silently replaced. Loading a changed file under the same
    id replaces the earlier one.

    Parameters
    ----------
    path
        A YAML criteria file of any kind of :data:`KINDS`.

    Returns
    -------
    str
        The file's id, lower case.

    Raises
    ------
    CriteriaDefinitionError
        The file cannot be read, breaks its format, reuses a packaged id or names a dictionary
        aegrade does not have.

    Examples
    --------
    >>> import tempfile
    >>> from importlib import resources
    >>> text = (resources.files("aegrade.criteria.data") / "lee-2014.yaml").read_text("utf-8")
    >>> folder = tempfile.mkdtemp()
    >>> site = Path(folder) / "site.yaml"
    >>> _ = site.write_text(text.replace("id: lee-2014", "id: site-lee"), "utf-8")
    >>> register_criteria_file(site), load_criteria("site-lee").kind
    ('site-lee', 'lee-2014-crs')
    """
    p = Path(str(path).strip())
    c = load_criteria_file(p)
    cid = c.id.strip().lower()
    if cid in packaged_ids() or cid in ALIASES:
        raise CriteriaDefinitionError(
            f"{p.name}: key 'id': {c.id!r} is a packaged grading system; give your file its own "
            f"id (e.g. 'site-{cid}') so that both can be used and told apart"
        )
    if isinstance(c, CtcaeCriteria) and c.dictionary:
        try:
            _read_dictionary(c.dictionary)
        except CriteriaDefinitionError as exc:
            raise CriteriaDefinitionError(f"{p.name}: {exc}") from None
    digest = hashlib.sha256(p.read_bytes()).hexdigest()
    _USER[cid] = (c, digest)
    return cid


def criteria_token(criteria: str) -> str:
    """A token that changes when the file behind an id changes (for callers' caches).

    Empty for packaged files (they do not change while aegrade runs); the content digest of a
    user's file registered with :func:`register_criteria_file`.

    Examples
    --------
    >>> criteria_token("ctcae-v5.0")
    ''
    """
    entry = _USER.get(resolve_criteria_id(criteria))
    return entry[1] if entry else ""


def resolve_criteria_id(criteria: str) -> str:
    """A user's spelling of a grading system -> its file id (through :data:`ALIASES`).

    Parameters
    ----------
    criteria
        An id (``ctcae-v5.0``) or an alias (``5.0``, ``v4``, ``astct``, ``lee``), or the path of
        a user's criteria file (``.yaml``), which is loaded and registered under its own id
        (:func:`register_criteria_file`).

    Returns
    -------
    str
        The id, lower case; unknown spellings are returned folded, unchanged otherwise.

    Examples
    --------
    >>> resolve_criteria_id("5.0"), resolve_criteria_id(" ASTCT-2019 ")
    ('ctcae-v5.0', 'astct-2019')
    """
    if is_criteria_path(criteria):
        return register_criteria_file(criteria)
    key = criteria.strip().lower()
    return ALIASES.get(key, key)


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
    if not isinstance(kind, str) or kind not in KINDS:  # a list or mapping: not a kind
        raise CriteriaDefinitionError(
            f"{name}: key 'kind': unknown kind {kind!r}; one of {', '.join(KINDS)}"
        )
    try:
        criteria = cast(Criteria, KINDS[kind].model_validate(raw))
    except ValidationError as exc:
        from aegrade.criteria.problems import describe_problems  # a broken file only

        lines = describe_problems(name, raw, exc, list(KINDS.values()))
        raise CriteriaDefinitionError("\n".join(lines)) from None
    if isinstance(criteria, CtcaeCriteria):
        lines = [f"{name}: {line}" for line in unit_problems(criteria)]
        if lines:
            raise CriteriaDefinitionError("\n".join(lines))
    return criteria


def load_criteria(criteria: str) -> Criteria:
    """Load and validate one criteria file, of any kind: packaged, or a user's own file.

    Parameters
    ----------
    criteria
        An id (``ctcae-v5.0``, ``astct-2019``, ``icaht-2023``, ...), an alias (``5.0``), or
        the path of a user's ``.yaml`` criteria file (or the id of one loaded before).

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
    cid = resolve_criteria_id(criteria)
    if cid in _USER:
        return _USER[cid][0]
    return _load_packaged(cid)


@cache
def _load_packaged(cid: str) -> Criteria:
    """One packaged file, validated (cached: packaged files do not change while aegrade runs;
    kept between runs by :func:`~aegrade.criteria.cache.cached`, keyed by the file's bytes)."""
    if cid not in packaged_ids():
        return _validate_packaged(cid)  # the error load_raw gives
    content = resources.files(_DATA).joinpath(f"{cid}.yaml").read_bytes()
    return cached(cid, content, CriteriaHeader, lambda: _validate_packaged(cid))  # type: ignore[return-value]


def _validate_packaged(cid: str) -> Criteria:
    """One packaged file, parsed and validated."""
    raw = load_raw(cid)
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
        content = p.read_bytes()
    except OSError as exc:
        raise CriteriaDefinitionError(f"{p.name}: cannot be read ({exc.strerror})") from None
    # kept between runs like a packaged file (keyed by these very bytes): a run graded with
    # the same file again does not validate it again
    return cached(  # type: ignore[return-value]
        f"file-{p.stem}",
        content,
        CriteriaHeader,
        lambda: _validate(_read_yaml(_text(content, p.name), p.name), p.name),
    )


def _text(content: bytes, name: str) -> str:
    """A file's bytes as ``Path.read_text("utf-8")`` gives them (universal newlines); bytes
    that are not UTF-8 are an error naming the file and where they are."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        raise CriteriaDefinitionError(
            f"{name}: line {line}: not UTF-8 text (byte {exc.start}: "
            f"{content[exc.start : exc.start + 1]!r}); save the file as UTF-8"
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


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
    >>> from aegrade.criteria.ctcae import CtcaeCriteria, unit_problems
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
        ``id``, ``kind``, ``title``, ``revision``, ``citation``, ``reviewed_by``, ``entries``
        (what the file grades, counted: CTCAE entries graded from values, one per term,
        direction and parameter; for other kinds the criteria quoted from the source, each with
        its own text), ``graded_terms`` (the distinct CTCAE terms those entries grade; 0 for
        other kinds) and ``terms`` (the terms of a CTCAE version's NCI dictionary; 0 for other
        kinds). A user's files loaded this session
        (:func:`register_criteria_file`) are listed after the packaged ones.

    Examples
    --------
    >>> table = list_criteria().set_index("id")
    >>> table.loc["icaht-2023", "kind"], int(table.loc["ctcae-v5.0", "terms"])
    ('icaht', 837)
    >>> int(table.loc["ctcae-v5.0", "entries"]), int(table.loc["ctcae-v5.0", "graded_terms"])
    (53, 50)
    """
    rows = []
    for cid in [*packaged_ids(), *_USER]:
        c = load_criteria(cid)
        terms = len(load_dictionary(cid)) if isinstance(c, CtcaeCriteria) and c.dictionary else 0
        entries = len(c.entries) if isinstance(c, CtcaeCriteria) else _quoted(c)
        graded = len({e.term for e in c.entries}) if isinstance(c, CtcaeCriteria) else 0
        row = {k: getattr(c, k) for k in _LIST_COLUMNS}
        rows.append(row | {"entries": entries, "graded_terms": graded, "terms": terms})
    return pd.DataFrame(rows)


def _quoted(model: object) -> int:
    """How many criteria in a file quote their source (nested models with a ``text``)."""
    if isinstance(model, BaseModel):
        own = 1 if isinstance(getattr(model, "text", None), str) else 0
        return own + sum(_quoted(getattr(model, f)) for f in type(model).model_fields)
    if isinstance(model, dict):
        return sum(_quoted(v) for v in model.values())
    if isinstance(model, tuple | list):
        return sum(_quoted(v) for v in model)
    return 0


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
    [('ctcae-v5.0', '2'), ('astct-2019', '2')]
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


def load_dictionary(criteria: str) -> pd.DataFrame:
    """NCI's full term dictionary of a CTCAE version (837 terms in v5.0, 790 in v4.03, 850 in
    v6.0); a user's CTCAE file names one of the packaged dictionaries (``dictionary:``).

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
    return _read_dictionary(c.dictionary)


@cache
def _read_dictionary(name: str) -> pd.DataFrame:
    """A packaged dictionary by file name (cached)."""
    folder = resources.files(_DATA).joinpath("dictionaries")
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".csv"))
    if name not in names:
        raise CriteriaDefinitionError(
            f"key 'dictionary': {name!r} is not a packaged dictionary; one of {', '.join(names)}"
        )
    with folder.joinpath(name).open("r", encoding="utf-8") as fh:
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
    ('icaht-2023', '2')
    """
    systems = provenance(ids)
    out = {"grading_systems": ", ".join(p["id"] for p in systems)}
    for p in systems:
        for key in ("title", "revision", "citation", "reviewed_by"):
            out[f"{p['id']} {key}"] = p[key]
    return out
