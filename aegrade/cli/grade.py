"""``aegrade grade``: grade a study and write graded observations, AEs and a subject summary."""

from __future__ import annotations

from pathlib import Path

import click

from aegrade.cli._common import reports_errors
from aegrade.grading.pipeline import grade
from aegrade.io.write import write_result
from aegrade.study import load_study


@click.command("grade")
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="An .xlsx file, or a folder that receives csv (or parquet with --format).")
@click.option("--ctcae", type=click.Choice(["5.0", "4.03"]), default="5.0", show_default=True,
              help="CTCAE version for labs, vital signs and clinician events.")
@click.option("--errors", type=click.Choice(["raise", "coerce"]), default="raise",
              show_default=True,
              help="raise: stop on any input error and list them all; coerce: grade what can "
                   "be graded and write the problems to an 'issues' sheet or CSV.")
@click.option("--ambiguous", type=click.Choice(["worse", "lower"]), default="worse",
              show_default=True,
              help="When a value cannot tell two grades apart (CTCAE adds symptoms or "
                   "interventions): take the worse or the lower grade; both flag review.")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv", "parquet"]), default=None,
              help="Output format (default: from the -o name; a folder gets csv).")
@reports_errors
def grade_command(input_path: Path, output: Path | None, ctcae: str, errors: str,
                  ambiguous: str, fmt: str | None) -> None:
    """Grade INPUT (a workbook, a folder of CSV/Parquet files, or one observations file)."""
    study = load_study(input_path)
    result = grade(study, f"ctcae-v{ctcae}", errors=errors, ambiguous=ambiguous)  # type: ignore[arg-type]
    if output is None:
        output = input_path.with_name(input_path.stem + "_graded.xlsx") if input_path.is_file() \
            else input_path.parent / (input_path.name + "_graded")
    written = write_result(result, output, fmt=fmt, inputs=[input_path])  # type: ignore[arg-type]
    go = result.graded_observations
    graded = int((go["grade_low"].notna() | go["grade_high"].notna()).sum())
    click.echo(f"graded {graded} of {len(go)} observations with {result.meta['criteria']}; "
               f"{len(result.adverse_events)} adverse events; "
               f"{len(result.subject_summary)} subjects")
    if len(result.issues):
        counts = result.issues["check"].value_counts()
        click.echo("input problems (coerced, see the 'issues' table): "
                   + ", ".join(f"{k}: {v}" for k, v in counts.items()), err=True)
    for path in written:
        click.echo(f"wrote {path}")
