"""The ``aegrade`` command line: a click group with one module per sub-command.

Exit status: 0 success; 1 input errors (reported with file, sheet, row and column, nothing
written); 2 usage errors (click's convention). No traceback for bad input unless ``--debug``.

Every command (click object), function and class in the public modules' ``__all__`` is
re-exported here; constants stay in their modules (``_common`` is private to ``cli``).
"""

from __future__ import annotations

import click

from aegrade.cli.compare import compare_command
from aegrade.cli.criteria import check_command, criteria_group, list_command, show_command
from aegrade.cli.crs import crs_command, explain_command, icans_command
from aegrade.cli.ctcae import ctcae_group, map_command
from aegrade.cli.demo import demo_command, example_study
from aegrade.cli.grade import grade_command
from aegrade.cli.progress import Stages, Ticker, on_terminal, stages, ticker
from aegrade.cli.table import table_command

__all__ = [
    "Stages",
    "Ticker",
    "check_command",
    "compare_command",
    "criteria_group",
    "crs_command",
    "ctcae_group",
    "demo_command",
    "example_study",
    "explain_command",
    "grade_command",
    "icans_command",
    "list_command",
    "main",
    "map_command",
    "on_terminal",
    "show_command",
    "stages",
    "table_command",
    "ticker",
]


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """``--version``: click's own message, the version read only now (aegrade._version)."""
    if not value or ctx.resilient_parsing:
        return
    from aegrade._version import __version__

    click.echo(f"aegrade, version {__version__}")
    ctx.exit()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_show_version,
    help="Show the version and exit.",
)
@click.option("--debug", is_flag=True, help="Show a traceback for errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Grade adverse events of cancer immunotherapy and build safety tables."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def _register() -> None:
    """Add every sub-command to :func:`main`: one module per command."""
    for command in (
        grade_command,
        table_command,
        criteria_group,
        crs_command,
        icans_command,
        explain_command,
        ctcae_group,
        demo_command,
        compare_command,
    ):
        main.add_command(command)


_register()
