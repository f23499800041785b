"""Evaluation of the criteria predicate vocabulary over whole columns.

Each condition evaluates to two boolean arrays: ``true`` (it holds) and ``known`` (the inputs
it needs are present, so its truth is decided). Conjunction and disjunction follow Kleene's
three-valued logic, so a missing LLN blocks only what needs the LLN. No Python loop runs per
row: every function here works on numpy arrays of a whole parameter group.
"""

from __future__ import annotations

import numpy as np

from aegrade.criteria.ctcae import BaselineStatus, Clause, Compare, Condition

#: Relative tolerance of every comparison: values equal to about 12 significant digits compare
#: equal, so 1.5 x 65.3 (97.94999999999999 in binary) equals 97.95, as admiral's 15-digit
#: rounding intends, while no real lab value is affected.
REL_TOL = 1e-12

Truth = tuple[np.ndarray, np.ndarray]  # (true, known)


class Rows:
    """The columns of one parameter group (canonical units), gathered lazily on first use.

    ``source`` holds full-length arrays as attributes (value, lln, uln, baseline, pchg,
    unit_code, scale, offset, baseline_flag, time, subject); ``idx`` selects the group's rows.
    ``unit_code`` indexes the registry's canonical units (-1 unknown); ``baseline_flag`` is 1.0
    where the indicator says the baseline is high, 0.0 where it says not, NaN where not given.
    """

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
    )

    def __init__(
        self,
        source: object | None = None,
        idx: np.ndarray | None = None,
        **arrays: np.ndarray | None,
    ) -> None:
        self._source, self._idx = source, idx
        self.__dict__.update(arrays)

    def __getattr__(self, name: str) -> np.ndarray | None:
        if name not in Rows._FIELDS or self._source is None:
            raise AttributeError(name)
        full = getattr(self._source, name)
        value = None if full is None else (full if self._idx is None else full[self._idx])
        self.__dict__[name] = value
        return value


def compare(op: str, lhs: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """``lhs op rhs`` with the relative tolerance; NaN on either side gives False."""
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
) -> np.ndarray | float:
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
            shift = rows.offset[mask] if affine else 0.0
            out[mask] = (float(number) + shift) * rows.scale[mask]
    return out


def eval_compare(cond: Compare, rows: Rows, canonical: str, units: list[str]) -> Truth:
    """Evaluate one comparison over the group."""
    lhs = {"value": rows.value, "baseline": rows.baseline, "pchg": rows.pchg}[cond.lhs]
    if cond.ref == "absolute":
        assert cond.threshold is not None
        # pchg thresholds are percentages: no unit conversion applies to them
        rhs = (
            np.full(len(lhs), float(cond.threshold))  # type: ignore[arg-type]
            if cond.lhs == "pchg"
            else np.broadcast_to(
                _per_unit(cond.threshold, canonical, rows, units, affine=True), lhs.shape
            )
        )
    else:
        ref = {"lln": rows.lln, "uln": rows.uln, "baseline": rows.baseline}[cond.ref]
        rhs = ref * cond.factor
        if cond.offset is not None:
            rhs = rhs + _per_unit(cond.offset, canonical, rows, units, affine=False)
    known = ~np.isnan(lhs) & ~np.isnan(rhs)
    true = compare(cond.op, lhs, rhs)
    if cond.sustained_hours is not None:
        return _sustained(true, known, rows, cond.sustained_hours)
    return true, known


def _sustained(true: np.ndarray, known: np.ndarray, rows: Rows, hours: float) -> Truth:
    """Hold only where consecutive readings that all satisfy the comparison span > ``hours``."""
    elapsed = run_elapsed(true, rows)
    long_enough = elapsed > hours / 24.0
    undecided = true & np.isnan(elapsed)
    return true & long_enough, (known & ~undecided)


def run_elapsed(flag: np.ndarray, rows: Rows) -> np.ndarray:
    """Days since the start of the run of consecutive flagged readings each row belongs to.

    Readings are ordered per subject by time (ties by value, so input order never matters);
    readings without a value are skipped. NaN where the row has no time or is not flagged.
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
    if not starts.any():
        return out
    run_id = np.cumsum(starts)
    start_time = t[np.flatnonzero(starts)]
    elapsed = np.where(f, t - start_time[np.maximum(run_id, 1) - 1], np.nan)
    out[order] = elapsed
    return out


def eval_baseline(cond: BaselineStatus, rows: Rows) -> Truth:
    """Baseline abnormal (above ULN): by the indicator when given, else baseline > ULN."""
    by_flag = ~np.isnan(rows.baseline_flag)
    no_baseline = np.isnan(rows.baseline)
    above = compare("gt", rows.baseline, rows.uln)
    abnormal = np.where(by_flag, rows.baseline_flag == 1.0, above)
    known = by_flag | no_baseline | ~np.isnan(rows.uln)
    # a subject without a baseline counts as normal (ULN multiples apply)
    abnormal = abnormal & ~(~by_flag & no_baseline)
    if cond.baseline == "above_uln":
        return abnormal & known, known
    return ~abnormal & known, known


def eval_condition(cond: Condition, rows: Rows, canonical: str, units: list[str]) -> Truth:
    """Dispatch on the condition kind."""
    if isinstance(cond, Compare):
        return eval_compare(cond, rows, canonical, units)
    return eval_baseline(cond, rows)


def eval_clause(clause: Clause, rows: Rows, canonical: str, units: list[str]) -> Truth:
    """Kleene conjunction of the clause's conditions."""
    true: np.ndarray | None = None
    known: np.ndarray | None = None
    false_known: np.ndarray | None = None
    for cond in clause.all:
        t, k = eval_condition(cond, rows, canonical, units)
        fk = k & ~t
        if true is None:
            true, known, false_known = t, k, fk
        else:
            true = true & t
            known = known & k  # type: ignore[operator]
            false_known = false_known | fk  # type: ignore[operator]
    assert true is not None and known is not None and false_known is not None
    return true, known | false_known


def uses(clause: Clause) -> set[str]:
    """The inputs a clause reads: lln, uln, baseline, pchg, time."""
    needed: set[str] = set()
    for cond in clause.all:
        if isinstance(cond, BaselineStatus):
            needed.add("baseline_status")
            continue
        if cond.ref in ("lln", "uln", "baseline"):
            needed.add(cond.ref)
        if cond.lhs in ("baseline", "pchg"):
            needed.add(cond.lhs)
        if cond.sustained_hours is not None:
            needed.add("time")
    return needed
