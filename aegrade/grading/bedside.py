"""Bedside scorers and one-time-point grading: ICE and CAPD totals, CRS and ICANS at one time.

:func:`ice_score` and :func:`capd_score` turn item scores into totals, checking each item.
:func:`grade_crs_timepoint` and :func:`grade_icans_timepoint` grade one time point from a
nurse's findings: in plain Python (:mod:`aegrade.grading.onepoint`, no pandas, for an instant
answer) where it recognises every finding, else through the same engine as whole studies
(:mod:`aegrade.grading.syndromes`); the rules and the audit text are the same either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from aegrade.criteria import load_crs_icans_criteria
from aegrade.criteria.syndromes import IcansRules
from aegrade.errors import AegradeError
from aegrade.grading.crs import grade_crs
from aegrade.grading.onepoint import TimepointGrade, crs_one_time_point, icans_one_time_point
from aegrade.grading.syndromes import grade_crs_icans
from aegrade.prepare.findings import extract_findings
from aegrade.read.study import load_study

__all__ = [
    "ScoreError",
    "TimepointGrade",
    "capd_score",
    "crs_timepoint_engine",
    "grade_crs_timepoint",
    "grade_icans_timepoint",
    "icans_timepoint_engine",
    "ice_score",
]

#: The file whose ICE and CAPD items the bedside scorers check (item counts and ranges).
_ITEMS_FROM = "astct-2019"


def _icans_rules() -> IcansRules:
    ic = load_crs_icans_criteria(_ITEMS_FROM).icans
    if ic is None:
        raise ValueError(f"{_ITEMS_FROM} has no ICANS part")
    return ic


class ScoreError(ValueError, AegradeError):
    """An item score outside what the instrument allows."""


def _check_item(name: str, value: object, top: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise ScoreError(f"{name} must be a whole number from 0 to {top}, got {value!r}")
    if not 0 <= value <= top:
        raise ScoreError(f"{name} must be from 0 to {top}, got {value!r}")
    return int(value)


def ice_score(orientation: int, naming: int, commands: int, writing: int, attention: int) -> int:
    """ICE total (0-10) from its five items.

    Parameters
    ----------
    orientation
        Year, month, city, hospital: 0-4.
    naming
        Three objects named: 0-3.
    commands
        Follows simple commands: 0-1.
    writing
        Writes a standard sentence: 0-1.
    attention
        Counts backwards from 100 by 10: 0-1.

    Raises
    ------
    ScoreError
        An item outside its range or not a whole number.

    References
    ----------
    Lee DW et al. Biol Blood Marrow Transplant 2019;25:625-638 (ICE tool).

    Examples
    --------
    >>> ice_score(4, 3, 1, 1, 0)
    9
    """
    items = _icans_rules().ice.items
    given = dict(zip(items, (orientation, naming, commands, writing, attention), strict=True))
    return sum(_check_item(k.removeprefix("ICE_").lower(), v, items[k]) for k, v in given.items())


def capd_score(items: Sequence[int]) -> int:
    """CAPD total (0-32) from its eight item scores (each 0-4, as scored on the form).

    The item count and range are read from the criteria file (``icans.capd``: Traube et al.,
    Crit Care Med 2014).

    Raises
    ------
    ScoreError
        Not eight items, or an item outside 0-4.

    Examples
    --------
    >>> capd_score([1, 1, 0, 2, 1, 0, 3, 2])
    10
    """
    capd = _icans_rules().capd
    if isinstance(items, str) or len(items) != capd.item_count:
        raise ScoreError(f"CAPD has {capd.item_count} items, got {len(items)}")
    return sum(_check_item(f"CAPD item {i + 1}", v, capd.item_max) for i, v in enumerate(items))


_SUBJECT = "timepoint"


def _one(rows: list[tuple[str, object, object, object]]) -> pd.DataFrame:
    obs = pd.DataFrame(rows, columns=["parameter", "value", "unit", "flow"])
    obs.insert(0, "day", 0.0)
    obs.insert(0, "subject_id", _SUBJECT)
    return obs


def grade_crs_timepoint(
    *,
    temp: float | None = None,
    temp_unit: str = "degC",
    pressors: Sequence[str] = (),
    oxygen: str | None = None,
    flow: float | None = None,
    fio2: float | None = None,
    hypotension: bool = False,
    sysbp: float | None = None,
    episode_ongoing: bool = False,
    criteria: str = "astct-2019",
    sysbp_threshold: float | None = None,
    ambiguous: str = "worse",
) -> TimepointGrade:
    """CRS grade of one time point.

    ``episode_ongoing`` says a CRS episode opened earlier with fever (so fever need not be
    present now, e.g. after tocilizumab); without it a time point needs fever to be CRS.
    ``ambiguous`` (``"worse"`` or ``"lower"``) picks the grade where the oxygen delivery
    without FiO2 cannot tell two apart (Lee 2014, CTCAE v5.0: see
    :func:`~aegrade.grading.crs.grade_crs`); the text says "clinical review" either way.

    Examples
    --------
    >>> grade_crs_timepoint(temp=38.5, oxygen="nasal_cannula", flow=8).grade
    3
    >>> lee = dict(temp=38.5, oxygen="high_flow_nasal_cannula", criteria="lee-2014")
    >>> grade_crs_timepoint(**lee).grade, grade_crs_timepoint(**lee, ambiguous="lower").grade
    (3, 2)
    """
    given: dict[str, Any] = dict(
        temp=temp,
        temp_unit=temp_unit,
        pressors=pressors,
        oxygen=oxygen,
        flow=flow,
        fio2=fio2,
        hypotension=hypotension,
        sysbp=sysbp,
        episode_ongoing=episode_ongoing,
        criteria=criteria,
        sysbp_threshold=sysbp_threshold,
        ambiguous=ambiguous,
    )
    quick = crs_one_time_point(**given)
    return quick if quick is not None else crs_timepoint_engine(**given)


def crs_timepoint_engine(
    *,
    temp: float | None = None,
    temp_unit: str = "degC",
    pressors: Sequence[str] = (),
    oxygen: str | None = None,
    flow: float | None = None,
    fio2: float | None = None,
    hypotension: bool = False,
    sysbp: float | None = None,
    episode_ongoing: bool = False,
    criteria: str = "astct-2019",
    sysbp_threshold: float | None = None,
    ambiguous: str = "worse",
) -> TimepointGrade:
    """:func:`grade_crs_timepoint` through the whole-study engine, always (the reference the
    plain path is tested against, and the path for findings it does not recognise).

    Examples
    --------
    >>> crs_timepoint_engine(temp=38.5, oxygen="nasal_cannula", flow=8).text[:36]
    'grade 3: nasal cannula 8 L/min at da'
    """

    rows: list[tuple[str, object, object, object]] = []
    if temp is not None:
        rows.append(("TEMP", temp, temp_unit, None))
    rows += [("VASOPRESSOR", p, None, None) for p in pressors]
    if oxygen is not None:
        rows.append(("OXYGEN", oxygen, None, flow))
    if fio2 is not None:
        rows.append(("FIO2", fio2, "%", None))
    if hypotension:
        rows.append(("HYPOTENSION", "true", None, None))
    if sysbp is not None:
        rows.append(("SYSBP", sysbp, "mmHg", None))
    found = extract_findings(load_study(_one(rows)))
    res = grade_crs(
        found,
        criteria,
        sysbp_threshold=sysbp_threshold,
        episode_open=[_SUBJECT] if episode_ongoing else [],
        ambiguous=ambiguous,
    )
    return _pick(res, "CRS")


def grade_icans_timepoint(
    *,
    ice: float | str | None = None,
    capd: float | str | None = None,
    loc: str | None = None,
    seizure: str | None = None,
    motor: str | None = None,
    icp: str | None = None,
    age: float | None = None,
    capd_age_cutoff: float | None = None,
) -> TimepointGrade:
    """ICANS grade of one time point (ASTCT 2019).

    Raises
    ------
    ScoreError
        No domain can be scored (an ICE total for a child below the CAPD age cut-off).

    Examples
    --------
    >>> grade_icans_timepoint(ice=5, loc="awakens_to_voice").grade
    2
    """
    given: dict[str, Any] = dict(
        ice=ice,
        capd=capd,
        loc=loc,
        seizure=seizure,
        motor=motor,
        icp=icp,
        age=age,
        capd_age_cutoff=capd_age_cutoff,
    )
    quick = icans_one_time_point(**given)
    return quick if quick is not None else icans_timepoint_engine(**given)


def icans_timepoint_engine(
    *,
    ice: float | str | None = None,
    capd: float | str | None = None,
    loc: str | None = None,
    seizure: str | None = None,
    motor: str | None = None,
    icp: str | None = None,
    age: float | None = None,
    capd_age_cutoff: float | None = None,
) -> TimepointGrade:
    """:func:`grade_icans_timepoint` through the whole-study engine, always.

    Examples
    --------
    >>> icans_timepoint_engine(ice=5, loc="awakens_to_voice").text
    'grade 2: ICE 5 at day 0 (ICE domain, astct-2019); episode onset'
    """

    given = {"ICE": ice, "CAPD": capd, "LOC": loc, "SEIZURE": seizure, "MOTOR": motor, "ICP": icp}
    obs = _one([(k, v, None, None) for k, v in given.items() if v is not None])
    subjects = pd.DataFrame({"subject_id": [_SUBJECT], "age": [age]})
    res = grade_crs_icans(
        load_study(observations=obs, subjects=subjects),
        crs=None,
        icans="astct-2019",
        capd_age_cutoff=capd_age_cutoff,
    )
    return _pick(res, "ICANS")


def _pick(res: object, syndrome: str) -> TimepointGrade:
    tp = res.timepoints  # type: ignore[attr-defined]
    tp = tp[(tp["syndrome"] == syndrome) & (tp["day"] == 0.0)]
    if tp.empty:
        return TimepointGrade(0, "", f"no {syndrome} finding given")
    row = tp.iloc[0]
    if pd.isna(row["grade"]):  # e.g. an ICE total for a child below the CAPD age cut-off
        raise ScoreError(
            f"no {syndrome} domain could be scored: an ICE total is used from the CAPD age "
            "cut-off (capd_age_cutoff) on, CAPD below it; give the score of the tool for this "
            "age"
        )
    text = (
        row["text"]
        if isinstance(row["text"], str)
        else f"grade 0: no {syndrome} finding at this time point ({row['criteria']})"
    )
    return TimepointGrade(int(row["grade"]), str(row["criteria"]), text)
