"""aegrade's version is one: the literal in aegrade/_version.py, which pyproject.toml reads
and the installed package's metadata gives."""

from __future__ import annotations

import tomllib
from importlib.metadata import version
from pathlib import Path

import aegrade
from aegrade._version import VERSION

ROOT = Path(__file__).resolve().parent.parent


def test_the_version_literal_is_pyproject_s_and_the_installed_one() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    assert "version" not in pyproject["project"]
    assert pyproject["project"]["dynamic"] == ["version"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "aegrade._version.VERSION"
    }
    assert aegrade.__version__ == VERSION
    assert version("aegrade") == VERSION
