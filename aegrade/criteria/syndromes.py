"""The CRS and ICANS criteria file formats, as frozen pydantic models.

Files of kind ``astct-crs-icans`` (``astct-2019.yaml``: CRS and ICANS), ``lee-2014-crs``
(``lee-2014.yaml``) and ``ctcae-crs`` (``ctcae-v5.0-crs.yaml``) hold every number the CRS and
ICANS engines use, each with its source and notes. They are loaded, like every kind, by
:func:`aegrade.criteria.load_criteria`; an unknown key is an error naming the file and the key.
Nothing in a file is executed.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from aegrade.criteria.base import CriteriaHeader, Frozen, Grade

__all__ = [
    "Band",
    "CapdRules",
    "CrsIcansCriteria",
    "CrsRules",
    "Device",
    "DoseLimit",
    "EpisodeRule",
    "Fio2Tier",
    "FloorGrade",
    "Grade5",
    "HighDose",
    "Hypotension",
    "Hypoxia",
    "IcansRules",
    "IceRules",
    "Onset",
    "OrganToxicity",
    "Vocabulary",
    "WordDomain",
]


class Onset(Frozen):
    """What opens an episode: a fever not attributable to another cause."""

    fever_ge_celsius: float = Field(description="temperature at or above this is fever (degC)")
    text: str = Field(description="source wording")
    source: str = Field(description="table/section it comes from")
    notes: tuple[str, ...] = Field((), description="interpretations")


class FloorGrade(Frozen):
    """The grade of an active episode without hypotension or hypoxia."""

    grade: Grade = Field(ge=1, le=4, description="grade while the episode is active")
    text: str = Field(description="source wording")
    notes: tuple[str, ...] = Field((), description="interpretations")


class EpisodeRule(Frozen):
    """When an episode ends."""

    default_gap_hours: float = Field(gt=0, description="signal-free time that ends an episode")
    text: str = Field(description="the rule in words")
    notes: tuple[str, ...] = Field((), description="interpretations")


class DoseLimit(Frozen):
    """A high-dose cut-off for one agent."""

    ge: float = Field(gt=0, description="dose at or above this is high")
    unit: Literal["ug/min", "ug/kg/min"] = Field(description="unit of the cut-off")


class HighDose(Frozen):
    """High-dose vasopressor monotherapy (Lee 2014)."""

    grade: Grade = Field(ge=1, le=4, description="grade of sustained high-dose monotherapy")
    sustained_hours: float = Field(ge=0, description="high dose must span at least this long")
    text: str = Field(description="source wording")
    source: str = Field(description="table/section it comes from")
    agents: dict[str, DoseLimit] = Field(description="agent -> cut-off")
    notes: tuple[str, ...] = Field((), description="interpretations")


class Hypotension(Frozen):
    """Hypotension tiers by vasopressor use."""

    text: str = Field(description="source wording")
    source: str = Field(description="table/section it comes from")
    default_sysbp_below: float = Field(ge=0, description="SYSBP below this counts as hypotension")
    no_vasopressor: Grade = Field(ge=1, le=4, description="hypotension, no vasopressor")
    one_vasopressor: Grade = Field(ge=1, le=4, description="one vasopressor")
    multiple_vasopressors: Grade = Field(ge=1, le=4, description="'multiple' counted agents")
    multiple_means_at_least: int = Field(
        ge=2, description="distinct counted agents at one time point that make 'multiple'"
    )
    not_counted_toward_multiple: tuple[str, ...] = Field((), description="agents not counted")
    high_dose: HighDose | None = Field(None, description="high-dose monotherapy rule")
    running_hours: float = Field(
        6.0,
        ge=0,
        description="two point rows of one agent at most this far apart: running between them",
    )
    notes: tuple[str, ...] = Field((), description="interpretations")


class Device(Frozen):
    """Grade of an oxygen device, optionally split by flow."""

    label: str = Field(description="readable name for the audit trail")
    grade: Grade = Field(ge=0, le=4, description="grade (at flow <= flow_le when given)")
    flow_le: float | None = Field(None, ge=0, description="flow cut-off in L/min")
    grade_above_flow: Grade | None = Field(None, ge=0, le=4, description="grade above it")
    grade_missing_flow: Grade | None = Field(None, ge=0, le=4, description="grade without flow")
    grade_without_fio2: Grade | None = Field(
        None,
        ge=1,
        le=4,
        description="grade when no FiO2 is charted with a device whose delivered FiO2 may be "
        "on either side of the FiO2 cut-off at any flow (simple facemask, Venturi mask): the worse "
        "reading, needs fio2_decides (a FiO2 row decides; ambiguous='lower': `grade`)",
    )
    fio2_decides: bool = Field(
        False,
        description="a grade above `grade` from the flow (or a missing flow) is the worse reading "
        "of a delivery that cannot show the lower FiO2 tier: a FiO2 row at the time point "
        "decides instead; without one the worse grade stands with review (ambiguous='lower': "
        "`grade`)",
    )

    @model_validator(mode="after")
    def _flow_fields_together(self) -> Device:
        if (self.flow_le is None) != (self.grade_above_flow is None):
            raise ValueError("flow_le and grade_above_flow go together")
        if self.grade_without_fio2 is not None and not self.fio2_decides:
            raise ValueError("grade_without_fio2 needs fio2_decides: true")
        return self


class Fio2Tier(Frozen):
    """FiO2 (percent) cut-off: ``ge`` or ``gt`` a number gives ``grade``."""

    ge: float | None = Field(None, description="FiO2 at or above (percent)")
    gt: float | None = Field(None, description="FiO2 above (percent)")
    grade: Grade = Field(ge=1, le=4, description="grade")

    @model_validator(mode="after")
    def _one_bound(self) -> Fio2Tier:
        if (self.ge is None) == (self.gt is None):
            raise ValueError("give exactly one of ge, gt")
        return self


class Hypoxia(Frozen):
    """Hypoxia tiers by device/flow and FiO2."""

    text: str = Field(description="source wording")
    source: str = Field(description="table/section it comes from")
    devices: dict[str, Device] = Field(description="device word -> grade")
    fio2: tuple[Fio2Tier, ...] = Field((), description="FiO2 tiers, most severe first")
    notes: tuple[str, ...] = Field((), description="interpretations")


class OrganToxicity(Frozen):
    """CRS grade from CTCAE lab grades of organ toxicity (Lee 2014)."""

    criteria: str = Field(description="CTCAE version whose lab grades are read")
    text: str = Field(description="source wording")
    source: str = Field(description="table/section it comes from")
    terms: dict[str, dict[Grade, Grade]] = Field(description="CTCAE term -> {lab grade: CRS grade}")
    notes: tuple[str, ...] = Field((), description="interpretations")


class Grade5(Frozen):
    """Death from the syndrome."""

    death_causes: tuple[str, ...] = Field(description="death_cause words meaning this syndrome")
    text: str = Field(description="source wording")
    source: str = Field(description="table/section it comes from")
    notes: tuple[str, ...] = Field((), description="interpretations")


class CrsRules(Frozen):
    """The CRS part of a criteria file."""

    term: Literal["Cytokine release syndrome"] = Field(description="AE term")
    onset: Onset
    floor_grade: FloorGrade
    episode: EpisodeRule
    hypotension: Hypotension
    hypoxia: Hypoxia
    organ_toxicity: OrganToxicity | None = None
    grade5: Grade5


class Band(Frozen):
    """An inclusive score band."""

    min: float = Field(description="lowest score of the band")
    max: float = Field(description="highest score of the band")
    grade: Grade = Field(ge=1, le=4, description="grade")


class IceRules(Frozen):
    """ICE score bands and items."""

    text: str
    source: str
    bands: tuple[Band, ...]
    unable_score: float = Field(description="score used when ICE is 'unable'")
    items: dict[str, int] = Field(description="item code -> maximum points")
    notes: tuple[str, ...] = ()


class CapdRules(Frozen):
    """CAPD score bands and the instrument's items."""

    text: str
    source: str
    bands: tuple[Band, ...]
    unable_grade: Grade = Field(ge=1, le=4)
    item_count: int = Field(ge=1, description="number of items on the form")
    item_max: int = Field(ge=1, description="highest score of one item")
    item_source: str = Field(description="where the item count and range come from")
    notes: tuple[str, ...] = ()


class WordDomain(Frozen):
    """A domain graded by words (LOC, seizure, motor, ICP)."""

    label: str
    text: str
    grades: dict[str, Grade]
    notes: tuple[str, ...] = ()


class IcansRules(Frozen):
    """The ICANS part of a criteria file."""

    term: Literal["Immune effector cell-associated neurotoxicity syndrome"]
    default_age_cutoff: float = Field(ge=0, description="ICE at or above, CAPD below (years)")
    age_notes: tuple[str, ...] = ()
    ice: IceRules
    capd: CapdRules
    domains: dict[Literal["LOC", "SEIZURE", "MOTOR", "ICP"], WordDomain]
    episode_notes: tuple[str, ...] = ()
    grade5: Grade5


class Vocabulary(Frozen):
    """The words findings are written in: yes/no words, agents and their aliases.

    Read through :mod:`aegrade.criteria.vocabulary`, the one place every consumer takes
    words from.
    """

    notes: tuple[str, ...] = ()
    true_words: tuple[str, ...] = Field(description="words read as yes / present / given")
    false_words: tuple[str, ...] = Field(description="words read as no / absent / not given")
    vasopressors: tuple[str, ...]
    not_vasopressors: tuple[str, ...] = ()
    aliases: dict[str, str] = Field(default_factory=dict)


class CrsIcansCriteria(CriteriaHeader):
    """One CRS/ICANS criteria file."""

    kind: Literal["astct-crs-icans", "lee-2014-crs", "ctcae-crs"]
    grades_as: str | None = Field(None, description="criteria id written in outputs")
    vocabulary_from: str | None = None
    crs: CrsRules
    icans: IcansRules | None = None
    vocabulary: Vocabulary | None = None

    @property
    def output_id(self) -> str:
        """The criteria id adverse events carry (``ctcae-v5.0`` for the CTCAE CRS file)."""
        return self.grades_as or self.id

    @model_validator(mode="after")
    def _vocabulary_somewhere(self) -> CrsIcansCriteria:
        if (self.vocabulary is None) == (self.vocabulary_from is None):
            raise ValueError("give exactly one of vocabulary, vocabulary_from")
        return self
