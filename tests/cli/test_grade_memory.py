"""``aegrade grade``'s process: numpy and pyarrow on one heap, the collector kept off the
imported modules (aegrade.cli.grade)."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import pyarrow as pa
import pytest
from click.testing import CliRunner

from aegrade.cli import main
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


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_left_as_it_was_found(
    enabled: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command stops the collector while it imports the grading modules and freezes them
    (no pass walks them again); the collector is then as the caller had it, also after an
    import that failed."""
    frozen: list[bool] = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(gc.isenabled()))
    src = tmp_path / "labs.csv"
    src.write_text("subject_id,day,parameter,value,unit\nS1,1,PLAT,40,10^9/L\n")
    (gc.enable if enabled else gc.disable)()
    try:
        run = CliRunner().invoke(main, ["grade", str(src), "-o", str(tmp_path / "out")])
        assert run.exit_code == 0, run.output
        assert frozen == [False]  # frozen after the imports, the collector stopped
        assert gc.isenabled() is enabled
        monkeypatch.setitem(sys.modules, "aegrade.write.results", None)  # the import fails
        run = CliRunner().invoke(main, ["grade", str(src), "-o", str(tmp_path / "again")])
        assert run.exit_code == 1 and "ModuleNotFoundError" in run.output, run.output
        assert gc.isenabled() is enabled
    finally:
        gc.enable()
