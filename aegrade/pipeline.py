"""Grade a whole study: :func:`grade` returns graded observations, adverse events and a
per-subject summary (SPEC section 5), plus the table of input problems.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from aegrade._version import __version__
from aegrade.criteria import load_criteria, resolve_criteria_id
from aegrade.episodes.labs import (
    EPISODE_COLUMNS,
    LongGrades,
    build_episodes,
    stack_directions,
    worst_per_subject,
)
from aegrade.errors import InputError, failure_frame
from aegrade.grading.hematology import summarize_hematology
from aegrade.grading.labs import Ambiguous, assemble_grades, grade_prepared
from aegrade.grading.syndromes import grade_crs_icans
from aegrade.prepare.study import prepare_study
from aegrade.read.study import Study, load_study, validate_events
from aegrade.schema import (
    ADVERSE_EVENTS,
    GRADED_OBSERVATIONS,
    ISSUES,
    SUBJECT_SUMMARY,
    conform,
    reason_codes,
    split_value,
)


@dataclass(frozen=True)
class GradeResult:
    """What :func:`grade` returns. ``issues`` lists every input problem (coerce mode)."""

    graded_observations: pd.DataFrame
    adverse_events: pd.DataFrame
    subject_summary: pd.DataFrame
    subjects: pd.DataFrame
    issues: pd.DataFrame = field(default_factory=failure_frame)
    meta: dict[str, str] = field(default_factory=dict)
    #: further tables for reports: per-patient ``listing``, ``biomarkers_by_arm``, CRS/ICANS
    #: ``explain`` trail, keyed by name
    extras: dict[str, pd.DataFrame] = field(default_factory=dict)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The three output tables by their SPEC names."""
        return {
            "graded_observations": self.graded_observations,
            "adverse_events": self.adverse_events,
            "subject_summary": self.subject_summary,
        }


def grade(
    study: Study | str | Path | pd.DataFrame,
    criteria: str = "ctcae-v5.0",
    *,
    errors: Literal["raise", "coerce"] = "raise",
    ambiguous: Ambiguous = "worse",
    crs: str | list[str] | None = "astct-2019",
    icans: str | None = "astct-2019",
    hematology: bool = True,
) -> GradeResult:
    """Grade a study by CTCAE (labs, vital signs, fever) and collect its adverse events.

    Parameters
    ----------
    study
        A :class:`~aegrade.read.Study`, a path :func:`~aegrade.read.load_study` can read, or
        an observations DataFrame.
    criteria
        ``"ctcae-v5.0"`` or ``"ctcae-v4.03"``; clinician events are checked against the same
        version's dictionary.
    errors, ambiguous
        As for :func:`~aegrade.grading.labs.grade_labs`.
    crs, icans
        CRS systems (``"astct-2019"``, ``"lee-2014"``, ``"ctcae"``, a list of them, or None)
        and the ICANS system (``"astct-2019"`` or None), graded from the observation time
        series (:func:`~aegrade.grading.syndromes.grade_crs_icans`).
    hematology
        Add ICAHT, CAR-HEMATOTOX, neutropenia depth, febrile neutropenia and biomarker columns
        (:func:`~aegrade.grading.hematology.summarize_hematology`).

    Returns
    -------
    GradeResult
        ``graded_observations`` (every input row in input order, with grades and reasons),
        ``adverse_events`` (one row per subject, term, system and episode, plus clinician
        events) and ``subject_summary`` (one row per subject, worst grade per term and system).

    Raises
    ------
    InputError
        With ``errors="raise"``, every problem of every table at once.
    """
    if not isinstance(study, Study):
        study = load_study(study)
    cid = resolve_criteria_id(criteria)
    load_criteria(cid)
    prepared = prepare_study(study)
    prep, frame = prepared.prep, prepared.frame
    events, event_problems = (None, failure_frame())
    if study.events is not None:
        events, event_problems = validate_events(study.events, cid)
    issues = pd.concat([prepared.issues, event_problems], ignore_index=True)
    if errors == "raise" and len(issues):
        raise InputError(issues, source=study.source)
    plan, low, high = grade_prepared(prep, cid, ambiguous=ambiguous)
    graded = assemble_grades(frame, prep, plan, low, high)
    subjects = _subjects_frame(study)
    long = stack_directions(graded, prep.day)
    episodes = build_episodes(long)
    adverse_events = _with_clinician_events(episodes, events, event_problems, cid)
    summary = summarize_subjects(subjects, adverse_events, graded, long)
    extras: dict[str, pd.DataFrame] = {}
    engine_meta: dict[str, str] = {}
    more_issues = []
    crs_systems = [] if crs in (None, "none") else ([crs] if isinstance(crs, str) else list(crs))
    icans_system = None if icans in (None, "none") else icans
    if crs_systems or icans_system:
        ci = grade_crs_icans(study, crs=crs_systems or None, icans=icans_system, errors="coerce")
        adverse_events = pd.concat([adverse_events, ci.adverse_events], ignore_index=True)
        summary = _join_subject_columns(summary, ci.subject_summary)
        extras["explain"] = ci.explain
        more_issues.append(ci.issues)
        engine_meta |= getattr(ci, "meta", {}) or {}
    if hematology:
        hem = summarize_hematology(study, cid, errors="coerce", prepared=prepared)
        summary = _join_subject_columns(summary, hem.subject_summary)
        fn = hem.febrile_neutropenia
        adverse_events = pd.concat(
            [adverse_events, fn.assign(reason=fn["rule"])], ignore_index=True
        )
        extras |= {"listing": hem.listing, "biomarkers_by_arm": hem.biomarkers_by_arm}
        more_issues.append(hem.issues)
        engine_meta |= hem.meta
    adverse_events = _with_dictionary(adverse_events, cid)
    if more_issues:
        issues = (
            pd.concat([issues, *more_issues], ignore_index=True)
            .drop_duplicates(subset=["file", "sheet", "row", "column", "check"])
            .reset_index(drop=True)
        )
        if errors == "raise" and len(issues):
            raise InputError(issues, source=study.source)
    meta = {
        "aegrade_version": __version__,
        "criteria": cid,
        "criteria_revision": str(load_criteria(cid).revision),
        "criteria_citation": load_criteria(cid).citation,
        "ambiguous": ambiguous,
        "source": study.source or "DataFrame",
        **_input_hashes(study),
        **engine_meta,
    }
    return GradeResult(
        conform_graded_observations(graded),
        conform(adverse_events, ADVERSE_EVENTS),
        conform(summary, SUBJECT_SUMMARY),
        subjects,
        conform(issues, ISSUES),
        meta,
        extras,
    )


def conform_graded_observations(graded: pd.DataFrame) -> pd.DataFrame:
    """Graded observations in the schema :data:`~aegrade.schema.GRADED_OBSERVATIONS`: the
    value split into ``value`` (a number) and ``value_text`` (the cell as given when it is not
    a number), ``reason_code`` beside ``reason``, every column its documented dtype.

    >>> out = conform_graded_observations(pd.DataFrame({"subject_id": ["A"], "value": ["given"],
    ...     "grade_low": [None], "grade_high": [None], "reason": ["no criteria in x"]}))
    >>> out.loc[0, "value_text"], out.loc[0, "reason_code"]
    ('given', 'no_criteria')
    """
    out = graded.copy(deep=False)
    if "value" in out:
        number, text = split_value(out["value"])
        out["value"] = number
        out.insert(list(out.columns).index("value") + 1, "value_text", text)
    out["reason_code"] = reason_codes(out)
    return conform(out, GRADED_OBSERVATIONS)


def _join_subject_columns(summary: pd.DataFrame, more: pd.DataFrame) -> pd.DataFrame:
    """Add per-subject columns from another engine (same subjects; ``arm`` kept once)."""
    more = more.drop(columns=[c for c in ("arm",) if c in more and c in summary])
    key = summary["subject_id"].astype(str)
    right = more.assign(subject_id=more["subject_id"].astype(str)).set_index("subject_id")
    right = right.drop(columns=[c for c in right.columns if c in summary.columns])
    return pd.concat(
        [summary.reset_index(drop=True), right.reindex(key.to_numpy()).reset_index(drop=True)],
        axis=1,
    )


def _input_hashes(study: Study) -> dict[str, str]:
    """sha256 of each input file, so a report can say exactly what it was made from."""
    out = {}
    for table in (study.subjects, study.observations, study.events):
        if table is not None and table.file and Path(table.file).is_file():
            digest = hashlib.sha256(Path(table.file).read_bytes()).hexdigest()
            out[f"sha256 {Path(table.file).name}"] = digest
    return out


def _subjects_frame(study: Study) -> pd.DataFrame:
    ids = study.subject_ids
    if study.subjects is not None:
        frame = study.subjects.frame.copy()
        frame["subject_id"] = frame["subject_id"].astype("string")
        return frame.drop_duplicates("subject_id").reset_index(drop=True)
    return pd.DataFrame({"subject_id": pd.Series(ids, dtype="string")})


def _with_dictionary(ae: pd.DataFrame, cid: str) -> pd.DataFrame:
    """Fill SOC and MedDRA code of each AE term from the CTCAE dictionary."""
    from aegrade.criteria import load_dictionary

    d = load_dictionary(cid).drop_duplicates("term").set_index("term")
    for col, src in (("soc", "soc"), ("meddra_code", "meddra_code")):
        filled = ae["term"].map(d[src])
        ae[col] = ae[col].fillna(filled) if col in ae else filled
    return ae


def _with_clinician_events(
    episodes: pd.DataFrame, events: pd.DataFrame | None, problems: pd.DataFrame, cid: str
) -> pd.DataFrame:
    """Add clinician events; a row with a problem is kept with grade NA and the problem."""
    episodes = episodes.assign(reason=episodes["rule"])
    if events is None or events.empty:
        return episodes
    ev = pd.DataFrame(
        {
            "subject_id": events["subject_id"].astype("string"),
            "term": events["term"],
            "criteria": cid,
            "grade": pd.to_numeric(events["grade"], errors="coerce").astype("Int64"),
            "onset": pd.to_numeric(events["onset"], errors="coerce")
            if "onset" in events
            else np.nan,
            "end": pd.to_numeric(events["end"], errors="coerce") if "end" in events else np.nan,
            "source": "clinician",
        }
    )
    for extra in ("serious", "related", "soc", "meddra_code"):
        if extra in events:
            ev[extra] = events[extra].to_numpy()
    ev["duration"] = ev["end"] - ev["onset"]
    ev["reason"] = "clinician grade, checked against the " + cid + " dictionary"
    bad = _problem_rows(events, problems)
    if bad.any():
        ev.loc[bad, "grade"] = pd.NA
        ev.loc[bad, "reason"] = (
            "not graded: "
            + problems.drop_duplicates("row")
            .set_index("row")["message"]
            .reindex(_labels(events)[bad])
            .to_numpy()
        )
    out = pd.concat([episodes, ev], ignore_index=True)
    out["grade"] = pd.to_numeric(out["grade"]).astype("Int64")
    return out[[*EPISODE_COLUMNS, *[c for c in out.columns if c not in EPISODE_COLUMNS]]]


def _labels(events: pd.DataFrame) -> np.ndarray:
    labels: np.ndarray = events.attrs.get("row_labels", events.index.to_numpy(dtype=object))
    return labels


def _problem_rows(events: pd.DataFrame, problems: pd.DataFrame) -> np.ndarray:
    if problems.empty:
        return np.zeros(len(events), bool)
    return np.isin(_labels(events), problems["row"].dropna().to_numpy(dtype=object))


def summarize_subjects(
    subjects: pd.DataFrame, adverse_events: pd.DataFrame, graded: pd.DataFrame, long: LongGrades
) -> pd.DataFrame:
    """One row per subject: worst post-baseline grade per term and system (column
    ``<term> [<system>]``).

    A term a subject was assessed for after baseline but never abnormal in is 0; one never
    assessed is NA.
    Clinician events add their terms (worst clinician grade) where no value graded them.
    """
    out = subjects[["subject_id", *[c for c in ("arm",) if c in subjects]]].copy()
    sid = graded["subject_id"].astype(str)
    out["n_observations"] = (
        out["subject_id"].astype(str).map(sid.value_counts()).fillna(0).astype("int64")
    )
    worst = worst_per_subject(long)
    clin = adverse_events[adverse_events["source"] == "clinician"]
    if not clin.empty:
        cw = (
            clin.dropna(subset=["grade"])
            .groupby(["subject_id", "term", "criteria"], as_index=False)["grade"]
            .max()
        )
        seen = set(zip(worst["term"], worst["criteria"], strict=True))
        cw = cw[[(t, c) not in seen for t, c in zip(cw["term"], cw["criteria"], strict=True)]]
        worst = pd.concat([worst, pd.DataFrame(cw)], ignore_index=True)
    if worst.empty:
        return out
    worst["column"] = worst["term"].astype(str) + " [" + worst["criteria"].astype(str) + "]"
    wide = worst.pivot_table(index="subject_id", columns="column", values="grade", aggfunc="max")
    wide.index = wide.index.astype(str)
    out = out.merge(
        wide.astype("Int64"), left_on=out["subject_id"].astype(str), right_index=True, how="left"
    ).drop(columns="key_0", errors="ignore")
    return out.reset_index(drop=True)
