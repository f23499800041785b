"""Cytokine release syndrome from observation time series: :func:`grade_crs`.

Systems: ``astct-2019`` (Lee DW et al., BBMT 2019), ``lee-2014`` (Lee DW et al., Blood 2014) and
``ctcae-v5.0`` (CTCAE v5.0 'Cytokine release syndrome'). Each reads its tiers from its criteria
file (``aegrade criteria show <id>``); the logic here is shared:

* rows are grouped into time points (subject, day);
* at each time point: fever (>= the file's temperature, not ``other_cause``), the hypotension tier
  (HYPOTENSION, SYSBP below the option, vasopressors counted per the file) and the hypoxia tier
  (device and flow, FiO2), plus CTCAE organ-toxicity grades for Lee 2014;
* an episode opens at a fever outside any episode and lasts while fever, hypotension or hypoxia
  recur no more than ``episode_gap_hours`` apart, and while a support interval (vasopressor or
  oxygen running over a span) is active, its end being a time point of its own; its grade at
  each time point is the worst of
  the floor grade and the tiers; fever need not persist once it has opened the episode;
* grade 5 from ``death_cause``.

Everything is array arithmetic over rows and time points; Python loops run over a handful of
devices, agents or tiers only.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from aegrade.criteria import (
    load_crs_icans_criteria,
    organ_toxicity_parameters,
    resolve_crs_system,
)
from aegrade.criteria.syndromes import CrsIcansCriteria, CrsRules
from aegrade.criteria.units import resolve_codes
from aegrade.criteria.vocabulary import not_given, true_words, vocabulary_of
from aegrade.episodes.build import Episodes, find_episodes
from aegrade.episodes.syndromes import (
    GradedTimePoints,
    Syndrome,
    SyndromeGrades,
    syndrome_grades,
)
from aegrade.grading.daily import SECOND
from aegrade.grading.labs import grade_labs
from aegrade.grading.onepoint import review_note
from aegrade.prepare.findings import (
    CRS_CODES,
    TREATMENT_CODES,
    Findings,
    TimePoints,
    fmt_numbers,
    isin,
    time_points,
)

__all__ = ["grade_crs"]

_TREATMENT_NAMES = {
    "TOCILIZUMAB": "tocilizumab",
    "CORTICOSTEROID": "a corticosteroid",
    "ANTIPYRETIC": "an antipyretic",
}


def grade_crs(
    found: Findings,
    criteria: str = "astct-2019",
    *,
    sysbp_threshold: float | None = None,
    episode_gap_hours: float | None = None,
    episode_open: Collection[str] = (),
    fever_waiver: str = "settled",
    resolution: str = "first_normal",
    ambiguous: str = "worse",
) -> SyndromeGrades:
    """Grade CRS episodes of every subject by one system.

    Parameters
    ----------
    found
        Findings from :func:`aegrade.prepare.findings.extract_findings`.
    criteria
        ``astct-2019``, ``lee-2014`` or ``ctcae-v5.0`` (also ``astct``, ``lee``, ``ctcae``).
    sysbp_threshold
        SYSBP (mmHg) below this counts as hypotension; 0 turns it off. Default: the file's.
    episode_gap_hours
        Time free of fever, hypotension and hypoxia that ends an episode. Default: the file's.
    episode_open
        Subject ids whose CRS episode was opened by a fever before their first time point
        here (a bedside grade of one time point during a known episode): their findings within
        the gap of that first time point continue the episode without a new fever, and no
        onset is written for it.
    fever_waiver
        ``"settled"`` (default, SPEC section 4): once an episode has opened, hypotension and
        hypoxia go on grading it after the fever settles, treated or not. ``"treatment"``: the
        footnote read literally; they grade an afebrile time point only once an antipyretic,
        tocilizumab or a corticosteroid has been given in the episode.
    resolution
        ``"first_normal"`` (default): ``resolved_day`` is the first time point after the last
        finding, or end + gap when nothing was charted in between; ``"after_gap"``: end + gap.
    ambiguous
        Where the file lets FiO2 decide a device's grade (Lee 2014, CTCAE v5.0: a cannula above
        6 L/min or a high-flow cannula, a simple facemask or a Venturi mask) and no FiO2 was
        charted at the time point, the grade cannot be told apart: ``"worse"`` (default) takes
        the worse one, ``"lower"`` the lower; either way the time point's ``review`` is set and
        the audit text says so.

    Returns
    -------
    SyndromeGrades
        ``adverse_events`` (one row per episode), ``timepoints`` (audit trail), ``worst``.

    Examples
    --------
    Fever with hypotension on day 1 is ASTCT grade 2:

    >>> import pandas as pd
    >>> from aegrade.prepare.findings import extract_findings
    >>> from aegrade.read import load_study
    >>> obs = pd.DataFrame({"subject_id": "01", "day": [1, 1, 2],
    ...                     "parameter": ["TEMP", "SYSBP", "TEMP"], "value": [38.9, 85, 37.0],
    ...                     "unit": ["degC", "mmHg", "degC"]})
    >>> graded = grade_crs(extract_findings(load_study(obs)))
    >>> graded.adverse_events[["subject_id", "grade", "onset"]]
      subject_id  grade  onset
    0         01      2    1.0
    """
    if ambiguous not in ("worse", "lower"):
        raise ValueError(f"ambiguous={ambiguous!r}: choose 'worse' or 'lower'")
    c = load_crs_icans_criteria(resolve_crs_system(criteria))
    r = c.crs
    thr = r.hypotension.default_sysbp_below if sysbp_threshold is None else sysbp_threshold
    gap = (r.episode.default_gap_hours if episode_gap_hours is None else episode_gap_hours) / 24
    f = found.rows(isin(found.code, CRS_CODES))
    rows = _row_tiers(f, c, float(thr))
    if r.organ_toxicity is not None:
        rows = _with_organ_rows(rows, found, r)
    rows = _with_span_ends(rows, r.hypotension.running_hours)
    tps = time_points(rows["subject"], rows["day"])
    at = _tp_tiers(tps, rows, c, ambiguous)
    opened = _opened_before(tps, f.subjects, episode_open, gap)
    opens = at["fever"] | (opened & _first_signal(tps.subject, at["signal"]))
    held = _held_days(tps, rows, r.hypotension.running_hours)
    eps = find_episodes(tps.subject, held, at["signal"], gap_days=gap, opens=opens)
    if r.organ_toxicity is not None:
        eps = _organ_tail(eps, tps, at["organ"], gap)
    member = eps.membership(tps.n)
    if fever_waiver not in ("settled", "treatment"):
        raise ValueError(f"fever_waiver={fever_waiver!r}: choose 'settled' or 'treatment'")
    unwaived = np.zeros(tps.n, bool)
    if fever_waiver == "treatment":
        unwaived = _unwaived(tps, rows, at, member)
        at["hyp_raw"], at["hox_raw"] = at["hyp"], at["hox"]
        for key in ("hyp", "hox", "organ"):
            at[key] = np.where(unwaived, 0, at[key])
    at["unwaived"] = unwaived
    at.setdefault("hyp_raw", at["hyp"])
    at.setdefault("hox_raw", at["hox"])
    grade = np.where(
        member >= 0,
        np.maximum.reduce([np.full(tps.n, r.floor_grade.grade), at["hyp"], at["hox"], at["organ"]]),
        0,
    )
    trace = _trace(tps, rows, at, member, grade, eps, c, float(thr), opened, ambiguous)
    assessed = np.zeros(len(f.subjects), bool)
    assessed[tps.subject] = True
    return syndrome_grades(
        Syndrome("CRS", r.term, c.output_id, r.grade5.death_causes, gap, resolution),
        GradedTimePoints(tps.subject, tps.day, grade, trace["rule"], trace["text"], eps, assessed),
        found,
        {
            "grade": pd.array(grade, dtype="Int64"),
            "fever": at["fever"],
            "hypotension_tier": at["hyp"],
            "hypoxia_tier": at["hox"],
            "organ_tier": at["organ"],
            "review": at["review"] & (member >= 0) & (at["hox"] > 0),
            "rule": trace["rule"],
            "text": trace["text"],
        },
    )


# --------------------------------------------------------------------------- row tiers


def _row_tiers(f: Findings, c: CrsIcansCriteria, thr: float) -> dict[str, np.ndarray]:
    """Per row: fever, hypotension flag, pressor agent, hypoxia tier, treatment, descriptions."""
    r = c.crs
    vocab = vocabulary_of(c)
    live = ~f.other
    word = pd.Series(f.word, dtype=object)
    is_temp = (f.code == "TEMP") & live
    truthy = word.isin(list(true_words())).to_numpy(bool) | (f.number == 1)
    hyp_flag = (f.code == "HYPOTENSION") & truthy & live
    sysbp_low = (f.code == "SYSBP") & live & (thr > 0) & (f.number < thr)
    agent = (f.code == "VASOPRESSOR") & live & word.isin(vocab.vasopressors).to_numpy(bool)
    off = agent & (f.dose == 0)  # dose 0: the infusion is off (issue 13)
    pressor = agent & ~off
    treat = isin(f.code, TREATMENT_CODES) & ~not_given(f.number, f.word)
    hox, hox_lower, hox_desc, hox_mask = _hypoxia_rows(f, r, live)
    weight = _weights(f)[f.subject] if len(f.subject) else np.zeros(0)
    return {
        "weight": weight,
        "subject": f.subject,
        "day": f.day,
        "end": f.ends(),
        "pressor_off": off,
        "code": f.code,
        "word": f.word,
        "number": f.number,
        "dose": f.dose,
        "dose_unit": f.dose_unit,
        "fever": is_temp & (f.number >= r.onset.fever_ge_celsius),
        "temp": np.where(is_temp, f.number, -np.inf),
        "hyp_flag": hyp_flag | sysbp_low,
        "sysbp_low": sysbp_low,
        "pressor": pressor,
        "hox": hox,
        "hox_lower": hox_lower,
        "fio2": (f.code == "FIO2") & live & ~np.isnan(f.number),
        "hox_desc": hox_desc,
        "hox_mask": hox_mask,
        "treat": treat,
        "organ": np.zeros(len(f.day), np.int64),
        "organ_desc": np.full(len(f.day), None, object),
    }


def _weights(f: Findings) -> np.ndarray:
    """Per subject, the body weight in kg from the subjects table (``weight``; NaN unknown)."""
    out = np.full(len(f.subjects), np.nan)
    s = f.prepared.subjects if f.prepared is not None else None
    if s is None or "weight" not in s:
        return out
    w = pd.to_numeric(s["weight"], errors="coerce").to_numpy(float)
    w = np.where(w > 0, w, np.nan)
    at = pd.Index(s["subject_id"].astype("string")).get_indexer(
        pd.Index(pd.array(np.asarray(f.subjects, dtype=object), dtype="string"))
    )
    out[at >= 0] = w[at[at >= 0]]
    return out


def _hypoxia_rows(
    f: Findings, r: CrsRules, live: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per row: the hypoxia tier, the tier when FiO2 decides (the device's own grade where the
    file has ``fio2_decides``, else the tier), the description, and whether the tier is the
    worse reading of a mask without FiO2 (``grade_without_fio2``: simple facemask, Venturi)."""
    n = len(f.day)
    tier = np.zeros(n, np.int64)
    lower = np.zeros(n, np.int64)
    desc = np.full(n, None, object)
    mask = np.zeros(n, bool)
    dev_rows = np.flatnonzero((f.code == "OXYGEN") & live)
    word, flow = f.word[dev_rows], f.flow[dev_rows]
    no_flow = np.isnan(flow)
    flow_txt = np.where(no_flow, "", " " + fmt_numbers(flow) + " L/min")
    for name, dev in r.hypoxia.devices.items():  # a handful of devices
        m = word == name
        if not m.any():
            continue
        g = np.full(len(dev_rows), dev.grade)
        txt = flow_txt
        if dev.flow_le is not None and dev.grade_above_flow is not None:  # set together
            missing = dev.grade if dev.grade_missing_flow is None else dev.grade_missing_flow
            g = np.where(
                no_flow, missing, np.where(flow <= dev.flow_le, dev.grade, dev.grade_above_flow)
            )
            limit = fmt_numbers(np.array([dev.flow_le]))[0] + " L/min"
            as_named = (
                f" (flow not recorded, read as <= {limit})"
                if missing <= dev.grade
                else f" (flow not recorded, read as > {limit} from the device name)"
            )
            txt = np.where(no_flow, as_named, flow_txt)
            # the flow overrules a device name that says more (high-flow cannula at 5 L/min)
            txt = np.where(
                ~no_flow & (g < missing), txt + f" (<= {limit}: low flow, the flow decides)", txt
            )
        if dev.grade_without_fio2 is not None:  # a mask: either side of the cut-off at any flow
            mask[dev_rows[m]] = g[m] < dev.grade_without_fio2
            g = np.maximum(g, dev.grade_without_fio2)
        tier[dev_rows[m]] = g[m]
        lower[dev_rows[m]] = np.minimum(g[m], dev.grade) if dev.fio2_decides else g[m]
        desc[dev_rows[m]] = dev.label + txt[m]
    fio2 = np.flatnonzero((f.code == "FIO2") & live)
    x = f.number[fio2]
    for t in reversed(r.hypoxia.fio2):  # least severe first, so the most severe wins
        m = (x >= t.ge) if t.ge is not None else (x > t.gt)
        tier[fio2[m]] = np.maximum(tier[fio2[m]], t.grade)
    desc[fio2] = "FiO2 " + fmt_numbers(x) + "%"
    lower[fio2] = tier[fio2]
    return tier, lower, desc, mask


def _with_organ_rows(
    rows: dict[str, np.ndarray], found: Findings, r: CrsRules
) -> dict[str, np.ndarray]:
    """Append CTCAE lab grades of organ toxicity as rows carrying a CRS organ tier (Lee 2014).

    The grades are those ``aegrade.grade`` already computed for the study when it passes its
    preparation (same criteria, ``ambiguous="worse"``); otherwise the organ labs are graded here.
    """

    ot = r.organ_toxicity
    assert ot is not None
    df = found.frame
    codes = resolve_codes(df["parameter"]) if "parameter" in df else pd.Series(dtype="string")
    mask = codes.isin(organ_toxicity_parameters(ot)).to_numpy(bool)
    labs = df[mask]
    if labs.empty or "day" not in labs:
        return rows
    done = found.prepared.lab_grades(ot.criteria) if found.prepared is not None else None
    graded = (  # the grades aegrade.grade already has, else the organ labs graded here
        done[mask]
        if done is not None
        else grade_labs(labs.drop(columns=["time"], errors="ignore"), ot.criteria, errors="coerce")
    )
    lab_grade = graded["grade_high"].to_numpy(float, na_value=np.nan)
    term = graded["term_high"].astype(object).to_numpy()
    tier = np.zeros(len(labs), np.int64)
    for name, mapping in ot.terms.items():  # a handful of terms and grades
        for g, crs_g in mapping.items():
            tier[(term == name) & (lab_grade == g)] = crs_g
    subj = pd.Index(found.subjects).get_indexer(labs["subject_id"].astype("string"))
    keep = (tier > 0) & (subj >= 0) & ~np.isnan(labs["day"].to_numpy(float))
    if not keep.any():
        return rows
    n = int(keep.sum())
    desc = (
        pd.Series(term[keep]).astype(str)
        + " grade "
        + pd.Series(lab_grade[keep]).astype(int).astype(str)
        + f" ({ot.criteria})"
    ).to_numpy(object)
    extra = {
        k: np.zeros(n, v.dtype) if v.dtype != object else np.full(n, None, object)
        for k, v in rows.items()
    }
    extra.update(
        subject=subj[keep],
        day=labs["day"].to_numpy(float)[keep],
        code=np.full(n, "ORGAN", object),
        temp=np.full(n, -np.inf),
        number=np.full(n, np.nan),
        dose=np.full(n, np.nan),
        end=labs["day"].to_numpy(float)[keep],
        weight=np.full(n, np.nan),
        organ=tier[keep],
        organ_desc=desc,
    )
    return {k: np.concatenate([rows[k], extra[k]]) for k in rows}


def _support_spans(
    rows: dict[str, np.ndarray], running_hours: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Subject, start and end of every support interval that runs over time: vasopressor spans
    (:func:`_pressor_spans`) and oxygen device rows with an ``end`` after their day."""
    _, p_subject, p_start, p_end = _pressor_spans(rows, running_hours)
    o = np.flatnonzero((rows["hox"] > 0) & (rows["end"] > rows["day"]))
    span = p_end > p_start
    subject = np.r_[p_subject[span], rows["subject"][o]].astype(np.int64)
    start = np.r_[p_start[span], rows["day"][o]].astype(float)
    end = np.r_[p_end[span], rows["end"][o]].astype(float)
    return subject, start, end


def _held_days(tps: TimePoints, rows: dict[str, np.ndarray], running_hours: float) -> np.ndarray:
    """Time point days with the stretches a support interval runs through taken out, for the
    episode gap: an episode lasts while a support interval is active, however long it runs
    (oxygen from day 1.1 to 2.6 keeps it going past a 24 h gap). Consecutive time points of a
    subject both covered by one interval are 0 apart; other distances are kept."""
    if tps.n < 2:
        return tps.day
    subject, start, end = _support_spans(rows, running_hours)
    tp, span = _cover(tps, subject, start, end)
    reach = np.full(tps.n, -np.inf)
    np.maximum.at(reach, tp, end[span])
    step = np.diff(tps.day)
    held = (tps.subject[1:] == tps.subject[:-1]) & (reach[:-1] >= tps.day[1:] - SECOND)
    out: np.ndarray = tps.day[0] + np.r_[0.0, np.cumsum(np.where(held, 0.0, step))]
    return out


def _with_span_ends(rows: dict[str, np.ndarray], running_hours: float) -> dict[str, np.ndarray]:
    """Append a bare row at the end of every support interval (a vasopressor running over a
    span, an oxygen device row with an ``end``), so that end is a time point of its own.

    The interval is active up to and including its end (:func:`_cover`), so the episode lasts
    while it runs: a norepinephrine drip from day 1.2 to 2.0 keeps a CRS episode going to day
    2.0 although nothing else was charted after day 1.5 (issue: episode end ignored intervals).
    The appended rows carry no finding of their own; the tiers at them come from the intervals
    covering them.
    """
    subject, _, day = _support_spans(rows, running_hours)
    # an end within a second of a charted row (an interval cut at its dose-0 row) is that row
    ok = ~np.isnan(rows["day"])
    if day.size and ok.any():
        lo = float(min(np.nanmin(rows["day"]), day.min()))
        width = float(max(np.nanmax(rows["day"]), day.max())) - lo + 2.0
        charted = np.sort(rows["subject"][ok] * width + (rows["day"][ok] - lo))
        key = subject * width + (day - lo)
        hi = np.searchsorted(charted, key + 2 * SECOND, side="right")
        low = np.searchsorted(charted, key - 2 * SECOND, side="left")
        new = hi == low
    else:
        new = np.ones(day.size, bool)
    subject, day = subject[new], day[new]
    if day.size == 0:
        return rows
    n = day.size
    extra = {
        k: np.zeros(n, v.dtype) if v.dtype != object else np.full(n, None, object)
        for k, v in rows.items()
    }
    extra.update(
        subject=subject,
        day=day,
        end=day,
        code=np.full(n, "SPAN_END", object),
        temp=np.full(n, -np.inf),
        number=np.full(n, np.nan),
        dose=np.full(n, np.nan),
        weight=np.full(n, np.nan),
    )
    return {k: np.concatenate([rows[k], extra[k]]) for k in rows}


# --------------------------------------------------------------------------- time points


def _tp_tiers(
    tps: TimePoints, rows: dict[str, np.ndarray], c: CrsIcansCriteria, ambiguous: str
) -> dict[str, np.ndarray]:
    h = c.crs.hypotension
    fever = tps.reduce_max(rows["fever"].astype(np.int8)) > 0
    n_all, n_counted, agents = _pressor_counts(
        tps, rows, h.not_counted_toward_multiple, h.running_hours
    )
    hyp_flag = tps.reduce_max(rows["hyp_flag"].astype(np.int8)) > 0
    hyp = np.where(
        n_counted >= h.multiple_means_at_least,
        h.multiple_vasopressors,
        np.where(n_all >= 1, h.one_vasopressor, np.where(hyp_flag, h.no_vasopressor, 0)),
    )
    high = np.zeros(tps.n, bool)
    dose_note = np.zeros(tps.n, np.int8)
    if h.high_dose is not None:
        high_at, dose_note = _high_dose(tps, rows, c)
        high = high_at & (n_all == 1)
        hyp = np.where(high, np.maximum(hyp, h.high_dose.grade), hyp)
    hox, hox_row, review, worse_row = _hypoxia_tier(tps, rows, ambiguous)
    organ = tps.reduce_max(rows["organ"])
    return {
        "fever": fever,
        "hyp": hyp,
        "hox": hox,
        "organ": organ,
        "n_all": n_all,
        "n_counted": n_counted,
        "agents": agents,
        "high": high,
        "dose_note": np.where(high, 0, dose_note),
        "hox_row": hox_row,
        "review": review,
        "review_mask": review & rows["hox_mask"][np.maximum(worse_row, 0)] & (worse_row >= 0),
        "signal": fever | (hyp > 0) | (hox > 0),
        "temp": tps.reduce_max(rows["temp"]),
    }


def _hypoxia_tier(
    tps: TimePoints, rows: dict[str, np.ndarray], ambiguous: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per time point: the hypoxia tier, the row giving it, whether it needs review, and the
    row giving the worse reading.

    A FiO2 row active at the time point decides between a device's grade and the worse one its
    flow suggests (``fio2_decides``); without one the two cannot be told apart (``review``) and
    ``ambiguous`` picks. On ties the FiO2 row is the one named."""
    oxygen = rows["hox"] > 0
    worse, worse_row = _interval_max(tps, rows, rows["hox"], oxygen)
    score = rows["hox_lower"] * 2 + rows["fio2"]  # a FiO2 row wins a tie with a device
    best, lower_row = _interval_max(tps, rows, score, oxygen | rows["fio2"])
    lower = best // 2
    _, fio2_row = _interval_max(tps, rows, rows["fio2"].astype(np.int64), rows["fio2"])
    review = (worse > lower) & (fio2_row < 0)
    take_worse = review & (ambiguous == "worse")
    tier = np.where(take_worse, worse, lower)
    return tier, np.where(take_worse, worse_row, lower_row), review, worse_row


def _tp_of_rows(tps: TimePoints) -> np.ndarray:
    out = np.empty(len(tps.order), np.int64)
    out[tps.order] = tps.tp
    return out


def _cover(
    tps: TimePoints, subject: np.ndarray, start: np.ndarray, end: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (time point, span) where span ``i`` of ``subject[i]`` covers the time point
    (``start[i] <= day <= end[i]``, to the second)."""
    if tps.n == 0 or subject.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    lo_day = float(min(np.nanmin(tps.day), np.nanmin(start)))
    width = float(max(np.nanmax(tps.day), np.nanmax(end))) - lo_day + 2.0
    key = tps.subject * width + (tps.day - lo_day)  # sorted: time points are by subject, day
    lo = np.searchsorted(key, subject * width + (start - lo_day) - SECOND, side="left")
    hi = np.searchsorted(key, subject * width + (end - lo_day) + SECOND, side="right")
    count = np.maximum(hi - lo, 0)
    span = np.repeat(np.arange(subject.size), count)
    first = np.repeat(lo - np.r_[0, np.cumsum(count)[:-1]], count)
    return (np.arange(span.size) + first).astype(np.int64), span


def _interval_max(
    tps: TimePoints, rows: dict[str, np.ndarray], score: np.ndarray, mask: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per time point, the highest ``score`` of the ``mask`` rows active at it (a point row at
    its own time, an interval row from its day to its end) and the row that gives it (-1)."""
    best = np.zeros(tps.n, score.dtype)
    row = np.full(tps.n, -1, np.int64)
    m = np.flatnonzero(mask & ~np.isnan(rows["day"]))
    tp, span = _cover(tps, rows["subject"][m], rows["day"][m], rows["end"][m])
    if tp.size == 0:
        return best, row
    src = m[span]
    pick = np.lexsort((rows["day"][src], score[src], tp))  # ties: the latest start
    last = np.r_[tp[pick][1:] != tp[pick][:-1], True]
    best[tp[pick][last]] = score[src][pick][last]
    row[tp[pick][last]] = src[pick][last]
    return best, row


def _pressor_spans(
    rows: dict[str, np.ndarray], running_hours: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rows of running vasopressors and the span each is running over: an interval row from
    its day to its end (cut at a later dose-0 row of the agent), a point row to the next row of
    the same agent when that one is running too and at most ``running_hours`` later."""
    p = np.flatnonzero((rows["pressor"] | rows["pressor_off"]) & ~np.isnan(rows["day"]))
    if p.size == 0:  # no vasopressor charted: no span (without grouping an empty frame)
        none = np.zeros(0, np.int64)
        return none, none.copy(), np.zeros(0), np.zeros(0)
    frame = pd.DataFrame(
        {
            "s": rows["subject"][p],
            "a": rows["word"][p],
            "d": rows["day"][p],
            "e": rows["end"][p],
            "off": rows["pressor_off"][p],
            "row": p,
        }
    ).sort_values(["s", "a", "d", "off"], kind="stable")
    group = frame.groupby(["s", "a"], sort=False)
    nxt_day = group["d"].shift(-1)
    nxt_off = group["off"].shift(-1).astype("boolean").fillna(True).to_numpy(bool)
    off_day = frame["d"].where(frame["off"])
    keys = [frame["s"], frame["a"]]
    later_off = off_day.groupby(keys, sort=False).shift(-1).groupby(keys, sort=False).bfill()
    d, e = frame["d"].to_numpy(float), frame["e"].to_numpy(float)
    interval = e > d
    bridge = ~nxt_off & (nxt_day.to_numpy(float) - d <= running_hours / 24 + SECOND)
    end = np.where(bridge, nxt_day.to_numpy(float), d)
    cut = later_off.to_numpy(float) - SECOND
    end = np.where(interval, np.fmin(e, np.where(np.isnan(cut), np.inf, cut)), np.maximum(end, d))
    running = ~frame["off"].to_numpy(bool)
    return (
        frame["row"].to_numpy(np.int64)[running],
        frame["s"].to_numpy(np.int64)[running],
        d[running],
        end[running],
    )


def _pressor_counts(
    tps: TimePoints,
    rows: dict[str, np.ndarray],
    not_counted: tuple[str, ...],
    running_hours: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct agents running at each time point: all, counted toward 'multiple', and their
    names. Concurrency is decided over time (intervals and bridged point rows), not by
    identical timestamps."""
    row, subject, start, end = _pressor_spans(rows, running_hours)
    tp, span = _cover(tps, subject, start, end)
    pairs = pd.DataFrame({"tp": tp, "agent": rows["word"][row[span]]}).drop_duplicates()
    pairs = pairs.sort_values(["tp", "agent"])
    n_all = np.bincount(pairs["tp"], minlength=tps.n)
    counted = ~pairs["agent"].isin(not_counted).to_numpy(bool)
    n_counted = np.bincount(pairs["tp"][counted], minlength=tps.n)
    names = np.full(tps.n, None, object)
    if len(pairs):
        joined = pairs.groupby("tp")["agent"].agg(" + ".join)  # pressor time points only
        names[joined.index.to_numpy()] = joined.to_numpy(object)
    return n_all, n_counted, names


def _high_dose(
    tps: TimePoints, rows: dict[str, np.ndarray], c: CrsIcansCriteria
) -> tuple[np.ndarray, np.ndarray]:
    """Per time point: a single agent at high dose sustained for the file's hours (Lee 2014),
    and why a running agent's dose could not be compared (1: no dose, 2: no weight to convert
    between ug/min and ug/kg/min). A dose in the other unit is converted with the subject's
    ``weight`` (kg)."""
    hd = c.crs.hypotension.high_dose
    assert hd is not None
    high = np.zeros(len(rows["day"]), bool)
    unknown = np.where(rows["pressor"] & np.isnan(rows["dose"]), 1, 0).astype(np.int8)
    for agent, lim in hd.agents.items():  # a handful of agents
        mine = rows["pressor"] & (rows["word"] == agent)
        unit = rows["dose_unit"]
        dose = np.where(unit == lim.unit, rows["dose"], np.nan)
        if lim.unit == "ug/min":
            dose = np.where(unit == "ug/kg/min", rows["dose"] * rows["weight"], dose)
        else:
            dose = np.where(unit == "ug/min", rows["dose"] / rows["weight"], dose)
        no_weight = mine & (unit != lim.unit) & ~np.isnan(rows["dose"]) & np.isnan(dose)
        unknown = np.where(no_weight, 2, unknown).astype(np.int8)
        high |= mine & (dose >= lim.ge)
    note = tps.reduce_max(unknown)
    p = np.flatnonzero(rows["pressor"])
    if p.size == 0:
        return np.zeros(tps.n, bool), note
    frame = pd.DataFrame(
        {"s": rows["subject"][p], "a": rows["word"][p], "d": rows["day"][p], "h": high[p], "row": p}
    ).sort_values(["s", "a", "d"], kind="stable")
    brk = (
        (~frame["h"])
        | (frame["s"] != frame["s"].shift())
        | (frame["a"] != frame["a"].shift())
        | (~frame["h"].shift(fill_value=False).astype(bool))
    )
    run = brk.cumsum()
    start = frame["d"].groupby(run).transform("first")
    sustained = frame["h"] & (frame["d"] - start >= hd.sustained_hours / 24 - 1e-9)
    out_rows = np.zeros(len(rows["day"]), np.int8)
    out_rows[frame["row"].to_numpy()[sustained.to_numpy(bool)]] = 1
    return tps.reduce_max(out_rows) > 0, note


def _organ_tail(eps: Episodes, tps: TimePoints, organ: np.ndarray, gap: float) -> Episodes:
    """Episodes extended to the organ-toxicity time points in their tail: within ``gap`` of
    the last fever, hypotension or hypoxia (Lee 2014 grades organ toxicity of the episode;
    labs drawn hours after the last vital sign belong to it). Organ time points never extend
    the tail themselves, so lab abnormalities that outlast CRS do not chain."""
    if len(eps) == 0:
        return eps
    hit = np.flatnonzero(organ > 0)
    e = np.searchsorted(eps.last, hit, side="left") - 1  # the episode ending before
    ok = e >= 0
    hit, e = hit[ok], e[ok]
    ok = (tps.subject[hit] == tps.subject[eps.last[e]]) & (
        tps.day[hit] <= tps.day[eps.last[e]] + gap + SECOND
    )
    last = eps.last.copy()
    np.maximum.at(last, e[ok], hit[ok])
    nxt = np.r_[eps.first[1:], tps.n]
    last = np.minimum(last, nxt - 1)
    return Episodes(eps.first, last)


def _unwaived(
    tps: TimePoints, rows: dict[str, np.ndarray], at: dict[str, np.ndarray], member: np.ndarray
) -> np.ndarray:
    """Time points of an episode without fever where no antipyretic or anticytokine therapy
    has been given yet in the episode (at or before the time point)."""
    treated = tps.reduce_max(rows["treat"].astype(np.int8)) > 0
    key = np.where(member >= 0, member, -1 - np.arange(tps.n))  # outside: each its own group
    so_far = pd.Series(treated).groupby(key).cummax().to_numpy(bool)
    out: np.ndarray = (member >= 0) & ~at["fever"] & ~so_far & ((at["hyp"] > 0) | (at["hox"] > 0))
    return out


def _opened_before(
    tps: TimePoints, subjects: np.ndarray, episode_open: Collection[str], gap: float
) -> np.ndarray:
    """Per time point: an episode opened before the subject's first time point is still open
    (the time point is within ``gap`` days of that first one)."""
    out = np.zeros(tps.n, bool)
    if not episode_open or tps.n == 0:
        return out
    flagged = isin(subjects[tps.subject], [str(s) for s in episode_open])
    first_day = pd.Series(tps.day).groupby(tps.subject).transform("min").to_numpy(float)
    still_open: np.ndarray = flagged & (tps.day - first_day <= gap + 1e-9)
    return still_open


def _first_signal(subject: np.ndarray, signal: np.ndarray) -> np.ndarray:
    """Per time point (sorted by subject and day): the subject's first signal.

    A run of signals that starts there may continue an episode opened before the data begin
    (``episode_open``), so it opens without a fever of its own.
    """
    sig = np.flatnonzero(signal)
    out = np.zeros(subject.size, bool)
    if sig.size:
        s = subject[sig]
        out[sig[np.r_[True, s[1:] != s[:-1]]]] = True
    return out


# --------------------------------------------------------------------------- audit trail


def _trace(
    tps: TimePoints,
    rows: dict[str, np.ndarray],
    at: dict[str, np.ndarray],
    member: np.ndarray,
    grade: np.ndarray,
    eps: Episodes,
    c: CrsIcansCriteria,
    thr: float,
    opened: np.ndarray,
    ambiguous: str,
) -> dict[str, np.ndarray]:
    """Rule id and audit text per time point (None where there is nothing to say)."""
    cid = c.output_id
    text = np.full(tps.n, None, object)
    rule = np.full(tps.n, None, object)
    sub = np.flatnonzero((member >= 0) | at["signal"])  # texts only where there is a finding
    a = {k: v[sub] for k, v in at.items()}
    g_all = grade[sub]
    comps = _component_texts(tps, rows, a, sub, thr, c.crs.hypotension.multiple_means_at_least)
    notes = np.where(
        a["review_mask"], _review_note(c.crs, ambiguous, mask=True), _review_note(c.crs, ambiguous)
    )
    comps["hox"] = comps["hox"] + np.where(a["review"], notes, "")
    day = "day " + fmt_numbers(tps.day[sub])
    inside = member[sub] >= 0
    # the component that produced the grade: hypotension, hypoxia, organ, else the floor
    best = np.zeros(sub.size, np.int64)  # 0 floor, 1 hypotension, 2 hypoxia, 3 organ
    for k, key in ((3, "organ"), (2, "hox"), (1, "hyp")):  # priority on ties: hyp > hox > organ
        best = np.where((a[key] > 0) & (a[key] == g_all), k, best)
    names = np.array(["fever", "hypotension", "hypoxia", "organ toxicity"], object)
    settled = (best == 0) & ~a["fever"]
    floor_txt = np.where(
        a["fever"],
        comps["fever"],
        np.where(a["unwaived"], "no fever", "no fever, hypotension or hypoxia"),
    )
    finding = np.select(
        [best == 1, best == 2, best == 3], [comps["hyp"], comps["hox"], comps["organ"]], floor_txt
    )
    g = fmt_numbers(g_all)
    tier = np.where(
        best == 0, np.where(settled, "episode active", names[0]), names[best] + " tier " + g
    )
    suffix = np.where(settled, "; fever settled" + comps["settled"], "")
    unwaived = a["unwaived"]
    suffix = np.where(
        unwaived,
        "; "
        + np.where(a["hyp_raw"] >= a["hox_raw"], comps["hyp"], comps["hox"])
        + " not graded: fever settled and no antipyretic or anticytokine therapy given "
        "(option fever_waiver=treatment)",
        suffix,
    )
    onset = np.isin(sub, eps.first[~opened[eps.first]])  # an episode opened before: no onset
    onset_txt = (
        "; episode onset (fever >= "
        + fmt_numbers(np.array([c.crs.onset.fever_ge_celsius]))[0]
        + " degC)"
    )
    t_in = (
        "grade "
        + g
        + ": "
        + finding
        + " at "
        + day
        + suffix
        + " ("
        + tier
        + ", "
        + cid
        + ")"
        + np.where(onset, onset_txt, "")
    )
    what = np.where(a["hyp"] >= a["hox"], comps["hyp"], comps["hox"])
    t_out = (
        "not CRS: "
        + what
        + " at "
        + day
        + " outside any CRS episode (no fever before it, "
        + cid
        + ")"
    )
    text[sub] = np.where(inside, t_in, t_out)
    parts = np.array(["floor", "hypotension", "hypoxia", "organ"], object)
    rule[sub] = np.where(inside, cid + "/crs/" + parts[best] + "/" + g, cid + "/crs/not_crs/0")
    return {"text": text, "rule": rule}


def _review_note(r: CrsRules, ambiguous: str, *, mask: bool = False) -> str:
    """Why a device without FiO2 was graded as it was (``fio2_decides`` in the file): a
    high-flow delivery cannot show the lower FiO2 tier; a ``mask`` (``grade_without_fio2``)
    may deliver FiO2 on either side of the cut-off. One wording for the engine and the plain
    time point (:mod:`aegrade.grading.onepoint`)."""
    return review_note([t.model_dump() for t in r.hypoxia.fio2], ambiguous, mask)


def _component_texts(
    tps: TimePoints,
    rows: dict[str, np.ndarray],
    a: dict[str, np.ndarray],
    sub: np.ndarray,
    thr: float,
    multiple: int,
) -> dict[str, np.ndarray]:
    """Descriptions of each component at the time points ``sub``."""
    temp = np.where(np.isfinite(a["temp"]), a["temp"], np.nan)
    fever = "temperature " + fmt_numbers(temp) + " degC"

    def row_text(score: np.ndarray, mask: np.ndarray, texts: np.ndarray) -> np.ndarray:
        best = tps.best_row(score, mask)[sub]
        return np.where(best >= 0, texts[np.maximum(best, 0)], "")

    hox_row = a["hox_row"]
    since = np.where(
        (hox_row >= 0) & (rows["day"][np.maximum(hox_row, 0)] < tps.day[sub]),
        " (running since day " + fmt_numbers(rows["day"][np.maximum(hox_row, 0)]) + ")",
        "",
    )
    hox = np.where(hox_row >= 0, rows["hox_desc"][np.maximum(hox_row, 0)], "") + since
    organ = row_text(rows["organ"], rows["organ"] > 0, rows["organ_desc"])
    sys_row = tps.best_row(-np.nan_to_num(rows["number"], nan=np.inf), rows["sysbp_low"])[sub]
    sys_txt = (
        "SYSBP "
        + fmt_numbers(rows["number"][np.maximum(sys_row, 0)])
        + " mmHg (below the "
        + fmt_numbers(np.array([thr]))[0]
        + " mmHg sysbp_threshold option), no vasopressor"
    )
    n_txt = np.where(
        a["n_counted"] >= multiple,
        " (" + fmt_numbers(a["n_counted"]) + " vasopressors counted)",
        np.where(
            a["n_counted"] == 0,
            " (alone: read as one vasopressor)",
            np.where(
                a["n_all"] > a["n_counted"], " (vasopressin not counted toward two or more)", ""
            ),
        ),
    )
    high = np.select(
        [a["high"], a["dose_note"] == 1, a["dose_note"] == 2],
        [
            ", high dose sustained",
            ", dose not recorded: read as low dose",
            ", dose in the other unit (ug/min vs ug/kg/min) and no weight: read as low dose",
        ],
        "",
    )
    hyp = np.select(
        [a["n_all"] > 0, sys_row >= 0],
        [a["agents"].astype(str) + n_txt + high, sys_txt],
        "hypotension, no vasopressor",
    )
    return {
        "fever": fever,
        "hox": hox,
        "organ": organ,
        "hyp": hyp,
        "settled": _treatment_note(tps, rows)[sub],
    }


def _treatment_note(tps: TimePoints, rows: dict[str, np.ndarray]) -> np.ndarray:
    """' after tocilizumab (day 1.5)' for the latest treatment at or before each time point."""
    treat_row = tps.best_row(np.zeros(len(rows["day"])), rows["treat"])
    out = np.full(tps.n, " (no antipyretic, tocilizumab or corticosteroid recorded)", object)
    if not (treat_row >= 0).any():
        return out
    ahead = pd.Series(np.where(treat_row >= 0, np.arange(tps.n), np.nan))
    last = ahead.groupby(tps.subject).ffill().to_numpy(float)
    has = np.flatnonzero(~np.isnan(last))
    src = treat_row[last[has].astype(np.int64)]
    names = pd.Series(rows["code"][src]).map(_TREATMENT_NAMES).to_numpy(object)
    out[has] = " after " + names.astype(str) + " (day " + fmt_numbers(rows["day"][src]) + ")"
    return out
