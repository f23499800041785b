"""AE summary tables: rows of terms or groups, grade-group columns, subjects at their worst grade.

:func:`build_ae_table` is the library entry point; it returns an :class:`AETable` whose
``cells`` frame is the whole result (one line per row, arm and column with the numeric
``n``, ``N``, ``percent`` and the printed ``cell``). Writers only render it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from aegrade.criteria import resolve_criteria_id, term_socs
from aegrade.tables.display import (
    DisplayTable,
    format_count,
    format_percent,
    grading_footnote,
    system_label,
)
from aegrade.tables.filters import filter_population, filter_records
from aegrade.tables.rates import format_risk_difference, risk_difference
from aegrade.tables.spec import TableSpec, TableSpecError, arm_column
from aegrade.tables.worst import worst_grades

__all__ = ["AETable", "build_ae_table"]

ALL_SUBJECTS = "All subjects"
TOTAL = "Total"
NO_SOC = "System organ class not given"
MISSING_ARM = "Missing"


@dataclass(frozen=True)
class AETable:
    """An AE summary table.

    Attributes
    ----------
    cells
        One line per row, arm and column: ``row`` (label), ``level`` (``any``, ``soc`` or
        ``term``), ``soc``, ``arm``, ``column``, ``n``, ``N``, ``percent`` (n/N x 100,
        unrounded; NaN for event counts) and ``cell`` (the printed 'n (%)'), in display order.
    rows
        One line per displayed row: ``row``, ``level``, ``soc``, ``indent``, ``key`` (the
        row's name in the ARD: 'SOC / term' under a SOC row, else the label).
    arms
        ``(arm, N)`` pairs in column order (the total last when asked for).

    Examples
    --------
    >>> import pandas as pd
    >>> ae = pd.DataFrame({"subject_id": ["1", "2"], "term": ["Fever", "Fever"], "grade": [3, 1]})
    >>> subjects = pd.DataFrame({"subject_id": ["1", "2", "3", "4"], "arm": list("AABB")})
    >>> table = build_ae_table(ae, subjects, by="arm")
    >>> table.arms, table.columns
    ((('A', 2), ('B', 2)), ('Any grade', 'Grade >= 3'))
    >>> table.ard().head(3)
                     row arm      column  n  N  percent
    0  Any adverse event   A   Any grade  2  2    100.0
    1  Any adverse event   A  Grade >= 3  1  2     50.0
    2  Any adverse event   B   Any grade  0  2      0.0
    """

    cells: pd.DataFrame
    rows: pd.DataFrame
    arms: tuple[tuple[str, int], ...]
    columns: tuple[str, ...]
    spec: TableSpec
    title: str
    footnotes: tuple[str, ...]
    criteria: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def frame(self) -> pd.DataFrame:
        """The display as a plain frame: the row label, then one 'n (%)' column per arm and
        grade group (named by the grade group alone when there is one arm)."""
        return self.to_display().to_frame()

    def ard(self) -> pd.DataFrame:
        """The analysis results dataset (SPEC section 5): row, arm, column, n, N, percent."""
        key = self.cells["row_id"].map(self.rows.set_index("row_id")["key"])
        return pd.DataFrame(
            {
                "row": key.to_numpy(object),
                "arm": self.cells["arm"].to_numpy(object),
                "column": self.cells["column"].to_numpy(object),
                "n": self.cells["n"].to_numpy(np.int64),
                "N": self.cells["N"].to_numpy(np.int64),
                "percent": self.cells["percent"].to_numpy(float),
            }
        )

    def to_display(self) -> DisplayTable:
        """The table as a :class:`~aegrade.tables.display.DisplayTable` for the writers.

        ``spec.grade_rows`` turns the grade groups into rows (one column per arm) and
        ``spec.soc_total_label`` moves each SOC row's counts to a row under its label.

        Examples
        --------
        >>> import pandas as pd
        >>> ae = pd.DataFrame({"subject_id": ["1", "2"], "term": ["Fever"] * 2, "grade": [3, 1]})
        >>> subjects = pd.DataFrame({"subject_id": ["1", "2", "3"], "arm": list("AAB")})
        >>> spec = TableSpec(by="arm", grade_rows=True, any_event_row=False)
        >>> build_ae_table(ae, subjects, spec).to_display().to_frame()
          Adverse event A (N = 2) B (N = 1)
        0         Fever
        1     Any grade  2 (100.0)         0
        2    Grade >= 3   1 (50.0)         0
        """
        ncol = len(self.columns)
        cells = self.cells.sort_values(["row_id", "arm_order", "col_order"])
        wide = cells["cell"].to_numpy(object).reshape(len(self.rows), ncol * len(self.arms))
        if self.spec.grade_rows:
            counts = cells["n"].to_numpy(np.int64).reshape(len(self.rows), len(self.arms), ncol)
            return self._grade_rows_display(
                wide.reshape(len(self.rows), len(self.arms), ncol), counts
            )
        body = tuple(
            (label, *vals) for label, vals in zip(self.rows["row"], wide.tolist(), strict=True)
        )
        word = "patients" if self.spec.count != "events" else "events"
        if len(self.arms) == 1:
            n = self.arms[0][1]
            head = (
                f"Number of patients (N = {n})"
                if word == "patients"
                else f"Number of events (N = {n} patients)"
            )
            groups: tuple[tuple[str, int], ...] = ((head, ncol),)
        else:
            groups = tuple((f"{arm} (N = {n})", ncol) for arm, n in self.arms)
        columns = self.columns * len(self.arms)
        footnotes = self.footnotes
        if self.spec.risk_difference is not None:
            a, b = self.spec.risk_difference
            rd = self._risk_differences(a, b)
            body = tuple((*row, *more) for row, more in zip(body, rd, strict=True))
            columns += self.columns
            groups += ((f"Risk difference {a} - {b}, % (95% CI)", ncol),)
            method = (
                "Newcombe's hybrid score interval (Stat Med 1998;17:873-890, method 10)"
                if self.spec.risk_difference_method == "newcombe"
                else "the Wald interval"
            )
            footnotes = (
                *footnotes,
                f"Risk difference: {a} minus {b} in percentage points; 95% CI by {method}.",
            )
        indent = tuple(int(i) for i in self.rows["indent"])
        emphasis = tuple(lv == "soc" for lv in self.rows["level"])
        if self.spec.soc and self.spec.soc_total_label is not None:
            body, indent, emphasis = self._soc_totals(body, indent)
        return DisplayTable(
            title=self.title,
            stub_header=self.spec.row_header,
            columns=columns,
            body=body,
            groups=groups,
            indent=indent,
            emphasis=emphasis,
            footnotes=footnotes,
            name="AE table",
            ard=self.ard().assign(cell=self.cells["cell"].to_numpy(object)),
        )

    def _soc_totals(
        self, body: tuple[tuple[str, ...], ...], indent: tuple[int, ...]
    ) -> tuple[tuple[tuple[str, ...], ...], tuple[int, ...], tuple[bool, ...]]:
        """Each SOC row as a label row, its counts on a ``soc_total_label`` row under it."""
        label = str(self.spec.soc_total_label)
        rows: list[tuple[str, ...]] = []
        ind: list[int] = []
        emph: list[bool] = []
        for row, i, level in zip(body, indent, self.rows["level"], strict=True):
            if level == "soc":
                rows += [(row[0], *[""] * (len(row) - 1)), (label, *row[1:])]
                ind += [i, i + 1]
                emph += [True, False]
            else:
                rows.append(row)
                ind.append(i)
                emph.append(False)
        return tuple(rows), tuple(ind), tuple(emph)

    def _grade_rows_display(self, wide: np.ndarray, counts: np.ndarray) -> DisplayTable:
        """Grades as rows (NEST AET04): per AE row a label row, then one row per grade group
        with a patient in some arm; one column per arm (``wide``, ``counts``: [row, arm, col])."""
        body: list[tuple[str, ...]] = []
        indent: list[int] = []
        emphasis: list[bool] = []
        blank = ("",) * len(self.arms)
        total = self.spec.soc_total_label if self.spec.soc else None
        for r, (label, level, ind) in enumerate(
            zip(self.rows["row"], self.rows["level"], self.rows["indent"], strict=True)
        ):
            ind = int(ind)
            if level == "events":
                body.append((label, *wide[r, :, 0].tolist()))
                indent.append(ind)
                emphasis.append(False)
                continue
            body.append((label, *blank))
            indent.append(ind)
            emphasis.append(level == "soc")
            if level == "soc" and total is not None:
                body.append((total, *blank))
                indent.append(ind + 1)
                emphasis.append(False)
                ind += 1
            for j, column in enumerate(self.columns):
                if counts[r, :, j].any():
                    body.append((column, *wide[r, :, j].tolist()))
                    indent.append(ind + 1)
                    emphasis.append(False)
        return DisplayTable(
            title=self.title,
            stub_header=self.spec.row_header,
            columns=tuple(f"{arm} (N = {n})" for arm, n in self.arms),
            body=tuple(body),
            indent=tuple(indent),
            emphasis=tuple(emphasis),
            footnotes=(
                *self.footnotes,
                "Grade rows without a patient in any arm are not shown.",
            ),
            name="AE table",
            ard=self.ard().assign(cell=self.cells["cell"].to_numpy(object)),
        )

    def _risk_differences(self, a: str, b: str) -> list[tuple[str, ...]]:
        """Per displayed row, one 'd (lo, hi)' per grade group: arm ``a`` minus arm ``b``."""
        names = [name for name, _ in self.arms]
        missing = [x for x in (a, b) if x not in names]
        if missing:
            raise TableSpecError(f"risk_difference: {missing} not among the arms {names}")
        c = self.cells.sort_values(["row_id", "col_order"])
        one = c[c["arm"] == a]
        two = c[c["arm"] == b]
        d, lo, hi = risk_difference(
            one["n"].to_numpy(),
            one["N"].to_numpy(),
            two["n"].to_numpy(),
            two["N"].to_numpy(),
            method=self.spec.risk_difference_method,
        )
        events = (one["level"] == "events").to_numpy(bool)
        text = [
            "" if ev else format_risk_difference(x, y, z, self.spec.decimals)
            for x, y, z, ev in zip(d, lo, hi, events, strict=True)
        ]
        ncol = len(self.columns)
        return [tuple(text[i : i + ncol]) for i in range(0, len(text), ncol)]


def build_ae_table(
    adverse_events: pd.DataFrame,
    subjects: pd.DataFrame | None = None,
    spec: TableSpec | None = None,
    *,
    by: str | None = None,
) -> AETable:
    """Count subjects (or events) per AE row, arm and grade group.

    Parameters
    ----------
    adverse_events
        ``aegrade.grade(...).adverse_events``: needs ``subject_id``, ``term``, ``grade``; uses
        ``criteria``, ``onset`` and ``soc`` when present. Grade-0 records are not counted; a
        record without a grade counts in every column over all grades ('Any grade') and in
        the 'Grade missing' column, never in a graded one; a record without a term counts
        under ``spec.uncoded_label`` ('No coding available'). With ``spec.soc`` each record
        is filed under its own ``soc`` (a term coded under two SOCs is listed under each).
    subjects
        The subjects table (``subject_id`` and the ``by`` column): N per arm comes from it,
        so subjects without any AE count. Without it, N is the subjects seen in the AEs.
    spec
        A :class:`~aegrade.tables.spec.TableSpec`; the default is one row per term, sorted by
        descending frequency, with 'Any grade' and 'Grade >= 3' columns.
    by
        Arm column of ``subjects`` (overrides ``spec.by``).

    Returns
    -------
    AETable
        Its ``cells`` frame holds every count; ``frame``, ``ard()`` and ``to_display()`` are
        views of it.

    Raises
    ------
    TableSpecError
        A required column is missing, or ``by`` is not a column of ``subjects``.

    Notes
    -----
    Counting follows CDISC OCCDS (AOCCPIFL): within each row a subject is counted once, at the
    worst grade of the records the row covers, so a row over several terms, a SOC row and the
    'Any adverse event' row never count a subject twice. A subject falls in a grade-group
    column when that worst grade lies in its range; 'Grade 3-4' ([3, 4]) therefore leaves out
    a subject whose worst grade is 5, 'Grade >= 3' ([3, 5]) does not.

    Examples
    --------
    Subject 1 has fever of grade 1 and 3 (counted once, at grade 3), subject 2 of grade 2;
    subjects 3 and 4 have no AE but count in N:

    >>> import pandas as pd
    >>> ae = pd.DataFrame(
    ...     {"subject_id": ["1", "1", "2"], "term": ["Fever"] * 3, "grade": [1, 3, 2]}
    ... )
    >>> subjects = pd.DataFrame({"subject_id": ["1", "2", "3", "4"]})
    >>> table = build_ae_table(ae, subjects)
    >>> table.frame
           Adverse event Any grade Grade >= 3
    0  Any adverse event  2 (50.0)   1 (25.0)
    1              Fever  2 (50.0)   1 (25.0)
    >>> table.cells[["row", "column", "n", "N", "percent"]].tail(2)
         row      column  n  N  percent
    2  Fever   Any grade  2  4     50.0
    3  Fever  Grade >= 3  1  4     25.0
    """
    spec = spec or TableSpec()
    if by is not None:
        spec = spec.model_copy(update={"by": by})
    _require(adverse_events, ("subject_id", "term", "grade"), "adverse_events")
    kept: tuple[str, ...] = ()
    if spec.population is not None:
        if subjects is None:
            raise TableSpecError(f"population: {spec.population!r} needs a subjects table")
        subjects, kept = filter_population(subjects, spec.population)
        ids = subjects["subject_id"].astype("string")
        adverse_events = adverse_events[
            adverse_events["subject_id"].astype("string").isin(ids).to_numpy(bool)
        ]
    adverse_events, subjects, filtered = filter_records(
        adverse_events, subjects, teae=spec.teae, where=spec.where
    )
    subj, notes = _subjects(adverse_events, subjects, spec)
    notes = (*kept, *filtered, *notes)
    data, more = _records(adverse_events, subj, spec)
    plan = _row_plan(spec, data)
    cols = _columns(spec, data)
    counts, systems = _count(plan, data, subj, spec, cols)
    table = _assemble(plan, counts, subj, spec, cols, systems, (*notes, *more))
    if spec.risk_difference is not None:
        table.to_display()  # refuses arms that are not in the table, before anything is written
    return table


# --------------------------------------------------------------------------- inputs


def _require(frame: pd.DataFrame, columns: tuple[str, ...], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise TableSpecError(f"{name}: required column(s) {missing} missing")


@dataclass(frozen=True)
class _Subjects:
    ids: pd.Index  # subject_id as strings, table order
    arm: np.ndarray  # arm code per subject
    arm_names: tuple[str, ...]  # real arms (no total)
    big_n: np.ndarray  # N per real arm


def _subjects(
    ae: pd.DataFrame, subjects: pd.DataFrame | None, spec: TableSpec
) -> tuple[_Subjects, tuple[str, ...]]:
    notes: tuple[str, ...] = ()
    if subjects is None:
        ids = pd.Index(pd.unique(ae["subject_id"].astype("string").dropna()))
        frame = pd.DataFrame({"subject_id": ids})
        notes = ("No subjects table: N is the number of subjects with an AE record.",)
    else:
        _require(subjects, ("subject_id",), "subjects")
        frame = subjects.assign(subject_id=subjects["subject_id"].astype("string"))
        frame = frame.drop_duplicates("subject_id")
        ids = pd.Index(frame["subject_id"])
    if spec.by is None:
        return _Subjects(
            ids, np.zeros(len(ids), np.int64), (ALL_SUBJECTS,), np.array([len(ids)])
        ), notes
    arm = frame[arm_column(frame.columns, spec.by)]
    if isinstance(arm.dtype, pd.CategoricalDtype):
        names = [str(c) for c in arm.cat.categories]
        arm = arm.astype(object)
    else:
        names = sorted({str(a) for a in arm.dropna()})
    arm = arm.astype(object).where(arm.notna(), MISSING_ARM).astype(str)
    if (arm == MISSING_ARM).any() and MISSING_ARM not in names:
        names.append(MISSING_ARM)
    codes = pd.Index(names).get_indexer(pd.Index(arm))
    return _Subjects(ids, codes, tuple(names), np.bincount(codes, minlength=len(names))), notes


#: The grade a record without one is counted at: below every real grade, so a subject's worst
#: grade is a real one whenever there is one, and above 0 (no AE).
MISSING_GRADE = 0.5


@dataclass(frozen=True)
class _Records:
    sub: np.ndarray  # subject code per record
    term: np.ndarray  # row-term code per record (per term and SOC with spec.soc)
    crit: np.ndarray  # criteria code per record (-1 when missing)
    soc: np.ndarray  # SOC code per record
    grade: np.ndarray  # float; MISSING_GRADE when ungraded; NaN when not counted
    terms: list[str]  # term name per term code (first spelling seen)
    crits: list[str]
    socs: list[str]
    term_soc: np.ndarray  # SOC code per term code

    @property
    def live(self) -> np.ndarray:
        """Records that are counted (a known subject and grade >= 1 or no grade)."""
        live: np.ndarray = ~np.isnan(self.grade) & (self.term >= 0)
        return live


def _records(
    ae: pd.DataFrame, subj: _Subjects, spec: TableSpec
) -> tuple[_Records, tuple[str, ...]]:
    notes = []
    sid = ae["subject_id"]
    if not isinstance(sid.dtype, pd.StringDtype):
        sid = sid.astype("string")
    sub = subj.ids.get_indexer(pd.Index(sid))
    raw = pd.to_numeric(ae["grade"], errors="coerce").to_numpy(float, na_value=np.nan)
    ungraded = np.isnan(raw)
    an_ae = ungraded | (raw >= 1)
    unknown = int(((sub < 0) & an_ae).sum())
    if unknown:
        notes.append(
            f"{unknown} AE record(s) of subjects not in the subjects table are not counted."
        )
    grade = np.where((sub >= 0) & an_ae, np.where(ungraded, MISSING_GRADE, raw), np.nan)
    n_ungraded = int(((sub >= 0) & ungraded).sum())
    if n_ungraded:
        where = "in the columns covering every grade"
        if spec.grade_missing_label:
            where += f" and under {spec.grade_missing_label!r}"
        notes.append(f"{n_ungraded} AE record(s) without a grade are counted {where}.")
    if "review" in ae:
        flag = ae["review"].astype("string").str.strip().str.lower()
        review = flag.isin(["true", "1", "y", "yes"]).fillna(False).to_numpy(bool)
        n_review = int((review & (grade >= 3)).sum())
        if n_review:
            notes.append(
                f"{n_review} AE record(s) counted at grade {spec.grade_sign} 3 come from values "
                "that cannot tell two grades apart (review) and were graded on the worse; "
                "'aegrade grade --ambiguous lower' grades them on the lower."
            )
    text = ae["term"].astype("string").str.strip()
    uncoded = (text.isna() | (text == "")).to_numpy(bool)
    n_uncoded = int((uncoded & ~np.isnan(grade)).sum())
    if n_uncoded:
        notes.append(
            f"{n_uncoded} AE record(s) without a term are counted as {spec.uncoded_label!r}."
        )
    term, terms = _canonical(text.where(~uncoded, spec.uncoded_label))
    if "criteria" in ae:
        crit, crits = _canonical(ae["criteria"], lower=True)
    else:
        crit, crits = np.full(len(ae), -1), []
    if not spec.soc:
        soc, socs = np.zeros(len(ae), np.int64), [NO_SOC]
        return _Records(
            sub, term, crit, soc, grade, terms, crits, socs, np.zeros(len(terms), np.int64)
        ), tuple(notes)
    soc, socs = _record_socs(ae, term, terms, uncoded, spec)
    # One row-term per (term, SOC) pair: a term coded under two SOCs is listed under each.
    pair, pairs = pd.factorize(term * len(socs) + soc)
    pairs = np.asarray(pairs, np.int64)
    return _Records(
        sub,
        pair.astype(np.int64),
        crit,
        soc,
        grade,
        [terms[int(p) // len(socs)] for p in pairs],
        crits,
        socs,
        np.asarray(pairs % len(socs), np.int64),
    ), tuple(notes)


def _record_socs(
    ae: pd.DataFrame, term: np.ndarray, terms: list[str], uncoded: np.ndarray, spec: TableSpec
) -> tuple[np.ndarray, list[str]]:
    """The SOC of each record (AEBODSYS: per record, not per term). A record without one gets
    the uncoded label when its term is uncoded too, else its term's most frequent SOC in the
    data, else the term's SOC in the CTCAE v5.0 dictionary (then v6.0, which adds ICANS:
    :func:`aegrade.criteria.term_socs`), else 'System organ class not given'."""
    if "soc" in ae:
        given = ae["soc"].astype("string").str.strip()
        given = given.where(given != "")
    else:
        given = pd.Series(pd.NA, index=ae.index, dtype="string")
    missing = given.isna().to_numpy(bool)
    out = given.to_numpy(object)
    if missing.any():
        known = pd.DataFrame({"t": term[~missing], "s": given[~missing].to_numpy(object)})
        common = known.value_counts().reset_index().drop_duplicates("t").set_index("t")["s"]
        from_data = pd.Series(term[missing]).map(common).astype(object)
        fallback = _dictionary_socs()
        names = pd.Series(np.asarray(terms, object)[term[missing]], dtype="string").str.lower()
        by_name = names.map(fallback).astype(object).to_numpy(object)
        filled = from_data.where(from_data.notna(), by_name).fillna(NO_SOC).to_numpy(object)
        filled = np.where(uncoded[missing], spec.uncoded_label, filled)
        out[missing] = filled
    return _canonical(pd.Series(out))


def _canonical(values: pd.Series, *, lower: bool = False) -> tuple[np.ndarray, list[str]]:
    """Codes per value, matching case- and space-insensitively; -1 for missing."""
    codes, uniques = pd.factorize(values)
    names = [str(u).strip() for u in uniques]
    keys = [n.lower() for n in names]
    canon_codes, canon_keys = pd.factorize(pd.Index(keys))
    first: dict[int, str] = {}
    for k, n in zip(canon_codes, names, strict=True):
        first.setdefault(int(k), n.lower() if lower else n)
    mapped = np.where(codes >= 0, canon_codes[np.maximum(codes, 0)] if len(canon_codes) else -1, -1)
    return mapped.astype(np.int64), [first[i] for i in range(len(canon_keys))]


# --------------------------------------------------------------------------- row plan


@dataclass
class _Row:
    label: str
    level: str  # any | soc | term | events (a 'Total number of events' row)
    members: list[tuple[int, int]]  # (term code, criteria-mask id); -1 term: no data
    listed: bool = False
    order: int = 0
    soc: str = ""
    children: list[int] = field(default_factory=list)
    names: tuple[str, ...] = ()  # the spec's term names (SOC of a row without data)
    parent: int = -1  # an events row: the row whose records it counts


@dataclass
class _Plan:
    rows: list[_Row]
    masks: np.ndarray  # [n_masks, n_crit + 1] allowed criteria (last: missing)


def _mask(crits: list[str], allowed: tuple[str, ...] | None) -> np.ndarray:
    if allowed is None:
        return np.ones(len(crits) + 1, bool)

    want = {resolve_criteria_id(a) for a in allowed}
    return np.array([c in want for c in crits] + [False])


def _row_plan(spec: TableSpec, data: _Records) -> _Plan:
    masks = [_mask(data.crits, spec.criteria)]
    lookup: dict[str, list[int]] = {}
    for i, t in enumerate(data.terms):
        lookup.setdefault(t.lower(), []).append(i)
    rows: list[_Row] = []
    covered: set[int] = set()
    for i, r in enumerate(spec.rows):
        m = 0
        if r.criteria is not None:
            masks.append(_mask(data.crits, r.criteria))
            m = len(masks) - 1
        codes = [c for t in r.terms for c in lookup.get(t.strip().lower(), [-1])]
        covered.update(c for c in codes if c >= 0)
        rows.append(
            _Row(r.label, "term", [(c, m) for c in codes], listed=True, order=i, names=r.terms)
        )
    if not spec.rows or spec.include_unlisted:
        rows += _derived_rows(data, masks, covered)
    plan = _Plan(rows, np.array(masks))
    if spec.soc:
        _add_soc_rows(plan, data, spec)
    if spec.any_event_row:
        label = spec.any_event_label
        if spec.count == "both" and label == "Any adverse event":
            label = "Total number of patients with at least one adverse event"
        plan.rows.append(_Row(label, "any", []))
    if spec.count == "both":
        for i, row in enumerate(list(plan.rows)):
            if row.level in ("any", "soc"):
                label = spec.events_label
                if row.level == "any" and spec.overall_events_label is not None:
                    label = spec.overall_events_label
                events = _Row(label, "events", [], soc=row.soc, parent=i)
                plan.rows.append(events)
    return plan


def _derived_rows(data: _Records, masks: list[np.ndarray], covered: set[int]) -> list[_Row]:
    """One row per term in the data; per term and system when a term has several systems."""
    ok = data.live & masks[0][data.crit]
    n_crit = len(data.crits) + 1
    pairs = np.unique(
        data.term[ok] * n_crit + np.where(data.crit[ok] < 0, n_crit - 1, data.crit[ok])
    )
    term, crit = pairs // n_crit, pairs % n_crit
    rows = []
    for t in np.unique(term):
        if t in covered or t < 0:
            continue
        systems = crit[term == t]
        if len(systems) == 1:
            rows.append(_Row(data.terms[t], "term", [(int(t), 0)]))
            continue
        for c in systems:
            m = np.zeros(n_crit, bool)
            m[c] = True
            masks.append(m)
            name = data.crits[c] if c < len(data.crits) else "no system"
            rows.append(
                _Row(f"{data.terms[t]} ({system_label(name)})", "term", [(int(t), len(masks) - 1)])
            )
    return rows


def _add_soc_rows(plan: _Plan, data: _Records, spec: TableSpec) -> None:
    """Nest term rows under SOC rows. A record's SOC is its own (AEBODSYS), so a row whose
    records lie under several SOCs is listed under each, counting the records of that SOC."""
    fallback = _dictionary_socs()
    rows: list[_Row] = []
    socs: dict[str, _Row] = {}
    for row in plan.rows:
        by_soc: dict[str, list[tuple[int, int]]] = {}
        for t, m in row.members:
            if t >= 0:
                by_soc.setdefault(data.socs[int(data.term_soc[t])], []).append((t, m))
        if not by_soc:
            found = [fallback.get(n.strip().lower()) for n in (*row.names, row.label)]
            name = next((f for f in found if f), NO_SOC)
            by_soc[name] = list(row.members)
        for soc, members in by_soc.items():
            rows.append(
                _Row(row.label, row.level, members, row.listed, row.order, soc, names=row.names)
            )
            parent = socs.setdefault(soc, _Row(soc, "soc", [], soc=soc))
            parent.members += members
            parent.children.append(len(rows) - 1)
    plan.rows = rows + list(socs.values())


def _dictionary_socs() -> dict[str, str]:
    try:  # CTCAE v5.0, then v6.0 (ICANS), then aegrade's abbreviations (criteria.terms)
        return term_socs()
    except Exception:  # the dictionary is a convenience for rows without data
        return {}


# --------------------------------------------------------------------------- counting


def _membership(plan: _Plan, data: _Records) -> tuple[np.ndarray, np.ndarray]:
    """(record, row) pairs: every record each row covers, each pair once."""
    mem = _merged_members(plan)
    n_terms = len(data.terms)
    live = ~np.isnan(data.grade) & (data.term >= 0)
    rec = np.flatnonzero(live)
    crit = np.where(data.crit[rec] < 0, plan.masks.shape[1] - 1, data.crit[rec])
    if mem:
        mt, mr, mm = (np.array(x, np.int64) for x in zip(*mem, strict=True))
        order = np.argsort(mt, kind="stable")
        mt, mr, mm = mt[order], mr[order], mm[order]
        per_term = np.bincount(mt, minlength=n_terms)
        start = np.r_[0, np.cumsum(per_term)[:-1]]
        rep = per_term[data.term[rec]]
        r_idx = np.repeat(np.arange(len(rec)), rep)
        offset = np.arange(len(r_idx)) - np.repeat(np.cumsum(rep) - rep, rep)
        m_idx = start[data.term[rec][r_idx]] + offset
        ok = plan.masks[mm[m_idx], crit[r_idx]]
        pair_rec, pair_row = rec[r_idx[ok]], mr[m_idx[ok]]
    else:
        pair_rec = pair_row = np.zeros(0, np.int64)
    any_rows = [i for i, row in enumerate(plan.rows) if row.level == "any"]
    if any_rows:
        counted = np.zeros(len(data.grade), bool)
        counted[pair_rec] = True
        counted[rec[plan.masks[0][crit]]] = True
        extra = np.flatnonzero(counted)
        pair_rec = np.r_[pair_rec, extra]
        pair_row = np.r_[pair_row, np.full(len(extra), any_rows[0])]
    return pair_rec, pair_row


def _merged_members(plan: _Plan) -> list[tuple[int, int, int]]:
    """(term, row, mask) with one entry per row and term (masks of repeats OR-ed together),
    so that a record matches a row at most once."""
    merged: dict[tuple[int, int], list[int]] = {}
    for r, row in enumerate(plan.rows):
        for t, m in row.members:
            if t >= 0:
                merged.setdefault((t, r), []).append(m)
    out = []
    masks = list(plan.masks)
    for (t, r), ms in merged.items():
        if len(set(ms)) > 1:
            masks.append(np.logical_or.reduce([plan.masks[m] for m in ms]))
            out.append((t, r, len(masks) - 1))
        else:
            out.append((t, r, ms[0]))
    plan.masks = np.array(masks)
    return out


@dataclass(frozen=True)
class _Col:
    label: str
    lo: float
    hi: float
    ungraded: bool  # counts records without a grade


def _columns(spec: TableSpec, data: _Records) -> list[_Col]:
    """The spec's columns (a column over every grade, [1, 5], also counts ungraded records),
    then the 'Grade missing' column when some counted record has no grade."""
    sign = spec.grade_sign
    cols = [
        _Col(c.label.replace(">=", sign), c.grades[0], c.grades[1], c.grades == (1, 5))
        for c in spec.columns
    ]
    label = spec.grade_missing_label
    if label and label not in {c.label for c in cols} and (data.grade == MISSING_GRADE).any():
        cols.append(_Col(label, MISSING_GRADE, MISSING_GRADE, True))
    return cols


def _count(
    plan: _Plan, data: _Records, subj: _Subjects, spec: TableSpec, cols: list[_Col]
) -> tuple[np.ndarray, tuple[str, ...]]:
    """n per [row, real arm, column]; and the systems of the records counted. Patients are
    counted at their worst grade in the row (a record without a grade counts as
    MISSING_GRADE, below every real grade); events rows count every record of their parent."""
    rec, row = _membership(plan, data)
    n_rows, n_arms = len(plan.rows), len(subj.arm_names)
    used = np.unique(data.crit[rec])
    systems = tuple(data.crits[c] for c in used if c >= 0)

    def tally(g_row: np.ndarray, g_sub: np.ndarray, worst: np.ndarray) -> np.ndarray:
        out = np.zeros((n_rows, n_arms, len(cols)), np.int64)
        cell = g_row * n_arms + subj.arm[g_sub]
        for j, c in enumerate(cols):
            hit = (worst >= c.lo) & (worst <= c.hi)
            if c.ungraded:
                hit |= worst == MISSING_GRADE
            out[:, :, j] = np.bincount(cell[hit], minlength=n_rows * n_arms).reshape(n_rows, n_arms)
        return out

    events = tally(row, data.sub[rec], data.grade[rec])
    if spec.count == "events":
        return events, systems
    out = tally(*worst_grades(row, data.sub[rec], data.grade[rec]))
    for i, r in enumerate(plan.rows):
        if r.level == "events":
            out[i] = events[r.parent]
    return out, systems


# --------------------------------------------------------------------------- assembly


def _assemble(
    plan: _Plan,
    counts: np.ndarray,
    subj: _Subjects,
    spec: TableSpec,
    cols: list[_Col],
    systems: tuple[str, ...],
    notes: tuple[str, ...],
) -> AETable:
    arms = list(subj.arm_names)
    big_n = list(subj.big_n)
    if spec.by is not None and spec.total:
        counts = np.concatenate([counts, counts.sum(axis=1, keepdims=True)], axis=1)
        arms.append(TOTAL)
        big_n.append(int(subj.big_n.sum()))
    labels = [c.label for c in cols]
    order = _display_order(plan, counts, spec, labels, np.array(big_n), len(subj.arm_names))
    rows = _rows_frame(plan, order, spec)
    cells = _cells_frame(rows, counts, arms, big_n, spec, labels)
    title = spec.title or (
        "Adverse events by worst grade" if spec.count != "events" else "Adverse events (events)"
    )
    return AETable(
        cells=cells,
        rows=rows.drop(columns="plan_id"),
        arms=tuple(zip(arms, (int(n) for n in big_n), strict=True)),
        columns=tuple(labels),
        spec=spec,
        title=title,
        footnotes=_footnotes(spec, systems, notes),
        criteria=systems,
        notes=notes,
    )


def _display_order(
    plan: _Plan,
    counts: np.ndarray,
    spec: TableSpec,
    labels: list[str],
    big_n: np.ndarray,
    n_real: int,
) -> list[int]:
    spec_labels = [c.label for c in spec.columns]  # the displayed ones may spell '>=' as '≥'
    j = spec_labels.index(spec.sort_column) if spec.sort_column else 0
    freq = counts[:, :n_real, j].sum(axis=1)
    shown = [
        i
        for i, r in enumerate(plan.rows)
        if r.level == "term" and (r.listed or counts[i].sum() > 0)
    ]
    if spec.threshold is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            pct = 100.0 * counts[:, :n_real, j] / np.maximum(big_n[:n_real], 1)
        shown = [i for i in shown if (pct[i] >= spec.threshold - 1e-9).any()]

    def key(i: int) -> tuple[int | str, ...]:
        r = plan.rows[i]
        if spec.effective_sort == "frequency":
            return (-int(freq[i]), r.label.lower(), r.label)
        return (0 if r.listed else 1, r.order if r.listed else 0, r.label.lower(), r.label)

    events = {r.parent: i for i, r in enumerate(plan.rows) if r.level == "events"}
    order: list[int] = []
    for i, r in enumerate(plan.rows):
        if r.level == "any":
            order += [i, events[i]] if i in events else [i]
    if not spec.soc:
        return order + sorted(shown, key=key)
    keep = set(shown)
    socs = [
        i
        for i, r in enumerate(plan.rows)
        if r.level == "soc" and any(c in keep for c in r.children)
    ]
    for i in socs:  # a SOC row in spec order goes where its first listed row is
        kids = [c for c in plan.rows[i].children if c in keep]
        plan.rows[i].order = min(plan.rows[c].order if plan.rows[c].listed else 10**9 for c in kids)
        plan.rows[i].listed = plan.rows[i].order < 10**9
    for i in sorted(socs, key=key):
        order.append(i)
        if i in events:
            order.append(events[i])
        order += sorted((c for c in plan.rows[i].children if c in keep), key=key)
    return order


def _rows_frame(plan: _Plan, order: list[int], spec: TableSpec) -> pd.DataFrame:
    recs = []
    for pos, i in enumerate(order):
        r = plan.rows[i]
        nested = (spec.soc and r.level == "term") or (r.level == "events" and r.soc != "")
        recs.append(
            {
                "row_id": pos,
                "plan_id": i,
                "row": r.label,
                "level": r.level,
                "soc": r.soc if spec.soc else None,
                "indent": 1 if nested else 0,
                "key": f"{r.soc} / {r.label}" if nested else r.label,
            }
        )
    return pd.DataFrame(recs, columns=["row_id", "plan_id", "row", "level", "soc", "indent", "key"])


def _cells_frame(
    rows: pd.DataFrame,
    counts: np.ndarray,
    arms: list[str],
    big_n: list[int],
    spec: TableSpec,
    labels: list[str],
) -> pd.DataFrame:
    n_rows, n_arms, n_cols = len(rows), len(arms), len(labels)
    sub = counts[rows["plan_id"].to_numpy(np.int64)] if n_rows else counts[:0]
    n = sub.reshape(-1)
    big = np.tile(np.repeat(np.array(big_n, np.int64), n_cols), n_rows)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(big > 0, 100.0 * n / np.maximum(big, 1), np.nan)
    idx = np.repeat(np.arange(n_rows), n_arms * n_cols)
    plain = (
        np.ones(len(n), bool)
        if spec.count == "events"
        else (rows["level"].to_numpy(object) == "events")[idx]
    )
    pct = np.where(plain, np.nan, pct)
    text = [
        str(int(a))
        if p
        else format_count(
            int(a),
            int(b),
            decimals=spec.decimals,
            zero=spec.zero,
            percent_sign=spec.percent_sign,
            rounding=spec.rounding,
        )
        for a, b, p in zip(n, big, plain, strict=True)
    ]
    return pd.DataFrame(
        {
            "row_id": rows["row_id"].to_numpy()[idx],
            "row": rows["row"].to_numpy(object)[idx],
            "level": rows["level"].to_numpy(object)[idx],
            "soc": rows["soc"].to_numpy(object)[idx],
            "arm": np.tile(np.repeat(np.array(arms, object), n_cols), n_rows),
            "column": np.tile(np.array(labels, object), n_rows * n_arms),
            "n": n.astype(np.int64),
            "N": big,
            "percent": pct,
            "cell": np.array(text, object),
            "arm_order": np.tile(np.repeat(np.arange(n_arms), n_cols), n_rows),
            "col_order": np.tile(np.arange(n_cols), n_rows * n_arms),
        }
    )


def _footnotes(
    spec: TableSpec, systems: tuple[str, ...], notes: tuple[str, ...]
) -> tuple[str, ...]:
    out = list(spec.footnotes)
    if spec.count in ("subjects", "both"):
        out.append(
            "N, number of patients; n (%), number (percentage) of patients with at least "
            "one event. Each patient is counted once per row, at the worst grade."
        )
        if spec.count == "both":
            out.append(f"{spec.events_label}: every AE record (episode) of the rows above.")
    else:
        out.append(
            "N, number of patients; n, number of adverse events (episodes); a patient "
            "may contribute several."
        )
    if spec.threshold is not None:
        out.append(
            f"Adverse events in {spec.grade_sign} "
            f"{format_percent(spec.threshold, spec.decimals, rounding=spec.rounding)}% of "
            "patients in at least one arm."
        )
    foot = grading_footnote(systems)
    if foot:
        out.append(foot)
    out += list(notes)
    return tuple(out)
