"""Episode tables shared by CRS and ICANS: from graded time points to adverse-event rows.

A syndrome's graded time points arrive sorted by subject and day, with their episodes (ranges
found by :func:`aegrade.episodes.build.find_episodes`), a rule id and an audit text each. This
module turns those ranges into ``adverse_events`` rows (columns of
:data:`aegrade.episodes.build.EPISODE_COLUMNS` plus ``reason`` and ``time_to_onset``), applies
grade 5 from ``death_cause``, and summarizes the worst grade per subject.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from aegrade.episodes.build import (
    EPISODE_COLUMNS,
    Episodes,
    episode_rows,
    episode_stats,
)
from aegrade.episodes.summary import worst_per_subject
from aegrade.prepare.findings import Findings, fmt_numbers

__all__ = [
    "AE_COLUMNS",
    "EXPLAIN_COLUMNS",
    "GradedTimePoints",
    "Syndrome",
    "SyndromeGrades",
    "build_adverse_events",
    "episode_numbers",
    "finish_syndrome",
    "syndrome_grades",
]

AE_COLUMNS = [*EPISODE_COLUMNS, "reason", "time_to_onset"]
EXPLAIN_COLUMNS = ["subject_id", "syndrome", "criteria", "day", "episode", "grade", "rule", "text"]


@dataclass(frozen=True)
class SyndromeGrades:
    """One syndrome graded by one system."""

    adverse_events: pd.DataFrame  # AE_COLUMNS
    timepoints: pd.DataFrame  # one row per assessed time point
    worst: pd.Series  # per subject label: worst grade (Int64), NA when not assessed

    @property
    def explain(self) -> pd.DataFrame:
        """Time points with something to say (in an episode, or a finding outside one)."""
        tp = self.timepoints
        return tp.loc[tp["text"].notna(), EXPLAIN_COLUMNS].reset_index(drop=True)


@dataclass(frozen=True)
class Syndrome:
    """What names one syndrome's episodes under one grading system.

    Attributes
    ----------
    name
        ``"CRS"`` or ``"ICANS"``.
    term, criteria
        The adverse-event term and the system's output id.
    death_causes
        ``death_cause`` words that make the syndrome grade 5.
    gap_days
        Time without findings that ends an episode.
    resolution
        ``"first_normal"`` (default): the episode resolves at the first time point after its
        last finding (a reading without fever, hypotension or hypoxia), or at end + gap when
        nothing was charted in between but the subject was followed that long.
        ``"after_gap"``: always at end + gap (aegrade before issue 13).
    """

    name: str
    term: str
    criteria: str
    death_causes: tuple[str, ...]
    gap_days: float
    resolution: str = "first_normal"


@dataclass(frozen=True)
class GradedTimePoints:
    """A syndrome's graded time points, sorted by subject and day, with their episodes.

    ``subject`` indexes the findings' ``subjects``; ``grade`` is -1 where nothing could be
    graded; ``rule`` and ``text`` are the audit trail; ``assessed`` is per subject.
    """

    subject: np.ndarray
    day: np.ndarray
    grade: np.ndarray
    rule: np.ndarray
    text: np.ndarray
    episodes: Episodes
    assessed: np.ndarray


def build_adverse_events(
    syn: Syndrome, tps: GradedTimePoints, subjects: np.ndarray
) -> pd.DataFrame:
    """One row per episode: onset, end, worst grade, its rule and audit text.

    Parameters
    ----------
    syn
        The syndrome and system.
    tps
        Graded time points and their episodes.
    subjects
        Subject labels indexed by ``tps.subject``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`AE_COLUMNS`; an episode resolves ``syn.gap_days`` after its end when the
        subject was followed that long.

    Examples
    --------
    >>> syn = Syndrome("CRS", "Cytokine release syndrome", "astct-2019", ("crs",), 1.0)
    >>> grade = np.array([0, 1, 2, 0, 0])
    >>> tps = GradedTimePoints(
    ...     subject=np.zeros(5, int), day=np.array([0.0, 1.0, 2.0, 3.0, 5.0]), grade=grade,
    ...     rule=np.array([None, "r1", "r2", None, None], object),
    ...     text=np.array([None, "t1", "t2", None, None], object),
    ...     episodes=Episodes(np.array([1]), np.array([2])),
    ...     assessed=np.array([True]))
    >>> ae = build_adverse_events(syn, tps, np.array(["S1"], object))
    >>> ae[["grade", "onset", "end", "resolved_day", "rule"]].to_numpy().tolist()
    [[2, 1.0, 2.0, 3.0, 'r2']]
    """
    eps = tps.episodes
    if len(eps) == 0:
        return pd.DataFrame(columns=AE_COLUMNS, dtype=object)
    stats = episode_stats(
        eps, tps.subject, tps.day, tps.grade, resolution="after_gap", gap_days=syn.gap_days
    )
    out = episode_rows(
        stats,
        subject_id=subjects[tps.subject[eps.first]],
        term=syn.term,
        criteria=syn.criteria,
        grade=pd.array(stats.worst, dtype="Int64"),
        rule=tps.rule[stats.worst_at],
    )
    if syn.resolution == "first_normal":
        nxt = np.minimum(eps.last + 1, len(tps.day) - 1)
        seen = (eps.last + 1 < len(tps.day)) & (tps.subject[nxt] == tps.subject[eps.last])
        early = seen & (tps.day[nxt] < stats.end + syn.gap_days)
        out["resolved_day"] = np.where(early, tps.day[nxt], stats.resolved_day)
    out["reason"] = tps.text[stats.worst_at]
    out["time_to_onset"] = stats.onset
    return out[AE_COLUMNS]


def apply_grade5(ae: pd.DataFrame, found: Findings, syn: Syndrome) -> pd.DataFrame:
    """Grade 5 for subjects whose ``death_cause`` is this syndrome.

    The last episode starting on or before ``death_day`` (any episode when the day is unknown)
    becomes grade 5 and ends at death; without one, a grade-5 row at ``death_day`` is added.

    Parameters
    ----------
    ae
        Episode rows of the syndrome (:func:`build_adverse_events`).
    found
        The findings (subjects, ``death_cause``, ``death_day``).
    syn
        The syndrome and system (its ``death_causes``).

    Returns
    -------
    pandas.DataFrame
        The rows with grade 5 applied, sorted by subject and onset.
    """
    died = np.flatnonzero(_died(found, syn))
    if died.size == 0:
        return ae
    ae = ae.copy()
    labels, dday = found.subjects[died], found.death_day[died]
    rule = f"{syn.criteria}/{syn.name.lower()}/grade5/5"
    at_day = fmt_numbers(dday)
    text = (
        f"grade 5: death from {syn.name} at day "
        + np.where(at_day == "", "?", at_day).astype(object)
        + f" (death_cause {syn.name}, {syn.criteria})"
    )
    # per deceased subject, its last episode starting on or before death (-1: none)
    who = pd.Index(labels).get_indexer(ae["subject_id"])
    onset = ae["onset"].to_numpy(float)
    cand = np.flatnonzero(who >= 0)
    cand = cand[~(onset[cand] > dday[who[cand]])]
    last = np.full(len(labels), -1, np.int64)
    np.maximum.at(last, who[cand], cand)
    has = last >= 0
    at = ae.index[last[has]]
    ae.loc[at, "grade"] = 5
    ae.loc[at, "rule"] = rule
    ae.loc[at, "reason"] = text[has]
    known = ~np.isnan(dday[has])
    ae.loc[at[known], "end"] = dday[has][known]
    ae.loc[at[known], "duration"] = dday[has][known] - onset[last[has]][known]
    ae.loc[at, "resolved_day"] = np.nan
    if not has.all():
        d = dday[~has]
        add = pd.DataFrame(
            {
                "subject_id": labels[~has],
                "term": syn.term,
                "criteria": syn.criteria,
                "grade": 5,
                "onset": d,
                "end": d,
                "resolved_day": np.nan,
                "duration": 0.0,
                "n_observations": 0,
                "rule": rule,
                "source": "derived",
                "reason": text[~has] + "; no episode was recorded before death",
                "time_to_onset": d,
            }
        )
        ae = pd.concat([ae, add], ignore_index=True)
    ae["grade"] = ae["grade"].astype("Int64")
    return ae.sort_values(["subject_id", "onset"], kind="stable").reset_index(drop=True)


def _died(found: Findings, syn: Syndrome) -> np.ndarray:
    folded = {c.strip().lower() for c in syn.death_causes}
    return pd.Series(found.death_cause).isin(folded).to_numpy(bool)


def episode_numbers(subject: np.ndarray, member: np.ndarray) -> pd.arrays.IntegerArray:
    """1-based number of each time point's episode within its subject (NA outside one).

    Examples
    --------
    >>> episode_numbers(np.array([0, 0, 0, 1]), np.array([0, -1, 1, 2])).tolist()
    [1, <NA>, 2, 1]
    """
    m = pd.Series(member).where(member >= 0)
    number = (m - m.groupby(subject).transform("min") + 1).to_numpy(float)
    known = ~np.isnan(number)
    out = pd.array(np.where(known, number, 0).astype(np.int64), dtype="Int64")
    out[~known] = pd.NA
    return out


def finish_syndrome(
    syn: Syndrome, tps: GradedTimePoints, found: Findings
) -> tuple[pd.DataFrame, pd.Series]:
    """The steps every syndrome ends with: episode rows, grade 5 from ``death_cause``, and
    the worst grade per subject (NA when never assessed, 0 when assessed without an episode).

    Parameters
    ----------
    syn
        Names the syndrome, its system, grade-5 causes and episode gap.
    tps
        The syndrome's graded time points with their episodes.
    found
        The findings the time points come from (subjects, ``death_cause``, ``death_day``).

    Returns
    -------
    (pandas.DataFrame, pandas.Series)
        Adverse-event rows (:data:`AE_COLUMNS`) and the worst grade per subject label.

    Examples
    --------
    >>> from aegrade.prepare.findings import extract_findings
    >>> from aegrade.read.study import load_study
    >>> obs = pd.DataFrame({"subject_id": ["S1", "S1", "S2"], "day": [1.0, 2.0, 1.0],
    ...                     "parameter": "TEMP", "value": [38.5, 37.0, 37.0], "unit": "degC"})
    >>> subjects = pd.DataFrame({"subject_id": ["S1", "S2"], "death_day": [1.5, None],
    ...                          "death_cause": ["CRS", None]})
    >>> found = extract_findings(load_study(observations=obs, subjects=subjects))
    >>> syn = Syndrome("CRS", "Cytokine release syndrome", "astct-2019", ("crs",), 1.0)
    >>> subject, day, grade = np.array([0, 0, 1]), np.array([1.0, 2.0, 1.0]), np.array([1, 0, 0])
    >>> tps = GradedTimePoints(
    ...     subject, day, grade, rule=np.array(["r1", None, None], object),
    ...     text=np.array(["t1", None, None], object),
    ...     episodes=Episodes(np.array([0]), np.array([0])),
    ...     assessed=np.array([True, True]))
    >>> ae, worst = finish_syndrome(syn, tps, found)
    >>> ae[["subject_id", "grade", "onset", "end", "rule"]].to_numpy().tolist()
    [['S1', 5, 1.0, 1.5, 'astct-2019/crs/grade5/5']]
    >>> worst.tolist()
    [5, 0]
    """
    ae = apply_grade5(build_adverse_events(syn, tps, found.subjects), found, syn)
    subjects = pd.Index(found.subjects, name="subject_id")
    grade = ae["grade"].to_numpy(float, na_value=np.nan)
    worst = worst_per_subject(
        subjects.get_indexer(ae["subject_id"]),
        grade,
        len(subjects),
        assessed=tps.assessed | _died(found, syn),
    )
    return ae, pd.Series(worst, index=subjects)


def syndrome_grades(
    syn: Syndrome, tps: GradedTimePoints, found: Findings, columns: dict[str, object]
) -> SyndromeGrades:
    """Episode rows, worst grade per subject and the audit trail of one syndrome.

    Parameters
    ----------
    syn, tps, found
        As for :func:`finish_syndrome`.
    columns
        The syndrome's own audit columns (``grade`` first, ``rule`` and ``text`` last), after
        ``subject_id``, ``syndrome``, ``criteria``, ``day`` and ``episode`` (1-based within
        the subject, NA outside an episode).

    Returns
    -------
    SyndromeGrades

    Examples
    --------
    >>> from aegrade.prepare.findings import extract_findings
    >>> from aegrade.read.study import load_study
    >>> obs = pd.DataFrame({"subject_id": "S1", "day": [1.0, 2.0], "parameter": "TEMP",
    ...                     "value": [38.5, 37.0], "unit": "degC"})
    >>> found = extract_findings(load_study(observations=obs))
    >>> syn = Syndrome("CRS", "Cytokine release syndrome", "astct-2019", ("crs",), 1.0)
    >>> subject, day, grade = np.array([0, 0]), np.array([1.0, 2.0]), np.array([1, 0])
    >>> text = np.array(["fever", None], object)
    >>> tps = GradedTimePoints(subject, day, grade, rule=text, text=text,
    ...                        episodes=Episodes(np.array([0]), np.array([0])),
    ...                        assessed=np.array([True]))
    >>> res = syndrome_grades(syn, tps, found, {"grade": grade, "rule": text, "text": text})
    >>> res.explain[["day", "episode", "grade", "text"]].to_numpy().tolist()
    [[1.0, 1, 1, 'fever']]
    """
    ae, worst = finish_syndrome(syn, tps, found)
    timepoints = pd.DataFrame(
        {
            "subject_id": found.subjects[tps.subject],
            "syndrome": syn.name,
            "criteria": syn.criteria,
            "day": tps.day,
            "episode": episode_numbers(tps.subject, tps.episodes.membership(len(tps.day))),
            **columns,
        }
    )
    return SyndromeGrades(ae, timepoints, worst)
