"""CAR-HEMATOTOX (Rejeski et al., Blood 2021): the baseline hematotoxicity risk score.

:func:`score_car_hematotox` scores one row per subject from five baseline markers. Cut-offs,
points and risk classes live in ``criteria/data/car-hematotox.yaml``, written in the units the
paper prints and converted to aegrade's canonical units when the file is loaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from aegrade.criteria import load_hematology_criteria
from aegrade.criteria.hematology import HematotoxCriteria
from aegrade.grading.daily import cut_mask, nullable_int

if TYPE_CHECKING:
    from pandas.core.arrays.string_ import BaseStringArray

__all__ = ["hematotox_columns", "load_hematotox", "score_car_hematotox"]


def load_hematotox(criteria: str = "car-hematotox") -> HematotoxCriteria:
    """The validated CAR-HEMATOTOX criteria file.

    Parameters
    ----------
    criteria
        ``"car-hematotox"``.

    Returns
    -------
    HematotoxCriteria
        Markers with their cut-offs (canonical units) and points, and the risk classes.

    Examples
    --------
    >>> c = load_hematotox()
    >>> [m.parameter for m in c.markers]
    ['PLAT', 'NEUT', 'HGB', 'CRP', 'FERRITIN']
    """
    return load_hematology_criteria(criteria, HematotoxCriteria)


def hematotox_columns(criteria: str = "car-hematotox") -> list[str]:
    """Columns of :func:`score_car_hematotox` after ``subject_id``.

    Parameters
    ----------
    criteria
        As for :func:`load_hematotox`.

    Returns
    -------
    list of str
        Score, risk, one points column per marker, reason.

    Examples
    --------
    >>> hematotox_columns()[:3]
    ['car_hematotox_score', 'car_hematotox_risk', 'car_hematotox_points_plat']
    """
    c = load_hematotox(criteria)
    return [
        "car_hematotox_score",
        "car_hematotox_risk",
        *[f"car_hematotox_points_{m.id}" for m in c.markers],
        "car_hematotox_reason",
    ]


def score_car_hematotox(
    baseline: pd.DataFrame,
    criteria: str = "car-hematotox",
    *,
    subjects: pd.Index | list[str] | None = None,
    window: npt.NDArray[np.object_] | None = None,
) -> pd.DataFrame:
    """Score CAR-HEMATOTOX per subject from baseline values.

    Parameters
    ----------
    baseline
        One baseline value per subject and parameter: columns ``subject_id``, ``parameter``
        (``PLAT``, ``NEUT``, ``HGB``, ``CRP``, ``FERRITIN``) and ``value`` in aegrade's canonical
        units (10^9/L, g/L, mg/L, ng/mL); a second row of the same pair is ignored.
        :func:`~aegrade.grading.hematology.summarize_hematology` builds it from observations in
        any accepted unit (the last value before lymphodepletion, SPEC section 4).
    criteria
        ``"car-hematotox"``.
    subjects
        Every subject to report (default: those in ``baseline``).
    window
        Per subject (in the order of ``subjects``), the words naming which values were scored,
        for the reason column (default: "the baseline values given").

    Returns
    -------
    pandas.DataFrame
        ``subject_id``, ``car_hematotox_score`` (Int64, 0-7; NA when any marker is missing),
        ``car_hematotox_risk`` (``low`` 0-1, ``high`` >= 2), ``car_hematotox_points_<marker>``
        (Int64, NA when that marker is missing) and ``car_hematotox_reason``.

    Notes
    -----
    Platelets >175 x10^9/L 0, 75-175 1, <75 2 points; ANC >=1.2 x10^9/L 0, <1.2 1; hemoglobin
    >=9.0 g/dL 0, <9.0 1; CRP <3.0 mg/dL 0, >=3.0 1; ferritin <650 ng/mL 0, 650-2000 1,
    >2000 2 (SPEC section 4).

    Examples
    --------
    Subject 01 has all five markers (platelets 60, ANC 0.9 x10^9/L, hemoglobin 85 g/L, CRP
    12 mg/L, ferritin 800 ng/mL); subject 02 only a platelet count:

    >>> import pandas as pd
    >>> baseline = pd.DataFrame(
    ...     {
    ...         "subject_id": ["01", "01", "01", "01", "01", "02"],
    ...         "parameter": ["PLAT", "NEUT", "HGB", "CRP", "FERRITIN", "PLAT"],
    ...         "value": [60, 0.9, 85, 12, 800, 200],
    ...     }
    ... )
    >>> scored = score_car_hematotox(baseline)
    >>> scored[["subject_id", "car_hematotox_score", "car_hematotox_risk"]]
      subject_id  car_hematotox_score car_hematotox_risk
    0         01                    5               high
    1         02                 <NA>               <NA>
    >>> scored.loc[0, "car_hematotox_reason"].split(" [")[0]
    'score 5 = PLAT 2 + NEUT 1 + HGB 1 + CRP 0 + FERRITIN 1'
    """
    c = load_hematotox(criteria)
    sid = baseline["subject_id"].astype("string")
    index = pd.Index(sid.dropna().unique() if subjects is None else subjects, dtype="string")
    code = index.get_indexer(pd.Index(sid))
    params = baseline["parameter"].astype("string").str.upper().to_numpy(dtype=object)
    values = pd.to_numeric(baseline["value"], errors="coerce").to_numpy(float)
    n = len(index)
    out = pd.DataFrame({"subject_id": index.array})
    total = np.zeros(n, np.int64)
    complete = np.ones(n, bool)
    scored: list[npt.NDArray[np.int64]] = []  # per marker, each subject's points (-1: no value)
    for marker in c.markers:
        value = _first_value(code, params, values, marker.parameter, n)
        known = ~np.isnan(value)
        points = np.zeros(n, np.int64)
        for rule in marker.points:  # most points first
            hit = cut_mask(
                rule.cut, marker.parameter, marker.unit, value, value, np.full(n, None)
            ) & (points == 0)
            points = np.where(hit, rule.points, points)
        out[f"car_hematotox_points_{marker.id}"] = nullable_int(points, known)
        total += np.where(known, points, 0)
        complete &= known
        scored.append(np.where(known, points, -1))
    out["car_hematotox_score"] = nullable_int(total, complete)
    out["car_hematotox_risk"] = _risk(c, total, complete)
    said = np.full(n, "the baseline values given", dtype=object) if window is None else window
    out["car_hematotox_reason"] = _reason(c, scored, said)
    return out[["subject_id", *hematotox_columns(criteria)]]


def _first_value(
    code: npt.NDArray[np.intp],
    params: npt.NDArray[np.object_],
    values: npt.NDArray[np.float64],
    parameter: str,
    n: int,
) -> npt.NDArray[np.float64]:
    sel = np.flatnonzero((params == parameter) & (code >= 0) & ~np.isnan(values))
    out = np.full(n, np.nan)
    # reversed assignment: the first row of each subject is written last and wins
    out[code[sel][::-1]] = values[sel][::-1]
    return out


def _risk(
    c: HematotoxCriteria, total: npt.NDArray[np.int64], complete: npt.NDArray[np.bool_]
) -> BaseStringArray[Any]:
    label = np.full(len(total), None, dtype=object)
    for cls in c.classes:
        hit = complete & (total >= cls.min_score)
        if cls.max_score is not None:
            hit &= total <= cls.max_score
        label = np.where(hit, cls.label, label)
    return pd.array(label, dtype="string")


def _reason(
    c: HematotoxCriteria,
    scored: list[npt.NDArray[np.int64]],
    window: npt.NDArray[np.object_],
) -> BaseStringArray[Any]:
    """Per subject, how the score was made (or which markers it lacks). The text depends
    only on each marker's points (-1: no value) and the window's words, so it is written
    once per distinct case (a few dozen) and gathered, not concatenated row by row."""
    said_code, said = pd.factorize(pd.Series(window, dtype="string"), use_na_sentinel=True)
    cases, case = np.unique(
        np.column_stack([*scored, said_code]),
        axis=0,
        return_inverse=True,
    )
    names = [marker.parameter for marker in c.markers]
    texts: list[str | None] = []
    for row in cases.tolist():
        *points, where = row
        if where < 0:  # no words for the window: no reason
            texts.append(None)
            continue
        words = str(said[where])
        summed = " + ".join(
            f"{name} {p}" if p >= 0 else f"{name} NA" for name, p in zip(names, points, strict=True)
        )
        if min(points) >= 0:
            texts.append(f"score {sum(points)} = {summed} [{c.id}], from the {words}")
        else:
            absent = ", ".join(name for name, p in zip(names, points, strict=True) if p < 0)
            texts.append(f"not scored: no value ({words}) for {absent}; points present: {summed}")
    table = np.array(texts, dtype=object)
    return pd.array(table[case.reshape(-1)], dtype="string")
