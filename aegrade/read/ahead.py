"""An input csv read while the command line imports the grading stack.

``aegrade grade labs.csv`` spends its first half second importing pandas and aegrade, on one
core. :func:`prefetch` (called by the command line before those imports, when a core is idle:
:func:`core_free`) reads the file's
bytes, hashes them (:mod:`aegrade.read.digest`) and parses them with pyarrow
(:func:`aegrade.read.arrow_csv.parse_text`) in the process's background thread meanwhile;
:func:`aegrade.read.files.read_csv` takes that work (:func:`take_prefetched`) when the file is
still the one read (same device, inode, size and modification time), and reads the file
itself otherwise. Nothing here decides anything the reader does not decide the same way:
the background work is the reader's own first steps, and every problem (an unreadable file,
a decimal comma, rows pyarrow refuses) is left to the reader, which reads the file again.
Plain Python and pyarrow only: no pandas is imported here.
"""

from __future__ import annotations

import os
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from aegrade.read.digest import read_bytes_hashed
from aegrade.read.text import CSV_NA, TEXT_SUFFIXES, detect_encoding, text_layout
from aegrade.threads import background, thread_count

if TYPE_CHECKING:
    from aegrade.read.arrow_csv import ParsedText

__all__ = ["Prefetched", "core_free", "prefetch", "take_prefetched"]


@dataclass(frozen=True)
class Prefetched:
    """A file's bytes and pyarrow's read of them, done ahead.

    Attributes
    ----------
    raw
        The file's bytes.
    parsed
        :func:`aegrade.read.arrow_csv.parse_text`'s read, None where it gave none (the
        reader then reads the file with pandas) or was not tried (``tried`` False: not a
        text table pyarrow reads, such as a decimal-comma file).
    tried
        Whether pyarrow's read was tried.
    """

    raw: bytes
    parsed: ParsedText | None
    tried: bool


_Identity = tuple[int, int, int, int]
_jobs: dict[_Identity, Future[Prefetched | None]] = {}
#: The process that started the jobs (a forked child has not the parent's thread).
_owner = os.getpid()


def _identity(path: Path) -> _Identity | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)


def core_free() -> bool:
    """Whether a core is idle for the read ahead: the one-minute load average is below the
    cores this process may use less one. Measured on 2 cores: with one idle the read ahead
    saved 0.15 s of a 2.5 s run of 1M rows; with none it cost 0.1 s (the parse then only
    competes with the imports).

    Returns
    -------
    bool

    Examples
    --------
    >>> from unittest import mock
    >>> with mock.patch("os.getloadavg", return_value=(64.0, 0.0, 0.0)):
    ...     core_free()
    False
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except OSError:  # pragma: no cover - no load average on this system
        return cores > 1
    return load < cores - 1


def prefetch(path: str | Path) -> bool:
    """Start reading ``path`` in the background when it is a csv, txt or tsv file.

    Parameters
    ----------
    path
        The command line's input.

    Returns
    -------
    bool
        Whether a read was started.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "labs.csv"
    >>> _ = path.write_bytes(b"subject_id,day\\nS1,0\\n")
    >>> prefetch(path), take_prefetched(path).parsed.table.num_rows
    (True, 1)
    """
    global _owner
    path = Path(path)
    if path.suffix.lower() not in TEXT_SUFFIXES or not path.is_file():
        return False
    key = _identity(path)
    if key is None:
        return False
    if _owner != os.getpid():
        _owner = os.getpid()
        _jobs.clear()
    # pyarrow and the parser imported on the caller's thread, not in the thread beside pandas
    import aegrade.read.arrow_csv  # noqa: F401

    # pyarrow's parse on its own threads: on the calling (background) thread it would hold
    # the interpreter lock the imports need
    _jobs[key] = background(_read_ahead, path, max(thread_count(), 2))
    return True


def take_prefetched(path: str | Path) -> Prefetched | None:
    """The read :func:`prefetch` started for ``path``, once (waiting for it to finish), or
    None: none started, the file changed since, or the read failed.

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    Prefetched or None

    Examples
    --------
    >>> take_prefetched("never-prefetched.csv") is None
    True
    """
    key = _identity(Path(path))
    if key is None or _owner != os.getpid():
        return None
    job = _jobs.pop(key, None)
    if job is None:
        return None
    try:
        done = job.result()
    except Exception:  # any failure ahead: the reader reads the file itself
        return None
    if done is None or _identity(Path(path)) != key:
        return None
    return done


def _read_ahead(path: Path, threads: int) -> Prefetched | None:
    """The reader's first steps (:func:`aegrade.read.files.read_csv`): bytes, encoding,
    layout, pyarrow's read. None when the file cannot be read here."""
    from aegrade.read.arrow_csv import parse_text

    try:
        raw = read_bytes_hashed(path)
    except OSError:
        return None
    if raw.startswith(b"PK\x03\x04"):
        return Prefetched(raw, None, tried=False)
    try:
        layout = text_layout(raw, detect_encoding(raw))
    except ValueError:
        return Prefetched(raw, None, tried=False)
    if not layout.head.strip() or layout.decimal != ".":
        return Prefetched(raw, None, tried=False)
    return Prefetched(raw, parse_text(raw, layout, na_values=CSV_NA, threads=threads), tried=True)
