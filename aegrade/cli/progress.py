"""A progress bar on a terminal for the stages of a long run (read, check, grade, write).

Grading is vectorized, so progress is reported per stage, not per row. Nothing is shown when
stderr is not a terminal (pipes, CI logs, tests) or when the bar is disabled.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import click

__all__ = ["Stages", "on_terminal", "stages"]


class Stages:
    """Advance through named stages; draws ``[####    ] 2/4 grading (1.3 s)`` on stderr."""

    def __init__(self, names: Sequence[str], *, enabled: bool) -> None:
        self.names, self.enabled, self.done = list(names), enabled, 0
        self.start = time.perf_counter()

    def step(self, name: str) -> None:
        """Mark the start of stage ``name`` (drawn only on a terminal)."""
        if not self.enabled:
            return
        width = 20
        filled = width * self.done // max(len(self.names), 1)
        elapsed = time.perf_counter() - self.start
        click.echo(
            f"\r[{'#' * filled}{' ' * (width - filled)}] {self.done}/{len(self.names)} "
            f"{name} ({elapsed:.1f} s)\033[K",
            err=True,
            nl=False,
        )
        self.done += 1

    def close(self) -> None:
        """Clear the bar's line."""
        if self.enabled:
            click.echo("\r\033[K", err=True, nl=False)


def on_terminal() -> bool:
    """True when stderr is an interactive terminal.

    Examples
    --------
    >>> isinstance(on_terminal(), bool)
    True
    """
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


@contextmanager
def stages(names: Sequence[str], *, enabled: bool | None = None) -> Iterator[Stages]:
    """Context manager giving a :class:`Stages`; the line is cleared on exit, error or not.

    Examples
    --------
    >>> with stages(["read", "grade"], enabled=False) as bar:
    ...     bar.step("read")
    ...     bar.step("grade")
    >>> bar.done
    0
    """
    bar = Stages(names, enabled=on_terminal() if enabled is None else enabled)
    try:
        yield bar
    finally:
        bar.close()
