"""A text input read and parsed by pyarrow before pandas is imported: :func:`prefetch_text`.

The ``aegrade grade`` command spends about 0.3 s importing pandas and the grading modules,
work that holds the interpreter lock, while reading a delimited text file is mostly work that
does not (the file's bytes, their sha256, pyarrow's csv parser on its own threads). So the
command starts :func:`prefetch_text` on the background thread first
(:func:`aegrade.threads.background`), imports the rest, and hands the result to
:func:`aegrade.read.load_study` (``prefetched=``), whose csv reader
(:func:`aegrade.read.files.read_csv`) then does only the pandas part.

The byte-level read itself is :func:`read_text`, the one the csv reader runs too (its
problems as :class:`UnreadableText`, which the reader turns into its input errors). This
module needs no pandas: the standard library, pyarrow and the pandas-free reading modules
(:mod:`aegrade.read.text`, :mod:`aegrade.read.digest`, :mod:`aegrade.read.arrow_csv`).
:func:`prefetch_text` never raises and never reports a problem: a file it cannot read gives
None, and the reader reads the file again, so every message and exit status is the reader's
own. The frame read from a prefetched text is the same frame: the same bytes, layout and
parse, made by the same function.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from aegrade.errors import Reason
from aegrade.read.arrow_csv import ParsedText, pandas_columns, parse_text
from aegrade.read.digest import read_bytes_hashed
from aegrade.read.text import CSV_NA, TEXT_SUFFIXES, TextLayout, detect_encoding, text_layout

__all__ = ["PrefetchedText", "UnreadableText", "prefetch_text", "read_text"]


class UnreadableText(Exception):
    """Why :func:`read_text` cannot read a file: the message and reason code of the input
    error the reader raises for it (:func:`aegrade.read.files.read_csv`), without pandas.

    Examples
    --------
    >>> err = UnreadableText("the file is empty", Reason.EMPTY_FILE)
    >>> err.message, str(err.check)
    ('the file is empty', 'empty_file')
    """

    def __init__(self, message: str, check: Reason = Reason.UNREADABLE_FILE) -> None:
        super().__init__(message)
        self.message, self.check = message, check


@dataclass(frozen=True)
class PrefetchedText:
    """A delimited text file's bytes, layout and pyarrow parse (:func:`read_text`): read
    ahead by :func:`prefetch_text`, or by the csv reader itself.

    Attributes
    ----------
    path
        The file, as given.
    identity
        Its device, inode, size and modification time when read: the reader uses the
        prefetched bytes only while the file is unchanged (:meth:`is_of`).
    raw
        The file's bytes (their sha256 is remembered, :func:`aegrade.read.file_sha256`).
    layout
        Its encoding, delimiter and decimal mark (:func:`aegrade.read.text.text_layout`).
    parsed
        pyarrow's read (:func:`aegrade.read.arrow_csv.parse_text`) with its columns as
        pandas reads them (:func:`aegrade.read.arrow_csv.pandas_columns`); None where pandas
        reads the file (a decimal comma, rows pyarrow refuses, ...).

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "labs.csv"
    >>> _ = path.write_bytes(b"subject_id,value\\nS1,1.5\\n")
    >>> text = prefetch_text(path)
    >>> text.layout.sep, text.parsed.table.num_rows, text.is_of(path)
    (',', 1, True)
    """

    path: Path
    identity: tuple[int, int, int, int]
    raw: bytes
    layout: TextLayout
    parsed: ParsedText | None

    def is_of(self, path: str | Path) -> bool:
        """Whether this is the read of ``path`` as the file is now (same path, same file
        identity): a file changed or replaced since is read again.

        Examples
        --------
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "labs.csv"
        >>> _ = path.write_bytes(b"subject_id\\nS1\\n")
        >>> text = prefetch_text(path)
        >>> text.is_of(path), text.is_of(path.with_name("other.csv"))
        (True, False)
        """
        try:
            return Path(path) == self.path and _identity(os.stat(path)) == self.identity
        except OSError:
            return False


def prefetch_text(path: str | Path, *, threads: int | None = None) -> PrefetchedText | None:
    """Read and parse a delimited text file as :func:`aegrade.read.files.read_csv` would,
    without pandas; None where the file is not one the reader reads that way.

    Parameters
    ----------
    path
        A ``.csv``, ``.txt`` or ``.tsv`` file; anything else (a folder, a workbook, a
        missing file) gives None.
    threads
        As :func:`aegrade.threads.thread_count`; give the count of the main thread when this
        runs on another (a thread's own default is 1, and pyarrow would parse on one core).

    Returns
    -------
    PrefetchedText or None
        None for a file that cannot be opened, is not text, or is empty: the reader reads
        it again and names the problem as it always does.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "labs.csv").write_bytes(b"subject_id;value\\nS1;1,5\\n")
    >>> text = prefetch_text(folder / "labs.csv")
    >>> text.layout.decimal, text.parsed is None  # a decimal comma: pandas reads it
    (',', True)
    >>> prefetch_text(folder) is None, prefetch_text(folder / "absent.csv") is None
    (True, True)
    """
    path = Path(path)
    if path.suffix.lower() not in TEXT_SUFFIXES:
        return None
    try:
        if not path.is_file():
            return None
        text = read_text(path, threads=threads)
    except Exception:  # the reader reads the file again and names the problem
        return None
    if len(text.raw) != text.identity[2]:
        return None  # a file changing as it is read: the reader reads it again
    return text


def read_text(path: str | Path, *, threads: int | None = None) -> PrefetchedText:
    """A delimited text file's bytes (their sha256 remembered), encoding, delimiter and
    decimal mark, and pyarrow's parse with its columns as pandas reads them: the part of
    :func:`aegrade.read.files.read_csv` that needs no pandas.

    Parameters
    ----------
    path
        The file.
    threads
        As :func:`aegrade.threads.thread_count`, for pyarrow's parse.

    Returns
    -------
    PrefetchedText
        ``parsed`` is None where pandas reads the file (a decimal comma, rows pyarrow
        refuses, cells the two readers could read differently).

    Raises
    ------
    UnreadableText
        The file cannot be opened, is a workbook (a zip archive), is in no encoding it could
        be, or is empty.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "labs.csv").write_bytes(b"subject_id,value\\nS1,1.5\\n")
    >>> read_text(folder / "labs.csv").parsed.table.num_rows
    1
    >>> _ = (folder / "empty.csv").write_bytes(b"")
    >>> try:
    ...     read_text(folder / "empty.csv")
    ... except UnreadableText as err:
    ...     print(err.message)
    the file is empty
    """
    path = Path(path)
    try:  # read once: its sha256 is taken from these bytes
        identity = _identity(os.stat(path))
        raw = read_bytes_hashed(path)
    except OSError as exc:
        raise UnreadableText(f"cannot open the file: {exc.strerror or exc}") from None
    if raw.startswith(b"PK\x03\x04"):
        raise UnreadableText(
            "this is an Excel workbook (or another zip archive), not text; give it an .xlsx name"
        )
    try:
        encoding = detect_encoding(raw)
    except ValueError as exc:
        raise UnreadableText(str(exc)) from None
    layout = text_layout(raw, encoding)
    if not layout.head.strip():
        raise UnreadableText("the file is empty", Reason.EMPTY_FILE)
    parsed = None
    if layout.decimal == ".":
        parsed = parse_text(raw, layout, na_values=CSV_NA, threads=threads)
        parsed = None if parsed is None else pandas_columns(parsed)
    return PrefetchedText(path, identity, raw, layout, parsed)


def _identity(stat: os.stat_result) -> tuple[int, int, int, int]:
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)
