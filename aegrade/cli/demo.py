"""``aegrade demo``: grade the bundled example study and print its AE table.

The study is package data (``aegrade/examples/``), read through :mod:`importlib.resources`, so
the command works from an installed wheel as well as from a checkout. It is synthetic and
described in the repository's ``examples/README.md``; ``examples/make_example_study.py``
regenerates it byte for byte.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import click

from aegrade.cli._common import reports_errors
from aegrade.cli._options import ctcae_option

__all__ = ["EXAMPLE_NAME", "demo_command", "example_study"]

#: Name of the bundled workbook inside the package's ``examples`` folder.
EXAMPLE_NAME = "blinatumomab_short_course.xlsx"


def example_study() -> Traversable:
    """The bundled example workbook as a package resource (it may live inside a zip).

    Examples
    --------
    >>> example_study().name
    'blinatumomab_short_course.xlsx'
    >>> example_study().is_file()
    True
    """
    return resources.files("aegrade").joinpath("examples", EXAMPLE_NAME)


@click.command("demo")
@click.option(
    "--input",
    "input_path",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="Another study to demonstrate on (default: the example study).",
)
@ctcae_option()
@reports_errors
def demo_command(input_path: Path | None, ctcae: str) -> None:
    """Grade the bundled short-course blinatumomab example study; print its AE table."""
    if input_path is not None:
        _demo(input_path, ctcae)
        return
    resource = example_study()
    if not resource.is_file():
        raise click.ClickException(
            f"the example study {EXAMPLE_NAME} is missing from the installed package "
            "(package data aegrade/examples/); reinstall aegrade, or in a checkout run "
            "examples/make_example_study.py"
        )
    with resources.as_file(resource) as path:
        _demo(path, ctcae)


def _demo(path: Path, ctcae: str) -> None:
    from aegrade.pipeline import grade
    from aegrade.tables import build_ae_table, build_crs_icans_summary, format_text

    result = grade(path, f"ctcae-v{ctcae}", errors="coerce")
    n = len(result.subjects)
    click.echo(
        f"Example study: {path.name}, {n} patients, "
        f"{len(result.graded_observations):,} observations graded with "
        f"{result.meta['criteria']}"
    )
    if len(result.issues):
        click.echo(f"({len(result.issues)} input problems kept ungraded with their reason)")
    table = build_ae_table(result.adverse_events, result.subjects)
    click.echo("")
    click.echo(format_text(table))
    summary = build_crs_icans_summary(
        result.adverse_events, result.subjects, result.graded_observations
    )
    click.echo("")
    click.echo(format_text(summary))
