"""What every criteria file shares: the frozen base model, the header and the grade number.

Every kind of criteria file (CTCAE value thresholds, CRS/ICANS, ICAHT, CAR-HEMATOTOX,
neutropenia) is a subclass of :class:`CriteriaHeader`, itself a :class:`Frozen` model: immutable
once loaded, and an unknown key is an error. A grade is always a plain ``int`` (:data:`Grade`),
whatever the kind.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["CriteriaHeader", "Erratum", "Frozen", "Grade", "Op"]

#: A grade number, 0 (no toxicity) to 5 (death): a plain ``int`` in every kind of criteria file
#: (each field states the range it allows, e.g. ``Field(ge=1, le=4)``).
Grade = int

#: Comparison of a value with a cut-off (``value <op> cut-off``).
Op = Literal["lt", "le", "gt", "ge"]


class Frozen(BaseModel):
    """Base of every criteria model: immutable, and an unknown key is an error.

    The validator of a model is built when a file is first validated (``defer_build``), not
    when the module is imported: a run whose criteria come from the cache
    (:mod:`aegrade.criteria.cache`) never builds them.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class Erratum(Frozen):
    """A change to a released file."""

    revision: int = Field(description="the revision that made the change")
    date: dt.date = Field(description="when")
    change: str = Field(description="what changed")
    reason: str = Field(description="why")


class CriteriaHeader(Frozen):
    """The header every criteria file carries, whatever its kind (STYLE section 3)."""

    id: str = Field(description="stable identifier, e.g. ctcae-v5.0")
    kind: str = Field(description="file format of this criteria set")
    title: str = Field(description="the system's full name")
    publisher: str = Field(description="who publishes the source")
    published: dt.date = Field(description="publication date of the source")
    citation: str = Field(description="the source, with PMID/DOI where there is one")
    source_url: str = Field(description="where the source can be read")
    revision: int = Field(ge=1, description="aegrade's revision of this file")
    reviewed_by: str | None = Field(description="clinician sign-off (null: not yet reviewed)")
    reviewed_on: dt.date | None = Field(None, description="date of the sign-off")
    errata: tuple[Erratum, ...] = Field(description="changes to a released file (may be empty)")
    notes: tuple[str, ...] = Field((), description="every interpretation of the source")
