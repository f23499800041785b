"""``aegrade grade`` runs numpy and pyarrow on one heap (aegrade.cli.grade._one_heap)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from aegrade.cli.grade import _one_heap


@pytest.fixture
def pools(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The pools set, by backend name (the process's own pool left as it is)."""
    chosen: list[str] = []
    monkeypatch.setattr(pa, "set_memory_pool", lambda pool: chosen.append(pool.backend_name))
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    return chosen


def test_pyarrow_allocates_from_the_c_heap_the_command_keeps(pools: list[str]) -> None:
    assert _one_heap(True) is True
    assert pools == ["system"]


def test_the_heap_is_left_alone_when_the_allocator_is_not_kept(pools: list[str]) -> None:
    assert _one_heap(False) is False
    assert pools == []


def test_a_pool_the_user_chose_wins(pools: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")
    assert _one_heap(True) is False
    assert pools == []
