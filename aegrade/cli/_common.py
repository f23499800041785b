"""Shared CLI plumbing: turning aegrade's errors into exit status 1 with a readable report."""

from __future__ import annotations

import atexit
import contextlib
import functools
import gc
import os
import sys
import warnings
from collections.abc import Callable
from typing import Any

import click

__all__ = ["QUICK_EXIT", "ask_quick_exit", "quick_exit", "reports_errors"]

#: The key, in the root context's object, by which a command that succeeded asks to end its
#: process at once (:func:`ask_quick_exit`); :class:`aegrade.cli.main` sets that object up
#: only when it runs as the process's own command line.
QUICK_EXIT = "quick_exit"


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


def ask_quick_exit() -> bool:
    """Ask, from a command that has written all its output, to end the process without
    tearing it down: no freeing of the large arrays still alive, no module teardown (about
    25-40 ms after a 1M-row ``aegrade grade``, measured). Granted only where
    :data:`aegrade.cli.main` runs as the process's own command line (its arguments read
    from ``sys.argv`` and click ending the process afterwards), never under click's test
    runner or a caller's own ``main([...])``; the process then ends with status 0 after the
    command's notices are printed (:func:`quick_exit`).

    Returns
    -------
    bool
        Whether the exit will be quick.

    Examples
    --------
    >>> import click
    >>> from click.testing import CliRunner
    >>> @click.command()
    ... def done() -> None:
    ...     click.echo(ask_quick_exit())
    >>> CliRunner().invoke(done).output  # a test runner's call: the usual exit
    'False\\n'
    """
    ctx = click.get_current_context(silent=True)
    state = None if ctx is None else ctx.find_root().obj
    if not isinstance(state, dict) or QUICK_EXIT not in state:
        return False
    state[QUICK_EXIT] = True
    return True


def quick_exit() -> None:
    """End the process with status 0 now: standard output and error flushed, the
    :mod:`atexit` handlers run, then :func:`os._exit` (no object is freed, no module torn
    down). Returns only when a stream cannot be flushed (a reader that went away): the
    caller then exits as usual, which reports it as Python always does.

    Examples
    --------
    >>> callable(quick_exit)  # it ends the process: not run here
    True
    """
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    atexit._run_exitfuncs()  # what an ordinary exit runs first (logging, finalizers, ...)
    os._exit(0)
