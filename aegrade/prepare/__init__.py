"""Preparing a study once: codes, units, study days and baselines, and every input problem."""

from aegrade.prepare.study import PreparedStudy, prepare_study

__all__ = ["PreparedStudy", "prepare_study"]
