"""Progress on a terminal for the stages of a long run: a bar through read, prepare, grade,
episodes, CRS/ICANS, hematology and write (:func:`stages`, fed by
:func:`aegrade.grade`'s ``progress`` callback), or one line rewritten per partition and stage
in a partitioned run (:func:`ticker`).

Grading is vectorized, so progress is reported per stage, not per row. Nothing is shown when
stderr is not a terminal (pipes, CI logs, tests) or with ``--quiet``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import click

__all__ = ["Stages", "Ticker", "on_terminal", "stages", "ticker"]


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


class Ticker:
    """One line of progress on stderr, rewritten in place: ``partition 3: episodes (41.2 s)``,
    for runs whose number of steps is not known in advance (partitioned runs)."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled, self.shown = enabled, 0
        self.start = time.perf_counter()

    def show(self, text: str) -> None:
        """Replace the line with ``text`` and the time since the start (on a terminal)."""
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.start
        click.echo(f"\r{text} ({elapsed:.1f} s)\033[K", err=True, nl=False)
        self.shown += 1

    def close(self) -> None:
        """Clear the line."""
        if self.enabled:
            click.echo("\r\033[K", err=True, nl=False)


@contextmanager
def ticker(*, enabled: bool | None = None) -> Iterator[Ticker]:
    """Context manager giving a :class:`Ticker` (on a terminal unless ``enabled`` says
    otherwise); the line is cleared on exit, error or not.

    Examples
    --------
    >>> with ticker(enabled=False) as line:
    ...     line.show("partition 1: grading")
    >>> line.shown
    0
    """
    line = Ticker(enabled=on_terminal() if enabled is None else enabled)
    try:
        yield line
    finally:
        line.close()


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
