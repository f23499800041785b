"""Adverse-event episodes from graded observations.

An episode is a maximal run of a subject's consecutive graded observations of one term with
grade >= 1; a grade-0 observation ends it, an ungraded (NA) one neither ends nor extends it.
Onset and end are the days of its first and last abnormal observation; ``resolved_day`` is the
day of the first grade-0 observation after it (NA when none was seen: ongoing or unknown).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

EPISODE_COLUMNS = [
    "subject_id", "term", "criteria", "grade", "onset", "end", "resolved_day", "duration",
    "n_observations", "rule", "source",
]


def stack_directions(graded: pd.DataFrame, day: np.ndarray | None) -> pd.DataFrame:
    """One row per observation and direction that has a term: subject, day, term, grade, rule."""
    parts = []
    for d in ("low", "high"):
        has = graded[f"term_{d}"].notna().to_numpy(bool)
        if not has.any():
            continue
        parts.append(pd.DataFrame({
            "subject_id": graded["subject_id"].to_numpy(dtype=object)[has],
            "day": (day if day is not None else np.full(len(graded), np.nan))[has],
            "term": graded[f"term_{d}"].astype(object).to_numpy()[has],
            "criteria": graded["criteria"].astype(object).to_numpy()[has],
            "grade": graded[f"grade_{d}"].to_numpy(dtype="float", na_value=np.nan)[has],
            "rule": graded[f"rule_{d}"].astype(object).to_numpy()[has],
        }))
    if not parts:
        return pd.DataFrame(columns=["subject_id", "day", "term", "criteria", "grade", "rule"])
    return pd.concat(parts, ignore_index=True)


def build_episodes(long: pd.DataFrame) -> pd.DataFrame:
    """Episodes from stacked graded rows (see :func:`stack_directions`)."""
    rows = long[long["grade"].notna()]
    if rows.empty:
        return pd.DataFrame(columns=EPISODE_COLUMNS)
    rows = rows.sort_values(["subject_id", "term", "criteria", "day", "grade"],
                            ascending=[True, True, True, True, False], kind="stable")
    key = rows["subject_id"].astype(str) + "\x1f" + rows["term"].astype(str) + "\x1f" \
        + rows["criteria"].astype(str)
    k = key.to_numpy()
    flag = rows["grade"].to_numpy() >= 1
    new_key = np.r_[True, k[1:] != k[:-1]]
    prev_flag = np.r_[False, flag[:-1]]
    starts = flag & (new_key | ~prev_flag)
    episode = np.cumsum(starts)
    day = rows["day"].to_numpy(float)
    # the first grade-0 day after each run, within the same subject and term
    ends_run = flag & np.r_[(~flag[1:]) | new_key[1:], True]
    next_day = np.r_[day[1:], np.nan]
    next_same = np.r_[~new_key[1:], False]
    resolved = np.where(ends_run & next_same & ~np.r_[flag[1:], False], next_day, np.nan)
    ab = rows.assign(_episode=episode, _resolved=resolved)[flag]
    worst_pos = ab.groupby("_episode")["grade"].idxmax()
    g = ab.groupby("_episode", sort=True)
    out = pd.DataFrame({
        "subject_id": g["subject_id"].first(),
        "term": g["term"].first(),
        "criteria": g["criteria"].first(),
        "grade": g["grade"].max().astype("int64"),
        "onset": g["day"].min(),
        "end": g["day"].max(),
        "resolved_day": g["_resolved"].max(),
        "n_observations": g.size(),
        "rule": ab.loc[worst_pos.to_numpy(), "rule"].to_numpy(),
    })
    out["duration"] = out["end"] - out["onset"]
    out["source"] = "derived"
    return out[EPISODE_COLUMNS].reset_index(drop=True)
