"""Adverse-event episodes from graded observations and time points, and the subject summary.

One builder (:mod:`aegrade.episodes.build`) forms every episode: lab terms
(:mod:`~aegrade.episodes.labs`, treatment-emergent), CRS and ICANS
(:mod:`~aegrade.episodes.syndromes`) and febrile neutropenia (:mod:`~aegrade.episodes.febrile`).
:func:`worst_per_subject` is the one worst-grade reduction and :mod:`~aegrade.episodes.summary`
the subject summary. Grading modules hand graded observations here; lab, febrile-neutropenia
and summary code never import grading.

Every function and class in its modules' ``__all__`` is re-exported here; constants stay
in their modules.
"""

from aegrade.episodes.build import (
    EPISODE_COLUMNS,
    Episodes,
    EpisodeStats,
    episode_rows,
    episode_stats,
    find_episodes,
    stable_order,
    text_codes,
    unique_codes,
    widened_sort,
)
from aegrade.episodes.febrile import febrile_neutropenia_episodes
from aegrade.episodes.labs import LongGrades, baseline_grades, build_episodes, stack_directions
from aegrade.episodes.summary import (
    carried_subject_columns,
    summarize_subjects,
    worst_by_term,
    worst_per_subject,
)
from aegrade.episodes.syndromes import (
    GradedTimePoints,
    Syndrome,
    SyndromeGrades,
    build_adverse_events,
    episode_numbers,
    finish_syndrome,
    syndrome_grades,
)

__all__ = [
    "EPISODE_COLUMNS",
    "EpisodeStats",
    "Episodes",
    "GradedTimePoints",
    "LongGrades",
    "Syndrome",
    "SyndromeGrades",
    "baseline_grades",
    "build_adverse_events",
    "build_episodes",
    "carried_subject_columns",
    "episode_numbers",
    "episode_rows",
    "episode_stats",
    "febrile_neutropenia_episodes",
    "find_episodes",
    "finish_syndrome",
    "stable_order",
    "stack_directions",
    "summarize_subjects",
    "syndrome_grades",
    "text_codes",
    "unique_codes",
    "widened_sort",
    "worst_by_term",
    "worst_per_subject",
]
