"""How a delimited text file is written: its encoding, delimiter and decimal mark.

Plain Python (no pandas): :func:`aegrade.read.files.read_csv` decides with it how to read
the file, and :mod:`aegrade.read.arrow_csv` how pyarrow's reader is set up.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

__all__ = [
    "CSV_NA",
    "TEXT_SUFFIXES",
    "TextLayout",
    "detect_delimiter",
    "detect_encoding",
    "text_layout",
]

#: The cells of a text file read as missing (no other word: ``N/A`` or ``-`` stay text).
CSV_NA = ["", "NA", "NaN", "nan"]
TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
_DELIMITERS = (",", ";", "\t", "|")
#: How much of the file's start is decoded to find its header, delimiter and decimal mark.
HEAD_BYTES = 65536


@dataclass(frozen=True)
class TextLayout:
    """How a delimited text file is written, from its first bytes.

    Attributes
    ----------
    encoding
        A codec name (:func:`detect_encoding`).
    head
        The file's first :data:`HEAD_BYTES` bytes as text, without a byte-order mark.
    first
        The header line ("" when the head holds nothing but blanks).
    sep
        The delimiter (:func:`detect_delimiter`).
    decimal
        ``","`` for a semicolon-separated file with digits around commas, else ``"."``.

    Examples
    --------
    >>> text_layout(b"subject_id;value\\nS1;1,5\\n", "utf-8").decimal
    ','
    """

    encoding: str
    head: str
    first: str
    sep: str
    decimal: str


def text_layout(raw: bytes, encoding: str) -> TextLayout:
    """The layout of the text file ``raw`` in ``encoding``.

    Parameters
    ----------
    raw
        The file's bytes.
    encoding
        Its encoding (:func:`detect_encoding`).

    Returns
    -------
    TextLayout

    Examples
    --------
    >>> layout = text_layout(b"subject_id,day\\nS1,0\\n", "utf-8")
    >>> layout.first, layout.sep, layout.decimal
    ('subject_id,day', ',', '.')
    """
    head = raw[:HEAD_BYTES].decode(encoding, errors="replace").lstrip("\ufeff")
    first = head.splitlines()[0] if head.strip() else ""
    sep = detect_delimiter(first)
    decimal = "," if sep == ";" and re.search(r"\d,\d", head) else "."
    return TextLayout(encoding, head, first, sep, decimal)


def detect_encoding(raw: bytes) -> str:
    """The encoding of ``raw``: a BOM, else UTF-8 when it decodes, else cp1252, else latin-1.

    Parameters
    ----------
    raw
        The file's bytes (the first 4096 decide UTF-16 without a byte-order mark).

    Returns
    -------
    str
        A codec name for :meth:`bytes.decode`.

    Raises
    ------
    ValueError
        The bytes are not text (NUL bytes without a UTF-16 byte-order mark).

    Examples
    --------
    >>> detect_encoding("día".encode()), detect_encoding("día".encode("cp1252"))
    ('utf-8', 'cp1252')
    """
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    head = raw[:4096]
    if b"\x00" in head:
        if len(head) >= 4 and head[1::2].count(0) > 0.9 * len(head[1::2]):
            return "utf-16-le"
        if len(head) >= 4 and head[0::2].count(0) > 0.9 * len(head[0::2]):
            return "utf-16-be"
        raise ValueError("the file is not text (it holds NUL bytes); save it as CSV (UTF-8)")
    if raw.isascii():  # UTF-8 without decoding it (a file of numbers and codes mostly is)
        return "utf-8"
    for enc in ("utf-8", "cp1252"):
        try:
            raw.decode(enc)
        except UnicodeDecodeError:
            continue
        return enc
    return "latin-1"


def detect_delimiter(first_line: str) -> str:
    """The most frequent of , ; tab | in the header line (comma when none occurs).

    Parameters
    ----------
    first_line
        The header line.

    Returns
    -------
    str

    Examples
    --------
    >>> detect_delimiter("subject_id;day;value"), detect_delimiter("subject_id")
    (';', ',')
    """
    counts = {d: first_line.count(d) for d in _DELIMITERS}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else ","
