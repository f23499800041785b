"""``aegrade criteria``: list the grading systems, or show one system or one term."""

from __future__ import annotations

import textwrap

import click

from aegrade.cli._common import reports_errors
from aegrade.criteria import Entry, list_criteria, load_criteria, load_raw


@click.group("criteria", invoke_without_command=True)
@click.pass_context
def criteria_group(ctx: click.Context) -> None:
    """List grading systems (default) or show one."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_command)


@criteria_group.command("list")
def list_command() -> None:
    """Every grading system: id, revision, entries and title."""
    for rec in list_criteria().itertuples(index=False):
        click.echo(f"{rec.id:<16} rev {rec.revision}  {rec.entries:>3} entries  {rec.title}")


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
@reports_errors
def show_command(criteria_id: str, term: str | None) -> None:
    """Show the header and notes of ID, or the grades, rules and notes of one TERM."""
    raw = load_raw(criteria_id)
    if term is None:
        _show_system(raw)
        return
    if raw["kind"] != "value-thresholds":
        raise click.UsageError(f"{raw['id']} has no per-term entries")
    cs = load_criteria(criteria_id)
    key = term.strip().lower()
    found = [
        e
        for e in cs.entries
        if key in (e.term.lower(), e.id.lower()) or any(key == p.lower() for p in e.parameters)
    ]
    if not found:
        raise click.UsageError(
            f"{term!r} is not graded from values in {cs.id}; "
            "try 'aegrade criteria show " + cs.id + "'"
        )
    for entry in found:
        _show_entry(cs.id, entry)


def _show_system(raw: dict) -> None:
    click.echo(f"{raw['id']}: {raw['title']} (revision {raw['revision']})")
    click.echo(_wrap(f"Citation: {raw['citation']}", ""))
    if raw.get("source_url"):
        click.echo(f"Source: {raw['source_url']}")
    for note in raw.get("notes") or []:
        click.echo(_wrap(f"- {note}", ""))
    for key in ("options", "rules"):
        section = raw.get(key)
        if section:
            click.echo(f"{key}:")
            items = section.items() if isinstance(section, dict) else enumerate(section)
            for k, v in items:
                click.echo(_wrap(f"{k}: {v}", "  "))
    entries = [e for e in raw.get("entries") or [] if isinstance(e, dict) and "term" in e]
    if entries:
        click.echo("Terms (aegrade criteria show ID TERM for one):")
        for e in entries:
            params = ", ".join(e.get("parameters", []))
            click.echo(f"  {e['term']} ({e.get('direction', '')}, {params}) [{e['id']}]")


def _show_entry(cid: str, e: Entry) -> None:
    click.echo(
        f"{e.term} [{cid}/{e.id}] MedDRA {e.meddra}; {e.direction} "
        f"{', '.join(e.parameters)}; thresholds in {e.unit}"
    )
    for g in sorted(e.grades):
        grade = e.grades[g]
        click.echo(_wrap(f"grade {g}: {grade.text}", "  "))
        if not grade.rules:
            click.echo("      (not derived from the value)")
        for clause in grade.rules:
            parts = [
                " ".join(f"{k}={v}" for k, v in cond.model_dump(exclude_none=True).items())
                for cond in clause.all
            ]
            alt = (
                f"  [may also be grade {clause.alternative}: review]"
                if clause.alternative is not None
                else ""
            )
            click.echo(_wrap("rule: " + " AND ".join(parts) + alt, "      "))
    for note in e.notes:
        click.echo(_wrap(f"note: {note}", "  "))
