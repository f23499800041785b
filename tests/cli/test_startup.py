"""The command line starts without the grading stack (issue 15 point 5).

``aegrade --help``, a sub-command's ``--help`` and ``aegrade criteria --help`` must not import
pandas, numpy, pyarrow or pydantic: they are imported when a command runs. Checked by the
modules a fresh interpreter holds afterwards, never by timing.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from aegrade.cli._options import TABLE_FORMATS
from aegrade.write import FORMATS

HEAVY = ("pandas", "numpy", "pyarrow", "pydantic", "yaml", "openpyxl", "matplotlib")

_PROBE = """
import json, sys
from aegrade.cli import main
try:
    main(sys.argv[1:], prog_name="aegrade")
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "loaded": sorted(m for m in %r if m in sys.modules)}))
"""


def _run(*args: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE % (HEAVY,), *args],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


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


def test_a_command_that_runs_does_import_it() -> None:
    """The probe can fail: running `criteria list` loads the criteria (pydantic, yaml)."""
    result = _run("criteria", "list")
    assert result["code"] == 0
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
