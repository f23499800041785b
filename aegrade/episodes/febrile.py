"""Febrile-neutropenia episodes from graded temperature readings.

:func:`aegrade.grading.neutropenia.find_febrile_neutropenia` grades each temperature reading
(the febrile-neutropenia grade where it qualifies, 0 where not); an episode is a run of
consecutive qualifying readings of a subject, and the next reading after it resolves it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from aegrade.episodes.build import EPISODE_COLUMNS, episode_rows, episode_stats, find_episodes

__all__ = ["febrile_neutropenia_episodes"]


def febrile_neutropenia_episodes(readings: pd.DataFrame) -> pd.DataFrame:
    """Febrile-neutropenia episodes in the adverse-event layout.

    Parameters
    ----------
    readings
        Graded temperature readings sorted by subject and day, with ``subject_id``, ``day``,
        ``term``, ``criteria``, ``grade`` (0 where the reading does not qualify) and ``rule``
        (the second frame of
        :func:`~aegrade.grading.neutropenia.find_febrile_neutropenia`).

    Returns
    -------
    pandas.DataFrame
        One row per episode, columns :data:`~aegrade.episodes.build.EPISODE_COLUMNS`.

    Examples
    --------
    >>> readings = pd.DataFrame({
    ...     "subject_id": ["S1", "S1", "S1", "S1"], "day": [2.0, 2.5, 3.0, 4.0],
    ...     "term": "Febrile neutropenia", "criteria": "ctcae-v5.0", "grade": [3, 3, 0, 3],
    ...     "rule": ["ctcae-v5.0/febrile-neutropenia/3", "ctcae-v5.0/febrile-neutropenia/3",
    ...              None, "ctcae-v5.0/febrile-neutropenia/3"]})
    >>> ae = febrile_neutropenia_episodes(readings)
    >>> ae[["onset", "end", "resolved_day", "n_observations"]].to_numpy().tolist()
    [[2.0, 2.5, 3.0, 2.0], [4.0, 4.0, nan, 1.0]]
    """
    grade = readings["grade"].to_numpy(np.int64)
    abnormal = grade >= 1
    if not abnormal.any():
        return pd.DataFrame(columns=EPISODE_COLUMNS)
    key = pd.factorize(readings["subject_id"])[0]
    day = readings["day"].to_numpy(float)
    eps = find_episodes(key, day, abnormal)
    stats = episode_stats(eps, key, day, grade, resolution="next_normal", abnormal=abnormal)
    return episode_rows(
        stats,
        subject_id=readings["subject_id"].array[eps.first],
        term=readings["term"].to_numpy()[eps.first],
        criteria=readings["criteria"].to_numpy()[eps.first],
        grade=stats.worst,
        rule=readings["rule"].to_numpy()[stats.worst_at],
    )[EPISODE_COLUMNS]
