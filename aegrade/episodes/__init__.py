"""Adverse-event episodes from graded observations and time points, and the subject summary."""
