"""Shared CLI plumbing: turning aegrade's errors into exit status 1 with a readable report."""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import sys
import warnings
from collections.abc import Callable
from typing import Any

import click

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
        # imported when a command runs, not when the CLI starts (``aegrade --help``)
        from aegrade.errors import AegradeError, InputError, InputNotice

        ctx = click.get_current_context()
        debug = bool((ctx.find_root().obj or {}).get("debug"))
        try:
            with warnings.catch_warnings(record=True) as seen:
                warnings.simplefilter("always", InputNotice)
                try:
                    return func(*args, **kwargs)
                finally:
                    _show_notices(seen, InputNotice)
        except BrokenPipeError:
            # the reader went away (`aegrade explain ... | head`): nothing more to say to it,
            # and Python's own flush at exit must not complain either
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(1)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except InputError as exc:
            if debug:
                raise
            _dispose(exc)
            click.echo(exc.report(), err=True)
            click.echo("nothing was written", err=True)
            ctx.exit(1)
        except OSError as exc:
            if debug:
                raise
            _dispose(exc)
            click.echo(f"error: {_os_message(exc)}", err=True)
            ctx.exit(1)
        except (AegradeError, ValueError) as exc:
            if debug:
                raise
            _dispose(exc)
            click.echo(f"error: {exc}", err=True)
            ctx.exit(1)
        except Exception as exc:  # a defect: one line, not a trace
            if debug:
                raise
            _dispose(exc)
            click.echo(
                f"error: unexpected {type(exc).__name__}: {exc} (run `aegrade --debug ...` for "
                "the trace and report it)",
                err=True,
            )
            ctx.exit(1)

    return wrapper


def _show_notices(seen: list[warnings.WarningMessage], notice: type[Warning]) -> None:
    """Input notices as ``notice: ...`` lines; other warnings shown as Python would."""
    for w in seen:
        if issubclass(w.category, notice):
            click.echo(f"notice: {w.message}", err=True)
        else:  # one line; never warnings.showwarning here: inside catch_warnings(record=True)
            # it appends to the very list being shown, and the loop never ends
            click.echo(f"warning: {w.category.__name__}: {w.message}", err=True)


def _os_message(exc: OSError) -> str:
    """One line for an OS failure: what went wrong and on which path."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    where = exc.filename if exc.filename is not None else None
    return f"{reason}: {where}" if where is not None else reason


def _dispose(exc: BaseException) -> None:
    """Drop what the failed call left alive (an xlsx writer's zip file after a full disk) now,
    quietly: otherwise its finaliser fails later with an 'Exception ignored' trace."""
    hook = sys.unraisablehook
    sys.unraisablehook = lambda _unraisable: None
    try:
        seen: set[int] = set()
        todo: list[BaseException | None] = [exc]
        while todo:  # the whole chain: any traceback may keep the writer's frame alive
            e = todo.pop()
            if e is None or id(e) in seen:
                continue
            seen.add(id(e))
            e.__traceback__ = None
            todo += [e.__cause__, e.__context__]
        gc.collect()
    finally:
        sys.unraisablehook = hook
