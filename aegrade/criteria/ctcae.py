"""The CTCAE criteria file format (``kind: value-thresholds``), as frozen pydantic models.

A CTCAE file (``data/ctcae-v5.0.yaml``) is validated into :class:`CtcaeCriteria` when it is
loaded (:func:`aegrade.criteria.load_criteria`); an unknown key or a malformed rule is an error
naming the file, the entry and the key. Rules are a closed vocabulary of structured predicates:
nothing in a file is ever evaluated as code.

Vocabulary
----------
compare
    ``{lhs, op, ref, factor, offset, threshold, sustained_hours}``: ``lhs`` (value, baseline or
    pchg, the percent change from baseline) compared by ``op`` (lt, le, gt, ge) with
    ``factor x ref + offset``, where ``ref`` is ``lln``, ``uln``, ``baseline`` or ``absolute``
    (then ``threshold`` is the number). ``threshold`` and ``offset`` are in the entry's canonical
    unit, or a mapping unit -> number where CTCAE prints the cut-off in several units (a row in
    one of those units is compared with CTCAE's own number for it). ``sustained_hours`` asks that
    the comparison hold over consecutive readings spanning more than that many hours.
baseline status
    ``{baseline: above_uln | not_above_uln}``: whether the subject's baseline was abnormal
    (CTCAE v5.0 "if baseline was abnormal"). A ``baseline_indicator`` column (CDISC BNRIND) decides
    when given; otherwise baseline > ULN. A subject without a baseline counts as normal.
    ``{baseline: below_lln | not_below_lln}`` likewise for a low baseline (CTCAE v6.0 creatinine
    "if baseline is below LLN"): indicator LOW, otherwise baseline < LLN.
anticoagulation
    ``{anticoagulated: true | false}``: whether the subject is on anticoagulation (an
    ``anticoagulated`` column of the observations or the subjects table). Where it is not
    recorded, the grade is taken without the clauses that need it and ``review`` is set when
    they would give a worse grade (``ambiguous="worse"`` takes that worse grade).
clause
    ``{all: [conditions], alternative, note}``; a bare compare is a one-condition clause. The
    grade applies when any of its clauses holds. ``alternative`` names the lower grade the same
    lab value may mean when CTCAE adds symptoms or interventions the data cannot show.
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, model_validator

from aegrade.criteria.base import CriteriaHeader, Frozen, Grade, Op
from aegrade.criteria.units import UnitRegistry, registry

__all__ = [
    "UNIT_AGREEMENT",
    "Anticoagulation",
    "BaselineStatus",
    "Clause",
    "Compare",
    "Condition",
    "CtcaeCriteria",
    "Entry",
    "GradeDefinition",
    "unit_gaps",
    "unit_problems",
]

#: How far apart (relative to the larger) the numbers of one cut-off printed in several units
#: may be once converted with the parameter registry's factors. CTCAE rounds the converted
#: number it prints (hypomagnesemia grade 3 '<0.9 - 0.7 mg/dL; <0.4 - 0.3 mmol/L': 0.9 mg/dL is
#: 0.370 mmol/L, printed 0.4); the widest such gap in the packaged v4.03, v5.0 and v6.0 files is
#: 7.4% (that one), so 8% lets every packaged file pass and catches a file whose units disagree
#: by a rounding CTCAE never makes (0.8 x 10^9/L beside 1000/mm3 is 20% apart).
UNIT_AGREEMENT = 0.08


class Compare(Frozen):
    """A comparison of the value (or baseline, or percent change) with a cut-off."""

    lhs: Literal["value", "baseline", "pchg"] = Field("value", description="left-hand side")
    op: Op = Field(description="comparison")
    ref: Literal["absolute", "lln", "uln", "baseline"] = Field(description="reference")
    factor: float = Field(1.0, description="multiple of the reference")
    offset: float | dict[str, float] | None = Field(None, description="added to factor x ref")
    threshold: float | dict[str, float] | None = Field(None, description="absolute cut-off")
    sustained_hours: float | None = Field(None, description="must hold for more than this")
    max_gap_hours: float | None = Field(
        None, gt=0, description="sustained readings never further apart than this"
    )

    @model_validator(mode="after")
    def _threshold_matches_ref(self) -> Compare:
        if (self.ref == "absolute") != (self.threshold is not None):
            raise ValueError("'threshold' is required with ref 'absolute' and only with it")
        if self.max_gap_hours is not None and self.sustained_hours is None:
            raise ValueError("'max_gap_hours' needs 'sustained_hours'")
        return self


class BaselineStatus(Frozen):
    """Whether the subject's baseline was above ULN (or below LLN)."""

    baseline: Literal["above_uln", "not_above_uln", "below_lln", "not_below_lln"] = Field(
        description="baseline status"
    )


class Anticoagulation(Frozen):
    """Whether the subject is on anticoagulation (CTCAE INR "if on anticoagulation")."""

    anticoagulated: bool = Field(description="on anticoagulation")


def _condition_kind(data: Any) -> str:
    """A condition with a ``baseline`` key is a baseline status, with an ``anticoagulated`` key
    an anticoagulation status, anything else a compare."""
    if isinstance(data, dict):
        for key in ("baseline", "anticoagulated"):
            if key in data:
                return key
        return "compare"
    if isinstance(data, BaselineStatus):
        return "baseline"
    return "anticoagulated" if isinstance(data, Anticoagulation) else "compare"


#: One condition of a clause; which model is decided by its keys, so a misspelt key is reported
#: once, against the model it belongs to.
Condition = Annotated[
    Annotated[Compare, Tag("compare")]
    | Annotated[BaselineStatus, Tag("baseline")]
    | Annotated[Anticoagulation, Tag("anticoagulated")],
    Discriminator(_condition_kind),
]


class Clause(Frozen):
    """All conditions hold together; ``alternative`` is the lower grade it may also mean."""

    all: tuple[Condition, ...] = Field(description="conditions that must all hold")
    alternative: Grade | None = Field(None, ge=0, le=5, description="lower grade also possible")
    note: str | None = Field(None, description="why this reading of CTCAE")

    @model_validator(mode="before")
    @classmethod
    def _bare_compare(cls, data: Any) -> Any:
        if isinstance(data, dict) and "all" not in data:
            extra = {k: data[k] for k in ("alternative", "note") if k in data}
            cond = {k: v for k, v in data.items() if k not in ("alternative", "note")}
            return {"all": [cond], **extra}
        return data


class GradeDefinition(Frozen):
    """One grade of a term: NCI's verbatim text and the rules that derive it from a value."""

    text: str = Field(description="verbatim CTCAE grade text")
    rules: tuple[Clause, ...] = Field((), description="empty: not derivable from the value")
    note: str | None = Field(None, description="interpretation of the text")


class Entry(Frozen):
    """One term and direction graded from one parameter."""

    id: str = Field(description="stable id within the file, used in rule ids")
    term: str = Field(description="CTCAE term exactly as NCI writes it")
    meddra: str = Field(pattern=r"^\d{8}$", description="MedDRA code of the term")
    parameters: tuple[str, ...] = Field(description="parameter codes graded (SPEC section 3)")
    direction: Literal["low", "high"] = Field(description="which way the value is abnormal")
    unit: str = Field(description="canonical unit of thresholds and offsets")
    grades: dict[Grade, GradeDefinition] = Field(description="grade -> text and rules")
    notes: tuple[str, ...] = Field((), description="interpretations, as admiral's COMMENT")
    admiral_term: str | None = Field(None, description="admiral's TERM when it differs")
    specimen: str | None = Field(
        None,
        description="specimen graded (e.g. urine): a row whose specimen column names another "
        "is not graded; without a specimen column every row is taken as this specimen",
    )
    no_grade_zero: str | None = Field(
        None,
        description="why the value alone cannot show grade 0 (lower grades need more than "
        "the value, e.g. a fasting state): a row meeting no rule is not graded, with this reason",
    )

    @model_validator(mode="after")
    def _grades_in_range(self) -> Entry:
        for g, grade in self.grades.items():
            if not 1 <= g <= 5:
                raise ValueError(f"grade {g} is outside 1..5")
            for clause in grade.rules:
                if clause.alternative is not None and clause.alternative >= g:
                    raise ValueError(f"grade {g}: alternative must be a lower grade")
        return self


class CtcaeCriteria(CriteriaHeader):
    """One CTCAE-style grading system version: header, citations and value entries."""

    kind: Literal["value-thresholds"] = Field(description="file format of this criteria set")
    dictionary: str | None = Field(None, description="packaged term dictionary file")
    entries: tuple[Entry, ...] = ()

    @model_validator(mode="after")
    def _unique_entries(self) -> CtcaeCriteria:
        seen: set[str] = set()
        pairs: set[tuple[str, str]] = set()
        for e in self.entries:
            if e.id in seen:
                raise ValueError(f"entry id {e.id!r} appears twice")
            for code in e.parameters:
                if (code, e.direction) in pairs:
                    raise ValueError(f"two entries grade {code} {e.direction}")
                pairs.add((code, e.direction))
            seen.add(e.id)
        return self


def _units_of(reg: UnitRegistry, code: str) -> list[str]:
    """The canonical unit and the convertible units of a parameter."""
    param = reg.parameters[code]
    return [param.unit, *param.conversions]


def _not_a_unit(reg: UnitRegistry, codes: tuple[str, ...], unit: str) -> str | None:
    """Why ``unit`` is not a unit of every parameter in ``codes`` (None when it is)."""
    for code in codes:
        if code not in reg.parameters:
            continue  # an unknown parameter code is reported where codes are resolved
        param = reg.parameters[code]
        canonical = reg.canonical_unit(unit)
        if unit == param.unit or canonical == param.unit or canonical in param.conversions:
            continue
        known = _units_of(reg, code)
        close = difflib.get_close_matches(unit, known, n=3, cutoff=0.5)
        hint = f"did you mean {', '.join(map(repr, close))}? " if close else ""
        return f"{unit!r} is not a unit of {code} ({hint}units of {code}: {', '.join(known)})"
    return None


def _in_canonical(
    reg: UnitRegistry, code: str, unit: str, value: float, difference: bool
) -> float | None:
    """``value`` in ``unit`` brought to the parameter's canonical unit (a difference, such as
    an offset, is scaled only)."""
    conv = reg.conversion(code, unit)
    if conv is None or isinstance(conv, str):
        return None
    return (value + (0.0 if difference else conv.offset)) * conv.scale


def unit_gaps(entry: Entry) -> list[tuple[Grade, str, dict[str, float], float]]:
    """Every cut-off of an entry given in several units, with how far apart its numbers are.

    Parameters
    ----------
    entry
        A CTCAE entry.

    Returns
    -------
    list of (grade, key, numbers, gap)
        ``key`` is ``threshold`` or ``offset``; ``numbers`` the cut-off as written, unit ->
        number; ``gap`` the largest difference between two of them once converted to the
        parameter's canonical unit, relative to the larger (units that are not units of the
        parameter are left out).

    Examples
    --------
    >>> from aegrade.criteria.loader import load_ctcae
    >>> entry = next(e for e in load_ctcae("5.0").entries if e.id == "hypomagnesemia")
    >>> [(g, round(gap, 3)) for g, _, _, gap in unit_gaps(entry)]
    [(2, 0.013), (3, 0.074), (4, 0.04)]
    """
    reg = registry()
    out: list[tuple[Grade, str, dict[str, float], float]] = []
    for g in sorted(entry.grades):
        for clause in entry.grades[g].rules:
            for cond in clause.all:
                if not isinstance(cond, Compare):
                    continue
                for key in ("threshold", "offset"):
                    numbers = getattr(cond, key)
                    if not isinstance(numbers, dict) or len(numbers) < 2:
                        continue
                    gap = 0.0
                    for code in entry.parameters:
                        if code not in reg.parameters:
                            continue
                        values = [
                            v
                            for u, x in numbers.items()
                            if (v := _in_canonical(reg, code, u, x, key == "offset")) is not None
                        ]
                        if len(values) > 1:
                            top = max(abs(v) for v in values)
                            if top > 0:
                                gap = max(gap, (max(values) - min(values)) / top)
                    out.append((g, key, dict(numbers), gap))
    return out


def unit_problems(criteria: CtcaeCriteria) -> list[str]:
    """The unit problems of a CTCAE file, one line each (``entry '<term>': ...``).

    An entry's ``unit`` or a unit key of a cut-off that is not a unit of the entry's parameter
    (with the closest known units), and a cut-off whose numbers in several units disagree by
    more than :data:`UNIT_AGREEMENT` once converted with the parameter registry's factors (so
    a row would grade differently by the unit it is in).

    Examples
    --------
    >>> from aegrade.criteria.loader import load_ctcae
    >>> unit_problems(load_ctcae("5.0"))
    []
    """
    reg = registry()
    lines: list[str] = []
    for e in criteria.entries:
        where = f"entry {e.term!r} ({e.id})"
        why = _not_a_unit(reg, e.parameters, e.unit)
        if why:
            lines.append(f"{where}: key 'unit': {why}")
        for g in sorted(e.grades):
            units = {
                u
                for clause in e.grades[g].rules
                for cond in clause.all
                if isinstance(cond, Compare)
                for numbers in (cond.threshold, cond.offset)
                if isinstance(numbers, dict)
                for u in numbers
            }
            for u in sorted(units):
                why = _not_a_unit(reg, e.parameters, u)
                if why:
                    lines.append(f"{where}: grade {g}: {why}")
        for g, key, numbers, gap in unit_gaps(e):
            if gap > UNIT_AGREEMENT:
                code = next(c for c in e.parameters if c in reg.parameters)
                canonical = reg.parameters[code].unit
                written = []
                for u, x in numbers.items():
                    v = _in_canonical(reg, code, u, x, key == "offset")
                    same = reg.canonical_unit(u) == canonical or u == canonical
                    shown = "" if v is None or same else f" (= {v:.4g} {canonical})"
                    written.append(f"{x:g} {u}{shown}")
                lines.append(
                    f"{where}: grade {g}: {key} {' and '.join(written)} disagree, "
                    f"{gap:.0%} apart (CTCAE's own rounding is within {UNIT_AGREEMENT:.0%}): "
                    "a value would grade differently by its unit"
                )
    return lines
