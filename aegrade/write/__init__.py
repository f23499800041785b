"""Writing: one atomic writer for a run's outputs, one formula neutraliser, every format.

Every function and class in its modules' ``__all__`` is re-exported here; constants stay
in their modules.
"""

from aegrade.write.adam import (
    build_adae,
    build_adam,
    build_adam_metadata,
    build_adlb,
    compute_atoxgr,
)
from aegrade.write.atomic import atomic_output, refuse_inputs, write_outputs
from aegrade.write.neutralize import escape_markup, neutralize, neutralize_formulas
from aegrade.write.report import plot_swimmer, plot_worst_grades, render_report, write_report
from aegrade.write.results import write_result, write_tables
from aegrade.write.tables import (
    FORMATS,
    cards_ard,
    format_for,
    page,
    render_html,
    render_markdown,
    write_table,
)

__all__ = [
    "FORMATS",
    "atomic_output",
    "build_adae",
    "build_adam",
    "build_adam_metadata",
    "build_adlb",
    "cards_ard",
    "compute_atoxgr",
    "escape_markup",
    "format_for",
    "neutralize",
    "neutralize_formulas",
    "page",
    "plot_swimmer",
    "plot_worst_grades",
    "refuse_inputs",
    "render_html",
    "render_markdown",
    "render_report",
    "write_outputs",
    "write_report",
    "write_result",
    "write_table",
    "write_tables",
]
