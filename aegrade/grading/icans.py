"""Immune effector cell-associated neurotoxicity syndrome from time series: :func:`grade_icans`.

ASTCT 2019 (Lee DW et al., BBMT 2019, ICANS table): at each time point the grade is the most
severe domain (ICE or, below the age cut-off, CAPD; level of consciousness; seizure; motor
findings; raised ICP / cerebral edema), ignoring findings marked ``other_cause``. ICE may be a
total or its five items. Episodes are runs of time points graded >= 1 no more than
``episode_gap_hours`` apart; grade 5 comes from ``death_cause``. Bands and words are read from
the criteria file (``aegrade criteria show astct-2019``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from aegrade.criteria import load_crs_icans_criteria, resolve_icans_system
from aegrade.criteria.syndromes import Band, CrsIcansCriteria, IcansRules
from aegrade.episodes.build import Episodes, find_episodes
from aegrade.episodes.syndromes import (
    GradedTimePoints,
    Syndrome,
    SyndromeGrades,
    syndrome_grades,
)
from aegrade.prepare.findings import (
    ICANS_CODES,
    Findings,
    TimePoints,
    fmt_numbers,
    isin,
    time_points,
)

__all__ = ["grade_icans"]

#: The score domains, before the word domains of the criteria file (in the file's order);
#: on a tie the first domain in this order names the grade in the audit trail.
_SCORE_DOMAINS = ("ICE", "CAPD")


def _domain_order(ic: IcansRules) -> tuple[str, ...]:
    """Every domain by name: ICE, CAPD, then the word domains (LOC, SEIZURE, MOTOR, ICP)."""
    return (*_SCORE_DOMAINS, *ic.domains)


def grade_icans(
    found: Findings,
    criteria: str = "astct-2019",
    *,
    capd_age_cutoff: float | None = None,
    episode_gap_hours: float | None = None,
    capd_low_band: str = "grade_1",
) -> SyndromeGrades:
    """Grade ICANS episodes of every subject.

    Parameters
    ----------
    found
        The study's CRS/ICANS rows (:func:`aegrade.prepare.findings.extract_findings`).
    criteria
        ``astct-2019``.
    capd_age_cutoff
        Age (years) from which ICE is used; CAPD below it. Default: the file's (12).
    episode_gap_hours
        Time without ICANS findings that ends an episode. Default: the CRS rule of the file.
    capd_low_band
        ``"grade_1"`` (default, SPEC section 4): CAPD 1-8 is grade 1 by itself (LOC decides 1
        or 2). ``"with_loc"``: CAPD below 9 counts only with a depressed level of consciousness
        (NCIt C188936: grade 1 is CAPD 'less than 9 ... and the ability of the affected
        individual to awaken spontaneously'); an alert child with CAPD 1-8 has no ICANS from it.

    Returns
    -------
    SyndromeGrades
        One row per episode (``adverse_events``), the audit trail (``timepoints``) and the
        worst grade per subject (``worst``).

    Examples
    --------
    An ICE score of 5 on day 1 (grade 2), 10 on day 2:

    >>> import pandas as pd
    >>> from aegrade.prepare.findings import extract_findings
    >>> from aegrade.read import load_study
    >>> obs = pd.DataFrame({"subject_id": "01", "day": [1, 2], "parameter": "ICE",
    ...                     "value": [5, 10]})
    >>> graded = grade_icans(extract_findings(load_study(obs)))
    >>> graded.adverse_events[["subject_id", "grade", "onset"]]
      subject_id  grade  onset
    0         01      2    1.0
    """
    c = load_crs_icans_criteria(resolve_icans_system(criteria))
    ic = c.icans
    assert ic is not None
    cutoff = ic.default_age_cutoff if capd_age_cutoff is None else capd_age_cutoff
    gap = (c.crs.episode.default_gap_hours if episode_gap_hours is None else episode_gap_hours) / 24
    f = found.rows(isin(found.code, ICANS_CODES) & ~found.other)
    tps = time_points(f.subject, f.day)
    if capd_low_band not in ("grade_1", "with_loc"):
        raise ValueError(f"capd_low_band={capd_low_band!r}: choose 'grade_1' or 'with_loc'")
    dom, desc = _domain_grades(f, tps, c, float(cutoff), capd_low_band == "with_loc")
    grade = np.max(dom, axis=0) if len(dom) else np.zeros(tps.n, np.int64)
    eps = find_episodes(tps.subject, tps.day, grade >= 1, gap_days=gap)
    member = eps.membership(tps.n)
    order = _domain_order(ic)
    text, rule = _trace(tps, dom, desc, grade, member, eps, c.output_id, ic, order)
    assessed = np.zeros(len(f.subjects), bool)
    assessed[tps.subject[grade >= 0]] = True
    shown = pd.array(np.where(grade >= 0, grade, 0), dtype="Int64")
    shown[grade < 0] = pd.NA  # no domain could be scored (e.g. partial ICE items)
    return syndrome_grades(
        Syndrome("ICANS", ic.term, c.output_id, ic.grade5.death_causes, gap),
        GradedTimePoints(tps.subject, tps.day, grade, rule, text, eps, assessed),
        found,
        {
            "grade": shown,
            **{f"{d.lower()}_grade": dom[i] for i, d in enumerate(order)},
            "rule": rule,
            "text": text,
        },
    )


def _band_grade(x: np.ndarray, bands: tuple[Band, ...]) -> np.ndarray:
    g = np.zeros(len(x), np.int64)
    for b in bands:  # a handful of bands
        g = np.where((x >= b.min) & (x <= b.max), b.grade, g)
    return g


def _domain_grades(
    f: Findings, tps: TimePoints, c: CrsIcansCriteria, cutoff: float, with_loc: bool = False
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Grade per domain (rows) and time point (columns), -1 not assessed; descriptions."""
    ic = c.icans
    assert ic is not None
    age = f.age[f.subject]
    use_ice = ~(age < cutoff)  # unknown age: whichever tool was recorded
    use_capd = ~(age >= cutoff)
    ice_score = _ice_scores(f, tps, ic.ice.unable_score, tuple(ic.ice.items), use_ice)
    is_capd = (f.code == "CAPD") & use_capd
    capd_row = np.where(
        f.word == "unable", ic.capd.unable_grade, _band_grade(f.number, ic.capd.bands)
    )
    capd = _tp_max(tps, np.where(is_capd, capd_row, -1))
    capd_val = _tp_max(tps, np.where(is_capd, np.where(f.word == "unable", 99, f.number), -1))
    ice = np.where(np.isnan(ice_score), -1, _band_grade(ice_score, ic.ice.bands))
    rows, descs = (
        [ice, capd],
        [
            "ICE " + fmt_numbers(ice_score),
            np.where(capd_val == 99, "CAPD unable", "CAPD " + fmt_numbers(capd_val)),
        ],
    )
    for d, dom in ic.domains.items():  # four domains, by name
        idx = np.flatnonzero(f.code == d)
        g_row = np.full(len(f.code), -1, np.int64)
        if idx.size:  # no row of the domain: every row stays -1 (nothing to look up)
            g_row[idx] = (
                pd.Series(f.word[idx], dtype=object).map(dom.grades).fillna(-1).to_numpy(np.int64)
            )
        best = tps.best_row(g_row, g_row >= 0)
        rows.append(np.where(best >= 0, g_row[np.maximum(best, 0)], -1))
        if not len(best):  # no time point: no description to look up
            descs.append(np.zeros(0, dtype=object))
            continue
        labels = {w: f"{dom.label} {w.replace('_', ' ')}" for w in dom.grades}
        w = pd.Series(np.where(best >= 0, f.word[np.maximum(best, 0)], ""), dtype=object)
        descs.append(w.map(labels).fillna("").to_numpy(object))
    if with_loc and "LOC" in ic.domains:
        loc = rows[2 + list(ic.domains).index("LOC")]
        low = (capd >= 1) & (capd_val < 9) & (capd_val != 99) & ~(loc >= 1)
        rows[1] = np.where(low, 0, rows[1])
        descs[1] = np.where(
            low,
            descs[1]
            + " (below 9 and no depressed consciousness: no ICANS, capd_low_band=with_loc)",
            descs[1],
        )
    return np.vstack(rows), descs


def _tp_max(tps: TimePoints, values: np.ndarray) -> np.ndarray:
    return tps.reduce_max(values) if tps.n else np.zeros(0)


def _ice_scores(
    f: Findings, tps: TimePoints, unable: float, items: tuple[str, ...], use: np.ndarray
) -> np.ndarray:
    """ICE total per time point: the lowest recorded total, else the sum of all five items."""
    is_total = (f.code == "ICE") & use
    total_val = np.where(f.word == "unable", unable, f.number)
    total = -_tp_max(tps, np.where(is_total, -total_val, -np.inf))
    is_item = isin(f.code, items) & use
    tp_row = np.empty(len(tps.order), np.int64)
    tp_row[tps.order] = tps.tp
    pairs = (
        pd.DataFrame({"tp": tp_row[is_item], "item": f.code[is_item], "v": f.number[is_item]})
        .groupby(["tp", "item"])["v"]
        .min()
    )
    per_tp = pairs.groupby(level="tp").agg(["sum", "count"])
    from_items = np.full(tps.n, np.nan)
    full = per_tp[per_tp["count"] == len(items)]
    from_items[full.index.to_numpy(np.int64)] = full["sum"].to_numpy(float)
    return np.where(np.isfinite(total), total, from_items)


def _trace(
    tps: TimePoints,
    dom: np.ndarray,
    desc: list[np.ndarray],
    grade: np.ndarray,
    member: np.ndarray,
    eps: Episodes,
    cid: str,
    ic: IcansRules,
    order: tuple[str, ...],
) -> tuple[np.ndarray, np.ndarray]:
    """Audit text and rule id per time point: the most severe domain (first on ties)."""
    best = np.argmax(dom, axis=0) if len(dom) else np.zeros(tps.n, np.int64)
    finding = np.choose(best, desc) if tps.n else np.zeros(0, object)
    labels: dict[str, str] = {d: d for d in _SCORE_DOMAINS}
    labels |= {d: w.label for d, w in ic.domains.items()}
    names = np.array([labels[d] for d in order], object)
    keys = np.array([d.lower() for d in order], object)
    row = {d: i for i, d in enumerate(order)}
    inside = np.flatnonzero(member >= 0)  # texts only inside episodes
    b = best[inside]
    g = fmt_numbers(grade[inside])
    day = "day " + fmt_numbers(tps.day[inside])
    text = np.full(tps.n, None, object)
    text[inside] = (
        "grade "
        + g
        + ": "
        + finding[inside]
        + " at "
        + day
        + " ("
        + names[b]
        + " domain, "
        + cid
        + ")"
    )
    ice0_loc4 = (dom[row["ICE"]] == 3) & (dom[row["LOC"]] == 4) & (member >= 0)
    text[ice0_loc4] = text[ice0_loc4] + "; ICE 0 with the patient unarousable is grade 4"
    onset = np.zeros(tps.n, bool)
    onset[eps.first] = True
    text[onset] = text[onset] + "; episode onset"
    rule = np.full(tps.n, None, object)
    rule[inside] = cid + "/icans/" + keys[b] + "/" + g
    return text, rule
