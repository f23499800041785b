"""Writing: one atomic writer for a run's outputs, one formula neutraliser, every format."""

from aegrade.write.atomic import atomic_output, refuse_inputs, write_outputs
from aegrade.write.neutralize import escape_markup, neutralize, neutralize_formulas
from aegrade.write.report import render_report, write_report
from aegrade.write.results import write_result, write_tables
from aegrade.write.tables import FORMATS, write_table

__all__ = [
    "FORMATS",
    "atomic_output",
    "escape_markup",
    "neutralize",
    "neutralize_formulas",
    "refuse_inputs",
    "render_report",
    "write_outputs",
    "write_report",
    "write_result",
    "write_table",
    "write_tables",
]
