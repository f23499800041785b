"""Writing: one atomic writer for a run's outputs, one formula neutraliser, every format.

Every function and class in its modules' ``__all__`` is re-exported here; constants stay
in their modules. They are imported on first use (PEP 562): ``aegrade grade`` writing Parquet
loads the writers it uses, not the report, table and Word renderers.
"""

from typing import TYPE_CHECKING

from aegrade.lazy import lazy_exports

# eager: ``neutralize`` is both a module and its function; importing the module first would
# leave the package attribute on the module
from aegrade.write.neutralize import (
    escape_markup,
    neutralize,
    neutralize_about,
    neutralize_formulas,
)

if TYPE_CHECKING:
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
    from aegrade.write.report import plot_swimmer, plot_worst_grades, render_report, write_report
    from aegrade.write.results import (
        ParquetEncoder,
        check_destination,
        is_folder_name,
        write_parquet,
        write_result,
        write_tables,
    )
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
    "ParquetEncoder",
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
    "write_parquet",
    "write_partitioned",
    "write_report",
    "write_result",
    "write_table",
    "write_tables",
    "write_xlsx",
]

#: Where each re-exported name lives, imported on first use.
_LAZY: dict[str, str] = {
    "adam_day": "aegrade.write.adam",
    "build_adae": "aegrade.write.adam",
    "build_adam": "aegrade.write.adam",
    "build_adam_metadata": "aegrade.write.adam",
    "build_adlb": "aegrade.write.adam",
    "compute_atoxgr": "aegrade.write.adam",
    "meddra_code_number": "aegrade.write.adam",
    "OutputRun": "aegrade.write.atomic",
    "atomic_output": "aegrade.write.atomic",
    "check_folder": "aegrade.write.atomic",
    "output_run": "aegrade.write.atomic",
    "refuse_inputs": "aegrade.write.atomic",
    "remove_stale": "aegrade.write.atomic",
    "write_folder": "aegrade.write.atomic",
    "write_outputs": "aegrade.write.atomic",
    "write_partitioned": "aegrade.write.dataset",
    "plot_swimmer": "aegrade.write.report",
    "plot_worst_grades": "aegrade.write.report",
    "render_report": "aegrade.write.report",
    "write_report": "aegrade.write.report",
    "ParquetEncoder": "aegrade.write.results",
    "check_destination": "aegrade.write.results",
    "is_folder_name": "aegrade.write.results",
    "write_parquet": "aegrade.write.results",
    "write_result": "aegrade.write.results",
    "write_tables": "aegrade.write.results",
    "write_csv": "aegrade.write.streaming",
    "write_xlsx": "aegrade.write.streaming",
    "FORMATS": "aegrade.write.tables",
    "cards_ard": "aegrade.write.tables",
    "format_for": "aegrade.write.tables",
    "page": "aegrade.write.tables",
    "render_html": "aegrade.write.tables",
    "render_markdown": "aegrade.write.tables",
    "write_table": "aegrade.write.tables",
}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
