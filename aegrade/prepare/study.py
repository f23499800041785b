"""Preparing a study's observations once for every engine (labs, hematology).

Checks the subjects table, turns ``time`` into study days, and runs
:func:`~aegrade.prepare.observations.prepare_observations` in coerce mode; each caller decides
whether the collected problems stop it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from aegrade.errors import InputError, failure_frame
from aegrade.prepare.observations import Context, Prepared, prepare_observations
from aegrade.read.study import Study, study_days, validate_subjects


@dataclass(frozen=True)
class PreparedStudy:
    """Observations ready for grading, with the study day in ``frame['day']``."""

    prep: Prepared
    frame: pd.DataFrame
    issues: pd.DataFrame


def prepare_study(study: Study) -> PreparedStudy:
    """Prepare a study's observations; every problem found is in ``issues``.

    Raises
    ------
    InputError
        Only when the observations cannot be read at all (a required column is missing).
    """
    obs = study.observations
    problems = [study.failures]
    if study.subjects is not None:
        problems.append(validate_subjects(study.subjects))
    if "subject_id" not in obs.frame:
        problems.append(
            failure_frame(
                [
                    {
                        "file": obs.file,
                        "sheet": obs.sheet,
                        "row": None,
                        "column": "subject_id",
                        "value": None,
                        "check": "missing_column",
                        "message": "observations: required column 'subject_id' is missing",
                    }
                ]
            )
        )
        raise InputError(pd.concat(problems, ignore_index=True), source=study.source)
    day, day_problems = study_days(study)
    problems.append(day_problems)
    frame = obs.frame if day is None else obs.frame.assign(day=day)  # copy-on-write: cheap
    try:
        prep = prepare_observations(
            frame.drop(columns=["time"], errors="ignore"),
            context=Context(file=obs.file, sheet=obs.sheet, rows=obs.labels()),
            errors="coerce",
        )
    except InputError as exc:
        raise InputError(
            pd.concat([*problems, exc.failures], ignore_index=True), source=study.source
        ) from None
    return PreparedStudy(prep, frame, pd.concat([*problems, prep.failures], ignore_index=True))
