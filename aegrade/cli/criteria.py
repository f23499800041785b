"""``aegrade criteria``: list the grading systems, or show one system or one term."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import click

from aegrade.cli._common import reports_errors

if TYPE_CHECKING:
    from aegrade.criteria import CtcaeCriteria

# The criteria package (pydantic, pandas) is imported when a sub-command runs, not when the
# command line starts: ``aegrade criteria --help`` stays instant (issue 15); ``list`` and
# ``show`` of a packaged system (and of a term it grades or its dictionary has) read the
# packaged files as plain data (aegrade.criteria.plain) and stay instant too, and so does
# ``check`` of a valid file (aegrade.criteria.precheck).

__all__ = ["check_command", "criteria_group", "list_command", "show_command"]


@click.group("criteria", invoke_without_command=True)
@click.pass_context
def criteria_group(ctx: click.Context) -> None:
    """List grading systems (default) or show one."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_command)


@criteria_group.command("list")
def list_command() -> None:
    """Every grading system: id, revision, entries and title."""
    from aegrade.criteria.plain import criteria_rows  # the files as plain data: instant

    for rec in criteria_rows():
        terms, entries = int(rec["terms"]), int(rec["entries"])
        what = (
            f"{entries:>3} entries, {int(rec['graded_terms'])} terms graded from values, "
            f"{terms} in NCI's dictionary"
            if terms
            else f"{entries:>3} criteria quoted from the source"
        )
        click.echo(f"{rec['id']:<16} rev {rec['revision']}  {what}  {rec['title']}")


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(
        " ".join(str(text).split()),
        width=96,
        initial_indent=indent,
        subsequent_indent=indent + "  ",
    )


@criteria_group.command("show")
@click.argument("criteria_id", metavar="ID")
@click.argument("term", required=False)
def show_command(criteria_id: str, term: str | None) -> None:
    """Show the header and notes of ID (an id or your own criteria FILE.yaml), or one TERM:
    its grades, rules and notes when graded from values, else NCI's text of any CTCAE term.
    TERM may be a term, an entry id or a parameter code or alias (ANC, SGPT, ...)."""
    # a packaged system, and a term it grades or its dictionary has, is shown from its files
    # as plain data: instant; anything else (a user's file, a renamed or unknown term) from
    # the validated file
    from aegrade.criteria.plain import plain_criteria

    try:
        raw = plain_criteria(criteria_id)
    except KeyError:  # not a packaged id: a user's file, validated
        raw = None
    if raw is not None:
        if term is None:
            _show_system(raw)
            return
        if _show_plain_term(raw, term):
            return
    _show_validated(criteria_id, term)


@reports_errors
def _show_validated(criteria_id: str, term: str | None) -> None:
    """``show`` from the validated file: a user's file, or one term of a system."""
    from aegrade.criteria import CtcaeCriteria, load_criteria

    c = load_criteria(criteria_id)
    if term is None:
        _show_system(c.model_dump())
        return
    if not isinstance(c, CtcaeCriteria):
        raise click.UsageError(f"{c.id} has no per-term entries")
    if _show_term(c, term):
        return
    renamed = _renamed(c.id, term)
    if renamed:
        older, change, targets = renamed
        click.echo(
            f"{term!r} is not a term of {c.id}: NCI's {older} -> {c.id} mapping sheet "
            f"({change}) gives it as "
            + "; ".join(f"{t!r} (grades {', '.join(gs)})" for t, gs in targets.items())
        )
        for target in targets:
            click.echo("")
            _show_term(c, target)
        return
    raise click.UsageError(
        f"{term!r} is neither graded from values in {c.id} nor a term of its dictionary; "
        "try 'aegrade criteria show " + c.id + "'"
    )


def _grades_term(entry: Mapping[str, Any], key: str, code: str) -> bool:
    """Whether an entry (its model's dump or plain data) grades the term, entry id or
    parameter ``key`` (lower case; ``code``: the parameter code it names, lower case)."""
    return key in (entry["term"].lower(), entry["id"].lower()) or any(
        p.lower() in (key, code) for p in entry["parameters"]
    )


def _show_plain_term(raw: Mapping[str, Any], term: str) -> bool:
    """:func:`_show_term` from a packaged file's plain data (no pydantic, pandas or numpy);
    False when neither its entries nor its dictionary have the term (the validated path then
    looks for a renamed term and reports an unknown one)."""
    from aegrade.criteria.plain import plain_dictionary, plain_entry, plain_parameter_code

    if raw.get("kind") != "value-thresholds":
        return False
    key = term.strip().lower()
    code = (plain_parameter_code(term) or "").lower()
    found = [e for e in raw.get("entries") or () if _grades_term(e, key, code)]
    for entry in found:
        _show_entry(raw["id"], plain_entry(entry))
    if found:
        return True
    if raw.get("dictionary"):
        row = next(
            (
                r
                for r in plain_dictionary(raw["id"])
                if key in (r["term"].lower(), r["meddra_code"])
            ),
            None,
        )
        if row is not None:
            _show_nci_term(raw["id"], row)
            return True
    return False


def _show_term(c: CtcaeCriteria, term: str) -> bool:
    """Show the entries grading ``term`` (a term, entry id or parameter), else NCI's text of
    it; False when ``c`` has neither."""
    from aegrade.criteria import load_dictionary, registry

    key = term.strip().lower()
    code = (registry().resolve_code(term) or "").lower()
    found = [
        dumped
        for e in c.entries
        if _grades_term(dumped := e.model_dump(exclude_none=True), key, code)
    ]
    for entry in found:
        _show_entry(c.id, entry)
    if found:
        return True
    if c.dictionary:
        nci = load_dictionary(c.id)
        rows = nci[(nci["term"].str.lower() == key) | (nci["meddra_code"] == key)]
        if len(rows):
            _show_nci_term(c.id, {str(k): str(v) for k, v in rows.iloc[0].items()})
            return True
    return False


def _renamed(cid: str, term: str) -> tuple[str, str, dict[str, list[str]]] | None:
    """A term of the version before ``cid`` that NCI's mapping sheet gives another name in
    ``cid``: (older version, change types, new term -> its grades), or None."""
    from aegrade.criteria.ctcae_map import MAPPINGS, load_mapping

    older = next((o for o, m in MAPPINGS.items() if m[0] == cid), None)
    if older is None:
        return None
    _, _, old, new = MAPPINGS[older]
    sheet = load_mapping(older)
    rows = sheet[sheet[f"{old}_term"].str.lower() == term.strip().lower()]
    rows = rows[~rows[f"{new}_term"].str.lower().isin([term.strip().lower(), ""])]
    if rows.empty:
        return None
    targets: dict[str, list[str]] = {}
    for t, g in zip(rows[f"{new}_term"], rows[f"{new}_grade"], strict=True):
        grades = targets.setdefault(str(t), [])
        if str(g) not in grades:
            grades.append(str(g))
    change = ", ".join(dict.fromkeys(str(x) for x in rows["change_type"]))
    return older, change, targets


def _show_nci_term(cid: str, row: dict[str, str]) -> None:
    """NCI's text of a dictionary term that is not graded from values."""
    click.echo(f"{row['term']} [{cid}, NCI dictionary] MedDRA {row['meddra_code']}; {row['soc']}")
    for g in range(1, 6):
        text = row[f"grade{g}"]
        click.echo(_wrap(f"grade {g}: {'(none)' if text == '-' else text}", "  "))
    if row.get("definition"):
        click.echo(_wrap(f"definition: {row['definition']}", "  "))
    if row.get("navigational_note"):
        click.echo(_wrap(f"navigational note: {row['navigational_note']}", "  "))
    click.echo("  (not graded from values: give it as a clinician event with its grade)")


@criteria_group.command("check")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@reports_errors
def check_command(path: str) -> None:
    """Validate a criteria file at PATH: one line per problem (file, entry, key)."""
    # a valid file is vouched for by the plain check (no pydantic: instant); a broken or
    # doubtful one is validated by the models, whose messages name every problem
    from aegrade.criteria.precheck import quick_check

    checked = quick_check(path)
    if checked is not None:
        kind, cid, revision = checked["kind"], checked["id"], checked["revision"]
    else:
        from aegrade.criteria import load_criteria_file

        c = load_criteria_file(path)
        kind, cid, revision = c.kind, c.id, c.revision
    click.echo(f"{path}: valid {kind} criteria file {cid!r} (revision {revision})")


def _show_system(c: Mapping[str, Any]) -> None:
    """A system's header, errata, notes, options and terms, from its file's data (the plain
    YAML of a packaged file, or a validated model dumped)."""
    click.echo(f"{c['id']}: {c['title']} (revision {c['revision']})")
    click.echo(_wrap(f"Citation: {c['citation']}", ""))
    if c.get("source_url"):
        click.echo(f"Source: {c['source_url']}")
    click.echo(f"Reviewed by: {c.get('reviewed_by') or 'not yet reviewed'}")
    for err in c.get("errata") or ():
        click.echo(
            _wrap(
                f"Erratum (revision {err['revision']}, {err['date']}): {err['change']} "
                f"({err['reason']})",
                "",
            )
        )
    for note in c.get("notes") or ():
        click.echo(_wrap(f"- {note}", ""))
    options = c.get("options") or {}
    if options:
        click.echo("options:")
        for k, v in options.items():
            click.echo(_wrap(f"{k} = {v['default']!r}: {v['description']} [{v['source']}]", "  "))
    if c.get("kind") == "value-thresholds" and c.get("entries"):
        click.echo("Terms (aegrade criteria show ID TERM for one):")
        for e in c["entries"]:
            click.echo(
                f"  {e['term']} ({e['direction']}, {', '.join(e['parameters'])}) [{e['id']}]"
            )


def _show_entry(cid: str, e: Mapping[str, Any]) -> None:
    """One entry, from its model's dump (``exclude_none``) or a packaged file's plain data
    (:func:`~aegrade.criteria.plain.plain_entry`: the same mapping)."""
    click.echo(
        f"{e['term']} [{cid}/{e['id']}] MedDRA {e['meddra']}; {e['direction']} "
        f"{', '.join(e['parameters'])}; thresholds in {e['unit']}"
    )
    for g in sorted(e["grades"]):
        grade = e["grades"][g]
        click.echo(_wrap(f"grade {g}: {grade['text']}", "  "))
        if not grade["rules"]:
            click.echo("      (not derived from the value)")
        for clause in grade["rules"]:
            parts = [" ".join(f"{k}={v}" for k, v in cond.items()) for cond in clause["all"]]
            alt = (
                f"  [may also be grade {clause['alternative']}: review]"
                if clause.get("alternative") is not None
                else ""
            )
            click.echo(_wrap("rule: " + " AND ".join(parts) + alt, "      "))
    for note in e["notes"]:
        click.echo(_wrap(f"note: {note}", "  "))
