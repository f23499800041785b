"""Validated criteria kept between runs: used only for the very bytes and versions they were
made from, rebuilt when missing or corrupt, refused when foreign, harmless when the folder
cannot be written."""

from __future__ import annotations

import io
import os
import pickle
from pathlib import Path

import pytest

import aegrade.criteria.cache as cache
import aegrade.criteria.loader as loader
from aegrade.criteria import load_criteria
from aegrade.criteria.base import Erratum
from aegrade.criteria.cache import cache_dir, cache_key, cached
from aegrade.criteria.plain import packaged_ids


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AEGRADE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


class Builds:
    """Counts the builds (each returns a new, equal erratum)."""

    def __init__(self, change: str = "a change") -> None:
        self.calls, self.change = 0, change

    def __call__(self) -> Erratum:
        self.calls += 1
        return Erratum(revision=2, date="2024-01-31", change=self.change, reason="why")  # type: ignore[arg-type]


def _entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_an_entry_is_used_for_the_same_bytes_and_rebuilt_for_others(folder: Path) -> None:
    build = Builds()
    first = cached("demo", b"v1", Erratum, build)
    again = cached("demo", b"v1", Erratum, build)
    assert build.calls == 1 and again == first and again is not first
    (entry,) = _entries(folder)
    assert entry == f"demo-{cache_key(b'v1')[:40]}.pickle"
    other = Builds("another change")
    changed = cached("demo", b"v2", Erratum, other)
    assert other.calls == 1 and changed.change == "another change"
    assert _entries(folder) == [f"demo-{cache_key(b'v2')[:40]}.pickle"]  # the old one removed


def test_the_key_holds_the_models_source_and_the_version(monkeypatch: pytest.MonkeyPatch) -> None:
    before = cache_key(b"v1")
    monkeypatch.setattr(cache, "models_digest", lambda: "0" * 64)
    assert cache_key(b"v1") != before


@pytest.mark.parametrize(
    "content",
    [b"", b"not a pickle", pickle.dumps({"a": 1}), pickle.dumps(Erratum)[:-3]],
    ids=["empty", "garbage", "another object", "truncated"],
)
def test_a_corrupt_entry_is_rebuilt(folder: Path, content: bytes) -> None:
    build = Builds()
    cached("demo", b"v1", Erratum, build)
    (entry,) = folder.iterdir()
    entry.write_bytes(content)
    value = cached("demo", b"v1", Erratum, build)
    assert build.calls == 2 and value.change == "a change"
    assert cached("demo", b"v1", Erratum, build) == value and build.calls == 2  # rewritten


class _Boom:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("echo should-not-run",))


def test_a_foreign_pickle_is_refused_before_anything_runs(folder: Path) -> None:
    blob = pickle.dumps(_Boom())
    with pytest.raises(pickle.UnpicklingError, match=r"not a criteria model: posix\.system"):
        cache._CriteriaUnpickler(io.BytesIO(blob)).load()
    build = Builds()
    cached("demo", b"v1", Erratum, build)
    (entry,) = folder.iterdir()
    entry.write_bytes(blob)
    assert cached("demo", b"v1", Erratum, build).change == "a change" and build.calls == 2


def test_a_folder_that_cannot_be_written_leaves_the_run_uncached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x", "utf-8")
    monkeypatch.setenv("AEGRADE_CACHE_DIR", str(blocker / "cache"))  # under a file: no folder
    build = Builds()
    assert cached("demo", b"v1", Erratum, build) == cached("demo", b"v1", Erratum, build)
    assert build.calls == 2


def test_an_empty_setting_turns_the_cache_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AEGRADE_CACHE_DIR", "")
    assert cache_dir() is None
    build = Builds()
    cached("demo", b"v1", Erratum, build)
    cached("demo", b"v1", Erratum, build)
    assert build.calls == 2


def test_the_default_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("AEGRADE_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir() == tmp_path / "aegrade"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_dir() == Path.home() / ".cache" / "aegrade"

    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    assert cache_dir() is None
    build = Builds()
    cached("demo", b"v1", Erratum, build)
    assert build.calls == 1


@pytest.mark.parametrize("cid", packaged_ids())
def test_a_packaged_file_from_the_cache_is_the_validated_file(
    folder: Path, cid: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = loader._validate_packaged(cid)
    loader._load_packaged.cache_clear()
    try:
        load_criteria(cid)  # validated, and kept
        loader._load_packaged.cache_clear()

        def refuse(_cid: str) -> None:
            raise AssertionError("validated again: the cache was not used")

        monkeypatch.setattr(loader, "_validate_packaged", refuse)
        kept = load_criteria(cid)
        assert kept == fresh and type(kept) is type(fresh)
        assert kept.model_dump() == fresh.model_dump()
    finally:
        loader._load_packaged.cache_clear()


def test_a_users_file_is_kept_for_its_bytes(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from importlib import resources

    from aegrade.criteria import load_criteria_file

    text = resources.files("aegrade.criteria.data").joinpath("lee-2014.yaml").read_text("utf-8")
    path = tmp_path / "site.yaml"
    path.write_text(text.replace("id: lee-2014", "id: site-lee", 1), "utf-8")
    first = load_criteria_file(path)
    calls: list[str] = []
    validate = loader._validate
    monkeypatch.setattr(
        loader, "_validate", lambda raw, name: calls.append(name) or validate(raw, name)
    )
    assert load_criteria_file(path) == first and calls == []  # the same bytes: kept
    path.write_text(text.replace("id: lee-2014", "id: site-lee-2", 1), "utf-8")
    assert load_criteria_file(path).id == "site-lee-2" and calls == ["site.yaml"]  # changed
    crlf = tmp_path / "crlf.yaml"
    crlf.write_bytes(text.replace("id: lee-2014", "id: site-lee", 1).replace("\n", "\r\n").encode())
    assert load_criteria_file(crlf) == first  # read as Path.read_text reads it


def test_a_large_packaged_file_is_parsed_once_as_plain_data(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import aegrade.criteria.plain as plain

    parsed = plain._parse((Path(plain.__file__).parent / "data" / "ctcae-v5.0.yaml").read_bytes())
    plain._read.cache_clear()
    try:
        assert plain.plain_criteria("ctcae-v5.0") == parsed  # parsed, and kept
        assert any(p.name.startswith("plain-ctcae-v5.0.yaml-") for p in folder.iterdir())
        plain._read.cache_clear()

        def refuse(_content: bytes) -> None:
            raise AssertionError("parsed again: the cache was not used")

        monkeypatch.setattr(plain, "_parse", refuse)
        assert plain.plain_criteria("ctcae-v5.0") == parsed
        with pytest.raises(AssertionError, match="parsed again"):  # a small file: parsed
            plain._read("lee-2014.yaml")
    finally:
        plain._read.cache_clear()
