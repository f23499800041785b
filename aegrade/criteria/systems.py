"""Which file grades a syndrome: CRS and ICANS system names, and Lee 2014's organ terms.

A user names a CRS system as ``astct``, ``lee`` or a CTCAE version; the file that grades it is
found from the files themselves (their ``kind``, ``grades_as`` and ``icans`` part), through the
one alias table of :mod:`aegrade.criteria.loader`.
"""

from __future__ import annotations

from aegrade.criteria.ctcae import CtcaeCriteria
from aegrade.criteria.loader import load_criteria_as, load_raw, resolve_criteria_id
from aegrade.criteria.plain import crs_file_ids
from aegrade.criteria.syndromes import OrganToxicity
from aegrade.errors import CriteriaDefinitionError, UnknownCriteriaError

__all__ = ["organ_toxicity_parameters", "resolve_crs_system", "resolve_icans_system"]


def resolve_crs_system(system: str) -> str:
    """A user's CRS system name -> the file id that grades it.

    ``astct``/``astct-2019``, ``lee``/``lee-2014``, and a CTCAE version (``ctcae``, ``5.0``,
    ``ctcae-v5.0``), which means that version's CRS file (the one whose ``grades_as`` it is).

    Raises
    ------
    UnknownCriteriaError
        No CRS file for this name (CTCAE v4.03 with the reason).

    Examples
    --------
    >>> resolve_crs_system("ctcae"), resolve_crs_system("lee")
    ('ctcae-v5.0-crs', 'lee-2014')
    """
    cid = resolve_criteria_id(system)
    crs_ids = crs_file_ids()  # the CRS/ICANS kinds: the CTCAE files are not parsed for this
    if cid in crs_ids:
        return cid
    for i in crs_ids:
        if load_raw(i).get("grades_as") == cid:
            return i
    if cid == "ctcae-v4.03":
        raise UnknownCriteriaError(
            "CTCAE v4.03 'Cytokine release syndrome' uses infusion-reaction wording and cannot be "
            "derived from observations; give it as a clinician event (events table) instead. "
            f"CRS systems graded from observations: {', '.join(crs_ids)}"
        )
    raise UnknownCriteriaError(
        f"unknown CRS system {system!r}; available: astct-2019, lee-2014, ctcae-v5.0"
    )


def resolve_icans_system(system: str) -> str:
    """A user's ICANS system name -> the file id that grades it (a file with an ICANS part).

    Examples
    --------
    >>> resolve_icans_system("ASTCT")
    'astct-2019'
    """
    cid = resolve_criteria_id(system)
    ids = [i for i in crs_file_ids() if load_raw(i).get("icans") is not None]
    if cid not in ids:
        raise UnknownCriteriaError(f"unknown ICANS system {system!r}; available: {', '.join(ids)}")
    return cid


def organ_toxicity_parameters(rule: OrganToxicity) -> tuple[str, ...]:
    """The parameter codes graded by the CTCAE terms an organ-toxicity rule reads (Lee 2014).

    Adding a term to the rule's ``terms`` adds its parameters: nothing else lists them.

    Raises
    ------
    CriteriaDefinitionError
        A term is not graded from values in the rule's CTCAE version.

    Examples
    --------
    >>> from aegrade.criteria import load_crs_icans_criteria
    >>> rule = load_crs_icans_criteria("lee-2014").crs.organ_toxicity
    >>> sorted(organ_toxicity_parameters(rule))
    ['ALT', 'AST', 'BILI', 'CREAT']
    """
    ctcae = load_criteria_as(rule.criteria, CtcaeCriteria)
    known = {e.term for e in ctcae.entries}
    missing = [t for t in rule.terms if t not in known]
    if missing:
        raise CriteriaDefinitionError(
            f"organ_toxicity: term {missing[0]!r} is not graded from values in {ctcae.id}"
        )
    codes = (p for e in ctcae.entries if e.term in rule.terms for p in e.parameters)
    return tuple(dict.fromkeys(codes))
