"""The command line starts without the grading stack (issue 15 point 5).

``aegrade --help``, a sub-command's ``--help`` and ``aegrade criteria --help`` must not import
pandas, numpy, pyarrow or pydantic: they are imported when a command runs. The bedside scorers
(``aegrade crs``, ``aegrade icans``) on findings they recognise, ``aegrade criteria list`` and
``aegrade criteria show`` of a packaged system or of a term it grades or its NCI dictionary has,
and ``aegrade criteria check`` of a valid file, run without them too (PyYAML only;
tests/cli/test_criteria_cli.py holds their output to the validated path's). Checked by the
modules a fresh interpreter holds afterwards, never by timing.
"""

from __future__ import annotations

import subprocess
import sys
from importlib import resources

import pytest

from aegrade.cli._options import TABLE_FORMATS
from aegrade.write import FORMATS
from tests.fresh_process import run_fresh

LEE = str(resources.files("aegrade.criteria.data").joinpath("lee-2014.yaml"))
HEAVY = ("pandas", "numpy", "pyarrow", "pydantic", "yaml", "openpyxl", "matplotlib")


def _run(*args: str) -> dict[str, object]:
    return run_fresh(HEAVY, *args)[0]


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("--version",),
        ("grade", "--help"),
        ("table", "--help"),
        ("compare", "--help"),
        ("criteria", "--help"),
        ("crs", "--help"),
        ("icans", "--help"),
        ("ctcae", "map", "--help"),
        ("demo", "--help"),
    ],
    ids=" ".join,
)
def test_help_imports_no_grading_stack(args: tuple[str, ...]) -> None:
    result = _run(*args)
    assert result == {"code": 0, "loaded": []}


#: The bedside scorers and the criteria list answer from the packaged files read as plain
#: data (PyYAML only): no pandas, numpy, pyarrow or pydantic (issue 15 point 5).
BEDSIDE = [
    ("crs", "--temp", "39", "--oxygen", "facemask"),
    ("crs", "--temp", "101.5", "--temp-unit", "degF", "--pressor", "norepinephrine"),
    ("crs", "--temp", "39", "--oxygen", "facemask", "--criteria", "lee-2014"),
    ("crs", "--temp", "39", "--oxygen", "hfnc", "--criteria", "lee-2014", "--ambiguous", "lower"),
    ("crs", "--temp", "39", "--oxygen", "venturi", "--fio2", "28", "--criteria", "ctcae"),
    ("crs", "--sysbp", "84", "--pressor", "vasopressin", "--criteria", "ctcae-v5.0"),
    ("crs", "--hypotension", "--episode-ongoing"),
    ("crs",),
    ("icans", "--ice", "5", "--loc", "awakens_to_voice"),
    ("icans", "--capd", "10", "--age", "6"),
    ("icans", "--ice", "unable", "--loc", "unarousable", "--seizure", "prolonged"),
    ("icans",),
    ("criteria", "list"),
    ("criteria",),
    ("criteria", "show", "lee-2014"),
    ("criteria", "show", "ctcae-v5.0"),
    ("criteria", "show", "ctcae-v5.0", "ANC"),  # a parameter alias: its entry
    ("criteria", "show", "6.0", "sgpt"),
    ("criteria", "show", "ctcae-v4.03", "Hypokalemia"),  # a term graded from values
    ("criteria", "show", "ctcae-v5.0", "Nausea"),  # NCI's dictionary
    ("criteria", "show", "ctcae-v5.0", "10028813"),  # a MedDRA code
    ("criteria", "check", LEE),  # a valid file: the plain check (tests/test_startup_check.py)
]


@pytest.mark.parametrize("args", BEDSIDE, ids=" ".join)
def test_bedside_commands_import_no_grading_stack(args: tuple[str, ...]) -> None:
    result = _run(*args)
    assert result == {"code": 0, "loaded": ["yaml"]}


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("criteria", "show", "ctcae-v6.0", "Platelet count decreased"), 0),  # renamed: NCI's sheet
        (("criteria", "show", "ctcae-v5.0", "Nauseaa"), 2),  # unknown: the validated file says so
        (("criteria", "show", "lee-2014", "fever"), 2),  # no per-term entries: the validated file
        (("crs", "--oxygen", "helmet"), 1),  # not a word the plain path knows: the engine
        (("crs", "--temp", "120"), 1),  # implausible: the engine reports it
        (("icans", "--ice", "5", "--age", "6"), 1),  # ICE below the CAPD age: the engine
    ],
    ids=lambda x: " ".join(x) if isinstance(x, tuple) else str(x),
)
def test_a_command_that_runs_does_import_it(args: tuple[str, ...], code: int) -> None:
    """The probe can fail: these go through the validated criteria or the whole engine."""
    result = _run(*args)
    assert result["code"] == code
    assert "pydantic" in result["loaded"]  # type: ignore[operator]


def test_import_aegrade_is_light_and_names_resolve_on_use() -> None:
    code = (
        "import sys, aegrade; before = 'pandas' in sys.modules; "
        "f = aegrade.grade_labs; print(before, 'pandas' in sys.modules, f.__module__)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "True", "aegrade.grading.labs"]


def test_unknown_attribute_is_an_attribute_error() -> None:
    import aegrade

    with pytest.raises(AttributeError, match="no attribute 'nonesuch'"):
        _ = aegrade.nonesuch  # type: ignore[attr-defined]


def test_table_formats_spelt_out_for_the_options_match_the_writers() -> None:
    assert TABLE_FORMATS == FORMATS


def test_the_command_table_names_each_command_by_its_own_name() -> None:
    """aegrade.cli.COMMANDS (imported on use) lists every sub-command under its click name."""
    import importlib

    from aegrade.cli import COMMANDS, main

    for name, (module, attr) in COMMANDS.items():
        assert getattr(importlib.import_module(module), attr).name == name
    assert main.list_commands(None) == sorted(COMMANDS)  # type: ignore[arg-type]
