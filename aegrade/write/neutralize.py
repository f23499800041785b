"""The one neutraliser: text a spreadsheet would run as a formula, or a page would read as
markup, is made inert before any format writes it.

- csv, xlsx and ARD: a text cell (or header) starting with ``=``, ``+``, ``-``, ``@``, tab or
  carriage return gets a leading apostrophe (:func:`neutralize`, :func:`neutralize_formulas`),
  the OWASP advice for CSV injection.
- html (tables and the report): every text is escaped (:func:`escape_markup`).
- docx and rtf: text is set as runs and cells, never parsed as markup, by python-docx and
  rtflite.

>>> neutralize("=1+1"), neutralize("Anemia")
("'=1+1", 'Anemia')
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

__all__ = ["FORMULA_START", "escape_markup", "neutralize", "neutralize_formulas"]

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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
    >>> neutralize("@SUM(A1)"), neutralize(-3)
    ("'@SUM(A1)", -3)
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def escape_markup(text: str) -> str:
    """``text`` safe inside HTML: ``<``, ``>``, ``&`` and quotes escaped.

    >>> escape_markup("<b>grade 3</b>")
    '&lt;b&gt;grade 3&lt;/b&gt;'
    """
    return html.escape(text)


def neutralize_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot be read as spreadsheet formulas.

    Text and object columns are checked vectorised; categorical columns by their categories.

    Parameters
    ----------
    frame
        Any table.

    Returns
    -------
    pandas.DataFrame
        A new frame; columns without a risky cell are the same objects.

    Examples
    --------
    >>> neutralize_formulas(pd.DataFrame({"x": ["=cmd()", "ok", None]}))["x"].tolist()
    ["'=cmd()", 'ok', nan]
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
            text = s.astype("string")
            risky = text.str.startswith(FORMULA_START).fillna(False).to_numpy(bool)
            if risky.any():
                s = s.astype(object).copy()
                s[risky] = "'" + text[risky]
                out[col] = s
    return out
