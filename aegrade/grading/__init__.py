"""Grading engines: CTCAE labs and vital signs, episodes and per-subject summaries.

Every function and class in its modules' ``__all__`` is re-exported here; constants stay
in their modules.
"""

from aegrade.grading.bedside import (
    ScoreError,
    TimepointGrade,
    capd_score,
    grade_crs_timepoint,
    grade_icans_timepoint,
    ice_score,
)
from aegrade.grading.biomarkers import (
    biomarker_columns,
    format_significant,
    summarize_biomarker_rows,
    summarize_biomarkers,
    summarize_biomarkers_by_arm,
)
from aegrade.grading.compiled import EntryRules, compilable, evaluate_entry, missing_label
from aegrade.grading.crs import grade_crs
from aegrade.grading.daily import (
    Grid,
    Readings,
    canonical,
    cut_mask,
    daily_grid,
    first_true,
    is_sorted,
    joined_runs,
    longest_run,
    nullable_int,
    per_subject_first,
)
from aegrade.grading.hematology import (
    HematologyResult,
    first_tocilizumab,
    follow_up,
    il6_before_tocilizumab,
    summarize_hematology,
)
from aegrade.grading.hematotox import hematotox_columns, load_hematotox, score_car_hematotox
from aegrade.grading.icaht import grade_icaht, load_icaht
from aegrade.grading.icans import grade_icans
from aegrade.grading.labs import GRADE_COLUMNS, assemble_grades, grade_labs, grade_prepared
from aegrade.grading.neutropenia import (
    find_febrile_neutropenia,
    load_neutropenia,
    summarize_neutropenia,
)
from aegrade.grading.predicates import (
    Rows,
    assume,
    compare,
    eval_anticoagulation,
    eval_baseline,
    eval_clause,
    eval_compare,
    eval_condition,
    run_elapsed,
    specimen_mismatch,
    uses,
)
from aegrade.grading.syndromes import CrsIcansResult, grade_crs_icans

__all__ = [
    "GRADE_COLUMNS",
    "CrsIcansResult",
    "EntryRules",
    "Grid",
    "HematologyResult",
    "Readings",
    "Rows",
    "ScoreError",
    "TimepointGrade",
    "assemble_grades",
    "assume",
    "biomarker_columns",
    "canonical",
    "capd_score",
    "compare",
    "compilable",
    "cut_mask",
    "daily_grid",
    "eval_anticoagulation",
    "eval_baseline",
    "eval_clause",
    "eval_compare",
    "eval_condition",
    "evaluate_entry",
    "find_febrile_neutropenia",
    "first_tocilizumab",
    "first_true",
    "follow_up",
    "format_significant",
    "grade_crs",
    "grade_crs_icans",
    "grade_crs_timepoint",
    "grade_icaht",
    "grade_icans",
    "grade_icans_timepoint",
    "grade_labs",
    "grade_prepared",
    "hematotox_columns",
    "ice_score",
    "il6_before_tocilizumab",
    "is_sorted",
    "joined_runs",
    "load_hematotox",
    "load_icaht",
    "load_neutropenia",
    "longest_run",
    "missing_label",
    "nullable_int",
    "per_subject_first",
    "run_elapsed",
    "score_car_hematotox",
    "specimen_mismatch",
    "summarize_biomarker_rows",
    "summarize_biomarkers",
    "summarize_biomarkers_by_arm",
    "summarize_hematology",
    "summarize_neutropenia",
    "uses",
]
