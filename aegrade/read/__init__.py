"""Reading a study: the only place aegrade opens input files (csv, xlsx, parquet, xpt, SDTM).

Every function and class in its modules' ``__all__`` is re-exported here; constants stay
in their modules.
"""

from aegrade.read.arrow_csv import read_delimited
from aegrade.read.colmap import (
    ColumnMap,
    load_column_map,
    map_parameter_names,
    rename_columns,
    translate_words,
)
from aegrade.read.dates import (
    check_days,
    check_times,
    date_problems,
    event_days,
    from_excel_serials,
    parse_datetimes,
    refuse_guessed_order,
)
from aegrade.read.digest import file_sha256, read_bytes_hashed
from aegrade.read.files import (
    InputNotice,
    Sheet,
    Workbook,
    column_letter,
    detect_delimiter,
    detect_encoding,
    input_error,
    notice_hidden,
    read_csv,
    read_file,
    read_parquet,
    read_xpt,
)
from aegrade.read.ranges import range_header, split_range
from aegrade.read.sdtm import (
    ae_to_events,
    bds_to_observations,
    cdisc_tables,
    dm_to_subjects,
    domain_of,
    findings_to_observations,
    sdtm_days,
    treatment_starts,
)
from aegrade.read.source import read_source, shape_tables
from aegrade.read.study import Study, Table, as_study, load_study, text_ids
from aegrade.read.wide import is_wide, parameter_columns, wide_to_long

__all__ = [
    "ColumnMap",
    "InputNotice",
    "Sheet",
    "Study",
    "Table",
    "Workbook",
    "ae_to_events",
    "as_study",
    "bds_to_observations",
    "cdisc_tables",
    "check_days",
    "check_times",
    "column_letter",
    "date_problems",
    "detect_delimiter",
    "detect_encoding",
    "dm_to_subjects",
    "domain_of",
    "event_days",
    "file_sha256",
    "findings_to_observations",
    "from_excel_serials",
    "input_error",
    "is_wide",
    "load_column_map",
    "load_study",
    "map_parameter_names",
    "notice_hidden",
    "parameter_columns",
    "parse_datetimes",
    "range_header",
    "read_bytes_hashed",
    "read_csv",
    "read_delimited",
    "read_file",
    "read_parquet",
    "read_source",
    "read_xpt",
    "refuse_guessed_order",
    "rename_columns",
    "sdtm_days",
    "shape_tables",
    "split_range",
    "text_ids",
    "translate_words",
    "treatment_starts",
    "wide_to_long",
]
