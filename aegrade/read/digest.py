"""The sha256 of an input file, taken from the bytes a reader already read.

A reader that reads a whole file (:func:`read_bytes_hashed`) starts hashing those bytes in a
background thread (``hashlib`` releases the interpreter lock on large buffers, so the hash runs
beside the parsing) and remembers the digest under the file's identity (device, inode, size,
modification time). :func:`file_sha256` returns it without reading the file again; a file not
read that way, or changed since, is read and hashed there. The value is the same either way:
the sha256 of the file's bytes.
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import Future
from pathlib import Path

from aegrade.threads import background

__all__ = ["file_sha256", "read_bytes_hashed"]

#: Digests of the files read most recently, by identity (a handful: one run's inputs).
_KEEP = 16
_digests: dict[tuple[int, int, int, int], Future[str]] = {}
#: The process that made the digests: a forked child (a process pool) has not the parent's
#: background thread nor its pending work, so it starts afresh.
_owner = os.getpid()


def _identity(stat: os.stat_result) -> tuple[int, int, int, int]:
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)


def _sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def read_bytes_hashed(path: str | Path) -> bytes:
    """The bytes of ``path``, read once; their sha256 is computed in the background for
    :func:`file_sha256`.

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    bytes

    Raises
    ------
    OSError
        As :meth:`pathlib.Path.read_bytes`.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "labs.csv"
    >>> _ = path.write_bytes(b"subject_id\\nS1\\n")
    >>> read_bytes_hashed(path)
    b'subject_id\\nS1\\n'
    >>> file_sha256(path) == hashlib.sha256(b"subject_id\\nS1\\n").hexdigest()
    True
    """
    global _owner
    with open(path, "rb") as handle:
        stat = os.fstat(handle.fileno())
        raw = handle.read()
    if _owner != os.getpid():
        _owner = os.getpid()
        _digests.clear()
    while len(_digests) >= _KEEP:
        _digests.pop(next(iter(_digests)))
    _digests[_identity(stat)] = background(_sha256, raw)
    return raw


def file_sha256(path: str | Path) -> str:
    """The sha256 (hex) of the file's bytes: remembered from :func:`read_bytes_hashed` when
    the file is unchanged since, else read and hashed now.

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    str
        64 hex digits.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "empty.csv"
    >>> _ = path.write_bytes(b"")
    >>> file_sha256(path)[:16]
    'e3b0c44298fc1c14'
    """
    known = _digests.get(_identity(os.stat(path))) if _owner == os.getpid() else None
    if known is not None:
        return known.result()
    return _sha256(Path(path).read_bytes())
