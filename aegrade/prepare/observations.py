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

from aegrade.criteria.units import convert_rows, factorize, parameter_index, registry
from aegrade.criteria.vocabulary import false_words, true_words
from aegrade.errors import Failures, InputError, Reason, failure_frame
from aegrade.prepare.baseline import derive_baseline
from aegrade.prepare.labchecks import (
    Skips,
    censored_values,
    loinc_columns,
    sibling_ranges,
    specimen_skips,
    unit_mismatches,
    unknown_names,
    value_failures,
)
from aegrade.prepare.values import ParsedValues, parse_values
from aegrade.read.idcodes import id_codes
from aegrade.threads import gather, row_blocks, run_blocks, thread_count

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
    param_index: np.ndarray  # index into ``param_names``, -1 unknown
    param_names: list[str]
    raw_value: np.ndarray  # numeric value in the row's own unit (NaN if not numeric)
    value: np.ndarray  # canonical unit
    lln: np.ndarray
    uln: np.ndarray
    baseline: np.ndarray
    unit_code: np.ndarray
    scale: np.ndarray
    offset: np.ndarray
    baseline_flag: np.ndarray | None  # None: no baseline indicator column
    subject: np.ndarray | None
    day: np.ndarray | None
    time: np.ndarray | None  # days, for durations: study day, or days since 1970 from `time`
    #: per row, why it is not graded (an input problem, else a skip) as an index into
    #: ``error_texts`` (-1: graded); ``row_error`` spells it out
    error_code: np.ndarray
    error_texts: list[str]
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
    #: per parameter (an index into ``param_names``), the codes of the units its rows are in
    #: (:class:`~aegrade.criteria.units.RowUnits`; of these rows or more, never fewer: a
    #: subset of the rows keeps it); None: not known
    units_present: list[frozenset[int]] | None = None
    #: the parameters (indices into ``param_names``) that have rows (of these rows or more,
    #: never fewer: a subset of the rows keeps it); None: not known
    param_rows: frozenset[int] | None = None
    #: rows per parameter, those of no known parameter first (``np.bincount(param_index +
    #: 1)``); valid while they add up to ``n`` (a selection of fewer rows adds up to more)
    param_counts: tuple[int, ...] | None = None
    #: per reference column (``lln``, ``uln``), the parameters (indices into ``param_names``)
    #: every row of which holds one and the same number there, with that number (canonical
    #: unit; a subset of the rows keeps it); None: not known
    ref_constants: dict[str, dict[int, float]] | None = None
    #: the ``pchg`` cells as numbers (NaN: none given; None: no such column)
    pchg_given: np.ndarray | None = None
    #: ``(n, rows, counts)``: rows per parameter (unknown first) in each block of ``rows``
    #: rows (``counts[k]``: rows ``k * rows`` onwards) of these ``n`` rows, as the grading
    #: engine's blocks read them; None: not counted (only valid while ``n`` is this count's)
    block_param_counts: tuple[int, int, np.ndarray] | None = None

    @cached_property
    def pchg(self) -> np.ndarray:
        """Percent change from baseline: the ``pchg`` cell where given, else ``(value -
        baseline) / baseline * 100``; computed on first use (few criteria read it)."""
        return _percent_change(self.value, self.baseline, self.pchg_given)

    @cached_property
    def has_error(self) -> np.ndarray:
        """True where the row has an input problem (``row_error`` is set): a boolean mask,
        computed once, instead of comparing the object array with None again and again."""
        out: np.ndarray = self.error_code >= 0
        return out

    @cached_property
    def row_error(self) -> np.ndarray:
        """Per row, the reason text where the row has an input problem, else None (an object
        array built on first use: the engine reads ``error_code``)."""
        out: np.ndarray = np.array([*self.error_texts, None], dtype=object)[self.error_code]
        return out

    @cached_property
    def code(self) -> np.ndarray:
        """Per row, the canonical parameter code (None when unknown), built on first use."""
        out: np.ndarray = np.array([*self.param_names, None], dtype=object)[self.param_index]
        return out

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
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray]:
    """The censored side and limit of each row (None, None: a numeric column, where no cell is
    censored), and the values with censored results moved just beyond their limit
    (:func:`~aegrade.prepare.labchecks.censored_values`)."""
    if _plain_numbers(cells):  # a numeric column holds no censored result
        return None, None, raw_value
    assert parsed.censor_side is not None  # a text column
    censor_side = np.where(numeric_kind, parsed.censor_side, np.array(None, dtype=object))
    censor_limit = np.where(censor_side != None, parsed.value, np.nan)  # noqa: E711
    if parsed.censored.any():
        raw_value = censored_values(raw_value, censor_side)
    return censor_side, censor_limit, raw_value


def _numeric(series: pd.Series, threads: int = 1) -> tuple[np.ndarray, np.ndarray | None]:
    """Numbers and a mask of cells that hold something that is not a number (None: a float
    column, where every cell is a number or NaN)."""
    if series.dtype == np.float64:  # NaN is already NaN: the column as it is, no copy
        out = series.to_numpy().view()
        out.flags.writeable = False  # a read-only view: the caller's frame never changes
        return out, None
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
    threads: int | None = None,
    parameter_codes: np.ndarray | None = None,
) -> Prepared:
    """Resolve codes, convert units and check every row; see the module docstring.

    Test names are read through the synonym table and a ``loinc`` column; result cells as
    sites write them (:func:`~aegrade.prepare.values.parse_values`: ``decimal`` and more
    ``no_result`` words as there). Rows that are kept but not graded, without being input
    errors: an unrecognised test name, a no-result word, a specimen other than blood, a unit
    that does not fit the value and range (their reason says which). ``threads``: how many
    threads convert and check blocks of rows side by side (:func:`aegrade.threads.thread_count`;
    1 is the serial path); the result does not depend on it. ``parameter_codes``: each row's
    index into the sorted registry codes (-1: unknown) of the column ``parameter``, when the
    caller has resolved it already (:func:`~aegrade.prepare.study.prepare_study` has): the
    names are then not resolved a second time.

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
    workers = thread_count(threads)

    names = sorted(reg.parameters)
    if parameter_codes is not None and cols["parameter"] == "parameter":
        param_index = parameter_codes  # the same column's codes, resolved by the caller
    else:
        param_index = parameter_index(df[cols["parameter"]], names, threads=workers)
    loinc = loinc_columns(df[cols["loinc"]], names) if "loinc" in cols else None
    if loinc is not None:  # the LOINC code, the more specific coding, decides the analyte
        param_index = np.where(loinc.param_index >= 0, loinc.param_index, param_index)
    numeric_kind = gather(
        np.array([reg.parameters[c].kind in NUMERIC_KINDS for c in names] + [False]),
        param_index,
        workers,
    )
    skip = Skips(n)  # kept ungraded, not an input error: the reason

    value_cells = df[cols["value"]]
    parsed = parse_values(
        value_cells, decimal=decimal, no_result=no_result, copy=False, threads=workers
    )
    if _plain_numbers(value_cells) and not parsed.flagged:
        # every cell a finite number or empty: read as it is, without a copy (a read-only
        # view: the caller's frame is never changed through it)
        raw_value = parsed.value.view()
        raw_value.flags.writeable = False
    else:
        old_numbers, _ = _numeric(value_cells)
        raw_value = np.where(numeric_kind, parsed.value, old_numbers)  # findings: as before
    value_failures(fails, parsed, numeric_kind, cols["value"], value_cells, skip)
    censor_side, censor_limit, raw_value = _censoring(value_cells, parsed, numeric_kind, raw_value)

    refs_raw = _references(df, cols, fails, decimal, no_result, workers)
    lln_raw, uln_raw = refs_raw["lln"], refs_raw["uln"]
    assert lln_raw is not None and uln_raw is not None

    unit_series = (
        df[cols["unit"]]
        if "unit" in cols
        else pd.Series(np.full(n, None, dtype=object), index=df.index)
    )
    converted = convert_rows(
        param_index, names, unit_series, threads=workers, block_rows=COUNT_BLOCK_ROWS
    )
    # unknown test names: no other check skips or rejects such a row (none is numeric, has a
    # usable unit or a range to check), so the order of the reasons is the same as if first
    unknown_names(
        skip,
        df[cols["parameter"]],
        param_index,
        unknown=None if converted.counts is None else int(converted.counts[0]),
    )
    # which rows have a value: read only where a row names a specimen or pH has rows
    ph_rows = "PH" in names and (
        converted.counts is None or bool(converted.counts[names.index("PH") + 1])
    )
    read = "specimen" in cols or loinc is not None or ph_rows
    specimen = specimen_skips(
        skip,
        df[cols["specimen"]] if "specimen" in cols else None,
        loinc,
        param_index,
        names,
        lln_raw,
        uln_raw,
        has_value=~np.isnan(raw_value) if read else np.zeros(0, bool),
        counts=converted.counts,
    )
    scale, offset, status, unit_key = (
        converted.scale,
        converted.offset,
        converted.status,
        converted.unit_key,
    )
    statuses = converted.statuses  # the statuses some row has, when known without a pass
    unit_missing_or_unknown = (
        bool(((status == 1) | (status == 2)).any()) if statuses is None else bool(statuses & {1, 2})
    )
    if unit_missing_or_unknown:  # else _unit_failures finds nothing to report
        _unit_failures(
            fails,
            status,
            param_index,
            names,
            unit_series,
            cols.get("unit", "unit"),
            numeric_kind & ~np.isnan(raw_value) & ~skip.mask,
        )
    unit_code = unit_key
    # every unit usable (the usual study): no mask of unusable units is built nor read
    bad_unit = None if statuses == frozenset({0}) else status != 0
    any_bad_unit = bad_unit is not None and bool(bad_unit.any())
    ok_unit = None if bad_unit is None else ~bad_unit

    convert = (  # _to_canonical's (offset, scale, bad_unit)
        None if converted.identity else offset,
        None if converted.identity else scale,
        bad_unit if any_bad_unit else None,
    )
    # one laboratory's range per parameter, as is common: found once, read by the unit-fit
    # check (where no row converts, the raw range is the canonical one) and by grading
    lln, uln, fixed = _canonical_ranges(
        lln_raw, uln_raw, param_index, converted.counts, convert, workers
    )
    unit_mismatches(
        skip,
        param_index,
        names,
        unit_series,
        raw_value,
        lln_raw,
        uln_raw,
        ok_unit,
        loinc,
        unit_key=unit_key,
        scale=scale,
        identity=converted.identity,
        ranges=None if fixed is None or not converted.identity else (fixed[0], fixed[1]),
        threads=workers,
    )
    sibling_ranges(
        skip,
        param_index,
        names,
        lln_raw,
        uln_raw,
        scale,
        ok_unit,
        counts=converted.counts,
        ranges=None if fixed is None or not converted.identity else (fixed[0], fixed[1]),
        threads=workers,
    )
    value = np.empty(n)  # the canonical values, converted in the plausibility check's pass
    _limit_failures(
        fails,
        value,
        skip.mask if skip.any else None,
        param_index,
        names,
        reg,
        df[cols["value"]],
        cols["value"],
        workers,
        source=raw_value,
        convert=convert,
    )
    given = refs_raw["baseline"]
    given_baseline = None if given is None else _to_canonical(given, *convert, workers)

    subject = None
    if "subject_id" in cols:
        subject = _codes(df[cols["subject_id"]], workers)
    day, time = _times(df, cols, fails, workers)

    failures = fails.frame(by_row=True)
    if errors == "raise" and len(failures):
        raise InputError(failures, source=ctx.file)
    notes = _unit_notes(ctx, df, skip, cols.get("unit", "unit"), unit_series)
    error_code, texts = _row_errors(fails, skip, bool(len(failures)), workers)
    # without an input problem, the rows not graded are the skipped ones
    bad_rows = error_code >= 0 if len(failures) else skip.mask
    if texts:  # a rejected row is never graded nor used as anyone's baseline
        value[bad_rows] = np.nan  # value is this function's own array (to_canonical)
    baseline = _baselines(
        subject, day, param_index, value, specimen, given_baseline, converted.counts, workers
    )
    flag = _baseline_flag(df, cols)
    prepared = Prepared(
        n=n,
        param_index=param_index,
        param_names=names,
        raw_value=raw_value,
        value=value,
        lln=lln,
        uln=uln,
        baseline=baseline,
        unit_code=unit_code,
        scale=scale,
        offset=offset,
        baseline_flag=flag,
        subject=subject,
        day=day,
        time=time if time is not None else day,
        error_code=error_code,
        error_texts=texts,
        failures=failures,
        anticoagulated=_anticoagulated(df, cols),
        censor_side=censor_side,
        censor_limit=censor_limit,
        specimen=specimen,
        notes=notes,
        units_present=converted.present,
        param_counts=None if converted.counts is None else tuple(converted.counts.tolist()),
        block_param_counts=None
        if converted.block_counts is None
        else (len(param_index), COUNT_BLOCK_ROWS, converted.block_counts),
        ref_constants=(
            None
            if fixed is None
            else {
                name: {int(i): float(x[i]) for i in np.flatnonzero(~np.isnan(x[:-1]))}
                for name, x in zip(("lln", "uln"), fixed, strict=True)
            }
        ),
        param_rows=(
            None
            if converted.counts is None
            else frozenset(np.flatnonzero(converted.counts[1:]).tolist())
        ),
        # its own copy: pchg is computed on first use, after the caller's frame may change
        pchg_given=None if refs_raw["pchg"] is None else refs_raw["pchg"].copy(),
    )
    prepared.__dict__["has_error"] = bad_rows  # the cached mask, already computed here
    return prepared


def _canonical_ranges(
    lln_raw: np.ndarray,
    uln_raw: np.ndarray,
    param_index: np.ndarray,
    counts: np.ndarray | None,
    convert: tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None],
    threads: int,
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray] | None]:
    """The canonical LLN and ULN (:func:`_to_canonical` with ``convert`` = ``(offset, scale,
    bad_unit)``) and, where the rows per parameter are known (``counts``), each parameter's
    one range (:func:`_constant_per_parameter` of the canonical columns). Converting in the
    pass that compares was measured slower (issue 15): two whole passes stay."""
    lln = _to_canonical(lln_raw, *convert, threads)
    uln = _to_canonical(uln_raw, *convert, threads)
    if counts is None:
        return lln, uln, None
    return lln, uln, _constant_per_parameter([lln, uln], param_index, counts, threads)


def _constant_per_parameter(
    columns: list[np.ndarray], param_index: np.ndarray, counts: np.ndarray, threads: int = 1
) -> list[np.ndarray]:
    """For each column, per parameter (and a last element for parameter -1, NaN), the number
    every row of that parameter holds; NaN where its rows differ or any is NaN.

    Each parameter's number is read at one of its rows (found in the first blocks of rows)
    and every row compared with it: a gather, a comparison and the few rows that differ,
    the columns side by side (the parameters read once). ``counts``: rows per parameter,
    unknown first (``np.bincount(param_index + 1)``); ``threads``: blocks of rows compared
    side by side (:mod:`aegrade.threads`), the same result.
    """
    n_params = len(counts) - 1
    n = len(param_index)
    if not n:
        return [np.full(n_params + 1, np.nan) for _ in columns]
    at = np.full(n_params + 1, -1, np.intp)  # a row of each parameter (last: parameter -1)
    wanted = np.flatnonzero(counts[1:])
    for start in range(0, n, _BLOCK):
        q = param_index[start : start + _BLOCK]
        at[q] = np.arange(start, start + len(q))  # any of its rows in the block will do
        if (at[wanted] >= 0).all():
            break
    values = []
    for column in columns:
        value = np.where(at >= 0, column[at], np.nan)
        value[-1] = np.nan
        values.append(value)
    differ = [np.empty(n, bool) for _ in columns]
    some = [False] * len(columns)  # whether any row of the column differs

    def block(rows: slice) -> None:
        for start in range(rows.start, rows.stop, _BLOCK):  # the gathered numbers in cache
            part = slice(start, min(start + _BLOCK, rows.stop))
            q = param_index[part]
            for j, (column, value, out) in enumerate(zip(columns, values, differ, strict=True)):
                if np.not_equal(column[part], value[q], out=out[part]).any():
                    some[j] = True

    run_blocks(block, row_blocks(n, threads, n), threads)
    for value, mask, differs in zip(values, differ, some, strict=True):
        if differs:  # NaN differs from everything: a parameter with a NaN is not constant
            mixed = np.bincount(param_index[mask] + 1, minlength=n_params + 1) > 0
            value[:-1][mixed[1:]] = np.nan
    return values


def _codes(series: pd.Series, threads: int = 1) -> np.ndarray:
    """:func:`~aegrade.criteria.units.factorize`'s codes alone: a categorical's codes
    without listing its categories (a list of many subjects' ids built for nothing), widened
    to 64 bits in blocks of rows on ``threads`` threads; text ids whose codes the reader kept
    (:func:`~aegrade.read.idcodes.id_codes`) not factorized again."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        narrow = series.array.codes  # the Categorical's own codes, no Series around them
        codes: np.ndarray = np.empty(len(narrow), np.int64)

        def widen(part: slice) -> None:
            codes[part] = narrow[part]

        run_blocks(widen, row_blocks(len(narrow), threads, len(narrow)), threads)
        return codes
    if isinstance(series.dtype, pd.StringDtype):  # ids the reader already coded, as text
        to_arrow = getattr(series.array, "__arrow_array__", None)
        known = id_codes(to_arrow()) if to_arrow is not None else None
        if known is not None:
            return known[0]  # pd.factorize's codes of the same text, read-only
    return factorize(series)[0]


def _to_canonical(
    x: np.ndarray,
    offset: np.ndarray | None,
    scale: np.ndarray | None,
    bad_unit: np.ndarray | None,
    threads: int,
) -> np.ndarray:
    """``(x + offset) * scale`` in a new array, NaN where the unit is not usable (``bad_unit``;
    None: usable everywhere), in blocks of rows on ``threads`` threads. ``offset`` and
    ``scale`` None: 0 and 1 on every row, so the result is ``x + 0.0`` (one pass, the same
    bits: ``+ 0.0`` turns -0.0 into 0.0 as the offset does, ``* 1.0`` changes nothing)."""
    n = len(x)
    out: np.ndarray = np.empty(n)

    def block(part: slice) -> None:
        _convert_part(x, out, part, offset, scale, bad_unit)

    run_blocks(block, row_blocks(n, threads, n), threads)
    return out


def _convert_part(
    x: np.ndarray,
    out: np.ndarray,
    part: slice,
    offset: np.ndarray | None,
    scale: np.ndarray | None,
    bad_unit: np.ndarray | None,
) -> None:
    """:func:`_to_canonical` of the rows ``part`` of ``x``, written to the same rows of
    ``out`` (the one arithmetic every conversion of a column shares: the same bits)."""
    if offset is None or scale is None:
        got = np.add(x[part], 0.0, out=out[part])
    else:
        got = np.add(x[part], offset[part], out=out[part])
        got *= scale[part]
    if bad_unit is not None:
        got[bad_unit[part]] = np.nan


def _baselines(
    subject: np.ndarray | None,
    day: np.ndarray | None,
    param_index: np.ndarray,
    value: np.ndarray,
    specimen: np.ndarray | None,
    given: np.ndarray | None,
    param_counts: np.ndarray | None = None,
    threads: int = 1,
) -> np.ndarray:
    """Each row's baseline: the ``baseline`` cell where given, else derived (baseline.py);
    ``param_counts``: the rows per parameter (unknown first), when counted."""
    baseline = given
    if subject is not None and day is not None:
        # no specimen column nor LOINC code: no row names a specimen (one group per parameter)
        spec_code = None if specimen is None else factorize(pd.Series(specimen, dtype=object))[0]
        derived = derive_baseline(
            subject,
            param_index,
            day,
            value,
            specimen=spec_code,
            param_counts=param_counts,
            threads=threads,
        )
        baseline = derived if baseline is None else np.where(np.isnan(baseline), derived, baseline)
    if baseline is None:
        baseline = np.full(len(value), np.nan)
    return baseline


def _percent_change(value: np.ndarray, base: np.ndarray, given: np.ndarray | None) -> np.ndarray:
    """``(value - baseline) / baseline * 100`` where no ``pchg`` cell is given (None: no
    column), computed in place in blocks of rows."""
    change = np.empty(len(value))

    def block(part: slice) -> None:
        with np.errstate(divide="ignore", invalid="ignore"):
            got = np.subtract(value[part], base[part], out=change[part])
            got /= base[part]
            got *= 100.0

    run_blocks(block, row_blocks(len(value), 1, 1 << 16), 1)
    return change if given is None else np.where(np.isnan(given), change, given)


def _row_errors(
    fails: Failures, skip: Skips, any_failure: bool, threads: int = 1
) -> tuple[np.ndarray, list[str]]:
    """Why each row is not graded, as a code (-1: graded) into a list of distinct texts: the
    row's first input problem, else why it was skipped (-1 written in blocks of rows on
    ``threads`` threads)."""
    at, text = skip.reasons()
    if any_failure:
        f_at, f_text = fails.first_problems()
        keep = ~np.isin(at, f_at)
        at = np.concatenate([f_at, at[keep]])
        text = np.concatenate([f_text, text[keep]])
    code = np.empty(skip.n, np.int32)

    def graded(part: slice) -> None:
        code[part] = -1

    run_blocks(graded, row_blocks(skip.n, threads, skip.n), threads)
    if not len(at):
        return code, []
    found, uniques = pd.factorize(text)
    code[at] = found
    return code, list(uniques)


def _unit_notes(
    ctx: Context, df: pd.DataFrame, skip: Skips, column: str, unit: pd.Series
) -> pd.DataFrame:
    """The ``unit_mismatch`` rows of ``skip`` as failure-table rows (value: the unit cell)."""
    at, message = skip.rows(Reason.UNIT_MISMATCH)
    if not len(at):
        return failure_frame()
    hit = np.zeros(skip.n, bool)
    hit[at] = True
    notes = Failures(ctx.file, ctx.sheet, labels=ctx.rows, table=df)
    messages = np.full(skip.n, None, dtype=object)
    messages[at] = pd.Series(message, dtype="string").to_numpy(dtype=object)
    notes.add_rows(hit, Reason.UNIT_MISMATCH, messages, column=column, values=unit)
    return notes.frame(by_row=True)


def _references(
    df: pd.DataFrame,
    cols: dict[str, str],
    fails: Failures,
    decimal: str | None,
    no_result: tuple[str, ...],
    threads: int = 1,
) -> dict[str, np.ndarray | None]:
    """The lln, uln, baseline and pchg columns as numbers in the row's unit (NaN: none; an
    absent ``baseline`` or ``pchg`` column: None)."""
    n = len(df)
    refs_raw: dict[str, np.ndarray | None] = {}
    for name in ("lln", "uln", "baseline", "pchg"):
        if name in cols:
            ref = parse_values(
                df[cols[name]],
                decimal=decimal,
                no_result=no_result,
                censored=False,
                copy=False,  # read into new arrays (canonical units), never kept nor changed
                threads=threads,
            )
            refs_raw[name] = ref.value
            if not ref.flagged:  # every cell a number or empty: nothing to report
                continue
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
        else:
            refs_raw[name] = np.full(n, np.nan) if name in ("lln", "uln") else None

    return refs_raw


def _unit_failures(
    fails: Failures,
    status: np.ndarray,
    param_index: np.ndarray,
    names: list[str],
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
    codes = pd.Series(np.array([*names, None], dtype=object)[param_index[idx]], dtype="string")
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
    skipped: np.ndarray | None,
    param_index: np.ndarray,
    names: list[str],
    reg: object,
    raw: pd.Series,
    column: str,
    threads: int = 1,
    *,
    source: np.ndarray | None = None,
    convert: tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None] = (None, None, None),
) -> None:
    """Values outside what is physiologically possible (rows not ``skipped``; None: no row is
    skipped). ``source``: raw numbers, converted block by block into ``value``
    (:func:`_to_canonical` with ``convert`` = ``(offset, scale, bad_unit)``) in the same pass,
    then checked."""
    params = reg.parameters  # type: ignore[attr-defined]
    lows = np.array([_lim(params[c].limits, 0) for c in names] + [np.nan])
    highs = np.array([_lim(params[c].limits, 1) for c in names] + [np.nan])
    bad = np.empty(len(value), bool)
    found: list[int] = []  # the pieces with an implausible value

    def check(block: slice) -> None:
        for at in range(block.start, block.stop, _BLOCK):  # no full-length limit columns
            part = slice(at, min(at + _BLOCK, block.stop))
            if source is not None:
                _convert_part(source, value, part, *convert)
            p = param_index[part]
            out = np.less(value[part], lows[p], out=bad[part])
            out |= value[part] > highs[p]
            if skipped is not None:
                out &= ~skipped[part]
            if out.any():  # read while the piece is in cache
                found.append(at)

    run_blocks(check, row_blocks(len(value), threads, len(value)), threads)
    if not found:
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

#: Rows per block in which preparation counts the rows per parameter
#: (``Prepared.block_param_counts``): the grading engine's blocks
#: (:data:`aegrade.grading.labs.BLOCK_ROWS`), which then need not count them again.
COUNT_BLOCK_ROWS = 1 << 20


def _lim(limits: tuple[float | None, float | None] | None, i: int) -> float:
    if not limits or limits[i] is None:
        return np.nan
    return float(limits[i])  # type: ignore[arg-type]


def _times(
    df: pd.DataFrame, cols: dict[str, str], fails: Failures, threads: int = 1
) -> tuple[np.ndarray | None, np.ndarray | None]:
    day = time = None
    if "day" in cols:
        day, bad = _numeric(df[cols["day"]], threads)
        if bad is not None:  # None: a float column, which holds nothing else
            fails.add_rows(
                bad,
                Reason.BAD_DAY,
                "day is not a number",
                column=cols["day"],
                values=df[cols["day"]],
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


def _baseline_flag(df: pd.DataFrame, cols: dict[str, str]) -> np.ndarray | None:
    """1.0 where the baseline indicator (CDISC BNRIND) says HIGH, -1.0 LOW, 0.0 other words,
    NaN empty; None without the column (nowhere given)."""
    name = cols.get("baseline_indicator") or cols.get("bnrind")
    if name is None:
        return None
    text = df[name].astype("string").str.strip().str.upper()
    out = np.where(text.isin(_HIGH_FLAGS).to_numpy(dtype=bool), 1.0, 0.0)
    out = np.where(text.isin(_LOW_FLAGS).to_numpy(dtype=bool), -1.0, out)
    empty = text.isna().to_numpy(dtype=bool) | text.eq("").fillna(True).to_numpy(dtype=bool)
    return np.where(empty, np.nan, out)


def _anticoagulated(df: pd.DataFrame, cols: dict[str, str]) -> np.ndarray | None:
    """1.0 where ``anticoagulated`` is a yes word, 0.0 a no word, NaN empty or not a word;
    None without the column (nowhere recorded)."""
    name = cols.get("anticoagulated")
    if name is None:
        return None
    text = df[name].astype("string").str.strip().str.lower()
    out = np.full(len(df), np.nan)
    out[text.isin(true_words() | {"true", "yes", "y"}).to_numpy(dtype=bool)] = 1.0
    out[text.isin(false_words() | {"false", "no", "n"}).to_numpy(dtype=bool)] = 0.0
    return out
