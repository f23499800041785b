"""Properties of CRS/ICANS grading (hypothesis): row order never changes a grade; adding a more
severe finding never lowers one."""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aegrade.grading.syndromes import grade_crs_icans
from aegrade.read.study import load_study

FINDINGS = {
    "TEMP": [36.5, 37.9, 38.0, 39.5],
    "OXYGEN": ["room_air", "nasal_cannula", "facemask", "bipap"],
    "VASOPRESSOR": ["norepinephrine", "epinephrine", "vasopressin"],
    "HYPOTENSION": ["true", "false"],
    "SYSBP": [80.0, 120.0],
    "FIO2": [30.0, 50.0],
    "TOCILIZUMAB": ["given"],
    "ICE": [0.0, 2.0, 5.0, 8.0, 10.0],
    "CAPD": [0.0, 5.0, 12.0, "unable"],
    "LOC": ["alert", "awakens_to_voice", "unarousable"],
    "SEIZURE": ["none", "rapidly_resolving"],
}
SEVERE = [
    ("OXYGEN", "bipap", None),
    ("VASOPRESSOR", "norepinephrine", None),
    ("VASOPRESSOR", "phenylephrine", None),
    ("TEMP", 39.0, None),
    ("OXYGEN", "nasal_cannula", 10.0),
    ("ICE", 0.0, None),
    ("SEIZURE", "prolonged", None),
    ("LOC", "unarousable", None),
    ("FIO2", 60.0, None),
    ("HYPOTENSION", "true", None),
]
SYSTEMS = ["astct-2019", "lee-2014", "ctcae-v5.0"]


@st.composite
def studies(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = draw(st.integers(1, 18))
    rows = []
    for _ in range(n):
        code = draw(st.sampled_from(sorted(FINDINGS)))
        value = draw(st.sampled_from(FINDINGS[code]))
        flow = draw(st.sampled_from([None, 2.0, 6.0, 6.5])) if code == "OXYGEN" else None
        rows.append(
            {
                "subject_id": draw(st.sampled_from(["A", "B", "C"])),
                "day": draw(st.sampled_from([0.0, 0.5, 1.0, 1.5, 2.5, 4.0])),
                "parameter": code,
                "value": value,
                "unit": {"TEMP": "degC", "SYSBP": "mmHg", "FIO2": "%"}.get(code),
                "flow": flow,
            }
        )
    subjects = pd.DataFrame(
        {
            "subject_id": ["A", "B", "C"],
            "age": [draw(st.sampled_from([5, 11, 12, 40])) for _ in range(3)],
        }
    )
    return pd.DataFrame(rows), subjects


def _graded(obs: pd.DataFrame, subjects: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The subject summary and the episodes of one grading of the study."""
    res = grade_crs_icans(load_study(observations=obs, subjects=subjects), crs=SYSTEMS)
    cols = ["subject_id", "criteria", "term", "onset", "end", "grade"]
    return (
        res.subject_summary.set_index("subject_id").sort_index(),
        res.adverse_events[cols].sort_values(cols).reset_index(drop=True),
    )


def _summary(obs: pd.DataFrame, subjects: pd.DataFrame) -> pd.DataFrame:
    return _graded(obs, subjects)[0]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(studies(), st.randoms(use_true_random=False))
def test_row_order_never_changes_a_grade(data: tuple, rnd: object) -> None:
    obs, subjects = data
    shuffled = obs.sample(frac=1.0, random_state=rnd.randint(0, 10_000))  # type: ignore[attr-defined]
    # one grading of each order gives both the summary and the episodes compared
    (summary, episodes), (summary_s, episodes_s) = (
        _graded(obs, subjects),
        _graded(shuffled, subjects),
    )
    pd.testing.assert_frame_equal(summary, summary_s)
    pd.testing.assert_frame_equal(episodes, episodes_s)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(studies(), st.sampled_from(SEVERE), st.integers(0, 100))
def test_a_more_severe_finding_never_lowers_a_grade(data: tuple, extra: tuple, at: int) -> None:
    obs, subjects = data
    row = obs.iloc[at % len(obs)]
    code, value, flow = extra
    added = pd.concat(
        [
            obs,
            pd.DataFrame(
                [
                    {
                        "subject_id": row["subject_id"],
                        "day": row["day"],
                        "parameter": code,
                        "value": value,
                        "unit": {"TEMP": "degC", "FIO2": "%"}.get(code),
                        "flow": flow,
                    }
                ]
            ),
        ],
        ignore_index=True,
    )
    before, after = _summary(obs, subjects), _summary(added, subjects)
    grades = [c for c in before if "_grade_" in c]
    b = before[grades].fillna(0).astype(int)
    a = after[grades].fillna(0).astype(int)
    assert (a >= b).all().all(), (before, after)
