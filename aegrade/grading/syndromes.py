"""CRS and ICANS of a whole study: :func:`grade_crs_icans` (the library entry point).

Grades every subject's time series by one or more CRS systems (``astct-2019``, ``lee-2014``,
``ctcae-v5.0``) and by ASTCT ICANS, and returns the adverse-event rows, the per-subject worst
grades and the audit trail. Grades of different systems sit side by side, never converted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from aegrade.criteria import (
    load_crs_icans_criteria,
    resolve_crs_system,
    resolve_icans_system,
)
from aegrade.episodes.syndromes import AE_COLUMNS, EXPLAIN_COLUMNS, SyndromeGrades
from aegrade.errors import failure_frame
from aegrade.grading.crs import grade_crs
from aegrade.grading.icans import grade_icans
from aegrade.prepare.findings import extract_findings
from aegrade.prepare.study import PreparedStudy
from aegrade.read.study import as_study
from aegrade.study import Study

__all__ = ["CrsIcansResult", "grade_crs_icans"]

Systems = str | Sequence[str] | None


@dataclass(frozen=True)
class CrsIcansResult:
    """What :func:`grade_crs_icans` returns.

    Attributes
    ----------
    adverse_events
        One row per episode and system: ``subject_id``, ``term``, ``criteria``, ``grade``
        (worst in the episode), ``onset``, ``end``, ``resolved_day``, ``duration``,
        ``n_observations``, ``rule``, ``source`` ('derived'), ``reason`` (audit text of the
        worst time point) and ``time_to_onset`` (days from day 0).
    subject_summary
        One row per subject: ``crs_grade_<system>`` and ``icans_grade_<system>``: worst grade,
        NA when never assessed, 0 when assessed without an episode.
    explain
        The audit trail: per subject and time point, the finding that produced the grade and the
        rule (``subject_id, syndrome, criteria, day, episode, grade, rule, text``).
    timepoints
        Every assessed time point with its component tiers (one frame per syndrome, stacked).
    issues
        Problems of the rows CRS/ICANS use (coerce mode), in the failure-table format.

    Examples
    --------
    >>> import pandas as pd
    >>> obs = pd.DataFrame({"subject_id": "01", "day": [1, 2], "parameter": "TEMP",
    ...                     "value": [39.0, 37.0], "unit": "degC"})
    >>> result = grade_crs_icans(obs, icans=None)
    >>> result.adverse_events[["subject_id", "term", "grade"]]
      subject_id                       term  grade
    0         01  Cytokine release syndrome      1
    """

    adverse_events: pd.DataFrame
    subject_summary: pd.DataFrame
    explain: pd.DataFrame
    timepoints: pd.DataFrame
    issues: pd.DataFrame = field(default_factory=failure_frame)
    meta: dict[str, str] = field(default_factory=dict)


def _systems(value: Systems, resolve: object) -> list[str]:
    if value is None:
        return []
    names = [value] if isinstance(value, str) else list(value)
    names = [n for n in names if n.strip().lower() != "none"]
    ids = [resolve(n) for n in names]  # type: ignore[operator]
    return list(dict.fromkeys(ids))


def grade_crs_icans(
    study: Study | pd.DataFrame,
    *,
    crs: Systems = "astct-2019",
    icans: Systems = "astct-2019",
    sysbp_threshold: float | None = None,
    episode_gap_hours: float | None = None,
    capd_age_cutoff: float | None = None,
    errors: Literal["raise", "coerce"] = "raise",
    prepared: PreparedStudy | None = None,
    fever_waiver: Literal["settled", "treatment"] = "settled",
    episode_resolution: Literal["first_normal", "after_gap"] = "first_normal",
    capd_low_band: Literal["grade_1", "with_loc"] = "grade_1",
    ambiguous: Literal["worse", "lower"] = "worse",
) -> CrsIcansResult:
    """Grade CRS and ICANS episodes from observation time series.

    Parameters
    ----------
    study
        A :class:`~aegrade.read.Study` or an
        observations frame. Used: observations ``subject_id``, ``day`` or ``time``,
        ``parameter``, ``value``, ``unit`` (TEMP, SYSBP), ``flow``, ``other_cause``, ``dose`` /
        ``dose_unit`` (or ``value2``/``unit2``); subjects ``age``, ``death_cause``,
        ``death_day`` (or ``death_time`` with ``treatment_start``).
    crs
        One or more of ``astct-2019``, ``lee-2014``, ``ctcae-v5.0`` (``ctcae``); ``None`` or
        ``"none"`` skips CRS. CTCAE v4.03 is refused: its CRS can only be a clinician grade.
    icans
        ``astct-2019`` or ``None``/``"none"``.
    sysbp_threshold
        SYSBP (mmHg) below this counts as hypotension; 0 turns it off. Default: each criteria
        file's (90 mmHg).
    episode_gap_hours
        Time free of findings that ends an episode. Default: the criteria file's (24 h).
    capd_age_cutoff
        Age (years) from which ICE is used, CAPD below it. Default: the file's (12).
    errors
        ``"raise"``: any problem in the rows CRS/ICANS use raises
        :class:`~aegrade.errors.InputError` listing all of them; ``"coerce"``: those rows are
        left out and listed in ``issues``.
    prepared
        The study already prepared by :func:`~aegrade.prepare.prepare_study` (``aegrade.grade``
        passes its own, with its lab grades, so the study is prepared and graded once).
    fever_waiver
        ``"settled"`` (default): after an episode opens, hypotension and hypoxia grade it
        whether or not the fever settled after treatment. ``"treatment"``: only once an
        antipyretic or anticytokine therapy was given (the ASTCT footnote read literally).
    episode_resolution
        ``"first_normal"`` (default): a CRS episode's ``resolved_day`` is its first time point
        without a finding after the last one (or end + gap when nothing was charted between);
        ``"after_gap"``: end + gap.
    capd_low_band
        ``"grade_1"`` (default): CAPD 1-8 is ICANS grade 1 by itself; ``"with_loc"``: only with
        a depressed level of consciousness (see :func:`~aegrade.grading.icans.grade_icans`).
    ambiguous
        ``"worse"`` (default) or ``"lower"``: the CRS grade where a device without FiO2
        cannot tell two grades apart (lee-2014, ctcae-v5.0: a nasal cannula above 6 L/min, a
        high-flow cannula without a flow, a simple facemask or a Venturi mask); the time
        point's ``review`` is set either way (see :func:`~aegrade.grading.crs.grade_crs`).

    Returns
    -------
    CrsIcansResult

    Raises
    ------
    UnknownCriteriaError
        An unknown system, or CTCAE v4.03 for CRS.
    InputError
        A missing required column, or with ``errors="raise"`` any row problem.

    Notes
    -----
    ASTCT CRS (astct-2019): an episode opens at a temperature >= 38.0 degC not attributable to
    another cause; its grade at each time point is the worst of 1, the hypotension tier and the
    hypoxia tier; fever need not persist; it ends after 24 h without fever, hypotension and
    hypoxia. ICANS: the most severe domain. Every number and its source: ``aegrade criteria
    show astct-2019`` (and ``lee-2014``, ``ctcae-v5.0-crs``).

    References
    ----------
    Lee DW et al. Biol Blood Marrow Transplant 2019;25:625-638. Lee DW et al. Blood
    2014;124:188-195. NCI CTCAE v5.0 (2017).

    Examples
    --------
    >>> import pandas as pd
    >>> obs = pd.DataFrame({"subject_id": ["S1", "S1"], "day": [1.0, 1.5],
    ...                     "parameter": ["TEMP", "OXYGEN"], "value": [38.6, "nasal_cannula"],
    ...                     "unit": ["degC", None], "flow": [None, 8]})
    >>> res = grade_crs_icans(obs, icans=None)
    >>> res.adverse_events[["subject_id", "criteria", "grade", "onset"]]
      subject_id    criteria  grade  onset
    0         S1  astct-2019      3    1.0
    """
    study = as_study(study)
    crs_ids = _systems(crs, resolve_crs_system)
    icans_ids = _systems(icans, resolve_icans_system)
    found = extract_findings(study, errors=errors, prepared=prepared)
    graded: list[tuple[str, str, SyndromeGrades]] = []
    for cid in crs_ids:  # one per grading system
        graded.append(
            (
                "crs",
                load_crs_icans_criteria(cid).output_id,
                grade_crs(
                    found,
                    cid,
                    sysbp_threshold=sysbp_threshold,
                    episode_gap_hours=episode_gap_hours,
                    fever_waiver=fever_waiver,
                    resolution=episode_resolution,
                    ambiguous=ambiguous,
                ),
            )
        )
    for cid in icans_ids:
        graded.append(
            (
                "icans",
                cid,
                grade_icans(
                    found,
                    cid,
                    capd_age_cutoff=capd_age_cutoff,
                    episode_gap_hours=episode_gap_hours,
                    capd_low_band=capd_low_band,
                ),
            )
        )
    summary = pd.DataFrame({"subject_id": pd.array(found.subjects, dtype="string")})
    for syndrome, out_id, g in graded:
        summary[f"{syndrome}_grade_{out_id}"] = g.worst.to_numpy()
    ae = _concat([g.adverse_events for *_, g in graded], AE_COLUMNS)
    explain = _concat([g.explain for *_, g in graded], EXPLAIN_COLUMNS)
    timepoints = _concat([g.timepoints for *_, g in graded], EXPLAIN_COLUMNS)
    meta = {"crs": ",".join(crs_ids), "icans": ",".join(icans_ids)}
    return CrsIcansResult(ae, summary, explain, timepoints, found.issues, meta)


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=columns, dtype=object)
    out = pd.concat(frames, ignore_index=True)
    if "grade" in out:
        out["grade"] = out["grade"].astype("Int64")
    return out
