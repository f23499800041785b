"""File formats of the hematology criteria (``icaht``, ``car-hematotox``, ``neutropenia``).

Each kind is a frozen pydantic model (``extra="forbid"``) validated when the file is loaded, so
an unknown key or a malformed cut-off is an error naming the file and the key. Nothing in a
file is evaluated as code: a cut-off is ``{op, threshold}`` with ``op`` one of lt, le, gt, ge.

Cut-offs are written in the unit the paper prints (``unit`` of the section, e.g. ``/uL``,
``mg/dL``) and converted once, at load time, to the parameter's canonical unit through
``aegrade/data/parameters.yaml``. A ``threshold`` may also be a mapping unit -> number where
the source prints the cut-off in several units (CTCAE: ``>38.3 degrees C (101 degrees F)``):
a row measured in one of those units is then compared with the source's own number for it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from aegrade.criteria.base import CriteriaHeader, Frozen, Grade, Op
from aegrade.criteria.units import Conversion, registry
from aegrade.errors import CriteriaDefinitionError

__all__ = [
    "DAY_OPTIONS",
    "Cut",
    "Depth",
    "DurationBand",
    "Early",
    "Febrile",
    "HematotoxCriteria",
    "IcahtCriteria",
    "Late",
    "Level",
    "Marker",
    "NeutropeniaCriteria",
    "Option",
    "OptionValue",
    "Points",
    "RiskClass",
    "Track",
    "to_canonical",
]

OptionValue = int | float | str | None

#: The ICAHT options that decide a day's value (shared by the neutropenia counts).
DAY_OPTIONS = ("daily_value", "carry_forward_days")


class Cut(Frozen):
    """One comparison of a value with a cut-off."""

    op: Op = Field(description="comparison of the value with the threshold")
    threshold: float | dict[str, float] = Field(
        description="cut-off in the section's unit, or unit -> number as the source prints it"
    )
    text: str | None = Field(None, description="the source's wording of the cut-off")


class Option(Frozen):
    """A method choice: its default, the permitted values and why the default was chosen."""

    default: OptionValue = Field(description="value used unless the caller overrides it")
    choices: tuple[OptionValue, ...] | None = Field(None, description="permitted values")
    minimum: float | None = Field(None, description="smallest permitted number")
    description: str = Field(description="what the option decides")
    source: str = Field(description="where the default comes from")

    def check(self, name: str, value: Any) -> OptionValue:
        """The value if permitted, else ValueError naming the option.

        Examples
        --------
        >>> Option(default=7, minimum=0, description="d", source="s").check("days", 3)
        3
        """
        if self.choices is not None and value not in self.choices:
            raise ValueError(f"option {name}={value!r}: choose one of {list(self.choices)}")
        if self.minimum is not None and value is not None and value < self.minimum:
            raise ValueError(f"option {name}={value!r}: must be >= {self.minimum:g}")
        permitted: OptionValue = value
        return permitted


class _Header(CriteriaHeader):
    options: dict[str, Option] = Field(default_factory=dict, description="method choices")

    def resolve(self, overrides: dict[str, Any] | None) -> dict[str, OptionValue]:
        """Defaults updated by the caller's overrides (unknown names are an error).

        Examples
        --------
        >>> from aegrade.criteria import load_criteria
        >>> load_criteria("icaht-2023").resolve({"recovery_days": 5})["recovery_days"]
        5
        """
        out = {k: o.default for k, o in self.options.items()}
        for name, value in (overrides or {}).items():
            if name not in self.options:
                raise ValueError(
                    f"{self.id} has no option {name!r}; options: {', '.join(self.options)}"
                )
            out[name] = self.options[name].check(name, value)
        return out


# --------------------------------------------------------------------------- ICAHT


class DurationBand(Frozen):
    """A grade given by a duration in days (both ends included; no max = open)."""

    grade: Grade = Field(ge=1, le=4)
    min_days: int = Field(ge=1)
    max_days: int | None = None
    text: str = Field(description="the source's wording")


class Track(Frozen):
    """One depth of early ICAHT: days at or below a threshold, graded by duration."""

    id: str
    cut: Cut
    column: str = Field(description="summary column holding the duration")
    bands: tuple[DurationBand, ...]


class Early(Frozen):
    """Early ICAHT over a window of study days."""

    first_day: int
    last_day: int
    tracks: tuple[Track, ...]
    recovery: Cut = Field(description="a day counts towards recovery when this holds")
    notes: tuple[str, ...] = ()


class Level(Frozen):
    """A grade by the lowest value."""

    grade: Grade = Field(ge=1, le=4)
    cut: Cut


class Late(Frozen):
    """Late ICAHT after the early window."""

    first_day: int
    levels: tuple[Level, ...]
    confirmation: Cut = Field(description="the second value must meet this")
    notes: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _worst_first(self) -> Late:
        grades = [lv.grade for lv in self.levels]
        if grades != sorted(grades, reverse=True):
            raise ValueError("levels must go from the worst grade down")
        return self


class IcahtCriteria(_Header):
    """``kind: icaht`` (EHA/EBMT 2023)."""

    kind: Literal["icaht"]
    parameter: str = Field(description="parameter code graded")
    unit: str = Field(description="unit of the thresholds")
    early: Early
    late: Late

    def day_defaults(self) -> dict[str, OptionValue]:
        """The defaults of the options that decide a day's value (:data:`DAY_OPTIONS`).

        Examples
        --------
        >>> from aegrade.criteria import load_criteria
        >>> load_criteria("icaht-2023").day_defaults()
        {'daily_value': 'lowest', 'carry_forward_days': 7}
        """
        return {k: self.options[k].default for k in DAY_OPTIONS}


# --------------------------------------------------------------------------- CAR-HEMATOTOX


class Points(Frozen):
    """Points given when the cut-off holds (tried from the most points down)."""

    points: int = Field(ge=1)
    cut: Cut


class Marker(Frozen):
    """One baseline marker of the score."""

    id: str = Field(description="column suffix of the points")
    parameter: str
    unit: str = Field(description="unit of the thresholds, as the paper prints it")
    text: str = Field(description="the paper's categories")
    points: tuple[Points, ...]

    @model_validator(mode="after")
    def _most_points_first(self) -> Marker:
        pts = [p.points for p in self.points]
        if pts != sorted(pts, reverse=True):
            raise ValueError(f"marker {self.id}: points must go from the most down")
        return self


class RiskClass(Frozen):
    """A named class of the total score (both ends included)."""

    label: str
    min_score: int
    max_score: int | None = None


class HematotoxCriteria(_Header):
    """``kind: car-hematotox`` (Rejeski et al. 2021)."""

    kind: Literal["car-hematotox"]
    baseline: str = Field(description="which value of each marker is scored")
    markers: tuple[Marker, ...]
    classes: tuple[RiskClass, ...]


# --------------------------------------------------------------------------- neutropenia


class Depth(Frozen):
    """A neutropenia depth counted in days."""

    id: str
    column: str
    cut: Cut


class Febrile(Frozen):
    """CTCAE Febrile neutropenia, grade 3 (the only grade a value can show)."""

    term: str
    meddra: str = Field(pattern=r"^\d{8}$")
    grade: Grade
    text: str = Field(description="verbatim CTCAE grade text")
    source: str
    anc: Cut
    single_temperature: Cut
    sustained_temperature: Cut
    sustained_more_than_hours: float
    notes: tuple[str, ...] = ()


class NeutropeniaCriteria(_Header):
    """``kind: neutropenia`` (ASCO/IDSA depth, CTCAE febrile neutropenia)."""

    kind: Literal["neutropenia"]
    unit: str = Field(description="unit of the depth thresholds")
    window: tuple[int, int] = Field(description="first and last study day counted")
    depths: tuple[Depth, ...]
    febrile_neutropenia: Febrile


def to_canonical(parameter: str, unit: str, number: float) -> float:
    """A number printed in ``unit`` expressed in the parameter's canonical unit.

    Parameters
    ----------
    parameter
        Parameter code (``NEUT``, ``HGB``, ...).
    unit
        The unit the number is printed in.
    number
        The number.

    Returns
    -------
    float
        The number in the parameter's canonical unit (``parameters.yaml``).

    Raises
    ------
    CriteriaDefinitionError
        The unit cannot be converted for this parameter.

    Examples
    --------
    >>> to_canonical("NEUT", "/uL", 500)
    0.5
    """
    conv = registry().conversion(parameter, unit)
    if not isinstance(conv, Conversion):
        raise CriteriaDefinitionError(f"cannot convert {unit!r} for {parameter}")
    return (float(number) + conv.offset) * conv.scale
