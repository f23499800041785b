from __future__ import annotations

import pandas as pd
import pytest

from aegrade import InputError, grade
from aegrade.tables import build_patient_listing
from tests.tables._frames import CRS, ICANS, NEUT


def test_qi_table2_layout(table3_ae, subjects30):
    obs = pd.DataFrame(
        {
            "subject_id": ["P01", "P01", "P02"],
            "parameter": ["IL6", "il6", "IL6"],
            "value": [5.2, 1250.0, 40.0],
        }
    )
    t = build_patient_listing(table3_ae, subjects30, observations=obs)
    assert t.stub_header == "Patient"
    assert t.columns == (
        "Neutropenia",
        "Anemia",
        "Thrombocytopenia",
        "CRS",
        "ICANS",
        "IL-6 range (pg/mL)",
        "best_response",
    )
    body = {r[0]: list(r[1:]) for r in t.body}
    assert len(body) == 30
    assert body["P01"] == ["4", "0", "0", "3", "0", "5.2-1250", "CR"]
    assert body["P05"][4] == "5"
    assert body["P28"][0] == "2"
    assert body["P30"] == ["0", "0", "0", "0", "0", "NA", "NR"]
    assert "ASTCT 2019" in " ".join(t.footnotes)


def test_il6_from_subject_summary_and_explicit_response_columns(table3_ae, subjects30):
    summary = pd.DataFrame({"subject_id": ["P01"], "il6_baseline": [3.0], "il6_peak": [88.5]})
    subj = subjects30.assign(mrd=["neg"] * 30)
    t = build_patient_listing(table3_ae, subj, subject_summary=summary, response_columns=["mrd"])
    assert t.columns[-2:] == ("IL-6 range (pg/mL)", "mrd")
    assert t.body[0][-2:] == ("3-88.5", "neg")


def test_listing_frame_passed_through(subjects30):
    listing = pd.DataFrame({"subject_id": ["P01", "P02"], "CRS": [2, 0], "Neutropenia": [4, 3]})
    t = build_patient_listing(subjects=subjects30, listing=listing)
    assert t.columns == ("CRS", "Neutropenia", "best_response")
    assert t.body == (("P01", "2", "4", "CR"), ("P02", "0", "3", "CR"))


def test_crs_prefers_astct_when_two_systems(table3_ae, subjects30):
    extra = table3_ae[table3_ae["term"] == CRS].iloc[:1].assign(criteria="lee-2014", grade=4)
    t = build_patient_listing(pd.concat([table3_ae, extra]), subjects30)
    assert t.body[0][4] == "3"
    assert {NEUT, ICANS}  # terms used by the listing columns


def test_il6_range_keeps_the_precision_of_the_input():
    """(issue 14 point 5) 162.5 printed as 162; values keep their decimals (at most 3)."""
    ae = pd.DataFrame(
        {"subject_id": ["1"], "term": ["Anemia"], "criteria": ["ctcae-v5.0"], "grade": [1]}
    )
    obs = pd.DataFrame(
        {
            "subject_id": ["1", "1", "2", "2"],
            "parameter": ["IL6", "IL6", "IL6", "IL6"],
            "value": [4.25, 162.5, 40.0, 1234.0],
        }
    )
    subjects = pd.DataFrame({"subject_id": ["1", "2"]})
    listing = build_patient_listing(ae, subjects, observations=obs).to_frame()
    assert listing["IL-6 range (pg/mL)"].tolist() == ["4.25-162.5", "40-1234"]


def _crs_records() -> pd.DataFrame:
    """Patient 1: clinician CTCAE v4.03 CRS grade 2 and a derived ASTCT grade 1; patient 2:
    a derived ASTCT grade 3 only; patient 3: a clinician grade 1 only."""
    return pd.DataFrame(
        {
            "subject_id": ["1", "1", "2", "3"],
            "term": [CRS, CRS, CRS, CRS],
            "criteria": ["ctcae-v4.03", "astct-2019", "astct-2019", "ctcae-v4.03"],
            "grade": [2, 1, 3, 1],
            "source": ["clinician", "derived", "derived", "clinician"],
        }
    )


def test_listing_crs_takes_the_clinician_grade_per_patient():
    """(issue 14 point 6) once any patient had an ASTCT grade, clinician grades became 0."""
    subjects = pd.DataFrame({"subject_id": ["1", "2", "3"]})
    t = build_patient_listing(_crs_records(), subjects).to_frame()
    assert t["CRS"].tolist() == ["2", "3", "1"]


def test_listing_can_prefer_the_derived_grade():
    subjects = pd.DataFrame({"subject_id": ["1", "2", "3"]})
    t = build_patient_listing(_crs_records(), subjects, prefer="derived").to_frame()
    assert t["CRS"].tolist() == ["1", "3", "1"]


def _lineage_study(tmp_path):
    """Patient 1: anemia grade 3 already at baseline (no episode worse than baseline) and a
    grade 4 ANC; patient 2: anemia grade 2 after a normal baseline; patient 3: no values."""

    def o(s, d, p, v, u, lo, hi):  # type: ignore[no-untyped-def]
        return {
            "subject_id": s,
            "day": d,
            "parameter": p,
            "value": v,
            "unit": u,
            "lln": lo,
            "uln": hi,
        }

    folder = tmp_path / "study"
    folder.mkdir()
    pd.DataFrame(
        [
            o("1", 0, "HGB", 7.5, "g/dL", 12, 16),
            o("1", 7, "HGB", 7.6, "g/dL", 12, 16),
            o("2", 0, "HGB", 13.0, "g/dL", 12, 16),
            o("2", 7, "HGB", 9.5, "g/dL", 12, 16),
            o("1", 7, "NEUT", 0.4, "10^9/L", 1.8, 7.5),
        ]
    ).to_csv(folder / "observations.csv", index=False)
    pd.DataFrame({"subject_id": ["1", "2", "3"]}).to_csv(folder / "subjects.csv", index=False)
    return grade(folder)


def test_lineage_grades_read_as_listing_csv_and_missing_stays_missing(tmp_path):
    """(issue 14 point 6) the listing showed Anemia 0 for patient 1 while listing.csv showed
    3, and a patient never assessed showed 0."""
    r = _lineage_study(tmp_path)
    t = build_patient_listing(
        r.adverse_events,
        r.subjects,
        observations=r.graded_observations,
        subject_summary=r.subject_summary,
    ).to_frame()
    assert t["Anemia"].tolist() == ["3", "2", "NA"]
    assert t["Neutropenia"].tolist() == ["4", "NA", "NA"]  # no ANC for 2 and 3: not 0
    assert t["CRS"].tolist() == ["NA", "NA", "NA"]  # no CRS assessment at all
    csv = r.extras["listing"].set_index("subject_id")["hemoglobin_worst_grade"]
    assert csv.astype("string").fillna("NA").tolist() == t["Anemia"].tolist()
    # Without subject_summary the AE records decide; still NA where never assessed.
    t2 = build_patient_listing(r.adverse_events, r.subjects, observations=r.graded_observations)
    assert t2.to_frame()["Neutropenia"].tolist() == ["4", "NA", "NA"]
    assert t2.to_frame()["Anemia"].tolist() == ["0", "2", "NA"]  # graded, no episode


def test_a_clinician_grade_wins_over_the_lineage_grade(tmp_path):
    r = _lineage_study(tmp_path)
    clin = pd.DataFrame(
        {"subject_id": ["1"], "term": ["Anemia"], "grade": [2], "source": ["clinician"]}
    )
    ae = pd.concat([r.adverse_events, clin], ignore_index=True)
    kw = {"observations": r.graded_observations, "subject_summary": r.subject_summary}
    t = build_patient_listing(ae, r.subjects, **kw).to_frame()
    assert t["Anemia"].tolist() == ["2", "2", "NA"]
    t = build_patient_listing(ae, r.subjects, prefer="derived", **kw).to_frame()
    assert t["Anemia"].tolist() == ["3", "2", "NA"]


def test_a_clinician_icans_grade_is_accepted_and_listed(tmp_path):
    """(issue 14 point 6) an events row 'Immune effector cell-associated neurotoxicity
    syndrome' (no CTCAE term) was an unknown-term error; it is an ASTCT 2019 grade."""
    folder = tmp_path / "study"
    folder.mkdir()
    pd.DataFrame(
        {
            "subject_id": ["1"],
            "day": [3.0],
            "parameter": ["NEUT"],
            "value": [0.4],
            "unit": ["10^9/L"],
            "lln": [1.8],
            "uln": [7.5],
        }
    ).to_csv(folder / "observations.csv", index=False)
    pd.DataFrame(
        {"subject_id": ["1", "2"], "term": [ICANS, "ICANS"], "grade": [3, 2], "onset": [5, 4]}
    ).to_csv(folder / "events.csv", index=False)
    pd.DataFrame({"subject_id": ["1", "2", "3"]}).to_csv(folder / "subjects.csv", index=False)
    r = grade(folder)
    icans = r.adverse_events[r.adverse_events["term"] == ICANS]
    assert icans["grade"].tolist() == [3, 2]
    assert icans["criteria"].tolist() == ["astct-2019", "astct-2019"]
    assert icans["coding"].tolist() == ["astct", "astct"]
    t = build_patient_listing(r.adverse_events, r.subjects, subject_summary=r.subject_summary)
    assert t.to_frame()["ICANS"].tolist()[:2] == ["3", "2"]
    pd.DataFrame({"subject_id": ["1"], "term": [ICANS], "grade": [6]}).to_csv(
        folder / "events.csv", index=False
    )
    with pytest.raises(InputError, match="row 2"):
        grade(folder)
