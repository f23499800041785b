"""Validated criteria kept between runs, so that a grading run does not parse and validate
the same YAML again.

A packaged criteria file costs every ``aegrade grade`` process its YAML parse (PyYAML builds
Python objects in Python), its pydantic validation and the models' validators, and the CTCAE
unit check: the validated object is the same each time. :func:`cached` keeps it in a user cache
folder, one pickle per file, named by a digest of everything it depends on: the file's bytes,
aegrade's version, the criteria models' source, and the pydantic and Python versions. A changed
file or model gets another name, so an entry is never stale; a missing, unreadable or corrupt
entry is rebuilt from the file; a folder that cannot be written leaves the run uncached.

The folder is ``$AEGRADE_CACHE_DIR`` when set (an empty value turns the cache off), else
``$XDG_CACHE_HOME/aegrade`` or ``~/.cache/aegrade``. An entry is read with an unpickler that
builds nothing but the criteria models and plain data (tuples, dicts, sets, dates): a file put
in the folder by someone else cannot run code.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import io
import os
import pickle
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

__all__ = [
    "MODEL_MODULES",
    "cache_dir",
    "cache_key",
    "cached",
    "cached_plain",
    "models_digest",
    "plain_key",
]

T = TypeVar("T")

#: The modules the shapes depend on: the models and the loader that validates with them (their
#: digest is in the shapes file and in the criteria cache's keys).
MODEL_MODULES = ("base.py", "ctcae.py", "syndromes.py", "hematology.py", "loader.py")

_HERE = Path(__file__).resolve().parent


def models_digest() -> str:
    """The digest of the criteria models' source (:data:`MODEL_MODULES`), as the shapes file
    records it (and the criteria cache's keys hold it).

    Examples
    --------
    >>> len(models_digest())
    64
    """
    h = hashlib.sha256()
    for name in MODEL_MODULES:
        h.update(name.encode() + b"\0" + (_HERE / name).read_bytes() + b"\0")
    return h.hexdigest()


def cache_dir() -> Path | None:
    """The folder validated criteria are kept in, or None when the cache is off.

    Examples
    --------
    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {"AEGRADE_CACHE_DIR": "/tmp/aegrade-cache"}):
    ...     str(cache_dir())
    '/tmp/aegrade-cache'
    >>> with mock.patch.dict(os.environ, {"AEGRADE_CACHE_DIR": ""}):
    ...     cache_dir() is None
    True
    """
    chosen = os.environ.get("AEGRADE_CACHE_DIR")
    if chosen is not None:
        return Path(chosen) if chosen.strip() else None
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    if base:
        return Path(base) / "aegrade"
    try:
        return Path.home() / ".cache" / "aegrade"
    except (RuntimeError, KeyError):  # no home folder to be found: no cache
        return None


def cache_key(content: bytes) -> str:
    """The name of a file's entry: a digest of its bytes, aegrade's version, the models'
    source, and the pydantic and Python versions.

    Examples
    --------
    >>> cache_key(b"id: x") == cache_key(b"id: x") != cache_key(b"id: y")
    True
    """
    from pydantic import VERSION

    from aegrade._version import __version__

    h = hashlib.sha256(content)
    for part in (__version__, models_digest(), VERSION, sys.version):
        h.update(b"\0" + part.encode())
    return h.hexdigest()


def plain_key(content: bytes) -> str:
    """The name of a YAML file's parsed data: a digest of its bytes and the PyYAML and Python
    versions (plain data depends on nothing else; pydantic is not imported).

    Examples
    --------
    >>> plain_key(b"id: x") != cache_key(b"id: x")
    True
    """
    import yaml

    h = hashlib.sha256(content)
    for part in ("plain YAML data", yaml.__version__, sys.version):
        h.update(b"\0" + part.encode())
    return h.hexdigest()


class _CriteriaUnpickler(pickle.Unpickler):
    """Builds the criteria models and plain data only; anything else is refused."""

    _PLAIN = frozenset(
        {
            ("builtins", "set"),
            ("builtins", "frozenset"),
            ("copyreg", "_reconstructor"),
            ("copyreg", "__newobj__"),
            ("datetime", "date"),
        }
    )

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self._PLAIN:
            return super().find_class(module, name)
        if module.startswith("aegrade.criteria.") and not name.startswith("_"):
            from pydantic import BaseModel

            found = getattr(importlib.import_module(module), name, None)
            if isinstance(found, type) and issubclass(found, BaseModel):
                return found
        raise pickle.UnpicklingError(f"not a criteria model: {module}.{name}")


def _read(path: Path, kind: type[T]) -> T | None:
    """The entry at ``path`` when it holds a ``kind``, else None (missing, corrupt, foreign)."""
    try:
        found = _CriteriaUnpickler(io.BytesIO(path.read_bytes())).load()
    except Exception:  # any broken entry is rebuilt, whatever broke it
        return None
    return found if isinstance(found, kind) else None


def _write(folder: Path, name: str, value: object) -> None:
    """Keep ``value`` as ``folder/name``, atomically (a reader sees the whole entry or none);
    nothing when the folder cannot be written."""
    import tempfile

    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".part-", suffix=".pickle")
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, folder / name)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except (OSError, pickle.PicklingError):
        return


def cached(label: str, content: bytes, kind: type[T], build: Callable[[], T]) -> T:
    """The object ``build()`` makes from a file's ``content``, kept between runs.

    Parameters
    ----------
    label
        A readable name for the entry (the file's id); entries of the same label made for
        other contents or versions are removed when a new one is written.
    content
        The file's bytes: the entry is used only for these very bytes.
    kind
        The class the entry must hold (anything else is rebuilt).
    build
        Makes the object (parse and validate the file) when no entry holds it.

    Returns
    -------
    kind
        The object, from the cache or just built.

    Examples
    --------
    >>> import os, tempfile
    >>> from unittest import mock
    >>> from aegrade.criteria.base import Erratum
    >>> make = lambda: Erratum(revision=2, date="2024-01-31", change="c", reason="r")
    >>> folder = tempfile.mkdtemp()
    >>> with mock.patch.dict(os.environ, {"AEGRADE_CACHE_DIR": folder}):
    ...     first = cached("demo", b"v1", Erratum, make)
    ...     again = cached("demo", b"v1", Erratum, lambda: None)  # from the cache: not rebuilt
    >>> again == first, again is first, len(os.listdir(folder))
    (True, False, 1)
    """
    return _kept(label, lambda: cache_key(content), kind, build)


def cached_plain(label: str, content: bytes, build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """A YAML file's parsed data (``build()``), kept between runs as :func:`cached` keeps a
    validated file, under :func:`plain_key` (for the large packaged files that the instant
    commands read as plain data).

    Examples
    --------
    >>> import os, tempfile
    >>> from unittest import mock
    >>> folder = tempfile.mkdtemp()
    >>> with mock.patch.dict(os.environ, {"AEGRADE_CACHE_DIR": folder}):
    ...     first = cached_plain("demo", b"id: x", lambda: {"id": "x"})
    ...     again = cached_plain("demo", b"id: x", lambda: {})  # from the cache
    >>> again == first == {"id": "x"}
    True
    """
    return _kept(f"plain-{label}", lambda: plain_key(content), dict, build)


def _kept(label: str, key: Callable[[], str], kind: type[T], build: Callable[[], T]) -> T:
    """The entry ``label``-``key()`` when it holds a ``kind``, else ``build()``, kept."""
    folder = cache_dir()
    if folder is None:
        return build()
    safe = "".join(c if c.isalnum() or c in "-._" else "_" for c in label)[:64]
    name = f"{safe}-{key()[:40]}.pickle"
    found = _read(folder / name, kind)
    if found is not None:
        return found
    value = build()
    _write(folder, name, value)
    with contextlib.suppress(OSError):  # this file's entries of other contents or versions
        for old in folder.glob(f"{safe}-*.pickle"):
            if old.name != name and len(old.name) == len(name):
                old.unlink()
    return value
