"""Grading engines: CTCAE labs and vital signs, episodes and per-subject summaries."""

from aegrade.grading.labs import GRADE_COLUMNS, grade_labs

__all__ = ["GRADE_COLUMNS", "grade_labs"]
