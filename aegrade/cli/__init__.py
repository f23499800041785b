"""The ``aegrade`` command line: a click group with one module per sub-command.

Exit status: 0 success; 1 input errors (reported with file, sheet, row and column, nothing
written); 2 usage errors (click's convention). No traceback for bad input unless ``--debug``.
"""

from __future__ import annotations

import click

from aegrade._version import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="aegrade")
@click.option("--debug", is_flag=True, help="Show a traceback for errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Grade adverse events of cancer immunotherapy and build safety tables."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def _register() -> None:
    # One line per command module; each module defines click commands and nothing else runs
    # at import time.
    from aegrade.cli import criteria, demo, grade

    main.add_command(grade.grade_command)
    main.add_command(criteria.criteria_group)
    main.add_command(demo.demo_command)
    # -- CRS / ICANS commands (issue 3) register below this line --
    from aegrade.cli import crs

    main.add_command(crs.crs_command)
    main.add_command(crs.icans_command)
    main.add_command(crs.explain_command)
    # -- hematology commands (issue 4) register below this line --
    # -- input/output commands (issue 5) register below this line --
    from aegrade.cli import ctcae

    main.add_command(ctcae.ctcae_group)
    # -- table commands (issue 6) register below this line --
    from aegrade.cli import table

    main.add_command(table.table_command)


_register()
