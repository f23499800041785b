"""Reconciliation listing for data managers (issue 14, point 7): derived grades beside the
investigator-reported AEs of the same patient and time window, one row per finding.

Findings:

- ``derived grade >= N, not reported``: a derived AE (lab, CRS or ICANS graded by aegrade) at
  grade >= ``threshold`` with no reported AE of the same term in its time window;
- ``reported grade differs``: a reported AE of the same term in the window whose grade is not
  the derived grade;
- ``CRS by system``: each patient's worst CRS grade by every grading system present (and the
  reported grade), side by side; marked when they disagree.

A reported AE matches a derived one when it is the same patient, the same adverse event and
its onset lies from ``window`` days before the derived onset to ``window`` days after the
derived end (the onset when there is no end). The same adverse event: the same MedDRA code, or
the same term once spellings are folded ("Anaemia" = "Anemia"), or terms of one group of
``criteria/data/terms/ae_terms.yaml`` ("Neutropenia" = "Neutrophil count decreased",
"Thrombocytopenia" = "Platelet count decreased", "ICANS" = "Immune effector cell-associated
neurotoxicity syndrome"; each group cites its source or says it is aegrade's own grouping).
``synonyms=False`` matches the same name (case-insensitive) or MedDRA code only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from aegrade.criteria.terms import term_match_keys
from aegrade.tables.crs_summary import CRS_TERM
from aegrade.tables.display import DisplayTable, system_label, with_grading_footnote
from aegrade.tables.spec import TableSpecError

__all__ = ["RECONCILE_COLUMNS", "build_reconciliation"]

#: Columns of the reconciliation listing, in order.
RECONCILE_COLUMNS = ("Finding", "Term", "Derived system", "Derived", "Reported", "Detail")


def build_reconciliation(
    adverse_events: pd.DataFrame,
    *,
    threshold: int = 3,
    window: float = 7.0,
    synonyms: bool = True,
) -> DisplayTable:
    """Derived against reported AEs, one row per finding (see the module docstring).

    Parameters
    ----------
    adverse_events
        ``aegrade.grade(...).adverse_events``: ``subject_id``, ``term``, ``grade``,
        ``source`` ('derived' or 'clinician'), ``criteria``, ``onset``, ``end``; optional
        ``meddra_code``.
    threshold
        Lowest derived grade that must have a reported AE.
    window
        Days allowed before the derived onset and after the derived end.
    synonyms
        Match terms through spellings and the groups of ``ae_terms.yaml`` (default), or by
        the same name or MedDRA code only (``False``).

    Returns
    -------
    DisplayTable
        Stub 'Patient', columns :data:`RECONCILE_COLUMNS` ('Derived': grade (days onset-end);
        'Reported': grade (day onset); 'Detail' names a reported term spelled otherwise);
        rows sorted by patient, finding, term and onset.

    Raises
    ------
    TableSpecError
        A required column is missing or ``threshold`` is not 1-5.

    Examples
    --------
    >>> ae = pd.DataFrame({"subject_id": ["1", "1", "2"], "term": ["Anemia"] * 3,
    ...                    "grade": [3, 2, 4], "source": ["derived", "clinician", "derived"],
    ...                    "criteria": ["ctcae-v5.0"] * 3, "onset": [5.0, 6.0, 3.0],
    ...                    "end": [9.0, None, 4.0]})
    >>> for row in build_reconciliation(ae).body:
    ...     print(row)
    ('1', 'grade differs', 'Anemia', 'CTCAE v5.0', '3 (days 5-9)', '2 (day 6)', '')
    ('2', 'grade >= 3 not reported', 'Anemia', 'CTCAE v5.0', '4 (days 3-4)', '', '')
    """
    for col in ("subject_id", "term", "grade"):
        if col not in adverse_events:
            raise TableSpecError(f"reconcile: adverse_events needs a {col!r} column")
    if not 1 <= threshold <= 5:
        raise TableSpecError(f"reconcile: threshold must be a grade 1-5, got {threshold}")
    ae = _normalised(adverse_events)
    keys = term_match_keys(ae["term"], synonyms=synonyms).rename(columns={"position": "row"})
    derived, reported = ae[~ae["clinician"]], ae[ae["clinician"]]
    rows = [
        _unreported_and_differing(derived, reported, keys, threshold, window),
        _crs(ae, keys, synonyms),
    ]
    found = (
        pd.concat([r for r in rows if len(r)], ignore_index=True)
        if any(len(r) for r in rows)
        else pd.DataFrame(columns=["subject_id", *RECONCILE_COLUMNS, "onset"])
    )
    found = found.sort_values(
        ["subject_id", "Finding", "Term", "onset"], kind="stable", na_position="last"
    )
    cells = found[["subject_id", *RECONCILE_COLUMNS]].astype(object)
    cells = cells.where(cells.notna(), "")
    body = tuple(tuple(_text(v) for v in r) for r in cells.to_numpy(object).tolist())
    return DisplayTable(
        title="Reconciliation: derived grades against reported adverse events",
        stub_header="Patient",
        columns=RECONCILE_COLUMNS,
        body=body,
        footnotes=with_grading_footnote(
            [
                "A reported AE matches a derived one: same patient and term (or MedDRA code"
                + (", spelling or synonym" if synonyms else "")
                + f"), onset from {window:g} days before the derived onset to {window:g} days "
                "after the derived end.",
                f"Derived AEs at grade >= {threshold} need a matching reported AE; every "
                "matching reported AE with another grade is listed.",
            ],
            ae["criteria"].dropna().unique(),
        ),
        name="Reconciliation",
    )


def _text(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _normalised(adverse_events: pd.DataFrame) -> pd.DataFrame:
    ae = adverse_events
    n = len(ae)

    def col(name: str) -> pd.Series:
        return ae[name] if name in ae else pd.Series(pd.NA, index=ae.index, dtype="object")

    src = col("source").astype("string").str.lower()
    out = pd.DataFrame(
        {
            "subject_id": ae["subject_id"].astype("string").to_numpy(object),
            "term": ae["term"].astype("string").to_numpy(object),
            "code": col("meddra_code").astype("string").to_numpy(object),
            "grade": pd.to_numeric(ae["grade"], errors="coerce").to_numpy(float),
            "criteria": col("criteria").astype("string").to_numpy(object),
            "onset": pd.to_numeric(col("onset"), errors="coerce").to_numpy(float),
            "end": pd.to_numeric(col("end"), errors="coerce").to_numpy(float),
            "clinician": (src == "clinician").to_numpy(bool, na_value=False),
        }
    )
    out["row"] = np.arange(n)
    return out


def _unreported_and_differing(
    derived: pd.DataFrame,
    reported: pd.DataFrame,
    keys: pd.DataFrame,
    threshold: int,
    window: float,
) -> pd.DataFrame:
    d = derived[derived["grade"].notna()]
    r = reported[["subject_id", "term", "code", "grade", "onset", "row"]]
    # one line per record and match key; records sharing a patient and a key are pairs
    by_term = d.merge(keys, on="row").merge(
        r.merge(keys, on="row"), on=["subject_id", "key"], suffixes=("", "_r")
    )
    with_code = d[d["code"].notna()].merge(
        r[r["code"].notna()], on=["subject_id", "code"], suffixes=("", "_r")
    )
    pairs = pd.concat([by_term.drop(columns=["key", "code_r"]), with_code])
    pairs = pairs.drop_duplicates(["row", "row_r"])
    stop = pairs["end"].where(pairs["end"].notna(), pairs["onset"])
    inside = (pairs["onset_r"] >= pairs["onset"] - window) & (pairs["onset_r"] <= stop + window)
    # no onset on either side: same patient and term is a match
    inside |= pairs["onset_r"].isna() | pairs["onset"].isna()
    pairs = pairs[inside.to_numpy(bool)]
    matched = set(pairs["row"])
    miss = d[(d["grade"] >= threshold) & ~d["row"].isin(matched)]
    unreported = pd.DataFrame(
        {
            "subject_id": miss["subject_id"],
            "Finding": f"grade >= {threshold} not reported",
            "Term": miss["term"],
            "Derived system": miss["criteria"].map(_label),
            "Derived": _cell(miss["grade"], miss["onset"], miss["end"], "days"),
            "Reported": "",
            "Detail": "",
            "onset": miss["onset"],
        }
    )
    diff = pairs[pairs["grade_r"].ne(pairs["grade"]).to_numpy(bool)]
    differing = pd.DataFrame(
        {
            "subject_id": diff["subject_id"],
            "Finding": "grade differs",
            "Term": diff["term"],
            "Derived system": diff["criteria"].map(_label),
            "Derived": _cell(diff["grade"], diff["onset"], diff["end"], "days"),
            "Reported": _cell(diff["grade_r"], diff["onset_r"], None, "day"),
            "Detail": _detail(diff),
            "onset": diff["onset"],
        }
    )
    return pd.concat([unreported, differing], ignore_index=True)


def _detail(pairs: pd.DataFrame) -> list[str]:
    """'reported as X' when the matched reported term is spelled otherwise (a synonym or
    MedDRA-code match), and 'reported without a grade'."""
    same = pairs["term"].astype("string").str.strip().str.lower().to_numpy(object) == (
        pairs["term_r"].astype("string").str.strip().str.lower().to_numpy(object)
    )
    names = np.where(same, "", "reported as '" + pairs["term_r"].astype(str) + "'")
    ungraded = np.where(pairs["grade_r"].isna(), "reported without a grade", "")
    return ["; ".join(x for x in (a, b) if x) for a, b in zip(names, ungraded, strict=True)]


def _day(v: float) -> str:
    return f"{v:.1f}".removesuffix(".0")


def _cell(grade: pd.Series, onset: pd.Series, end: pd.Series | None, word: str) -> list[str]:
    """'g (days a-b)' / 'g (day a)': a grade and when (one decimal at most)."""
    out = []
    stops = end.to_numpy(float) if end is not None else np.full(len(grade), np.nan)
    for g, a, b in zip(grade.to_numpy(float), onset.to_numpy(float), stops, strict=True):
        text = "NA" if np.isnan(g) else _text(float(g))
        if not np.isnan(a):
            span = _day(a) if np.isnan(b) or b == a else f"{_day(a)}-{_day(b)}"
            unit = word if "-" in span else "day"
            text += f" ({unit} {span})"
        out.append(text)
    return out


def _label(criteria: object) -> str:
    if not isinstance(criteria, str):  # None, NA, NaN
        return ""
    return system_label(criteria)


def _crs(ae: pd.DataFrame, keys: pd.DataFrame, synonyms: bool) -> pd.DataFrame:
    """One row per patient with CRS (a reported 'CRS' too, with ``synonyms``): the worst
    grade by each system and the reported one."""
    crs_keys = term_match_keys(pd.Series([CRS_TERM]), synonyms=synonyms)["key"]
    is_crs = ae["row"].isin(keys.loc[keys["key"].isin(crs_keys), "row"])
    crs = ae[is_crs & ae["grade"].notna()]
    if crs.empty:
        return pd.DataFrame()
    source = np.where(crs["clinician"], "reported", crs["criteria"].fillna("").map(_label))
    crs = crs.assign(system=source)
    worst = crs.groupby(["subject_id", "system"])["grade"].max().unstack("system")
    systems = sorted(c for c in worst.columns if c != "reported")
    if "reported" in worst.columns:
        systems.append("reported")
    worst = worst[systems]
    derived = [c for c in systems if c != "reported"]
    detail = [
        ", ".join(f"{s}: {_text(v) if v == v else 'NA'}" for s, v in zip(derived, row, strict=True))
        for row in worst[derived].to_numpy(float)
    ]
    agree = worst.nunique(axis=1, dropna=True) <= 1
    return pd.DataFrame(
        {
            "subject_id": worst.index.to_numpy(object),
            "Finding": np.where(agree, "CRS by system", "CRS systems differ"),
            "Term": CRS_TERM,
            "Derived system": "",
            "Derived": "",
            "Reported": [
                "" if v != v else _text(float(v))
                for v in (
                    worst["reported"].to_numpy(float)
                    if "reported" in worst
                    else np.full(len(worst), np.nan)
                )
            ],
            "onset": np.nan,
            "Detail": detail,
        }
    )
