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

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, model_validator

from aegrade.criteria.base import CriteriaHeader, Frozen, Grade, Op

__all__ = [
    "Anticoagulation",
    "BaselineStatus",
    "Clause",
    "Compare",
    "Condition",
    "CtcaeCriteria",
    "Entry",
    "GradeDefinition",
]


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
