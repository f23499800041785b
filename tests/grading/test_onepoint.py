"""The plain-Python time point (``aegrade.grading.onepoint``) equals the whole engine.

The bedside commands answer from :func:`crs_one_time_point` and :func:`icans_one_time_point`
without pandas (issue 15 point 5). That is a second implementation of one time point, so it is
held to the engine (``crs_timepoint_engine``, ``icans_timepoint_engine``: the whole-study
grading of a one-row study) on generated time points of every system: the same grade, criteria
and audit text, and None (the engine decides) only for findings the plain path does not
recognise.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from aegrade.errors import AegradeError
from aegrade.grading.bedside import (
    crs_timepoint_engine,
    grade_crs_timepoint,
    grade_icans_timepoint,
    icans_timepoint_engine,
)
from aegrade.grading.onepoint import crs_one_time_point, icans_one_time_point
from aegrade.prepare.findings import fmt_numbers

#: Every CRS system, with the spellings users give it.
SPELLINGS = {
    "astct-2019": ["astct-2019", "astct", "ASTCT"],
    "lee-2014": ["lee-2014", "lee", " Lee-2014 "],
    "ctcae-v5.0": ["ctcae-v5.0", "ctcae", "CTCAE-v5.0", "5.0"],
}
SYSTEMS = [name for names in SPELLINGS.values() for name in names]
AGENTS = [
    "norepinephrine",
    "Noradrenaline",
    "epinephrine",
    "dopamine",
    "phenylephrine",
    "vasopressin",
    "terlipressin",
    "angiotensin II",
    "dobutamine",
    "milrinone",
    "none",
    "not given",
]
DEVICES = [
    "room_air",
    "blow-by",
    "nasal_cannula",
    "NC",
    "low flow nasal cannula",
    "high_flow_nasal_cannula",
    "HFNC",
    "facemask",
    "simple mask",
    "venturi",
    "Venturi mask",
    "nonrebreather",
    "NRB",
    "cpap",
    "bipap",
    "mechanical_ventilation",
    "intubated",
]


def _near(*points: float, lo: float, hi: float) -> st.SearchStrategy[float]:
    """Values on and next to the cut-offs, and anywhere between the plausible limits."""
    edges = [x + d for x in points for d in (-0.001, 0.0, 0.0004, 0.001)]
    return st.one_of(
        st.sampled_from([x for x in edges if lo <= x <= hi]),
        st.floats(lo, hi, allow_nan=False),
    )


@st.composite
def crs_points(draw: st.DrawFn, systems: list[str] = SYSTEMS) -> dict[str, Any]:
    unit = draw(st.sampled_from(["degC", "degF"]))
    temp = draw(
        st.none()
        | (_near(38.0, lo=25, hi=45) if unit == "degC" else _near(100.4, 98.6, lo=77, hi=113))
    )
    oxygen = draw(st.none() | st.sampled_from(DEVICES))
    return {
        "temp": temp,
        "temp_unit": unit,
        "pressors": draw(st.lists(st.sampled_from(AGENTS), max_size=3)),
        "oxygen": oxygen,
        "flow": draw(st.none() | _near(6.0, lo=0, hi=60)) if oxygen else None,
        "fio2": draw(st.none() | _near(21.0, 40.0, lo=21, hi=100)),
        "hypotension": draw(st.booleans()),
        "sysbp": draw(st.none() | _near(90.0, lo=0, hi=350)),
        "episode_ongoing": draw(st.booleans()),
        "criteria": draw(st.sampled_from(systems)),
        "sysbp_threshold": draw(st.sampled_from([None, 0.0, 100.0, 85.5])),
        "ambiguous": draw(st.sampled_from(["worse", "lower"])),
    }


@st.composite
def icans_points(draw: st.DrawFn) -> dict[str, Any]:
    def maybe(values: list[Any]) -> Any:
        return draw(st.none() | st.sampled_from(values))

    score = st.integers(0, 10).map(float) | st.just("unable") | st.just("Unable")
    return {
        "ice": draw(st.none() | score),
        "capd": draw(st.none() | st.integers(0, 32).map(float) | st.just("unable")),
        "loc": maybe(
            [
                "alert",
                "awake",
                "awakens_spontaneously",
                "awakens to voice",
                "awakens_to_tactile",
                "unarousable",
            ]
        ),
        "seizure": maybe(["none", "rapidly_resolving", "prolonged"]),
        "motor": maybe(["none", "deep_focal_weakness"]),
        "icp": maybe(["none", "focal_edema", "diffuse_edema"]),
        "age": draw(st.none() | st.sampled_from([3.0, 11.9, 12.0, 40.0])),
        "capd_age_cutoff": draw(st.sampled_from([None, 12.0, 18.0])),
    }


def _engine(engine: Any, given: dict[str, Any]) -> Any:
    try:
        return engine(**given)
    except (AegradeError, ValueError) as exc:
        return type(exc)


_FEW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_MANY = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _crs_same(point: dict[str, Any]) -> None:
    quick = crs_one_time_point(**point)
    assert quick is not None, point  # every generated finding is one the plain path knows
    assert quick == crs_timepoint_engine(**point), point
    assert grade_crs_timepoint(**point) == quick


def _icans_same(point: dict[str, Any]) -> None:
    quick = icans_one_time_point(**point)
    engine = _engine(icans_timepoint_engine, point)
    if quick is None:  # declined only where the engine refuses (no domain can be scored)
        assert isinstance(engine, type), (point, engine)
        return
    assert quick == engine, point


@pytest.mark.parametrize("system", list(SPELLINGS))
@_FEW
@given(data=st.data())
def test_crs_plain_path_equals_the_engine(system: str, data: st.DataObject) -> None:
    _crs_same(data.draw(crs_points(SPELLINGS[system])))


@pytest.mark.parametrize(
    "point",
    [
        {"temp": 39.0, "oxygen": "facemask", "criteria": "lee-2014", "ambiguous": "lower"},
        {"temp": 39.0, "oxygen": "venturi", "fio2": 39.999, "criteria": "ctcae"},
        {"temp": 39.0, "oxygen": "venturi", "fio2": 40.0, "criteria": "lee-2014"},
        {"temp": 39.0, "oxygen": "nonrebreather", "fio2": 30.0, "criteria": "lee-2014"},
        {"temp": 39.0, "oxygen": "hfnc", "flow": 6.0, "criteria": "lee-2014"},
        {"temp": 39.0, "oxygen": "nasal_cannula", "flow": 6.001, "criteria": "ctcae"},
        {"sysbp": 0.0, "oxygen": "nasal_cannula", "flow": 6.0},
        {"sysbp": 89.999, "episode_ongoing": True, "criteria": "lee-2014"},
        {"temp": 100.4, "temp_unit": "degF", "pressors": ["vasopressin"]},
        {"temp": 37.999, "pressors": ["vasopressin", "norepinephrine", "epinephrine"]},
    ],
    ids=repr,
)
def test_crs_boundaries_plain_equals_engine(point: dict[str, Any]) -> None:
    _crs_same(point)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(icans_points())
@example({"ice": "unable", "loc": "unarousable"}).via("ICE 0 unarousable")
@example({"capd": 8.0, "age": 11.9}).via("CAPD band edge")
def test_icans_plain_path_equals_the_engine(point: dict[str, Any]) -> None:
    _icans_same(point)


@pytest.mark.slow
@pytest.mark.parametrize("system", list(SPELLINGS))
@_MANY
@given(data=st.data())
def test_crs_plain_path_equals_the_engine_fuzzed(system: str, data: st.DataObject) -> None:
    _crs_same(data.draw(crs_points(SPELLINGS[system])))


@pytest.mark.slow
@_MANY
@given(icans_points())
def test_icans_plain_path_equals_the_engine_fuzzed(point: dict[str, Any]) -> None:
    _icans_same(point)


def test_the_plain_path_answers_every_recognised_crs_point() -> None:
    """Not a vacuous property: generated points are answered by the plain path itself."""
    answered = [
        crs_one_time_point(temp=t, oxygen=d, flow=f, criteria=c, pressors=[a])
        for t in (37.0, 38.0)
        for d in DEVICES
        for f in (None, 6.0, 8.0)
        for c in SYSTEMS
        for a in AGENTS
    ]
    assert None not in answered


@pytest.mark.parametrize(
    "point",
    [
        {"temp": 39.0, "oxygen": "helmet"},  # not a device of the vocabulary
        {"temp": 39.0, "oxygen": "nasal_cannula", "flow": -1.0},
        {"temp": 39.0, "oxygen": "nasal_cannula", "flow": math.nan},
        {"temp": 120.0},  # implausible
        {"temp": 39.0, "temp_unit": "F"},  # a spelling the unit registry decides
        {"temp": math.inf},
        {"fio2": 10.0},
        {"sysbp": 400.0},
        {"pressors": ["0"]},  # a number where an agent belongs
        {"pressors": "norepinephrine"},  # a string, not a list of agents
        {"temp": 39.0, "criteria": "ctcae-v4.03"},  # no CRS from values in v4.03
        {"temp": 39.0, "criteria": "nonesuch"},
        {"temp": 39.0, "ambiguous": "maybe"},
    ],
    ids=repr,
)
def test_unrecognised_findings_go_to_the_engine(point: dict[str, Any]) -> None:
    assert crs_one_time_point(**point) is None
    expected = _engine(crs_timepoint_engine, point)
    if isinstance(expected, type):
        with pytest.raises(expected):
            grade_crs_timepoint(**point)
    else:
        assert grade_crs_timepoint(**point) == expected


@pytest.mark.parametrize(
    "point",
    [
        {"ice": 11.0},
        {"ice": "eleven"},
        {"capd": 33.0},
        {"loc": "sleepy"},
        {"loc": "1"},
        {"ice": 5.0, "age": 6.0},  # ICE below the CAPD age: nothing can be scored
    ],
    ids=repr,
)
def test_unrecognised_icans_findings_go_to_the_engine(point: dict[str, Any]) -> None:
    assert icans_one_time_point(**point) is None
    expected = _engine(icans_timepoint_engine, point)
    assert isinstance(expected, type)  # every one of these is an input error
    with pytest.raises(expected):
        grade_icans_timepoint(**point)


@given(st.floats(-1e300, 1e300) | st.sampled_from([math.nan, math.inf, -math.inf]))
@settings(max_examples=300)
@example(38.0005).via("half-way at the third decimal")
@example(-0.0004).via("negative zero after rounding")
def test_numbers_print_as_the_engine_prints_them(x: float) -> None:
    from aegrade.grading.onepoint import _fmt

    assert _fmt(x) == fmt_numbers(np.array([x]))[0]
