"""Hematologic toxicity and biomarkers of a study, one row per subject.

:func:`summarize_hematology` reads a study once (codes resolved, units converted) and combines:

- the worst CTCAE grade per lineage (neutrophils, hemoglobin, platelets, WBC, lymphocytes),
  graded by the CTCAE engine of :mod:`aegrade.grading.labs`;
- early and late ICAHT (:mod:`aegrade.grading.icaht`);
- ASCO/IDSA neutropenia depth and duration and CTCAE febrile neutropenia
  (:mod:`aegrade.grading.neutropenia`);
- the CAR-HEMATOTOX baseline score (:mod:`aegrade.grading.hematotox`);
- IL-6, CRP and ferritin summaries (:mod:`aegrade.grading.biomarkers`).

It returns a :class:`HematologyResult` with the per-subject summary, a per-patient listing, the
biomarker summary by arm and the graded temperature readings of febrile neutropenia (its
episodes are built by :func:`aegrade.episodes.febrile_neutropenia_episodes`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from aegrade.criteria import load_criteria, load_ctcae, provenance_fields, resolve_criteria_id
from aegrade.criteria.units import registry
from aegrade.criteria.vocabulary import not_given, read_values
from aegrade.episodes.build import text_codes
from aegrade.errors import failure_frame
from aegrade.grading.biomarkers import (
    BIOMARKERS,
    format_significant,
    summarize_biomarker_rows,
    summarize_biomarkers_by_arm,
)
from aegrade.grading.daily import Readings, nullable_int
from aegrade.grading.hematotox import load_hematotox, score_car_hematotox
from aegrade.grading.icaht import grade_icaht, load_icaht
from aegrade.grading.labs import grade_prepared
from aegrade.grading.neutropenia import (
    find_febrile_neutropenia,
    summarize_neutropenia,
)
from aegrade.prepare.days import study_days, subject_days
from aegrade.prepare.observations import Prepared
from aegrade.prepare.study import PreparedStudy, prepare_study
from aegrade.read.study import as_study
from aegrade.study import Study

__all__ = [
    "FOLLOW_UP_ENDS",
    "LINEAGES",
    "LISTING_COLUMNS",
    "LISTING_LABELS",
    "HematologyResult",
    "first_tocilizumab",
    "follow_up",
    "il6_before_tocilizumab",
    "summarize_hematology",
]

#: Parameter code -> column of the worst CTCAE grade of that lineage (CTCAE term in brackets:
#: Neutrophil count decreased, Anemia, Platelet count decreased, White blood cell decreased,
#: Lymphocyte count decreased).
LINEAGES = {
    "NEUT": "neutrophils_worst_grade",
    "HGB": "hemoglobin_worst_grade",
    "PLAT": "platelets_worst_grade",
    "WBC": "wbc_worst_grade",
    "LYM": "lymphocytes_worst_grade",
}

#: Listing columns (one row per patient) and display labels for table writers. CRS and ICANS
#: grades are joined by the caller.
LISTING_LABELS = {
    "subject_id": "Patient",
    "arm": "Arm",
    "neutrophils_worst_grade": "Neutrophil",
    "hemoglobin_worst_grade": "Haemoglobin",
    "platelets_worst_grade": "Platelets",
    "wbc_worst_grade": "WBC",
    "lymphocytes_worst_grade": "Lymphocytes",
    "il6_range": "IL-6 range (pg/mL)",
    "icaht_early_grade": "Early ICAHT",
    "icaht_late_grade": "Late ICAHT",
    "car_hematotox_score": "CAR-HEMATOTOX score",
    "car_hematotox_risk": "CAR-HEMATOTOX risk",
}
LISTING_COLUMNS = list(LISTING_LABELS)
_USED = ("NEUT", "TEMP", *LINEAGES, *BIOMARKERS)


@dataclass(frozen=True)
class HematologyResult:
    """What :func:`summarize_hematology` returns.

    Examples
    --------
    >>> import pandas as pd
    >>> anc = pd.DataFrame({"subject_id": "01", "day": [0, 5], "parameter": "NEUT",
    ...                     "value": [2.1, 0.3], "unit": "10^9/L"})
    >>> result = summarize_hematology(anc)
    >>> int(result.subject_summary.loc[0, "neutrophils_worst_grade"]), len(result.issues)
    (4, 0)
    """

    subject_summary: pd.DataFrame
    listing: pd.DataFrame
    biomarkers_by_arm: pd.DataFrame
    febrile_readings: pd.DataFrame
    issues: pd.DataFrame = field(default_factory=failure_frame)
    meta: dict[str, str] = field(default_factory=dict)


def summarize_hematology(
    study: Study | pd.DataFrame,
    criteria: str = "ctcae-v5.0",
    *,
    icaht: str = "icaht-2023",
    hematotox: str = "car-hematotox",
    neutropenia: str = "asco-idsa-neutropenia",
    errors: Literal["raise", "coerce"] = "raise",
    icaht_options: dict[str, Any] | None = None,
    febrile_options: dict[str, Any] | None = None,
    lineage_from_day: float | None = 0.0,
    biomarker_window: tuple[float | None, float | None] = (0.0, None),
    prepared: PreparedStudy | None = None,
    hematotox_options: dict[str, Any] | None = None,
) -> HematologyResult:
    """Hematologic toxicity, ICAHT, CAR-HEMATOTOX and biomarkers per subject.

    Parameters
    ----------
    study
        A :class:`~aegrade.read.Study` or an
        observations DataFrame. Used parameters: ``NEUT``, ``HGB``, ``PLAT``, ``WBC``, ``LYM``,
        ``TEMP``, ``CRP``, ``FERRITIN``, ``IL6`` in any accepted unit; ``day`` or ``time``.
    criteria
        CTCAE version of the lineage grades and febrile neutropenia (``"ctcae-v5.0"``,
        ``"ctcae-v4.03"``).
    icaht, hematotox, neutropenia
        Criteria ids of the other systems.
    errors
        ``"raise"``: any input problem raises :class:`~aegrade.errors.InputError` listing all
        of them. ``"coerce"``: such rows are left out and listed in ``issues``.
    icaht_options
        Overrides of the icaht-2023 options (``aegrade criteria show icaht-2023``); the daily
        value and carry-forward also apply to the ASCO/IDSA durations.
    febrile_options
        Overrides of the neutropenia file's options (``anc_carry_days``).
    lineage_from_day
        Worst lineage grades count observations after this study day (default 0: after
        baseline, which is day <= 0 as everywhere in aegrade, so they agree with the
        per-term worst grades of ``aegrade.grade``; None: all rows, including those without
        a day).
    biomarker_window
        First and last study day of biomarker peaks and ranges (None: open).
    prepared
        The study's observations already prepared by
        :func:`~aegrade.prepare.study.prepare_study` (``aegrade.grade`` passes its own, so
        they are checked and converted once).

    Returns
    -------
    HematologyResult
        ``subject_summary``: one row per subject of the study (every subject of the subjects
        table), ``subject_id``, ``arm`` when given, the columns of :data:`LINEAGES`,
        ``icaht_early_grade``, ``icaht_late_grade``, ``days_anc_le_500``, ``days_anc_le_100``,
        ``anc_recovery_day`` and the ICAHT rules and reasons, ``severe_neutropenia_days``,
        ``profound_neutropenia_days``, ``anc_nadir``, ``anc_nadir_day``,
        ``febrile_neutropenia_grade``, ``febrile_neutropenia_onset_day``,
        ``car_hematotox_score``, ``car_hematotox_risk``, ``car_hematotox_points_<marker>``,
        and per biomarker (``il6``, ``crp``, ``ferritin``) ``_baseline``, ``_peak``,
        ``_peak_day``, ``_fold_change``, ``_range``. Each is NA when its inputs are absent,
        never 0. ``listing``: :data:`LISTING_COLUMNS`. ``biomarkers_by_arm``: see
        :func:`~aegrade.grading.biomarkers.summarize_biomarkers_by_arm`.
        ``febrile_readings``: graded temperature readings
        (:func:`~aegrade.grading.neutropenia.find_febrile_neutropenia`).

    Raises
    ------
    InputError
        With ``errors="raise"``, every input problem at once.

    Examples
    --------
    One subject's ANC falls to 80/uL on day 5 and recovers by day 14:

    >>> import pandas as pd
    >>> anc = pd.DataFrame(
    ...     {
    ...         "subject_id": "01",
    ...         "day": [0, 3, 5, 9, 14],
    ...         "parameter": "NEUT",
    ...         "value": [2.1, 0.4, 0.08, 0.3, 1.9],
    ...         "unit": "10^9/L",
    ...     }
    ... )
    >>> summary = summarize_hematology(anc).subject_summary
    >>> summary[["neutrophils_worst_grade", "icaht_early_grade", "anc_nadir", "anc_nadir_day"]]
       neutrophils_worst_grade  icaht_early_grade  anc_nadir  anc_nadir_day
    0                        4                  2       0.08              5
    """
    study = as_study(study)
    cid = resolve_criteria_id(criteria)
    load_ctcae(cid)
    ready = prepared if prepared is not None else prepare_study(study)
    ready.failures.raise_if(errors, study.source)
    prep, frame, subjects = ready.prep, ready.frame, ready.subjects
    index = pd.Index(subjects["subject_id"], dtype="string")
    subj = _subject_codes(frame, index)
    where: dict[str, np.ndarray] = {}  # each parameter's rows' positions in the table
    rows = _rows_by_code(prep, frame, subj, index, positions=where)
    opts = load_icaht(icaht).resolve(icaht_options)
    day_opts = {k: opts[k] for k in ("daily_value", "carry_forward_days")}
    parts = [
        _lineage_grades(
            prep,
            subj,
            len(index),
            cid,
            lineage_from_day,
            ready.lab_grades(cid),
            ready.lab_levels(cid),
            (rows, where),
        ),
        grade_icaht(
            _calendar_rows(study, prep, frame, subj, index, rows["NEUT"]),
            icaht,
            options=icaht_options,
            follow_up=follow_up(study, index),
        ),
        summarize_neutropenia(rows["NEUT"], neutropenia, day_options=day_opts),
    ]
    fn_summary, fn_readings = find_febrile_neutropenia(
        rows["NEUT"],
        rows["TEMP"],
        neutropenia,
        ctcae=cid,
        options=febrile_options,
        daily_value=str(opts["daily_value"]),
    )
    parts.append(fn_summary)
    ld_day = subject_days(study, "lymphodepletion", index.to_series())
    hopts = load_hematotox(hematotox).resolve(hematotox_options)
    parts.append(
        score_car_hematotox(
            _baselines(rows, hematotox, _stated(frame, prep, subj), ld_day, hopts),
            hematotox,
            subjects=index,
            window=_window_text(ld_day, hopts),
        )
    )
    parts.append(
        summarize_biomarker_rows({c: rows[c] for c in BIOMARKERS}, window=biomarker_window)
    )
    toci = ready.code_rows({"TOCILIZUMAB"})  # its rows alone, found by code
    first = first_tocilizumab(frame.iloc[toci], ready.code[toci], index)
    parts.append(il6_before_tocilizumab(rows["IL6"], first))
    summary = subjects[["subject_id", *[c for c in ("arm",) if c in subjects]]].copy()
    summary = pd.concat(  # every part beside the subjects at once (one concat, not one each)
        [
            summary,
            *(p.drop(columns="subject_id", errors="ignore").reset_index(drop=True) for p in parts),
        ],
        axis=1,
    )
    listing = summary[[c for c in LISTING_COLUMNS if c in summary]].copy()
    return HematologyResult(
        subject_summary=summary,
        listing=listing,
        biomarkers_by_arm=summarize_biomarkers_by_arm(summary),
        febrile_readings=fn_readings,
        issues=ready.issues,
        meta=_meta(cid, icaht, hematotox, neutropenia),
    )


def _subject_codes(frame: pd.DataFrame, index: pd.Index) -> np.ndarray:
    codes, uniques = text_codes(frame["subject_id"])  # as the lab episodes factorized them
    lookup = np.r_[index.get_indexer(pd.Index(uniques, dtype="string")), -1]
    out: np.ndarray = lookup[codes]  # int64 already: not copied again
    return out


def first_tocilizumab(frame: pd.DataFrame, code: np.ndarray, subjects: pd.Index) -> np.ndarray:
    """Per subject, the study day of the first tocilizumab given (NaN: none; rows whose value
    says not given, or 0, do not count).

    Parameters
    ----------
    frame
        Observations with ``subject_id``, ``day`` and ``value``.
    code
        The canonical parameter code of each row.
    subjects
        The subject ids.

    Returns
    -------
    numpy.ndarray
        Float days.

    Examples
    --------
    >>> obs = pd.DataFrame({"subject_id": ["A", "A", "B"], "day": [2.5, 1.0, 3.0],
    ...                     "value": ["given", "not given", 0]})
    >>> first_tocilizumab(obs, np.array(["TOCILIZUMAB"] * 3, object), pd.Index(["A", "B"]))
    array([2.5, nan])
    """
    out = np.full(len(subjects), np.nan)
    pos = np.flatnonzero(code == "TOCILIZUMAB")
    if pos.size == 0 or "day" not in frame:
        return out
    number, word = read_values(frame["value"].iloc[pos])
    given = ~not_given(number, word)
    at = subjects.get_indexer(pd.Index(frame["subject_id"].iloc[pos].astype("string")))
    day = pd.to_numeric(frame["day"].iloc[pos], errors="coerce").to_numpy(float)
    ok = given & (at >= 0) & ~np.isnan(day)
    first = np.full(len(subjects), np.inf)
    np.minimum.at(first, at[ok], day[ok])
    out[np.isfinite(first)] = first[np.isfinite(first)]
    return out


def il6_before_tocilizumab(il6: Readings, tocilizumab_day: np.ndarray) -> pd.DataFrame:
    """Per subject, the IL-6 peak (and its day) before the first tocilizumab: serum IL-6 rises
    after tocilizumab because the IL-6 receptor is blocked, so the overall peak can reflect the
    drug. Without tocilizumab it is the peak over all values.

    Parameters
    ----------
    il6
        IL-6 readings (canonical unit, pg/mL).
    tocilizumab_day
        Per subject, the day of the first tocilizumab (NaN: none).

    Returns
    -------
    pandas.DataFrame
        ``il6_peak_pre_tocilizumab``, ``il6_peak_pre_tocilizumab_day`` (NaN: no value before).

    Examples
    --------
    >>> il6 = Readings.from_frame(pd.DataFrame({"subject_id": "A", "day": [0, 1, 2, 3],
    ...                                         "value": [10.0, 162.5, 900.0, 40.0]}))
    >>> il6_before_tocilizumab(il6, np.array([1.5])).values.tolist()
    [[162.5, 1.0]]
    """
    n = len(il6.subjects)
    limit = np.where(np.isnan(tocilizumab_day), np.inf, tocilizumab_day)
    before = ~np.isnan(il6.day) & (il6.day < limit[il6.subject])
    s, d, v = il6.subject[before], il6.day[before], il6.value[before]
    peak = np.full(n, -np.inf)
    np.maximum.at(peak, s, v)
    at_peak = v == peak[s]
    day = np.full(n, np.inf)
    np.minimum.at(day, s[at_peak], d[at_peak])
    return pd.DataFrame(
        {
            "il6_peak_pre_tocilizumab": np.where(np.isfinite(peak), peak, np.nan),
            "il6_peak_pre_tocilizumab_day": np.where(np.isfinite(day), day, np.nan),
        }
    )


#: Subjects-table facts that end follow-up for ICAHT, in the order a tie is named.
FOLLOW_UP_ENDS = ("death", "last_contact", "progression", "next_therapy")


def follow_up(study: Study, subjects: pd.Index) -> pd.DataFrame:
    """Per subject, the study day follow-up ends (the earliest of death, last contact,
    progression and next therapy, from ``<fact>_day`` or ``<fact>_time`` in the subjects
    table) and its cause; subjects with none of them are left out.

    Parameters
    ----------
    study
        The study (its subjects table).
    subjects
        The subject ids.

    Returns
    -------
    pandas.DataFrame
        ``subject_id``, ``day``, ``cause`` (``death``, ``last contact``...).

    Examples
    --------
    >>> from aegrade.study import Table
    >>> s = pd.DataFrame({"subject_id": ["A", "B"], "death_day": [5.5, None],
    ...                   "last_contact_day": [20, 40]})
    >>> study = Study(Table(pd.DataFrame({"subject_id": ["A"]})), subjects=Table(s))
    >>> follow_up(study, pd.Index(["A", "B"])).values.tolist()
    [['A', 5.5, 'death'], ['B', 40.0, 'last contact']]
    """
    ids = pd.Series(np.asarray(subjects, dtype=object))
    days = np.column_stack(
        [subject_days(study, name, ids) for name in FOLLOW_UP_ENDS] + [np.full(len(ids), np.inf)]
    )
    days = np.where(np.isnan(days), np.inf, days)
    first = days.argmin(axis=1)
    day = days[np.arange(len(ids)), first]
    known = np.isfinite(day)
    causes = np.array([n.replace("_", " ") for n in FOLLOW_UP_ENDS] + [""], dtype=object)
    return pd.DataFrame(
        {
            "subject_id": pd.array(ids[known].to_numpy(object), dtype="string"),
            "day": day[known],
            "cause": causes[first[known]],
        }
    )


def _calendar_rows(
    study: Study,
    prep: Prepared,
    frame: pd.DataFrame,
    subj: np.ndarray,
    index: pd.Index,
    anc: Readings,
) -> Readings:
    """ANC readings on calendar study days (day 0 = the date of the infusion): ICAHT counts
    calendar days (SPEC section 4). Without clock times they are the study-day readings
    ``anc`` already gathered."""
    if "time" not in frame or len(frame) != len(study.observations.frame):
        return anc
    calendar, _ = study_days(study, calendar=True)
    return _rows_by_code(prep, frame, subj, index, calendar)["NEUT"]


def _stated(frame: pd.DataFrame, prep: Prepared, subj: np.ndarray) -> dict[str, np.ndarray]:
    """Per parameter code, the subjects (codes) with a ``baseline`` value given in the data."""
    if "baseline" not in frame:
        return {}
    given = pd.to_numeric(frame["baseline"], errors="coerce").notna().to_numpy(bool) & (subj >= 0)
    return {
        code: np.unique(subj[given & (prep.param_index == i)])
        for i, code in enumerate(prep.param_names)
    }


def _rows_by_code(
    prep: Prepared,
    frame: pd.DataFrame,
    subj: np.ndarray,
    index: pd.Index,
    days: np.ndarray | None = None,
    positions: dict[str, np.ndarray] | None = None,
) -> dict[str, Readings]:
    """Accepted rows of each used parameter; the baseline is the ``baseline`` column where
    given, else the last accepted value on or before day 0 (SPEC section 2). ``positions``,
    when given, receives each parameter's rows' positions in the observations."""
    reg = registry()
    units = np.array(
        [*getattr(reg, "unit_names", dict.fromkeys(reg.unit_alias.values())), None], dtype=object
    )
    wanted = sorted({prep.param_names.index(c) for c in _USED if c in prep.param_names})
    # each used parameter's slot (in parameter order; -1: not used), one byte per row
    slot = np.full(len(prep.param_names) + 1, -1, np.int8)
    slot[wanted] = np.arange(len(wanted))
    slots = slot[prep.param_index]
    found = np.flatnonzero((slots >= 0) & (subj >= 0) & ~np.isnan(prep.value))
    picked = slots[found]
    order = np.argsort(picked, kind="stable")  # grouped by parameter (a radix sort)
    sel = found[order]
    # where each slot's rows start and end, from the counts (no gather of the codes)
    bounds = np.zeros(len(wanted) + 1, np.int64)
    np.cumsum(np.bincount(picked, minlength=len(wanted)), out=bounds[1:])

    def rows_of(column: np.ndarray) -> np.ndarray:
        """``column[sel]``: read in row order (one pass forward through the column), then
        put in parameter order among the few rows read (cache-resident)."""
        out: np.ndarray = column[found][order]
        return out

    s, value = rows_of(subj), rows_of(prep.value)
    if days is not None:
        day = rows_of(days)
    else:
        day = rows_of(prep.day) if prep.day is not None else np.full(sel.size, np.nan)
    raw, unit = rows_of(prep.raw_value), units[rows_of(prep.unit_code)]
    stated = np.zeros(sel.size, bool)
    if "baseline" in frame:
        stated = rows_of(pd.to_numeric(frame["baseline"], errors="coerce").notna().to_numpy(bool))
    baseline = rows_of(prep.baseline)  # the one rule (aegrade.prepare.baseline), per row
    out = {}
    for code in _USED:
        i = prep.param_names.index(code) if code in prep.param_names else -1
        k = int(slot[i]) if i >= 0 else -1
        m = slice(bounds[k], bounds[k + 1]) if k >= 0 else slice(0, 0)
        per_subject = _per_subject(s[m], baseline[m], stated[m], len(index))
        out[code] = Readings(index, s[m], day[m], value[m], raw[m], unit[m], per_subject)
        if positions is not None:
            positions[code] = sel[m]
    return out


def _member(param_index: np.ndarray, wanted: list[int], n_params: int) -> np.ndarray:
    """``np.isin(param_index, wanted)`` by one lookup in a table of the parameters (-1, an
    unknown parameter, reads the table's last entry, which is False)."""
    table = np.zeros(n_params + 1, bool)
    table[wanted] = True
    out: np.ndarray = table[param_index]
    return out


def _per_subject(subj: np.ndarray, baseline: np.ndarray, stated: np.ndarray, n: int) -> np.ndarray:
    """Per row, its subject's one baseline: the first baseline given in the data, else the
    rule's baseline of the subject's rows (the same on each of them)."""
    per_subject = np.full(n, np.nan)
    per_subject[subj[::-1]] = baseline[::-1]  # the first row of a subject wins
    has = np.flatnonzero(stated & ~np.isnan(baseline))
    per_subject[subj[has][::-1]] = baseline[has][::-1]  # the first given value wins
    out: np.ndarray = per_subject[subj]
    return out


def _lineage_grades(
    prep: Prepared,
    subj: np.ndarray,
    n: int,
    criteria: str,
    from_day: float | None,
    graded: pd.DataFrame | None = None,
    levels: tuple[np.ndarray, np.ndarray] | None = None,
    rows: tuple[dict[str, Readings], dict[str, np.ndarray]] | None = None,
) -> pd.DataFrame:
    """Worst CTCAE grade per subject and lineage, from the lab grades already computed when
    given (``aegrade.grade``; ``levels``: their low grades as bytes, -1 for NA), else grading
    the lineage rows. ``rows``: the accepted rows of each parameter and their positions
    (:func:`_rows_by_code`), the same rows this selects, read instead of selecting again."""
    wanted = {
        prep.param_names.index(c): col for c, col in LINEAGES.items() if c in prep.param_names
    }
    if graded is not None and levels is not None and rows is not None:
        readings, where = rows
        worst = np.full(len(wanted) * n, -1, np.int64)
        for k, i in enumerate(wanted):
            r, pos = readings[prep.param_names[i]], where[prep.param_names[i]]
            later = r.day > from_day if from_day is not None else np.ones(len(pos), bool)
            part = worst[k * n : (k + 1) * n]
            np.maximum.at(part, r.subject[later], levels[0][pos[later]].astype(np.int64))
        return _lineage_frame(wanted, worst, n)
    use = _member(prep.param_index, list(wanted), len(prep.param_names))
    use &= (subj >= 0) & ~np.isnan(prep.value)
    if from_day is not None:
        day = prep.day if prep.day is not None else np.full(prep.n, np.nan)
        use &= day > from_day
    sel = np.flatnonzero(use)
    if graded is not None and levels is not None:  # the selected rows' grades (NA: -1)
        low = levels[0][sel].astype(np.int64)
    elif graded is not None:
        picked = graded["grade_low"].array[sel]
        low = np.asarray(picked.to_numpy(dtype=float, na_value=-1.0)).astype(np.int64)
    else:
        low = grade_prepared(_subset(prep, sel), criteria)[1].grade.astype(np.int64)
    # every lineage's worst grade per subject in one running maximum over (lineage, subject)
    slot = np.full(len(prep.param_names) + 1, -1, np.int64)
    slot[list(wanted)] = np.arange(len(wanted))
    cell = slot[prep.param_index[sel]] * n + subj[sel]
    worst = np.full(len(wanted) * n, -1, np.int64)
    np.maximum.at(worst, cell, low)  # an ungraded row (-1) changes nothing
    return _lineage_frame(wanted, worst, n)


def _lineage_frame(wanted: dict[int, str], worst: np.ndarray, n: int) -> pd.DataFrame:
    """The lineage columns from each lineage's worst grade per subject (-1: none), lineage
    after lineage in ``worst``."""
    out = {}
    for k, column in enumerate(wanted.values()):
        part = worst[k * n : (k + 1) * n]
        out[column] = nullable_int(part, part >= 0)
    for column in LINEAGES.values():
        out.setdefault(column, nullable_int(np.zeros(n, np.int64), np.zeros(n, bool)))
    return pd.DataFrame(out)[list(LINEAGES.values())]


def _subset(prep: Prepared, rows: np.ndarray) -> Prepared:
    """The prepared rows ``rows`` only (grading only what the lineages need)."""
    changes: dict[str, Any] = {"n": rows.size}
    for f in fields(prep):
        value = getattr(prep, f.name)
        if isinstance(value, np.ndarray) and value.shape[:1] == (prep.n,):
            changes[f.name] = value[rows]
    return replace(prep, **changes)


def _baselines(
    rows: dict[str, Readings],
    criteria: str,
    stated: dict[str, np.ndarray],
    ld_day: np.ndarray,
    opts: dict[str, Any],
) -> pd.DataFrame:
    """One score value per subject and CAR-HEMATOTOX marker: a ``baseline`` given in the data,
    else the last value in the pre-lymphodepletion window (option ``window``)."""
    parts = []
    index = next(iter(rows.values())).subjects
    for marker in load_hematotox(criteria).markers:
        r = rows[marker.parameter]
        has = ~np.isnan(r.baseline)
        if opts["window"] != "day_0":  # a baseline given in the data still wins
            has &= np.isin(r.subject, stated.get(marker.parameter, np.zeros(0, np.int64)))
        subject, value = r.subject[has], r.baseline[has]
        if opts["window"] != "day_0":
            sub2, val2 = _pre_lymphodepletion(r, ld_day, float(str(opts["last_day"])))
            subject, value = np.r_[subject, sub2], np.r_[value, val2]
        parts.append(
            pd.DataFrame(
                {"subject": subject, "parameter": marker.parameter, "value": value}
            ).drop_duplicates("subject")
        )
    frame = pd.concat(parts, ignore_index=True)
    frame.insert(
        0,
        "subject_id",
        pd.array(np.asarray(index, dtype=object)[frame["subject"].to_numpy(np.int64)], "string"),
    )
    return frame.drop(columns="subject")


def _pre_lymphodepletion(
    r: Readings, ld_day: np.ndarray, last_day: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per subject with a value in the window, the last one: before its lymphodepletion start
    when known, else on or before ``last_day``; two on the same day: the higher one."""
    ld = ld_day[r.subject]
    inside = np.where(np.isnan(ld), r.day <= last_day, r.day < ld) & ~np.isnan(r.day)
    order = np.lexsort((r.value[inside], r.day[inside], r.subject[inside]))
    s = r.subject[inside][order]
    last = np.r_[s[1:] != s[:-1], True] if s.size else np.zeros(0, bool)
    return s[last], r.value[inside][order][last]


def _window_text(ld_day: np.ndarray, opts: dict[str, Any]) -> np.ndarray:
    """Per subject, which values were scored (for the reason column)."""
    if opts["window"] == "day_0":
        return np.full(ld_day.size, "last values on or before day 0", dtype=object)
    ld = format_significant(ld_day, 6).to_numpy(dtype=object)
    return np.where(
        np.isnan(ld_day),
        f"last values on or before day {float(str(opts['last_day'])):g} (no lymphodepletion_start)",
        "last values before lymphodepletion start (day " + ld.astype(str) + ")",
    )


def _meta(cid: str, icaht: str, hematotox: str, neutropenia: str) -> dict[str, str]:
    """The systems used (ids under ``icaht``, ``hematotox``, ``neutropenia``) and their
    provenance (:func:`aegrade.criteria.provenance_fields`)."""
    ids = {"icaht": icaht, "hematotox": hematotox, "neutropenia": neutropenia}
    used = {k: load_criteria(v).id for k, v in ids.items()}
    return {"criteria": cid, **used, **provenance_fields([cid, *used.values()])}
