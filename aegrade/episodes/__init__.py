"""Adverse-event episodes from graded observations and time points, and the subject summary.

One builder (:mod:`aegrade.episodes.build`) forms every episode: lab terms
(:mod:`~aegrade.episodes.labs`), CRS and ICANS (:mod:`~aegrade.episodes.syndromes`) and febrile
neutropenia (:mod:`~aegrade.episodes.febrile`). Grading never imports this package: episodes
consume grades.
"""

from aegrade.episodes.build import (
    EPISODE_COLUMNS,
    Episodes,
    EpisodeStats,
    episode_rows,
    episode_stats,
    find_episodes,
)
from aegrade.episodes.febrile import febrile_neutropenia_episodes

__all__ = [
    "EPISODE_COLUMNS",
    "EpisodeStats",
    "Episodes",
    "episode_rows",
    "episode_stats",
    "febrile_neutropenia_episodes",
    "find_episodes",
]
