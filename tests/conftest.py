"""Shared test fixtures: paths to the packaged test data."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
CASES = Path(__file__).parent / "cases"
#: The bundled example study is package data (aegrade/examples/, see examples/README.md).
EXAMPLES = Path(__file__).parent.parent / "aegrade" / "examples"


@pytest.fixture
def data_dir() -> Path:
    return DATA
