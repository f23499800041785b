"""The one neutraliser: text a spreadsheet would run as a formula, or a page would read as
markup, is made inert before any format writes it.

- csv, xlsx and ARD: a text cell, header or metadata cell starting with ``=``, ``+``, ``-``,
  ``@``, tab or carriage return gets a leading apostrophe (:func:`neutralize`,
  :func:`neutralize_formulas`, :func:`neutralize_about`), the OWASP advice for CSV injection
  (CWE-1236). Numbers are never touched: a number stays a number, and a text cell that is a
  plain number (``-2``, ``-12.5``, ``-1e-3``) is not a formula in any spreadsheet, so it is not
  prefixed either; for xlsx, such cells of a column mixing words and numbers are written as
  numbers, cell by cell (``numbers=True``).
- html (tables and the report): every text is escaped (:func:`escape_markup`).
- docx and rtf: text is set as runs and cells, never parsed as markup, by python-docx and
  rtflite.

>>> neutralize("=1+1"), neutralize("Anemia"), neutralize("-12.5")
("'=1+1", 'Anemia', '-12.5')
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "FORMULA_START",
    "escape_markup",
    "neutralize",
    "neutralize_about",
    "neutralize_formulas",
]

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

#: A plain (negative) number as text, as a spreadsheet writes it: never a formula, so never
#: prefixed. A leading ``+`` is not how numbers are written; such text is still prefixed.
_NUMBER = r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
#: A number written the way a spreadsheet writes it back (no leading zeros, no exponent, no
#: plus sign, at most 15 digits before the point: what Excel holds exactly): only such text
#: becomes a number cell, so identifiers like ``007`` stay text, and so does ``150.000`` (a
#: thousands separator or a decimal mark: the cell as the site wrote it, never 150).
_PLAIN_NUMBER = r"(?!-?[1-9]\d{0,2}\.\d{3}$)-?(?:0|[1-9]\d{0,14})(?:\.\d+)?"


def neutralize(value: Any) -> Any:
    """Prefix a string a spreadsheet would run as a formula with an apostrophe.

    Parameters
    ----------
    value
        Any cell value; only strings are changed.

    Returns
    -------
    object
        ``value``, or ``"'" + value`` when it starts with one of :data:`FORMULA_START`.

    Examples
    --------
    >>> neutralize("@SUM(A1)"), neutralize(-3), neutralize("-3")
    ("'@SUM(A1)", -3, '-3')
    """
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_START)
        and re.fullmatch(_NUMBER, value) is None
    ):
        return "'" + value
    return value


def escape_markup(text: str) -> str:
    """``text`` safe inside HTML: ``<``, ``>``, ``&`` and quotes escaped.

    >>> escape_markup("<b>grade 3</b>")
    '&lt;b&gt;grade 3&lt;/b&gt;'
    """
    import html  # html.entities' tables: only the markup writers escape text

    return html.escape(text)


def neutralize_formulas(frame: pd.DataFrame, *, numbers: bool = False) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and headers cannot be read as spreadsheet formulas.

    Only text is changed: in an object column only its ``str`` cells, vectorised; categorical
    columns by their categories; numeric columns never.

    Parameters
    ----------
    frame
        Any table.
    numbers
        Also turn the plain-number text cells (``-2``, ``12.5``, not ``007`` or ``1e3``) of a
        column that mixes them with words into numbers, so that xlsx stores each cell with its
        own type. A column holding only such text (identifiers) is left as text.

    Returns
    -------
    pandas.DataFrame
        A new frame; columns without a risky cell are the same objects.

    Examples
    --------
    >>> neutralize_formulas(pd.DataFrame({"x": ["=cmd()", "ok", None]}))["x"].tolist()
    ["'=cmd()", 'ok', nan]
    >>> mixed = pd.DataFrame({"=HYPERLINK()": ["RA", "-2", "-12.5"]})
    >>> out = neutralize_formulas(mixed, numbers=True)
    >>> list(out.columns), out.iloc[:, 0].tolist()
    (["'=HYPERLINK()"], ['RA', -2, -12.5])
    """
    out = frame.copy(deep=False)
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            cats = s.cat.categories
            if pd.api.types.is_string_dtype(cats.dtype) or cats.dtype == object:
                fixed = [neutralize(c) for c in cats]
                if fixed != list(cats):
                    out[col] = s.cat.rename_categories(fixed)
        elif s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            text = _fix_text(s, numbers=numbers)
            if text is not None:
                out[col] = text
    headers = [neutralize(c) for c in out.columns]
    if headers != list(out.columns):
        out.columns = pd.Index(headers, dtype=object)
    return out


def neutralize_about(about: dict[str, str]) -> dict[str, str]:
    """The metadata of an ``about`` sheet with every key and value neutralised.

    >>> neutralize_about({"input": "=cmd|' /C calc'!A0.xlsx"})
    {'input': "'=cmd|' /C calc'!A0.xlsx"}
    """
    return {str(neutralize(str(k))): str(neutralize(str(v))) for k, v in about.items()}


def _fix_text(s: pd.Series, *, numbers: bool) -> pd.Series | None:
    """The column with its risky text prefixed (and mixed plain numbers as numbers), or None
    when nothing changes."""
    if not numbers and isinstance(s.dtype, pd.StringDtype) and not _any_formula_start(s):
        return None  # the usual text column: no cell starts like a formula
    if s.dtype == object:
        kind = pd.api.types.infer_dtype(s, skipna=True)
        if kind not in ("string", "mixed", "mixed-integer"):
            return None  # no text at all (numbers, dates, empty)
        is_text = (s.notna() if kind == "string" else s.str.len().notna()).to_numpy(bool)
    else:
        is_text = s.notna().to_numpy(bool)
    if not is_text.any():
        return None
    text = s[is_text] if is_text.all() else s[is_text].astype(str)
    risky = text.str.startswith(FORMULA_START).to_numpy(bool, copy=True)
    if risky.any():
        risky[risky] = ~_matches(text[risky], _NUMBER)
    plain = _matches(text, _PLAIN_NUMBER) if numbers else np.zeros(len(text), bool)
    convert = plain.any() and not plain.all()  # a mixed column: its numbers become numbers
    if not risky.any() and not convert:
        return None
    fixed = s.astype(object).copy()
    where = is_text.nonzero()[0]
    if risky.any():
        fixed.iloc[where[risky]] = ("'" + text[risky]).to_numpy(object)
    if convert:
        floats = pd.to_numeric(text[plain]).to_numpy(float)
        values = floats.astype(object)
        whole = ~text[plain].str.contains(".", regex=False).to_numpy(bool)
        values[whole] = floats[whole].astype(np.int64).astype(object)  # 2, not 2.0
        fixed.iloc[where[plain]] = values
    return fixed


#: The first characters of a formula as bytes (all ASCII: in UTF-8 such a byte is never part
#: of another character, so a cell starts with one exactly when its first byte is one).
_START_BYTES = np.frombuffer("".join(FORMULA_START).encode("ascii"), dtype=np.uint8)


def _any_formula_start(s: pd.Series) -> bool:
    """Whether any cell of a text column starts with one of :data:`FORMULA_START`, read from
    the first byte of each cell in the column's Arrow buffers (no string made per cell)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arrow = pa.array(s.array)
    if isinstance(arrow, pa.ChunkedArray):
        arrow = arrow.combine_chunks()
    arrow = pc.fill_null(pc.cast(arrow, pa.large_string()), "")
    _, offsets, data = arrow.buffers()
    if data is None or len(arrow) == 0:
        return False
    bounds = np.frombuffer(offsets, dtype=np.int64)[arrow.offset : arrow.offset + len(arrow) + 1]
    first = bounds[:-1][np.diff(bounds) > 0]
    return bool(np.isin(np.frombuffer(data, dtype=np.uint8)[first], _START_BYTES).any())


def _matches(text: pd.Series, pattern: str) -> np.ndarray:
    """Which cells fully match ``pattern``, testing each distinct text once (columns repeat
    their words: a million cells are a handful of regex calls)."""
    codes, uniques = pd.factorize(text.to_numpy(object))
    hit = pd.Series(uniques, dtype=object).str.fullmatch(pattern).to_numpy(bool)
    return np.asarray(hit[codes], dtype=bool)
