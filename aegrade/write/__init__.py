"""Writing: one atomic writer for a run's outputs, one formula neutraliser, every format.

Every function and class in its modules' ``__all__`` is re-exported here; constants stay
in their modules.
"""

from aegrade.write.adam import (
    adam_day,
    build_adae,
    build_adam,
    build_adam_metadata,
    build_adlb,
    compute_atoxgr,
    meddra_code_number,
)
from aegrade.write.atomic import (
    OutputRun,
    atomic_output,
    check_folder,
    output_run,
    refuse_inputs,
    remove_stale,
    write_folder,
    write_outputs,
)
from aegrade.write.dataset import write_partitioned
from aegrade.write.neutralize import (
    escape_markup,
    neutralize,
    neutralize_about,
    neutralize_formulas,
)
from aegrade.write.report import plot_swimmer, plot_worst_grades, render_report, write_report
from aegrade.write.results import check_destination, is_folder_name, write_result, write_tables
from aegrade.write.streaming import write_csv, write_xlsx
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
    "OutputRun",
    "adam_day",
    "atomic_output",
    "build_adae",
    "build_adam",
    "build_adam_metadata",
    "build_adlb",
    "cards_ard",
    "check_destination",
    "check_folder",
    "compute_atoxgr",
    "escape_markup",
    "format_for",
    "is_folder_name",
    "meddra_code_number",
    "neutralize",
    "neutralize_about",
    "neutralize_formulas",
    "output_run",
    "page",
    "plot_swimmer",
    "plot_worst_grades",
    "refuse_inputs",
    "remove_stale",
    "render_html",
    "render_markdown",
    "render_report",
    "write_csv",
    "write_folder",
    "write_outputs",
    "write_partitioned",
    "write_report",
    "write_result",
    "write_table",
    "write_tables",
    "write_xlsx",
]
