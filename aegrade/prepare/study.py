"""Preparing a study once for every engine (labs, CRS/ICANS, hematology): :func:`prepare_study`.

Checks the subjects table, turns ``time`` into study days, and runs
:func:`~aegrade.prepare.observations.prepare_observations` in coerce mode (codes resolved,
units converted, baselines chosen by :mod:`aegrade.prepare.baseline`); every problem found on
the way is in one :class:`~aegrade.errors.Failures` collector, and each caller decides whether
they stop it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from aegrade.errors import Failures, InputError, Reason
from aegrade.prepare.days import study_days
from aegrade.prepare.observations import Context, Prepared, prepare_observations
from aegrade.prepare.subjects import subjects_frame, validate_subjects
from aegrade.study import Study

__all__ = ["PreparedStudy", "prepare_study"]


@dataclass(frozen=True)
class PreparedStudy:
    """A study prepared once: what every engine reads.

    Attributes
    ----------
    study
        The study as read.
    prep
        The observations in canonical form (row-aligned arrays, see
        :class:`~aegrade.prepare.observations.Prepared`).
    frame
        The observations, with the study day in ``frame['day']`` when one is known.
    failures
        Every problem found while reading and preparing (one collector).
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
    prep: Prepared
    frame: pd.DataFrame
    failures: Failures
    subjects: pd.DataFrame
    day_issues: pd.DataFrame
    graded: pd.DataFrame | None = None
    graded_by: tuple[str, str] | None = None

    @property
    def issues(self) -> pd.DataFrame:
        """The failure table of every problem found."""
        return self.failures.frame()

    def with_grades(self, graded: pd.DataFrame, criteria: str, ambiguous: str) -> PreparedStudy:
        """The same preparation carrying the lab grades computed from it."""
        return replace(self, graded=graded, graded_by=(criteria, ambiguous))

    def lab_grades(self, criteria: str) -> pd.DataFrame | None:
        """The graded observations when graded by ``criteria`` with ``ambiguous="worse"``
        (the default every other engine uses), else None."""
        return self.graded if self.graded_by == (criteria, "worse") else None


def prepare_study(study: Study) -> PreparedStudy:
    """Prepare a study's observations; every problem found is in ``failures``.

    Parameters
    ----------
    study
        A study read by :func:`~aegrade.read.load_study`.

    Returns
    -------
    PreparedStudy

    Raises
    ------
    InputError
        Only when the observations cannot be read at all (a required column is missing).

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
    failures = Failures(obs.file, obs.sheet)
    failures.extend(study.failures)
    if study.subjects is not None:
        failures.extend(validate_subjects(study.subjects))
    if "subject_id" not in obs.frame:
        failures.add(
            Reason.MISSING_COLUMN,
            "observations: required column 'subject_id' is missing",
            column="subject_id",
        )
        raise failures.error(study.source)
    day, day_issues = study_days(study)
    failures.extend(day_issues)
    frame = obs.frame if day is None else obs.frame.assign(day=day)  # copy-on-write: cheap
    try:
        prep = prepare_observations(
            frame.drop(columns=["time"], errors="ignore"),
            context=Context(file=obs.file, sheet=obs.sheet, rows=obs.labels()),
            errors="coerce",
        )
    except InputError as exc:
        failures.extend(exc.failures)
        raise failures.error(study.source) from None
    failures.extend(prep.failures)
    return PreparedStudy(study, prep, frame, failures, subjects_frame(study), day_issues)
