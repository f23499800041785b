"""Warnings raised during a command: one line each, and the command ends (issue 11 audit)."""

from __future__ import annotations

import warnings

import click
from click.testing import CliRunner

from aegrade.cli._common import reports_errors
from aegrade.read.files import InputNotice


def test_a_runtime_warning_is_one_line_and_the_command_ends() -> None:
    @click.command()
    @reports_errors
    def noisy() -> None:
        warnings.warn("overflow encountered in multiply", RuntimeWarning, stacklevel=1)
        warnings.warn("sheet 'hidden' is hidden and was not read", InputNotice, stacklevel=1)
        click.echo("done")

    res = CliRunner().invoke(noisy)
    assert res.exit_code == 0
    assert res.output.splitlines() == [
        "done",
        "warning: RuntimeWarning: overflow encountered in multiply",
        "notice: sheet 'hidden' is hidden and was not read",
    ]
