"""Grading engines: CTCAE labs and vital signs, episodes and per-subject summaries.

Every function and class in its modules' ``__all__`` is re-exported here; constants stay
in their modules.
"""

from typing import TYPE_CHECKING

from aegrade.lazy import lazy_exports

if TYPE_CHECKING:
    from aegrade.grading.bedside import (
        ScoreError,
        TimepointGrade,
        capd_score,
        crs_timepoint_engine,
        grade_crs_timepoint,
        grade_icans_timepoint,
        icans_timepoint_engine,
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
    from aegrade.grading.labs import (
        GRADE_COLUMNS,
        assemble_grades,
        grade_labs,
        grade_prepared,
        lab_levels,
    )
    from aegrade.grading.neutropenia import (
        find_febrile_neutropenia,
        load_neutropenia,
        summarize_neutropenia,
    )
    from aegrade.grading.onepoint import crs_one_time_point, icans_one_time_point, review_note
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
    "crs_one_time_point",
    "crs_timepoint_engine",
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
    "icans_one_time_point",
    "icans_timepoint_engine",
    "ice_score",
    "il6_before_tocilizumab",
    "is_sorted",
    "joined_runs",
    "lab_levels",
    "load_hematotox",
    "load_icaht",
    "load_neutropenia",
    "longest_run",
    "missing_label",
    "nullable_int",
    "per_subject_first",
    "review_note",
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


#: Where each re-exported name lives: imported on first use (PEP 562), so that importing one
#: light module of this package (the bedside scorers, ``aegrade criteria list``) does not load
#: pandas, numpy and pydantic through the others (issue 15 point 5).
_LAZY: dict[str, str] = {
    "ScoreError": "aegrade.grading.bedside",
    "TimepointGrade": "aegrade.grading.bedside",
    "capd_score": "aegrade.grading.bedside",
    "grade_crs_timepoint": "aegrade.grading.bedside",
    "grade_icans_timepoint": "aegrade.grading.bedside",
    "ice_score": "aegrade.grading.bedside",
    "crs_timepoint_engine": "aegrade.grading.bedside",
    "icans_timepoint_engine": "aegrade.grading.bedside",
    "biomarker_columns": "aegrade.grading.biomarkers",
    "format_significant": "aegrade.grading.biomarkers",
    "summarize_biomarker_rows": "aegrade.grading.biomarkers",
    "summarize_biomarkers": "aegrade.grading.biomarkers",
    "summarize_biomarkers_by_arm": "aegrade.grading.biomarkers",
    "EntryRules": "aegrade.grading.compiled",
    "compilable": "aegrade.grading.compiled",
    "evaluate_entry": "aegrade.grading.compiled",
    "missing_label": "aegrade.grading.compiled",
    "grade_crs": "aegrade.grading.crs",
    "Grid": "aegrade.grading.daily",
    "Readings": "aegrade.grading.daily",
    "canonical": "aegrade.grading.daily",
    "cut_mask": "aegrade.grading.daily",
    "daily_grid": "aegrade.grading.daily",
    "first_true": "aegrade.grading.daily",
    "is_sorted": "aegrade.grading.daily",
    "joined_runs": "aegrade.grading.daily",
    "longest_run": "aegrade.grading.daily",
    "nullable_int": "aegrade.grading.daily",
    "per_subject_first": "aegrade.grading.daily",
    "HematologyResult": "aegrade.grading.hematology",
    "first_tocilizumab": "aegrade.grading.hematology",
    "follow_up": "aegrade.grading.hematology",
    "il6_before_tocilizumab": "aegrade.grading.hematology",
    "summarize_hematology": "aegrade.grading.hematology",
    "hematotox_columns": "aegrade.grading.hematotox",
    "load_hematotox": "aegrade.grading.hematotox",
    "score_car_hematotox": "aegrade.grading.hematotox",
    "grade_icaht": "aegrade.grading.icaht",
    "load_icaht": "aegrade.grading.icaht",
    "grade_icans": "aegrade.grading.icans",
    "GRADE_COLUMNS": "aegrade.grading.labs",
    "assemble_grades": "aegrade.grading.labs",
    "grade_labs": "aegrade.grading.labs",
    "grade_prepared": "aegrade.grading.labs",
    "lab_levels": "aegrade.grading.labs",
    "find_febrile_neutropenia": "aegrade.grading.neutropenia",
    "load_neutropenia": "aegrade.grading.neutropenia",
    "summarize_neutropenia": "aegrade.grading.neutropenia",
    "Rows": "aegrade.grading.predicates",
    "assume": "aegrade.grading.predicates",
    "compare": "aegrade.grading.predicates",
    "eval_anticoagulation": "aegrade.grading.predicates",
    "eval_baseline": "aegrade.grading.predicates",
    "eval_clause": "aegrade.grading.predicates",
    "eval_compare": "aegrade.grading.predicates",
    "eval_condition": "aegrade.grading.predicates",
    "run_elapsed": "aegrade.grading.predicates",
    "specimen_mismatch": "aegrade.grading.predicates",
    "uses": "aegrade.grading.predicates",
    "crs_one_time_point": "aegrade.grading.onepoint",
    "icans_one_time_point": "aegrade.grading.onepoint",
    "review_note": "aegrade.grading.onepoint",
    "CrsIcansResult": "aegrade.grading.syndromes",
    "grade_crs_icans": "aegrade.grading.syndromes",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
