"""CTCAE grading of lab and vital-sign values: :func:`grade_labs`.

Rows are grouped by parameter once (a stable argsort); each criteria entry is then evaluated on
its whole group with numpy, grades tried from the most severe down (``_predicates``). Entries
of the common shapes (:mod:`aegrade.grading.compiled`) are graded in blocks of
:data:`BLOCK_ROWS` rows, each block's columns put in parameter order once (where each row goes
found in cache-sized chunks, :func:`_destinations`), so that a group is a slice and a block's
temporaries are reused; the others see each parameter's rows whole. Each row's result is a
label code per direction; the grade, rule and term it stands for, and what the output
columns need of both directions (:class:`_Joint`: the nullable grades, the label pair, the
criteria and review columns), are read from the labels in one pass of cache-sized pieces
(:func:`_label_columns`). Reasons, terms and rule ids are small categorical tables indexed
by integer codes, so the cost of the text does not grow with the number of rows.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from aegrade.criteria import Clause, Entry, criteria_token, load_ctcae, resolve_criteria_id
from aegrade.criteria.units import registry
from aegrade.grading import compiled as C
from aegrade.grading import predicates as P
from aegrade.prepare.censoring import with_censoring
from aegrade.prepare.observations import Context, Prepared, prepare_observations
from aegrade.threads import gather, row_blocks, run_blocks, thread_count

__all__ = [
    "GRADE_COLUMNS",
    "Ambiguous",
    "assemble_grades",
    "grade_labs",
    "grade_prepared",
    "lab_levels",
]

Ambiguous = Literal["worse", "lower"]
Engine = Literal["compiled", "general"]

Codes = npt.NDArray[np.int32]
AnyCodes = npt.NDArray[np.signedinteger[Any]]  # codes in the categorical's own integer type

#: Columns grade_labs adds to the input, in order.
GRADE_COLUMNS = [
    "term_low",
    "grade_low",
    "term_high",
    "grade_high",
    "criteria",
    "rule_low",
    "rule_high",
    "review",
    "reason",
]

_MISSING_TEXT = {
    "value": "value missing",
    "range": "reference range (LLN/ULN) missing",
    "baseline": "baseline missing",
    "time": "day/time missing, so duration cannot be assessed",
}


@dataclass
class _EntryPlan:
    entry: Entry
    term_code: int
    grade0_label: int
    missing_labels: dict[str, int]
    clauses: list[tuple[int, int, Clause, int, int]] = field(default_factory=list)
    # (grade, alternative or -1, clause, label code, rule code) in evaluation order
    needs: set[str] = field(default_factory=set)
    prefer_worse: bool = True
    # label code -> its variant saying the anticoagulation status was not recorded
    unrecorded_labels: dict[int, int] = field(default_factory=dict)
    compiled: bool = False  # evaluated by aegrade.grading.compiled (else the general path)


@dataclass
class _Plan:
    criteria: str
    labels: list[str]
    rules: list[str]
    terms: list[str]
    by_param: dict[tuple[str, str], _EntryPlan]
    no_criteria_label: int
    # per label code, and a last element for -1 (no label): the grade (-1 none), rule and term
    # code it stands for; the compiled path writes only labels and reads these
    label_grade: npt.NDArray[np.int8] = field(default_factory=lambda: np.full(1, -1, np.int8))
    label_rule: AnyCodes = field(default_factory=lambda: np.full(1, -1, np.int32))
    label_term: AnyCodes = field(default_factory=lambda: np.full(1, -1, np.int32))
    #: the categories of the term and rule columns, built once per plan (immutable indexes)
    indexes: dict[str, pd.Index] = field(default_factory=dict)

    def index(self, name: Literal["terms", "rules"]) -> pd.Index:
        """``pd.Index(self.terms)`` or of ``self.rules``, built on first use."""
        found = self.indexes.get(name)
        if found is None:
            found = self.indexes[name] = pd.Index(getattr(self, name))
        return found


@lru_cache(maxsize=16)
def _plan(criteria: str, ambiguous: Ambiguous, token: str = "") -> _Plan:
    """Compile a criteria set into integer-coded labels and evaluation order.

    ``token`` (:func:`~aegrade.criteria.criteria_token`) renews the cache when a user's file
    changes.
    """
    cs = load_ctcae(criteria)
    labels: list[str] = []
    rules: list[str] = []
    terms: list[str] = []
    by_param: dict[tuple[str, str], _EntryPlan] = {}

    def label(text: str) -> int:
        labels.append(text)
        return len(labels) - 1

    for e in cs.entries:
        if e.term not in terms:
            terms.append(e.term)
        plan = _EntryPlan(
            entry=e,
            term_code=terms.index(e.term),
            grade0_label=label(  # an entry with no_grade_zero: NA with its reason
                f"{e.term}: grade 0, no criterion met [{cs.id}/{e.id}]"
                if e.no_grade_zero is None
                else f"{e.term}: not graded, {e.no_grade_zero} [{cs.id}/{e.id}]"
            ),
            missing_labels={
                k: label(f"{e.term}: not graded, {v} [{cs.id}/{e.id}]")
                for k, v in _MISSING_TEXT.items()
            },
        )
        if e.specimen is not None:
            plan.missing_labels["specimen"] = label(
                f"{e.term}: not graded, the specimen is not {e.specimen} [{cs.id}/{e.id}]"
            )
        for g in sorted(e.grades, reverse=True):
            grade = e.grades[g]
            for k, clause in enumerate(grade.rules):
                rid = f"{cs.id}/{e.id}/{g}" + (f".{k + 1}" if len(grade.rules) > 1 else "")
                rules.append(rid)
                assigned, other = g, clause.alternative
                text = f"{e.term}: grade {g}, {grade.text} [{rid}]"
                if other is not None:
                    if ambiguous == "lower":
                        assigned, other = other, g
                    text = (
                        f"{e.term}: grade {assigned} (grade {other} also possible: CTCAE adds "
                        f"symptoms or interventions the value cannot show; clinical review), "
                        f"{grade.text} [{rid}]"
                    )
                plan.clauses.append(
                    (assigned, -1 if other is None else other, clause, label(text), len(rules) - 1)
                )
                plan.needs |= P.uses(clause)
        plan.prefer_worse = ambiguous == "worse"
        if "anticoagulated" in plan.needs:
            suffix = (
                " (anticoagulation not recorded: graded as if on anticoagulation; clinical review)"
                if ambiguous == "worse"
                else " (anticoagulation not recorded: a worse grade if on anticoagulation; "
                "clinical review)"
            )
            for lab_code in [plan.grade0_label, *(c[3] for c in plan.clauses)]:
                plan.unrecorded_labels[lab_code] = label(labels[lab_code] + suffix)
        plan.compiled = C.compilable(plan)
        for code in e.parameters:
            by_param[(code, e.direction)] = plan
    out = _Plan(
        cs.id,
        labels,
        rules,
        terms,
        by_param,
        no_criteria_label=label(f"no criteria in {cs.id} for this parameter"),
    )
    _label_tables(out)
    return out


def _code_type(categories: int) -> type[np.signedinteger[Any]]:
    """The integer type of the codes of a categorical with that many categories (pandas)."""
    for kind in (np.int8, np.int16, np.int32):
        if categories < np.iinfo(kind).max:
            return kind
    return np.int64


def _label_tables(plan: _Plan) -> None:
    """What each label code means: its grade, rule and term (the compiled path's outputs)."""
    n = len(plan.labels)
    grade = np.full(n + 1, -1, np.int8)
    # in the integer type pandas keeps a categorical's codes in: no conversion per row
    rule = np.full(n + 1, -1, _code_type(len(plan.rules)))
    term = np.full(n + 1, -1, _code_type(len(plan.terms)))
    for ep in {id(p): p for p in plan.by_param.values()}.values():
        codes = [ep.grade0_label, *ep.missing_labels.values()]
        codes += [c[3] for c in ep.clauses] + list(ep.unrecorded_labels.values())
        term[codes] = ep.term_code
        grade[ep.grade0_label] = -1 if ep.entry.no_grade_zero is not None else 0
        for assigned, _, _, lab, rid in ep.clauses:
            grade[lab], rule[lab] = assigned, rid
    plan.label_grade, plan.label_rule, plan.label_term = grade, rule, term


@dataclass
class _Direction:
    """Results of one direction (low or high), row-aligned."""

    grade: npt.NDArray[np.int8]  # -1: not graded
    term: AnyCodes  # index into _Plan.terms, -1 none
    label: Codes  # index into _Plan.labels, -1 none
    rule: AnyCodes  # index into _Plan.rules, -1 none
    review: P.BoolArray
    #: the output columns both directions make together, when the compiled engine made them
    #: beside the label tables (the same object on the low and the high direction)
    joint: _Joint | None = None

    def rows(self, part: slice) -> _Direction:
        """Labels and review flags of rows ``part`` (views: writes reach this direction)."""
        return _Direction(self.grade, self.term, self.label[part], self.rule, self.review[part])

    @classmethod
    def empty(cls, n: int) -> _Direction:
        return cls(
            np.full(n, -1, np.int8),
            np.full(n, -1, np.int32),
            np.full(n, -1, np.int32),
            np.full(n, -1, np.int32),
            np.zeros(n, bool),
        )


@dataclass
class _Joint:
    """What :func:`assemble_grades` reads of both directions, made per row in the pass that
    reads the labels (``grade_prepared``'s label tables): no serial pass over the rows later;
    made from the directions' arrays (:func:`_joint_of_arrays`) where that pass did not.

    ``level`` and ``na`` are each direction's nullable grade column (the grade, 0 beneath NA;
    NA where not graded or the row has an input problem), ``pair`` each row's (low, high)
    label pair as :func:`_pair_codes` codes it (int32 from the label pass), ``present``
    which pair codes occur, ``criteria`` 0 where a row has a term in either direction (else
    -1), ``review`` either
    direction's review flag (False on a row with an input problem). ``labels`` are the label
    arrays these were made from: a direction whose labels are other arrays is not read.
    """

    labels: tuple[Codes, Codes]
    level: tuple[npt.NDArray[np.integer[Any]], npt.NDArray[np.integer[Any]]]
    na: tuple[P.BoolArray, P.BoolArray]
    pair: npt.NDArray[np.integer[Any]]
    present: P.BoolArray
    criteria: npt.NDArray[np.int8]
    review: P.BoolArray

    def of(self, low: _Direction, high: _Direction) -> bool:
        """Whether these are the columns of exactly these directions' labels."""
        return (
            low.joint is self
            and high.joint is self
            and self.labels[0] is low.label
            and self.labels[1] is high.label
        )


Evaluated = tuple[npt.NDArray[np.int8], Codes, Codes, P.BoolArray]


def _evaluate(plan: _EntryPlan, rows: P.Rows, units: list[str]) -> Evaluated:
    """Grade one parameter group with one entry: (grade, label, rule, review) arrays.

    An entry that declares a specimen leaves rows of another specimen ungraded.
    """
    grade, label, rule, review = _evaluate_flagged(plan, rows, units)
    if plan.entry.specimen is not None:
        wrong = P.specimen_mismatch(rows, plan.entry.specimen)
        if wrong.any():
            grade, label, rule = grade.copy(), label.copy(), rule.copy()
            grade[wrong], label[wrong], rule[wrong] = -1, plan.missing_labels["specimen"], -1
            review = review & ~wrong
    return grade, label, rule, review


def _evaluate_flagged(plan: _EntryPlan, rows: P.Rows, units: list[str]) -> Evaluated:
    """:func:`_evaluate_once`, twice where the anticoagulation status is needed but unknown.

    Graded as not on anticoagulation (the grade kept) and as on it; where that gives a worse
    grade the row is flagged for review and, with ``ambiguous="worse"``, takes it.
    """
    if "anticoagulated" not in plan.needs:
        return _evaluate_once(plan, rows, units)
    grade, label, rule, review = _evaluate_once(plan, P.assume(rows, 0.0), units)
    g_on, lab_on, rule_on, review_on = _evaluate_once(plan, P.assume(rows, 1.0), units)
    flag: npt.NDArray[np.float64] | None = getattr(rows, "anticoagulated", None)
    unrecorded = np.ones(len(grade), bool) if flag is None else np.isnan(flag)
    # grade 0 needs every clause decided: on anticoagulation without a baseline is undecided
    undecided = unrecorded & (g_on < 0) & (grade == 0)
    if undecided.any():
        grade, label, rule = grade.copy(), label.copy(), rule.copy()
        grade[undecided], label[undecided], rule[undecided] = -1, lab_on[undecided], -1
    # as on anticoagulation a worse grade may need an input that is missing (the baseline)
    review = review | (unrecorded & review_on & (g_on == grade))
    worse = unrecorded & (g_on > grade) & (g_on > 0)
    if worse.any():
        if plan.prefer_worse:
            grade, label, rule = grade.copy(), label.copy(), rule.copy()
            grade[worse], label[worse], rule[worse] = g_on[worse], lab_on[worse], rule_on[worse]
            review = np.where(worse, review_on, review)
        variants = np.arange(max(plan.unrecorded_labels.values(), default=0) + 1, dtype=np.int32)
        for code, variant in plan.unrecorded_labels.items():
            variants[code] = variant
        label = np.where(worse, variants[np.maximum(label, 0)], label).astype(np.int32)
        review = review | worse
    return grade, label, rule, review


def _evaluate_once(plan: _EntryPlan, rows: P.Rows, units: list[str]) -> Evaluated:
    """Grade one parameter group with one entry, every input as given."""
    n = len(rows.value)
    grade = np.full(n, -1, np.int8)
    label = np.full(n, -1, np.int32)
    rule = np.full(n, -1, np.int32)
    review = np.zeros(n, bool)
    all_known = np.ones(n, bool)
    unknown_above = np.zeros(n, bool)
    current: int | None = None
    grade_unknown = np.zeros(n, bool)
    for assigned, other, clause, lab, rid in plan.clauses:
        g_level = assigned if other < 0 or other < assigned else other
        if current is not None and g_level != current:
            unknown_above |= grade_unknown
            grade_unknown = np.zeros(n, bool)
        current = g_level
        true, known = P.eval_clause(clause, rows, plan.entry.unit, units)
        all_known &= known | true
        grade_unknown |= ~known
        hit = true & (grade < 0)
        if hit.any():
            grade[hit] = assigned
            label[hit] = lab
            rule[hit] = rid
            review[hit] = (other >= 0) | unknown_above[hit]
    unassigned = grade < 0
    zero = unassigned & all_known & ~np.isnan(rows.value)
    grade[zero] = -1 if plan.entry.no_grade_zero is not None else 0
    label[zero] = plan.grade0_label
    na = unassigned & ~zero
    label[na] = _missing_label(plan, rows, na)
    return grade, label, rule, review


def _missing_label(plan: _EntryPlan, rows: P.Rows, na: P.BoolArray) -> Codes:
    """Which input is missing for each ungraded row (value, range, baseline, time)."""
    return C.missing_label(plan, rows, na)


def _group_rows(prep: Prepared | _Block, idx: npt.NDArray[np.intp]) -> P.Rows:
    """The group's columns, each gathered from the full arrays on first use."""
    return P.Rows(prep, idx)


def grade_prepared(
    prep: Prepared,
    criteria: str,
    *,
    ambiguous: Ambiguous = "worse",
    engine: Engine = "compiled",
    threads: int | None = None,
) -> tuple[_Plan, _Direction, _Direction]:
    """Grade prepared observations in both directions (the engine of :func:`grade_labs`).

    Parameters
    ----------
    prep
        Observations from :func:`~aegrade.prepare.observations.prepare_observations`.
    criteria
        A CTCAE criteria id or alias (``"ctcae-v5.0"``, ``"4.03"``, ...).
    ambiguous
        As for :func:`grade_labs`.
    engine
        ``"compiled"`` (the default) evaluates the common rule shapes with
        :mod:`aegrade.grading.compiled` and the rest with the general evaluator;
        ``"general"`` evaluates every entry with the general evaluator. Both give the same
        results bit for bit (``tests/grading/test_compiled.py``); ``"general"`` is the
        reference they are tested against.
    threads
        How many threads grade blocks of rows side by side (:func:`aegrade.threads.
        thread_count`: None reads ``AEGRADE_THREADS``, else every core on the main thread and
        one elsewhere; 1 is the serial path). The results do not depend on it.

    Returns
    -------
    tuple
        ``(plan, low, high)``: the compiled criteria (labels, rule ids, terms) and the integer
        coded results of the low and the high direction, row-aligned with ``prep``
        (``grade`` -1 where not graded).

    Examples
    --------
    >>> import pandas as pd
    >>> from aegrade.prepare.observations import prepare_observations
    >>> prep = prepare_observations(
    ...     pd.DataFrame({"parameter": ["PLAT"], "value": [40], "unit": ["10^9/L"], "lln": [150]})
    ... )
    >>> plan, low, high = grade_prepared(prep, "5.0")
    >>> low.grade, plan.rules[low.rule[0]]
    (array([3], dtype=int8), 'ctcae-v5.0/platelet-count-decreased/3')
    """
    if engine not in ("compiled", "general"):
        raise ValueError("engine must be 'compiled' or 'general'")
    cid = resolve_criteria_id(criteria)
    plan = _plan(cid, ambiguous, criteria_token(cid))
    if engine == "general":
        low, high = _Direction.empty(prep.n), _Direction.empty(prep.n)
        _grade_groups(prep, plan, low, high, engine)
        return plan, low, high
    else:  # labels and review flags only: grade, rule and term are read from the labels
        none = np.zeros(0, np.int32)
        low, high = (
            _Direction(
                none.astype(np.int8),
                none,
                np.empty(prep.n, np.int32),  # -1 and False written by each block
                none,
                np.empty(prep.n, bool),
            )
            for _ in range(2)
        )
    workers = thread_count(threads)
    parts = row_blocks(prep.n, workers, BLOCK_ROWS)

    def compiled_block(part: slice) -> None:  # rows independent: each block on its own
        source: Prepared | _Block = prep if part == slice(0, prep.n) else _Block(prep, part)
        _grade_compiled(source, plan, low.rows(part), high.rows(part))

    registry()  # built before the threads start
    run_blocks(compiled_block, parts, workers)
    general = _grade_groups(prep, plan, low, high, engine, "general")  # whole groups
    for d in (low, high):  # what each label stands for (-1: the tables' last element)
        d.grade = np.empty(prep.n, plan.label_grade.dtype)
        d.rule = np.empty(prep.n, plan.label_rule.dtype)
        d.term = np.empty(prep.n, plan.label_term.dtype)

    joint = _label_columns(prep, plan, low, high, workers)
    bad = prep.has_error if joint is not None and prep.error_texts else None
    for d, idx, (g, _, rid, _) in general:
        d.grade[idx], d.rule[idx] = g, rid
        if joint is not None:  # the nullable grade column of these rows, as written above
            k = 0 if d is low else 1
            joint.level[k][idx] = np.maximum(g, 0)
            joint.na[k][idx] = g < 0 if bad is None else (g < 0) | bad[idx]
    return plan, low, high


def _label_columns(
    prep: Prepared, plan: _Plan, low: _Direction, high: _Direction, workers: int
) -> _Joint | None:
    """Each direction's grade, rule and term read from its labels (the plan's tables), and in
    the same pass of cache-sized pieces what :func:`assemble_grades` makes of both
    directions (:class:`_Joint`, set on both; None and not set where the pair codes would not
    fit an int32)."""
    n = prep.n
    n_labels = len(plan.labels) + 1
    # the tables with the element of label -1 first, read at label + 1: a gather of indices
    # that are never negative (many -1 labels make a branch per row in numpy's take)
    shifted = [np.roll(t, 1) for t in (plan.label_grade, plan.label_rule, plan.label_term)]
    joint = None
    if n_labels * n_labels + 1 <= np.iinfo(np.int32).max and plan.label_grade.min() >= -1:
        any_bad = bool(prep.error_texts) and bool(prep.has_error.any())
        bad = prep.has_error if any_bad else None
        joint = _Joint(
            labels=(low.label, high.label),
            level=(np.empty(n, np.int8), np.empty(n, np.int8)),
            na=(np.empty(n, bool), np.empty(n, bool)),
            pair=np.empty(n, np.int32),
            present=np.zeros(n_labels * n_labels + 1, bool),
            criteria=np.empty(n, np.int8),
            review=np.empty(n, bool),
        )
    blocks = row_blocks(n, workers, 1 << 22)
    seen = [np.zeros(0 if joint is None else len(joint.present), bool) for _ in blocks]
    number = {part.start: k for k, part in enumerate(blocks)}

    def label_block(block: slice) -> None:
        mine = seen[number[block.start]]
        for at in range(block.start, block.stop, 1 << 16):  # the codes stay in cache
            part = slice(at, min(at + (1 << 16), block.stop))
            codes = []
            for k, d in enumerate((low, high)):
                code = d.label[part].astype(np.intp)  # take converts other types per call
                code += 1
                codes.append(code)
                for table, out in zip(shifted, (d.grade, d.rule, d.term), strict=True):
                    np.take(table, code, out=out[part], mode="clip")
                if joint is None:
                    continue
                # NA where the grade is -1 (the tables' only negative grade), and 0 beneath:
                # the grade plus its NA flag (byte arithmetic, no gather)
                grade = d.grade[part]
                na = np.less(grade, 0, out=joint.na[k][part])
                np.add(grade, na.view(np.int8), out=joint.level[k][part])
                if bad is not None:
                    na |= bad[part]
            if joint is None:
                continue
            # (low + 1) * labels + high + 1 + 1: _pair_codes' code of the pair
            pair = np.multiply(codes[0], n_labels, out=codes[0])
            pair += codes[1]
            pair += 1
            mine[pair] = True
            joint.pair[part] = pair
            # a term in either direction: the criteria (code 0), else -1
            has = np.greater_equal(low.term[part], 0)
            has |= high.term[part] >= 0
            np.subtract(has.view(np.int8), np.int8(1), out=joint.criteria[part])
            review = np.logical_or(low.review[part], high.review[part], out=joint.review[part])
            if bad is not None:
                review &= ~bad[part]

    run_blocks(label_block, blocks, workers)
    if joint is None:
        return None
    for mine in seen:
        joint.present |= mine
    low.joint = high.joint = joint
    return joint


#: Rows the compiled engine grades at a time. Each parameter group of a block is gathered
#: and compared on its own, so its temporaries are a block's share, not the whole column's:
#: freed and reused by the allocator instead of fresh pages from the kernel. The general
#: evaluator (durations read a subject's other rows) always sees every row of a parameter.
BLOCK_ROWS = 1 << 20


class _Block:
    """Rows ``part`` of prepared observations: each column a view, sliced on first use."""

    def __init__(self, prep: Prepared, part: slice) -> None:
        self._prep, self._part = prep, part
        self.param_index = prep.param_index[part]
        self.param_names = prep.param_names
        self.units_present = prep.units_present  # of every row: a superset for these
        self.param_rows = prep.param_rows
        self.ref_constants = prep.ref_constants
        # rows per parameter of these rows: as preparation counted them per block of
        # BLOCK_ROWS (the blocks grade_prepared cuts), else counted here (None)
        self.param_counts = None
        known = prep.block_param_counts
        if known is not None and known[0] == prep.n and known[1] == BLOCK_ROWS:
            k, rem = divmod(part.start, BLOCK_ROWS)
            if not rem and part.stop == min(part.start + BLOCK_ROWS, prep.n):
                self.param_counts = known[2][k]
        self.n = len(self.param_index)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        full = getattr(self._prep, name)
        return None if full is None else full[self._part]


def _grade_compiled(
    prep: Prepared | _Block, plan: _Plan, low: _Direction, high: _Direction
) -> None:
    """The compiled entries of one block, each parameter group a contiguous run.

    The block's columns are put in parameter order once (a scatter that reads each column
    once), so a group's columns are slices, not gathers that read a column's cache lines
    once per parameter; labels and review flags are written in that order and put back in
    row order once at the end. Every label and review flag of the block is written (-1 and
    False where no compiled entry grades the row).
    """
    units = registry().unit_names
    names = prep.param_names
    wanted = [i for i, code in enumerate(names) if _entries(plan, code, "compiled", "compiled")]
    if not wanted or not prep.n:
        for d in (low, high):
            d.label[:], d.review[:] = -1, False
        return
    n = prep.n
    counts = _param_counts(prep)
    bounds = np.cumsum(counts)
    # already in parameter order (the first rows tell most inputs that are not, cheaply); the
    # parameter codes (-1: unknown) are in the order of the sort key (unknown first)
    pidx = prep.param_index
    ordered = n < 2 or (
        not bool((pidx[1:64] < pidx[: min(n, 64) - 1]).any())
        and bool((pidx[1:] >= pidx[:-1]).all())
    )
    present = _units_present(prep, len(units))
    source: Prepared | _Block | _Sorted = prep
    dest = None
    if ordered:  # groups are slices of the block's own columns, results written in place
        label, review = (
            {"low": low.label, "high": high.label},
            {"low": low.review, "high": high.review},
        )
    else:
        table = _key_table(counts)  # the one-byte sort key, made chunk by chunk
        # where each row goes in parameter order
        dest = _destinations(pidx if table is not None else pidx.astype(np.int16), table)
        source = _Sorted(prep, dest)
        label = {"low": np.empty(n, np.int32), "high": np.empty(n, np.int32)}
        review = {"low": np.empty(n, bool), "high": np.empty(n, bool)}
    _ungraded(plan, names, wanted, bounds, label, review)
    fixed = prep.ref_constants or {}
    for i in wanted:
        part = slice(int(bounds[i]), int(bounds[i + 1]))  # rows of parameter i
        if part.start == part.stop:
            continue
        # a reference every row of the parameter holds: the group's column without putting
        # the whole column in parameter order
        same = {k: v[i] for k, v in fixed.items() if i in v}
        size = part.stop - part.start  # read-only views of the one number: no copies
        rows = P.Rows(source, part, **{k: np.broadcast_to(x, size) for k, x in same.items()})
        rows.constants = same  # read by the evaluator instead of searched for
        for direction, entry_plan in _entries(plan, names[i], "compiled", "compiled"):
            lab, rev = C.evaluate_entry(
                entry_plan, rows, units, None if present is None else present[i]
            )
            label[direction][part] = lab
            review[direction][part] = rev
    if dest is None:
        return
    for direction, out in (("low", low), ("high", high)):  # back in row order
        np.take(label[direction], dest, out=out.label, mode="clip")
        np.take(review[direction], dest, out=out.review, mode="clip")


def _ungraded(
    plan: _Plan,
    names: list[str],
    wanted: list[int],
    bounds: npt.NDArray[np.intp],
    label: dict[str, Codes],
    review: dict[str, P.BoolArray],
) -> None:
    """-1 and False for the rows no compiled entry grades, in parameter order (runs between
    the groups ``bounds`` delimit): with the groups' own results, each row written once."""
    graded = {"low": np.zeros(len(names) + 1, bool), "high": np.zeros(len(names) + 1, bool)}
    for i in wanted:
        for direction, _ in _entries(plan, names[i], "compiled", "compiled"):
            graded[direction][i + 1] = True
    for direction in ("low", "high"):
        for run in _runs(~graded[direction], bounds):
            label[direction][run], review[direction][run] = -1, False


def _runs(ungraded: npt.NDArray[np.bool_], bounds: npt.NDArray[np.intp]) -> list[slice]:
    """The row ranges, in parameter order, of the parameters marked ``ungraded`` (element 0:
    unknown parameter; ``bounds``: the cumulative rows per parameter), adjacent ones joined."""
    runs: list[slice] = []
    begin = 0
    for skip, stop in zip(ungraded.tolist(), bounds.tolist(), strict=True):
        if skip and begin < stop:
            if runs and runs[-1].stop == begin:
                runs[-1] = slice(runs[-1].start, stop)
            else:
                runs.append(slice(begin, stop))
        begin = stop
    return runs


def _param_counts(prep: Prepared | _Block) -> Any:
    """Rows per parameter, unknown first (``np.bincount(param_index + 1)``): as preparation
    counted them where they add up to these rows (a subset of the rows, as a row selection
    makes, adds up to fewer), else counted here."""
    known = getattr(prep, "param_counts", None)
    if known is not None and sum(known) == prep.n and len(known) == len(prep.param_names) + 1:
        return np.asarray(known, np.intp)
    return np.bincount(prep.param_index + 1, minlength=len(prep.param_names) + 1)


def _key_table(counts: npt.NDArray[np.intp]) -> npt.NDArray[np.uint8] | None:
    """Per parameter code (the last element: -1, unknown), the row's sort key in the same
    order (unknown first): the parameters present numbered 1.. in one byte, so the stable
    sort (a radix sort in numpy) takes one pass; None where they are 255 or more."""
    present = np.flatnonzero(counts[1:])  # counts[0]: unknown parameter
    if len(present) >= 255:
        return None
    table = np.zeros(len(counts), np.uint8)  # the last element: parameter -1 (unknown), 0
    table[present] = np.arange(1, len(present) + 1)
    return table


#: Rows whose stable order by key is found at a time in :func:`_destinations`: their key, order
#: and positions stay in cache.
_CHUNK_ROWS = 1 << 14


def _destinations(
    key: npt.NDArray[np.integer[Any]], table: npt.NDArray[np.uint8] | None = None
) -> npt.NDArray[np.intp]:
    """Where each row goes when the rows are put in stable order by ``key`` (the inverse of
    ``np.argsort(key, kind="stable")``), found in cache-sized chunks of rows; with ``table``,
    by the one-byte key ``table[key]`` (-1 reads the last element), made chunk by chunk.

    The inverse of a whole block's order is a scatter whose writes sweep the block once per
    key value; here each chunk is sorted on its own and its rows of key ``k`` go, in their
    order, after the rows of ``k`` of the chunks before it: the same positions.

    >>> _destinations(np.array([2, 0, 2, 1], np.uint8)).tolist()
    [2, 0, 3, 1]
    >>> _destinations(np.array([5, -1, 5, 0]), np.array([1, 0, 0, 0, 0, 2, 0], np.uint8)).tolist()
    [2, 0, 3, 1]
    """
    n = len(key)
    if table is None and key.dtype != np.uint8:  # wide keys (255 parameters or more)
        dest = np.empty(n, np.intp)
        dest[np.argsort(key, kind="stable")] = np.arange(n)
        return dest
    size = (int(table.max()) if table is not None else int(key.max()) if n else 0) + 1
    chunks = range(0, n, _CHUNK_ROWS)
    counts = np.empty((len(chunks), size), np.intp)  # rows per key of each chunk
    if table is not None:  # the one-byte key of each chunk, while its codes are in cache
        small = np.empty(n, np.uint8)
        for j, at in enumerate(chunks):
            piece = small[at : at + _CHUNK_ROWS]
            np.take(table, key[at : at + _CHUNK_ROWS], out=piece, mode="wrap")
            counts[j] = np.bincount(piece, minlength=size)
        key = small
    else:
        for j, at in enumerate(chunks):
            counts[j] = np.bincount(key[at : at + _CHUNK_ROWS], minlength=size)
    total = counts.sum(axis=0)
    start = np.cumsum(total) - total  # first position of each key
    dest = np.empty(n, np.intp)
    step = np.arange(_CHUNK_ROWS)
    for j, at in enumerate(chunks):
        part = key[at : at + _CHUNK_ROWS]
        here = counts[j]
        # a sorted chunk's run of key k, numbered from 0, goes to start[k] onwards
        shift = start - (np.cumsum(here) - here)
        to = np.repeat(shift, here)
        to += step[: len(part)]
        dest[at : at + len(part)][np.argsort(part, kind="stable")] = to
        start += here
    return dest


class _Sorted:
    """A block's columns in parameter order, each scattered once on first use."""

    def __init__(self, prep: Prepared | _Block, dest: npt.NDArray[np.intp]) -> None:
        self._prep, self._dest = prep, dest

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        full = getattr(self._prep, name)
        value = None
        if full is not None:
            value = np.empty_like(full)
            value[self._dest] = full
        self.__dict__[name] = value
        return value


def _grade_groups(
    prep: Prepared | _Block,
    plan: _Plan,
    low: _Direction,
    high: _Direction,
    engine: Engine,
    which: Literal["all", "compiled", "general"] = "all",
) -> list[tuple[_Direction, npt.NDArray[np.intp], Evaluated]]:
    """Evaluate each parameter group in both directions into ``low`` and ``high``.

    ``"general"`` writes every result; ``"compiled"`` writes labels and review flags, and
    returns the groups the general evaluator graded (their grade and rule are written after
    the label tables). ``which`` limits the entries evaluated to those of the compiled
    engine or to the others.
    """
    units = registry().unit_names
    general: list[tuple[_Direction, npt.NDArray[np.intp], Evaluated]] = []
    having = getattr(prep, "param_rows", None)  # parameters without rows are not looked for
    wanted = [
        i
        for i, code in enumerate(prep.param_names)
        if (having is None or i in having) and _entries(plan, code, engine, which)
    ]
    if not wanted:
        return general
    few = which == "general" and len(wanted) <= 4  # a few parameters: found one by one
    if not few:
        # a stable sort of small integers is a radix sort in numpy: linear in the rows
        order = np.argsort(prep.param_index.astype(np.int16), kind="stable")
        counts = np.bincount(prep.param_index + 1, minlength=len(prep.param_names) + 1)
        bounds = np.cumsum(counts)  # bounds[i] .. bounds[i+1]: rows of parameter i
    present = _units_present(prep, len(units)) if which != "general" else None
    for i in wanted:
        code = prep.param_names[i]
        idx = np.flatnonzero(prep.param_index == i) if few else order[bounds[i] : bounds[i + 1]]
        if not len(idx):
            continue
        rows: P.Rows | None = None
        for direction, entry_plan in _entries(plan, code, engine, which):
            out = low if direction == "low" else high
            fast = engine == "compiled" and entry_plan.compiled
            rows = rows or _group_rows(prep, idx)
            if fast:
                lab, rev = C.evaluate_entry(
                    entry_plan, rows, units, None if present is None else present[i]
                )
                out.label[idx] = lab
                if rev.any():
                    out.review[idx] = rev
                continue
            g, lab, rid, rev = _evaluate(entry_plan, rows, units)
            if engine == "compiled":  # grade, rule and term written after the label tables
                out.label[idx], out.review[idx] = lab, rev
                general.append((out, idx, (g, lab, rid, rev)))
                continue
            out.grade[idx], out.label[idx], out.rule[idx], out.review[idx] = g, lab, rid, rev
            out.term[idx] = entry_plan.term_code
    return general


def _units_present(prep: Prepared | _Block, n_units: int) -> list[frozenset[int]] | None:
    """Per parameter, the unit codes its rows are in: as preparation found them
    (``Prepared.units_present``: of all the rows, so of a block's rows or more, which only
    costs a look at the rows' units), else from one count of the (parameter, unit) pairs;
    None when the codes fall outside the registry."""
    if prep.units_present is not None:
        return prep.units_present
    unit = prep.unit_code
    if not len(unit) or int(unit.min()) < -1 or int(unit.max()) >= n_units:
        return None
    pair = (prep.param_index + 1) * (n_units + 1)
    pair += unit
    pair += 1
    seen = np.bincount(pair, minlength=(len(prep.param_names) + 1) * (n_units + 1)) > 0
    table = seen.reshape(len(prep.param_names) + 1, n_units + 1)[1:, 1:]
    return [frozenset(np.flatnonzero(row).tolist()) for row in table]


def _entries(
    plan: _Plan, code: str, engine: Engine, which: Literal["all", "compiled", "general"]
) -> list[tuple[str, _EntryPlan]]:
    """The entries of a parameter to evaluate, with their direction ("low", "high")."""
    found = []
    for direction in ("low", "high"):
        entry_plan = plan.by_param.get((code, direction))
        if entry_plan is None:
            continue
        fast = engine == "compiled" and entry_plan.compiled
        if (which == "compiled" and not fast) or (which == "general" and fast):
            continue
        found.append((direction, entry_plan))
    return found


def _categorical(
    codes: npt.NDArray[np.integer[Any]], categories: list[str], index: pd.Index | None = None
) -> pd.Categorical[str] | pd.Categorical[object]:
    """Codes (-1 missing) over text categories (``index``: them as an index, when built
    already); all missing when there are none.

    The codes are the engine's own, always within the categories: not validated again.
    """
    return (
        pd.Categorical.from_codes(
            codes, categories=pd.Index(categories) if index is None else index, validate=False
        )
        if categories
        else pd.Categorical([None] * len(codes))
    )


def _pair_codes(
    plan: _Plan, low: _Direction, high: _Direction, threads: int = 1
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_]]:
    """Each row's (low label, high label) pair as one integer: ``(low + 1) * (labels + 1) +
    high + 2`` (labels -1: none), in take's own integer type; and which of these codes occur
    (a table as long as the codes are many). In blocks of rows, each coded in cache-sized
    pieces that mark their codes in their own table."""
    n_labels = len(plan.labels) + 1
    n = len(low.label)
    pair1 = np.empty(n, np.intp)
    parts = row_blocks(n, threads, n)
    seen = [np.zeros(n_labels * n_labels + 1, bool) for _ in parts]
    number = {part.start: k for k, part in enumerate(parts)}

    def pairs(block: slice) -> None:
        mine = seen[number[block.start]]
        for at in range(block.start, block.stop, 1 << 16):
            part = slice(at, min(at + (1 << 16), block.stop))
            got = np.multiply(low.label[part], n_labels, out=pair1[part], dtype=np.intp)
            got += high.label[part]
            got += n_labels + 2
            mine[got] = True

    run_blocks(pairs, parts, threads)
    present = np.zeros(n_labels * n_labels + 1, bool)  # no rows, no blocks: none occurs
    for mine in seen:
        present |= mine
    return pair1, present


def _pair_terms(plan: _Plan, pairs: npt.NDArray[np.intp]) -> tuple[Any, Any]:
    """The low and high label of each of ``pairs`` (:func:`_pair_codes`), and whether
    either has a term: a row has a term in a direction exactly where it has a label there
    (every label written into a direction names its entry's term)."""
    low, high = np.divmod(pairs - 1, len(plan.labels) + 1)
    low, high = low - 1, high - 1  # -1: none, the tables' last element
    has_term = (plan.label_term[low] >= 0) | (plan.label_term[high] >= 0)
    return (low, high), has_term


def _reasons(
    plan: _Plan,
    prep: Prepared,
    pair1: npt.NDArray[np.integer[Any]],
    uniq: npt.NDArray[np.intp],
    threads: int = 1,
) -> pd.Categorical[str]:
    """One reason per row: the low and high labels joined, or the input problem, or no criteria.

    Label pairs are coded as integers (:func:`_pair_codes`) and only the distinct pairs are
    turned into text (``uniq``: the distinct codes, ascending); a table from pair code to
    category code then gives every row its category in one gather.
    """
    n_labels = len(plan.labels) + 1
    n = len(pair1)
    parts = row_blocks(n, threads, n)
    (lows, highs), has_term = _pair_terms(plan, uniq)
    texts = []
    for a, b, term in zip(lows.tolist(), highs.tolist(), has_term.tolist(), strict=True):
        if not term:
            texts.append(plan.labels[plan.no_criteria_label])
            continue
        texts.append("; ".join(plan.labels[x] for x in (a, b) if x >= 0))
    err_codes = np.zeros(0, np.int64)
    has_error = prep.has_error
    if prep.error_texts:
        err_codes = prep.error_code[has_error] + len(texts)
        texts.extend(prep.error_texts)
    categories, remap = np.unique(np.asarray(texts, dtype=object), return_inverse=True)
    remap = remap.reshape(-1)
    # pair code -> category code, in the categorical's own code type (a small table stays in
    # cache; pandas keeps such codes as they are)
    small = _code_type(len(categories))
    table = np.zeros(n_labels * n_labels + 1, small)
    table[uniq] = remap[: len(uniq)]
    codes = np.empty(n, small)

    def category(block: slice) -> None:
        for at in range(block.start, block.stop, 1 << 16):  # an int32 code: made intp in cache
            part = slice(at, min(at + (1 << 16), block.stop))
            np.take(table, pair1[part], out=codes[part], mode="clip")  # never < 0

    run_blocks(category, parts, threads)
    if len(err_codes):
        codes[has_error] = remap[err_codes]
    return pd.Categorical.from_codes(codes, categories=pd.Index(categories), validate=False)


def grade_labs(
    data: pd.DataFrame,
    criteria: str = "ctcae-v5.0",
    *,
    errors: Literal["raise", "coerce"] = "raise",
    ambiguous: Ambiguous = "worse",
    context: Context | None = None,
    threads: int | None = None,
) -> pd.DataFrame:
    """Grade lab and vital-sign observations by CTCAE.

    Parameters
    ----------
    data
        Long observations (SPEC section 2). Required columns: ``parameter``, ``value``. Used
        when present: ``unit``, ``lln``, ``uln``, ``baseline``, ``baseline_indicator`` (CDISC
        BNRIND), ``pchg``, ``subject_id``, ``day`` or ``time``, ``anticoagulated`` (yes/no:
        INR's baseline multiples apply "if on anticoagulation"). Column names are matched
        case-insensitively.
    criteria
        ``"ctcae-v5.0"`` or ``"ctcae-v4.03"`` (also ``"5.0"``, ``"4.03"``).
    errors
        ``"raise"``: any input problem raises :class:`~aegrade.errors.InputError` listing all
        of them. ``"coerce"``: such rows are kept, ungraded, with the problem as reason.
    ambiguous
        Where the value cannot tell two grades apart because CTCAE adds symptoms or
        interventions: ``"worse"`` takes the worse grade, ``"lower"`` the lower; either way
        ``review`` is True.
    threads
        How many threads prepare and grade blocks of rows side by side. None (the default):
        the environment variable ``AEGRADE_THREADS`` if set, else every core when called from
        the main thread and one thread when called from any other thread (a Dask worker) or
        from a child process (a process pool), so that a caller's own pool is not
        oversubscribed (:func:`aegrade.threads.thread_count`). 1 is the serial path. The
        results do not depend on it, bit for bit.

    Returns
    -------
    pandas.DataFrame
        Every input row in input order, with ``term_low``, ``grade_low``, ``term_high``,
        ``grade_high`` (nullable Int8: NA when not gradable, never 0 for missing), ``criteria``,
        ``rule_low``, ``rule_high``, ``review`` (a clinician should confirm the grade) and
        ``reason`` (which rule fired, or why the row was not graded).

    Notes
    -----
    Without ``baseline`` the baseline is the subject's last value of that parameter at
    day <= 0 (needs ``subject_id`` and ``day``). Rules and citations: the criteria file
    (``aegrade criteria show ctcae-v5.0``).

    Examples
    --------
    An ANC of 800/mm3 (CTCAE v5.0 grade 3 is <1000 - 500/mm3), a hemoglobin of 9.5 g/dL below
    its LLN (grade 2 is <10.0 - 8.0 g/dL) and a parameter no CTCAE term grades:

    >>> import pandas as pd
    >>> data = pd.DataFrame(
    ...     {
    ...         "parameter": ["ANC", "HGB", "XYZ"],
    ...         "value": [800, 9.5, 1.0],
    ...         "unit": ["/mm3", "g/dL", "mg/L"],
    ...         "lln": [1500, 12.0, None],
    ...         "uln": [8000, 16.0, None],
    ...     }
    ... )
    >>> graded = grade_labs(data)
    >>> graded[["parameter", "grade_low", "grade_high", "rule_low"]]
      parameter  grade_low  grade_high                                 rule_low
    0       ANC          3        <NA>  ctcae-v5.0/neutrophil-count-decreased/3
    1       HGB          2           0                      ctcae-v5.0/anemia/2
    2       XYZ       <NA>        <NA>                                      NaN
    >>> graded.loc[2, "reason"]
    "not graded: unknown_parameter (test name 'XYZ' is not recognised; map it in [parameters])"
    """
    workers = thread_count(threads)
    prep = prepare_observations(data, context=context, errors=errors, threads=workers)
    plan, low, high = grade_prepared(prep, criteria, ambiguous=ambiguous, threads=workers)
    return assemble_grades(data, prep, plan, low, high, threads=workers)


def lab_levels(
    prep: Prepared, low: _Direction, high: _Direction
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.int8]]:
    """The ``grade_low`` and ``grade_high`` columns :func:`assemble_grades` makes, as int8
    per row with -1 where the column is NA (not graded, or the row has an input problem).

    Made from the engine's own arrays by arithmetic on bytes, for the stages that read the
    grades as numbers (episodes, reason codes, lineage grades): reading them back from the
    nullable columns costs a masked copy of each column.

    Examples
    --------
    >>> from aegrade.prepare.observations import prepare_observations
    >>> data = pd.DataFrame({"parameter": ["PLAT", "PLAT"], "value": [40, "x"],
    ...                      "unit": ["10^9/L", "10^9/L"]})
    >>> prep = prepare_observations(data, errors="coerce")
    >>> plan, low, high = grade_prepared(prep, "ctcae-v5.0")
    >>> [side.tolist() for side in lab_levels(prep, low, high)]
    [[3, -1], [-1, -1]]
    """
    bad = prep.has_error.view(np.int8)
    out = []
    for d in (low, high):
        level = np.maximum(d.grade, np.int8(-1))  # every negative grade is "not graded"
        level -= bad * (level + np.int8(1))  # a row with an input problem: -1
        out.append(level)
    return out[0], out[1]


def assemble_grades(
    data: pd.DataFrame,
    prep: Prepared,
    plan: _Plan,
    low: _Direction,
    high: _Direction,
    *,
    threads: int | None = None,
) -> pd.DataFrame:
    """The input rows with :data:`GRADE_COLUMNS` from :func:`grade_prepared`'s results.

    Parameters
    ----------
    data
        The frame ``prep`` was prepared from; it is not changed.
    prep
        Its prepared observations (a row with an input problem gets NA grades and the problem
        as reason).
    plan, low, high
        :func:`grade_prepared`'s results.
    threads
        As for :func:`grade_prepared`: the reasons are coded in blocks of rows side by side.

    Returns
    -------
    pandas.DataFrame
        As :func:`grade_labs`; existing grade columns of ``data`` are replaced.

    Examples
    --------
    >>> import pandas as pd
    >>> from aegrade.prepare.observations import prepare_observations
    >>> data = pd.DataFrame({"parameter": ["PLAT"], "value": [40], "unit": ["10^9/L"]})
    >>> prep = prepare_observations(data)
    >>> graded = assemble_grades(data, prep, *grade_prepared(prep, "ctcae-v5.0"))
    >>> graded[["parameter", "grade_low", "rule_low"]]
      parameter  grade_low                                rule_low
    0      PLAT          3  ctcae-v5.0/platelet-count-decreased/3
    """
    out = data.copy(deep=False)  # new columns only: the caller's frame is never changed
    for name in GRADE_COLUMNS:
        if name in out.columns:
            out = out.drop(columns=name)
    workers = thread_count(threads)
    joint = low.joint
    if joint is None or not joint.of(low, high):
        joint = _joint_of_arrays(plan, prep, low, high, workers)
    cols = _joint_columns(plan, prep, low, high, joint, workers)
    # the new columns joined on the same index object (no alignment, no copy of the arrays,
    # where setting them one by one copies each)
    joined = pd.concat([out, pd.DataFrame(cols, index=out.index, copy=False)], axis=1)
    joined.attrs = copy.deepcopy(data.attrs)  # the caller's attrs, as a copy keeps them
    out = joined
    return with_censoring(out, prep)  # issue 10: censored results reviewed, limit kept


def _joint_columns(
    plan: _Plan, prep: Prepared, low: _Direction, high: _Direction, joint: _Joint, workers: int
) -> dict[str, Any]:
    """:data:`GRADE_COLUMNS` from both directions and the columns made of them together
    (:class:`_Joint`: by the label pass, or :func:`_joint_of_arrays`)."""
    any_bad = bool(prep.error_texts) and bool(prep.has_error.any())
    cols: dict[str, Any] = {}
    rules = plan.index("rules")
    for k, (direction, d) in enumerate((("low", low), ("high", high))):
        cols[f"term_{direction}"] = _categorical(d.term, plan.terms, plan.index("terms"))
        cols[f"grade_{direction}"] = pd.arrays.IntegerArray(joint.level[k], joint.na[k])
    cols["criteria"] = pd.Categorical.from_codes(
        joint.criteria,
        categories=pd.Index([plan.criteria]),
        validate=False,  # -1 or 0
    )
    for direction, d in (("low", low), ("high", high)):
        cols[f"rule_{direction}"] = _categorical(
            np.where(prep.has_error, -1, d.rule) if any_bad else d.rule, plan.rules, rules
        )
    cols["review"] = joint.review
    cols["reason"] = _reasons(plan, prep, joint.pair, np.flatnonzero(joint.present), workers)
    return {name: cols[name] for name in GRADE_COLUMNS}


def _joint_of_arrays(
    plan: _Plan, prep: Prepared, low: _Direction, high: _Direction, workers: int
) -> _Joint:
    """The :class:`_Joint` columns made from both directions' arrays, where the label pass did
    not make them (the general engine's results, or directions with other label arrays): the
    same values, in whole-column passes. Not set on the directions."""
    bad = prep.has_error
    any_bad = bool(prep.error_texts) and bool(bad.any())
    # nullable Int8: NA where not graded or the row has an input problem (0 beneath)
    na = tuple(d.grade < 0 for d in (low, high))
    # the criteria where a row has a term in either direction: code 0, else -1 (a gather
    # from the few pairs present; dense: label pairs are few)
    pair1, present = _pair_codes(plan, low, high, workers)
    uniq = np.flatnonzero(present)
    criteria = np.full(len(present), -1, np.int8)
    criteria[uniq] = _pair_terms(plan, uniq)[1] - 1
    review = low.review | high.review
    return _Joint(
        labels=(low.label, high.label),
        level=(np.maximum(low.grade, 0), np.maximum(high.grade, 0)),
        na=(na[0] | bad, na[1] | bad) if any_bad else (na[0], na[1]),
        pair=pair1,
        present=present,
        criteria=gather(criteria, pair1, workers),  # never < 0
        review=review & ~bad if any_bad else review,
    )
