"""The fast evaluation of one CTCAE entry on one parameter group (issue 15, point 1).

:func:`aegrade.grading.labs.grade_prepared` compiles each criteria version once
(``labs._plan`` is cached per criteria file) and evaluates the common rule shapes here: a
value compared with a fixed threshold (one number, or CTCAE's number per printed unit), with
a multiple of the LLN, ULN or baseline (plus an offset), a percent change, and the baseline
status, alone or joined by ``all``. Entries that read the anticoagulation status, a duration
(``sustained_hours``) or a specimen go through the general evaluator (``labs._evaluate``),
which this module reproduces bit for bit on every shape it accepts
(``tests/grading/test_compiled.py`` compares both on every parameter, unit and direction of
the packaged CTCAE versions).

What makes it cheaper than the general evaluator, with the same arithmetic:

- a threshold that is one number for the whole group is compared as a scalar (no
  full-length threshold, tolerance and NaN temporaries), also a multiple of an LLN or ULN
  that every row of the group shares (one laboratory's range);
- a threshold for another printed unit is skipped without reading the rows' units when the
  caller knows from the (parameter, unit) categories that no row is in that unit;
- whether a column has a missing value is asked once per group, so ``known`` masks are
  built only where something is missing (``None`` stands for "known everywhere");
- a row's result is one label code (the label decides grade, rule and term: tables of the
  compiled plan) and a review flag, written once per group;
- where a group's clauses are comparisons of the value with numbers, nested from the most
  severe grade down and decided everywhere, the label is read from how many hold; where
  they are decided everywhere but not nested, from which hold (one bit per clause);
- a reference column the caller knows to hold one number on every row of the group
  (``Rows.constants``: one laboratory's range) is taken as that number, not searched for;
- a baseline status and its negation share one comparison of the baseline with the limit;
- temporaries are reused across the clauses of a group (``out=``).
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from aegrade.criteria.ctcae import Anticoagulation, BaselineStatus, Clause, Compare, Condition
from aegrade.grading import predicates as P

__all__ = ["EntryRules", "compilable", "evaluate_entry", "missing_label"]

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
#: (true, known); known None: decided on every row of the group
Truth = tuple[BoolArray, BoolArray | None]

_REF_COLUMNS = ("value", "lln", "uln", "baseline", "pchg")


class EntryRules(Protocol):
    """What the evaluators read of a compiled entry (``labs._EntryPlan``)."""

    @property
    def entry(self) -> Any: ...  # aegrade.criteria.ctcae.Entry

    @property
    def clauses(self) -> list[tuple[int, int, Clause, int, int]]: ...

    @property
    def grade0_label(self) -> int: ...

    @property
    def missing_labels(self) -> dict[str, int]: ...

    @property
    def needs(self) -> set[str]: ...


def compilable(rules: EntryRules) -> bool:
    """Whether :func:`evaluate_entry` grades this entry (else the general evaluator does).

    Parameters
    ----------
    rules
        A compiled entry: its criteria ``entry``, ``clauses`` and ``needs``.

    Returns
    -------
    bool
        False for an entry with a specimen, an anticoagulation condition or a duration.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from aegrade.criteria.ctcae import Clause
    >>> clause = Clause.model_validate({"op": "lt", "ref": "lln"})
    >>> rules = SimpleNamespace(entry=SimpleNamespace(specimen=None), needs={"lln"},
    ...                         clauses=[(1, -1, clause, 0, 0)])
    >>> compilable(rules)
    True
    """
    if rules.entry.specimen is not None or "anticoagulated" in rules.needs:
        return False
    for _, _, clause, _, _ in rules.clauses:
        if not clause.all:
            return False  # the general evaluator names the problem
        for cond in clause.all:
            if isinstance(cond, Anticoagulation):
                return False
            if isinstance(cond, Compare) and cond.sustained_hours is not None:
                return False
    return True


class _Group:
    """One parameter group's columns with their missing-value masks, each computed once."""

    def __init__(
        self,
        rows: P.Rows,
        canonical: str,
        units: list[str],
        present: frozenset[int] | None = None,
    ) -> None:
        self.rows, self.canonical, self.units = rows, canonical, units
        self.present = present  # the unit codes of the group's rows (None: not known)
        self.n = len(rows.value)
        self._nan: dict[str, BoolArray | None] = {}
        self._finite: dict[str, bool] = {}
        self._baseline: dict[str, Truth] = {}
        self._unit_rows: dict[str, BoolArray | None] = {}
        self._constant: dict[str, float | None] = {}
        self._known: dict[str, BoolArray | None] = {}
        #: the threshold of each comparison that was compared as one number (by id)
        self.scalar: dict[int, np.float64] = {}
        # columns the caller knows to hold one number on every row of the group (a number)
        for name, number in rows.constants.items():
            self._constant[name] = float(number)
            self._nan[name] = None
            self._finite[name] = bool(np.isfinite(number))
        self._beyond: dict[bool, Truth] = {}

    def constant(self, name: str) -> float | None:
        """The column's one number when every row of the group holds it (None otherwise, and
        where a row is NaN): one laboratory's reference range, a threshold then a scalar."""
        if name not in self._constant:
            column = self.column(name)
            lo, hi = column.min(), column.max()  # NaN anywhere: both NaN, never equal
            self._constant[name] = float(lo) if lo == hi else None
        return self._constant[name]

    def column(self, name: str) -> FloatArray:
        out: FloatArray = getattr(self.rows, name)
        return out

    def nan(self, name: str) -> BoolArray | None:
        """Where the column is NaN; None where it never is."""
        if name not in self._nan:
            mask = np.isnan(self.column(name))
            self._nan[name] = mask if mask.any() else None
        return self._nan[name]

    def finite(self, name: str) -> bool:
        """True when every value of the column is finite (a product with it is never NaN)."""
        if name not in self._finite:
            self._finite[name] = bool(np.isfinite(self.column(name)).all())
        return self._finite[name]

    def unit_rows(self, unit: str) -> BoolArray | None:
        """Rows in this printed unit (None: none), as ``predicates._per_unit`` selects them."""
        if unit not in self._unit_rows:
            code = self.units.index(unit)
            if self.present is not None and code not in self.present:
                self._unit_rows[unit] = None  # known from the categories: no row to look at
                return None
            mask = self.rows.unit_code == code
            self._unit_rows[unit] = mask if mask.any() else None
        return self._unit_rows[unit]

    def known(self, name: str) -> BoolArray | None:
        """Where the column is not NaN; None where it never is."""
        if name not in self._known:
            nan = self.nan(name)
            self._known[name] = None if nan is None else ~nan
        return self._known[name]

    def baseline(self, cond: BaselineStatus) -> Truth:
        """``predicates.eval_baseline``, once per status asked; whether the baseline lies
        beyond the limit is found once for a status and its negation (``above_uln`` and
        ``not_above_uln``)."""
        if cond.baseline not in self._baseline:
            low = cond.baseline in ("below_lln", "not_below_lln")
            if low not in self._beyond:
                self._beyond[low] = self._baseline_beyond(low)
            beyond, known = self._beyond[low]  # beyond: only where known
            if cond.baseline in ("above_uln", "below_lln"):
                true = beyond
            else:
                true = ~beyond if known is None else known & ~beyond
            self._baseline[cond.baseline] = (true, known)
        return self._baseline[cond.baseline]

    def _baseline_beyond(self, low: bool) -> Truth:
        """``predicates._baseline_beyond`` for a high (ULN) or low (LLN) baseline, the limit a
        scalar where the group shares one (the same arithmetic on the same number)."""
        name = "lln" if low else "uln"
        same = self.constant(name)
        if same is None or getattr(self.rows, "baseline_flag", None) is not None:
            limit = self.column("lln" if low else "uln")
            beyond, known = P._baseline_beyond(  # same package: the evaluator's own rule
                self.rows, -1.0 if low else 1.0, "lt" if low else "gt", limit
            )
            return beyond & known, None if known.all() else known
        # no indicator given anywhere: by the value against the one limit (never NaN here)
        baseline = self.column("baseline")
        beyond = P.compare("lt" if low else "gt", baseline, np.float64(same))
        no_baseline = self.nan("baseline")
        return (beyond if no_baseline is None else beyond & ~no_baseline), None


def _threshold(g: _Group, spec: float | dict[str, float], *, affine: bool) -> float | FloatArray:
    """``predicates._per_unit``: one number when no row is in another printed unit."""
    if not isinstance(spec, dict):
        return float(spec)
    base = float(spec[g.canonical]) if g.canonical in spec else None
    out: FloatArray | None = None
    for unit, number in spec.items():
        if unit == g.canonical or unit not in g.units:
            continue
        mask = g.unit_rows(unit)
        if mask is None:
            continue
        if out is None:
            out = np.full(g.n, np.nan if base is None else base)
        shift: FloatArray | float = g.rows.offset[mask] if affine else 0.0
        out[mask] = (float(number) + shift) * g.rows.scale[mask]
    if out is not None:
        return out
    return np.nan if base is None else base


def _compare(cond: Compare, g: _Group) -> Truth:
    """``predicates.eval_compare`` (no duration), the threshold a scalar where it can be."""
    lhs = g.column(cond.lhs)
    lhs_nan = g.nan(cond.lhs)
    rhs: float | FloatArray
    may_be_nan = True  # whether the threshold array may hold a NaN
    nan_of_ref = False  # whether it is NaN exactly where the reference column is
    if cond.ref == "absolute":
        assert cond.threshold is not None
        if cond.lhs == "pchg":
            if isinstance(cond.threshold, dict):
                raise TypeError(f"a pchg threshold is one number, not per unit: {cond.threshold!r}")
            rhs = float(cond.threshold)
        else:
            rhs = _threshold(g, cond.threshold, affine=True)
    else:
        same = g.constant(cond.ref)  # one range for the group: the same product, once
        rhs = g.column(cond.ref) * cond.factor if same is None else np.float64(same) * cond.factor
        # a finite non-zero multiple is NaN exactly where the reference is (inf times it is
        # inf): the reference's own mask, found once per group
        nan_of_ref = (
            same is None
            and cond.offset is None
            and bool(np.isfinite(cond.factor))
            and cond.factor != 0
        )
        offset = None if cond.offset is None else _threshold(g, cond.offset, affine=False)
        if offset is not None:
            rhs = rhs + offset
        # a product of finite numbers plus a finite offset is never NaN (it may overflow to inf)
        may_be_nan = not (
            g.finite(cond.ref)
            and np.isfinite(cond.factor)
            and (offset is None or bool(np.isfinite(offset).all()))
        )
    if isinstance(rhs, float):
        if np.isnan(rhs):
            return np.zeros(g.n, bool), np.zeros(g.n, bool)
        true = P.compare(cond.op, lhs, np.float64(rhs))
        g.scalar[id(cond)] = np.float64(rhs)
        rhs_nan = None
    else:
        if nan_of_ref:
            rhs_nan = g.nan(cond.ref)
        else:
            rhs_nan = np.isnan(rhs) if may_be_nan else None
            if rhs_nan is not None and not rhs_nan.any():
                rhs_nan = None
        true = _compare_array(cond.op, lhs, rhs)
    if lhs_nan is None and rhs_nan is None:
        return true, None
    if rhs_nan is None:
        return true, g.known(cond.lhs)
    if lhs_nan is None and nan_of_ref:
        return true, g.known(cond.ref)
    missing = lhs_nan if rhs_nan is None else (rhs_nan if lhs_nan is None else lhs_nan | rhs_nan)
    assert missing is not None
    return true, ~missing


def _compare_array(op: str, lhs: FloatArray, rhs: FloatArray) -> BoolArray:
    """``predicates.compare`` (the same operations, so the same bits) with one temporary."""
    tol = np.abs(rhs)
    tol *= P.REL_TOL
    if op in ("lt", "ge"):
        np.subtract(rhs, tol, out=tol)
    elif op in ("le", "gt"):
        np.add(rhs, tol, out=tol)
    else:
        raise ValueError(f"unknown comparison {op!r}")
    if op == "lt":
        return lhs < tol
    if op == "le":
        return lhs <= tol
    if op == "gt":
        return lhs > tol
    return lhs >= tol


def _condition(cond: Condition, g: _Group) -> Truth:
    if isinstance(cond, Compare):
        return _compare(cond, g)
    if isinstance(cond, BaselineStatus):
        return g.baseline(cond)
    raise TypeError(f"not a compiled condition: {cond!r}")  # pragma: no cover - compilable()


def _clause(clause: Clause, g: _Group) -> Truth:
    """``predicates.eval_clause``: Kleene conjunction, None for known everywhere."""
    truths = [_condition(cond, g) for cond in clause.all]
    if len(truths) == 1:
        return truths[0]
    true = truths[0][0]
    for t, _ in truths[1:]:
        true = true & t
    knowns = [k for _, k in truths if k is not None]
    if not knowns:  # every condition decided on every row
        return true, None
    # decided: every condition known, or one known false (a condition known everywhere is
    # false where it does not hold); with one known mask, a false within it adds nothing
    k_all = knowns[0]
    for k in knowns[1:]:
        k_all = k_all & k
    false_known: BoolArray | None = None
    for t, known in truths:
        if known is not None and len(knowns) == 1:
            continue
        f = ~t if known is None else known & ~t
        false_known = f if false_known is None else false_known | f
    decided = k_all if false_known is None else k_all | false_known
    return true, (None if decided.all() else decided)


def missing_label(rules: EntryRules, rows: P.Rows, na: BoolArray) -> npt.NDArray[np.int32]:
    """Which input is missing for each ungraded row (value, range, baseline, time).

    Parameters
    ----------
    rules
        The compiled entry (its ``missing_labels`` codes and the inputs it ``needs``).
    rows
        The parameter group.
    na
        The group's rows that no rule decided.

    Returns
    -------
    numpy.ndarray
        One label code per row of ``na``: value missing first, then the range, the baseline,
        else the time.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> import numpy as np
    >>> rules = SimpleNamespace(missing_labels={"value": 0, "range": 1, "baseline": 2,
    ...                         "time": 3}, needs={"uln"})
    >>> rows = P.Rows(value=np.array([np.nan, 5.0]), uln=np.array([1.0, np.nan]))
    >>> missing_label(rules, rows, np.array([True, True])).tolist()
    [0, 1]
    """
    m = rules.missing_labels
    out = np.full(int(na.sum()), m["time"], np.int32)
    checks = [
        ("value", np.isnan(rows.value)),
        (
            "range",
            (np.isnan(rows.lln) if "lln" in rules.needs else False)
            | (np.isnan(rows.uln) if "uln" in rules.needs else False),
        ),
        (
            "baseline",
            (np.isnan(rows.baseline) if "baseline" in rules.needs else False)
            | (np.isnan(rows.pchg) if "pchg" in rules.needs else False),
        ),
    ]
    for key, missing in reversed(checks):
        sel = np.broadcast_to(missing, na.shape)[na]
        out[sel] = m[key]
    return out


def _blend(
    label: npt.NDArray[np.int32], code: int, where: BoolArray, step: npt.NDArray[np.int32]
) -> None:
    """``label[where] = code`` by arithmetic (``label += (code - label) * where``): no branch
    per row, where numpy's masked copy takes one (slow on a mask with no pattern)."""
    np.subtract(np.int32(code), label, out=step)
    np.multiply(step, where, out=step)
    np.add(label, step, out=label)


def _first_true(
    rules: EntryRules, truths: list[Truth], n: int
) -> tuple[npt.NDArray[np.int32], BoolArray]:
    """Each row's label from the first of (at most 16) clauses that holds, -1 where none does
    (returned as ``open``): which clauses hold, one bit each, the first clause the highest
    bit, so that one small table of the bit patterns names the label (byte arithmetic per
    clause instead of a 32-bit blend).

    >>> from types import SimpleNamespace
    >>> rules = SimpleNamespace(clauses=[(2, -1, None, 7, 0), (1, -1, None, 5, 0)])
    >>> holds = [np.array([True, False, False]), np.array([True, True, False])]
    >>> label, open_ = _first_true(rules, [(t, None) for t in holds], 3)
    >>> label.tolist(), open_.tolist()
    ([7, 5, -1], [False, False, True])
    """
    k = len(truths)
    kind: type[np.unsignedinteger[Any]] = np.uint8 if k <= 8 else np.uint16
    bits: npt.NDArray[np.unsignedinteger[Any]] = np.zeros(n, kind)
    step = np.empty(n, kind)
    table = np.full(1 << k, -1, np.int32)  # pattern -> label of its highest bit, 0: none
    for j, ((_, _, _, lab, _), (true, _)) in enumerate(zip(rules.clauses, truths, strict=True)):
        bit = k - 1 - j  # the first clause (most severe) the highest bit
        table[1 << bit : 1 << (bit + 1)] = lab
        np.bitwise_or(bits, np.multiply(true, kind(1 << bit), out=step), out=bits)
    label: npt.NDArray[np.int32] = np.take(table, bits)
    return label, bits == 0


def _first_hits(
    rules: EntryRules, truths: list[Truth], label: npt.NDArray[np.int32], review: BoolArray
) -> BoolArray:
    """Each row's label from the first clause that holds, and its review flag (an alternative
    grade, or a more severe grade undecided), written into ``label`` and ``review``; returns
    where no clause held (those rows are open where a clause was undecided: see
    :func:`evaluate_entry`)."""
    n = len(label)
    open_ = np.ones(n, bool)  # no clause has held yet
    hit = np.empty(n, bool)
    step = np.empty(n, np.int32)
    unknown_above: BoolArray | None = None  # a more severe grade was undecided
    grade_unknown: BoolArray | None = None  # this grade was undecided
    current: int | None = None
    for (assigned, other, _, lab, _), (true, known) in zip(rules.clauses, truths, strict=True):
        level = assigned if other < 0 or other < assigned else other
        if current is not None and level != current and grade_unknown is not None:
            unknown_above = (
                grade_unknown if unknown_above is None else unknown_above | grade_unknown
            )
            grade_unknown = None
        current = level
        if known is not None:  # a true clause is always decided: known | true == known
            unknown = ~known
            grade_unknown = unknown if grade_unknown is None else grade_unknown | unknown
        np.logical_and(true, open_, out=hit)
        np.add(label, np.multiply(hit, np.int32(lab + 1), out=step), out=label)  # -1 on open
        if other >= 0:
            review |= hit
        elif unknown_above is not None:
            review |= unknown_above & hit  # False on open rows until now
        np.logical_xor(open_, hit, out=open_)
    return open_


def _nested(rules: EntryRules, g: _Group) -> bool:
    """Whether each clause, tried from the most severe grade down, holds only where the next
    one holds too: every clause one comparison of the value with a number, all on one
    side (below: lt, le; above: gt, ge), the numbers (with the tolerance, as
    :func:`~aegrade.grading.predicates.compare` moves them) strictly further out for each
    more severe grade."""
    sides = {"lt": -1, "le": -1, "gt": 1, "ge": 1}
    lhs, side, before = None, 0, np.float64(0.0)
    for _, _, clause, _, _ in rules.clauses:
        if len(clause.all) != 1 or not isinstance(clause.all[0], Compare):
            return False
        cond = clause.all[0]
        rhs = g.scalar.get(id(cond))
        if rhs is None or cond.sustained_hours is not None or cond.lhs != "value":
            return False
        tol = np.abs(rhs) * P.REL_TOL  # the cut-off compare() takes
        cut = rhs - tol if cond.op in ("lt", "ge") else rhs + tol
        if lhs is None:
            lhs, side = cond.lhs, sides[cond.op]
        elif sides[cond.op] != side or not (cut - before) * side < 0:
            return False
        before = cut
    return lhs is not None


def _nested_labels(
    rules: EntryRules, truths: list[Truth], g: _Group
) -> npt.NDArray[np.int32] | None:
    """Each row's label when the clauses are :func:`_nested` and decided everywhere, with no
    alternative grade (else None): the clauses that hold are the least severe ones up to the
    first that holds, so their count names it; one table gives the label (count 0: grade 0,
    or the value missing), the same labels :func:`evaluate_entry` writes clause by clause."""
    if not _nested(rules, g):
        return None
    k = len(rules.clauses)
    count = np.add(truths[0][0], truths[1][0], dtype=np.int8) if k > 1 else None
    if count is None:
        count = truths[0][0].astype(np.int8)
    for true, _ in truths[2:]:
        np.add(count, true, out=count)
    table = np.empty(k + 2, np.int32)
    table[0] = rules.grade0_label
    table[1 : k + 1] = [c[3] for c in rules.clauses[::-1]]  # count c: the c-th least severe
    table[k + 1] = rules.missing_labels["value"]
    value_nan = g.nan("value")  # None: the comparisons of the value were decided everywhere
    if value_nan is not None:  # pragma: no cover - no clause holds there: value missing
        count[value_nan] = k + 1
    label: npt.NDArray[np.int32] = np.take(table, count.astype(np.intp))
    return label


def evaluate_entry(
    rules: EntryRules, rows: P.Rows, units: list[str], present: frozenset[int] | None = None
) -> tuple[npt.NDArray[np.int32], BoolArray]:
    """Grade one parameter group with one compilable entry: each row's label and review.

    The clauses are tried from the most severe grade down; the first that holds gives the
    row its label. A row no clause holds is grade 0 where every clause was decided and the
    value is present, else ungraded with the missing input as its label. ``review`` is set
    where the clause has a lower ``alternative`` or a more severe grade was undecided.

    Parameters
    ----------
    rules
        A compiled entry for which :func:`compilable` is True.
    rows
        The parameter group's columns, in the entry's canonical unit.
    units
        The unit registry's unit names (``rows.unit_code`` indexes them).
    present
        The unit codes that occur in the group, when known: a threshold for a printed unit
        no row is in is then skipped without reading the rows' units.

    Returns
    -------
    tuple of numpy.ndarray
        ``(label, review)``: int32 label codes of the plan, and booleans.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> import numpy as np
    >>> from aegrade.criteria.ctcae import Clause
    >>> clause = Clause.model_validate({"op": "lt", "ref": "lln"})
    >>> rules = SimpleNamespace(
    ...     entry=SimpleNamespace(unit="g/L", no_grade_zero=None), clauses=[(1, -1, clause, 7, 0)],
    ...     grade0_label=6, missing_labels={"value": 2, "range": 3, "baseline": 4, "time": 5},
    ...     needs={"lln"},
    ... )
    >>> rows = P.Rows(value=np.array([100.0, 130.0, 100.0]), lln=np.array([120.0, 120.0, np.nan]))
    >>> label, review = evaluate_entry(rules, rows, [])
    >>> label.tolist(), review.tolist()
    ([7, 6, 3], [False, False, False])
    """
    g = _Group(rows, rules.entry.unit, units, present)
    n = g.n
    truths = [_clause(clause, g) for _, _, clause, _, _ in rules.clauses]
    review = np.zeros(n, bool)
    simple = all(k is None for _, k in truths) and all(c[1] < 0 for c in rules.clauses)
    counted = _nested_labels(rules, truths, g) if simple else None
    if counted is not None:
        return counted, review
    all_known: BoolArray | None = None  # None: every clause so far was decided everywhere
    if simple and len(truths) <= 16:
        # every clause decided on every row and none with an alternative grade (no review):
        # the first clause that holds gives the label, read from which clauses hold
        label, open_ = _first_true(rules, truths, n)
    elif simple:
        # the first clause that holds is the last one written, from the least severe up
        label = np.full(n, -1, np.int32)
        step = np.empty(n, np.int32)
        for (_, _, _, lab, _), (true, _) in zip(rules.clauses[::-1], truths[::-1], strict=True):
            _blend(label, lab, true, step)
        open_ = label < 0
    else:
        label = np.full(n, -1, np.int32)
        open_ = _first_hits(rules, truths, label, review)
        for _, known in truths:
            if known is not None:
                all_known = known.copy() if all_known is None else all_known & known
    value_nan = g.nan("value")
    zero = open_.copy() if all_known is None else open_ & all_known
    if value_nan is not None:
        zero &= ~value_nan
    # label is -1 on open rows: grade 0 written by arithmetic, not a masked copy
    np.add(label, np.multiply(zero, np.int32(rules.grade0_label + 1), dtype=np.int32), out=label)
    na = open_ & ~zero
    if na.any():
        label[na] = missing_label(rules, rows, na)
    return label, review
