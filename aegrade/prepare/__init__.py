"""Preparing a study once: codes, units, study days, baselines, subjects, and every input
problem in one collector (:class:`~aegrade.errors.Failures`)."""

from aegrade.prepare.baseline import baseline_rows, baseline_values, derive_baseline
from aegrade.prepare.days import study_days
from aegrade.prepare.events import validate_events
from aegrade.prepare.study import PreparedStudy, prepare_study
from aegrade.prepare.subjects import subjects_frame, validate_subjects

__all__ = [
    "PreparedStudy",
    "baseline_rows",
    "baseline_values",
    "derive_baseline",
    "prepare_study",
    "study_days",
    "subjects_frame",
    "validate_events",
    "validate_subjects",
]
