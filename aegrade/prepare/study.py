"""Preparing a study once for every engine (labs, CRS/ICANS, hematology): :func:`prepare_study`.

Checks the subjects table, turns ``time`` into study days, and runs
:func:`~aegrade.prepare.observations.prepare_observations` in coerce mode (codes resolved,
units converted, baselines chosen by :mod:`aegrade.prepare.baseline`); every problem found on
the way is in one :class:`~aegrade.errors.Failures` collector, and each caller decides whether
they stop it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from aegrade.criteria.units import parameter_index, registry
from aegrade.errors import Failures, InputError, Reason
from aegrade.prepare.days import study_days
from aegrade.prepare.ids import text_codes
from aegrade.prepare.observations import Context, Prepared, prepare_observations
from aegrade.prepare.subjects import subjects_frame, table_failures, validate_subjects
from aegrade.study import Study

__all__ = ["PreparedStudy", "prepare_study"]


@dataclass(frozen=True)
class PreparedStudy:
    """A study prepared once: what every engine reads.

    The study days, parameter codes and subjects are ready at once; the observation values
    (numbers, units, baselines: :attr:`prep`) are prepared on first use and then kept, so
    an engine that needs only codes and days (CRS/ICANS alone) does not pay for them.

    Attributes
    ----------
    study
        The study as read.
    frame
        The observations, with the study day in ``frame['day']`` when one is known.
    code
        The canonical parameter code of each observation (None: unknown).
    subjects
        The one subjects frame (:func:`~aegrade.prepare.subjects.subjects_frame`).
    day_issues
        The problems of the study days alone (CRS/ICANS report those of their rows).
    graded
        The CTCAE-graded observations (row-aligned with ``frame``) once the labs are graded,
        so other engines reuse the grades; ``graded_by`` names their criteria and the
        ``ambiguous`` option.
    """

    study: Study
    frame: pd.DataFrame
    code: np.ndarray
    subjects: pd.DataFrame
    day_issues: pd.DataFrame
    early: Failures = field(repr=False)  # problems found before the values are prepared
    graded: pd.DataFrame | None = None
    graded_by: tuple[str, str] | None = None
    cache: dict[str, tuple[Prepared, Failures]] = field(
        default_factory=dict, repr=False, compare=False
    )
    #: threads of the preparation (:func:`aegrade.threads.thread_count`; None: the default)
    threads: int | None = field(default=None, repr=False, compare=False)
    #: ``code`` as an index into a short table of codes (None: not known), so a question about
    #: the codes is asked once per code, not once per row (:meth:`has_code`)
    code_table: tuple[np.ndarray, np.ndarray] | None = field(
        default=None, repr=False, compare=False
    )
    #: ``graded``'s ``grade_low`` and ``grade_high`` as int8 (-1: NA), when the grading
    #: engine made them (:func:`~aegrade.grading.labs.lab_levels`): read without a copy
    levels: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False, compare=False)

    def has_code(self, codes: Collection[str]) -> np.ndarray:
        """Whether each row's canonical parameter code is one of ``codes``.

        Parameters
        ----------
        codes
            Canonical parameter codes.

        Returns
        -------
        numpy.ndarray
            One bool per observation row.

        Examples
        --------
        >>> import pandas as pd
        >>> from aegrade.read import load_study
        >>> obs = pd.DataFrame({"subject_id": "01", "day": [1, 2],
        ...                     "parameter": ["TEMP", "ALT"], "value": [38.9, 40], "unit": ""})
        >>> prepare_study(load_study(obs)).has_code({"TEMP"}).tolist()
        [True, False]
        """
        wanted = set(codes)
        if self.code_table is None:
            return pd.Series(self.code, dtype=object).isin(list(wanted)).to_numpy(bool)
        index, names = self.code_table
        hit = np.fromiter((n in wanted for n in names), bool, len(names))
        out: np.ndarray = hit[index]
        return out

    def code_rows(self, codes: Collection[str]) -> np.ndarray:
        """The positions of the rows whose canonical parameter code is one of ``codes``
        (``np.flatnonzero(has_code(codes))``); when the values are prepared and their counts
        per parameter show no such row, found without a pass over the rows.

        Examples
        --------
        >>> import pandas as pd
        >>> from aegrade.read import load_study
        >>> obs = pd.DataFrame({"subject_id": "01", "day": [1, 2, 3],
        ...                     "parameter": ["TEMP", "ALT", "TEMP"], "value": 1, "unit": ""})
        >>> prepare_study(load_study(obs)).code_rows({"TEMP"}).tolist()
        [0, 2]
        """
        done = self.cache.get("values")
        if done is not None and self.code_table is not None:
            prep = done[0]
            counts = prep.param_counts
            # the counts are of these codes (no LOINC column decided another) and all rows
            if prep.param_index is self.code_table[0] and counts and sum(counts) == prep.n:
                names = prep.param_names
                if not any(counts[names.index(c) + 1] for c in codes if c in names):
                    return np.zeros(0, np.int64)
        return np.flatnonzero(self.has_code(codes))

    def _prepared(self) -> tuple[Prepared, Failures]:
        if "values" not in self.cache:
            obs = self.study.observations
            failures = Failures(obs.file, obs.sheet)
            failures.extend(self.early)
            try:
                prep = prepare_observations(
                    self.frame.drop(columns=["time"], errors="ignore"),
                    context=Context(file=obs.file, sheet=obs.sheet, rows=obs.labels()),
                    errors="coerce",
                    decimal=self.study.decimal,
                    no_result=self.study.no_result,
                    threads=self.threads,
                    parameter_codes=None if self.code_table is None else self.code_table[0],
                )
            except InputError as exc:
                failures.extend(exc.failures)
                raise failures.error(self.study.source) from None
            failures.extend(prep.failures)
            self.cache["values"] = (prep, failures)
        return self.cache["values"]

    @property
    def prep(self) -> Prepared:
        """The observations in canonical form (row-aligned arrays, see
        :class:`~aegrade.prepare.observations.Prepared`)."""
        return self._prepared()[0]

    @property
    def failures(self) -> Failures:
        """Every problem found while reading and preparing (one collector)."""
        return self._prepared()[1]

    @property
    def issues(self) -> pd.DataFrame:
        """The failure table of every problem found."""
        return self.failures.frame()

    def with_grades(
        self,
        graded: pd.DataFrame,
        criteria: str,
        ambiguous: str,
        levels: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> PreparedStudy:
        """The same preparation carrying the lab grades computed from it (and ``levels``,
        the grade columns as int8 with -1 for NA, when the caller has them)."""
        return replace(self, graded=graded, graded_by=(criteria, ambiguous), levels=levels)

    def lab_levels(self, criteria: str) -> tuple[np.ndarray, np.ndarray] | None:
        """:attr:`levels` when :meth:`lab_grades` gives the grades, else None."""
        return self.levels if self.lab_grades(criteria) is not None else None

    def lab_grades(self, criteria: str) -> pd.DataFrame | None:
        """The graded observations when graded by ``criteria`` with ``ambiguous="worse"``
        (the default every other engine uses), else None."""
        return self.graded if self.graded_by == (criteria, "worse") else None


def prepare_study(study: Study, *, threads: int | None = None) -> PreparedStudy:
    """Prepare a study's observations; every problem found is in ``failures``.

    Parameters
    ----------
    study
        A study read by :func:`~aegrade.read.load_study`.
    threads
        How many threads prepare the values (:func:`aegrade.threads.thread_count`: None is
        the default, 1 the serial path); the result does not depend on it.

    Returns
    -------
    PreparedStudy

    Raises
    ------
    InputError
        Only when the observations cannot be read at all (a required column is missing):
        ``subject_id`` here, ``parameter`` or ``value`` when the values are first used.

    Examples
    --------
    >>> import pandas as pd
    >>> from aegrade.read import load_study
    >>> obs = pd.DataFrame({"subject_id": ["S1", "S1", "S1"], "day": [-1, 0, 7],
    ...                     "parameter": ["HGB", "HGB", "HGB"], "value": [13.0, 12.0, "x"],
    ...                     "unit": "g/dL"})
    >>> ready = prepare_study(load_study(obs))
    >>> ready.prep.value.tolist(), ready.prep.baseline.tolist()
    ([130.0, 120.0, nan], [120.0, 120.0, 120.0])
    >>> ready.issues[["row", "column", "check"]].values.tolist()
    [[2, 'value', 'not_a_number']]
    """
    obs = study.observations
    early = Failures(obs.file, obs.sheet)
    early.extend(study.failures)
    if study.subjects is not None:
        early.extend(validate_subjects(study.subjects))
    if "subject_id" not in obs.frame:
        early.add(
            Reason.MISSING_COLUMN,
            "observations: required column 'subject_id' is missing",
            column="subject_id",
        )
        raise early.error(study.source)
    blank = table_failures(obs)
    blank.add_rows(
        _no_subject(obs.frame["subject_id"]),
        Reason.MISSING_SUBJECT,
        "subject_id is empty: the row belongs to no subject",
        column="subject_id",
    )
    early.extend(blank.frame())
    day, day_issues = study_days(study)
    early.extend(day_issues)
    frame = obs.frame if day is None else obs.frame.assign(day=day)  # copy-on-write: cheap
    frame = _subject_anticoagulation(frame, study)
    index, names = _code_index(frame)
    return PreparedStudy(
        study,
        frame,
        names[index],
        subjects_frame(study),
        day_issues,
        early,
        threads=threads,
        code_table=(index, names),
    )


def _no_subject(ids: pd.Series) -> np.ndarray:
    """Where the subject id is missing or blank (spaces only): tested once per distinct id
    (:func:`~aegrade.prepare.subjects.text_codes`, the codes every stage shares), then
    gathered; code -1, a missing id, reads the table's last entry."""
    codes, uniques = text_codes(ids)
    blank = (pd.Series(uniques, dtype="string").str.strip() == "").to_numpy(bool, na_value=True)
    out: np.ndarray = np.r_[blank, True][codes]
    return out


def _subject_anticoagulation(frame: pd.DataFrame, study: Study) -> pd.DataFrame:
    """The subjects table's ``anticoagulated`` flag on each observation row that has none."""
    if study.subjects is None or "anticoagulated" not in study.subjects.frame:
        return frame
    subjects = study.subjects.frame.drop_duplicates("subject_id")
    by_subject = pd.Series(
        subjects["anticoagulated"].to_numpy(dtype=object),
        index=subjects["subject_id"].astype("string").str.strip(),
    )
    mapped = frame["subject_id"].astype("string").str.strip().map(by_subject)
    if "anticoagulated" in frame:
        mapped = frame["anticoagulated"].where(frame["anticoagulated"].notna(), mapped)
    return frame.assign(anticoagulated=mapped.to_numpy(dtype=object))


def _code_index(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The canonical parameter code of each row as an index into a table of codes whose last
    entry is None (unknown, or no ``parameter`` column)."""
    if "parameter" not in frame:
        return np.zeros(len(frame), np.intp), np.array([None], dtype=object)
    names = sorted(registry().parameters)
    index = parameter_index(frame["parameter"], names)
    index.flags.writeable = False  # shared with the preparation of the values (not copied)
    return index, np.array([*names, None], dtype=object)
