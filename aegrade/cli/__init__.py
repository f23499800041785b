"""The ``aegrade`` command line: a click group with one module per sub-command.

Exit status: 0 success; 1 input errors (reported with file, sheet, row and column, nothing
written); 2 usage errors (click's convention). No traceback for bad input unless ``--debug``.

Every command (click object), function and class in the public modules' ``__all__`` is
re-exported here; constants stay in their modules (``_common`` is private to ``cli``).
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from aegrade.cli._common import QUICK_EXIT, quick_exit
from aegrade.lazy import lazy_exports

if TYPE_CHECKING:
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


#: Each sub-command's name -> the module and the click object that hold it.
COMMANDS: dict[str, tuple[str, str]] = {
    "compare": ("aegrade.cli.compare", "compare_command"),
    "criteria": ("aegrade.cli.criteria", "criteria_group"),
    "crs": ("aegrade.cli.crs", "crs_command"),
    "ctcae": ("aegrade.cli.ctcae", "ctcae_group"),
    "demo": ("aegrade.cli.demo", "demo_command"),
    "explain": ("aegrade.cli.crs", "explain_command"),
    "grade": ("aegrade.cli.grade", "grade_command"),
    "icans": ("aegrade.cli.crs", "icans_command"),
    "table": ("aegrade.cli.table", "table_command"),
}


class _Commands(click.Group):
    """A group whose sub-commands are imported when one is run or listed (``--help``):
    ``aegrade grade`` imports the grade command's module, not the table, criteria, bedside,
    compare and demo ones."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, name = COMMANDS[cmd_name]
            self.add_command(getattr(importlib.import_module(module), name), cmd_name)
        return super().get_command(ctx, cmd_name)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """click's ``main``. As the process's own command line (the arguments read from
        ``sys.argv``, click ending the process with ``sys.exit`` afterwards), a command that
        succeeded may end the process at once instead (:func:`_common.ask_quick_exit`)."""
        own = args is None and standalone_mode and "obj" not in extra
        if not own:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        state: dict[str, object] = {QUICK_EXIT: False}
        try:
            return super().main(None, prog_name, complete_var, True, obj=state, **extra)
        except SystemExit as exc:
            if state[QUICK_EXIT] is True and exc.code in (0, None):
                quick_exit()  # returns only when the output cannot be flushed
            raise


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
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


#: Where each re-exported name lives, imported on first use.
_LAZY: dict[str, str] = {
    "compare_command": "aegrade.cli.compare",
    "check_command": "aegrade.cli.criteria",
    "criteria_group": "aegrade.cli.criteria",
    "list_command": "aegrade.cli.criteria",
    "show_command": "aegrade.cli.criteria",
    "crs_command": "aegrade.cli.crs",
    "explain_command": "aegrade.cli.crs",
    "icans_command": "aegrade.cli.crs",
    "ctcae_group": "aegrade.cli.ctcae",
    "map_command": "aegrade.cli.ctcae",
    "demo_command": "aegrade.cli.demo",
    "example_study": "aegrade.cli.demo",
    "grade_command": "aegrade.cli.grade",
    "Stages": "aegrade.cli.progress",
    "Ticker": "aegrade.cli.progress",
    "on_terminal": "aegrade.cli.progress",
    "stages": "aegrade.cli.progress",
    "ticker": "aegrade.cli.progress",
    "table_command": "aegrade.cli.table",
}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
