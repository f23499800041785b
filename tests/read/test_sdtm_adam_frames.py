"""ADaM (ADSL, ADLB, ADVS, ADAE) recognised by their variables, from files and DataFrames alike,
ADaM's BASE as the baseline, and SDTM/ADaM studies passed in memory graded as from files
(issue 10 point 7; fixture: tests/data/cdisc/README.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import aegrade
from aegrade.read.sdtm import bds_to_observations, cdisc_tables, domain_of
from aegrade.read.study import load_study, text_ids
from aegrade.tables import TableSpec, build_ae_table
from aegrade.write.adam import build_adam
from tests.conftest import DATA

CDISC = DATA / "cdisc"
SDTM = DATA / "sdtm"
ANCHOR = Path("/work/shared/anchors/pharmaverse/adlb_grading_subset.csv")


def _read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)


def test_adam_datasets_are_recognised_by_their_variables() -> None:
    assert domain_of(_read(CDISC, "adlb")) == "ADLB"
    assert domain_of(_read(CDISC, "adsl")) == "ADSL"
    assert domain_of(_read(CDISC, "adae")) == "ADAE"
    advs = pd.DataFrame(columns=["USUBJID", "PARAMCD", "AVAL", "VSSEQ"])
    assert domain_of(advs) == "ADVS"
    # an ADLB that keeps its SDTM LBTESTCD is still ADaM (BASE, ABLFL are read)
    assert domain_of(pd.DataFrame(columns=["USUBJID", "PARAMCD", "AVAL", "LBTESTCD"])) == "ADLB"
    # SDTM stays SDTM
    assert domain_of(_read(SDTM, "ae")) == "AE"
    assert domain_of(_read(SDTM, "dm")) == "DM"


def test_adlb_columns_become_observations() -> None:
    obs = bds_to_observations(_read(CDISC, "adlb"), has_dm=False)
    first = obs.iloc[0]
    assert (first["subject_id"], first["parameter"], first["unit"]) == ("01-701-1015", "ALB", "g/L")
    assert (first["value"], first["lln"], first["uln"], first["baseline"]) == (38.0, 33, 49, 38)
    assert first["day"] == -7.0  # ADY -7 (no day 0 in ADaM) stays -7
    assert obs.iloc[1]["day"] == 14.0  # ADY 15 -> aegrade day 14 (day 0 = first dose)
    assert first["ablfl"] == "Y"


def test_unit_from_param_and_specimen_from_category() -> None:
    frame = pd.DataFrame(
        {
            "USUBJID": ["S1", "S1", "S1"],
            "PARAMCD": ["PH", "PH", "K"],
            "PARAM": ["pH", "pH", "Potassium (mmol/L)"],
            "PARCAT1": ["URINALYSIS", "CHEMISTRY", "CHEMISTRY"],
            "AVAL": [6.0, 7.4, 4.1],
            "ADY": [2, 2, 2],
        }
    )
    obs = bds_to_observations(frame, has_dm=False)
    assert obs["unit"].tolist()[2] == "mmol/L"
    assert obs["specimen"].tolist()[0] == "URINE"
    assert obs["specimen"].isna().tolist()[1:] == [True, True]
    with_spec = frame.assign(LBSPEC=["URINE", "SERUM", "SERUM"])
    assert bds_to_observations(with_spec, has_dm=False)["specimen"].tolist() == [
        "URINE",
        "SERUM",
        "SERUM",
    ]


def test_adsl_treatment_start_gives_days() -> None:
    tables = cdisc_tables({"ADSL": _read(CDISC, "adsl"), "ADLB": _read(CDISC, "adlb")})
    subjects, _ = tables["subjects"]
    assert subjects["treatment_start"].tolist()[0] == "2014-01-02"
    assert subjects["arm"].tolist()[2] == "Xanomeline High Dose"
    obs, codes = tables["observations"]
    assert codes == ["ADLB"] and obs["time"].tolist()[0] == "2013-12-26"


def _equal(a: aegrade.GradeResult, b: aegrade.GradeResult) -> None:
    for name in ("graded_observations", "adverse_events", "subject_summary"):
        left, right = getattr(a, name), getattr(b, name)
        assert len(left) == len(right) > 0
        cols = [c for c in ("subject_id", "term", "grade", "grade_low", "grade_high", "onset")]
        cols = [c for c in cols if c in left]
        pd.testing.assert_frame_equal(
            left[cols].reset_index(drop=True), right[cols].reset_index(drop=True)
        )


def test_sdtm_study_as_dataframes_grades_as_from_files() -> None:
    files = aegrade.grade(load_study(SDTM), "ctcae-v4.03")
    lb, vs = _read(SDTM, "lb"), _read(SDTM, "vs")
    frames = aegrade.grade(
        load_study(subjects=_read(SDTM, "dm"), observations=lb, events=_read(SDTM, "ae")),
        "ctcae-v4.03",
    )
    # the folder also holds VS: compare the LB rows (the first 207) of files to the frame
    go_files = files.graded_observations.iloc[: len(lb)].reset_index(drop=True)
    cols = ["subject_id", "parameter", "grade_low", "grade_high", "day"]
    pd.testing.assert_frame_equal(go_files[cols], frames.graded_observations[cols])
    assert files.adverse_events.query("source == 'clinician'")["grade"].tolist() == (
        frames.adverse_events.query("source == 'clinician'")["grade"].tolist()
    )
    assert len(vs) == 7
    one = aegrade.grade(lb, "ctcae-v4.03")  # aegrade.grade(lb_df): recognised too
    go = one.graded_observations  # no DM: no study days, the LBBLFL baseline as given
    assert go["grade_low"].notna().sum() == 115 and go["grade_high"].notna().sum() == 161
    pd.testing.assert_frame_equal(
        go[["grade_low", "grade_high"]], frames.graded_observations[["grade_low", "grade_high"]]
    )


def test_adam_study_as_dataframes_grades_as_from_files() -> None:
    files = aegrade.grade(load_study(CDISC), "ctcae-v4.03")
    frames = aegrade.grade(
        load_study(
            subjects=_read(CDISC, "adsl"),
            observations=_read(CDISC, "adlb"),
            events=_read(CDISC, "adae"),
        ),
        "ctcae-v4.03",
    )
    _equal(files, frames)
    assert len(files.graded_observations) == 207
    only = aegrade.grade(_read(CDISC, "adlb"), "ctcae-v4.03")
    cols = ["subject_id", "parameter", "grade_low", "grade_high"]
    pd.testing.assert_frame_equal(files.graded_observations[cols], only.graded_observations[cols])


def test_adam_and_sdtm_of_the_same_records_grade_the_same() -> None:
    adam = aegrade.grade(load_study(CDISC), "ctcae-v4.03").graded_observations
    sdtm = aegrade.grade(load_study(SDTM), "ctcae-v4.03").graded_observations.iloc[:207]
    # PARAMCD POTAS (ADaM) and LBTESTCD K (SDTM) are one analyte
    assert (adam["parameter"] == "POTAS").sum() == (sdtm["parameter"] == "K").sum() == 23
    cols = ["subject_id", "grade_low", "grade_high", "day", "term_low", "term_high"]
    pd.testing.assert_frame_equal(
        adam[cols].reset_index(drop=True), sdtm[cols].reset_index(drop=True)
    )


def test_adam_base_is_the_baseline() -> None:
    adlb = _read(CDISC, "adlb")
    # a post-baseline record with BASE given and no record at day <= 0 of its own
    adlb = adlb[(adlb["PARAMCD"] != "CREAT") | (adlb["ABLFL"] != "Y")]
    graded = aegrade.grade(adlb, "ctcae-v4.03", errors="coerce").graded_observations
    creat = graded[graded["parameter"] == "CREAT"]
    assert len(creat) > 0
    assert not creat["reason"].astype(str).str.contains("baseline missing").any()
    assert creat["baseline"].astype(float).notna().all()


@pytest.mark.skipif(not ANCHOR.is_file(), reason="shared pharmaverse anchor not present")
def test_pharmaverse_adlb_as_it_is_uses_its_base() -> None:
    """The pharmaverse ADLB graded as it is (not hand-mapped): 2,379 creatinine rows had
    "baseline missing" when it was read as SDTM LB; read as ADaM, BASE gives every one."""
    graded = aegrade.grade(
        load_study(ANCHOR), "ctcae-v4.03", errors="coerce", crs=None, icans=None
    ).graded_observations
    creat = graded[graded["parameter"].astype(str) == "CREAT"]
    assert len(creat) == 2518
    assert creat["reason"].astype(str).str.contains("baseline missing").sum() == 0


def test_meddra_coded_adae_builds_its_table() -> None:
    result = aegrade.grade(load_study(CDISC), "ctcae-v4.03")
    ae = result.adverse_events.query("source == 'clinician'").reset_index(drop=True)
    assert ae["term"].tolist() == ["Headache", "Pneumonia", "Pyrexia", "Sepsis"]
    assert ae["coding"].tolist() == ["ctcae", "meddra", "meddra", "ctcae"]
    assert ae["grade"].tolist() == [2, 3, 1, 5]
    assert ae["soc"].tolist()[1] == "Infections and infestations"
    assert ae["meddra_code"].tolist()[1] == "10035664"
    assert ae["teae"].tolist() == ["Y", "Y", "N", "Y"]
    table = build_ae_table(result.adverse_events, result.subjects)
    cells = table.cells.set_index(["row", "column"])
    assert cells.loc[("Pneumonia", "Grade >= 3"), "n"] == 1
    # Pyrexia began before treatment (TRTEMFL N): not counted, and the table says so (issue 14)
    assert "Pyrexia" not in set(table.cells["row"])
    assert "1 AE record(s) with onset before treatment start" in " ".join(table.notes)
    all_events = build_ae_table(
        result.adverse_events, result.subjects, TableSpec(teae=False)
    ).cells.set_index(["row", "column"])
    assert all_events.loc[("Pyrexia", "Any grade"), "n"] == 1
    assert cells.loc[("Sepsis", "Grade >= 3"), "n"] == 1
    assert int(cells.loc[("Pneumonia", "Any grade"), "N"]) == 3


def test_adam_output_days_and_codes() -> None:
    adam = build_adam(aegrade.grade(load_study(CDISC), "ctcae-v4.03"))
    adlb, adae = adam["adlb"], adam["adae"]
    src = _read(CDISC, "adlb")
    # ADY out is ADaM's ADY in (the study day round trip has no day 0)
    assert adlb["ADY"].tolist() == src["ADY"].astype(float).tolist()
    assert 0 not in adlb["ADY"].tolist()
    clin = adae[adae["SRCDOM"] == "AE"].reset_index(drop=True)
    assert str(clin["AEPTCD"].dtype) == "Int64"
    assert clin["AEPTCD"].tolist()[:3] == [10019211, 10035664, 10037660]
    assert clin["ASTDY"].tolist() == [3.0, 9.0, -2.0, 4.0]
    assert clin["TRTEMFL"].tolist() == ["Y", "Y", "N", "Y"]
    assert clin["CODING"].tolist() == ["ctcae", "meddra", "meddra", "ctcae"]


def test_user_columns_named_like_outputs_are_kept() -> None:
    obs = pd.DataFrame(
        {
            "subject_id": ["S1", "S1"],
            "day": [0, 5],
            "parameter": ["PLAT", "PLAT"],
            "value": [200, 40],
            "unit": ["10^9/L"] * 2,
            "lln": [150] * 2,
            "uln": [400] * 2,
            "reason": ["screening", "visit 2"],
            "review": ["done", "pending"],
            "criteria": ["protocol A", "protocol A"],
        }
    )
    go = aegrade.grade(obs, "ctcae-v5.0").graded_observations
    assert go["input_reason"].tolist() == ["screening", "visit 2"]
    assert go["input_review"].tolist() == ["done", "pending"]
    assert go["input_criteria"].tolist() == ["protocol A", "protocol A"]
    assert go["criteria"].astype(str).tolist() == ["ctcae-v5.0", "ctcae-v5.0"]
    assert go["grade_low"].tolist() == [0, 3]


def test_subject_ids_are_compared_as_trimmed_text() -> None:
    assert text_ids(pd.Series([101, 101.0, "101", " 101 ", "S1 ", "S1", np.nan])).tolist() == [
        "101",
        "101",
        "101",
        "101",
        "S1",
        "S1",
        pd.NA,
    ]
    subjects = pd.DataFrame({"subject_id": [101, 102], "arm": ["A", "B"]})
    obs = pd.DataFrame(
        {
            "subject_id": ["101", "102 ", "101"],
            "day": [0, 3, 5],
            "parameter": ["PLAT"] * 3,
            "value": [200, 20, 40],
            "unit": ["10^9/L"] * 3,
            "lln": [150] * 3,
            "uln": [400] * 3,
        }
    )
    events = pd.DataFrame({"subject_id": [101.0], "term": ["Nausea"], "grade": [2], "onset": [4]})
    result = aegrade.grade(load_study(obs, subjects=subjects, events=events), "ctcae-v5.0")
    assert result.subject_summary["subject_id"].tolist() == ["101", "102"]
    assert len(result.subject_summary) == 2
    table = build_ae_table(result.adverse_events, result.subjects, by="arm")
    cells = table.cells.set_index(["row", "arm", "column"])
    assert cells.loc[("Platelet count decreased", "A", "Any grade"), "n"] == 1
    assert cells.loc[("Platelet count decreased", "B", "Grade >= 3"), "n"] == 1
    assert cells.loc[("Nausea", "A", "Any grade"), "n"] == 1


def test_ae_dates_without_dm_use_the_subjects_table() -> None:
    subjects = pd.DataFrame({"subject_id": ["S1"], "treatment_start": ["2024-03-01"]})
    ae = pd.DataFrame(
        {
            "USUBJID": ["S1", "S1"],
            "AEDECOD": ["Nausea", "Nausea"],
            "AETOXGR": ["2", "1"],
            "AESTDTC": ["2024-03-05", "2024-02-27"],
        }
    )
    obs = pd.DataFrame({"subject_id": ["S1"], "day": [0], "parameter": ["TEMP"], "value": [37]})
    study = load_study(obs.assign(unit="C"), subjects=subjects, events=ae)
    assert study.events.frame["onset"].tolist() == [4.0, -3.0]
    ae = aegrade.grade(study, "ctcae-v5.0").adverse_events.query("source == 'clinician'")
    assert ae["teae"].tolist() == ["Y", "N"]


def test_unreadable_ae_date_is_named() -> None:
    dm = pd.DataFrame({"USUBJID": ["S1"], "ARM": ["A"], "RFSTDTC": ["2024-03-01"]})
    ae = pd.DataFrame(
        {"USUBJID": ["S1"], "AEDECOD": ["Nausea"], "AETOXGR": ["2"], "AESTDTC": ["2024-13-45"]}
    )
    obs = pd.DataFrame({"subject_id": ["S1"], "day": [0], "parameter": ["TEMP"], "value": [37]})
    study = load_study(obs.assign(unit="C"), subjects=dm, events=ae)
    problems = study.failures
    assert problems[["row", "column", "check"]].values.tolist() == [[0, "onset", "unreadable_day"]]


def test_advs_temperature_is_graded() -> None:
    advs = pd.DataFrame(
        {
            "USUBJID": ["S1", "S1"],
            "PARAMCD": ["TEMP", "TEMP"],
            "PARAM": ["Temperature (C)", "Temperature (C)"],
            "AVAL": [36.9, 39.4],
            "ADY": [-1, 3],
            "VSSEQ": [1, 2],
        }
    )
    assert domain_of(advs) == "ADVS"
    go = aegrade.grade(advs, "ctcae-v5.0").graded_observations
    assert go["unit"].tolist() == ["C", "C"]
    assert go["day"].tolist() == [-1.0, 2.0]
    assert go["grade_high"].tolist() == [0, 2]


def test_event_dates_find_the_start_of_a_numeric_subject_id() -> None:
    subjects = pd.DataFrame({"subject_id": [101, 102], "treatment_start": ["2024-03-01"] * 2})
    events = pd.DataFrame(
        {
            "subject_id": [101.0, np.nan, 102.0],
            "term": ["Nausea"] * 3,
            "grade": [1, 1, 2],
            "onset": ["2024-03-03", 1, "2024-03-02"],
        }
    ).astype({"subject_id": float})
    obs = pd.DataFrame({"subject_id": ["101 "], "day": [0], "parameter": ["TEMP"], "value": [37]})
    study = load_study(obs.assign(unit="C"), subjects=subjects, events=events)
    assert study.events.frame["subject_id"].tolist() == ["101", pd.NA, "102"]
    assert study.events.frame["onset"].tolist() == [2.0, 1.0, 1.0]
    assert study.observations.frame["subject_id"].tolist() == ["101"]


def test_ablfl_gives_the_baseline_where_base_is_absent() -> None:
    advs = pd.DataFrame(
        {
            "USUBJID": ["S1", "S1", "S1", "S2"],
            "PARAMCD": ["TEMP"] * 4,
            "AVAL": [36.5, 37.0, 39.4, 36.8],
            "AVALU": ["C"] * 4,
            "ABLFL": ["", "Y", "", ""],
            "ADY": [-3, -1, 3, 2],
            "VSSEQ": [1, 2, 3, 4],
        }
    )
    obs = bds_to_observations(advs, has_dm=False)
    assert obs["baseline"].tolist()[:3] == [37.0, 37.0, 37.0]
    assert np.isnan(obs["baseline"].tolist()[3])
    no_flag = bds_to_observations(advs.drop(columns="ABLFL"), has_dm=False)
    assert "baseline" not in no_flag
