"""Per-patient listing: worst grade per lineage, CRS, ICANS, IL-6 range and response.

The layout of Table 2 of Qi et al. 2023: one row per patient; columns Patient, Neutropenia,
Anemia, Thrombocytopenia, CRS, ICANS, IL-6 range (pg/mL), then the response columns of the
subjects table passed through unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from aegrade.tables.crs_summary import CRS_TERM, ICANS_TERM
from aegrade.tables.display import DisplayTable, with_grading_footnote
from aegrade.tables.spec import TableSpecError

__all__ = ["LISTING_TERMS", "build_patient_listing"]

#: Listing column -> AE term whose worst grade it shows.
LISTING_TERMS: dict[str, str] = {
    "Neutropenia": "Neutrophil count decreased",
    "Anemia": "Anemia",
    "Thrombocytopenia": "Platelet count decreased",
    "CRS": CRS_TERM,
    "ICANS": ICANS_TERM,
}
_RESPONSE = re.compile(r"response|remission|mrd|outcome|relapse", re.IGNORECASE)
_PREFERRED = {"CRS": "astct-2019", "ICANS": "astct-2019"}
#: Listing column -> subject_summary column of the same grade in listing.csv (the lineage's
#: worst CTCAE grade, aegrade.grading.hematology.LINEAGES).
_SUMMARY_LINEAGE = {
    "Neutropenia": "neutrophils_worst_grade",
    "Anemia": "hemoglobin_worst_grade",
    "Thrombocytopenia": "platelets_worst_grade",
}
#: Listing column -> prefix of the subject_summary columns giving its derived grade.
_SUMMARY_SYNDROME = {"CRS": "crs_grade_", "ICANS": "icans_grade_"}


def build_patient_listing(
    adverse_events: pd.DataFrame | None = None,
    subjects: pd.DataFrame | None = None,
    *,
    listing: pd.DataFrame | None = None,
    observations: pd.DataFrame | None = None,
    subject_summary: pd.DataFrame | None = None,
    response_columns: Sequence[str] | None = None,
    prefer: Literal["clinician", "derived"] = "clinician",
) -> DisplayTable:
    """One row per patient with worst grades, IL-6 range and response.

    Parameters
    ----------
    adverse_events
        AE rows; the worst grade per patient of each :data:`LISTING_TERMS` term, chosen per
        patient: the clinician-reported grade (``source`` 'clinician') when the patient has
        one, else the grade by the preferred system (ASTCT 2019 for CRS and ICANS) when the
        patient has one, else any. The lineage columns (Neutropenia, Anemia,
        Thrombocytopenia) take the derived grade from ``subject_summary``'s
        ``*_worst_grade`` columns when given, so they read as ``listing.csv`` does. A patient
        without such an AE shows 0 when assessed (a grade in ``subject_summary`` or a graded
        value of the term in ``observations``) and NA when not; without either table there is
        no telling, and a patient without an event shows 0.
    subjects
        Patients in order (``subject_id``), and the response columns.
    listing
        A ready per-patient frame (``subject_id`` first) used instead of the AE-derived
        columns; response columns missing from it are joined from ``subjects``.
    observations
        Observations with ``IL6`` rows (``parameter``, ``value``) for the IL-6 range.
    subject_summary
        Used for the IL-6 range when observations are not given (``il6_baseline``,
        ``il6_peak``).
    response_columns
        Columns of ``subjects`` to pass through; default those whose name mentions response,
        remission, MRD, outcome or relapse.
    prefer
        'clinician' (default): a clinician-reported grade wins over a derived one for that
        patient; 'derived': the derived grade wins where there is one.

    Returns
    -------
    DisplayTable
        Columns Patient, one per :data:`LISTING_TERMS` key, ``IL-6 range (pg/mL)`` (NA without
        IL-6 values), then the response columns.

    Raises
    ------
    ValueError
        None of ``subjects``, ``listing`` and ``adverse_events`` is given.
    TableSpecError
        A response column is not in ``subjects``.

    Examples
    --------
    >>> import pandas as pd
    >>> ae = pd.DataFrame(
    ...     {
    ...         "subject_id": ["1", "1", "2"],
    ...         "term": ["Cytokine release syndrome", "Anemia", "Anemia"],
    ...         "criteria": ["astct-2019", "ctcae-v5.0", "ctcae-v5.0"],
    ...         "grade": [2, 3, 1],
    ...     }
    ... )
    >>> subjects = pd.DataFrame({"subject_id": ["1", "2"], "best_response": ["CR", "PR"]})
    >>> listing = build_patient_listing(ae, subjects).to_frame()
    >>> listing[["Patient", "Anemia", "CRS", "IL-6 range (pg/mL)", "best_response"]]
      Patient Anemia CRS IL-6 range (pg/mL) best_response
    0       1      3   2                 NA            CR
    1       2      1   0                 NA            PR
    """
    ids = _patients(subjects, adverse_events, listing)
    if listing is not None:
        frame = listing.assign(subject_id=listing["subject_id"].astype("string"))
    else:
        frame = pd.DataFrame({"subject_id": ids})
        for col, term in LISTING_TERMS.items():
            frame[col] = _column(
                adverse_events, col, term, ids, prefer, observations, subject_summary
            )
        frame["IL-6 range (pg/mL)"] = _il6_range(observations, subject_summary, ids)
    frame = _with_responses(frame, subjects, response_columns)
    frame = frame.rename(columns={"subject_id": "Patient"})
    cells = frame.astype(object).where(frame.notna(), "NA").map(_text)
    foot = ["Worst grade per patient; 0, assessed with no event of grade >= 1; NA, not assessed."]
    if listing is None and _has_lineages(subject_summary):
        foot.append(
            "Neutropenia, Anemia, Thrombocytopenia: worst CTCAE grade of the lineage's values "
            "(subject_summary, listing.csv) unless a clinician reported a grade."
        )
    systems = (
        adverse_events["criteria"].unique()
        if adverse_events is not None and "criteria" in adverse_events
        else ()
    )
    return DisplayTable(
        title="Per-patient toxicity and response",
        stub_header="Patient",
        columns=tuple(str(c) for c in cells.columns[1:]),
        body=tuple(tuple(r) for r in cells.to_numpy(object).tolist()),
        footnotes=with_grading_footnote(foot, systems),
        name="Patient listing",
    )


def _text(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _patients(
    subjects: pd.DataFrame | None, ae: pd.DataFrame | None, listing: pd.DataFrame | None
) -> pd.Index:
    for frame in (subjects, listing, ae):
        if frame is not None:
            return pd.Index(pd.unique(frame["subject_id"].astype("string").dropna()))
    raise ValueError("a listing needs subjects, adverse events or a listing frame")


def _has_lineages(summary: pd.DataFrame | None) -> bool:
    return summary is not None and any(c in summary for c in _SUMMARY_LINEAGE.values())


def _summary_values(
    summary: pd.DataFrame | None, columns: Sequence[str], ids: pd.Index
) -> np.ndarray:
    """The worst of ``columns`` of the subject summary per patient (NaN where none)."""
    out = np.full(len(ids), np.nan)
    if summary is None or not columns:
        return out
    frame = summary.drop_duplicates("subject_id").set_index(
        summary.drop_duplicates("subject_id")["subject_id"].astype("string")
    )
    for c in columns:
        v = pd.to_numeric(frame[c], errors="coerce").reindex(ids).to_numpy(float)
        out = np.fmax(out, v)
    return out


def _assessed(
    term: str,
    col: str,
    ids: pd.Index,
    observations: pd.DataFrame | None,
    summary: pd.DataFrame | None,
) -> np.ndarray | None:
    """Per patient: was the term assessed (a grade, 0 included, in the summary or a graded
    value in the observations)? None when neither table can tell."""
    known = False
    out = np.zeros(len(ids), bool)
    if summary is not None and "subject_id" in summary:
        cols = [
            c
            for c in summary.columns
            if str(c).lower().startswith(term.lower() + " [")
            or c == _SUMMARY_LINEAGE.get(col)
            or str(c).startswith(_SUMMARY_SYNDROME.get(col, "\0"))
        ]
        if cols:
            known = True
            out |= ~np.isnan(_summary_values(summary, cols, ids))
    if observations is not None and "subject_id" in observations:
        for d in ("low", "high"):
            t, g = f"term_{d}", f"grade_{d}"
            if t not in observations or g not in observations:
                continue
            known = True
            hit = (observations[t].astype("string").str.lower() == term.lower()).to_numpy(
                bool, na_value=False
            ) & observations[g].notna().to_numpy(bool)
            sid = observations["subject_id"].astype("string")[hit]
            out |= ids.isin(set(sid))
    return out if known else None


def _column(
    ae: pd.DataFrame | None,
    col: str,
    term: str,
    ids: pd.Index,
    prefer: str,
    observations: pd.DataFrame | None,
    summary: pd.DataFrame | None,
) -> pd.Series:
    """One listing column: the grade per patient, NA where not assessed (never a 0 for
    missing)."""
    worst = _worst(ae, term, _PREFERRED.get(col), ids, prefer).to_numpy(float, na_value=np.nan)
    lineage = _SUMMARY_LINEAGE.get(col)
    if lineage is not None and summary is not None and lineage in summary:
        derived = _summary_values(summary, [lineage], ids)
        clin = np.full(len(ids), np.nan)
        if ae is not None and "source" in ae:
            is_clin = (ae["source"].astype("string").str.lower() == "clinician").to_numpy(
                bool, na_value=False
            )
            clin = _worst(ae[is_clin], term, None, ids, prefer).to_numpy(float, na_value=np.nan)
        if prefer == "clinician":
            worst = np.where(~np.isnan(clin), clin, np.where(~np.isnan(derived), derived, worst))
        else:
            worst = np.where(~np.isnan(derived), derived, worst)
    assessed = _assessed(term, col, ids, observations, summary)
    none = np.isnan(worst)
    zero = none if assessed is None else none & assessed
    worst = np.where(zero, 0.0, worst)
    return pd.Series(worst, dtype="Float64").astype("Int64")  # NaN -> NA


def _worst(
    ae: pd.DataFrame | None,
    term: str,
    preferred: str | None,
    ids: pd.Index,
    prefer: str = "clinician",
) -> pd.Series:
    """Worst grade per patient from the records of the best-ranked source that patient has
    (clinician, then the preferred system, then any; 'derived' puts clinician last)."""
    if ae is None:
        return pd.Series(pd.NA, index=range(len(ids)), dtype="Int64")
    part = ae[ae["term"].astype("string").str.lower() == term.lower()]
    grade = pd.to_numeric(part["grade"], errors="coerce")
    part = part[grade.notna().to_numpy(bool)]
    grade = grade[grade.notna()]
    n = len(part)
    clinician = (
        (part["source"].astype("string").str.lower() == "clinician").fillna(False).to_numpy(bool)
        if "source" in part
        else np.zeros(n, bool)
    )
    system = (
        (part["criteria"].astype("string") == preferred).fillna(False).to_numpy(bool)
        if preferred and "criteria" in part
        else np.zeros(n, bool)
    )
    rank = np.where(system, 1, 2)
    rank = np.where(clinician, 0 if prefer == "clinician" else 3, rank)
    sid = part["subject_id"].astype("string").to_numpy(object)
    best = pd.Series(rank).groupby(sid).transform("min").to_numpy()
    keep = rank == best
    worst = pd.Series(grade.to_numpy(float)[keep]).groupby(sid[keep]).max()
    return pd.Series(worst.reindex(ids).to_numpy(float), dtype="Float64").astype("Int64")


def _il6_range(
    observations: pd.DataFrame | None, summary: pd.DataFrame | None, ids: pd.Index
) -> list[str | None]:
    if observations is not None and "parameter" in observations:
        il6 = observations[observations["parameter"].astype("string").str.upper() == "IL6"]
        v = pd.to_numeric(il6["value"], errors="coerce")
        g = v.groupby(il6["subject_id"].astype("string"))
        lo, hi = g.min().reindex(ids), g.max().reindex(ids)
    elif summary is not None and {"il6_baseline", "il6_peak"} <= set(summary.columns):
        s = summary.assign(subject_id=summary["subject_id"].astype("string")).set_index(
            "subject_id"
        )
        lo = pd.to_numeric(s["il6_baseline"], errors="coerce").reindex(ids)
        hi = pd.to_numeric(s["il6_peak"], errors="coerce").reindex(ids)
    else:
        return [None] * len(ids)
    return [
        None if np.isnan(a) or np.isnan(b) else f"{_fmt(a)}-{_fmt(b)}"
        for a, b in zip(lo.to_numpy(float), hi.to_numpy(float), strict=True)
    ]


def _fmt(x: float) -> str:
    """A value with the precision it was given (162.5 stays 162.5, 40 prints 40), at most
    three decimals."""
    return str(np.format_float_positional(x, precision=3, unique=True, trim="-"))


def _with_responses(
    frame: pd.DataFrame, subjects: pd.DataFrame | None, columns: Sequence[str] | None
) -> pd.DataFrame:
    if subjects is None:
        return frame
    cols = (
        list(columns)
        if columns is not None
        else [c for c in subjects.columns if _RESPONSE.search(str(c))]
    )
    missing = [c for c in cols if c not in subjects.columns]
    if missing:
        raise TableSpecError(f"response columns {missing} are not in the subjects table")
    add = [c for c in cols if c not in frame.columns]
    if not add:
        return frame
    resp = subjects.assign(subject_id=subjects["subject_id"].astype("string"))[
        ["subject_id", *add]
    ].drop_duplicates("subject_id")
    return frame.merge(resp, on="subject_id", how="left")
