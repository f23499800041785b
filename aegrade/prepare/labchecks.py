"""The checks of lab rows as sites send them (issue 10): test names, LOINC codes, result
cells, censored results, specimens and units that do not fit the value.

Each function works on whole columns (the distinct values of a column are looked up once) and
writes either an input problem into the :class:`~aegrade.errors.Failures` collector or, for a
row that is kept but not graded without being an input error, its reason into ``skip``
(``"not graded: <code> (<message>)"``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from aegrade.criteria.labnames import lab_vocabulary
from aegrade.criteria.units import Parameter, convert_indexed, factorize, registry
from aegrade.errors import Failures, Reason
from aegrade.prepare.values import (
    AMBIGUOUS,
    BOOLEAN,
    INFINITE,
    NAN_WORD,
    NO_RESULT,
    SHEET_ERROR,
    TEXT,
    ParsedValues,
)
from aegrade.threads import row_blocks, run_blocks

__all__ = [
    "CENSOR_STEP",
    "LoincColumns",
    "Skips",
    "censored_values",
    "loinc_columns",
    "sibling_ranges",
    "specimen_skips",
    "unit_mismatches",
    "unknown_names",
    "value_failures",
]

#: A censored result is graded as its limit moved this fraction towards the censored side
#: (``<0.5`` as 0.4999999995): far below any lab's resolution, yet never equal to a CTCAE
#: boundary, so ``<0.5`` x10^9/L neutrophils is grade 4 (< 0.5) and ``<=10`` stays at 10.
CENSOR_STEP = 1e-9

#: Blood pH reference ranges lie inside this window (7.35-7.45 arterial, 7.31-7.41 venous);
#: a pH range outside it (urine 4.5-8.0) is not a blood range.
_BLOOD_PH_RANGE = (7.0, 7.8)


class Skips:
    """Rows kept but not graded without being input errors, each with its reason.

    Only the skipped rows are stored (their positions, reason code and message), so a column
    where nothing is skipped costs one boolean mask, never an object array of the rows.

    Examples
    --------
    >>> skip = Skips(3)
    >>> skip.put(np.array([False, True, True]), Reason.NO_RESULT, "no result")
    >>> skip.put(np.array([True, True, False]), Reason.UNIT_MISMATCH, "wrong unit")
    >>> skip.mask.tolist()
    [True, True, True]
    >>> for text in skip.texts(np.arange(3)):
    ...     print(text)
    not graded: unit_mismatch (wrong unit)
    not graded: no_result (no result)
    not graded: no_result (no result)
    """

    def __init__(self, n: int) -> None:
        self.n = n
        #: True where a reason is written
        self.mask = np.zeros(n, bool)
        self._parts: list[tuple[np.ndarray, Reason, np.ndarray]] = []

    @property
    def any(self) -> bool:
        """Whether any row is skipped (known without reading the mask)."""
        return bool(self._parts)

    def open(self) -> np.ndarray:
        """True where no reason is written yet."""
        out: np.ndarray = ~self.mask
        return out

    def put(self, mask: np.ndarray, code: Reason, text: np.ndarray | str) -> None:
        """Write a reason where ``mask`` holds and no earlier reason is written; ``text`` is
        one message, or one per row (read at the written rows only)."""
        mask = mask & ~self.mask
        if not mask.any():
            return
        at = np.flatnonzero(mask)
        msg = np.asarray(text, dtype=object)
        msg = msg[at] if msg.ndim else np.full(len(at), msg.item(), dtype=object)
        self.mask[at] = True
        self._parts.append((at, code, msg))

    def rows(self, code: Reason | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Positions (ascending) and messages of the rows skipped (with ``code``: for it)."""
        parts = [p for p in self._parts if code is None or p[1] == code]
        if not parts:
            return np.zeros(0, np.intp), np.zeros(0, object)
        at = np.concatenate([p[0] for p in parts])
        msg = np.concatenate([p[2] for p in parts])
        order = np.argsort(at, kind="stable")
        return at[order], msg[order]

    def reasons(self) -> tuple[np.ndarray, np.ndarray]:
        """Positions (ascending) of the skipped rows and their reason,
        ``"not graded: <code> (<message>)"``."""
        if not self._parts:
            return np.zeros(0, np.intp), np.zeros(0, object)
        at = np.concatenate([p[0] for p in self._parts])
        text = np.concatenate(
            [
                (f"not graded: {code.value} (" + pd.Series(msg, dtype="string") + ")").to_numpy(
                    dtype=object
                )
                for _, code, msg in self._parts
            ]
        )
        order = np.argsort(at, kind="stable")
        return at[order], text[order]

    def texts(self, rows: np.ndarray) -> np.ndarray:
        """The reason of each of ``rows`` (None where not skipped)."""
        out = np.full(len(rows), None, dtype=object)
        at, text = self.reasons()
        if not len(at):
            return out
        where = np.minimum(np.searchsorted(at, rows), len(at) - 1)
        hit = at[where] == rows
        out[hit] = text[where[hit]]
        return out


def _set(skip: Skips, mask: np.ndarray, code: Reason, text: np.ndarray | str) -> None:
    """Write a reason where ``mask`` holds and no earlier reason is written."""
    skip.put(mask, code, text)


@dataclass(frozen=True)
class LoincColumns:
    """What a ``loinc`` column says per row: parameter index (-1 none), specimen and LOINC
    property (None where the code is empty or unknown)."""

    param_index: np.ndarray
    specimen: np.ndarray
    property: np.ndarray


def loinc_columns(cells: pd.Series, names: list[str]) -> LoincColumns:
    """Each row's LOINC code looked up in ``data/inputs/loinc.yaml``.

    >>> got = loinc_columns(pd.Series(["751-8", "2756-5", "", "1-1"]), ["NEUT", "PH"])
    >>> got.param_index.tolist(), got.specimen.tolist()
    ([0, 1, -1, -1], ['BLOOD', 'URINE', None, None])
    """
    vocab = lab_vocabulary()
    codes, uniques = factorize(cells.astype("string").str.strip())
    where = {c: i for i, c in enumerate(names)}
    found = [vocab.loinc.get(str(u)) for u in uniques]
    pidx = np.array([where.get(f.parameter, -1) if f else -1 for f in found] + [-1], np.int64)
    spec = np.array([f.specimen if f else None for f in found] + [None], dtype=object)
    prop = np.array([f.property if f else None for f in found] + [None], dtype=object)
    return LoincColumns(pidx[codes], spec[codes], prop[codes])


def unknown_names(
    skip: Skips, parameter: pd.Series, param_index: np.ndarray, *, unknown: int | None = None
) -> None:
    """Rows whose test name is recognised nowhere: reason ``unknown_parameter`` naming it.
    ``unknown``: how many rows have no known parameter, when counted (0: none is looked for).

    >>> skip = Skips(2)
    >>> unknown_names(skip, pd.Series(["HGB", "Neut %"]), np.array([0, -1]))
    >>> print(skip.texts(np.array([1]))[0])
    not graded: unknown_parameter (test name 'Neut %' is not recognised; map it in [parameters])
    """
    if unknown == 0:
        return
    mask = param_index < 0
    if not mask.any():
        return
    text = parameter.astype("string").str.strip().fillna("").to_numpy(dtype=object)
    msg = np.where(
        text == "",
        "the test name is empty",
        "test name '"
        + pd.Series(text, dtype="string")
        + "' is not recognised; map it in [parameters]",
    )
    _set(skip, mask, Reason.UNKNOWN_PARAMETER, msg)


def value_failures(
    fails: Failures,
    parsed: ParsedValues,
    numeric: np.ndarray,
    column: str,
    cells: pd.Series,
    skip: Skips,
) -> None:
    """Input problems of numeric rows' result cells; no-result words into ``skip``.

    >>> from aegrade.prepare.values import parse_values
    >>> cells = pd.Series(["QNS", "#N/A", "1,234"])
    >>> fails, skip = Failures(), Skips(3)
    >>> value_failures(fails, parse_values(cells), np.ones(3, bool), "value", cells, skip)
    >>> fails.frame()["check"].tolist(), skip.texts(np.array([0]))[0]
    (['spreadsheet_error', 'ambiguous_number'], "not graded: no_result (the result is 'QNS')")
    """
    if not parsed.flagged:  # every cell a number or empty
        return
    st = np.where(numeric, parsed.status, 0)
    flagged = np.flatnonzero(st != 0)
    if flagged.size == 0:
        return
    words = np.full(len(st), "", dtype=object)  # the cell text, only where a row is flagged
    words[flagged] = cells.iloc[flagged].astype("string").str.strip().fillna("").to_numpy(object)
    shown = np.full(len(st), "", dtype=object)
    shown[flagged] = (" (the cell: '" + pd.Series(words[flagged], dtype="string") + "')").to_numpy(
        dtype=object
    )
    for status, reason, message in (
        (TEXT, Reason.NOT_A_NUMBER, "value is not a number"),
        (BOOLEAN, Reason.NOT_A_NUMBER, "value is a boolean (TRUE/FALSE), not a result"),
        (INFINITE, Reason.NOT_A_NUMBER, "value is infinite, not a result"),
        (
            NAN_WORD,
            Reason.NOT_A_NUMBER,
            "value 'nan' is not a result: leave the cell empty or write a no-result word",
        ),
        (SHEET_ERROR, Reason.SPREADSHEET_ERROR, "the cell holds a spreadsheet error"),
        (
            AMBIGUOUS,
            Reason.AMBIGUOUS_NUMBER,
            'the separator may mark thousands or decimals: set decimal = "," or "." '
            "in the column map (or --decimal)",
        ),
    ):
        fails.add_rows(st == status, reason, message + shown, column=column, values=cells)
    msg = ("the result is '" + pd.Series(words, dtype="string") + "'").to_numpy(dtype=object)
    _set(skip, st == NO_RESULT, Reason.NO_RESULT, msg)


def censored_values(raw_value: np.ndarray, side: np.ndarray) -> np.ndarray:
    """Censored results as their limit approached from the censored side (a strict ``<x``
    just below x, an inclusive ``<=x`` at x); see :data:`CENSOR_STEP`.

    >>> censored_values(np.array([0.5, 10.0, 7.0, 3.0]),
    ...                 np.array(["<", "<=", ">", None], dtype=object)).tolist()
    [0.4999999995, 10.0, 7.000000007, 3.0]
    """
    step = np.maximum(np.abs(raw_value) * CENSOR_STEP, 1e-12)
    below = (side == "<").astype(bool)
    above = (side == ">").astype(bool)
    out: np.ndarray = np.where(
        below, raw_value - step, np.where(above, raw_value + step, raw_value)
    )
    return out


def specimen_skips(
    skip: Skips,
    specimen: pd.Series | None,
    loinc: LoincColumns | None,
    param_index: np.ndarray,
    names: list[str],
    lln: np.ndarray,
    uln: np.ndarray,
    *,
    has_value: np.ndarray,
    counts: np.ndarray | None = None,
) -> np.ndarray | None:
    """Each row's canonical specimen (None: no ``specimen`` column nor LOINC code, so no row
    names one); lab rows of another specimen than blood (and pH that cannot be told from
    urine pH) get reason ``other_specimen``. ``counts``: the rows per parameter, unknown
    first (``np.bincount(param_index + 1)``), when counted: without pH rows, no row is
    compared with pH.

    A row's specimen is its ``specimen`` cell, else the specimen of its LOINC code. A pH row
    with neither is blood pH only when its reference range lies in the blood pH window
    (7.0-7.8); a range outside it (urine 4.5-8.0) or no range at all leaves it ungraded.

    >>> skip = Skips(3)
    >>> spec = specimen_skips(skip, pd.Series(["Serum", "URINE", None]), None,
    ...                       np.array([0, 0, 1]), ["K", "PH"],
    ...                       np.array([3.5, np.nan, 5.0]), np.array([5.1, np.nan, 8.0]),
    ...                       has_value=np.ones(3, bool))
    >>> spec.tolist(), skip.texts(np.array([0]))[0], skip.texts(np.array([1]))[0][:38]
    (['SERUM', 'URINE', None], None, 'not graded: other_specimen (specimen U')
    """
    n = len(param_index)
    vocab = lab_vocabulary()
    reg = registry()
    out: np.ndarray | None = None
    named = np.zeros(0, np.intp)  # rows naming a specimen
    if specimen is not None or loinc is not None:
        out = np.full(n, None, dtype=object)
        if specimen is not None:
            text = specimen.astype("string").str.strip()
            codes, uniques = factorize(text.where(text != ""))
            canon = np.array([vocab.specimen(u) for u in uniques] + [None], dtype=object)
            out = canon[codes]
        if loinc is not None:
            out = np.where(out == None, loinc.specimen, out)  # noqa: E711
        named = np.flatnonzero(out != None)  # noqa: E711
    if named.size:  # only those rows' parameters and specimens are looked up
        assert out is not None
        is_lab = np.array([reg.parameters[c].kind == "lab" for c in names] + [False])
        lab = is_lab[param_index[named]]
        blood = pd.Series(out[named], dtype=object).isin(vocab.blood).to_numpy(bool)
        other = np.zeros(n, bool)
        other[named] = lab & ~blood
        if (other & has_value).any():
            msg = (
                "specimen "
                + pd.Series(out, dtype="string").fillna("")
                + ": CTCAE grades blood, serum or plasma values only"
            )
            _set(skip, other & has_value, Reason.OTHER_SPECIMEN, msg.to_numpy(dtype=object))
    if "PH" not in names or (counts is not None and not counts[names.index("PH") + 1]):
        return out
    ph = param_index == names.index("PH")
    if not ph.any():
        return out
    ph[named] = False
    ph &= has_value
    if ph.any():
        lo, hi = _BLOOD_PH_RANGE
        no_range = np.isnan(lln) & np.isnan(uln)
        blood_ph = ~no_range & (np.isnan(lln) | (lln >= lo)) & (np.isnan(uln) | (uln <= hi))
        _set(
            skip,
            ph & ~blood_ph & ~no_range,
            Reason.OTHER_SPECIMEN,
            "pH with a reference range outside the blood pH window (7.0-7.8), e.g. urine pH, "
            "and no specimen or LOINC code saying blood",
        )
        _set(
            skip,
            ph & no_range,
            Reason.OTHER_SPECIMEN,
            "pH without a specimen, LOINC code or reference range: blood and urine pH "
            "cannot be told apart",
        )
    return out


def unit_mismatches(
    skip: Skips,
    param_index: np.ndarray,
    names: list[str],
    unit: pd.Series,
    raw_value: np.ndarray,
    lln: np.ndarray,
    uln: np.ndarray,
    ok_unit: np.ndarray | None,
    loinc: LoincColumns | None,
    *,
    unit_key: np.ndarray | None = None,
    scale: np.ndarray | None = None,
    identity: bool = False,
    ranges: tuple[np.ndarray, np.ndarray] | None = None,
    threads: int = 1,
) -> None:
    """Rows whose value and range do not fit their unit: reason ``unit_mismatch`` naming the
    unit that fits (``parameters.yaml``: ``reference`` and ``expected``), or a unit of the
    wrong kind for the row's LOINC property (a mass unit on a substance code). ``ok_unit``:
    the rows whose unit is usable (None: every row's). ``identity``:
    ``scale`` is 1 on every row (:class:`~aegrade.criteria.units.RowUnits`), so no product is
    taken. ``ranges``: per parameter (a last element for parameter -1) the LLN and the ULN
    every row of it holds (NaN: rows differ), with ``identity``: such a parameter's rows are
    judged once. ``threads``: blocks of rows checked side by side (:mod:`aegrade.threads`),
    the same result.

    >>> skip = Skips(2)
    >>> unit_mismatches(skip, np.array([0, 0]), ["CA"], pd.Series(["mg/dL", "mg/dL"]),
    ...                 np.array([2.3, 9.1]), np.array([2.1, 8.6]), np.array([2.6, 10.2]),
    ...                 np.ones(2, bool), None)
    >>> got = skip.texts(np.arange(2))
    >>> print(got[0].removeprefix("not graded: ")), got[1]
    unit_mismatch (CA 2.3 'mg/dL' with range 2.1-2.6 does not fit mg/dL; it fits mmol/L)
    (None, None)
    """
    reg = registry()
    if unit_key is None or scale is None:  # the row's unit and its factor, when not given
        scale, _, _, unit_key = convert_indexed(param_index, names, unit)
        identity, ranges = False, None
    # which open rows may not fit, over all parameters at once: each parameter's windows
    # gathered per row (-inf..inf where it has none), the arithmetic of _range_fits and
    # _value_fits; _mismatch_rows then reads only those rows (it finds the same ones bad)
    lows, highs = _check_windows(names)
    checked = ~np.isnan(lows[:, 0])  # its last element (parameter -1) is False
    windows = [np.ascontiguousarray(lows[:, k]) for k in range(1, 5)]
    windows += [np.ascontiguousarray(highs[:, 0]), np.ascontiguousarray(highs[:, 1])]
    n = len(param_index)
    bad = np.empty(n, bool)
    done = skip.mask
    # asked once, not per row: whether any unit is unusable or any row is skipped already
    if ok_unit is not None and bool(ok_unit.all()):
        ok_unit = None  # every unit usable
    none_done = not skip.any
    fixed = _fixed_misfits(ranges, windows) if identity else None
    found: list[int] = []  # the pieces with a row that does not fit

    def check(block: slice) -> None:
        for at in range(block.start, block.stop, _BLOCK):  # the temporaries stay in cache
            part = slice(at, min(at + _BLOCK, block.stop))
            q, lo, hi = param_index[part], lln[part], uln[part]
            open_ = checked[q]  # False for parameter -1: the table's last element
            if ok_unit is not None:
                open_ &= ok_unit[part]
            if not none_done:
                open_ &= ~done[part]
            scale_of = None if identity else scale[part]
            if _piece_misfits(
                open_, q, lo, hi, raw_value[part], scale_of, windows, fixed, bad[part]
            ):
                found.append(at)

    run_blocks(check, row_blocks(n, threads, n), threads)
    if found:
        for i in np.unique(param_index[bad]):
            rows = np.flatnonzero(bad & (param_index == i))
            param = reg.parameters[names[i]]
            _mismatch_rows(skip, rows, param, unit, unit_key, scale, raw_value, lln, uln)
    if loinc is not None:
        _property_mismatch(skip, loinc, unit, np.ones(n, bool) if ok_unit is None else ok_unit)


#: Rows checked at a time where a check builds many temporaries (a few MiB each at most).
_BLOCK = 1 << 16


def _piece_misfits(
    open_: np.ndarray,
    q: np.ndarray,
    lln: np.ndarray,
    uln: np.ndarray,
    value: np.ndarray,
    scale: np.ndarray | None,
    windows: list[np.ndarray],
    fixed: tuple[np.ndarray, np.ndarray] | None,
    out: np.ndarray,
) -> bool:
    """Write into ``out`` which ``open_`` rows of a piece (parameters ``q``) do not fit
    (:func:`_misfits`; ``fixed``: :func:`_fixed_misfits`), and say whether any does (read
    while the piece is in cache)."""
    if not open_.any():
        out[:] = False
        return False
    if fixed is not None and fixed[0][q].all():  # each row's range: its parameter's
        return bool(np.logical_and(open_, fixed[1][q], out=out).any())
    if scale is not None:
        open_ &= ~np.isnan(scale)
    misfit = _misfits(q, lln, uln, value, scale, windows)
    return bool(np.logical_and(open_, misfit, out=out).any())


def _fixed_misfits(
    ranges: tuple[np.ndarray, np.ndarray] | None, windows: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray] | None:
    """Per parameter (a last element for parameter -1): whether all its rows hold one range
    (``ranges``: that LLN and ULN, NaN where rows differ), and whether that range lies
    outside the parameter's windows (:func:`_misfits` of the one range, read for each row)."""
    if ranges is None:
        return None
    fixed = ~np.isnan(ranges[0]) & ~np.isnan(ranges[1])  # last (parameter -1): False
    every = np.arange(len(fixed))
    every[-1] = -1
    return fixed, _misfits(every, ranges[0], ranges[1], ranges[0], None, windows)


def _misfits(
    q: np.ndarray,
    lln: np.ndarray,
    uln: np.ndarray,
    value: np.ndarray,
    scale: np.ndarray | None,
    windows: list[np.ndarray],
) -> np.ndarray:
    """Rows whose range (where both bounds are given), else value, times ``scale`` (None: 1
    on every row, no product taken: ``x * 1.0`` is ``x``) lies outside their parameter's
    windows (:func:`_check_windows`: LLN low/high, ULN low/high, value low/high per parameter
    ``q``). A NaN compares False both ways, so it is never outside (the windows are numbers
    or infinite, never NaN); each side is compared only where some row needs it."""
    lln_lo, lln_hi, uln_lo, uln_hi, val_lo, val_hi = windows
    x, y, w = (lln, uln, value) if scale is None else (lln * scale, uln * scale, value * scale)
    has_range = ~np.isnan(lln)
    has_range &= ~np.isnan(uln)
    every_range = bool(has_range.all())
    some_range = every_range or bool(has_range.any())
    if some_range:
        out: np.ndarray = (x < lln_lo[q]) | (x > lln_hi[q]) | (y < uln_lo[q]) | (y > uln_hi[q])
        if every_range:
            return out
    value_out: np.ndarray = (w < val_lo[q]) | (w > val_hi[q])
    return np.where(has_range, out, value_out) if some_range else value_out


def _check_windows(names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per parameter (and a last row for no parameter): ``[checked, lln lo, lln hi, uln lo,
    uln hi]`` of its ``reference`` windows and ``[lo, hi]`` of its ``expected`` window,
    -inf..inf where it has none; ``checked`` is NaN for a parameter with neither."""
    reg = registry()
    inf = np.inf
    lows = np.array([[np.nan, -inf, inf, -inf, inf]] * (len(names) + 1))
    highs = np.array([[-inf, inf]] * (len(names) + 1))
    for i, code in enumerate(names):
        param = reg.parameters[code]
        if param.reference is None and param.expected is None:
            continue
        lows[i, 0] = 1.0
        if param.reference is not None:
            (a, b), (c, d) = param.reference
            lows[i, 1:] = a, b, c, d
        if param.expected is not None:
            highs[i] = param.expected
    return lows, highs


def sibling_ranges(
    skip: Skips,
    param_index: np.ndarray,
    names: list[str],
    lln: np.ndarray,
    uln: np.ndarray,
    scale: np.ndarray,
    ok_unit: np.ndarray | None,
    *,
    counts: np.ndarray | None = None,
    ranges: tuple[np.ndarray, np.ndarray] | None = None,
    threads: int = 1,
) -> None:
    """Rows whose reference range fits the parameter's ``range_sibling`` and not the
    parameter itself (``parameters.yaml``): ionized calcium sent as "Calcium" with its range
    1.12-1.32 mmol/L is not graded as total calcium (reason ``unit_mismatch``). ``ok_unit``:
    the rows whose unit is usable (None: every row's). ``counts``:
    the rows per parameter, unknown first (:class:`~aegrade.criteria.units.RowUnits`), so
    that a parameter without rows is not looked for (None: each is). ``ranges``: per
    parameter the LLN and ULN every row of it holds, times its scale (NaN: rows differ; as
    :func:`unit_mismatches` takes them), so that a parameter whose one range fits it is not
    looked for either. ``threads``: the rows of such parameters found in blocks side by side
    (:mod:`aegrade.threads`).

    >>> skip = Skips(2)
    >>> sibling_ranges(skip, np.array([0, 0]), ["CA", "CAION"], np.array([1.12, 2.2]),
    ...                np.array([1.32, 2.6]), np.ones(2), np.ones(2, bool))
    >>> got = skip.texts(np.arange(2))
    >>> print(got[0].removeprefix("not graded: ")), got[1]
    unit_mismatch (range 1.12-1.32 fits ionized calcium (CAION), not CA: map the test to CAION)
    (None, None)
    """
    reg = registry()
    checked = []
    for i, code in enumerate(names):
        param = reg.parameters[code]
        sibling = reg.parameters.get(param.range_sibling or "")
        if sibling is None or param.reference is None or sibling.reference is None:
            continue
        if counts is not None and not counts[i + 1]:
            continue  # no row of this parameter
        if ranges is not None and _one_range_fits(param, sibling, ranges[0][i], ranges[1][i]):
            continue  # every row holds one range, and it fits the parameter or not the sibling
        checked.append((i, param, sibling))
    if not checked:
        return

    def open_with_range(at: np.ndarray) -> np.ndarray:
        # the parameter's rows disjoint from the others': _set below never changes another's
        keep = ~skip.mask[at] & ~np.isnan(lln[at]) & ~np.isnan(uln[at])
        if ok_unit is not None:
            keep &= ok_unit[at]
        out: np.ndarray = at[keep]
        return out

    rows = _rows_of(param_index, [i for i, _, _ in checked], threads, open_with_range)
    for (_, param, sibling), at in zip(checked, rows, strict=True):
        if at.size == 0:  # the open rows of the parameter, with a range
            continue
        lo, hi = lln[at] * scale[at], uln[at] * scale[at]
        own = _range_fits(param, 1.0, lo, hi)
        other = _range_fits(sibling, 1.0, lo, hi)
        wrong_at = ~own & other
        if not wrong_at.any():
            continue
        wrong = np.zeros(len(param_index), bool)
        wrong[at] = wrong_at
        where = at[wrong_at]  # the messages of those rows only (_set reads no other)
        fmt = np.vectorize(lambda x: f"{x:g}", otypes=[object])
        text = np.full(len(param_index), None, dtype=object)
        text[where] = (
            "range "
            + pd.Series(fmt(lln[where]), dtype="string")
            + "-"
            + pd.Series(fmt(uln[where]), dtype="string")
            + f" fits {sibling.name.lower()} ({sibling.code}), not {param.code}: "
            f"map the test to {sibling.code}"
        ).to_numpy(dtype=object)
        _set(skip, wrong, Reason.UNIT_MISMATCH, text)


def _one_range_fits(param: Parameter, sibling: Parameter, lln: float, uln: float) -> bool:
    """Whether the one range (LLN and ULN, numbers) of every row of ``param`` leaves them
    graded: it fits the parameter, or does not fit the sibling (False where not one range)."""
    if np.isnan(lln) or np.isnan(uln):
        return False
    lo, hi = np.array([lln]), np.array([uln])
    return bool(_range_fits(param, 1.0, lo, hi)[0] or not _range_fits(sibling, 1.0, lo, hi)[0])


def _rows_of(
    param_index: np.ndarray,
    wanted: list[int],
    threads: int,
    keep: Callable[[np.ndarray], np.ndarray] | None = None,
) -> list[np.ndarray]:
    """Per parameter index in ``wanted``, its rows in row order (blocks of rows searched on
    ``threads`` threads, then joined in order); ``keep``: those of a block's rows to keep."""
    n = len(param_index)
    parts = row_blocks(n, threads, n)
    number = {part.start: k for k, part in enumerate(parts)}
    found: list[list[np.ndarray]] = [[] for _ in parts]

    def block(part: slice) -> None:
        p = param_index[part]
        at = [np.flatnonzero(p == i) + part.start for i in wanted]
        found[number[part.start]] = at if keep is None else [keep(a) for a in at]

    run_blocks(block, parts, threads)
    return [
        np.concatenate([f[k] for f in found]) if found else np.zeros(0, np.intp)
        for k in range(len(wanted))
    ]


def _range_fits(param: Parameter, factor: float, lln: np.ndarray, uln: np.ndarray) -> np.ndarray:
    """The LLN and ULN, multiplied by ``factor``, lie where laboratories put them."""
    ok = np.ones(len(lln), bool)
    if param.reference is not None:
        for x, (lo, hi) in ((lln * factor, param.reference[0]), (uln * factor, param.reference[1])):
            ok &= np.isnan(x) | ((x >= lo) & (x <= hi))
    return ok


def _value_fits(param: Parameter, factor: float, value: np.ndarray, normal: bool) -> np.ndarray:
    """The value, multiplied by ``factor``, is in the ``expected`` window (``normal``: also
    between the lowest LLN and the highest ULN)."""
    v = value * factor
    ok = np.isnan(v) | True
    if param.expected is not None:
        ok &= np.isnan(v) | ((v >= param.expected[0]) & (v <= param.expected[1]))
    if normal and param.reference is not None:
        ok &= (v >= param.reference[0][0]) & (v <= param.reference[1][1])
    out: np.ndarray = ok
    return out


def _mismatch_rows(
    skip: Skips,
    rows: np.ndarray,
    param: Parameter,
    unit: pd.Series,
    unit_key: np.ndarray,
    scale: np.ndarray,
    raw_value: np.ndarray,
    lln: np.ndarray,
    uln: np.ndarray,
) -> None:
    reg = registry()
    choices = {param.unit: 1.0, **{u: c.scale for u, c in param.conversions.items()}}
    v, lo, hi, scale_of = raw_value[rows], lln[rows], uln[rows], scale[rows]
    has_range = ~np.isnan(lo) & ~np.isnan(hi)  # one bound alone is too weak a witness
    own = ~np.isnan(scale_of)
    bad_range = own & has_range & ~_range_fits(param, 1.0, lo * scale_of, hi * scale_of)
    bad_value = own & ~has_range & ~_value_fits(param, 1.0, v * scale_of, normal=False)
    bad = bad_range | bad_value
    if not bad.any():
        return
    names = np.array([*reg.unit_names, ""], dtype=object)
    canon = names[np.where(unit_key[rows] >= 0, unit_key[rows], len(reg.unit_names))]
    suspect = np.full(len(rows), "", dtype=object)
    for name, factor in choices.items():
        fits = np.where(
            has_range,
            _range_fits(param, factor, lo, hi) & _value_fits(param, factor, v, normal=False),
            _value_fits(param, factor, v, normal=True),
        )
        suspect[bad & (suspect == "") & (canon != name) & fits] = name
    # only where another unit of the analyte fits: a range or value that fits no unit is
    # left to the plausibility check (and test ranges such as 0-40 stay as given)
    found = bad & (suspect != "")
    if not found.any():
        return
    rows, v, lo, hi = rows[found], v[found], lo[found], hi[found]
    has_range, canon, suspect = has_range[found], canon[found], suspect[found]
    units = unit.iloc[rows].astype("string").str.strip().fillna("").reset_index(drop=True)
    fmt = np.vectorize(lambda x: "" if np.isnan(x) else f"{x:g}", otypes=[object])
    rng = np.where(
        has_range,
        (
            " with range "
            + pd.Series(fmt(lo), dtype="string")
            + "-"
            + pd.Series(fmt(hi), dtype="string")
        )
        .fillna("")
        .to_numpy(dtype=object),
        "",
    )
    text = (
        f"{param.code} "
        + pd.Series(fmt(v), dtype="string")
        + " '"
        + units
        + "'"
        + pd.Series(rng, dtype="string")
        + " does not fit "
        + pd.Series(canon, dtype="string")
        + pd.Series("; it fits " + suspect.astype(str), dtype="string")
    ).to_numpy(dtype=object)
    mask = np.zeros(skip.n, bool)
    mask[rows] = True
    msg = np.full(skip.n, None, dtype=object)
    msg[rows] = text
    _set(skip, mask, Reason.UNIT_MISMATCH, msg)


def _property_mismatch(
    skip: Skips, loinc: LoincColumns, unit: pd.Series, ok_unit: np.ndarray
) -> None:
    """A mass unit on a substance-concentration LOINC code (or the reverse)."""
    props = lab_vocabulary().property_units
    reg = registry()
    codes, uniques = factorize(unit.astype("string").str.strip())
    canon = np.array([reg.canonical_unit(u) for u in uniques] + [None], dtype=object)[codes]
    for prop, units in props.items():
        others = set().union(*(u for p, u in props.items() if p != prop))
        wrong = (
            ok_unit
            & (loinc.property == prop)
            & pd.Series(canon, dtype=object).isin(others - units).to_numpy(bool)
        )
        msg = (
            "unit '"
            + pd.Series(canon, dtype="string").fillna("")
            + f"' does not fit LOINC property {prop} of the row's code"
        )
        _set(skip, wrong, Reason.UNIT_MISMATCH, msg.to_numpy(dtype=object))
