"""A single reference-range column (``Ref Range`` = ``3.5-5.1``) split into ``lln`` and ``uln``.

Many laboratory exports write the reference range in one cell. Its canonical column is
``range`` (map a header to it in the column map's ``[columns]``; the common headers in
:data:`RANGE_HEADERS` are recognised without a map). When the observations have no ``lln``
or no ``uln`` column, the missing one is filled from ``range``; the forms read are

* ``low-high``: ``3.5-5.1``, ``3.5 - 5.1``, ``3,5-5,1`` (decimal commas), ``-2-2``,
  ``3.5 to 5.1``;
* ``<high`` or ``<=high`` (only an upper limit), ``>low`` or ``>=low`` (only a lower limit);

each optionally followed by a unit (``3.5-5.1 mmol/L``). The limits are kept as written, so
their decimal mark is read like any ``lln``/``uln`` cell. Any other filled cell (``Negative``)
leaves the row's limits missing, with a problem naming the cell.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from aegrade.errors import Failures, Reason
from aegrade.study import Table

__all__ = ["RANGE_HEADERS", "range_header", "split_range"]

#: Headers (compared in lower case, blanks and ``_`` as one space) read as the ``range`` column.
RANGE_HEADERS = (
    "range",
    "ref range",
    "ref. range",
    "reference range",
    "normal range",
    "reference interval",
    "ref interval",
    "reference values",
    "normal values",
    "refrange",
)

_NUM = r"-?\d+(?:[.,]\d+)*"
_UNIT = r"(?:\s+\S.*|[^\d\s.,<>=-].*)?"
_BETWEEN = rf"^\s*(?P<low>{_NUM})\s*(?:-|–|—|to)\s*(?P<high>{_NUM}){_UNIT}$"
_BELOW = rf"^\s*(?:<=?|≤|=<)\s*(?P<high>{_NUM}){_UNIT}$"
_ABOVE = rf"^\s*(?:>=?|≥|=>)\s*(?P<low>{_NUM}){_UNIT}$"


def range_header(columns: pd.Index) -> str | None:
    """The first header of ``columns`` that names a reference range (:data:`RANGE_HEADERS`),
    or None.

    Examples
    --------
    >>> import pandas as pd
    >>> range_header(pd.Index(["value", "Ref Range", "unit"]))
    'Ref Range'
    >>> range_header(pd.Index(["value", "lln"])) is None
    True
    """
    for header in columns:
        folded = " ".join(str(header).replace("_", " ").lower().split())
        if folded in RANGE_HEADERS:
            return str(header)
    return None


def split_range(table: Table) -> tuple[Table, pd.DataFrame]:
    """The ``lln`` and ``uln`` columns a table lacks, filled from its ``range`` column; returns
    the table and the problems (filled ``range`` cells that are not a reference range).

    Parameters
    ----------
    table
        Observations with canonical (lower-case) headers.

    Returns
    -------
    tuple[Table, pandas.DataFrame]
        The table (unchanged without a ``range`` column, or with both limits given) and the
        failure table.

    Examples
    --------
    >>> import pandas as pd
    >>> obs = Table(pd.DataFrame({"range": ["3.5-5.1", "<5.1", "3,5 - 5,1 mmol/L", "Negative"]}))
    >>> out, problems = split_range(obs)
    >>> out.frame[["lln", "uln"]].values.tolist()
    [['3.5', '5.1'], [None, '5.1'], ['3,5', '5,1'], [None, None]]
    >>> problems[["row", "column", "value"]].values.tolist()
    [[3, 'range', 'Negative']]
    """
    frame = table.frame
    wanted = [c for c in ("lln", "uln") if c not in frame]
    if "range" not in frame or not wanted:
        return table, Failures().frame()
    raw = frame["range"]
    is_text = raw.map(lambda v: isinstance(v, str)).to_numpy(bool)
    text = raw.astype("string").str.strip().where(pd.Series(is_text, index=raw.index))
    found = {"low": pd.Series(pd.NA, index=raw.index, dtype="string")}
    found["high"] = found["low"].copy()
    for pattern in (_BETWEEN, _BELOW, _ABOVE):
        parts = text.str.extract(pattern)
        for side in ("low", "high"):
            if side in parts:
                found[side] = found[side].fillna(parts[side])
    filled = (raw.astype("string").str.strip().fillna("") != "").to_numpy(bool)
    read = (found["low"].notna() | found["high"].notna()).to_numpy(bool)
    problems = Failures(table.file, table.sheet, labels=table.labels(), table=frame)
    problems.add_rows(
        filled & ~read,
        Reason.MISSING_REFERENCE_RANGE,
        "range is not a reference range (write low-high, <high or >low, e.g. 3.5-5.1): "
        "the row's lln and uln are missing",
        column="range",
        values=raw,
    )
    limits = {"lln": found["low"], "uln": found["high"]}
    columns = {c: limits[c].astype(object).where(limits[c].notna(), None) for c in wanted}
    return replace(table, frame=frame.assign(**columns)), problems.frame()
