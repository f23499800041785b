"""Adverse-event episodes from graded observations.

An episode is a maximal run of a subject's consecutive graded observations of one term with
grade >= 1; a grade-0 observation ends it, an ungraded (NA) one neither ends nor extends it.
Onset and end are the days of its first and last abnormal observation; ``resolved_day`` is the
day of the first grade-0 observation after it (NA when none was seen: ongoing or unknown).

Everything runs on integer codes (subject, term, system, rule) with numpy sorts and
``reduceat``; text is attached only to the few result rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from aegrade.prepare.baseline import BASELINE_LAST_DAY, baseline_rows

EPISODE_COLUMNS = [
    "subject_id",
    "term",
    "criteria",
    "grade",
    "onset",
    "end",
    "resolved_day",
    "duration",
    "n_observations",
    "rule",
    "source",
]


@dataclass
class LongGrades:
    """One entry per observation and direction that has a term, as integer codes."""

    subject: np.ndarray
    subjects: np.ndarray  # labels of the subject codes
    term: np.ndarray
    terms: np.ndarray
    criteria: np.ndarray
    systems: np.ndarray
    rule: np.ndarray  # -1 when no rule fired
    rules: np.ndarray
    grade: np.ndarray  # float, NaN when not graded
    day: np.ndarray


def _codes(col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(col.dtype, pd.CategoricalDtype):
        return col.cat.codes.to_numpy(np.int64), np.asarray(col.cat.categories, dtype=object)
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    return codes.astype(np.int64), np.asarray(uniques, dtype=object)


def stack_directions(graded: pd.DataFrame, day: np.ndarray | None) -> LongGrades:
    """Both directions of graded observations stacked, keeping rows that have a term."""
    subject, subjects = _codes(graded["subject_id"])
    crit, systems = _codes(graded["criteria"])
    day = day if day is not None else np.full(len(graded), np.nan)
    parts = []
    terms_all: list[object] = []
    rules_all: list[object] = []
    for d in ("low", "high"):
        term, terms = _codes(graded[f"term_{d}"])
        rule, rules = _codes(graded[f"rule_{d}"])
        has = term >= 0
        parts.append(
            (
                has,
                term + len(terms_all),
                np.where(rule >= 0, rule + len(rules_all), -1),
                graded[f"grade_{d}"].to_numpy(dtype=float, na_value=np.nan),
            )
        )
        terms_all.extend(terms)
        rules_all.extend(rules)
    has = np.concatenate([p[0] for p in parts])
    # the same term may come from both directions' category lists: give it one code
    term_codes, term_names = pd.factorize(np.asarray(terms_all, dtype=object))
    term = (
        term_codes[np.concatenate([p[1] for p in parts])[has]]
        if len(terms_all)
        else np.zeros(0, np.int64)
    )
    return LongGrades(
        subject=np.concatenate([subject, subject])[has],
        subjects=subjects,
        term=term,
        terms=np.asarray(term_names, dtype=object),
        criteria=np.concatenate([crit, crit])[has],
        systems=systems,
        rule=np.concatenate([p[2] for p in parts])[has],
        rules=np.asarray(rules_all, dtype=object),
        grade=np.concatenate([p[3] for p in parts])[has],
        day=np.concatenate([day, day])[has],
    )


def _key(long: LongGrades) -> np.ndarray:
    n_terms = max(len(long.terms), 1)
    n_sys = max(len(long.systems), 1)
    return (long.subject * n_terms + long.term) * n_sys + np.maximum(long.criteria, 0)


def baseline_grades(long: LongGrades) -> np.ndarray:
    """Per row, the grade of the same subject, term and system at baseline (last graded
    observation at day <= 0; ties by the worse grade); NaN when there is none."""
    eligible = ~np.isnan(long.grade) & (long.subject >= 0)
    key = np.where(long.subject >= 0, _key(long), -1)
    rows = baseline_rows(key, long.day, eligible, rank=long.grade)  # the one baseline rule
    return np.where(rows >= 0, long.grade[np.maximum(rows, 0)], np.nan)


def build_episodes(long: LongGrades) -> pd.DataFrame:
    """Treatment-emergent episodes from stacked graded rows (see :func:`stack_directions`).

    Only observations after baseline (day > 0, or without a day) form episodes, and an episode
    is kept when its worst grade is above the subject's baseline grade of that term (a
    pre-existing abnormality that does not worsen is not an adverse event of the treatment).
    ``baseline_grade`` says what it was compared with.
    """
    base_grade = baseline_grades(long)
    keep = ~np.isnan(long.grade) & (long.subject >= 0) & ~(long.day <= BASELINE_LAST_DAY)
    full_key = _key(long)
    # only subject-term pairs with an abnormal grade can hold an episode: sort just those
    abnormal = (
        np.bincount(full_key[keep], weights=long.grade[keep] >= 1, minlength=1) > 0
        if keep.any()
        else np.zeros(1, bool)
    )
    keep &= abnormal[np.minimum(full_key, len(abnormal) - 1)] & (full_key < len(abnormal))
    if not keep.any():
        return pd.DataFrame(columns=EPISODE_COLUMNS)
    key = full_key[keep]
    day, grade, rule = long.day[keep], long.grade[keep], long.rule[keep]
    order = np.lexsort((-grade, day, key))
    key, day, grade, rule = key[order], day[order], grade[order], rule[order]
    subject = long.subject[keep][order]
    term = long.term[keep][order]
    crit = long.criteria[keep][order]
    flag = grade >= 1
    new_key = np.r_[True, key[1:] != key[:-1]]
    starts = flag & (new_key | ~np.r_[False, flag[:-1]])
    last_of_run = flag & np.r_[~flag[1:] | new_key[1:], True]
    resolved_at = np.flatnonzero(last_of_run) + 1  # the next row, if it is grade 0 of the key
    ok = resolved_at < len(key)
    resolved = np.full(int(last_of_run.sum()), np.nan)
    nxt = resolved_at[ok]
    resolved[ok] = np.where(~new_key[nxt] & ~flag[nxt], day[nxt], np.nan)
    base = base_grade[keep][order]
    ab = np.flatnonzero(flag)
    episode = np.cumsum(starts)[ab] - 1
    first = np.r_[0, np.flatnonzero(np.diff(episode)) + 1]
    grade_ab = grade[ab]
    worst = np.maximum.reduceat(grade_ab, first)
    # the earliest observation at the worst grade names the rule
    at_worst = grade_ab == np.repeat(worst, np.diff(np.r_[first, len(ab)]))
    pos = np.flatnonzero(at_worst)
    worst_pos = pos[np.searchsorted(pos, first)]
    day_ab = day[ab]
    rule_ab = rule[ab]
    out = pd.DataFrame(
        {
            "subject_id": long.subjects[subject[ab][first]],
            "term": long.terms[term[ab][first]],
            "criteria": np.where(
                crit[ab][first] >= 0,
                long.systems[np.maximum(crit[ab][first], 0)] if len(long.systems) else None,
                None,
            ),
            "grade": worst.astype(np.int64),
            "onset": np.fmin.reduceat(day_ab, first),
            "end": np.fmax.reduceat(day_ab, first),
            "resolved_day": resolved,
            "n_observations": np.diff(np.r_[first, len(ab)]),
            "rule": np.where(
                rule_ab[worst_pos] >= 0,
                long.rules[np.maximum(rule_ab[worst_pos], 0)] if len(long.rules) else None,
                None,
            ),
        }
    )
    out["duration"] = out["end"] - out["onset"]
    out["source"] = "derived"
    out["baseline_grade"] = pd.array(base[ab][first], dtype="float").astype("Int64")
    emergent = ~(out["grade"].to_numpy() <= np.nan_to_num(base[ab][first], nan=-1))
    return out.loc[emergent, [*EPISODE_COLUMNS, "baseline_grade"]].reset_index(drop=True)


def worst_per_subject(long: LongGrades) -> pd.DataFrame:
    """Worst post-baseline grade per subject, term and system (0 when assessed after baseline
    and never abnormal; observations without a day count as post-baseline)."""
    keep = ~np.isnan(long.grade) & (long.subject >= 0) & ~(long.day <= BASELINE_LAST_DAY)
    if not keep.any():
        return pd.DataFrame(columns=["subject_id", "term", "criteria", "grade"])
    key = _key(long)[keep]
    order = np.argsort(key, kind="stable")
    key = key[order]
    first = np.r_[0, np.flatnonzero(key[1:] != key[:-1]) + 1]
    worst = np.maximum.reduceat(long.grade[keep][order], first)
    idx = np.flatnonzero(keep)[order][first]
    crit = long.criteria[idx]
    return pd.DataFrame(
        {
            "subject_id": long.subjects[long.subject[idx]],
            "term": long.terms[long.term[idx]],
            "criteria": np.where(
                crit >= 0, long.systems[np.maximum(crit, 0)] if len(long.systems) else None, None
            ),
            "grade": worst.astype(np.int64),
        }
    )
