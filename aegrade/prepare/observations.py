"""Observation columns made ready for grading: codes resolved, units converted, inputs checked.

:func:`prepare_observations` turns a long observations frame (SPEC section 2) into numpy
arrays in canonical units and collects every input problem at once into a failure table
(file, sheet, row, column, value, check, message). It never changes the caller's frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from aegrade.criteria.units import convert_indexed, factorize, parameter_index, registry
from aegrade.criteria.vocabulary import false_words, true_words
from aegrade.errors import Failures, InputError, Reason, failure_frame
from aegrade.prepare.baseline import derive_baseline
from aegrade.prepare.labchecks import (
    censored_values,
    loinc_columns,
    sibling_ranges,
    specimen_skips,
    unit_mismatches,
    unknown_names,
    value_failures,
)
from aegrade.prepare.values import ParsedValues, parse_values

__all__ = ["NUMERIC_KINDS", "Context", "Prepared", "derive_baseline", "prepare_observations"]

#: Parameter kinds whose value must be a number (findings may be words: SPEC section 3).
NUMERIC_KINDS = frozenset({"lab", "vital", "monitored"})
_HIGH_FLAGS = frozenset({"HIGH", "H", "HIGH HIGH", "HH", "ABNORMAL HIGH"})
_LOW_FLAGS = frozenset({"LOW", "L", "LOW LOW", "LL", "ABNORMAL LOW"})


@dataclass
class Context:
    """Where the rows came from, for error messages."""

    file: str | None = None
    sheet: str | None = None
    rows: pd.Index | np.ndarray | None = None  # labels to report (spreadsheet row numbers)


@dataclass
class Prepared:
    """Observation columns in canonical units, row-aligned with the input."""

    n: int
    code: np.ndarray  # parameter code per row (object), None when unknown
    param_index: np.ndarray  # index into ``param_names``, -1 unknown
    param_names: list[str]
    raw_value: np.ndarray  # numeric value in the row's own unit (NaN if not numeric)
    value: np.ndarray  # canonical unit
    lln: np.ndarray
    uln: np.ndarray
    baseline: np.ndarray
    pchg: np.ndarray
    unit_code: np.ndarray
    scale: np.ndarray
    offset: np.ndarray
    baseline_flag: np.ndarray
    subject: np.ndarray | None
    day: np.ndarray | None
    time: np.ndarray | None  # days, for durations: study day, or days since 1970 from `time`
    row_error: np.ndarray  # reason text where the row has an input problem, else None
    failures: pd.DataFrame = field(default_factory=failure_frame)
    anticoagulated: np.ndarray | None = None  # 1.0 on, 0.0 not, NaN not recorded
    #: censored results (``<0.5``): the side (``<``, ``<=``, ``>``, ``>=``; None: not
    #: censored) and the limit in the row's own unit; graded just beyond the limit, reviewed
    censor_side: np.ndarray | None = None
    censor_limit: np.ndarray | None = None
    #: the canonical specimen of each row (None: none given)
    specimen: np.ndarray | None = None
    #: rows kept but not graded because their unit does not fit (``unit_mismatch``), in the
    #: failure-table layout: listed among the issues, never raised as input errors
    notes: pd.DataFrame = field(default_factory=failure_frame)

    @cached_property
    def has_error(self) -> np.ndarray:
        """True where the row has an input problem (``row_error`` is set): a boolean mask,
        computed once, instead of comparing the object array with None again and again."""
        return np.asarray(pd.notna(self.row_error), dtype=bool)

    @property
    def censored(self) -> np.ndarray:
        """True where the value was a censored result."""
        if self.censor_side is None:
            return np.zeros(self.n, dtype=bool)
        out: np.ndarray = self.censor_side != None  # noqa: E711 - elementwise
        return out


def _columns(df: pd.DataFrame) -> dict[str, str]:
    """Case-insensitive lookup of the SPEC column names among the frame's headers."""
    found: dict[str, str] = {}
    for col in df.columns:
        key = str(col).strip().lower()
        found.setdefault(key, col)
    return found


def _plain_numbers(series: pd.Series) -> bool:
    """A numeric (not boolean) column: :func:`~aegrade.prepare.values.parse_values` reads it
    as numbers, with no censored result."""
    return bool(pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series))


def _censoring(
    cells: pd.Series, parsed: ParsedValues, numeric_kind: np.ndarray, raw_value: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The censored side and limit of each row, and the values with censored results moved
    just beyond their limit (:func:`~aegrade.prepare.labchecks.censored_values`)."""
    if _plain_numbers(cells):  # a numeric column holds no censored result
        return parsed.censor_side, np.full(len(cells), np.nan), raw_value
    censor_side = np.where(numeric_kind, parsed.censor_side, np.array(None, dtype=object))
    censor_limit = np.where(censor_side != None, parsed.value, np.nan)  # noqa: E711
    if parsed.censored.any():
        raw_value = censored_values(raw_value, censor_side)
    return censor_side, censor_limit, raw_value


def _numeric(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Numbers and a mask of cells that hold something that is not a number."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype=float, na_value=np.nan), np.zeros(len(series), dtype=bool)
    nums = pd.to_numeric(series, errors="coerce")
    text = series.astype("string").str.strip()
    bad = (nums.isna() & text.notna() & (text != "")).to_numpy(dtype=bool)
    return nums.to_numpy(dtype=float, na_value=np.nan), bad


def prepare_observations(
    df: pd.DataFrame,
    *,
    context: Context | None = None,
    errors: str = "raise",
    decimal: str | None = None,
    no_result: tuple[str, ...] = (),
) -> Prepared:
    """Resolve codes, convert units and check every row; see the module docstring.

    Test names are read through the synonym table and a ``loinc`` column; result cells as
    sites write them (:func:`~aegrade.prepare.values.parse_values`: ``decimal`` and more
    ``no_result`` words as there). Rows that are kept but not graded, without being input
    errors: an unrecognised test name, a no-result word, a specimen other than blood, a unit
    that does not fit the value and range (their reason says which).

    Raises
    ------
    InputError
        A required column is missing (always), or with ``errors="raise"`` any row problem.

    Examples
    --------
    Codes resolved from names and hemoglobin converted from g/dL to g/L:

    >>> import pandas as pd
    >>> ready = prepare_observations(
    ...     pd.DataFrame({"subject_id": "01", "day": [0, 3], "parameter": ["Hemoglobin", "PLAT"],
    ...                   "value": [12, 50], "unit": ["g/dL", "10^9/L"]})
    ... )
    >>> ready.code.tolist(), ready.value.tolist()
    (['HGB', 'PLAT'], [120.0, 50.0])
    """
    if errors not in ("raise", "coerce"):
        raise ValueError("errors must be 'raise' or 'coerce'")
    ctx = context or Context()
    cols = _columns(df)
    fails = Failures(ctx.file, ctx.sheet, labels=ctx.rows, table=df)
    for c in ("parameter", "value"):
        if c not in cols:
            fails.add(
                Reason.MISSING_COLUMN,
                f"required column {c!r} is missing (columns: {', '.join(map(str, df.columns))})",
                column=c,
            )
    fails.raise_if("raise")
    n = len(df)
    reg = registry()

    names = sorted(reg.parameters)
    param_index = parameter_index(df[cols["parameter"]], names)
    loinc = loinc_columns(df[cols["loinc"]], names) if "loinc" in cols else None
    if loinc is not None:  # the LOINC code, the more specific coding, decides the analyte
        param_index = np.where(loinc.param_index >= 0, loinc.param_index, param_index)
    code = np.array([*names, None], dtype=object)[param_index]
    numeric_kind = np.array([reg.parameters[c].kind in NUMERIC_KINDS for c in names] + [False])[
        param_index
    ]
    skip = np.full(n, None, dtype=object)  # kept ungraded, not an input error: the reason
    unknown_names(skip, df[cols["parameter"]], param_index)

    value_cells = df[cols["value"]]
    parsed = parse_values(value_cells, decimal=decimal, no_result=no_result)
    old_numbers, _ = _numeric(value_cells)
    raw_value = np.where(numeric_kind, parsed.value, old_numbers)  # findings: as before
    value_failures(fails, parsed, numeric_kind, cols["value"], value_cells, skip)
    censor_side, censor_limit, raw_value = _censoring(value_cells, parsed, numeric_kind, raw_value)

    refs_raw = _references(df, cols, fails, decimal, no_result)

    specimen = specimen_skips(
        skip,
        df[cols["specimen"]] if "specimen" in cols else None,
        loinc,
        code,
        refs_raw["lln"],
        refs_raw["uln"],
        has_value=~np.isnan(raw_value),
    )
    unit_series = df[cols["unit"]] if "unit" in cols else pd.Series([None] * n, index=df.index)
    scale, offset, status, unit_key = convert_indexed(param_index, names, unit_series)
    if ((status == 1) | (status == 2)).any():  # else _unit_failures finds nothing to report
        _unit_failures(
            fails,
            status,
            code,
            unit_series,
            cols.get("unit", "unit"),
            numeric_kind & ~np.isnan(raw_value) & (skip == None),  # noqa: E711
        )
    unit_code = unit_key
    ok_unit = status == 0

    bad_unit = ~ok_unit

    def to_canonical(x: np.ndarray) -> np.ndarray:
        out: np.ndarray = x + offset  # (x + offset) * scale, NaN where the unit is not usable
        out *= scale
        out[bad_unit] = np.nan
        return out

    unit_mismatches(
        skip,
        param_index,
        names,
        unit_series,
        raw_value,
        refs_raw["lln"],
        refs_raw["uln"],
        ok_unit,
        loinc,
        unit_key=unit_key,
        scale=scale,
    )
    sibling_ranges(skip, param_index, names, refs_raw["lln"], refs_raw["uln"], scale, ok_unit)
    value = to_canonical(raw_value)
    _limit_failures(
        fails,
        np.where(skip == None, value, np.nan),  # noqa: E711
        param_index,
        names,
        reg,
        df[cols["value"]],
        cols["value"],
    )
    refs = {name: nums if name == "pchg" else to_canonical(nums) for name, nums in refs_raw.items()}

    subject = None
    if "subject_id" in cols:
        subject = factorize(df[cols["subject_id"]])[0]
    day, time = _times(df, cols, fails)

    failures, row_error = fails.frame(by_row=True), fails.row_errors(n)
    if errors == "raise" and len(failures):
        raise InputError(failures, source=ctx.file)
    notes = _unit_notes(ctx, df, skip, cols.get("unit", "unit"), unit_series)
    # without an input error the reasons are the skipped rows' (no object array compared)
    row_error = np.where(pd.isna(row_error), skip, row_error) if len(failures) else skip
    bad_rows = np.asarray(pd.notna(row_error), dtype=bool)
    if bad_rows.any():  # a rejected row is never graded nor used as anyone's baseline
        value = np.where(bad_rows, np.nan, value)
    baseline = refs["baseline"]
    if subject is not None and day is not None:
        # no specimen column nor LOINC code: no row names a specimen (one group per parameter)
        no_specimen = "specimen" not in cols and loinc is None
        spec_code = None if no_specimen else factorize(pd.Series(specimen, dtype=object))[0]
        baseline = np.where(
            np.isnan(baseline),
            derive_baseline(subject, param_index, day, value, specimen=spec_code),
            baseline,
        )
    pchg = refs["pchg"]
    with np.errstate(divide="ignore", invalid="ignore"):
        pchg = np.where(np.isnan(pchg), (value - baseline) / baseline * 100.0, pchg)
    flag = _baseline_flag(df, cols)
    prepared = Prepared(
        n=n,
        code=code,
        param_index=param_index,
        param_names=names,
        raw_value=raw_value,
        value=value,
        lln=refs["lln"],
        uln=refs["uln"],
        baseline=baseline,
        pchg=pchg,
        unit_code=unit_code,
        scale=scale,
        offset=offset,
        baseline_flag=flag,
        subject=subject,
        day=day,
        time=time if time is not None else day,
        row_error=row_error,
        failures=failures,
        anticoagulated=_anticoagulated(df, cols),
        censor_side=censor_side,
        censor_limit=censor_limit,
        specimen=specimen,
        notes=notes,
    )
    prepared.__dict__["has_error"] = bad_rows  # the cached mask, already computed here
    return prepared


def _unit_notes(
    ctx: Context, df: pd.DataFrame, skip: np.ndarray, column: str, unit: pd.Series
) -> pd.DataFrame:
    """The ``unit_mismatch`` rows of ``skip`` as failure-table rows (value: the unit cell)."""
    prefix = f"not graded: {Reason.UNIT_MISMATCH.value} ("
    filled = np.flatnonzero(pd.notna(skip))  # only the skipped rows' text is read
    text = pd.Series(skip[filled], dtype="string")
    starts = text.str.startswith(prefix).fillna(False).to_numpy(bool)
    if not starts.any():
        return failure_frame()
    hit = np.zeros(len(skip), bool)
    hit[filled] = starts
    notes = Failures(ctx.file, ctx.sheet, labels=ctx.rows, table=df)
    message = np.full(len(skip), None, dtype=object)
    message[filled] = text.str.slice(len(prefix), -1).to_numpy(dtype=object)
    notes.add_rows(hit, Reason.UNIT_MISMATCH, message, column=column, values=unit)
    return notes.frame(by_row=True)


def _references(
    df: pd.DataFrame,
    cols: dict[str, str],
    fails: Failures,
    decimal: str | None,
    no_result: tuple[str, ...],
) -> dict[str, np.ndarray]:
    """The lln, uln, baseline and pchg columns as numbers in the row's unit (NaN: none)."""
    n = len(df)
    refs_raw: dict[str, np.ndarray] = {}
    for name in ("lln", "uln", "baseline", "pchg"):
        if name in cols:
            ref = parse_values(df[cols[name]], decimal=decimal, no_result=no_result, censored=False)
            ambiguous = ref.status == 3
            fails.add_rows(
                ambiguous,
                Reason.AMBIGUOUS_NUMBER,
                f"{name}: the separator may mark thousands or decimals: set decimal = "
                '"," or "." in the column map (or --decimal)',
                column=cols[name],
                values=df[cols[name]],
            )
            fails.add_rows(
                (ref.status != 0) & (ref.status != 2) & ~ambiguous,
                Reason.NOT_A_NUMBER,
                f"{name} is not a number",
                column=cols[name],
                values=df[cols[name]],
            )
            refs_raw[name] = ref.value
        else:
            refs_raw[name] = np.full(n, np.nan)

    return refs_raw


def _unit_failures(
    fails: Failures,
    status: np.ndarray,
    code: np.ndarray,
    unit: pd.Series,
    column: str,
    needs_unit: np.ndarray,
) -> None:
    reg = registry()
    bad = ((status == 1) | (status == 2)) & needs_unit
    if not bad.any():
        return
    accepted_by_code = {c: ", ".join([p.unit, *p.conversions]) for c, p in reg.parameters.items()}
    idx = np.flatnonzero(bad)
    codes = pd.Series(code[idx], dtype="string")
    units = unit.iloc[idx].astype("string").fillna("")
    accepted = codes.map(accepted_by_code).fillna("")
    text = np.where(
        status[idx] == 1,
        ("unit is missing for " + codes + "; accepted: " + accepted).to_numpy(dtype=object),
        (
            "unit '"
            + units.reset_index(drop=True)
            + "' cannot be converted for "
            + codes
            + "; accepted: "
            + accepted
        ).to_numpy(dtype=object),
    )
    messages = np.full(len(status), None, dtype=object)
    messages[idx] = text
    fails.add_rows(bad & (status == 1), Reason.MISSING_UNIT, messages, column=column, values=unit)
    fails.add_rows(bad & (status == 2), Reason.UNKNOWN_UNIT, messages, column=column, values=unit)


def _limit_failures(
    fails: Failures,
    value: np.ndarray,
    param_index: np.ndarray,
    names: list[str],
    reg: object,
    raw: pd.Series,
    column: str,
) -> None:
    params = reg.parameters  # type: ignore[attr-defined]
    lows = np.array([_lim(params[c].limits, 0) for c in names] + [np.nan])
    highs = np.array([_lim(params[c].limits, 1) for c in names] + [np.nan])
    bad = np.empty(len(value), bool)
    for at in range(0, len(value), _BLOCK):  # in blocks: no full-length limit columns
        part = slice(at, at + _BLOCK)
        p = param_index[part]
        bad[part] = (value[part] < lows[p]) | (value[part] > highs[p])
    if not bad.any():
        return
    lo, hi = lows[param_index], highs[param_index]  # for the messages of the bad rows
    idx = np.flatnonzero(bad)
    pi = param_index[idx]
    codes = pd.Series(np.array([*names, ""], dtype=object)[pi], dtype="string")
    units = pd.Series(
        np.array([params[c].unit for c in names] + [""], dtype=object)[pi], dtype="string"
    )
    fmt = np.vectorize(lambda x: "" if np.isnan(x) else f"{x:g}", otypes=[object])
    text = (
        codes
        + " "
        + pd.Series(fmt(value[idx]), dtype="string")
        + " "
        + units
        + " is outside what is physiologically possible ("
        + pd.Series(fmt(lo[idx]), dtype="string").replace("", "-inf")
        + " to "
        + pd.Series(fmt(hi[idx]), dtype="string").replace("", "inf")
        + ")"
    )
    messages = np.full(len(value), None, dtype=object)
    messages[idx] = text.to_numpy(dtype=object)
    fails.add_rows(bad, Reason.IMPLAUSIBLE, messages, column=column, values=raw)


#: Rows checked at a time by the plausibility check (its temporaries stay in cache).
_BLOCK = 1 << 16


def _lim(limits: tuple[float | None, float | None] | None, i: int) -> float:
    if not limits or limits[i] is None:
        return np.nan
    return float(limits[i])  # type: ignore[arg-type]


def _times(
    df: pd.DataFrame, cols: dict[str, str], fails: Failures
) -> tuple[np.ndarray | None, np.ndarray | None]:
    day = time = None
    if "day" in cols:
        day, bad = _numeric(df[cols["day"]])
        fails.add_rows(
            bad, Reason.BAD_DAY, "day is not a number", column=cols["day"], values=df[cols["day"]]
        )
    if "time" in cols:
        raw = df[cols["time"]]
        parsed = pd.to_datetime(raw, errors="coerce", utc=True, format="mixed")
        text = raw.astype("string").str.strip()
        bad = (parsed.isna() & text.notna() & (text != "")).to_numpy(dtype=bool)
        fails.add_rows(
            bad, Reason.BAD_DAY, "time is not a readable date-time", column=cols["time"], values=raw
        )
        epoch = pd.Timestamp("1970-01-01", tz="UTC")
        time = ((parsed - epoch) / pd.Timedelta(days=1)).to_numpy(dtype=float, na_value=np.nan)
    return day, time


def _baseline_flag(df: pd.DataFrame, cols: dict[str, str]) -> np.ndarray:
    """1.0 where the baseline indicator (CDISC BNRIND) says HIGH, -1.0 LOW, 0.0 other words,
    NaN empty."""
    name = cols.get("baseline_indicator") or cols.get("bnrind")
    if name is None:
        return np.full(len(df), np.nan)
    text = df[name].astype("string").str.strip().str.upper()
    out = np.where(text.isin(_HIGH_FLAGS).to_numpy(dtype=bool), 1.0, 0.0)
    out = np.where(text.isin(_LOW_FLAGS).to_numpy(dtype=bool), -1.0, out)
    empty = text.isna().to_numpy(dtype=bool) | text.eq("").fillna(True).to_numpy(dtype=bool)
    return np.where(empty, np.nan, out)


def _anticoagulated(df: pd.DataFrame, cols: dict[str, str]) -> np.ndarray:
    """1.0 where ``anticoagulated`` is a yes word, 0.0 a no word, NaN empty or not a word."""
    name = cols.get("anticoagulated")
    if name is None:
        return np.full(len(df), np.nan)
    text = df[name].astype("string").str.strip().str.lower()
    out = np.full(len(df), np.nan)
    out[text.isin(true_words() | {"true", "yes", "y"}).to_numpy(dtype=bool)] = 1.0
    out[text.isin(false_words() | {"false", "no", "n"}).to_numpy(dtype=bool)] = 0.0
    return out
