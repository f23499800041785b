"""``aegrade grade``: grade a study and write graded observations, AEs and a subject summary."""

from __future__ import annotations

import gc
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast

import click

from aegrade.cli._common import ask_quick_exit, reports_errors
from aegrade.cli._options import (
    criteria_file_option,
    ctcae_option,
    dayfirst_option,
    decimal_option,
    errors_option,
    grading_criteria,
    output_option,
)
from aegrade.cli.progress import stages

if TYPE_CHECKING:
    from concurrent.futures import Future

    import pandas as pd

    from aegrade.grading.labs import Ambiguous
    from aegrade.read.prefetch import PrefetchedText
    from aegrade.write.results import Format

ErrorMode = Literal["raise", "coerce"]


__all__ = ["XLSX_DEFAULT_MAX_ROWS", "grade_command"]


@click.command(
    "grade",
    epilog=(
        "\b\n"
        'Example --map file (examples/columns.toml; README, "Your own data"):\n'
        "# Column map: your sheet/file names, headers and words -> aegrade's.\n"
        "# Every section is optional; matching ignores case and outer spaces.\n"
        "[sheets]                # sheet or file name -> subjects|observations|events\n"
        '"Patients" = "subjects"\n'
        '"Vitals" = "observations"\n'
        '"AEs" = "events"\n'
        "\n"
        "\b\n"
        "[columns]               # your header -> aegrade column (any table)\n"
        '"Patient" = "subject_id"\n'
        '"Treatment" = "arm"\n'
        '"First dose" = "treatment_start"\n'
        '"Study day" = "day"\n'
        '"Event" = "term"\n'
        '"Onset day" = "onset"\n'
        '"End day" = "end"\n'
        '"Test" = "parameter"    # a long sheet (one row per measurement)\n'
        '"Result" = "value"      # names these five\n'
        '"Units" = "unit"\n'
        '"Low" = "lln"\n'
        '"High" = "uln"\n'
        "\n"
        "\b\n"
        "[parameters]            # wide sheet: one column per parameter -> code, unit\n"
        '"Temp (F)" = { parameter = "TEMP", unit = "degF" }\n'
        '"ANC x10^9/L" = { parameter = "NEUT", unit = "10^9/L" }\n'
        '"Plt (10^9/L)" = { parameter = "PLAT", unit = "10^9/L" }\n'
        '"O2" = "OXYGEN"\n'
        "\n"
        "\b\n"
        "[values]                # words in value, other_cause, serious, related\n"
        '"yes" = "true"\n'
        '"no" = "false"\n'
        "\n"
        "\b\n"
        "[values.OXYGEN]         # one parameter's words; a table fills more columns\n"
        '"RA" = "room_air"\n'
        '"NC 4L" = { value = "nasal_cannula", flow = 4 }'
    ),
)
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True, path_type=Path))
@output_option("An .xlsx file, or a folder that receives csv (or parquet with --format).")
@ctcae_option("CTCAE version for labs, vital signs and clinician events.")
@criteria_file_option()
@errors_option(
    "raise",
    "raise: stop on any input error and list them all; coerce: grade what can "
    "be graded and write the problems to an 'issues' sheet or CSV.",
)
@click.option(
    "--ambiguous",
    type=click.Choice(["worse", "lower"]),
    default="worse",
    show_default=True,
    help="When a value cannot tell two grades apart (CTCAE adds symptoms or "
    "interventions): take the worse or the lower grade; both flag review.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["xlsx", "csv", "parquet"]),
    default=None,
    help="Output format (default: from the -o name; a folder gets csv).",
)
@click.option(
    "--crs",
    "crs",
    type=click.Choice(["astct-2019", "lee-2014", "ctcae", "none"]),
    multiple=True,
    default=("astct-2019",),
    show_default=True,
    help="CRS grading system(s) from the time series; repeat for several.",
)
@click.option(
    "--icans",
    type=click.Choice(["astct-2019", "none"]),
    default="astct-2019",
    show_default=True,
    help="ICANS grading system.",
)
@click.option(
    "--map",
    "column_map",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A TOML column map: your sheet names, headers and words -> aegrade's (example below).",
)
@click.option(
    "--cdisc",
    is_flag=True,
    help="Also write ADaM-style tables: adlb (ATOXGRL/ATOXGRH/ATOXGR/BTOXGR), adae "
    "(AETOXGR with its grading system) and adam_metadata.",
)
@click.option(
    "--partition-rows",
    type=click.IntRange(min=1),
    default=None,
    help="Grade in subject partitions of about this many rows (bounded memory) and write "
    "Parquet datasets (a folder of part files per table) into the -o folder.",
)
@click.option(
    "--engine",
    type=click.Choice(["pandas", "dask"]),
    default="pandas",
    show_default=True,
    help="dask: grade with Dask (pip install 'aegrade[dask]'); writes Parquet datasets.",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="With --engine dask: a distributed scheduler's address (default: a local cluster).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="With --engine dask and no --scheduler: workers of the local cluster.",
)
@decimal_option()
@dayfirst_option()
@click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help="No progress bar (it is drawn on stderr only when stderr is a terminal).",
)
@reports_errors
def grade_command(
    input_path: Path,
    output: Path | None,
    ctcae: str,
    criteria_file: Path | None,
    errors: str,
    ambiguous: str,
    fmt: str | None,
    crs: tuple[str, ...],
    icans: str,
    column_map: Path | None,
    cdisc: bool,
    decimal: str | None = None,
    dayfirst: bool | None = None,
    quiet: bool = False,
    partition_rows: int | None = None,
    engine: str = "pandas",
    scheduler: str | None = None,
    workers: int | None = None,
) -> None:
    """Grade INPUT (a workbook, a folder of CSV/Parquet/XPT files incl. SDTM LB/VS/AE/DM, or
    one observations file, long or wide)."""
    partitioned = partition_rows is not None or engine == "dask"
    # the modules imported here live as long as the process: no collection while they are
    # imported (the collector would walk their new objects over and over: ~50 ms of passes,
    # measured), and once imported they are frozen out of every later pass of the grading
    # (every few hundred thousand allocations of a large run)
    collecting = gc.isenabled()
    gc.disable()
    try:
        from aegrade.threads import background, keep_freed_memory

        # this process is aegrade's own: freed large arrays reused, not faulted, by numpy and
        # Arrow
        _one_heap(keep_freed_memory())
        # a text input is read and parsed by pyarrow on the background thread while pandas
        # and the grading modules are imported here (work that holds the interpreter lock)
        prefetch = None if partitioned else _start_prefetch(input_path)
        if partitioned:
            from aegrade.cli._partitioned import run_partitioned  # the Dask path's, if used
        else:
            from aegrade.pipeline import GRADE_STAGES, grade
            from aegrade.read.study import load_study
            from aegrade.write.results import (
                ParquetEncoder,
                check_destination,
                is_folder_name,
                write_result,
            )

            gc.freeze()
    finally:
        if collecting:
            gc.enable()
    if partitioned:
        run_partitioned(
            input_path,
            output,
            grading_criteria(ctcae, criteria_file),
            errors=cast("ErrorMode", errors),
            ambiguous=cast("Ambiguous", ambiguous),
            crs=[c for c in crs if c != "none"] or None,
            icans=None if icans == "none" else icans,
            column_map=column_map,
            decimal=decimal,
            dayfirst=dayfirst,
            quiet=quiet,
            partition_rows=partition_rows,
            engine=engine,
            scheduler=scheduler,
            workers=workers,
        )
        return
    # a workbook, or a folder of csv or parquet files (``pv_out_4.03`` is a folder's name)
    if output is not None and output.suffix.lower() != ".xlsx" and not is_folder_name(output):
        raise click.BadParameter(
            f"{output}: give a .xlsx file, or a folder for csv or parquet output",
            param_hint="-o/--output",
        )
    if output is not None:
        check_destination(output, cast("Format", fmt))  # refused now, not after the grading
    systems = [c for c in crs if c != "none"]
    syndromes = bool(systems) or icans != "none"
    names = ["reading", *(s for s in GRADE_STAGES if syndromes or s != "CRS/ICANS"), "writing"]
    # Parquet output: each table is encoded in memory as soon as it is final, beside the work
    # still to do (graded_observations, the largest, beside the episodes and hematology);
    # the files are written only after the run succeeded
    encoder = ParquetEncoder() if fmt == "parquet" else None
    with stages(names, enabled=False if quiet else None) as bar:
        bar.step("reading")
        fetched = None if prefetch is None else prefetch.result()
        prefetch = None  # the bytes and pyarrow's table live no longer than the read
        study = load_study(
            input_path,
            column_map=column_map,
            decimal=decimal,
            dayfirst=dayfirst,
            prefetched=fetched,
        )
        fetched = None
        _refuse_xlsx_too_long(output, fmt, len(study.observations.frame))
        result = grade(
            study,
            grading_criteria(ctcae, criteria_file),
            errors=cast(ErrorMode, errors),  # click.Choice has checked the word
            ambiguous=cast("Ambiguous", ambiguous),
            crs=systems or None,
            icans=None if icans == "none" else icans,
            progress=bar.step,  # preparing, grading, episodes, CRS/ICANS, hematology
            on_table=encoder,
        )
        bar.step("writing")
        output, fmt = _default_output(input_path, output, fmt, len(result.graded_observations))
        extra = None
        if cdisc:
            from aegrade.write.adam import build_adam

            extra = build_adam(result)
        written = write_result(
            result,
            output,
            fmt=cast("Format", fmt),
            inputs=[
                input_path,
                *([column_map] if column_map else []),
                *([criteria_file] if criteria_file else []),
            ],
            extra=extra,
            encoder=encoder,
        )
    go = result.graded_observations
    graded = int((go["grade_low"].notna() | go["grade_high"].notna()).sum())
    click.echo(
        f"graded {graded} of {len(go)} observations with {result.meta['criteria']}; "
        f"{len(result.adverse_events)} adverse events; "
        f"{len(result.subject_summary)} subjects"
    )
    _echo_unrecognised(go)
    _echo_unknown_loinc(go)
    if len(result.issues):
        counts = result.issues["check"].value_counts(sort=True)
        counts = counts[counts > 0]  # a categorical counts every code, seen or not
        click.echo(
            "input problems (coerced, see the 'issues' table): "
            + ", ".join(f"{k}: {v}" for k, v in counts.items()),
            err=True,
        )
    for path in written:
        click.echo(f"wrote {path}")
    # every output is written: as the process's own command line, it ends without freeing
    # the gigabyte of arrays still alive and tearing down the modules (once the background
    # thread has finished every job, e.g. an input's digest)
    background(int).result()
    ask_quick_exit()


def _start_prefetch(input_path: Path) -> Future[PrefetchedText | None] | None:
    """:func:`~aegrade.read.prefetch.prefetch_text` of a text input, started on the
    background thread (:func:`~aegrade.threads.background`); None for any other input. The
    read never raises: a file it cannot read is read again by
    :func:`~aegrade.read.load_study`, which names the problem.

    pyarrow parses a file of up to :data:`_ONE_CORE_BYTES` on one thread, beside the
    imports on the other core, and a larger one on all of the main thread's threads (it
    then takes longer than the imports however it is parsed)."""
    from aegrade.read.text import TEXT_SUFFIXES

    if input_path.suffix.lower() not in TEXT_SUFFIXES or not input_path.is_file():
        return None
    from aegrade.read.prefetch import prefetch_text
    from aegrade.threads import background, thread_count

    try:
        threads = 1 if input_path.stat().st_size <= _ONE_CORE_BYTES else thread_count()
    except (OSError, ValueError):  # a bad AEGRADE_THREADS: the read names it, as it did
        return None
    return background(partial(prefetch_text, input_path, threads=threads))


#: A text input of up to this many bytes is parsed on one thread while the command imports
#: pandas: pyarrow's reader parsed the 1M-row bench csv (35 MB) in 0.18 s on one core here,
#: within the ~0.35 s of the imports, and its second thread would take the core the imports
#: run on (measured: 0.06 s less saved with two threads than with one, at 1M rows).
_ONE_CORE_BYTES = 64 * 1024**2


def _one_heap(kept: bool) -> bool:
    """When the C allocator keeps freed memory for reuse (``kept``,
    :func:`~aegrade.threads.keep_freed_memory`), let pyarrow allocate from it too, not from
    its own mimalloc heap: the csv reader's and the Parquet encoder's freed buffers are then
    reused by the grading's arrays and the other way round, instead of each heap faulting in
    fresh pages (a fifth less system time at 1M rows here; the results are the same bytes).
    Not where ``ARROW_DEFAULT_MEMORY_POOL`` chooses pyarrow's allocator. Returns whether
    it was changed."""
    import os

    if not kept or os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return False
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())
    return True


def _refuse_xlsx_too_long(output: Path | None, fmt: str | None, rows: int) -> None:
    """An xlsx output that cannot hold the graded observations (one row per input row) is
    refused before the grading, with the message :func:`~aegrade.write.write_tables` gives."""
    from aegrade.write.results import XLSX_MAX_ROWS

    xlsx = fmt == "xlsx" or (output is not None and output.suffix.lower() == ".xlsx")
    if xlsx and rows > XLSX_MAX_ROWS:
        raise ValueError(
            f"{output or 'the output'}: too many rows for xlsx (graded_observations would "
            f"have {rows:,}; a sheet holds {XLSX_MAX_ROWS:,} below its header): use --format "
            "csv or parquet"
        )


def _echo_unrecognised(graded: pd.DataFrame) -> None:
    """The test names no synonym, LOINC code or map entry recognised, with their row counts."""
    if "reason" not in graded or "parameter" not in graded:
        return
    import numpy as np
    import pandas as pd

    reason, prefix = graded["reason"], "not graded: unknown_parameter"
    if isinstance(reason.dtype, pd.CategoricalDtype):  # the words once, not once per row
        words = reason.cat.categories.astype("string").str.startswith(prefix)
        unknown = np.isin(reason.cat.codes.to_numpy(), np.flatnonzero(np.asarray(words, bool)))
    else:
        unknown = reason.astype("string").str.startswith(prefix).fillna(False).to_numpy(bool)
    names = graded.loc[unknown, "parameter"].astype("string")
    if not len(names):
        return
    counts = names.fillna("(empty)").value_counts()
    click.echo(
        f"{int(counts.sum())} rows with unrecognised test names, not graded (map them in the "
        "map's [parameters]): " + ", ".join(f"{k!r}: {v}" for k, v in counts.items()),
        err=True,
    )


def _echo_unknown_loinc(graded: pd.DataFrame) -> None:
    """LOINC codes not in ``data/inputs/loinc.yaml``, with their row counts: such a row's
    analyte and specimen come from its test name alone."""
    from aegrade.criteria.labnames import lab_vocabulary

    column = next((c for c in graded.columns if str(c).strip().lower() == "loinc"), None)
    if column is None:
        return
    codes = graded[column].astype("string").str.strip()
    codes = codes[codes.notna() & (codes != "")]
    counts = codes[~codes.isin(list(lab_vocabulary().loinc)).to_numpy(bool)].value_counts()
    if not len(counts):
        return
    click.echo(
        f"{int(counts.sum())} rows with LOINC codes aegrade does not know, read by their test "
        "name alone (check analyte and specimen): "
        + ", ".join(f"{k!r}: {v}" for k, v in counts.items()),
        err=True,
    )


#: Above this many rows a default output is a folder of csv, not xlsx (openpyxl writes about
#: 160k cells/s; a 1M-row xlsx would also pass Excel's 1,048,576-row limit).
XLSX_DEFAULT_MAX_ROWS = 100_000


def _default_output(
    input_path: Path, output: Path | None, fmt: str | None, n_rows: int
) -> tuple[Path, str | None]:
    """Where to write when -o is not given: <input>_graded.xlsx, or a csv folder when large."""
    if output is not None:
        return output, fmt
    large = n_rows > XLSX_DEFAULT_MAX_ROWS and fmt is None
    if input_path.is_file() and not large and fmt in (None, "xlsx"):
        return input_path.with_name(input_path.stem + "_graded.xlsx"), fmt
    folder = input_path.parent / (
        (input_path.stem if input_path.is_file() else input_path.name) + "_graded"
    )
    if large:
        click.echo(
            f"{n_rows:,} rows: writing csv (xlsx is slow for large results; ask for it "
            "with -o results.xlsx)",
            err=True,
        )
        fmt = "csv"
    return folder, fmt
