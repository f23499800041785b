"""Preparing a study once: codes, units, study days, baselines, subjects, and every input
problem in one collector (:class:`~aegrade.errors.Failures`).

Every function and class in its modules' ``__all__`` is re-exported here; constants stay
in their modules.
"""

from aegrade.prepare.baseline import baseline_rows, baseline_values, derive_baseline
from aegrade.prepare.censoring import with_censoring
from aegrade.prepare.days import date_orders, end_days, study_days, subject_days
from aegrade.prepare.events import validate_events
from aegrade.prepare.findings import (
    Findings,
    TimePoints,
    extract_findings,
    fmt_numbers,
    isin,
    time_points,
)
from aegrade.prepare.ids import text_codes
from aegrade.prepare.labchecks import (
    LoincColumns,
    Skips,
    censored_values,
    loinc_columns,
    sibling_ranges,
    specimen_skips,
    unit_mismatches,
    unknown_names,
    value_failures,
)
from aegrade.prepare.observations import Context, Prepared, prepare_observations
from aegrade.prepare.study import PreparedStudy, prepare_study
from aegrade.prepare.subjects import (
    missing_columns,
    subjects_frame,
    table_failures,
    validate_subjects,
)
from aegrade.prepare.values import ParsedValues, parse_values

__all__ = [
    "Context",
    "Findings",
    "LoincColumns",
    "ParsedValues",
    "Prepared",
    "PreparedStudy",
    "Skips",
    "TimePoints",
    "baseline_rows",
    "baseline_values",
    "censored_values",
    "date_orders",
    "derive_baseline",
    "end_days",
    "extract_findings",
    "fmt_numbers",
    "isin",
    "loinc_columns",
    "missing_columns",
    "parse_values",
    "prepare_observations",
    "prepare_study",
    "sibling_ranges",
    "specimen_skips",
    "study_days",
    "subject_days",
    "subjects_frame",
    "table_failures",
    "text_codes",
    "time_points",
    "unit_mismatches",
    "unknown_names",
    "validate_events",
    "validate_subjects",
    "value_failures",
    "with_censoring",
]
