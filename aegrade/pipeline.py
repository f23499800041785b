"""Grade a whole study: :func:`grade` returns graded observations, adverse events and a
per-subject summary (SPEC section 5), plus the table of input problems.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from aegrade._version import __version__
from aegrade.criteria import load_ctcae, load_dictionary, provenance_fields, resolve_criteria_id
from aegrade.episodes.build import EPISODE_COLUMNS
from aegrade.episodes.febrile import febrile_neutropenia_episodes
from aegrade.episodes.labs import build_episodes, stack_directions
from aegrade.episodes.summary import summarize_subjects
from aegrade.errors import Failures, Reason, failure_frame
from aegrade.grading.hematology import summarize_hematology
from aegrade.grading.labs import Ambiguous, assemble_grades, grade_prepared, lab_levels
from aegrade.grading.syndromes import grade_crs_icans
from aegrade.prepare.days import date_orders
from aegrade.prepare.events import validate_events
from aegrade.prepare.observations import Prepared
from aegrade.prepare.study import prepare_study
from aegrade.read.digest import file_sha256
from aegrade.read.study import load_study
from aegrade.schema import (
    ADVERSE_EVENTS,
    GRADED_OBSERVATIONS,
    ISSUES,
    SUBJECT_SUMMARY,
    conform,
    reason_codes,
    split_value,
)
from aegrade.study import Study

__all__ = ["GRADE_STAGES", "GradeResult", "conform_graded_observations", "grade"]

#: The stages :func:`grade` reports to its ``progress`` callback, in order.
GRADE_STAGES = ("preparing", "grading", "episodes", "CRS/ICANS", "hematology")


@dataclass(frozen=True)
class GradeResult:
    """What :func:`grade` returns. ``issues`` lists every input problem (coerce mode).

    Examples
    --------
    >>> import pandas as pd
    >>> obs = pd.DataFrame({"subject_id": "01", "day": [0, 7], "parameter": "PLAT",
    ...                     "value": [250, 40], "unit": "10^9/L"})
    >>> result = grade(obs, hematology=False)
    >>> sorted(result.tables()), len(result.graded_observations), result.meta["criteria"]
    (['adverse_events', 'graded_observations', 'subject_summary'], 2, 'ctcae-v5.0')
    """

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
    progress: Callable[[str], object] | None = None,
    threads: int | None = None,
    on_table: Callable[[str, pd.DataFrame], object] | None = None,
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
    progress
        Called with the name of each stage of :data:`GRADE_STAGES` as it starts (``CRS/ICANS``
        and ``hematology`` only when they run), e.g. to draw a progress bar.
    threads
        Threads of the lab grading (:mod:`aegrade.threads`; None: ``AEGRADE_THREADS``, else
        every core, but one inside a worker thread or child process); the results are the
        same on any number.
    on_table
        Called with the name and frame of each output table as soon as that table is final,
        the very frame the result will hold: ``graded_observations`` right after the lab
        grading (before the episodes, CRS/ICANS and hematology), then ``adverse_events`` and
        ``subject_summary`` when all is done. It may start work on the frame, e.g. encode it
        (:class:`~aegrade.write.results.ParquetEncoder`), but must not change it nor write
        anything that a later failure should not leave behind: an input error may still be
        raised after it was called.

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

    Examples
    --------
    Three subjects' platelet counts, in memory; 02 stays in range:

    >>> import pandas as pd
    >>> from aegrade import load_study
    >>> obs = pd.DataFrame(
    ...     {
    ...         "subject_id": ["01", "01", "02", "02", "03", "03"],
    ...         "day": [0, 7, 0, 7, 0, 7],
    ...         "parameter": "PLAT",
    ...         "value": [250, 40, 230, 180, 200, 20],
    ...         "unit": "10^9/L",
    ...     }
    ... )
    >>> subjects = pd.DataFrame({"subject_id": ["01", "02", "03"]})
    >>> study = load_study(observations=obs, subjects=subjects)
    >>> result = grade(study)
    >>> result.adverse_events[["subject_id", "term", "grade", "onset"]]
      subject_id                      term  grade  onset
    0         01  Platelet count decreased      3    7.0
    1         03  Platelet count decreased      4    7.0
    >>> len(result.subject_summary)
    3
    """
    step = progress or _quiet
    if not isinstance(study, Study):
        study = load_study(study)
    cid = resolve_criteria_id(criteria)
    load_ctcae(cid)
    step("preparing")
    prepared = prepare_study(study, threads=threads)
    prep, frame = prepared.prep, prepared.frame
    issues = Failures(study.observations.file, study.observations.sheet)
    issues.extend(prepared.failures)
    events, event_problems = (None, failure_frame())
    if study.events is not None:
        events, event_problems = validate_events(study.events, cid)
    issues.extend(event_problems)
    issues.raise_if(errors, study.source)
    step("grading")
    plan, low, high = grade_prepared(prep, cid, ambiguous=ambiguous, threads=threads)
    graded = assemble_grades(frame, prep, plan, low, high, threads=threads)
    levels = lab_levels(prep, low, high)  # its grades as bytes, for the stages that count
    prepared = prepared.with_grades(graded, cid, ambiguous, levels)  # Lee 2014, hematology
    # final now: the later stages read ``graded`` and never change it (pandas copies on write)
    observations = conform_graded_observations(
        graded, prep.raw_value, prep.censored, _text_ranges(graded, prep), levels
    )
    table_done = on_table or _quiet_table
    table_done("graded_observations", observations)
    subjects = prepared.subjects
    step("episodes")
    long = stack_directions(graded, prep.day, levels)
    episodes = build_episodes(long)
    adverse_events = _with_clinician_events(episodes, events, event_problems, cid)
    summary = summarize_subjects(subjects, adverse_events, graded, long)
    extras: dict[str, pd.DataFrame] = {}
    engine_meta: dict[str, str] = {}
    crs_systems = [] if crs in (None, "none") else ([crs] if isinstance(crs, str) else list(crs))
    icans_system = None if icans in (None, "none") else icans
    if crs_systems or icans_system:
        step("CRS/ICANS")
        ci = grade_crs_icans(
            study,
            crs=crs_systems or None,
            icans=icans_system,
            errors="coerce",
            prepared=prepared,
            ambiguous=ambiguous,
        )
        adverse_events = _stack_events([adverse_events, ci.adverse_events])
        summary = _join_subject_columns(summary, ci.subject_summary)
        extras["explain"] = ci.explain
        issues.extend(ci.issues)  # a problem already listed is not listed twice
        engine_meta |= getattr(ci, "meta", {}) or {}
    if hematology:
        step("hematology")
        hem = summarize_hematology(study, cid, errors="coerce", prepared=prepared)
        summary = _join_subject_columns(summary, hem.subject_summary)
        fn = febrile_neutropenia_episodes(hem.febrile_readings)
        adverse_events = _stack_events([adverse_events, fn.assign(reason=fn["rule"])])
        extras |= {"listing": hem.listing, "biomarkers_by_arm": hem.biomarkers_by_arm}
        engine_meta |= hem.meta  # hem.issues are the prepared study's, already listed
    adverse_events = _with_dictionary(adverse_events, cid)
    issues.raise_if(errors, study.source)
    issues.extend(prep.notes)  # rows not graded for a unit that does not fit: listed, not raised
    meta = _meta(cid, ambiguous, study, engine_meta)
    adverse_events = conform(adverse_events, ADVERSE_EVENTS)
    table_done("adverse_events", adverse_events)
    summary = conform(summary, SUBJECT_SUMMARY)
    table_done("subject_summary", summary)
    return GradeResult(
        observations,
        adverse_events,
        summary,
        subjects,
        conform(issues.frame(), ISSUES),
        meta,
        extras,
    )


def _quiet(stage: str) -> None:
    """No progress shown."""


def _quiet_table(name: str, frame: pd.DataFrame) -> None:
    """No table hook."""


#: Keys of the engines' meta that name the grading systems they used (comma-separated ids).
_SYSTEM_KEYS = ("crs", "icans", "icaht", "hematotox", "neutropenia")


def _meta(cid: str, ambiguous: str, study: Study, engine_meta: dict[str, str]) -> dict[str, str]:
    """The About sheet: version, inputs, and every grading system used with its revision and
    citation, read from the criteria headers (:func:`aegrade.criteria.provenance`)."""
    used = {k: engine_meta[k] for k in _SYSTEM_KEYS if engine_meta.get(k)}
    ids = [cid, *(i for v in used.values() for i in v.split(",") if i)]
    about = provenance_fields(ids)
    return {
        "aegrade_version": __version__,
        "criteria": cid,
        "criteria_revision": about[f"{cid} revision"],
        "criteria_citation": about[f"{cid} citation"],
        "ambiguous": ambiguous,
        "source": study.source or "DataFrame",
        **_input_hashes(study),
        **date_orders(study),  # the date convention of each date column (issue 10 point 9)
        **used,
        **about,
    }


def conform_graded_observations(
    graded: pd.DataFrame,
    parsed: np.ndarray | None = None,
    censored: np.ndarray | None = None,
    ranges: dict[str, np.ndarray] | None = None,
    levels: tuple[np.ndarray, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Graded observations in the schema :data:`~aegrade.schema.GRADED_OBSERVATIONS`: the
    value split into ``value`` (a number) and ``value_text`` (the cell as given when it is not
    a number), ``reason_code`` beside ``reason``, every column its documented dtype.

    ``parsed`` (row-aligned, the numbers read in the row's own unit) fills ``value`` where a text
    cell was read as a number (``13,6`` is 13.6, its text kept in ``value_text``); a censored
    cell (``censored`` True: ``<0.5``) keeps ``value`` empty, its limit having its own column.
    ``ranges`` (``lln``/``uln`` -> row-aligned numbers in the row's unit) fill those columns
    where their cells were text read as numbers. ``levels``: the grade columns as integers
    with -1 for NA, when the caller has them (:func:`~aegrade.schema.reason_codes`).

    >>> out = conform_graded_observations(pd.DataFrame({"subject_id": ["A"], "value": ["given"],
    ...     "grade_low": [None], "grade_high": [None], "reason": ["no criteria in x"]}))
    >>> out.loc[0, "value_text"], out.loc[0, "reason_code"]
    ('given', 'no_criteria')
    """
    out = graded.copy(deep=False)
    as_bytes = dict(zip(("grade_low", "grade_high"), levels or (), strict=False))
    for name in out.columns:  # Int8 grades widened as they are (conform would re-parse them)
        if GRADED_OBSERVATIONS.dtype_of(str(name)) == "Int64":
            level = as_bytes.get(str(name))
            if level is not None and level.dtype == np.int8:  # from the bytes: no masked copy
                out[name] = pd.Series(
                    pd.arrays.IntegerArray(np.maximum(level, 0).astype(np.int64), level < 0),
                    index=out.index,
                    name=name,
                )
            else:
                out[name] = _as_int64(out[name])
    if "value" in out:
        number, text = split_value(out["value"])
        if parsed is not None and text.notna().any():  # text cells: some may read as numbers
            read = text.notna().to_numpy(bool) & np.isfinite(parsed) & number.isna().to_numpy(bool)
            if censored is not None:
                read &= ~censored
            number = number.mask(read, pd.Series(parsed, index=number.index))
        out["value"] = number
        out.insert(list(out.columns).index("value") + 1, "value_text", text)
    for column, numbers in (ranges or {}).items():  # "12,0" read as 12.0, not left empty
        if column in out and not pd.api.types.is_numeric_dtype(out[column].dtype):
            given = pd.to_numeric(out[column], errors="coerce").to_numpy(float)
            out[column] = np.where(np.isnan(given) & np.isfinite(numbers), numbers, given)
    out["reason_code"] = reason_codes(graded, levels)  # the grades as bytes, not widened
    return conform(out, GRADED_OBSERVATIONS)


def _as_int64(column: pd.Series) -> pd.Series:
    """An integer column (numpy or nullable, any width) as ``Int64``, its values and missing
    cells as they are; any other column unchanged (:func:`~aegrade.schema.conform` decides)."""
    dtype = column.dtype
    if str(dtype) == "Int64" or not pd.api.types.is_integer_dtype(dtype):
        return column
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and not isinstance(
        column.array, pd.arrays.IntegerArray
    ):
        return column
    return column.astype("Int64")


def _text_ranges(graded: pd.DataFrame, prep: Prepared) -> dict[str, np.ndarray] | None:
    """:func:`_row_unit_ranges` when an LLN or ULN column holds text (cells read as numbers
    fill it), else None: numeric columns are kept as given."""
    if any(
        c in graded and not pd.api.types.is_numeric_dtype(graded[c].dtype) for c in ("lln", "uln")
    ):
        return _row_unit_ranges(prep)
    return None


def _row_unit_ranges(prep: Prepared) -> dict[str, np.ndarray]:
    """LLN and ULN back in each row's own unit (``canonical = (raw + offset) * scale``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return {k: getattr(prep, k) / prep.scale - prep.offset for k in ("lln", "uln")}


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


def _stack_events(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """``pd.concat(frames, ignore_index=True)`` without turning every column into objects
    when a frame is empty (an engine that found no event): the rows come from the frames that
    have some, the columns (and their order) from all of them. A column the schema lists gets
    its schema dtype from :func:`~aegrade.schema.conform` either way; any other column gets
    the dtype the whole concatenation would have given it.

    >>> ae = pd.DataFrame({"grade": [3], "onset": [2.0]})
    >>> none = pd.DataFrame({"grade": pd.Series([], dtype=object), "extra": []})
    >>> out = _stack_events([ae, none])
    >>> out.dtypes.astype(str).tolist(), out["grade"].tolist()
    (['int64', 'float64', 'float64'], [3])
    """
    filled = [f for f in frames if len(f)]
    if len(filled) == len(frames) or not filled:
        return pd.concat(frames, ignore_index=True)
    proto = pd.concat([f.iloc[:0] for f in frames], ignore_index=True)
    rows = filled[0] if len(filled) == 1 else pd.concat(filled)  # one frame: not copied
    out = rows.reset_index(drop=True).reindex(columns=proto.columns)
    for name in proto.columns:
        if ADVERSE_EVENTS.dtype_of(str(name)) is None and out[name].dtype != proto[name].dtype:
            out[name] = out[name].astype(proto[name].dtype)
    return out


def _input_hashes(study: Study) -> dict[str, str]:
    """sha256 of each input file, so a report can say exactly what it was made from."""
    out = {}
    for table in (study.subjects, study.observations, study.events):
        if table is not None and table.file and Path(table.file).is_file():
            # the digest of the bytes the reader read (no second read), else read now
            out[f"sha256 {Path(table.file).name}"] = file_sha256(table.file)
    return out


def _with_dictionary(ae: pd.DataFrame, cid: str) -> pd.DataFrame:
    """Fill SOC and MedDRA code of each AE term from the CTCAE dictionary."""

    d = load_dictionary(cid).drop_duplicates("term").set_index("term")
    # each distinct term looked up once (``ae["term"].map(d[src])``, without a lookup per row)
    codes, terms = pd.factorize(ae["term"], use_na_sentinel=True)
    for col, src in (("soc", "soc"), ("meddra_code", "meddra_code")):
        per_term = d[src].reindex(pd.Index(terms, dtype=object)).array
        filled = pd.Series(per_term.take(codes, allow_fill=True), index=ae.index, name="term")
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
            "grade": _whole_grades(events["grade"]),
            "onset": pd.to_numeric(events["onset"], errors="coerce")
            if "onset" in events
            else np.nan,
            "end": pd.to_numeric(events["end"], errors="coerce") if "end" in events else np.nan,
            "source": "clinician",
        }
    )
    for extra in ("serious", "related", "soc", "meddra_code", "coding", "teae"):
        if extra in events:
            ev[extra] = events[extra].to_numpy()
    ev["duration"] = ev["end"] - ev["onset"]
    ev["reason"] = "clinician grade, checked against the " + cid + " dictionary"
    ungraded = ev["grade"].isna().to_numpy(bool)  # AETOXGR not entered (prepare.events)
    ev.loc[ungraded, "reason"] = "clinician event without a grade (counted in 'Any grade')"
    if "coding" in ev:  # a clinician ICANS grade is an ASTCT 2019 grade (prepare.events)
        astct = ev["coding"].astype("string").eq("astct").to_numpy(bool, na_value=False)
        ev.loc[astct, "criteria"] = "astct-2019"
        ev.loc[astct, "reason"] = "clinician ICANS grade (ASTCT 2019, grade 1-5)"
    # an end before the onset leaves the grade as given (the duration is already NA)
    timing = problems["check"].astype(str).eq(Reason.END_BEFORE_ONSET.value).to_numpy(bool)
    late = _problem_rows(events, problems[timing])
    ev.loc[late, "reason"] = ev.loc[late, "reason"] + "; end before onset, so no duration"
    bad = _problem_rows(events, problems[~timing])
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


def _whole_grades(grades: pd.Series) -> pd.Series:
    """Clinician grades as nullable integers; a grade that is not a whole number (2.5) is NA
    (validate_events has already reported it as an invalid grade)."""
    g = pd.to_numeric(grades, errors="coerce")
    return g.where(g == np.floor(g)).astype("Int64")
