"""aegrade's version is one: the literal in aegrade/_version.py, pyproject.toml's and the
installed package's metadata."""

from __future__ import annotations

import tomllib
from importlib.metadata import version
from pathlib import Path

import aegrade
from aegrade._version import VERSION

ROOT = Path(__file__).resolve().parent.parent


def test_the_version_literal_is_pyproject_s_and_the_installed_one() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert VERSION == project["version"] == aegrade.__version__
    assert version("aegrade") == VERSION
