"""Result cells as sites write them, read as numbers (SPEC section 2, "Values as sites write
them").

:func:`parse_values` reads a column of cells once, vectorised over the column: plain numbers;
censored results (``<0.5``, ``<= 10``, ``>7.0``: the limit and the side kept); decimal commas
where unambiguous (``13,6``, ``0,125``); thousands separators where unambiguous
(``1,234,567``, ``1.234,5``, ``150 000``); the rest (``150.000``, ``1,234``) by the
``decimal`` option or as an ambiguous cell. No-result words (``data/inputs/no_result.yaml``)
are missing, never an error; booleans, infinities, ``nan`` spellings and spreadsheet error
cells (``#N/A``, ``#DIV/0!``) are each told apart, so the caller reports them naming the cell.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from aegrade.criteria.labnames import fold_word, lab_vocabulary
from aegrade.threads import row_blocks, run_blocks

__all__ = ["CELL_STATUS", "ParsedValues", "parse_values"]

#: Status codes of :attr:`ParsedValues.status` and what each means.
CELL_STATUS = {
    0: "a number, or empty",
    1: "not a number",
    2: "a no-result word",
    3: "ambiguous: a thousands separator or a decimal mark",
    4: "a boolean",
    5: "infinite",
    6: "a 'nan' spelling",
    7: "a spreadsheet error cell",
}
OK, TEXT, NO_RESULT, AMBIGUOUS, BOOLEAN, INFINITE, NAN_WORD, SHEET_ERROR = range(8)

#: Error values a spreadsheet shows in a cell (Excel and LibreOffice spellings).
_SHEET_ERRORS = (
    r"#(N/A|DIV/0!|VALUE!|REF!|NAME\?|NUM!|NULL!|SPILL!|CALC!|GETTING_DATA|FIELD!|BLOCKED!"
    r"|UNKNOWN!|BUSY!|CONNECT!|EXTERNAL!|PYTHON!)|Err:\d{3}"
)
_BOOLEANS = ("true", "false", "wahr", "falsch", "vrai", "faux")
_NAN = r"[+-]?nan|1\.#(qnan|ind)"
_INF = r"[+-]?(inf|infinity|∞)"
_CENSOR = r"(?P<side><=|>=|=<|=>|≤|≥|<|>)\s*(?P<body>.+)"
_SIGN = r"[+-]?"
_PLAIN = _SIGN + r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?"
_AMB_DOT = _SIGN + r"[1-9]\d{0,2}\.\d{3}"
_AMB_COMMA = _SIGN + r"[1-9]\d{0,2},\d{3}"
_COMMA_DEC = _SIGN + r"(\d+,\d+|,\d+)"
_THOU_COMMA = _SIGN + r"[1-9]\d{0,2}(,\d{3})+(\.\d+)?"
_THOU_DOT = _SIGN + r"[1-9]\d{0,2}(\.\d{3})+(,\d+)?"
_THOU_SPACE = _SIGN + r"[1-9]\d{0,2}([ \u00a0\u202f']\d{3})+([.,]\d+)?"
_SIDES = {"<": "<", ">": ">", "<=": "<=", ">=": ">=", "=<": "<=", "=>": ">=", "≤": "<=", "≥": ">="}


@dataclass(frozen=True)
class ParsedValues:
    """A column of cells read as numbers, row-aligned with it.

    Attributes
    ----------
    value
        The number (NaN when there is none); for a censored cell, its limit.
    status
        One of :data:`CELL_STATUS` per cell.
    censor_side
        ``"<"``, ``"<="``, ``">"`` or ``">="`` for a censored cell, else None; None for the
        whole column when no cell can be censored (a numeric or boolean column).
    all_ok
        True when every status is known to be OK (0) without reading them; False: not
        known (:attr:`flagged` reads them).
    """

    value: np.ndarray
    status: np.ndarray
    censor_side: np.ndarray | None
    all_ok: bool = False

    @property
    def flagged(self) -> bool:
        """Whether any cell's status is not OK (0).

        >>> parse_values(pd.Series([1.5, float("inf")])).flagged
        True
        """
        return not self.all_ok and bool(self.status.any())

    @property
    def censored(self) -> np.ndarray:
        """True where the cell was a censored result."""
        if self.censor_side is None:
            return np.zeros(len(self.value), bool)
        out: np.ndarray = self.censor_side != None  # noqa: E711 - elementwise
        return out


def _match(text: pd.Series, pattern: str) -> np.ndarray:
    return text.str.fullmatch(pattern, case=False).fillna(False).to_numpy(bool)


def _floats(cells: np.ndarray, copy: bool, threads: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """A float64 column's values (a copy unless ``copy`` is False), its status (INFINITE
    where the value is infinite, else OK) and whether any value is infinite, in blocks of
    rows on ``threads`` threads."""
    n = len(cells)
    value = np.empty(n) if copy else np.asarray(cells, dtype=np.float64)
    status = np.empty(n, np.int8)
    infinite: list[slice] = []  # the blocks with an infinite value

    def block(part: slice) -> None:
        if copy:
            np.copyto(value[part], cells[part])
        mine = status[part]
        np.isinf(value[part], out=mine.view(bool))  # 1 where infinite, else OK (0)
        if mine.any():  # read while the block is in cache
            mine *= np.int8(INFINITE)
            infinite.append(part)

    run_blocks(block, row_blocks(n, threads, n), threads)
    return value, status, bool(infinite)


def parse_values(
    cells: pd.Series,
    *,
    decimal: str | None = None,
    no_result: Iterable[str] = (),
    censored: bool = True,
    copy: bool = True,
    threads: int = 1,
) -> ParsedValues:
    """Read a column of result cells; see the module docstring.

    Parameters
    ----------
    cells
        The cells as read (numbers, text, booleans, NA).
    decimal
        ``","`` or ``"."``: the decimal mark of the ambiguous cells (``150.000``, ``1,234``);
        None: such a cell is :data:`CELL_STATUS` 3 (ambiguous).
    no_result
        More no-result words (a column map's ``no_result``), besides the packaged list.
    censored
        Read ``<x`` and ``>x`` as censored results (False: status 1).
    copy
        False: the values of a float64 column without an infinite value may be the
        column's own array (read-only use, no copy of the rows).
    threads
        A float64 column is copied and checked in blocks of rows on this many threads
        (:mod:`aegrade.threads`): the same result.

    Returns
    -------
    ParsedValues

    Examples
    --------
    >>> cells = pd.Series(["<0.5", "13,6", "1,234", "not done", "#DIV/0!", 7, "TRUE", None])
    >>> got = parse_values(cells)
    >>> got.value.tolist()
    [0.5, 13.6, nan, nan, nan, 7.0, nan, nan]
    >>> got.status.tolist(), got.censor_side.tolist()
    ([0, 0, 3, 2, 7, 0, 4, 0], ['<', None, None, None, None, None, None, None])
    >>> parse_values(pd.Series(["1,234", "150.000"]), decimal=",").value.tolist()
    [1.234, 150000.0]
    """
    if decimal not in (None, ",", "."):
        raise ValueError("decimal must be ',' or '.' (or None)")
    n = len(cells)
    if pd.api.types.is_bool_dtype(cells):
        status = np.where(cells.isna().to_numpy(bool), OK, BOOLEAN).astype(np.int8)
        return ParsedValues(np.full(n, np.nan), status, None)
    if pd.api.types.is_numeric_dtype(cells):
        if cells.dtype == np.float64:  # NaN is already NaN: one copy, no isna pass
            value, status, infinite = _floats(cells.to_numpy(), copy, threads)
        else:
            value = cells.to_numpy(dtype=float, na_value=np.nan, copy=True)
            status = np.isinf(value).view(np.int8) * np.int8(INFINITE)  # OK (0) elsewhere
            infinite = bool(status.any())
        if infinite:  # an infinite value: NaN, its status INFINITE
            value = np.where(status != OK, np.nan, value)
        return ParsedValues(value, status, None, all_ok=not infinite)
    side = np.full(n, None, dtype=object)
    text = cells.astype("string").str.strip()
    boolish = text.str.lower().isin(_BOOLEANS).fillna(False).to_numpy(bool)  # True and "TRUE"
    value = pd.to_numeric(cells, errors="coerce").to_numpy(dtype=float, na_value=np.nan, copy=True)
    value[boolish] = np.nan
    empty = cells.isna().to_numpy(bool)  # pd.NA (nullable dtypes) cannot be compared
    raw = cells.to_numpy(dtype=object, copy=True)
    shown = cells.astype(str).to_numpy(dtype=object, copy=True)
    raw[empty], shown[empty] = None, ""
    is_str = (raw == shown).astype(bool) & ~empty  # text cells, not numbers
    ambiguous = is_str & (_match(text, _AMB_DOT) | _match(text, _AMB_COMMA))
    value[ambiguous] = np.nan  # "150.000": never read as 150 by to_numeric
    is_text = (text.notna() & (text != "")).to_numpy(bool) & np.isnan(value)
    status = np.zeros(n, np.int8)
    inf_number = np.isinf(value)
    status[inf_number] = INFINITE
    value[inf_number] = np.nan
    if not is_text.any():
        return ParsedValues(value, status, side)
    idx = np.flatnonzero(is_text)
    sub = text.iloc[idx].reset_index(drop=True)
    st = np.full(len(sub), TEXT, np.int8)
    val = np.full(len(sub), np.nan)
    words = {fold_word(w) for w in no_result} | lab_vocabulary().no_result
    folded = sub.str.split().str.join(" ").str.lower()
    st[folded.isin(words).fillna(False).to_numpy(bool)] = NO_RESULT
    st[_match(sub, _SHEET_ERRORS)] = SHEET_ERROR
    st[folded.isin(_BOOLEANS).fillna(False).to_numpy(bool)] = BOOLEAN
    st[_match(sub, _NAN)] = NAN_WORD
    st[_match(sub, _INF)] = INFINITE
    open_ = st == TEXT
    body = sub.copy()
    sides = np.full(len(sub), None, dtype=object)
    if censored:
        found = sub.str.extract(_CENSOR)
        cens = open_ & found["side"].notna().to_numpy(bool)
        body[cens] = found["body"][cens].str.strip()
        sides[cens] = found["side"][cens].map(_SIDES).to_numpy(dtype=object)
    num, st_num = _numbers(body, decimal)
    take = open_ & (st_num != TEXT)
    val[take], st[take] = num[take], st_num[take]
    sides[~take | (st != OK)] = None
    value[idx], status[idx], side[idx] = val, st, sides
    return ParsedValues(value, status, side)


def _numbers(body: pd.Series, decimal: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Numbers written with a decimal comma or thousands separators, and their status."""
    n = len(body)
    norm = pd.Series(np.full(n, None, dtype=object), dtype="string")
    st = np.full(n, TEXT, np.int8)
    no_space = body.str.replace(r"\s+", "", regex=True)

    def put(mask: np.ndarray, text: pd.Series, status: int = OK) -> None:
        free = mask & (st == TEXT)
        norm[free] = text[free]
        st[free] = status

    amb_dot, amb_comma = _match(body, _AMB_DOT), _match(body, _AMB_COMMA)
    if decimal == ",":
        put(amb_dot, body.str.replace(".", "", regex=False))
        put(amb_comma, body.str.replace(",", ".", regex=False))
    elif decimal == ".":
        put(amb_dot, body)
        put(amb_comma, body.str.replace(",", "", regex=False))
    else:
        put(amb_dot | amb_comma, body, AMBIGUOUS)
    put(_match(body, _PLAIN), body)
    put(_match(body, _COMMA_DEC), body.str.replace(",", ".", regex=False))
    put(_match(body, _THOU_COMMA), body.str.replace(",", "", regex=False))
    put(
        _match(body, _THOU_DOT),
        body.str.replace(".", "", regex=False).str.replace(",", ".", regex=False),
    )
    spaced = _match(body, _THOU_SPACE)
    spaced_text = no_space.str.replace("'", "", regex=False)
    comma_dec = spaced_text.str.contains(",", regex=False).fillna(False).to_numpy(bool)
    put(spaced & comma_dec, spaced_text.str.replace(",", ".", regex=False))
    put(spaced & ~comma_dec, spaced_text)
    ok = st == OK
    out = np.full(n, np.nan)
    if ok.any():
        out[ok] = pd.to_numeric(norm[ok], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ok & np.isnan(out)
    st[bad] = TEXT
    inf = ok & np.isinf(out)
    st[inf], out[inf] = INFINITE, np.nan
    return out, st
