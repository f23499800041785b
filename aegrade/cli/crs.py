"""``aegrade crs``, ``aegrade icans`` (one time point) and ``aegrade explain INPUT SUBJECT``.

``crs`` and ``icans`` answer at once: a time point whose findings the plain-Python path
recognises (:mod:`aegrade.grading.onepoint`) is graded without pandas, numpy or pydantic
(issue 15 point 5); any other goes to the whole engine, whose input errors are reported as
every command reports them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import click

from aegrade.cli._common import reports_errors
from aegrade.cli._options import errors_option

if TYPE_CHECKING:
    from aegrade.grading.onepoint import TimepointGrade

__all__ = ["crs_command", "explain_command", "icans_command"]

_SYSTEMS = click.Choice(["astct-2019", "lee-2014", "ctcae-v5.0", "ctcae"], case_sensitive=False)
_F = TypeVar("_F", bound=Callable[..., Any])


def _ambiguous_option(func: _F) -> _F:
    """``--ambiguous worse|lower``, as ``aegrade grade`` takes it, for the CRS grading."""
    option = click.option(
        "--ambiguous",
        type=click.Choice(["worse", "lower"]),
        default="worse",
        show_default=True,
        help="Where the oxygen delivery without FiO2 cannot tell two CRS grades apart "
        "(lee-2014, ctcae-v5.0: a high-flow cannula, a simple facemask or a Venturi mask): "
        "take the worse or the lower grade; both say 'clinical review'.",
    )
    return option(func)


@click.command("crs")
@click.option("--temp", type=float, help="Temperature (degC unless --temp-unit degF).")
@click.option(
    "--temp-unit",
    default="degC",
    show_default=True,
    type=click.Choice(["degC", "degF"], case_sensitive=False),
)
@click.option(
    "--pressor",
    "pressors",
    multiple=True,
    help="Vasopressor active now (repeat for each agent), e.g. norepinephrine.",
)
@click.option("--oxygen", help="Oxygen device, e.g. nasal_cannula, facemask, bipap.")
@click.option("--flow", type=float, help="Oxygen flow in L/min.")
@click.option("--fio2", type=float, help="FiO2 in percent (lee-2014, ctcae-v5.0).")
@click.option("--hypotension", is_flag=True, help="Hypotension present (clinician judgement).")
@click.option("--sysbp", type=float, help="Systolic blood pressure, mmHg.")
@click.option(
    "--episode-ongoing",
    is_flag=True,
    help="A CRS episode opened earlier with fever (fever not needed now).",
)
@click.option("--criteria", default="astct-2019", show_default=True, type=_SYSTEMS)
@_ambiguous_option
def crs_command(
    temp: float | None,
    temp_unit: str,
    pressors: tuple[str, ...],
    oxygen: str | None,
    flow: float | None,
    fio2: float | None,
    hypotension: bool,
    sysbp: float | None,
    episode_ongoing: bool,
    criteria: str,
    ambiguous: str,
) -> None:
    """Grade CRS at one time point from its findings."""
    from aegrade.grading.onepoint import crs_one_time_point

    given: dict[str, Any] = {
        "temp": temp,
        "temp_unit": temp_unit,
        "pressors": pressors,
        "oxygen": oxygen,
        "flow": flow,
        "fio2": fio2,
        "hypotension": hypotension,
        "sysbp": sysbp,
        "episode_ongoing": episode_ongoing,
        "criteria": criteria,
        "ambiguous": ambiguous,
    }
    res = crs_one_time_point(**given)
    _show("CRS", res if res is not None else _crs_engine(given), criteria)


@reports_errors
def _crs_engine(given: dict[str, Any]) -> TimepointGrade:
    from aegrade.grading.bedside import crs_timepoint_engine

    return crs_timepoint_engine(**given)


@reports_errors
def _icans_engine(given: dict[str, Any]) -> TimepointGrade:
    from aegrade.grading.bedside import icans_timepoint_engine

    return icans_timepoint_engine(**given)


def _show(syndrome: str, res: TimepointGrade, system: str) -> None:
    """Print a time point's grade with its system (``system`` when it names none), then why."""
    click.echo(f"{syndrome} grade {res.grade} ({res.criteria or system})")
    click.echo(res.text)


def _score(value: str | None) -> float | str | None:
    if value is None or value.strip().lower() == "unable":
        return value
    try:
        return float(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a number or 'unable'") from None


@click.command("icans")
@click.option("--ice", help="ICE total 0-10 (or 'unable').")
@click.option("--capd", help="CAPD total 0-32 (or 'unable'), for children below the cut-off.")
@click.option(
    "--loc", help="alert, awakens_spontaneously, awakens_to_voice, awakens_to_tactile, unarousable."
)
@click.option("--seizure", help="none, rapidly_resolving, prolonged.")
@click.option("--motor", help="none, deep_focal_weakness.")
@click.option("--icp", help="none, focal_edema, diffuse_edema.")
@click.option("--age", type=float, help="Age in years (decides ICE vs CAPD).")
@click.option("--capd-age-cutoff", type=float, help="Age from which ICE is used (default 12).")
def icans_command(
    ice: str | None,
    capd: str | None,
    loc: str | None,
    seizure: str | None,
    motor: str | None,
    icp: str | None,
    age: float | None,
    capd_age_cutoff: float | None,
) -> None:
    """Grade ICANS (ASTCT 2019) at one time point from its findings."""
    from aegrade.grading.onepoint import icans_one_time_point

    given: dict[str, Any] = {
        "ice": _score(ice),
        "capd": _score(capd),
        "loc": loc,
        "seizure": seizure,
        "motor": motor,
        "icp": icp,
        "age": age,
        "capd_age_cutoff": capd_age_cutoff,
    }
    res = icans_one_time_point(**given)
    _show("ICANS", res if res is not None else _icans_engine(given), "astct-2019")


@click.command("explain")
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True))
@click.argument("subject")
@click.option(
    "--crs",
    "crs_systems",
    multiple=True,
    default=["astct-2019"],
    show_default=True,
    type=click.Choice(
        ["astct-2019", "lee-2014", "ctcae-v5.0", "ctcae", "none"], case_sensitive=False
    ),
    help="CRS system(s); repeat for several.",
)
@click.option(
    "--icans",
    "icans_system",
    default="astct-2019",
    show_default=True,
    type=click.Choice(["astct-2019", "none"], case_sensitive=False),
)
@click.option(
    "--fever-waiver",
    type=click.Choice(["settled", "treatment"]),
    default="settled",
    show_default=True,
    help="treatment: after the fever settles, hypotension/hypoxia grade only once an "
    "antipyretic or anticytokine therapy was given (the ASTCT footnote read literally).",
)
@click.option(
    "--capd-low-band",
    type=click.Choice(["grade_1", "with_loc"]),
    default="grade_1",
    show_default=True,
    help="with_loc: CAPD 1-8 counts only with a depressed level of consciousness.",
)
@errors_option("coerce")
@_ambiguous_option
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="Also write the audit trail as CSV."
)
@reports_errors
def explain_command(
    input_path: str,
    subject: str,
    crs_systems: tuple[str, ...],
    icans_system: str,
    fever_waiver: Literal["settled", "treatment"],
    capd_low_band: Literal["grade_1", "with_loc"],
    errors: Literal["raise", "coerce"],
    ambiguous: Literal["worse", "lower"],
    output: str | None,
) -> None:
    """Show how each CRS/ICANS grade of SUBJECT in INPUT was reached, time point by time point."""
    from aegrade.grading.syndromes import grade_crs_icans
    from aegrade.read import load_study

    res = grade_crs_icans(
        load_study(input_path),
        crs=list(crs_systems),
        icans=icans_system,
        errors=errors,
        fever_waiver=fever_waiver,
        capd_low_band=capd_low_band,
        ambiguous=ambiguous,
    )
    trail = res.explain[res.explain["subject_id"].astype(str) == subject]
    if subject not in set(res.subject_summary["subject_id"].astype(str)):
        raise click.BadParameter(
            f"subject {subject!r} is not in {input_path}", param_hint="SUBJECT"
        )
    ae = res.adverse_events[res.adverse_events["subject_id"].astype(str) == subject]
    for row in ae.itertuples(index=False):  # a handful of episodes
        click.echo(
            f"{row.term} [{row.criteria}]: grade {row.grade}, onset day {row.onset:g}, "
            f"end day {row.end:g}"
        )
    if ae.empty:
        click.echo(f"{subject}: no CRS or ICANS episode")
    for row in trail.itertuples(index=False):
        click.echo(f"  {row.syndrome} day {row.day:g}: {row.text}  [{row.rule}]")
    if output:  # the one atomic writer and neutraliser, never over the input (issue 11)
        from aegrade.write.atomic import atomic_output, refuse_inputs
        from aegrade.write.neutralize import neutralize_formulas

        refuse_inputs([Path(output)], [input_path])
        safe = neutralize_formulas(trail)
        atomic_output(output, lambda tmp: safe.to_csv(tmp, index=False))
        click.echo(f"written: {output}")
