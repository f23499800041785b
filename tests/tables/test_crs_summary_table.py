from __future__ import annotations

import pandas as pd
import pytest

from aegrade.tables import build_crs_icans_summary
from aegrade.tables.crs_summary import format_median_range
from tests.tables._frames import CRS, ICANS, ae_frame


@pytest.fixture
def crs_ae():
    ae = ae_frame(
        [
            ("1", CRS, "astct-2019", 1, 1.0),
            ("2", CRS, "astct-2019", 3, 2.0),
            ("3", CRS, "astct-2019", 2, 3.0),
            ("3", CRS, "astct-2019", 1, 10.0),
            ("4", ICANS, "astct-2019", 2, 5.0),
            ("4", CRS, "lee-2014", 4, 4.0),
            ("5", "Anemia", "ctcae-v5.0", 3, 1.0),
        ]
    )
    ae["end"] = ae["onset"] + [2, 4, 2, 1, 2, 3, 1]
    ae["duration"] = ae["end"] - ae["onset"]
    return ae


@pytest.fixture
def subjects():
    return pd.DataFrame({"subject_id": ["1", "2", "3", "4", "5", "6"], "arm": list("AAABBB")})


def rows(table):
    return {r[0]: list(r[1:]) for r in table.body}


def test_incidence_onset_duration_per_system(crs_ae, subjects):
    obs = pd.DataFrame(
        {
            "subject_id": ["1", "2", "2", "4", "6"],
            "parameter": [
                "TOCILIZUMAB",
                "tocilizumab",
                "CORTICOSTEROID",
                "CORTICOSTEROID",
                "TOCILIZUMAB",
            ],
            "value": ["given", "8", "no", "10 mg", "0"],
        }
    )
    t = build_crs_icans_summary(crs_ae, subjects, obs, by="arm")
    assert t.columns == ("A (N = 3)", "B (N = 3)", "Total (N = 6)")
    assert [r[0] for r in t.body if t.emphasis[t.body.index(r)]] == [
        "CRS (ASTCT 2019)",
        "CRS (Lee 2014)",
        "ICANS (ASTCT 2019)",
        "Treatment",
    ]
    body = t.body
    i = [r[0] for r in body].index("CRS (ASTCT 2019)")
    block = {r[0]: list(r[1:]) for r in body[i + 1 : i + 5]}
    assert block["Any grade, n (%)"] == ["3 (100.0)", "0", "3 (50.0)"]
    assert block["Grade >= 3, n (%)"] == ["1 (33.3)", "0", "1 (16.7)"]
    # first onsets 1, 2, 3 days; durations 2, 4 and 2 + 1 = 3 days
    # one decimal rule for every median and range (issue 14 point 5): was "2 (1-3)"
    assert block["Time to onset, days, median (range)"] == ["2.0 (1.0-3.0)", "NA", "2.0 (1.0-3.0)"]
    assert block["Duration, days, median (range)"] == ["3.0 (2.0-4.0)", "NA", "3.0 (2.0-4.0)"]
    j = [r[0] for r in body].index("CRS (Lee 2014)")
    assert list(body[j + 2][1:]) == ["0", "1 (33.3)", "1 (16.7)"]
    r = rows(t)
    assert r["Tocilizumab, n (%)"] == ["2 (66.7)", "0", "2 (33.3)"]
    assert r["Corticosteroids, n (%)"] == ["0", "1 (33.3)", "1 (16.7)"]
    assert "ASTCT 2019" in " ".join(t.footnotes) and "Lee 2014" in " ".join(t.footnotes)


def test_time_to_onset_column_preferred(crs_ae, subjects):
    ae = crs_ae.assign(time_to_onset=crs_ae["onset"] + 0.5)
    t = build_crs_icans_summary(ae, subjects)
    first = next(r for r in t.body if r[0] == "Time to onset, days, median (range)")
    assert first[1] == "2.5 (1.5-3.5)"  # CRS (ASTCT 2019), the first block


def test_ard_carries_counts_and_medians(crs_ae, subjects):
    ard = build_crs_icans_summary(crs_ae, subjects).ard
    any_grade = ard[ard["row"] == "CRS (ASTCT 2019) / Any grade, n (%)"].iloc[0]
    assert (any_grade["n"], any_grade["N"]) == (3, 6)
    assert any_grade["percent"] == pytest.approx(50.0)
    onset = ard[ard["row"] == "CRS (ASTCT 2019) / Time to onset, days, median (range)"].iloc[0]
    assert (onset["median"], onset["min"], onset["max"], onset["n"]) == (2.0, 1.0, 3.0, 3)


def test_no_crs_rows_gives_empty_body(subjects):
    ae = ae_frame([("1", "Anemia", "ctcae-v5.0", 3, 1.0)])
    assert build_crs_icans_summary(ae, subjects).body == ()


def test_median_range_format():
    assert format_median_range([1, 2, 10]) == "2.0 (1.0-10.0)"  # was "2 (1-10)": one rule
    assert format_median_range([0.75, 0.5, 2]) == "0.8 (0.5-2.0)"  # the "0.8 (0.5-2)"
    assert format_median_range([1, 1]) == "1.0 (1.0-1.0)"  # the "1 (1-1)"
    assert format_median_range([1.5, 2.0]) == "1.8 (1.5-2.0)"
    assert format_median_range([]) == "NA"


def test_premedication_outside_episodes_is_not_treatment(crs_ae, subjects):
    # patient 1: CRS days 1-3; steroid premedication at day -0.04 and tocilizumab on day 2
    obs = pd.DataFrame(
        {
            "subject_id": ["1", "1", "5"],
            "day": [-0.04, 2.0, 1.0],
            "parameter": ["CORTICOSTEROID", "TOCILIZUMAB", "CORTICOSTEROID"],
            "value": ["given"] * 3,
        }
    )
    body = {r[0]: list(r[1:]) for r in build_crs_icans_summary(crs_ae, subjects, obs).body}
    assert body["Tocilizumab, n (%)"] == ["1 (16.7)"]
    assert body["Corticosteroids, n (%)"] == ["0"]  # patient 5 has no CRS/ICANS episode


@pytest.mark.parametrize(
    ("word", "count", "named"), [("absent", "0", False), ("given", "1 (100.0)", True)]
)
def test_treatment_words_mean_what_the_engine_reads(word, count, named):
    # regression: 'absent' tocilizumab rows were counted as treatment while the CRS trace, which
    # reads the same words (aegrade.criteria.vocabulary), names no tocilizumab
    from aegrade.grading.syndromes import grade_crs_icans

    obs = pd.DataFrame(
        {
            "subject_id": ["1"] * 4,
            "day": [1.0, 1.5, 1.5, 2.0],
            "parameter": ["TEMP", "TEMP", "TOCILIZUMAB", "OXYGEN"],
            "value": [38.5, 37.0, word, "nasal_cannula"],
            "unit": ["degC", "degC", None, None],
        }
    )
    res = grade_crs_icans(obs, icans=None)
    assert ("after tocilizumab" in " ".join(res.explain["text"])) is named
    body = {r[0]: list(r[1:]) for r in build_crs_icans_summary(res.adverse_events, None, obs).body}
    assert body["Tocilizumab, n (%)"] == [count]


@pytest.mark.parametrize(
    ("day", "window", "count"),
    [
        (3.0, 0.0, "1 (16.7)"),  # at the episode's end
        (3.5, 0.0, "0"),  # after it, with no window
        (4.0, 1.0, "1 (16.7)"),  # end + 1 day: the default window's edge is inside
        (4.01, 1.0, "0"),  # just past it
    ],
)
def test_treatment_window_after_the_episode_end(crs_ae, subjects, day, window, count):
    # patient 1: CRS episode days 1-3
    obs = pd.DataFrame(
        {"subject_id": ["1"], "day": [day], "parameter": ["TOCILIZUMAB"], "value": ["given"]}
    )
    table = build_crs_icans_summary(crs_ae, subjects, obs, treatment_window_days=window)
    body = {r[0]: list(r[1:]) for r in table.body}
    assert body["Tocilizumab, n (%)"] == [count]
