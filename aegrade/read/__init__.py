"""Reading a study: the only place aegrade opens input files (csv, xlsx, parquet, xpt, SDTM)."""

from aegrade.read.study import Study, Table, load_study

__all__ = ["Study", "Table", "load_study"]
