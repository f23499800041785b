"""Click options shared by several commands, declared once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

__all__ = [
    "CTCAE_VERSIONS",
    "TABLE_FORMATS",
    "criteria_file_option",
    "ctcae_option",
    "dayfirst_option",
    "decimal_option",
    "errors_option",
    "grading_criteria",
    "output_option",
]

_F = TypeVar("_F", bound=Callable[..., Any])

#: The CTCAE versions a command can grade with (``--ctcae``); the first is the default.
CTCAE_VERSIONS = ("5.0", "4.03", "6.0")


def ctcae_option(help_text: str | None = None) -> Callable[[_F], _F]:
    """The ``--ctcae`` option: the CTCAE version, 5.0 (default), 4.03 or 6.0.

    Parameters
    ----------
    help_text
        What the version is used for in this command (None: no help line).

    Returns
    -------
    callable
        A click decorator adding ``--ctcae`` (passed as ``ctcae``, a string).

    Examples
    --------
    >>> from click.testing import CliRunner
    >>> @click.command()
    ... @ctcae_option("CTCAE version.")
    ... def show(ctcae: str) -> None:
    ...     click.echo(ctcae)
    >>> CliRunner().invoke(show, ["--ctcae", "4.03"]).output
    '4.03\\n'
    """
    return click.option(
        "--ctcae",
        type=click.Choice(list(CTCAE_VERSIONS)),
        default=CTCAE_VERSIONS[0],
        show_default=True,
        help=help_text,
    )


def errors_option(default: str, help_text: str | None = None) -> Callable[[_F], _F]:
    """The ``--errors`` option: ``raise`` (stop on any input error) or ``coerce``.

    Parameters
    ----------
    default
        ``raise`` or ``coerce``.
    help_text
        What each choice does in this command (None: no help line).

    Returns
    -------
    callable
        A click decorator adding ``--errors`` (passed as ``errors``, a string).

    Examples
    --------
    >>> from click.testing import CliRunner
    >>> @click.command()
    ... @errors_option("coerce")
    ... def show(errors: str) -> None:
    ...     click.echo(errors)
    >>> CliRunner().invoke(show, []).output
    'coerce\\n'
    """
    return click.option(
        "--errors",
        type=click.Choice(["raise", "coerce"]),
        default=default,
        show_default=True,
        help=help_text,
    )


def output_option(help_text: str) -> Callable[[_F], _F]:
    """The ``-o/--output`` option: a path to write to (passed as a :class:`~pathlib.Path`).

    Parameters
    ----------
    help_text
        What the command writes there.

    Returns
    -------
    callable
        A click decorator adding ``-o/--output`` (``output``, None when not given).

    Examples
    --------
    >>> from click.testing import CliRunner
    >>> @click.command()
    ... @output_option("Where to write.")
    ... def show(output: Path | None) -> None:
    ...     click.echo(repr(output))
    >>> CliRunner().invoke(show, ["-o", "out.csv"]).output
    "PosixPath('out.csv')\\n"
    """
    return click.option("-o", "--output", type=click.Path(path_type=Path), help=help_text)


def criteria_file_option(flag: str = "--criteria") -> Callable[[_F], _F]:
    """The option naming a user's own CTCAE-format criteria file (instead of ``--ctcae``).

    Parameters
    ----------
    flag
        The option's spelling (``--criteria``; ``--criteria-file`` where ``--criteria`` means
        something else).

    Returns
    -------
    callable
        A click decorator adding the option (passed as ``criteria_file``, a Path or None).

    Examples
    --------
    >>> from click.testing import CliRunner
    >>> @click.command()
    ... @criteria_file_option()
    ... def show(criteria_file: Path | None) -> None:
    ...     click.echo(repr(criteria_file))
    >>> CliRunner().invoke(show, []).output
    'None\\n'
    """
    return click.option(
        flag,
        "criteria_file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Your own criteria file (.yaml, the packaged CTCAE format with its own id) to "
        "grade with instead of --ctcae; check it with 'aegrade criteria check FILE'.",
    )


def grading_criteria(ctcae: str, criteria_file: Path | None) -> str:
    """The criteria a command grades with: the user's file, else CTCAE ``ctcae``.

    Raises
    ------
    click.UsageError
        Both ``--ctcae`` and a criteria file were given on the command line.

    Examples
    --------
    >>> grading_criteria("6.0", None)
    'ctcae-v6.0'
    """
    if criteria_file is None:
        return f"ctcae-v{ctcae}"
    ctx = click.get_current_context(silent=True)
    source = ctx.get_parameter_source("ctcae") if ctx is not None else None
    if source is click.core.ParameterSource.COMMANDLINE:
        raise click.UsageError("give --ctcae or a criteria file, not both")
    if criteria_file.suffix.lower() not in (".yaml", ".yml"):
        raise click.UsageError(f"{criteria_file.name}: a criteria file is .yaml or .yml")
    return str(criteria_file)


def decimal_option() -> Callable[[_F], _F]:
    """The ``--decimal`` option: the decimal mark (``,`` or ``.``) of result cells whose
    separator is ambiguous (``150.000``, ``1,234``); default: the map's ``decimal`` key.

    Returns
    -------
    callable
        A click decorator adding ``--decimal`` (passed as ``decimal``, a string or None).

    Examples
    --------
    >>> from click.testing import CliRunner
    >>> @click.command()
    ... @decimal_option()
    ... def show(decimal: str | None) -> None:
    ...     click.echo(decimal)
    >>> CliRunner().invoke(show, ["--decimal", ","]).output
    ',\\n'
    """
    return click.option(
        "--decimal",
        type=click.Choice([",", "."]),
        default=None,
        help="Decimal mark of ambiguous result cells such as 150.000 or 1,234 (default: the "
        "map's decimal key; without either such a cell is an input error).",
    )


def dayfirst_option() -> Callable[[_F], _F]:
    """The ``--dayfirst/--no-dayfirst`` option: the day/month order of slashed dates.

    Returns
    -------
    callable
        A click decorator adding the option (passed as ``dayfirst``: True, False, or None
        when not given, which lets each date column's unambiguous cells decide).

    Examples
    --------
    >>> from click.testing import CliRunner
    >>> @click.command()
    ... @dayfirst_option()
    ... def show(dayfirst: bool | None) -> None:
    ...     click.echo(repr(dayfirst))
    >>> [CliRunner().invoke(show, a).output for a in ([], ["--dayfirst"], ["--no-dayfirst"])]
    ['None\\n', 'True\\n', 'False\\n']
    """
    return click.option(
        "--dayfirst/--no-dayfirst",
        default=None,
        help="Read slashed dates (05/01/2024) day first, or month first; default: decided per "
        "date column from its unambiguous cells (a column mixing the orders is an input error).",
    )


#: The table formats ``--format`` offers (``aegrade table``, ``aegrade compare``): the same as
#: :data:`aegrade.write.tables.FORMATS` (a test holds them equal), spelt out here so that a
#: command's options are built without importing the writers (and pandas) at start-up.
TABLE_FORMATS = ("xlsx", "csv", "md", "html", "docx", "rtf", "ard", "ard-simple", "txt")
