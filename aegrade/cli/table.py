"""``aegrade table``: AE tables (and CRS/ICANS summary, lab shifts, listing) from a study or a
graded result, printed or written as xlsx, csv, md, html, docx, rtf, txt or ARD."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from aegrade.cli._common import reports_errors
from aegrade.cli._options import (
    TABLE_FORMATS,
    criteria_file_option,
    ctcae_option,
    grading_criteria,
    output_option,
)

if TYPE_CHECKING:
    import pandas as pd

    from aegrade.tables import TableSpec
    from aegrade.tables.inputs import TableInputs

# The tables and writers (pandas, pydantic) are imported when the command runs, not when the
# command line starts (issue 15).

__all__ = ["table_command"]

_KINDS = ("ae", "crs", "shift", "listing", "labs", "rates", "cycles", "reconcile", "all")
_PRINTABLE = ("txt", "md", "csv", "html", "ard", "ard-simple")


@click.command(
    "table",
    epilog=(
        "\b\n"
        'Example --spec file (examples/table.toml; README, "Your own data"):\n'
        "# Table spec: what an AE table shows and how it counts. Every key is\n"
        '# optional; the default is one row per term, "Any grade" and "Grade >= 3".\n'
        'title = "Table 2. Adverse events by worst grade"\n'
        'criteria = ["ctcae-v5.0", "astct-2019"]  # grading systems counted\n'
        "columns = [\n"
        '    { label = "Any grade", grades = [1, 5] },   # grades low..high\n'
        '    { label = "Grade >= 3", grades = [3, 5] },\n'
        "]\n"
        'by = "arm"                # subjects column giving the arm; N per arm\n'
        "total = true              # add a Total column group\n"
        'sort = "spec"             # as listed; "frequency": most frequent first\n'
        "include_unlisted = true   # then a row for every other term in the data\n"
        "\n"
        "\b\n"
        "[[rows]]\n"
        'label = "Neutropenia"     # several terms: each patient counted once\n'
        'terms = ["Neutrophil count decreased", "Febrile neutropenia"]\n'
        "\n"
        "\b\n"
        "[[rows]]\n"
        'term = "Cytokine release syndrome"\n'
        'criteria = "astct-2019"   # a row may count another grading system\n'
        "\n"
        "\b\n"
        "A study with your own headers: grade it with its column map, then\n"
        "build the tables from the graded folder:\n"
        "  aegrade grade my_study/ --map columns.toml -o graded/\n"
        "  aegrade table graded/ --spec table.toml"
    ),
)
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True, path_type=Path))
@output_option(
    "File to write; the format follows its suffix (.xlsx .csv .md .html .docx "
    ".rtf .txt, .ard.csv for the ARD). Without it the table is printed."
)
@click.option(
    "--spec",
    "spec_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="TOML table spec (rows, grade-group columns, criteria, sorting ...; example below).",
)
@click.option("--by", help="Subjects column giving the arm (overrides the spec).")
@click.option("--total", is_flag=True, default=None, help="With --by, add a Total column group.")
@click.option(
    "--criteria",
    "criteria",
    multiple=True,
    help="Count only AEs graded by this system (repeatable), e.g. ctcae-v5.0.",
)
@click.option("--soc", is_flag=True, default=None, help="Group terms under SOC rows.")
@click.option(
    "--threshold",
    type=click.FloatRange(0, 100),
    help="Keep AE rows with >= this percent of patients in some arm.",
)
@click.option(
    "--count",
    type=click.Choice(["subjects", "events", "both"]),
    default=None,
    help="Count patients at their worst grade (default), AE records, or both (a 'Total "
    "number of events' row under the overall and each SOC row).",
)
@click.option(
    "--population",
    help="Subjects column of Y/N flags, e.g. SAFFL: only patients flagged Y are counted.",
)
@click.option(
    "--all-events",
    "all_events",
    is_flag=True,
    default=False,
    help="Count AEs with onset before treatment start too (default: treatment-emergent only: "
    "the teae/TRTEMFL flag, else onset day >= 0).",
)
@click.option(
    "--rounding",
    type=click.Choice(["half-up", "half-even"]),
    default=None,
    help="Rounding of percentages: half up (default, 12.25 -> 12.3) or half to even (12.2).",
)
@click.option(
    "--percent-sign",
    "percent_sign",
    is_flag=True,
    default=None,
    help="Print cells as 'n (x.x%)'.",
)
@click.option(
    "--risk-difference",
    "risk_difference",
    nargs=2,
    default=None,
    metavar="ARM1 ARM2",
    help="With --by: add risk difference columns ARM1 - ARM2 with a 95% CI (Newcombe).",
)
@click.option(
    "--shift-cut",
    "shift_cut",
    type=click.IntRange(1, 4),
    default=None,
    help="Shift table: group grades below and from this grade (3: 'Grade 0-2', 'Grade 3-4').",
)
@click.option(
    "--shift-baseline",
    "shift_baseline",
    type=click.Choice(["normal-range", "as-graded"]),
    default="normal-range",
    show_default=True,
    help="Shift table baseline grade: the baseline value graded against its normal range "
    "(a baseline-relative criterion never compares the baseline with itself), or as graded.",
)
@click.option(
    "--shift-layout",
    "shift_layout",
    type=click.Choice(["grid", "nested"]),
    default="grid",
    show_default=True,
    help="Shift table layout: post-baseline grades as columns per arm (grid), or NEST "
    "LBT14's: per arm one column, baseline grade rows with their patients and the worst "
    "post-baseline grade rows under them, every patient counted (Missing rows).",
)
@click.option(
    "--reconcile-threshold",
    "reconcile_threshold",
    type=click.IntRange(1, 5),
    default=3,
    show_default=True,
    help="Reconciliation: lowest derived grade that needs a matching reported AE.",
)
@click.option(
    "--reconcile-window",
    "reconcile_window",
    type=click.FloatRange(0),
    default=7.0,
    show_default=True,
    help="Reconciliation: days a reported onset may lie before the derived onset or after "
    "the derived end.",
)
@click.option(
    "--reconcile-match",
    "reconcile_match",
    type=click.Choice(["synonyms", "exact"]),
    default="synonyms",
    show_default=True,
    help="Reconciliation: a reported term matches a derived one by spelling and synonym "
    "groups (Neutropenia = Neutrophil count decreased, Anaemia = Anemia), or only by the "
    "same name or MedDRA code (exact).",
)
@click.option(
    "--kind",
    type=click.Choice(_KINDS),
    default="ae",
    show_default=True,
    help="Which table: AE table, CRS/ICANS summary, lab shift table, per-patient "
    "listing, worst post-baseline grade per lab test and direction (labs), "
    "exposure-adjusted rates per 100 patient-years (subjects exposure_days or "
    "treatment start/end), lab grades by cycle (observations with a cycle column), the "
    "reconciliation listing of derived against reported AEs (reconcile), or all of them "
    "(one sheet / section each).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(TABLE_FORMATS),
    default=None,
    help="Output format (default: from the -o suffix; printing defaults to txt).",
)
@click.option(
    "--report",
    type=click.Path(path_type=Path),
    help="Also write an HTML report with the tables and plots to this file.",
)
@ctcae_option("CTCAE version when INPUT is a study to grade.")
@criteria_file_option("--criteria-file")
@reports_errors
def table_command(
    input_path: Path,
    output: Path | None,
    spec_path: Path | None,
    by: str | None,
    total: bool | None,
    criteria: tuple[str, ...],
    soc: bool | None,
    threshold: float | None,
    count: str | None,
    population: str | None,
    all_events: bool,
    rounding: str | None,
    percent_sign: bool | None,
    risk_difference: tuple[str, str] | None,
    shift_cut: int | None,
    shift_baseline: str,
    shift_layout: str,
    reconcile_threshold: int,
    reconcile_window: float,
    reconcile_match: str,
    kind: str,
    fmt: str | None,
    report: Path | None,
    ctcae: str,
    criteria_file: Path | None,
) -> None:
    """Build AE tables from INPUT: a study (graded first) or the output of `aegrade grade`."""
    from aegrade.tables import TableSpec, build_reconciliation, load_table_inputs, load_table_spec
    from aegrade.write import format_for, output_run, refuse_inputs, write_report, write_table

    inputs = [input_path, *(input_path.iterdir() if input_path.is_dir() else ())]
    outputs = [p for p in (output, report) if p is not None]
    refuse_inputs(
        outputs,
        [*inputs, *([spec_path] if spec_path else []), *([criteria_file] if criteria_file else [])],
    )
    if output is None and fmt not in (None, *_PRINTABLE):
        raise click.UsageError(f"--format {fmt} needs -o OUTPUT")
    if output is not None and fmt is None:
        try:
            format_for(output)
        except ValueError:
            raise click.UsageError(
                f"cannot tell the format of {output.name}; add --format"
            ) from None
    spec = load_table_spec(spec_path) if spec_path else TableSpec()
    spec = _override(
        spec,
        by=by,
        total=total,
        criteria=criteria,
        soc=soc,
        threshold=threshold,
        count=count,
        population=population,
        teae=False if all_events else None,
        rounding=rounding,
        percent_sign=percent_sign,
        risk_difference=risk_difference or None,
    )
    data = load_table_inputs(input_path, criteria=grading_criteria(ctcae, criteria_file))
    tables = _build(kind, data, spec, shift_cut, shift_baseline, shift_layout)
    if kind == "reconcile":
        tables = [
            build_reconciliation(
                _population(data, spec.population).adverse_events
                if spec.population
                else data.adverse_events,
                threshold=reconcile_threshold,
                window=reconcile_window,
                synonyms=reconcile_match == "synonyms",
            )
        ]
    if not tables:
        raise click.UsageError(f"--kind {kind}: the input has nothing to build it from")
    for note in getattr(tables[0], "notes", ()):
        click.echo(f"note: {note}", err=True)
    if output is None:
        click.echo(_printed(tables, fmt or "txt"), nl=False)
    with output_run():  # the table and the report appear together, or neither
        if output is not None:
            write_table(tables, output, fmt)
        if report is not None:
            write_report(report, tables, data.adverse_events, data.graded_observations)
    for path in outputs:
        click.echo(f"wrote {path}", err=True)


def _override(spec: TableSpec, *, criteria: tuple[str, ...], **options: object) -> TableSpec:
    from aegrade.tables import TableSpec

    update: dict[str, object] = {k: v for k, v in options.items() if v is not None}
    if criteria:
        update["criteria"] = tuple(criteria)
    return TableSpec.model_validate({**spec.model_dump(), **update}) if update else spec


def _build(
    kind: str,
    data: TableInputs,
    spec: TableSpec,
    shift_cut: int | None = None,
    shift_baseline: str = "normal-range",
    shift_layout: str = "grid",
) -> list[object]:
    from aegrade.tables import (
        build_ae_table,
        build_crs_icans_summary,
        build_cycle_table,
        build_exposure_table,
        build_lab_worst_table,
        build_patient_listing,
        build_shift_table,
    )

    out: list[object] = []
    if kind in ("ae", "all"):
        out.append(build_ae_table(data.adverse_events, data.subjects, spec))
    if spec.population is not None:
        data = _population(data, spec.population)
    if kind in ("crs", "all"):
        crs = build_crs_icans_summary(
            data.adverse_events, data.subjects, data.graded_observations, by=spec.by
        )
        if crs.body or kind == "crs":
            out.append(crs)
    obs = data.graded_observations
    if kind in ("shift", "all") and obs is not None and "day" in obs:
        out.append(
            build_shift_table(
                obs,
                subjects=data.subjects,
                by=spec.by,
                cut=shift_cut,
                baseline="as-graded" if shift_baseline == "as-graded" else "normal-range",
                layout="nested" if shift_layout == "nested" else "grid",
                rounding=spec.rounding,
                percent_sign=spec.percent_sign,
            )
        )
    if kind in ("labs", "all") and obs is not None and "day" in obs and "parameter" in obs:
        out.append(build_lab_worst_table(obs, subjects=data.subjects, by=spec.by))
    if kind == "rates" or (kind == "all" and _has_exposure(data.subjects)):
        out.append(
            build_exposure_table(data.adverse_events, data.subjects, by=spec.by, teae=spec.teae)
        )
    if kind in ("cycles", "all") and obs is not None and "cycle" in obs:
        out.append(build_cycle_table(obs))
    if kind in ("listing", "all"):
        out.append(
            build_patient_listing(
                data.adverse_events,
                data.subjects,
                observations=obs,
                subject_summary=data.subject_summary,
            )
        )
    return out


def _has_exposure(subjects: pd.DataFrame) -> bool:
    cols = set(subjects.columns)
    return "exposure_days" in cols or bool(
        cols & {"treatment_start", "TRTSDT"} and cols & {"treatment_end", "TRTEDT"}
    )


def _population(data: TableInputs, flag: str) -> TableInputs:
    """The inputs restricted to the patients of a population (the tables other than the AE
    table, which filters and footnotes it itself)."""
    from aegrade.tables import filter_population

    subjects, _ = filter_population(data.subjects, flag)
    ids = set(subjects["subject_id"].astype(str))

    def rows(frame: pd.DataFrame) -> pd.DataFrame:
        if "subject_id" not in frame:
            return frame
        return frame[frame["subject_id"].astype(str).isin(ids)]

    def keep(frame: pd.DataFrame | None) -> pd.DataFrame | None:
        return None if frame is None else rows(frame)

    return replace(
        data,
        subjects=subjects,
        adverse_events=rows(data.adverse_events),
        graded_observations=keep(data.graded_observations),
        subject_summary=keep(data.subject_summary),
    )


def _printed(tables: list[object], fmt: str) -> str:
    from aegrade.tables import format_text
    from aegrade.write import write_table
    from aegrade.write.tables import render_markdown

    if fmt == "md":
        return "\n".join(render_markdown(t) for t in tables)
    if fmt in ("csv", "html", "ard", "ard-simple"):
        import tempfile

        with tempfile.TemporaryDirectory() as d:
            suffix = {
                "csv": "out.csv",
                "html": "out.html",
                "ard": "out.ard.csv",
                "ard-simple": "out.csv",
            }[fmt]
            path = write_table(tables if fmt == "html" else tables[0], Path(d) / suffix, fmt)
            return path.read_text(encoding="utf-8")
    return "\n".join(format_text(t) for t in tables)
