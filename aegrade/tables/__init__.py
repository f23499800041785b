"""AE tables and reports: worst-grade tables, CRS/ICANS summaries, shift tables, listings.

The library entry points are :func:`build_ae_table` (the SPEC section 5 AE table),
:func:`build_crs_icans_summary`, :func:`build_shift_table` and :func:`build_patient_listing`;
:func:`format_text` prints any of them; :mod:`aegrade.write` writes them.

Every function and class in its modules' ``__all__`` is re-exported here; constants stay
in their modules.
"""

from aegrade.tables.build import AETable, build_ae_table
from aegrade.tables.crs_summary import (
    CRS_TERM,
    ICANS_TERM,
    build_crs_icans_summary,
    format_median_range,
)
from aegrade.tables.cycles import build_cycle_table
from aegrade.tables.display import (
    DisplayTable,
    as_display,
    format_count,
    format_percent,
    format_text,
    grading_footnote,
    system_label,
    with_grading_footnote,
)
from aegrade.tables.exposure import build_exposure_table, exposure_years, poisson_ci
from aegrade.tables.filters import filter_population, filter_records, treatment_emergent
from aegrade.tables.inputs import TableInputs, inputs_from_result, load_table_inputs
from aegrade.tables.labtests import baseline_against_normal_range, build_lab_worst_table
from aegrade.tables.listing import LISTING_TERMS, build_patient_listing
from aegrade.tables.rates import format_risk_difference, risk_difference
from aegrade.tables.reconcile import RECONCILE_COLUMNS, build_reconciliation
from aegrade.tables.shift import build_shift_table
from aegrade.tables.spec import (
    DEFAULT_COLUMNS,
    GRADE_COLUMNS,
    ColumnSpec,
    RowSpec,
    TableSpec,
    TableSpecError,
    arm_column,
    load_table_spec,
)
from aegrade.tables.worst import flag_worst, worst_grade_records, worst_grades

__all__ = [
    "CRS_TERM",
    "DEFAULT_COLUMNS",
    "GRADE_COLUMNS",
    "ICANS_TERM",
    "LISTING_TERMS",
    "RECONCILE_COLUMNS",
    "AETable",
    "ColumnSpec",
    "DisplayTable",
    "RowSpec",
    "TableInputs",
    "TableSpec",
    "TableSpecError",
    "arm_column",
    "as_display",
    "baseline_against_normal_range",
    "build_ae_table",
    "build_crs_icans_summary",
    "build_cycle_table",
    "build_exposure_table",
    "build_lab_worst_table",
    "build_patient_listing",
    "build_reconciliation",
    "build_shift_table",
    "exposure_years",
    "filter_population",
    "filter_records",
    "flag_worst",
    "format_count",
    "format_median_range",
    "format_percent",
    "format_risk_difference",
    "format_text",
    "grading_footnote",
    "inputs_from_result",
    "load_table_inputs",
    "load_table_spec",
    "poisson_ci",
    "risk_difference",
    "system_label",
    "treatment_emergent",
    "with_grading_footnote",
    "worst_grade_records",
    "worst_grades",
]
