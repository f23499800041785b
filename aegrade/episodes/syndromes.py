"""Episode tables shared by CRS and ICANS: from graded time points to adverse-event rows.

A syndrome's time points arrive sorted by subject and day, each with a grade, a rule id and an
audit text; episodes are contiguous ranges of them. This module turns those ranges into
``adverse_events`` rows (columns of :data:`aegrade.episodes.labs.EPISODE_COLUMNS` plus
``reason`` and ``time_to_onset``), applies grade 5 from ``death_cause``, and summarizes the worst
grade per subject.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from aegrade.episodes.labs import EPISODE_COLUMNS
from aegrade.prepare.findings import Findings, fmt_numbers

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
class Episodes:
    """Episode ranges over sorted time points: first and last time point of each."""

    first: np.ndarray
    last: np.ndarray

    def membership(self, n: int) -> np.ndarray:
        """Episode index of each time point, -1 outside any episode."""
        delta = np.zeros(n + 1, np.int64)
        np.add.at(delta, self.first, 1)
        np.add.at(delta, self.last + 1, -1)
        inside = np.cumsum(delta[:n]) > 0
        idx = np.full(n, -1, np.int64)
        mark = np.zeros(n, np.int64)
        mark[self.first] = 1
        ep = np.cumsum(mark) - 1
        idx[inside] = ep[inside]
        return idx


def build_adverse_events(
    *,
    term: str,
    criteria: str,
    tp_subject: np.ndarray,
    tp_day: np.ndarray,
    grade: np.ndarray,
    rule: np.ndarray,
    text: np.ndarray,
    episodes: Episodes,
    subjects: np.ndarray,
    gap_days: float,
) -> pd.DataFrame:
    """One row per episode: onset, end, worst grade, its rule and audit text."""
    k = len(episodes.first)
    if k == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in AE_COLUMNS})
    member = episodes.membership(len(tp_day))
    inside = np.flatnonzero(member >= 0)
    ep = member[inside]
    worst = np.full(k, -1, np.int64)
    np.maximum.at(worst, ep, grade[inside])
    is_worst = grade[inside] == worst[ep]
    first_worst = np.full(k, -1, np.int64)
    cand = inside[is_worst][::-1]
    first_worst[ep[is_worst][::-1]] = cand  # reversed so the earliest wins
    onset, end = tp_day[episodes.first], tp_day[episodes.last]
    subj = tp_subject[episodes.first]
    last_seen = pd.Series(tp_day).groupby(tp_subject).max()
    follow = last_seen.reindex(subj).to_numpy(float)
    resolved = np.where(follow >= end + gap_days - 1e-9, end + gap_days, np.nan)
    return pd.DataFrame(
        {
            "subject_id": subjects[subj],
            "term": term,
            "criteria": criteria,
            "grade": pd.array(worst, dtype="Int64"),
            "onset": onset,
            "end": end,
            "resolved_day": resolved,
            "duration": end - onset,
            "n_observations": np.bincount(ep, minlength=k),
            "rule": rule[first_worst],
            "source": "derived",
            "reason": text[first_worst],
            "time_to_onset": onset,
        }
    )[AE_COLUMNS]


def apply_grade5(
    ae: pd.DataFrame,
    found: Findings,
    *,
    causes: tuple[str, ...],
    term: str,
    criteria: str,
    syndrome: str,
) -> pd.DataFrame:
    """Grade 5 for subjects whose ``death_cause`` is this syndrome.

    The last episode starting on or before ``death_day`` (any episode when the day is unknown)
    becomes grade 5 and ends at death; without one, a grade-5 row at ``death_day`` is added.
    """
    folded = {c.strip().lower() for c in causes}
    died = np.flatnonzero(pd.Series(found.death_cause).isin(folded).to_numpy(bool))
    if died.size == 0:
        return ae
    ae = ae.copy()
    labels, dday = found.subjects[died], found.death_day[died]
    rule = f"{criteria}/{syndrome.lower()}/grade5/5"
    add = []
    for label, d in zip(labels, dday, strict=True):  # one per deceased subject, not per row
        cand = ae.index[(ae["subject_id"] == label) & ~(ae["onset"] > d)]
        text = (
            f"grade 5: death from {syndrome} at day {fmt_numbers(np.array([d]))[0] or '?'}"
            f" (death_cause {syndrome}, {criteria})"
        )
        if len(cand):
            i = cand[-1]
            ae.loc[i, ["grade", "rule", "reason"]] = [5, rule, text]
            if not np.isnan(d):
                ae.loc[i, ["end", "duration"]] = [d, d - ae.loc[i, "onset"]]
            ae.loc[i, "resolved_day"] = np.nan
        else:
            add.append(
                {
                    "subject_id": label,
                    "term": term,
                    "criteria": criteria,
                    "grade": 5,
                    "onset": d,
                    "end": d,
                    "resolved_day": np.nan,
                    "duration": 0.0,
                    "n_observations": 0,
                    "rule": rule,
                    "source": "derived",
                    "reason": text + "; no episode was recorded before death",
                    "time_to_onset": d,
                }
            )
    if add:
        ae = pd.concat([ae, pd.DataFrame(add)], ignore_index=True)
    ae["grade"] = pd.array(ae["grade"], dtype="Int64")
    return ae.sort_values(["subject_id", "onset"], kind="stable").reset_index(drop=True)


def episode_numbers(subject: np.ndarray, member: np.ndarray) -> pd.arrays.IntegerArray:
    """1-based number of each time point's episode within its subject (NA outside one)."""
    m = pd.Series(member).where(member >= 0)
    first = m.groupby(subject).transform("min")
    return pd.array(m - first + 1, dtype="Int64")


def finish_syndrome(
    *,
    term: str,
    criteria: str,
    tp_subject: np.ndarray,
    tp_day: np.ndarray,
    grade: np.ndarray,
    rule: np.ndarray,
    text: np.ndarray,
    episodes: Episodes,
    subjects: np.ndarray,
    gap_days: float,
    found: Findings,
    causes: tuple[str, ...],
    syndrome: str,
    assessed: np.ndarray,
) -> tuple[pd.DataFrame, pd.Series]:
    """The steps every syndrome ends with: episode rows, grade 5 from ``death_cause``, and
    the worst grade per subject."""
    ae = build_adverse_events(
        term=term,
        criteria=criteria,
        tp_subject=tp_subject,
        tp_day=tp_day,
        grade=grade,
        rule=rule,
        text=text,
        episodes=episodes,
        subjects=subjects,
        gap_days=gap_days,
    )
    ae = apply_grade5(ae, found, causes=causes, term=term, criteria=criteria, syndrome=syndrome)
    return ae, worst_per_subject(ae, found, assessed, causes)


def worst_per_subject(
    ae: pd.DataFrame, found: Findings, assessed: np.ndarray, causes: tuple[str, ...]
) -> pd.Series:
    """Worst grade per subject: NA when never assessed, 0 when assessed without an episode."""
    folded = {c.strip().lower() for c in causes}
    died = pd.Series(found.death_cause).isin(folded).to_numpy(bool)
    base = pd.array(np.where(assessed | died, 0, -1), dtype="Int64")
    out = pd.Series(base, index=pd.Index(found.subjects, name="subject_id"))
    out[out < 0] = pd.NA
    if len(ae):
        worst = ae.groupby("subject_id")["grade"].max()
        out.loc[worst.index] = worst.to_numpy()
    return out.astype("Int64")
