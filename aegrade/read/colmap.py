"""A TOML column map: a user's own sheet names, headers and words, mapped to aegrade's.

Format (every section optional; matching ignores case and surrounding spaces)::

    [sheets]                 # your sheet or file names -> subjects | observations | events
    "Patients" = "subjects"
    "Labs" = "observations"

    [columns]                # your header -> aegrade column (any table)
    "Patient" = "subject_id"
    "Study day" = "day"
    "Normals" = "range"      # one reference-range cell (3.5-5.1, <5.1): split into lln/uln

    decimal = ","            # top level: the decimal mark of ambiguous cells (150.000, 1,234)
    no_result = ["pending"]  # top level: more no-result words (besides the packaged list)

    [parameters]             # your header (wide) or test name (long) -> code (and unit)
    "Temp (F)" = { parameter = "TEMP", unit = "degF" }
    "ANC x10^9/L" = { parameter = "NEUT", unit = "10^9/L" }
    "O2" = "OXYGEN"

    [values]                 # words in value, other_cause, serious, related cells
    "yes" = "true"
    "no" = "false"

    [values.OXYGEN]          # words of one parameter's values; a table also fills columns
    "RA" = "room_air"
    "NC 4L" = { value = "nasal_cannula", flow = 4 }
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aegrade.errors import Reason
from aegrade.read.files import input_error

__all__ = [
    "WORD_COLUMNS",
    "ColumnMap",
    "load_column_map",
    "map_parameter_names",
    "rename_columns",
    "translate_words",
]

_SECTIONS = ("sheets", "columns", "parameters", "values")
#: Top-level keys (not sections): the decimal mark and more no-result words (issue 10).
_KEYS = ("decimal", "no_result")
_TABLES = ("subjects", "observations", "events")
#: Columns whose words ``[values]`` translates.
WORD_COLUMNS = ("value", "other_cause", "serious", "related")


def _key(text: object) -> str:
    return " ".join(str(text).split()).lower()


def map_key(text: object) -> str:
    """How a column map compares names: blanks collapsed, lower case.

    >>> map_key("  Neutrophils   ABS ")
    'neutrophils abs'
    """
    return _key(text)


@dataclass(frozen=True)
class ColumnMap:
    """A parsed column map; keys are folded (lower case, single spaces).

    Examples
    --------
    >>> cmap = load_column_map({"sheets": {"Patients": "subjects"}})
    >>> cmap.table_of("  PATIENTS "), cmap.table_of("Labs")
    ('subjects', None)
    """

    sheets: dict[str, str] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    words: dict[str, str] = field(default_factory=dict)
    parameter_words: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    source: str | None = None
    decimal: str | None = None
    no_result: tuple[str, ...] = ()

    def table_of(self, name: str) -> str | None:
        """The aegrade table a sheet or file stem maps to, if the map names it."""
        return self.sheets.get(_key(name))


def load_column_map(source: str | Path | dict[str, Any] | ColumnMap | None) -> ColumnMap | None:
    """Read and check a column map from a TOML path or an already parsed dict.

    Parameters
    ----------
    source
        A TOML file (format: this module's docstring), its parsed dict, a :class:`ColumnMap`
        (returned as is) or None.

    Returns
    -------
    ColumnMap or None
        None when ``source`` is None.

    Raises
    ------
    InputError
        The file cannot be read or parsed, or a section or entry is not of the format.

    Examples
    --------
    >>> cmap = load_column_map(
    ...     {
    ...         "columns": {"Patient": "subject_id"},
    ...         "parameters": {"Temp (F)": {"parameter": "temp", "unit": "degF"}},
    ...     }
    ... )
    >>> cmap.columns, cmap.parameters
    ({'patient': 'subject_id'}, {'temp (f)': ('TEMP', 'degF')})
    >>> load_column_map({"sheet": {}})
    Traceback (most recent call last):
    ...
    aegrade.errors.InputError: ...
    """
    if source is None or isinstance(source, ColumnMap):
        return source
    where = None
    if isinstance(source, dict):
        raw = source
    else:
        where = str(source)
        try:
            raw = tomllib.loads(Path(source).read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise input_error(
                where, f"cannot read the column map: {exc}", check=Reason.BAD_COLUMN_MAP
            ) from None
    return _parse(raw, where)


def _bad(where: str | None, message: str) -> Exception:
    return input_error(where, f"column map: {message}", check=Reason.BAD_COLUMN_MAP)


def _parse(raw: dict[str, Any], where: str | None) -> ColumnMap:
    unknown = set(raw) - set(_SECTIONS) - set(_KEYS)
    if unknown:
        raise _bad(
            where,
            f"unknown section(s) {sorted(unknown)}; allowed: {list(_SECTIONS)} "
            f"and the keys {list(_KEYS)}",
        )
    decimal, no_result = _number_keys(raw, where)
    sheets = {_key(k): _text(v, where, f"sheets.{k}") for k, v in raw.get("sheets", {}).items()}
    for k, v in sheets.items():
        if v not in _TABLES:
            raise _bad(where, f"sheets.{k} = {v!r}: must be one of {list(_TABLES)}")
    columns = {
        _key(k): _text(v, where, f"columns.{k}").strip().lower()
        for k, v in raw.get("columns", {}).items()
    }
    params = {_key(k): _parameter(v, where, k) for k, v in raw.get("parameters", {}).items()}
    words: dict[str, str] = {}
    per_param: dict[str, dict[str, dict[str, Any]]] = {}
    for k, v in raw.get("values", {}).items():
        if isinstance(v, dict):
            per_param[k.strip().upper()] = {
                _key(w): _word(r, where, f"values.{k}.{w}") for w, r in v.items()
            }
        else:
            words[_key(k)] = _text(v, where, f"values.{k}")
    return ColumnMap(sheets, columns, params, words, per_param, where, decimal, no_result)


def _number_keys(raw: dict[str, Any], where: str | None) -> tuple[str | None, tuple[str, ...]]:
    """The top-level ``decimal`` and ``no_result`` keys, checked."""
    decimal = raw.get("decimal")
    if decimal is not None and decimal not in (",", "."):
        raise _bad(where, f'decimal = {decimal!r}: must be "," or "."')
    words = raw.get("no_result", [])
    if isinstance(words, str):
        words = [words]
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        raise _bad(where, "no_result must be a list of words")
    return decimal, tuple(words)


def map_parameter_names(frame: pd.DataFrame, cmap: ColumnMap | None) -> pd.DataFrame:
    """Long layout: ``parameter`` cells named in ``[parameters]`` replaced by their code, and
    the entry's unit filled in where the row has none (a copy; other cells kept).

    Parameters
    ----------
    frame
        Observations with aegrade's column names.
    cmap
        The column map (None or no ``[parameters]``: ``frame`` unchanged).

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> import pandas as pd
    >>> cmap = load_column_map({"parameters": {"Neutro abs": {"parameter": "NEUT",
    ...                                                       "unit": "10^9/L"}}})
    >>> obs = pd.DataFrame({"parameter": [" NEUTRO  ABS", "HGB"], "value": [0.4, 9.0],
    ...                     "unit": [None, "g/dL"]})
    >>> map_parameter_names(obs, cmap)
      parameter  value    unit
    0      NEUT    0.4  10^9/L
    1       HGB    9.0    g/dL
    """
    if cmap is None or not cmap.parameters or "parameter" not in frame:
        return frame
    folded = frame["parameter"].astype("string").str.split().str.join(" ").str.lower()
    codes = folded.map({k: v[0] for k, v in cmap.parameters.items()})
    hit = codes.notna().to_numpy(bool)
    if not hit.any():
        return frame
    out = frame.copy()
    param = out["parameter"].astype(object)
    param[hit] = codes[hit].to_numpy(dtype=object)
    out["parameter"] = param
    units = folded.map({k: v[1] for k, v in cmap.parameters.items() if v[1] is not None})
    if units.notna().any():
        current = (
            out["unit"].astype(object)
            if "unit" in out
            else pd.Series([None] * len(out), index=out.index, dtype=object)
        )
        empty = current.astype("string").str.strip().fillna("").eq("").to_numpy(bool)
        fill = empty & units.notna().to_numpy(bool)
        current[fill] = units[fill].to_numpy(dtype=object)
        out["unit"] = current
    return out


def _text(v: object, where: str | None, key: str) -> str:
    if isinstance(v, bool) or not isinstance(v, (str, int, float)):
        raise _bad(where, f"{key} must be text, not {type(v).__name__}")
    return str(v)


def _parameter(v: object, where: str | None, key: str) -> tuple[str, str | None]:
    if isinstance(v, str):
        return v.strip().upper(), None
    if isinstance(v, dict) and set(v) <= {"parameter", "unit"} and "parameter" in v:
        unit = v.get("unit")
        return str(v["parameter"]).strip().upper(), None if unit is None else str(unit)
    raise _bad(where, f"parameters.{key} must be a code or {{parameter = ..., unit = ...}}")


def _word(v: object, where: str | None, key: str) -> dict[str, Any]:
    if isinstance(v, dict):
        if "value" not in v:
            raise _bad(where, f"{key} needs a 'value'")
        return dict(v)
    return {"value": _text(v, where, key)}


def rename_columns(frame: pd.DataFrame, cmap: ColumnMap | None) -> pd.DataFrame:
    """Headers renamed by ``[columns]``; other headers are kept.

    Parameters
    ----------
    frame
        A table as read.
    cmap
        The column map (None: ``frame`` unchanged).

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> import pandas as pd
    >>> cmap = load_column_map({"columns": {"Patient": "subject_id"}})
    >>> rename_columns(pd.DataFrame({" PATIENT": ["01"], "day": [0]}), cmap).columns.tolist()
    ['subject_id', 'day']
    """
    if cmap is None or not cmap.columns:
        return frame
    return frame.rename(columns={c: cmap.columns.get(_key(c), c) for c in frame.columns})


def translate_words(frame: pd.DataFrame, cmap: ColumnMap | None) -> pd.DataFrame:
    """Words of ``[values]`` and ``[values.<PARAMETER>]`` replaced (a copy).

    Parameters
    ----------
    frame
        A table with aegrade's column names (after :func:`rename_columns`); ``[values]``
        applies to :data:`WORD_COLUMNS`, ``[values.<PARAMETER>]`` to ``value`` on that
        parameter's rows (a table entry also fills other columns, such as ``flow``).
    cmap
        The column map (None: ``frame`` unchanged).

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> import pandas as pd
    >>> cmap = load_column_map(
    ...     {"values": {"OXYGEN": {"NC 4L": {"value": "nasal_cannula", "flow": 4}}}}
    ... )
    >>> obs = pd.DataFrame({"parameter": ["OXYGEN", "TEMP"], "value": ["nc  4l", 38.5]})
    >>> translate_words(obs, cmap)
      parameter          value  flow
    0    OXYGEN  nasal_cannula     4
    1      TEMP           38.5  None
    """
    if cmap is None:
        return frame
    frame = map_parameter_names(frame, cmap)
    if not (cmap.words or cmap.parameter_words):
        return frame
    out = frame.copy()
    for col in WORD_COLUMNS:
        if col in out and cmap.words:
            out[col] = _replace(out[col], cmap.words)
    if "value" in out and "parameter" in out and cmap.parameter_words:
        code = out["parameter"].astype("string").str.strip().str.upper()
        for param, table in cmap.parameter_words.items():
            rows = (code == param).fillna(False).to_numpy(bool)
            if rows.any():
                _apply_parameter_words(out, rows, table)
    return out


def _replace(series: pd.Series, words: dict[str, str]) -> pd.Series:
    folded = series.astype("string").str.split().str.join(" ").str.lower()
    mapped = folded.map(words)
    hit = mapped.notna().to_numpy(bool)
    if not hit.any():
        return series
    out = series.astype(object).copy()
    out[hit] = mapped[hit].to_numpy(dtype=object)
    return out


def _apply_parameter_words(
    out: pd.DataFrame, rows: np.ndarray, table: dict[str, dict[str, Any]]
) -> None:
    folded = out["value"].astype("string").str.split().str.join(" ").str.lower()
    for word, fill in table.items():
        hit = rows & (folded == word).fillna(False).to_numpy(bool)
        if not hit.any():
            continue
        for col, val in fill.items():
            if col not in out:
                out[col] = pd.Series([None] * len(out), index=out.index, dtype=object)
            elif out[col].dtype != object:
                out[col] = out[col].astype(object)
            out.loc[hit, col] = val
