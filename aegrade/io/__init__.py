"""Reading and writing: safe output writers (atomic, formula-neutralized)."""

from aegrade.io.write import neutralize_formulas, write_result, write_tables

__all__ = ["neutralize_formulas", "write_result", "write_tables"]
