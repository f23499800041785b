"""The AE table spec (SPEC section 5): rows, grade-group columns, arms, sorting and counting.

A spec is a frozen pydantic model. It is written in TOML::

    title = "Table 3. Adverse events"
    criteria = "ctcae-v5.0"      # count only AEs graded by this system (a row may override it)
    columns = [{label = "Any grade", grades = [1, 5]}, {label = "Grade >= 3", grades = [3, 5]}]
    by = "arm"                   # a column of the subjects table; N per arm in the header
    total = true                 # add a Total column group
    sort = "frequency"           # or "spec" (the order rows are listed in)
    threshold = 10               # keep term rows with >= 10 % in at least one arm
    [[rows]]
    label = "Elevated liver enzymes"
    terms = ["Alanine aminotransferase increased", "Aspartate aminotransferase increased"]
    [[rows]]
    term = "Cytokine release syndrome"
    criteria = "astct-2019"

and read with :func:`load_table_spec`. Changing a spec returns a copy (``spec.model_copy(
update=...)``); nothing mutates it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from aegrade.errors import AegradeError, close_matches_hint

__all__ = [
    "DEFAULT_COLUMNS",
    "GRADE_COLUMNS",
    "ColumnSpec",
    "RowSpec",
    "TableSpec",
    "TableSpecError",
    "arm_column",
    "load_table_spec",
]


class TableSpecError(ValueError, AegradeError):
    """A table spec that cannot be read or does not follow the format (names file and key).

    Examples
    --------
    >>> try:
    ...     load_table_spec({"colums": []})
    ... except TableSpecError as exc:
    ...     print(exc)
    table spec: colums: Extra inputs are not permitted
    """


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _as_tuple(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    return tuple(value)


class ColumnSpec(_Frozen):
    """A grade-group column: subjects whose worst grade lies in ``grades`` (inclusive range).

    Examples
    --------
    >>> ColumnSpec(label="Grade 3-4", grades=[3, 4])
    ColumnSpec(label='Grade 3-4', grades=(3, 4))
    >>> ColumnSpec(label="Grade 3", grades=3).grades
    (3, 3)
    """

    label: str = Field(description="Column header, e.g. 'Grade >= 3'.")
    grades: tuple[int, int] = Field(
        description="Inclusive grade range [low, high] within 1..5; [3, 4] is 'Grade 3-4' "
        "(grade 5 excluded), [3, 5] is 'Grade >= 3'."
    )

    @field_validator("grades", mode="before")
    @classmethod
    def _single_grade(cls, v: Any) -> Any:
        if isinstance(v, int):
            return (v, v)
        return v

    @model_validator(mode="after")
    def _range(self) -> ColumnSpec:
        lo, hi = self.grades
        if not 1 <= lo <= hi <= 5:
            raise ValueError(
                f"column {self.label!r}: grades must be [low, high] with "
                f"1 <= low <= high <= 5, got [{lo}, {hi}]"
            )
        return self


class RowSpec(_Frozen):
    """A table row: one term, or a labelled group of terms counted once per subject.

    Examples
    --------
    >>> RowSpec(term="Anemia")
    RowSpec(label='Anemia', terms=('Anemia',), criteria=None)
    >>> RowSpec(label="Liver enzymes", terms=["ALT increased", "AST increased"]).terms
    ('ALT increased', 'AST increased')
    """

    label: str = Field(
        description="Row label; defaults to the single term ('term = ...' "
        "is shorthand for terms = [...])."
    )
    terms: tuple[str, ...] = Field(description="AE terms pooled into this row.")
    criteria: tuple[str, ...] | None = Field(
        default=None, description="Grading systems counted in this row (overrides the table's)."
    )

    _tuple_terms = field_validator("terms", mode="before")(_as_tuple)
    _tuple_criteria = field_validator("criteria", mode="before")(_as_tuple)

    @model_validator(mode="before")
    @classmethod
    def _fill(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        terms = list(_as_tuple(data.get("terms")) or ())
        term = data.pop("term", None)
        if term is not None and term not in terms:
            terms.append(term)
        if not terms:
            raise ValueError(f"row {data.get('label')!r} names no term (give term or terms)")
        data["terms"] = tuple(terms)
        if data.get("label") is None:
            if len(terms) > 1:
                raise ValueError(f"a row over several terms needs a label: {terms}")
            data["label"] = terms[0]
        return data


DEFAULT_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec(label="Any grade", grades=(1, 5)),
    ColumnSpec(label="Grade >= 3", grades=(3, 5)),
)

#: One column per grade, 1..5, for ``columns = GRADE_COLUMNS``.
GRADE_COLUMNS: tuple[ColumnSpec, ...] = tuple(
    ColumnSpec(label=f"Grade {g}", grades=(g, g)) for g in range(1, 6)
)


class TableSpec(_Frozen):
    """What an AE table shows and how it counts. Every field has a working default.

    The model is frozen: a change returns a copy.

    Examples
    --------
    >>> spec = TableSpec(by="arm")
    >>> [c.label for c in spec.columns], spec.effective_sort
    (['Any grade', 'Grade >= 3'], 'frequency')
    >>> spec.model_copy(update={"total": True}).total, spec.total
    (True, False)
    """

    title: str | None = Field(default=None, description="Title printed above the table.")
    row_header: str = Field(default="Adverse event", description="Header of the row-label column.")
    criteria: tuple[str, ...] | None = Field(
        default=None,
        description="Grading systems counted (ids of SPEC section 1); None counts all. "
        "Without a filter, a term graded by several systems gets one row per system.",
    )
    columns: tuple[ColumnSpec, ...] = Field(
        default=DEFAULT_COLUMNS, description="Grade-group columns."
    )
    rows: tuple[RowSpec, ...] = Field(
        default=(), description="Rows in order; empty means one row per term found in the data."
    )
    include_unlisted: bool = Field(
        default=False,
        description="With listed rows, also add a row for every other term in the data.",
    )
    soc: bool = Field(default=False, description="Group term rows under system organ class rows.")
    any_event_row: bool = Field(default=True, description="Add an 'Any adverse event' row on top.")
    any_event_label: str = Field(default="Any adverse event", description="Label of that row.")
    by: str | None = Field(default=None, description="Column of the subjects table giving the arm.")
    total: bool = Field(default=False, description="With arms, add a Total column group.")
    sort: Literal["spec", "frequency"] | None = Field(
        default=None,
        description="'spec': listed order (data-derived rows alphabetical); 'frequency': "
        "descending n of the sort column over all arms, ties alphabetical. Default: 'spec' "
        "when rows are listed, else 'frequency'.",
    )
    sort_column: str | None = Field(
        default=None, description="Column label used for frequency sorting (default the first)."
    )
    threshold: float | None = Field(
        default=None,
        ge=0,
        le=100,
        description="Keep term rows whose (unrounded) percent in the "
        "sort column is >= this in at least one arm.",
    )
    count: Literal["subjects", "events", "both"] = Field(
        default="subjects",
        description="'subjects': each subject once per row at the worst grade, "
        "cells n (%); 'events': every AE record (episode) counted, cells n; 'both': patient "
        "counts, with a 'Total number of events' row under the overall row and each SOC row.",
    )
    uncoded_label: str = Field(
        default="No coding available",
        description="Row (and, with soc, SOC) that counts AE records with an empty term "
        "(or SOC), so that they stay in every count.",
    )
    grade_missing_label: str | None = Field(
        default="Grade missing",
        description="Column counting, per row, the patients (events) whose records there have "
        "no grade; added only when there are such records. Ungraded records are also counted "
        "in every column covering all grades [1, 5] ('Any grade'). None: no such column.",
    )
    decimals: int = Field(default=1, ge=0, le=3, description="Decimals of percentages.")
    percent_sign: bool = Field(
        default=False, description="Print cells as 'n (x.x%)' instead of 'n (x.x)'."
    )
    rounding: Literal["half-up", "half-even"] = Field(
        default="half-up",
        description="Rounding of percentages: half up (SAS ROUND, 12.25 -> 12.3) or half to "
        "even (IEC 60559, R's round: 12.25 -> 12.2).",
    )
    grade_sign: Literal[">=", "≥"] = Field(
        default=">=",
        description="How 'greater than or equal' is spelled in the default column labels and "
        "footnotes, the same in every output format ('Grade >= 3' or 'Grade ≥ 3').",
    )
    zero: Literal["0", "0 (0.0)"] = Field(
        default="0", description="How a zero cell prints: '0', or with its percentage."
    )
    footnotes: tuple[str, ...] = Field(default=(), description="Extra footnotes, printed first.")
    risk_difference: tuple[str, str] | None = Field(
        default=None,
        description="Two arms [a, b]: add risk difference columns (a - b, percentage points, "
        "with a 95% CI) for every grade group.",
    )
    risk_difference_method: Literal["newcombe", "wald"] = Field(
        default="newcombe",
        description="CI of the risk difference: Newcombe's hybrid score interval (Stat Med "
        "1998;17:873-890, method 10) or the Wald interval (method 1).",
    )
    teae: bool = Field(
        default=True,
        description="Count treatment-emergent AEs only: the teae/TRTEMFL flag where given, "
        "else onset not before day 0 (aegrade.tables.filters).",
    )
    population: str | None = Field(
        default=None,
        description="Subjects column of Y/N flags (e.g. 'SAFFL'): only patients flagged Y "
        "count, in N and in every row.",
    )
    where: dict[str, tuple[str, ...]] | None = Field(
        default=None,
        description="Custom filters, column -> accepted value(s): a column of the AEs keeps "
        "those records, a column of the subjects keeps those patients, e.g. "
        "where = {serious = 'Y'}.",
    )

    grade_rows: bool = Field(
        default=False,
        description="Grades as rows (the layout of NEST's AET04): each AE row is a label row "
        "followed by one row per grade-group column, labelled as the column, with one column "
        "per arm; a grade row with no patient in any arm is left out. An events row keeps "
        "one row (its first column).",
    )
    soc_total_label: str | None = Field(
        default=None,
        description="With soc: each SOC row is a label row and its counts are on a row of "
        "this label under it (NEST AET02 'Total number of patients with at least one adverse "
        "event', AET04 '- Overall -'). None: the counts are on the SOC row.",
    )
    events_label: str = Field(
        default="Total number of events",
        description="Label of the events rows of count = 'both'.",
    )
    overall_events_label: str | None = Field(
        default=None,
        description="Label of the events row under the overall row (NEST AET02: 'Overall total "
        "number of events'); None: events_label.",
    )

    @field_validator("where", mode="before")
    @classmethod
    def _where_values(cls, v: Any) -> Any:
        if isinstance(v, dict):
            return {
                str(k): tuple(str(x) for x in (x if isinstance(x, list | tuple) else [x]))
                for k, x in v.items()
            }
        return v

    _tuple_criteria = field_validator("criteria", mode="before")(_as_tuple)

    @model_validator(mode="after")
    def _check(self) -> TableSpec:
        if not self.columns:
            raise ValueError("columns: at least one grade-group column is needed")
        labels = [c.label for c in self.columns]
        if len(set(labels)) != len(labels):
            raise ValueError(f"columns: duplicate labels {labels}")
        if self.sort_column is not None and self.sort_column not in labels:
            raise ValueError(f"sort_column {self.sort_column!r} is not a column label {labels}")
        if self.grade_rows and self.risk_difference is not None:
            raise ValueError("risk_difference: not available with grade_rows")
        rows = [r.label for r in self.rows]
        dup = sorted({r for r in rows if rows.count(r) > 1})
        if dup:
            raise ValueError(f"rows: duplicate labels {dup}")
        return self

    @property
    def effective_sort(self) -> Literal["spec", "frequency"]:
        """The sort actually used (see ``sort``)."""
        if self.sort is not None:
            return self.sort
        return "spec" if self.rows else "frequency"


def load_table_spec(source: str | Path | dict[str, Any]) -> TableSpec:
    """Read a TableSpec from a TOML file, TOML text or a dict.

    Parameters
    ----------
    source
        A path to a TOML file; TOML text (a string holding a newline or ``=``); or the parsed
        mapping. The format is the module's docstring (:mod:`aegrade.tables.spec`).

    Returns
    -------
    TableSpec

    Raises
    ------
    TableSpecError
        The file cannot be read, is not TOML, or breaks the format; the message names the file
        and each offending key.

    Examples
    --------
    >>> spec = load_table_spec(
    ...     '''
    ... title = "Table 3"
    ... columns = [{label = "Any grade", grades = [1, 5]}, {label = "Grade 3-4", grades = [3, 4]}]
    ... [[rows]]
    ... label = "Liver enzymes"
    ... terms = ["Alanine aminotransferase increased", "Aspartate aminotransferase increased"]
    ... '''
    ... )
    >>> spec.title, [c.grades for c in spec.columns], spec.rows[0].label, spec.effective_sort
    ('Table 3', [(1, 5), (3, 4)], 'Liver enzymes', 'spec')
    >>> load_table_spec({"columns": [{"label": "x", "grades": [0, 6]}]})
    Traceback (most recent call last):
    ...
    aegrade.tables.spec.TableSpecError: table spec: columns.0: Value error, column 'x': ...
    """
    name = "table spec"
    if isinstance(source, dict):
        data = source
    else:
        text, name = _read_text(source)
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise TableSpecError(f"{name}: not valid TOML: {exc}") from None
    try:
        return TableSpec.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors()
        )
        raise TableSpecError(f"{name}: {problems}") from None


def _read_text(source: str | Path) -> tuple[str, str]:
    if isinstance(source, str) and ("\n" in source or "=" in source):
        return source, "table spec"
    path = Path(source)
    try:
        return path.read_text(encoding="utf-8"), str(path)
    except OSError as exc:
        raise TableSpecError(f"{path}: cannot read the table spec ({exc.strerror})") from None


def arm_column(columns: Iterable[object], by: str) -> str:
    """The subjects column ``by`` names, matched ignoring case and outer spaces.

    Parameters
    ----------
    columns
        The subjects table's columns.
    by
        The column the user named (``--by``, ``by =`` of a spec).

    Returns
    -------
    str
        The column as the table spells it.

    Raises
    ------
    TableSpecError
        No column matches; the message names the closest ones.

    Examples
    --------
    >>> arm_column(["subject_id", "arm", "age"], "ARM")
    'arm'
    >>> arm_column(["subject_id", "arm", "age"], "arms")
    Traceback (most recent call last):
    ...
    aegrade.tables.spec.TableSpecError: by: 'arms' is not a column ...; did you mean 'arm'?
    """
    names = [str(c) for c in columns]
    found = {n.strip().lower(): n for n in names}
    key = by.strip().lower()
    if key in found:
        return found[key]
    hint = close_matches_hint(by, names) or f" ({len(names)} columns, e.g. {', '.join(names[:5])})"
    raise TableSpecError(f"by: {by!r} is not a column of the subjects table{hint}")
