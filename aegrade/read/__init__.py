"""Reading a study: the only place aegrade opens input files (csv, xlsx, parquet, xpt, SDTM).

Every function and class in its modules' ``__all__`` is re-exported here; constants stay
in their modules. They are imported on first use (PEP 562), so that importing the package imports
neither pandas nor pyarrow.
"""

from typing import TYPE_CHECKING

from aegrade.lazy import lazy_exports

if TYPE_CHECKING:
    from aegrade.read.arrow_csv import (
        ParsedText,
        frame_of,
        pandas_columns,
        parse_text,
        read_delimited,
    )
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
    from aegrade.read.digest import (
        file_sha256,
        read_bytes_hashed,
    )
    from aegrade.read.files import (
        InputNotice,
        Sheet,
        Workbook,
        column_letter,
        input_error,
        notice_hidden,
        read_csv,
        read_file,
        read_parquet,
        read_xpt,
    )
    from aegrade.read.idcodes import id_codes, remember_id_codes
    from aegrade.read.prefetch import PrefetchedText, UnreadableText, prefetch_text, read_text
    from aegrade.read.ranges import (
        range_header,
        split_range,
    )
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
    from aegrade.read.source import (
        read_source,
        shape_tables,
    )
    from aegrade.read.study import (
        Study,
        Table,
        as_study,
        load_study,
        text_ids,
    )
    from aegrade.read.text import (
        TextLayout,
        detect_delimiter,
        detect_encoding,
        text_layout,
    )
    from aegrade.read.wide import (
        is_wide,
        parameter_columns,
        wide_to_long,
    )

__all__ = [
    "ColumnMap",
    "InputNotice",
    "ParsedText",
    "PrefetchedText",
    "Sheet",
    "Study",
    "Table",
    "TextLayout",
    "UnreadableText",
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
    "frame_of",
    "from_excel_serials",
    "id_codes",
    "input_error",
    "is_wide",
    "load_column_map",
    "load_study",
    "map_parameter_names",
    "notice_hidden",
    "pandas_columns",
    "parameter_columns",
    "parse_datetimes",
    "parse_text",
    "prefetch_text",
    "range_header",
    "read_bytes_hashed",
    "read_csv",
    "read_delimited",
    "read_file",
    "read_parquet",
    "read_source",
    "read_text",
    "read_xpt",
    "refuse_guessed_order",
    "remember_id_codes",
    "rename_columns",
    "sdtm_days",
    "shape_tables",
    "split_range",
    "text_ids",
    "text_layout",
    "translate_words",
    "treatment_starts",
    "wide_to_long",
]

#: Where each re-exported name lives, imported on first use.
_LAZY: dict[str, str] = {
    "ParsedText": "aegrade.read.arrow_csv",
    "frame_of": "aegrade.read.arrow_csv",
    "pandas_columns": "aegrade.read.arrow_csv",
    "parse_text": "aegrade.read.arrow_csv",
    "read_delimited": "aegrade.read.arrow_csv",
    "ColumnMap": "aegrade.read.colmap",
    "load_column_map": "aegrade.read.colmap",
    "map_parameter_names": "aegrade.read.colmap",
    "rename_columns": "aegrade.read.colmap",
    "translate_words": "aegrade.read.colmap",
    "check_days": "aegrade.read.dates",
    "check_times": "aegrade.read.dates",
    "date_problems": "aegrade.read.dates",
    "event_days": "aegrade.read.dates",
    "from_excel_serials": "aegrade.read.dates",
    "parse_datetimes": "aegrade.read.dates",
    "refuse_guessed_order": "aegrade.read.dates",
    "file_sha256": "aegrade.read.digest",
    "read_bytes_hashed": "aegrade.read.digest",
    "id_codes": "aegrade.read.idcodes",
    "remember_id_codes": "aegrade.read.idcodes",
    "InputNotice": "aegrade.read.files",
    "Sheet": "aegrade.read.files",
    "Workbook": "aegrade.read.files",
    "column_letter": "aegrade.read.files",
    "input_error": "aegrade.read.files",
    "notice_hidden": "aegrade.read.files",
    "read_csv": "aegrade.read.files",
    "read_file": "aegrade.read.files",
    "read_parquet": "aegrade.read.files",
    "read_xpt": "aegrade.read.files",
    "PrefetchedText": "aegrade.read.prefetch",
    "prefetch_text": "aegrade.read.prefetch",
    "read_text": "aegrade.read.prefetch",
    "UnreadableText": "aegrade.read.prefetch",
    "range_header": "aegrade.read.ranges",
    "split_range": "aegrade.read.ranges",
    "ae_to_events": "aegrade.read.sdtm",
    "bds_to_observations": "aegrade.read.sdtm",
    "cdisc_tables": "aegrade.read.sdtm",
    "dm_to_subjects": "aegrade.read.sdtm",
    "domain_of": "aegrade.read.sdtm",
    "findings_to_observations": "aegrade.read.sdtm",
    "sdtm_days": "aegrade.read.sdtm",
    "treatment_starts": "aegrade.read.sdtm",
    "read_source": "aegrade.read.source",
    "shape_tables": "aegrade.read.source",
    "Study": "aegrade.read.study",
    "Table": "aegrade.read.study",
    "as_study": "aegrade.read.study",
    "load_study": "aegrade.read.study",
    "text_ids": "aegrade.read.study",
    "TextLayout": "aegrade.read.text",
    "detect_delimiter": "aegrade.read.text",
    "detect_encoding": "aegrade.read.text",
    "text_layout": "aegrade.read.text",
    "is_wide": "aegrade.read.wide",
    "parameter_columns": "aegrade.read.wide",
    "wide_to_long": "aegrade.read.wide",
}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
