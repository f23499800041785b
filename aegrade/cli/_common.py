"""Shared CLI plumbing: turning aegrade's errors into exit status 1 with a readable report."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from aegrade.errors import AegradeError, InputError


def reports_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Report input errors on stderr and exit 1 (no traceback unless --debug)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        debug = bool((ctx.find_root().obj or {}).get("debug"))
        try:
            return func(*args, **kwargs)
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
