"""The value-gradable CTCAE terms added in issue 12 beyond the boundary case tables.

tests/cases/ctcae/terms-v5.0.csv and terms-v4.03.csv hold each cut-off under the default
``ambiguous="worse"``; here: the ``"lower"`` readings, the specimen rule of Proteinuria, heart
rate (not graded: CTCAE grades sinus rhythms by symptoms only) and a study graded end to end.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import aegrade
from aegrade.grading import predicates as P
from aegrade.grading.labs import assemble_grades, grade_prepared
from aegrade.prepare.observations import prepare_observations
from aegrade.read import load_study


@pytest.mark.parametrize(
    ("criteria", "parameter", "value", "unit", "baseline", "worse", "lower"),
    [
        ("5.0", "SPO2", 87.9, "%", None, 3, 2),  # exercise (2) or rest (3)
        ("4.03", "SPO2", 85.0, "%", None, 3, 2),
        ("5.0", "SYSBP", 150.0, "mmHg", 125.0, 2, 1),  # 'if previously WNL' fails
        ("5.0", "DIABP", 95.0, "mmHg", None, 2, 1),  # no baseline: WNL unknown
        ("4.03", "QTCF", 510.0, "ms", None, 3, 2),  # one ECG, not two
    ],
)
def test_ambiguous_lower_reading(
    criteria: str,
    parameter: str,
    value: float,
    unit: str,
    baseline: float | None,
    worse: int,
    lower: int,
) -> None:
    data = pd.DataFrame(
        {"parameter": [parameter], "value": [value], "unit": [unit], "baseline": [baseline]}
    )
    direction = "grade_low" if parameter == "SPO2" else "grade_high"
    w = aegrade.grade_labs(data, criteria)
    lo = aegrade.grade_labs(data, criteria, ambiguous="lower")
    assert (w[direction].iloc[0], lo[direction].iloc[0]) == (worse, lower)
    assert w["review"].iloc[0] and lo["review"].iloc[0]


def test_hypertension_previously_wnl_is_not_reviewed() -> None:
    data = pd.DataFrame(
        {"parameter": ["SYSBP", "DIABP"], "value": [150, 95], "unit": "mmHg", "baseline": [115, 75]}
    )
    out = aegrade.grade_labs(data, ambiguous="lower")
    assert out["grade_high"].tolist() == [2, 2]
    assert not out["review"].any()


def test_heart_rate_is_not_graded() -> None:
    out = aegrade.grade_labs(pd.DataFrame({"parameter": ["HR"], "value": [140], "unit": ["bpm"]}))
    assert pd.isna(out["grade_high"].iloc[0]) and pd.isna(out["grade_low"].iloc[0])
    assert out["reason"].iloc[0] == "no criteria in ctcae-v5.0 for this parameter"


def test_weight_loss_by_the_pchg_column() -> None:
    data = pd.DataFrame(
        {"parameter": ["WEIGHT"] * 2, "value": [70, 70], "unit": "kg", "pchg": [-10, -4.9]}
    )
    out = aegrade.grade_labs(data)
    assert out["grade_low"].tolist() == [2, 0]
    assert out["term_low"].tolist() == ["Weight loss", "Weight loss"]


def _uprot_with_specimen(specimen: list[object] | None) -> pd.DataFrame:
    data = pd.DataFrame(
        {"parameter": "UPROT", "value": [1.2, 1.2, 1.2], "unit": "g/24h", "uln": 0.15}
    )
    prep = prepare_observations(data)
    if specimen is not None:
        prep.specimen = np.array(specimen, dtype=object)  # type: ignore[attr-defined]
    plan, low, high = grade_prepared(prep, "ctcae-v5.0")
    return assemble_grades(data, prep, plan, low, high)


def test_proteinuria_grades_urine_and_refuses_another_specimen() -> None:
    out = _uprot_with_specimen(["URINE", "SERUM", None])
    assert out["grade_high"].tolist()[0] == 2 and pd.isna(out["grade_high"].iloc[1])
    assert out["grade_high"].iloc[2] == 2  # an empty cell is taken as urine
    assert "the specimen is not urine" in out["reason"].iloc[1]
    assert not out["review"].any()


def test_proteinuria_without_a_specimen_column_is_urine() -> None:
    out = _uprot_with_specimen(None)
    assert out["grade_high"].tolist() == [2, 2, 2]


def test_specimen_mismatch_only_where_named() -> None:
    rows = P.Rows(value=np.zeros(3), specimen=np.array(["Urine ", "blood", ""], dtype=object))
    assert P.specimen_mismatch(rows, "urine").tolist() == [False, True, False]
    assert P.specimen_mismatch(P.Rows(value=np.zeros(2)), "urine").tolist() == [False, False]


def test_new_terms_make_adverse_events_in_a_study() -> None:
    obs = pd.DataFrame(
        {
            "subject_id": ["01"] * 6,
            "day": [0, 7, 0, 7, 0, 14],
            "parameter": ["WEIGHT", "WEIGHT", "QTCF", "QTCF", "LVEF", "LVEF"],
            "value": [80, 70, 420, 490, 62, 38],
            "unit": ["kg", "kg", "ms", "ms", "%", "%"],
        }
    )
    result = aegrade.grade(load_study(observations=obs), hematology=False)
    ae = result.adverse_events.set_index("term")
    assert ae.loc["Weight loss", "grade"] == 2  # -12.5%
    assert ae.loc["Electrocardiogram QT corrected interval prolonged", "grade"] == 3  # +70 ms
    assert ae.loc["Ejection fraction decreased", "grade"] == 3  # 38%, a 24-point drop


def test_ejection_fraction_drop_both_readings() -> None:
    """'10 - 19% drop from baseline': percentage points (the packaged rule) or relative percent
    (a criteria file of one's own, ``lhs: pchg``). Baseline 60%, value 53%: 7 points, 11.7%."""
    from aegrade.criteria.ctcae import Clause

    rows = P.Rows(
        value=np.array([53.0, 50.0]),
        baseline=np.array([60.0, 60.0]),
        pchg=np.array([(53 - 60) / 60 * 100, (50 - 60) / 60 * 100]),
    )
    points = Clause.model_validate({"op": "le", "ref": "baseline", "offset": -10})
    relative = Clause.model_validate(
        {"lhs": "pchg", "op": "le", "ref": "absolute", "threshold": -10}
    )
    assert P.eval_clause(points, rows, "%", [])[0].tolist() == [False, True]
    assert P.eval_clause(relative, rows, "%", [])[0].tolist() == [True, True]
    packaged = aegrade.grade_labs(
        pd.DataFrame({"parameter": ["LVEF"], "value": [53.0], "unit": ["%"], "baseline": [60.0]})
    )
    assert packaged["grade_low"].iloc[0] == 0  # 7 points is no grade-2 drop
