"""Two CTCAE versions side by side: what migrating a study from one version to another changes.

:func:`compare_versions` grades one study under two CTCAE versions (or a version and a user's
criteria file) and reports every subject and term whose worst grade changes: the term is
renamed (same grade, NCI's mapping sheet gives the term a new name), the grade goes up or down,
the term is newly graded (no grade under the first version) or no longer graded (no grade under
the second). Terms are matched through NCI's mapping sheets (v4.03 -> v5.0 -> v6.0, see
:func:`aegrade.criteria.version_term_map`), so 'Platelet count decreased' in v5.0 is compared
with 'Thrombocytopenia' in v6.0. A subject's worst grade of a term is the highest grade of its
graded observations (grade 0 included, so a value that leaves the AE range reads as 'grade
down' to 0) and of its clinician events; a term only ever graded 0 under both is no change.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from aegrade.criteria import resolve_criteria_id, version_term_map
from aegrade.pipeline import GradeResult, grade
from aegrade.read import load_study
from aegrade.study import Study
from aegrade.tables.display import DisplayTable

__all__ = ["CHANGES", "VersionComparison", "compare_versions"]

#: The kinds of change, in the order tables show them.
CHANGES = ("term renamed", "grade up", "grade down", "newly graded", "no longer graded")

_DRIVER_COLUMNS = [
    "subject_id",
    "change",
    "version",
    "term",
    "grade",
    "day",
    "parameter",
    "value",
    "unit",
    "rule",
    "source",
]


@dataclass(frozen=True)
class VersionComparison:
    """What grading a study by ``b`` instead of ``a`` changes.

    Attributes
    ----------
    a, b
        The two criteria ids compared.
    changes
        One row per subject and term whose worst grade changes: ``subject_id``, ``term_a``,
        ``grade_a``, ``term_b``, ``grade_b`` (NA: not graded under that version), ``change``
        (one of :data:`CHANGES`) and ``renamed`` (NCI gives the term another name in ``b``).
    counts
        Per term (``term_a``, ``term_b``): the number of subjects with each kind of change.
    drivers
        The rows that drove each change: per changed subject and term, the observations (or
        clinician events) that give the worst grade under each version, when that grade is
        above 0.
    """

    a: str
    b: str
    changes: pd.DataFrame
    counts: pd.DataFrame
    drivers: pd.DataFrame

    def tables(self) -> list[DisplayTable]:
        """The comparison as three display tables (counts per term, subjects, driving rows),
        for any writer of :func:`aegrade.write.write_table`.

        Examples
        --------
        >>> empty = pd.DataFrame()
        >>> c = VersionComparison("ctcae-v5.0", "ctcae-v6.0", empty, empty, empty)
        >>> [t.name for t in c.tables()]
        ['changes_per_term', 'subjects', 'drivers']
        """
        return [self._counts_table(), self._subjects_table(), self._drivers_table()]

    def _counts_table(self) -> DisplayTable:
        body = []
        for row in self.counts.to_dict("records") if len(self.counts) else []:
            label = _pair(row.get("term_a"), row.get("term_b"))
            body.append((label, *(str(int(row[c])) for c in (*CHANGES, "subjects"))))
        return DisplayTable(
            title=f"Worst-grade changes per term, {self.a} -> {self.b}",
            stub_header=f"Term ({self.a} -> {self.b})",
            columns=(*CHANGES, "subjects"),
            body=tuple(body),
            footnotes=(
                "Subjects whose worst grade of the term changes; terms matched through NCI's "
                "mapping sheets. 'term renamed': same grade under the new name.",
            ),
            name="changes_per_term",
        )

    def _subjects_table(self) -> DisplayTable:
        body = []
        for row in self.changes.to_dict("records") if len(self.changes) else []:
            body.append(
                (
                    str(row["subject_id"]),
                    _text(row["term_a"]),
                    _text(row["grade_a"]),
                    _text(row["term_b"]),
                    _text(row["grade_b"]),
                    str(row["change"]),
                )
            )
        return DisplayTable(
            title=f"Subjects whose worst grade changes, {self.a} -> {self.b}",
            stub_header="Subject",
            columns=(f"term {self.a}", "grade", f"term {self.b}", "grade ", "change"),
            body=tuple(body),
            footnotes=("'-': not graded under that version.",),
            name="subjects",
        )

    def _drivers_table(self) -> DisplayTable:
        body = []
        for row in self.drivers.to_dict("records") if len(self.drivers) else []:
            body.append(tuple(_text(row[c]) for c in _DRIVER_COLUMNS))
        return DisplayTable(
            title=f"Rows that drove each change, {self.a} -> {self.b}",
            stub_header="Subject",
            columns=tuple(_DRIVER_COLUMNS[1:]),
            body=tuple(body),
            name="drivers",
        )


def _text(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return "-"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _pair(a: object, b: object) -> str:
    a_text, b_text = _text(a), _text(b)
    return a_text if a_text == b_text else f"{a_text} -> {b_text}"


def compare_versions(
    study: Study | str | Path | pd.DataFrame,
    a: str = "ctcae-v5.0",
    b: str = "ctcae-v6.0",
    *,
    errors: Literal["raise", "coerce"] = "coerce",
    ambiguous: Literal["worse", "lower"] = "worse",
) -> VersionComparison:
    """Grade ``study`` under CTCAE versions ``a`` and ``b`` and report what changes.

    Parameters
    ----------
    study
        A study (path, Study or observations frame), as :func:`aegrade.grade` takes it.
    a, b
        The two criteria: ids, aliases (``5.0``, ``6.0``) or user criteria files.
    errors
        As in :func:`aegrade.grade`; ``coerce`` (default) grades what can be graded, so that a
        clinician event whose term one version does not have reads as not graded there.
    ambiguous
        As in :func:`aegrade.grade`, for both versions.

    Returns
    -------
    VersionComparison
        ``changes`` per subject and term, ``counts`` per term, ``drivers`` (the rows behind
        each change) and :meth:`VersionComparison.tables` for the writers.

    Examples
    --------
    >>> obs = pd.DataFrame(
    ...     {
    ...         "subject_id": ["01", "02", "03"],
    ...         "day": [7, 7, 7],
    ...         "parameter": ["PLAT", "NEUT", "NEUT"],
    ...         "value": [20.0, 1.7, 0.4],
    ...         "unit": ["10^9/L"] * 3,
    ...         "lln": [150.0, 2.0, 2.0],
    ...     }
    ... )
    >>> c = compare_versions(obs, "5.0", "6.0")
    >>> c.changes[["subject_id", "term_b", "grade_a", "grade_b", "change"]]
      subject_id                      term_b  grade_a  grade_b      change
    0         01            Thrombocytopenia        4        3  grade down
    1         02  Neutrophil count decreased        1        0  grade down
    2         03  Neutrophil count decreased        4        3  grade down
    """
    ida, idb = resolve_criteria_id(a), resolve_criteria_id(b)
    if not isinstance(study, Study):
        study = load_study(study)
    ra, rb = (
        grade(
            study, cid, errors=errors, ambiguous=ambiguous, crs=None, icans=None, hematology=False
        )
        for cid in (ida, idb)
    )
    rows_a, rows_b = _graded_rows(ra, ida), _graded_rows(rb, idb)
    changes = _changes(_worst(rows_a), _worst(rows_b), version_term_map(ida, idb))
    return VersionComparison(
        a=ida,
        b=idb,
        changes=changes,
        counts=_counts(changes),
        drivers=_drivers(changes, rows_a, rows_b, ida, idb),
    )


def _graded_rows(result: GradeResult, cid: str) -> pd.DataFrame:
    """Every graded row of one version: observations (both directions) and clinician events."""
    go = result.graded_observations
    parts = []
    for side in ("low", "high"):
        part = pd.DataFrame(
            {
                "subject_id": go["subject_id"].astype("string"),
                "term": go[f"term_{side}"].astype("string"),
                "grade": pd.to_numeric(go[f"grade_{side}"], errors="coerce"),
                "day": pd.to_numeric(go["day"], errors="coerce"),
                "parameter": go["parameter"].astype("string"),
                "value": pd.to_numeric(go["value"], errors="coerce"),
                "unit": go["unit"].astype("string"),
                "rule": go[f"rule_{side}"].astype("string"),
                "source": "observation",
            }
        )
        parts.append(part[part["term"].notna() & part["grade"].notna()])
    ae = result.adverse_events
    clinician = ae[(ae["source"] == "clinician") & (ae["criteria"] == cid)]
    parts.append(
        pd.DataFrame(
            {
                "subject_id": clinician["subject_id"].astype("string"),
                "term": clinician["term"].astype("string"),
                "grade": pd.to_numeric(clinician["grade"], errors="coerce"),
                "day": pd.to_numeric(clinician["onset"], errors="coerce"),
                "parameter": pd.Series(pd.NA, index=clinician.index, dtype="string"),
                "value": np.nan,
                "unit": pd.Series(pd.NA, index=clinician.index, dtype="string"),
                "rule": clinician["rule"].astype("string"),
                "source": "clinician event",
            }
        )
    )
    return pd.concat(parts, ignore_index=True)


def _worst(rows: pd.DataFrame) -> pd.DataFrame:
    """Worst grade per subject and term."""
    worst = rows.groupby(["subject_id", "term"], observed=True)["grade"].max()
    return worst.reset_index()


def _changes(wa: pd.DataFrame, wb: pd.DataFrame, mapping: dict[str, str]) -> pd.DataFrame:
    left = wa.rename(columns={"term": "term_a", "grade": "grade_a"})
    left["key"] = left["term_a"].map(lambda t: mapping.get(t, t)).astype("string")
    right = wb.rename(columns={"term": "term_b", "grade": "grade_b"})
    right["key"] = right["term_b"]
    both = left.merge(right, on=["subject_id", "key"], how="outer")
    both["term_b"] = both["term_b"].fillna(both["key"])
    ga, gb = both["grade_a"].to_numpy(float), both["grade_b"].to_numpy(float)
    has_a, has_b = ~np.isnan(ga), ~np.isnan(gb)
    renamed = (has_a & has_b & (both["term_a"] != both["term_b"])).to_numpy(bool)
    worst = np.fmax(ga, gb)
    change = np.select(
        [
            has_a & ~has_b & (ga > 0),
            ~has_a & has_b & (gb > 0),
            has_a & has_b & (gb > ga),
            has_a & has_b & (gb < ga),
            renamed & (ga == gb) & (worst > 0),
        ],
        ["no longer graded", "newly graded", "grade up", "grade down", "term renamed"],
        default="",
    )
    out = both.assign(change=change, renamed=renamed)
    out = out[out["change"] != ""]
    out = out[["subject_id", "term_a", "grade_a", "term_b", "grade_b", "change", "renamed"]]
    for col in ("grade_a", "grade_b"):
        out[col] = out[col].astype("Int64")
    return out.sort_values(["subject_id", "term_b"], kind="stable").reset_index(drop=True)


def _counts(changes: pd.DataFrame) -> pd.DataFrame:
    if changes.empty:
        return pd.DataFrame(columns=["term_a", "term_b", *CHANGES, "subjects"])
    keyed = changes.assign(
        term_a=changes["term_a"].fillna("-"), term_b=changes["term_b"].fillna("-")
    )
    table = pd.crosstab([keyed["term_a"], keyed["term_b"]], keyed["change"])
    table = table.reindex(columns=list(CHANGES), fill_value=0)
    table["subjects"] = keyed.groupby(["term_a", "term_b"])["subject_id"].nunique()
    table = table.reset_index().sort_values("subjects", ascending=False, kind="stable")
    return table.reset_index(drop=True).rename_axis(columns=None)


def _drivers(
    changes: pd.DataFrame, rows_a: pd.DataFrame, rows_b: pd.DataFrame, ida: str, idb: str
) -> pd.DataFrame:
    parts = []
    for side, rows, cid in (("a", rows_a, ida), ("b", rows_b, idb)):
        want = changes[changes[f"grade_{side}"].fillna(0) > 0][
            ["subject_id", f"term_{side}", f"grade_{side}", "change"]
        ].rename(columns={f"term_{side}": "term", f"grade_{side}": "grade"})
        want["grade"] = want["grade"].astype(float)
        hit = want.merge(rows, on=["subject_id", "term", "grade"], how="inner")
        parts.append(hit.assign(version=cid))
    out = pd.concat(parts, ignore_index=True)
    if out.empty:
        return pd.DataFrame(columns=_DRIVER_COLUMNS)
    out["grade"] = out["grade"].astype("Int64")
    out = out.sort_values(["subject_id", "term", "version", "day"], kind="stable")
    return out[_DRIVER_COLUMNS].reset_index(drop=True)
