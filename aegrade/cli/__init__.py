"""The ``aegrade`` command line: a click group with one module per sub-command.

Exit status: 0 success; 1 input errors (reported with file, sheet, row and column, nothing
written); 2 usage errors (click's convention). No traceback for bad input unless ``--debug``.
"""

from __future__ import annotations

import click

from aegrade._version import __version__

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="aegrade")
@click.option("--debug", is_flag=True, help="Show a traceback for errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Grade adverse events of cancer immunotherapy and build safety tables."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def _register() -> None:
    """Add every sub-command to :func:`main`: one module per command, nothing else at import."""
    from aegrade.cli import criteria, crs, ctcae, demo, grade, table

    for command in (
        grade.grade_command,
        table.table_command,
        criteria.criteria_group,
        crs.crs_command,
        crs.icans_command,
        crs.explain_command,
        ctcae.ctcae_group,
        demo.demo_command,
    ):
        main.add_command(command)


_register()
