"""Evaluation of the criteria predicate vocabulary over whole columns.

Each condition evaluates to two boolean arrays: ``true`` (it holds) and ``known`` (the inputs
it needs are present, so its truth is decided). Conjunction and disjunction follow Kleene's
three-valued logic, so a missing LLN blocks only what needs the LLN. No Python loop runs per
row: every function here works on numpy arrays of a whole parameter group.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from aegrade.criteria.ctcae import Anticoagulation, BaselineStatus, Clause, Compare, Condition

__all__ = [
    "REL_TOL",
    "Rows",
    "Truth",
    "assume",
    "compare",
    "eval_anticoagulation",
    "eval_baseline",
    "eval_clause",
    "eval_compare",
    "eval_condition",
    "run_elapsed",
    "specimen_mismatch",
    "uses",
]

#: Relative tolerance of every comparison: values equal to about 12 significant digits compare
#: equal, so 1.5 x 65.3 (97.94999999999999 in binary) equals 97.95, as admiral's 15-digit
#: rounding intends, while no real lab value is affected.
REL_TOL = 1e-12

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Truth = tuple[BoolArray, BoolArray]  # (true, known)


class Rows:
    """The columns of one parameter group (canonical units), gathered lazily on first use.

    ``source`` holds full-length arrays as attributes (value, lln, uln, baseline, pchg,
    unit_code, scale, offset, baseline_flag, time, subject, anticoagulated); ``idx`` selects
    the group's rows (an index array, or a slice of columns already in group order).
    ``anticoagulated`` is 1.0 on, 0.0 not, NaN not recorded (or None); ``specimen`` the
    row's specimen text (None: no specimen column).
    ``unit_code`` indexes the registry's canonical units (-1 unknown); ``baseline_flag`` is 1.0
    where the indicator says the baseline is high, 0.0 where it says not, NaN where not given.

    Examples
    --------
    >>> import numpy as np
    >>> rows = Rows(value=np.array([1.0, 2.0, 3.0]))
    >>> rows.value
    array([1., 2., 3.])
    """

    # declared, not assigned: a field is looked up in ``source`` on first use (__getattr__)
    value: FloatArray
    lln: FloatArray
    uln: FloatArray
    baseline: FloatArray
    pchg: FloatArray
    unit_code: npt.NDArray[np.integer[Any]]
    scale: FloatArray
    offset: FloatArray
    baseline_flag: FloatArray | None
    time: FloatArray | None
    subject: npt.NDArray[Any] | None
    anticoagulated: FloatArray | None
    specimen: npt.NDArray[Any] | None

    _FIELDS = (
        "value",
        "lln",
        "uln",
        "baseline",
        "pchg",
        "unit_code",
        "scale",
        "offset",
        "baseline_flag",
        "time",
        "subject",
        "anticoagulated",
        "specimen",
    )

    def __init__(
        self,
        source: object | None = None,
        idx: npt.NDArray[np.intp] | slice | None = None,
        **arrays: npt.NDArray[Any] | None,
    ) -> None:
        self._source, self._idx = source, idx
        #: columns the caller knows to hold one number on every row of the group (set by
        #: the compiled engine: one laboratory's range), so that it is not searched for
        self.constants: dict[str, float] = {}
        self.__dict__.update(arrays)

    def __getattr__(self, name: str) -> npt.NDArray[Any] | None:
        if name not in Rows._FIELDS or self._source is None:
            raise AttributeError(name)
        full = getattr(self._source, name, None)
        value: npt.NDArray[Any] | None = (
            None if full is None else (full if self._idx is None else full[self._idx])
        )
        self.__dict__[name] = value
        return value


def assume(rows: Rows, anticoagulated: float) -> Rows:
    """The same rows with ``anticoagulated`` taken as given where it is not recorded.

    Parameters
    ----------
    rows
        A parameter group.
    anticoagulated
        1.0 (on anticoagulation) or 0.0 (not), filled where the flag is NaN or absent.

    Returns
    -------
    Rows
        A view sharing every other column.

    Examples
    --------
    >>> import numpy as np
    >>> rows = Rows(value=np.array([1.0, 2.0]), anticoagulated=np.array([0.0, np.nan]))
    >>> assume(rows, 1.0).anticoagulated
    array([0., 1.])
    """
    flag: FloatArray | None = getattr(rows, "anticoagulated", None)
    if flag is None:
        flag = np.full(len(rows.value), np.nan)
    arrays = {k: v for k, v in rows.__dict__.items() if k in Rows._FIELDS}
    arrays["anticoagulated"] = np.where(np.isnan(flag), anticoagulated, flag)
    return Rows(rows._source, rows._idx, **arrays)


def compare(op: str, lhs: FloatArray, rhs: FloatArray | np.float64) -> BoolArray:
    """``lhs op rhs`` with the relative tolerance; NaN on either side gives False.

    Parameters
    ----------
    op
        ``"lt"``, ``"le"``, ``"gt"`` or ``"ge"``.
    lhs, rhs
        Values compared element by element (``rhs`` may be a scalar).

    Returns
    -------
    numpy.ndarray
        Boolean, where the comparison holds.

    Raises
    ------
    ValueError
        For any other ``op``.

    Examples
    --------
    >>> import numpy as np
    >>> compare("le", np.array([1.5 * 65.3, 98.0, np.nan]), np.float64(97.95))
    array([ True, False, False])
    """
    tol = np.abs(rhs) * REL_TOL
    if op == "lt":
        return lhs < rhs - tol
    if op == "le":
        return lhs <= rhs + tol
    if op == "gt":
        return lhs > rhs + tol
    if op == "ge":
        return lhs >= rhs - tol
    raise ValueError(f"unknown comparison {op!r}")


def _per_unit(
    spec: float | dict[str, float], canonical: str, rows: Rows, units: list[str], *, affine: bool
) -> FloatArray | float:
    """A cut-off in canonical units, with CTCAE's own number for rows in another printed unit.

    The row's value was converted as (x + offset) * scale; the unit-specific number goes through
    the same arithmetic, so a value equal to CTCAE's printed cut-off stays equal after conversion.
    """
    if not isinstance(spec, dict):
        return float(spec)
    base = float(spec[canonical]) if canonical in spec else None
    out = np.full(len(rows.value), np.nan if base is None else base)
    for unit, number in spec.items():
        if unit == canonical or unit not in units:
            continue
        mask = rows.unit_code == units.index(unit)
        if mask.any():
            shift: FloatArray | float = rows.offset[mask] if affine else 0.0
            out[mask] = (float(number) + shift) * rows.scale[mask]
    return out


def _column(rows: Rows, name: str) -> FloatArray:
    """One of the group's numeric columns by its criteria name (gathered only when read)."""
    if name not in ("value", "lln", "uln", "baseline", "pchg"):
        raise KeyError(name)
    column: FloatArray = getattr(rows, name)
    return column


def _percent(threshold: float | dict[str, float]) -> float:
    """A percent-change cut-off: one number, never per unit."""
    if isinstance(threshold, dict):
        raise TypeError(f"a pchg threshold is one number, not per unit: {threshold!r}")
    return float(threshold)


def eval_compare(cond: Compare, rows: Rows, canonical: str, units: list[str]) -> Truth:
    """Evaluate one comparison over the group.

    Parameters
    ----------
    cond
        The comparison: ``lhs`` (value, baseline, pchg) ``op`` a reference times ``factor``
        plus ``offset``, or an absolute ``threshold``; optionally ``sustained_hours``.
    rows
        The parameter group's columns, in the entry's canonical unit.
    canonical
        The entry's canonical unit; a per-unit threshold's number for it is used as is.
    units
        The unit registry's unit names (``rows.unit_code`` indexes them).

    Returns
    -------
    tuple of numpy.ndarray
        ``(true, known)``: the comparison holds; both sides are present.

    Examples
    --------
    >>> import numpy as np
    >>> from aegrade.criteria.ctcae import Compare
    >>> cond = Compare(op="gt", ref="uln", factor=2.0)
    >>> rows = Rows(value=np.array([100.0, 200.0]), uln=np.array([40.0, np.nan]))
    >>> eval_compare(cond, rows, "U/L", [])
    (array([ True, False]), array([ True, False]))
    """
    lhs = _column(rows, cond.lhs)
    if cond.ref == "absolute":
        assert cond.threshold is not None
        # pchg thresholds are percentages: no unit conversion applies to them
        rhs = (
            np.full(len(lhs), _percent(cond.threshold))
            if cond.lhs == "pchg"
            else np.broadcast_to(
                _per_unit(cond.threshold, canonical, rows, units, affine=True), lhs.shape
            )
        )
    else:
        ref = _column(rows, cond.ref)
        rhs = ref * cond.factor
        if cond.offset is not None:
            rhs = rhs + _per_unit(cond.offset, canonical, rows, units, affine=False)
    known = ~np.isnan(lhs) & ~np.isnan(rhs)
    true = compare(cond.op, lhs, rhs)
    if cond.sustained_hours is not None:
        return _sustained(true, known, rows, cond.sustained_hours, cond.max_gap_hours)
    return true, known


def _sustained(
    true: BoolArray, known: BoolArray, rows: Rows, hours: float, max_gap: float | None
) -> Truth:
    """Hold only where consecutive readings that all satisfy the comparison span > ``hours``.

    With ``max_gap`` the readings must also be at most that many hours apart; a run that spans
    more than ``hours`` only across a longer gap is undecided (the duration cannot be shown).
    """
    elapsed = run_elapsed(true, rows)
    long_enough = elapsed > hours / 24.0
    undecided = true & np.isnan(elapsed)
    if max_gap is None:
        return true & long_enough, (known & ~undecided)
    strict = run_elapsed(true, rows, max_gap_hours=max_gap) > hours / 24.0
    undecided |= true & long_enough & ~strict
    return true & strict, (known & ~undecided)


def run_elapsed(flag: BoolArray, rows: Rows, *, max_gap_hours: float | None = None) -> FloatArray:
    """Days since the start of the run of consecutive flagged readings each row belongs to.

    Readings are ordered per subject by time (ties by value, so input order never matters);
    readings without a value are skipped. NaN where the row has no time or is not flagged.
    With ``max_gap_hours`` a run also ends where two consecutive readings are more than that
    many hours apart.

    Parameters
    ----------
    flag
        Where the reading satisfies the condition.
    rows
        Needs ``value``, ``time`` (days) and ``subject``; without time or subject every row
        is NaN.
    max_gap_hours
        Longest gap between two readings of one run (None: no limit).

    Returns
    -------
    numpy.ndarray
        Float days, row-aligned with ``flag``.

    Examples
    --------
    >>> import numpy as np
    >>> rows = Rows(
    ...     value=np.array([39.0, 39.2, 37.0, 39.5]),
    ...     time=np.array([0.0, 0.5, 1.0, 1.5]),
    ...     subject=np.array([0, 0, 0, 0]),
    ... )
    >>> run_elapsed(rows.value >= 38.0, rows)
    array([0. , 0.5, nan, 0. ])
    >>> run_elapsed(rows.value >= 38.0, rows, max_gap_hours=6)
    array([ 0.,  0., nan,  0.])
    """
    n = len(flag)
    out = np.full(n, np.nan)
    if rows.time is None or rows.subject is None or n == 0:
        return out
    usable = ~np.isnan(rows.value) & ~np.isnan(rows.time)
    idx = np.flatnonzero(usable)
    if idx.size == 0:
        return out
    order = idx[np.lexsort((rows.value[idx], rows.time[idx], rows.subject[idx]))]
    f = flag[order]
    subj = rows.subject[order]
    t = rows.time[order]
    new_subject = np.r_[True, subj[1:] != subj[:-1]]
    starts = f & (new_subject | ~np.r_[False, f[:-1]])
    if max_gap_hours is not None:
        gap = np.r_[0.0, np.diff(t)]
        limit = max_gap_hours / 24.0
        starts |= f & (gap > limit + abs(limit) * REL_TOL)
    if not starts.any():
        return out
    run_id = np.cumsum(starts)
    start_time = t[np.flatnonzero(starts)]
    elapsed = np.where(f, t - start_time[np.maximum(run_id, 1) - 1], np.nan)
    out[order] = elapsed
    return out


def specimen_mismatch(rows: Rows, specimen: str) -> BoolArray:
    """Rows whose specimen column names a specimen other than ``specimen`` (case-insensitive).

    Parameters
    ----------
    rows
        A parameter group; ``specimen`` holds the row's specimen text, or is None (no column).
    specimen
        The specimen the criteria entry grades (``"urine"``).

    Returns
    -------
    numpy.ndarray
        Boolean; False everywhere without a specimen column, and where the cell is empty.

    Examples
    --------
    >>> import numpy as np
    >>> rows = Rows(value=np.zeros(4), specimen=np.array(["URINE", "serum", None, ""], object))
    >>> specimen_mismatch(rows, "urine")
    array([False,  True, False, False])
    """
    given: npt.NDArray[Any] | None = getattr(rows, "specimen", None)
    if given is None:
        return np.zeros(len(rows.value), bool)
    text = pd.Series(given, dtype="string").str.strip().str.lower()
    named = text.notna() & (text != "")
    return (named & (text != specimen.strip().lower())).to_numpy(dtype=bool, na_value=False)


def eval_baseline(cond: BaselineStatus, rows: Rows) -> Truth:
    """Baseline abnormal (above ULN): by the indicator when given, else baseline > ULN.

    ``below_lln``/``not_below_lln`` ask the same of a low baseline (indicator LOW, else
    baseline < LLN; a row without a baseline has no low baseline).

    Parameters
    ----------
    cond
        ``baseline: above_uln`` or ``baseline: not_above_uln``.
    rows
        Needs ``baseline``, ``uln`` and ``baseline_flag`` (1.0 high, 0.0 not, NaN not given).

    Returns
    -------
    tuple of numpy.ndarray
        ``(true, known)``. A row without a baseline counts as a normal baseline.

    Examples
    --------
    >>> import numpy as np
    >>> from aegrade.criteria.ctcae import BaselineStatus
    >>> rows = Rows(
    ...     baseline=np.array([50.0, 10.0, np.nan]),
    ...     uln=np.array([40.0, 40.0, 40.0]),
    ...     baseline_flag=np.array([np.nan, 1.0, np.nan]),
    ... )
    >>> eval_baseline(BaselineStatus(baseline="above_uln"), rows)
    (array([ True,  True, False]), array([ True,  True,  True]))
    """
    low = cond.baseline in ("below_lln", "not_below_lln")
    beyond, known = _baseline_beyond(
        rows, -1.0 if low else 1.0, "lt" if low else "gt", rows.lln if low else rows.uln
    )
    wanted = beyond if cond.baseline in ("above_uln", "below_lln") else ~beyond
    return wanted & known, known


def _baseline_beyond(rows: Rows, flag: float, op: str, limit: FloatArray) -> Truth:
    """Whether the baseline lies beyond ``limit`` (``op``: gt for above ULN, lt for below LLN),
    decided by the indicator when given (``flag``: 1.0 HIGH, -1.0 LOW), else by the value; a
    subject without a baseline counts as normal (the limit multiples apply)."""
    no_baseline = np.isnan(rows.baseline)
    given: FloatArray | None = getattr(rows, "baseline_flag", None)
    if given is None:  # no indicator given anywhere: by the value
        beyond = compare(op, rows.baseline, limit)
        return beyond & ~no_baseline, no_baseline | ~np.isnan(limit)
    by_flag = ~np.isnan(given)
    beyond = np.where(by_flag, given == flag, compare(op, rows.baseline, limit))
    known = by_flag | no_baseline | ~np.isnan(limit)
    return beyond & ~(~by_flag & no_baseline), known


def eval_anticoagulation(cond: Anticoagulation, rows: Rows) -> Truth:
    """Whether the subject is (or is not) on anticoagulation; unknown where not recorded.

    Parameters
    ----------
    cond
        ``anticoagulated: true`` or ``anticoagulated: false``.
    rows
        Needs ``anticoagulated`` (1.0 on, 0.0 not, NaN not recorded; None: nowhere recorded).

    Returns
    -------
    tuple of numpy.ndarray
        ``(true, known)``.

    Examples
    --------
    >>> import numpy as np
    >>> from aegrade.criteria.ctcae import Anticoagulation
    >>> rows = Rows(value=np.zeros(3), anticoagulated=np.array([1.0, 0.0, np.nan]))
    >>> eval_anticoagulation(Anticoagulation(anticoagulated=True), rows)
    (array([ True, False, False]), array([ True,  True, False]))
    """
    flag: FloatArray | None = getattr(rows, "anticoagulated", None)
    if flag is None:
        flag = np.full(len(rows.value), np.nan)
    known = ~np.isnan(flag)
    return (flag == (1.0 if cond.anticoagulated else 0.0)) & known, known


def eval_condition(cond: Condition, rows: Rows, canonical: str, units: list[str]) -> Truth:
    """Dispatch on the condition kind: :func:`eval_compare`, :func:`eval_baseline` or
    :func:`eval_anticoagulation`.

    Parameters
    ----------
    cond
        A :class:`~aegrade.criteria.ctcae.Compare` or a baseline-status condition.
    rows, canonical, units
        As for :func:`eval_compare`.

    Returns
    -------
    tuple of numpy.ndarray
        ``(true, known)``.

    Examples
    --------
    >>> import numpy as np
    >>> from aegrade.criteria.ctcae import Compare
    >>> rows = Rows(value=np.array([0.4, 1.2]))
    >>> eval_condition(Compare(op="lt", ref="absolute", threshold=0.5), rows, "10^9/L", [])
    (array([ True, False]), array([ True,  True]))
    """
    if isinstance(cond, Compare):
        return eval_compare(cond, rows, canonical, units)
    if isinstance(cond, Anticoagulation):
        return eval_anticoagulation(cond, rows)
    return eval_baseline(cond, rows)


def eval_clause(clause: Clause, rows: Rows, canonical: str, units: list[str]) -> Truth:
    """Kleene conjunction of the clause's conditions.

    Parameters
    ----------
    clause
        A criteria clause: every condition in ``clause.all`` must hold.
    rows
        The parameter group's columns, in the entry's canonical unit.
    canonical
        The entry's canonical unit (e.g. ``"10^9/L"``).
    units
        The unit registry's unit names (``unit_code`` indexes them).

    Returns
    -------
    tuple of numpy.ndarray
        ``(true, known)``: the clause holds; its truth is decided (all conditions known, or one
        known to be false).

    Examples
    --------
    >>> import numpy as np
    >>> from aegrade.criteria.ctcae import Clause
    >>> clause = Clause.model_validate({"op": "lt", "ref": "lln"})
    >>> rows = Rows(value=np.array([1.0, 5.0, 1.0]), lln=np.array([2.0, 2.0, np.nan]))
    >>> eval_clause(clause, rows, "10^9/L", [])
    (array([ True, False, False]), array([ True,  True, False]))
    """
    if not clause.all:
        raise ValueError("a clause needs at least one condition")
    true, known = eval_condition(clause.all[0], rows, canonical, units)
    false_known = known & ~true
    for cond in clause.all[1:]:
        t, k = eval_condition(cond, rows, canonical, units)
        true = true & t
        known = known & k
        false_known = false_known | (k & ~t)
    return true, known | false_known


def uses(clause: Clause) -> set[str]:
    """The inputs a clause reads: lln, uln, baseline, pchg, time, baseline_status,
    anticoagulated.

    Parameters
    ----------
    clause
        A criteria clause.

    Returns
    -------
    set of str
        The inputs whose absence can leave the clause undecided.

    Examples
    --------
    >>> from aegrade.criteria.ctcae import Clause
    >>> sorted(uses(Clause.model_validate({"op": "gt", "ref": "baseline", "factor": 2.0})))
    ['baseline']
    """
    needed: set[str] = set()
    for cond in clause.all:
        if isinstance(cond, BaselineStatus):
            needed.add("baseline_status")
            continue
        if isinstance(cond, Anticoagulation):
            needed.add("anticoagulated")
            continue
        if cond.ref in ("lln", "uln", "baseline"):
            needed.add(cond.ref)
        if cond.lhs in ("baseline", "pchg"):
            needed.add(cond.lhs)
        if cond.sustained_hours is not None:
            needed.add("time")
    return needed
