"""Shared test fixtures: paths to the packaged test data.

The validated-criteria cache (:mod:`aegrade.criteria.cache`) goes to a folder of this test
process, not the user's ``~/.cache/aegrade`` (set when this file is imported: before the
doctests of ``aegrade/``, which pytest collects after ``tests/``); a test of the cache sets its
own.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("AEGRADE_CACHE_DIR", tempfile.mkdtemp(prefix="aegrade-test-cache-"))

DATA = Path(__file__).parent / "data"
CASES = Path(__file__).parent / "cases"
#: The bundled example study is package data (aegrade/examples/, see examples/README.md).
EXAMPLES = Path(__file__).parent.parent / "aegrade" / "examples"


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def row_pools(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The thread counts of the row pools (:mod:`aegrade.threads`) asked for while a test
    runs, one entry per request (the background thread is not counted)."""
    from aegrade import threads

    asked: list[int] = []
    pool = threads._pool

    def counted(workers: int, name: str = threads._PREFIX) -> object:
        if name == threads._PREFIX:
            asked.append(workers)
        return pool(workers, name)

    monkeypatch.setattr(threads, "_pool", counted)
    return asked
