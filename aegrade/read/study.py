"""Reading a study (SPEC section 2): :func:`load_study`.

:func:`load_study` reads a workbook (sheets ``subjects``, ``observations``, ``events``), a folder
of CSV or Parquet files with those names, a single observations file, or DataFrames. Every
table keeps the row labels a user would look for (spreadsheet row numbers, header = row 1), so
each problem can name file, sheet, row and column. Nothing read is ever dropped. The model
(:class:`~aegrade.study.Study`, :class:`~aegrade.study.Table`) lives in :mod:`aegrade.study`;
the checks of its tables in :mod:`aegrade.prepare`.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from aegrade.errors import Failures, Reason
from aegrade.read import sdtm
from aegrade.read.colmap import load_column_map
from aegrade.read.idcodes import remember_id_codes
from aegrade.read.source import read_source, shape_tables
from aegrade.study import TABLES, Study, Table

if TYPE_CHECKING:
    from aegrade.read.prefetch import PrefetchedText

__all__ = ["OUTPUT_COLUMNS", "TABLES", "Study", "Table", "as_study", "load_study", "text_ids"]

#: Columns the grading adds to the observations; a user column of the same name is kept under
#: ``input_<name>`` (never overwritten by the output's own).
OUTPUT_COLUMNS = ("reason", "review", "criteria")


def load_study(
    source: str | Path | pd.DataFrame | None = None,
    *,
    subjects: pd.DataFrame | None = None,
    observations: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    column_map: str | Path | dict[str, Any] | None = None,
    decimal: str | None = None,
    dayfirst: bool | None = None,
    prefetched: PrefetchedText | None = None,
) -> Study:
    """Read a study from a path or DataFrames.

    Parameters
    ----------
    source
        A workbook with sheets ``subjects``/``observations``/``events`` (a workbook with one
        sheet, or without an ``observations`` sheet, is read as observations only); a folder
        holding ``subjects``, ``observations``, ``events`` as ``.csv`` or ``.parquet``; a single
        observations file; or an observations DataFrame.
    subjects, observations, events
        DataFrames, instead of or besides ``source``.
    column_map
        A TOML column map (path, or its parsed dict) for the user's own sheet names, headers
        and words; see :mod:`aegrade.read.colmap`. Wide layouts, SDTM domains (LB, VS, AE, DM)
        and .xpt files are recognised without one.
    decimal
        ``","`` or ``"."``: the decimal mark of result cells whose separator is ambiguous
        (``150.000``, ``1,234``); default: the map's ``decimal`` key, else such a cell is an
        input error.
    dayfirst
        The day/month order of slashed dates in every date column: ``True`` day first
        (``05/01/2024`` is 5 January), ``False`` month first; default: decided per column from
        its unambiguous cells (a column mixing orders is an input error).
    prefetched
        ``source``'s bytes, layout and pyarrow parse when it is a text file read beforehand
        (:func:`aegrade.read.prefetch.prefetch_text`, as ``aegrade grade`` does while it
        imports pandas): the same study, without reading and parsing the file again; not
        used for another path or a file changed since.

    Returns
    -------
    Study
        The tables, with the problems found while reading in ``failures``.

    Raises
    ------
    InputError
        The path does not exist or holds no observations.

    Examples
    --------
    >>> import pandas as pd
    >>> obs = pd.DataFrame({"subject_id": ["S1", "S1"], "day": [0, "x"],
    ...                     "parameter": ["HGB", "HGB"], "value": [120, 95], "unit": "g/L"})
    >>> study = load_study(obs, subjects=pd.DataFrame({"subject_id": ["S1"]}))
    >>> len(study.observations.frame), study.subjects is not None
    (2, True)
    >>> study.failures[["row", "column", "check"]].values.tolist()
    [[1, 'day', 'unreadable_day']]
    """
    cmap = load_column_map(column_map)
    tables: dict[str, Table] = {}
    src = None
    if isinstance(source, pd.DataFrame):
        tables["observations"] = Table(source)
    elif source is not None:
        path = Path(source)
        src = str(path)
        tables.update(read_source(path, cmap, prefetched=prefetched))
    given = {"subjects": subjects, "observations": observations, "events": events}
    for name, frame in given.items():
        if frame is not None:
            tables[name] = Table(frame)
    tables.update(_from_cdisc_frames(tables))
    if "observations" not in tables:
        missing = Failures(file=src)
        missing.add(
            Reason.MISSING_TABLE,
            "no observations table found (expected a sheet or file named 'observations')",
        )
        raise missing.error(src)
    # ids as text before the event dates are looked up by subject, and again after a map
    tables = {name: replace(t, frame=_text_ids(t.frame)) for name, t in tables.items()}
    made = {name: _id_data(t.frame) for name, t in tables.items()}
    tables, problems = shape_tables(tables, cmap, dayfirst)
    tables = {
        name: t if _ids_kept(t.frame, made.get(name)) else replace(t, frame=_text_ids(t.frame))
        for name, t in tables.items()
    }
    obs = tables["observations"]
    tables["observations"] = replace(obs, frame=_own_columns(obs.frame))
    if decimal not in (None, ",", "."):
        raise ValueError("decimal must be ',' or '.'")
    return Study(
        observations=tables["observations"],
        subjects=tables.get("subjects"),
        events=tables.get("events"),
        source=src,
        failures=problems,
        decimal=decimal or (cmap.decimal if cmap else None),
        no_result=cmap.no_result if cmap else (),
        dayfirst=dayfirst,
    )


def as_study(study: Study | pd.DataFrame) -> Study:
    """A :class:`Study` as it is, or an observations frame read as one; never a path.

    Grading functions take frames or a study, so that only :func:`load_study` and the
    command line open files.

    Parameters
    ----------
    study
        A study, or an observations DataFrame in any layout :func:`load_study` accepts.

    Returns
    -------
    Study

    Raises
    ------
    TypeError
        For a path (or anything else): read a file with :func:`load_study` first.

    Examples
    --------
    >>> obs = pd.DataFrame({"subject_id": ["S1"], "day": [1], "parameter": ["TEMP"],
    ...                     "value": [38.4], "unit": ["degC"]})
    >>> as_study(obs).observations.frame.shape
    (1, 5)
    >>> as_study("study.xlsx")
    Traceback (most recent call last):
    ...
    TypeError: grading takes a Study or a DataFrame, not str: ...
    """
    if isinstance(study, Study):
        return study
    if isinstance(study, pd.DataFrame):
        return load_study(study)
    raise TypeError(
        f"grading takes a Study or a DataFrame, not {type(study).__name__}: "
        "read files with aegrade.load_study(path)"
    )


def _from_cdisc_frames(tables: dict[str, Table]) -> dict[str, Table]:
    """DataFrames holding SDTM or ADaM domains (recognised by their variables, as in files)
    converted by :func:`aegrade.read.sdtm.cdisc_tables`; other tables as they are. A frame
    that already has a ``subject_id`` column is aegrade's own layout (e.g. one converted
    before), never converted again."""
    frames = {}
    for table in tables.values():
        if table.file is None and "subject_id" not in table.frame.columns:
            code = sdtm.domain_of(table.frame)
            if code is not None:
                frames[code] = table.frame
    if not frames:
        return {}
    return {role: Table(frame) for role, (frame, _) in sdtm.cdisc_tables(frames).items()}


def text_ids(ids: pd.Series) -> pd.Series:
    """Subject ids as text, trimmed: ``101``, ``101.0`` (a number read from a spreadsheet),
    ``"101"`` and ``" 101 "`` are one subject; an empty cell is missing.

    Parameters
    ----------
    ids
        A ``subject_id`` column as read.

    Returns
    -------
    pandas.Series
        Of dtype ``string``.

    Examples
    --------
    >>> text_ids(pd.Series([101, 101.0, "101 ", "S1 ", "", None], dtype=object)).tolist()
    ['101', '101', '101', 'S1', <NA>, <NA>]
    """
    if ids.dtype == object or len(ids) < 2:
        return _cell_ids(ids)
    # one dtype (a csv's numbers or text): each distinct id once, then a take (a million
    # rows hold a few thousand subjects); object columns mix types that factorize would join
    dense = _dense_factorize(ids)
    codes, uniques = dense if dense is not None else pd.factorize(ids, use_na_sentinel=True)
    distinct = _cell_ids(pd.Series(uniques, copy=False)).array
    out = pd.Series(distinct.take(codes, allow_fill=True), index=ids.index, dtype="string")
    to_arrow = getattr(out.array, "__arrow_array__", None)
    if to_arrow is not None:  # the codes of the text, from the few distinct ids, kept for the
        # stages that group by subject (``pd.factorize(out)``: two ids may give one text)
        text_codes, texts = pd.factorize(distinct, use_na_sentinel=True)
        remember_id_codes(
            to_arrow(),
            np.r_[text_codes, -1].astype(np.int64)[codes],  # -1, a missing id, reads the -1
            np.asarray(texts, dtype=object),
        )
    return out


def _dense_factorize(ids: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """``pd.factorize`` of a numpy integer column whose values span at most a few times its
    length (numbered subjects: 1..2000 in a million rows) by a table over that span instead
    of a hash table: the same codes and uniques (in order of first appearance), in a third
    of the time. None for any other column."""
    if not (isinstance(ids.dtype, np.dtype) and ids.dtype.kind in "iu") or not len(ids):
        return None
    values = ids.to_numpy()
    low, high = int(values.min()), int(values.max())
    if high - low >= max(4 * len(values), 1 << 16):
        return None
    offset = (values - low).astype(np.intp)
    first = np.full(high - low + 1, len(values), np.intp)
    first[offset[::-1]] = np.arange(len(values) - 1, -1, -1)  # the first row of a value wins
    seen = np.flatnonzero(first < len(values))
    order = seen[np.argsort(first[seen], kind="stable")]  # in order of first appearance
    rank = np.empty(len(first), np.intp)
    rank[order] = np.arange(len(order))
    return rank[offset], values[first[order]]


def _cell_ids(ids: pd.Series) -> pd.Series:
    """:func:`text_ids` cell by cell, vectorised over the column. Integers are written
    exactly, whatever their size (an 18-digit claims or EHR patient number is not rounded
    through a float: two such patients stay two); a whole float is written as the integer it
    holds (a spreadsheet's number: its precision is the spreadsheet's)."""
    numbers = _numbers(ids)
    if not numbers.any():  # text (a csv's ids): no number to parse
        text = ids.astype("string").str.strip()
        return text.mask(text == "")
    if pd.api.types.is_integer_dtype(ids.dtype):  # int64, uint64, Int64: exact as text
        return ids.astype("string")
    out = np.full(len(ids), pd.NA, dtype=object)
    at = np.flatnonzero(numbers)
    if pd.api.types.is_numeric_dtype(ids.dtype) and not isinstance(ids.dtype, pd.CategoricalDtype):
        exact = np.zeros(len(at), dtype=bool)
        number = ids.to_numpy(dtype=float, na_value=np.nan)[numbers]
    else:  # a spreadsheet's or pandas' mixed column: Python and numpy integers kept exact
        cells = ids.to_numpy(dtype=object)[numbers]
        exact = np.asarray(_is_integer(cells), dtype=bool)
        out[at[exact]] = _integer_text(cells[exact])
        number = np.full(len(at), np.nan)
        number[~exact] = pd.to_numeric(pd.Series(cells[~exact]), errors="coerce").to_numpy(float)
    with np.errstate(invalid="ignore"):  # inf % 1 is NaN, and not whole
        whole = np.isfinite(number) & (number % 1 == 0)
    out[at[whole]] = _whole_text(number[whole])
    other = np.ones(len(ids), dtype=bool)
    other[at[whole | exact]] = False  # text, and numbers that are not whole (2.5, inf): as written
    if other.any():
        words = ids.iloc[np.flatnonzero(other)].astype("string").str.strip()
        out[other] = words.to_numpy(object)
    text = pd.Series(out, index=ids.index, dtype="string")
    return text.mask(text == "")


#: Whether a cell is a Python or numpy integer (never a flag), cell by cell in C's loop.
_is_integer = np.frompyfunc(
    lambda v: isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)), 1, 1
)
#: An integer (or a whole float) as the exact decimal text of its value.
_integer_text = np.frompyfunc(lambda v: str(int(v)), 1, 1)


def _whole_text(number: np.ndarray) -> np.ndarray:
    """Whole floats as the text of the integers they hold: through int64 where they fit, as
    Python integers beyond (1e20 is ``100000000000000000000``, never int64's wrap-around)."""
    out = np.empty(len(number), dtype=object)
    small = np.abs(number) < 2.0**63
    out[small] = pd.Series(number[small]).astype("int64").astype("string").to_numpy(object)
    if not small.all():
        out[~small] = _integer_text(number[~small])
    return out


def _numbers(ids: pd.Series) -> np.ndarray:
    """Which cells are numbers (a Python or numpy int or float, never a flag), not text: by
    the column's dtype when it says, else by each cell's type, decided once per distinct
    type (a column of text read from a csv has one, a spreadsheet's mixed column three)."""
    dtype = ids.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return np.zeros(len(ids), dtype=bool)
    if pd.api.types.is_numeric_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype):
        return np.asarray(ids.notna(), dtype=bool)
    values = ids.to_numpy(dtype=object)
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind in ("string", "empty", "boolean", "bytes"):
        return np.zeros(len(ids), dtype=bool)
    types = np.frompyfunc(type, 1, 1)(values)
    numeric = [
        t
        for t in pd.unique(types)
        if issubclass(t, (int, float, np.number)) and not issubclass(t, (bool, np.bool_))
    ]
    return np.isin(types, np.array(numeric, dtype=object))


def _text_ids(frame: pd.DataFrame) -> pd.DataFrame:
    if "subject_id" not in frame:
        return frame
    return frame.assign(subject_id=text_ids(frame["subject_id"]))


def _id_data(frame: pd.DataFrame) -> object:
    """The Arrow data behind a ``subject_id`` column (None without one): the same object
    after :func:`shape_tables` when the column is still the one :func:`text_ids` made, whose
    ids are then text already (no second pass over a million ids)."""
    if "subject_id" not in frame:
        return None
    to_arrow = getattr(frame["subject_id"].array, "__arrow_array__", None)
    return to_arrow() if to_arrow is not None else None


def _ids_kept(frame: pd.DataFrame, made: object) -> bool:
    """Whether ``frame`` still holds the ``subject_id`` column :func:`text_ids` made."""
    return made is not None and _id_data(frame) is made


def _own_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """A user's ``reason``, ``review`` or ``criteria`` column kept as ``input_<name>``."""
    taken = [c for c in OUTPUT_COLUMNS if c in frame.columns]
    if not taken:
        return frame
    return frame.rename(columns={c: f"input_{c}" for c in taken})
