"""Writing: one atomic writer for a run's outputs, one formula neutraliser, every format."""

from aegrade.write.report import render_report, write_report
from aegrade.write.results import neutralize_formulas, write_result, write_tables
from aegrade.write.tables import FORMATS, write_table

__all__ = [
    "FORMATS",
    "neutralize_formulas",
    "render_report",
    "write_report",
    "write_result",
    "write_table",
    "write_tables",
]
