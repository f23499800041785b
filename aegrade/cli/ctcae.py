"""``aegrade ctcae map``: convert CTCAE terms (and grades) to the next version with NCI's mapping
(v4.03 -> v5.0, or v5.0 -> v6.0 with ``--ctcae 6.0``)."""

from __future__ import annotations

from pathlib import Path

import click

from aegrade.cli._common import reports_errors
from aegrade.cli._options import ctcae_option

__all__ = ["ctcae_group", "map_command"]


@click.group("ctcae")
def ctcae_group() -> None:
    """CTCAE dictionaries: convert terms between versions (NCI's mapping sheets)."""


@ctcae_group.command("map")
@click.argument(
    "input_path",
    metavar="[INPUT]",
    required=False,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option(
    "--term",
    "terms",
    multiple=True,
    help="A term or MedDRA code of the older version (repeatable).",
)
@click.option(
    "--grade", "grades", multiple=True, type=int, help="Its grade, one per --term (optional)."
)
@click.option(
    "--term-column",
    default="term",
    show_default=True,
    help="Column of INPUT holding the older version's terms or MedDRA codes.",
)
@click.option(
    "--grade-column",
    default="grade",
    show_default=True,
    help="Column of INPUT holding grades (used when present).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the mapped table (.csv or .xlsx) instead of printing it.",
)
@ctcae_option("Version to map to: 5.0 (from v4.03) or 6.0 (from v5.0).")
@reports_errors
def map_command(
    input_path: Path | None,
    terms: tuple[str, ...],
    grades: tuple[int, ...],
    term_column: str,
    grade_column: str,
    output: Path | None,
    ctcae: str,
) -> None:
    """Map terms to the next CTCAE version (v4.03 to v5.0, or v5.0 to v6.0 with --ctcae 6.0):
    every INPUT row (a csv, xlsx, parquet or xpt of events) or each --term, with NCI's change
    type. Unknown terms and grades are errors naming the row."""
    import pandas as pd

    from aegrade.criteria.ctcae_map import map_terms
    from aegrade.errors import Failures, InputError, Reason
    from aegrade.read.files import read_file
    from aegrade.write.atomic import atomic_output, refuse_inputs
    from aegrade.write.neutralize import neutralize_formulas

    source = {"5.0": "ctcae-v4.03", "6.0": "ctcae-v5.0"}.get(ctcae)
    if source is None:
        raise click.UsageError(f"--ctcae {ctcae}: NCI maps to 5.0 (from v4.03) or 6.0 (from v5.0)")
    if input_path is None and not terms:
        raise click.UsageError("give INPUT or at least one --term")
    if grades and len(grades) != len(terms):
        raise click.UsageError("give one --grade per --term, or none")
    if input_path is not None:
        sheet = read_file(input_path)[0]
        frame, cols = sheet.frame, {str(c).strip().lower(): c for c in sheet.frame.columns}
        if term_column.lower() not in cols:
            missing = Failures(sheet.file, sheet.sheet)
            missing.add(
                Reason.MISSING_COLUMN,
                f"column {term_column!r} is missing",
                row=1,
                column=term_column,
            )
            raise missing.error()
        grade = frame[cols[grade_column.lower()]] if grade_column.lower() in cols else None
        mapped, problems = map_terms(
            frame[cols[term_column.lower()]],
            grade,
            rows=sheet.rows,
            file=sheet.file,
            sheet=sheet.sheet,
            column=term_column,
            source=source,
        )
    else:
        frame = pd.DataFrame({"term": list(terms)})
        if grades:
            frame["grade"] = list(grades)
        mapped, problems = map_terms(
            frame["term"],
            frame["grade"] if grades else None,
            rows=frame.index.to_numpy() + 1,
            column="--term",
            source=source,
        )
    if len(problems):
        raise InputError(problems, source=str(input_path) if input_path else None)
    result = pd.concat([frame, mapped.drop(columns=mapped.columns[0])], axis=1)
    if output is None:
        click.echo(result.to_string(index=False))
        return
    refuse_inputs([output], [input_path] if input_path is not None else [])
    safe = neutralize_formulas(result)
    if output.suffix.lower() == ".xlsx":
        atomic_output(output, lambda tmp: safe.to_excel(tmp, index=False, engine="openpyxl"))
    else:
        atomic_output(output, lambda tmp: safe.to_csv(tmp, index=False))
    click.echo(f"wrote {output}")
