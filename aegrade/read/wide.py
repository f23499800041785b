"""Wide layouts (one row per subject and time, one column per parameter) read as long.

A column is a parameter column when the column map names it, when its header is a parameter
code or alias (``NEUT``, ``ANC``), or a code followed by a unit: ``TEMP (degF)``,
``ANC [10^9/L]``, ``ANC x10^9/L``. Units may instead stand in a row right under the header
whose subject cell is empty or reads ``unit``. Each filled cell becomes one long row keeping
its spreadsheet row number; ``source_column`` names the header it came from.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from aegrade.criteria.units import UnitRegistry, registry
from aegrade.read.colmap import ColumnMap, map_key

__all__ = [
    "SPEC_COLUMNS",
    "is_wide",
    "parameter_columns",
    "wide_to_long",
]

#: Columns of SPEC section 2 that are never parameters, whatever a code alias says.
SPEC_COLUMNS = frozenset(
    {
        "subject_id",
        "day",
        "time",
        "parameter",
        "value",
        "unit",
        "lln",
        "uln",
        "baseline",
        "flow",
        "other_cause",
        "arm",
        "age",
        "treatment_start",
        "source_column",
        "value2",
        "unit2",
        "dose",
        "pchg",
    }
)
_WITH_UNIT = re.compile(r"^\s*(?P<code>[^()\[\]]+?)\s*[\(\[](?P<unit>[^()\[\]]*)[\)\]]\s*$")
_UNIT_WORDS = frozenset({"unit", "units", "einheit", "unité", "unidad"})


def parameter_columns(
    frame: pd.DataFrame, cmap: ColumnMap | None = None
) -> dict[str, tuple[str, str | None]]:
    """Header -> (parameter code, unit or None) for each parameter column of a wide frame.

    Parameters
    ----------
    frame
        A table as read.
    cmap
        A column map; its ``[parameters]`` come first.

    Returns
    -------
    dict
        In column order; SPEC columns (``subject_id``, ``day``, ...) are never parameters.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame(columns=["subject_id", "day", "TEMP (degF)", "ANC", "comment"])
    >>> parameter_columns(frame)
    {'TEMP (degF)': ('TEMP', 'degF'), 'ANC': ('NEUT', None)}
    """
    reg = registry()
    found: dict[str, tuple[str, str | None]] = {}
    for col in frame.columns:
        name = str(col).strip()
        if cmap is not None and map_key(name) in cmap.parameters:
            found[col] = cmap.parameters[map_key(name)]
            continue
        if name.lower() in SPEC_COLUMNS:
            continue
        parsed = _parse_header(name, reg)
        if parsed is not None:
            found[col] = parsed
    return found


def _parse_header(name: str, reg: UnitRegistry) -> tuple[str, str | None] | None:
    code = reg.resolve_code(name)
    if code is not None:
        return code, None
    m = _WITH_UNIT.match(name)
    if m and (code := reg.resolve_code(m.group("code"))) is not None:
        return code, m.group("unit").strip() or None
    head, _, rest = name.partition(" ")
    if rest and (code := reg.resolve_code(head)) is not None:
        return code, rest.strip()
    return None


def is_wide(frame: pd.DataFrame, cmap: ColumnMap | None = None) -> bool:
    """True when the frame has no ``parameter`` column but has parameter columns.

    Parameters
    ----------
    frame
        A table as read.
    cmap
        A column map whose ``[parameters]`` name parameter columns.

    Returns
    -------
    bool

    Examples
    --------
    >>> import pandas as pd
    >>> is_wide(pd.DataFrame({"subject_id": ["01"], "day": [0], "ANC": [1.2]}))
    True
    >>> is_wide(pd.DataFrame({"subject_id": ["01"], "parameter": ["ANC"], "value": [1.2]}))
    False
    """
    cols = {str(c).strip().lower() for c in frame.columns}
    return "parameter" not in cols and bool(parameter_columns(frame, cmap))


def wide_to_long(
    frame: pd.DataFrame, rows: np.ndarray, cmap: ColumnMap | None = None
) -> tuple[pd.DataFrame, np.ndarray]:
    """Melt a wide frame; returns the long frame and its row labels (sheet row numbers).

    Other columns (subject_id, day, time, arm ...) are repeated on every long row. A unit row
    under the header gives units to the columns whose header has none.

    Parameters
    ----------
    frame
        A wide table (see :func:`is_wide`).
    rows
        The row label of each frame row.
    cmap
        A column map whose ``[parameters]`` name parameter columns.

    Returns
    -------
    tuple
        The long frame (``parameter``, ``value``, ``unit``, ``source_column`` added; one row
        per filled cell, in sheet order) and its row labels.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> wide = pd.DataFrame(
    ...     {"subject_id": ["01", "01"], "day": [0, 1], "TEMP (degF)": [98.6, 101.3],
    ...      "ANC": [1.2, None]}
    ... )
    >>> long, rows = wide_to_long(wide, np.array([2, 3]))
    >>> long
      subject_id  day parameter  value  unit source_column
    0         01    0      TEMP   98.6  degF   TEMP (degF)
    1         01    0      NEUT    1.2  None           ANC
    2         01    1      TEMP  101.3  degF   TEMP (degF)
    >>> rows
    array([2, 2, 3])
    """
    params = parameter_columns(frame, cmap)
    frame, rows, unit_row = _split_unit_row(frame, rows, list(params))
    keep = [c for c in frame.columns if c not in params]
    pieces, positions = [], []
    for order, (col, (code, unit)) in enumerate(params.items()):
        values = frame[col]
        filled = values.notna().to_numpy(bool, copy=True)
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            filled &= (values.astype("string").str.strip() != "").fillna(False).to_numpy(bool)
        idx = np.flatnonzero(filled)
        part = frame.iloc[idx][keep].reset_index(drop=True)
        part["parameter"] = code
        part["value"] = values.iloc[idx].to_numpy(dtype=object)
        part["unit"] = unit if unit is not None else unit_row.get(col)
        part["source_column"] = str(col)
        pieces.append(part)
        positions.append(idx * (len(params) + 1) + order)
    if not pieces:
        return frame.iloc[:0], rows[:0]
    long = pd.concat(pieces, ignore_index=True)
    order_ = np.argsort(np.concatenate(positions), kind="stable")
    long = long.iloc[order_].reset_index(drop=True)
    long_rows = rows[np.concatenate(positions)[order_] // (len(params) + 1)]
    long["value"] = _numbers_where_possible(long["value"])
    return long, long_rows


def _split_unit_row(
    frame: pd.DataFrame, rows: np.ndarray, params: list[str]
) -> tuple[pd.DataFrame, np.ndarray, dict[str, str]]:
    if frame.empty:
        return frame, rows, {}
    first = frame.iloc[0]
    sid = next((c for c in frame.columns if str(c).strip().lower() == "subject_id"), None)
    sid_cell = "" if sid is None or pd.isna(first[sid]) else str(first[sid]).strip().lower()
    cells = [first[c] for c in params if not pd.isna(first[c])]
    looks_like_units = bool(cells) and all(
        isinstance(v, str) and pd.to_numeric(pd.Series([v]), errors="coerce").isna().all()
        for v in cells
    )
    if not (sid_cell in _UNIT_WORDS or (sid is not None and not sid_cell and looks_like_units)):
        return frame, rows, {}
    units = {c: str(first[c]).strip() for c in params if not pd.isna(first[c])}
    return frame.iloc[1:].reset_index(drop=True), rows[1:], units


def _numbers_where_possible(values: pd.Series) -> pd.Series:
    nums = pd.to_numeric(values, errors="coerce")
    if nums.notna().sum() == values.notna().sum():
        return nums
    return values.astype(object)
