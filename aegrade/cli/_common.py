"""Shared CLI plumbing: turning aegrade's errors into exit status 1 with a readable report."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Callable
from typing import Any

import click

from aegrade.errors import AegradeError, InputError

__all__ = ["reports_errors"]


def reports_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Report input errors on stderr and exit 1 (no traceback unless --debug).

    Parameters
    ----------
    func
        A click command callback.

    Returns
    -------
    callable
        The callback, turning :class:`~aegrade.errors.InputError` into its failure report,
        and other aegrade, OS and value errors into one ``error:`` line, with exit status 1.

    Examples
    --------
    >>> import click
    >>> from click.testing import CliRunner
    >>> @click.command()
    ... @reports_errors
    ... def broken() -> None:
    ...     raise ValueError("no such column 'grade'")
    >>> result = CliRunner().invoke(broken)
    >>> result.exit_code, result.output
    (1, "error: no such column 'grade'\\n")
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        debug = bool((ctx.find_root().obj or {}).get("debug"))
        try:
            return func(*args, **kwargs)
        except BrokenPipeError:
            # the reader went away (`aegrade explain ... | head`): nothing more to say to it,
            # and Python's own flush at exit must not complain either
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(1)
        except InputError as exc:
            if debug:
                raise
            click.echo(exc.report(), err=True)
            click.echo("nothing was written", err=True)
            ctx.exit(1)
        except (AegradeError, OSError, ValueError) as exc:
            if debug:
                raise
            click.echo(f"error: {exc}", err=True)
            ctx.exit(1)

    return wrapper
