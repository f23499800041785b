"""CRS/ICANS engine: episodes, audit trail, options, grade 5, errors (aegrade.grading.syndromes)."""

from __future__ import annotations

import pandas as pd
import pytest

from aegrade.criteria import load_crs_icans_criteria
from aegrade.errors import InputError, UnknownCriteriaError
from aegrade.grading.syndromes import grade_crs_icans
from aegrade.read.study import load_study


def _obs(rows: list[tuple]) -> pd.DataFrame:
    cols = ["subject_id", "day", "parameter", "value", "unit", "flow"]
    return pd.DataFrame([r + (None,) * (len(cols) - len(r)) for r in rows], columns=cols)


COURSE = _obs(
    [
        ("S1", 1.2, "TEMP", 38.6, "degC"),
        ("S1", 2.1, "OXYGEN", "nasal_cannula", None, 8),
        ("S1", 2.5, "TOCILIZUMAB", "given"),
        ("S1", 3.0, "TEMP", 37.1, "degC"),
        ("S1", 3.0, "OXYGEN", "nasal_cannula", None, 2),
        ("S1", 10.0, "TEMP", 38.2, "degC"),
        ("S2", 1.0, "TEMP", 37.0, "degC"),
    ]
)


def test_episodes_onset_end_duration_and_time_to_onset() -> None:
    res = grade_crs_icans(COURSE, icans=None)
    ae = res.adverse_events
    assert ae[["subject_id", "grade", "onset", "end"]].to_dict("records") == [
        {"subject_id": "S1", "grade": 3, "onset": 1.2, "end": 3.0},
        {"subject_id": "S1", "grade": 1, "onset": 10.0, "end": 10.0},
    ]
    assert ae["time_to_onset"].tolist() == [1.2, 10.0]
    assert ae["duration"].round(9).tolist() == [1.8, 0.0]
    assert ae["resolved_day"].iloc[0] == 4.0  # 24 h after the last finding, seen in follow-up
    assert pd.isna(ae["resolved_day"].iloc[1])  # no follow-up after day 10
    assert set(ae["term"]) == {"Cytokine release syndrome"}
    assert set(ae["criteria"]) == {"astct-2019"}
    assert ae["rule"].iloc[0] == "astct-2019/crs/hypoxia/3"
    assert ae["reason"].iloc[0] == (
        "grade 3: nasal cannula 8 L/min at day 2.1 (hypoxia tier 3, astct-2019)"
    )


def test_subject_summary_zero_when_assessed_na_when_not() -> None:
    obs = pd.concat([COURSE, _obs([("S3", 1.0, "ICE", 10)])], ignore_index=True)
    s = grade_crs_icans(obs).subject_summary.set_index("subject_id")
    assert s.loc["S1", "crs_grade_astct-2019"] == 3
    assert s.loc["S2", "crs_grade_astct-2019"] == 0
    assert pd.isna(s.loc["S3", "crs_grade_astct-2019"])
    assert s.loc["S3", "icans_grade_astct-2019"] == 0
    assert pd.isna(s.loc["S1", "icans_grade_astct-2019"])


def test_explain_trail_names_the_finding_and_treatment() -> None:
    ex = grade_crs_icans(COURSE, icans=None).explain
    s1 = ex[ex["subject_id"] == "S1"].set_index("day")["text"]
    assert s1[1.2] == (
        "grade 1: temperature 38.6 degC at day 1.2 (fever, astct-2019); "
        "episode onset (fever >= 38 degC)"
    )
    assert s1[3.0] == "grade 2: nasal cannula 2 L/min at day 3 (hypoxia tier 2, astct-2019)"
    assert s1[2.5] == (
        "grade 1: no fever, hypotension or hypoxia at day 2.5; fever settled "
        "after tocilizumab (day 2.5) (episode active, astct-2019)"
    )
    assert ex[ex["subject_id"] == "S1"]["episode"].tolist() == [1, 1, 1, 1, 2]


def test_sysbp_threshold_option_and_trace() -> None:
    obs = _obs([("S1", 1.0, "TEMP", 38.5, "degC"), ("S1", 1.0, "SYSBP", 95, "mmHg")])
    assert grade_crs_icans(obs, icans=None).adverse_events["grade"].tolist() == [1]
    res = grade_crs_icans(obs, icans=None, sysbp_threshold=100)
    assert res.adverse_events["grade"].tolist() == [2]
    assert "SYSBP 95 mmHg (below the 100 mmHg sysbp_threshold option)" in res.explain["text"][0]
    low = _obs([("S1", 1.0, "TEMP", 38.5, "degC"), ("S1", 1.0, "SYSBP", 70, "mmHg")])
    assert grade_crs_icans(low, icans=None, sysbp_threshold=0).adverse_events["grade"].tolist() == [
        1
    ]


def test_episode_gap_option() -> None:
    obs = _obs([("S1", 1.0, "TEMP", 38.5, "degC"), ("S1", 2.5, "OXYGEN", "bipap")])
    assert grade_crs_icans(obs, icans=None).adverse_events["grade"].tolist() == [1]
    res = grade_crs_icans(obs, icans=None, episode_gap_hours=48)
    assert res.adverse_events[["grade", "end"]].values.tolist() == [[4, 2.5]]


def test_not_crs_is_explained() -> None:
    obs = _obs([("S1", 1.0, "HYPOTENSION", "true"), ("S1", 1.0, "TEMP", 37.0, "degC")])
    res = grade_crs_icans(obs, icans=None)
    assert res.adverse_events.empty
    assert res.explain["text"].tolist() == [
        "not CRS: hypotension, no vasopressor at day 1 outside any CRS episode "
        "(no fever before it, astct-2019)"
    ]
    assert res.explain["rule"].tolist() == ["astct-2019/crs/not_crs/0"]


def test_grade5_from_death_cause() -> None:
    subjects = pd.DataFrame(
        {
            "subject_id": ["S1", "S2", "S3"],
            "death_day": [3.5, 4.0, None],
            "death_cause": ["CRS", "ICANS", None],
        }
    )
    study = load_study(observations=COURSE, subjects=subjects)
    res = grade_crs_icans(study)
    ae = res.adverse_events
    crs = ae[ae["term"] == "Cytokine release syndrome"]
    assert crs["grade"].tolist() == [5, 1]  # the episode running at death becomes grade 5
    assert crs["end"].tolist()[0] == 3.5
    icans = ae[ae["term"] != "Cytokine release syndrome"]
    assert icans[["subject_id", "grade", "onset"]].values.tolist() == [["S2", 5, 4.0]]
    s = res.subject_summary.set_index("subject_id")
    assert s.loc["S1", "crs_grade_astct-2019"] == 5
    assert s.loc["S2", "icans_grade_astct-2019"] == 5
    assert pd.isna(s.loc["S3", "icans_grade_astct-2019"])


def test_several_systems_side_by_side_never_converted() -> None:
    obs = _obs(
        [
            ("S1", 1.0, "TEMP", 38.5, "degC"),
            ("S1", 1.0, "VASOPRESSOR", "norepinephrine"),
            ("S1", 1.0, "VASOPRESSOR", "vasopressin"),
        ]
    )
    res = grade_crs_icans(obs, crs=["astct-2019", "lee-2014", "ctcae"], icans=None)
    s = res.subject_summary.iloc[0]
    assert (s["crs_grade_astct-2019"], s["crs_grade_lee-2014"], s["crs_grade_ctcae-v5.0"]) == (
        3,
        3,
        4,
    )
    assert sorted(res.adverse_events["criteria"]) == ["astct-2019", "ctcae-v5.0", "lee-2014"]


def test_lee_organ_toxicity_from_ctcae_labs() -> None:
    obs = pd.DataFrame(
        {
            "subject_id": ["S1"] * 4,
            "day": [1.0, 1.5, 1.5, 2.0],
            "parameter": ["TEMP", "CREAT", "ALT", "OXYGEN"],
            "value": [38.5, 4.0, 25 * 40, "nasal_cannula"],
            "unit": ["degC", "mg/dL", "U/L", None],
            "uln": [None, 1.0, 40, None],
        }
    )
    res = grade_crs_icans(obs, crs="lee-2014", icans=None)
    # creatinine 4 x ULN = CTCAE grade 3 -> Lee 3; ALT 25 x ULN = CTCAE grade 4 transaminitis -> 3
    assert res.adverse_events["grade"].tolist() == [3]
    assert res.adverse_events["reason"][0] == (
        "grade 3: Creatinine increased grade 3 (ctcae-v5.0) at day 1.5 (organ toxicity tier 3, "
        "lee-2014)"
    )


def test_ctcae_v403_crs_is_refused_with_reason() -> None:
    with pytest.raises(UnknownCriteriaError, match="clinician event"):
        grade_crs_icans(COURSE, crs="ctcae-v4.03")


def test_unknown_word_raises_or_is_coerced() -> None:
    obs = _obs(
        [
            ("S1", 1.0, "TEMP", 38.5, "degC"),
            ("S1", 1.0, "OXYGEN", "spaceship"),
            ("S1", 1.0, "TEMP", 38.5, None),
        ]
    )
    with pytest.raises(InputError) as err:
        grade_crs_icans(obs)
    assert sorted(err.value.failures["check"]) == ["missing_unit", "not_a_number"]
    res = grade_crs_icans(obs, errors="coerce")
    assert res.adverse_events["grade"].tolist() == [1]
    assert len(res.issues) == 2


def test_input_is_not_mutated() -> None:
    before = COURSE.copy()
    grade_crs_icans(COURSE)
    pd.testing.assert_frame_equal(COURSE, before)


def test_criteria_files_validate_and_cite() -> None:
    for cid in ("astct-2019", "lee-2014", "ctcae-v5.0-crs"):
        c = load_crs_icans_criteria(cid)
        assert c.citation and c.source_url.startswith("https://")
        assert c.notes
    assert load_crs_icans_criteria("ctcae-v5.0-crs").output_id == "ctcae-v5.0"
    assert any("v4.03" in n for n in load_crs_icans_criteria("ctcae-v5.0-crs").notes)
