"""``aegrade compare``: grade a study under two CTCAE versions and list what changes."""

from __future__ import annotations

from pathlib import Path

import click

from aegrade.cli._common import reports_errors
from aegrade.cli._options import CTCAE_VERSIONS, TABLE_FORMATS, output_option

__all__ = ["compare_command"]

_PARTS = {"counts": 0, "subjects": 1, "drivers": 2}


def _criteria(text: str) -> str:
    """A ``--ctcae`` value: a CTCAE version, or a user's criteria file (.yaml)."""
    if text in CTCAE_VERSIONS:
        return f"ctcae-v{text}"
    if text.lower().endswith((".yaml", ".yml")):
        if not Path(text).is_file():
            raise click.BadParameter(f"{text}: no such criteria file", param_hint="--ctcae")
        return text
    raise click.BadParameter(
        f"{text!r}: give a CTCAE version ({', '.join(CTCAE_VERSIONS)}) or a criteria file .yaml",
        param_hint="--ctcae",
    )


@click.command("compare")
@click.argument("input_path", metavar="STUDY", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--ctcae",
    "versions",
    nargs=2,
    default=("5.0", "6.0"),
    show_default=True,
    metavar="A B",
    help="The two CTCAE versions (or your own criteria files, .yaml) to compare, old first.",
)
@output_option("Write the tables (any table format: xlsx, docx, md, html, rtf, txt, csv).")
@click.option(
    "--format", "fmt", type=click.Choice(TABLE_FORMATS), default=None, help="Output format."
)
@click.option(
    "--part",
    type=click.Choice(["all", *_PARTS]),
    default="all",
    show_default=True,
    help="Which table: counts per term, subjects, the driving rows, or all (csv and ARD hold "
    "one table: give a part).",
)
@click.option(
    "--map",
    "column_map",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A TOML column map for STUDY (as for 'aegrade grade').",
)
@reports_errors
def compare_command(
    input_path: Path,
    versions: tuple[str, str],
    output: Path | None,
    fmt: str | None,
    part: str,
    column_map: Path | None,
) -> None:
    """Grade STUDY under two CTCAE versions (default 5.0 and 6.0) and list every subject and
    term whose worst grade changes (term renamed, grade up, grade down, newly graded, no longer
    graded), with counts per term and the rows that drove each change."""
    from aegrade.compare import compare_versions
    from aegrade.read import load_study
    from aegrade.tables import format_text
    from aegrade.write import format_for, refuse_inputs, write_table

    a, b = (_criteria(v) for v in versions)
    if output is not None:
        try:
            kind = format_for(output, fmt)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
        if kind in ("csv", "ard") and part == "all":
            raise click.UsageError(f"{kind} holds one table; add --part counts|subjects|drivers")
        files = [Path(v) for v in versions if v not in CTCAE_VERSIONS]
        refuse_inputs([output], [input_path, *files, *([column_map] if column_map else [])])
    study = load_study(input_path, column_map=column_map)
    result = compare_versions(study, a, b)
    tables = result.tables()
    chosen = tables if part == "all" else [tables[_PARTS[part]]]
    counts = result.changes["change"].value_counts()
    summary = ", ".join(f"{k}: {v}" for k, v in counts.items()) or "no changes"
    click.echo(
        f"{result.a} -> {result.b}: {result.changes['subject_id'].nunique()} subjects, "
        f"{len(result.changes)} subject-term changes ({summary})",
        err=output is None,
    )
    if output is None:
        shown = chosen if part != "all" else tables[:2]
        click.echo("\n".join(format_text(t) for t in shown))
        return
    write_table(chosen if len(chosen) > 1 else chosen[0], output, fmt)
    click.echo(f"wrote {output}")
