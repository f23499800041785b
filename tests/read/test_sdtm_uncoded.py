"""A blank AEDECOD in a coded AE/ADAE dataset is an uncoded AE, a blank TRTEMFL beside Y flags is
not treatment-emergent (issue 14 points 1 and 2, found rebuilding the NEST peer tables)."""

from __future__ import annotations

import pandas as pd

from aegrade.read.sdtm import ae_to_events


def test_blank_aedecod_of_a_coded_dataset_stays_uncoded() -> None:
    adae = pd.DataFrame(
        {
            "USUBJID": ["S1", "S1"],
            "AETERM": ["HEADACHE", "FEELING ODD"],
            "AEDECOD": ["Headache", ""],
            "ATOXGR": ["2", "1"],
            "ASTDY": [3, 4],
        }
    )
    out = ae_to_events(adae, None)
    assert out["term"].tolist()[0] == "Headache"
    assert pd.isna(out["term"].iloc[1])  # not the verbatim 'FEELING ODD'
    assert out["aeterm"].tolist() == ["HEADACHE", "FEELING ODD"]  # the verbatim is kept


def test_aeterm_is_the_term_when_no_record_is_coded() -> None:
    ae = pd.DataFrame({"USUBJID": ["S1"], "AETERM": ["Nausea"], "AEDECOD": [""], "AETOXGR": ["1"]})
    assert ae_to_events(ae, None)["term"].tolist() == ["Nausea"]
    no_column = pd.DataFrame({"USUBJID": ["S1"], "AETERM": ["Nausea"], "AETOXGR": ["1"]})
    assert ae_to_events(no_column, None)["term"].tolist() == ["Nausea"]


def test_blank_trtemfl_beside_y_flags_is_not_treatment_emergent() -> None:
    # ADaM OCCDS: TRTEMFL is Y or null; an AE after the sponsor's treatment-emergent window has
    # a blank flag and an onset after the first dose (it was counted by its onset day)
    adae = pd.DataFrame(
        {
            "USUBJID": ["S1", "S1", "S1"],
            "AEDECOD": ["Nausea"] * 3,
            "ATOXGR": ["1"] * 3,
            "ASTDY": [3, 200, -2],
            "TRTEMFL": ["Y", "", None],
        }
    )
    assert ae_to_events(adae, None)["teae"].tolist() == ["Y", "N", "N"]


def test_an_all_blank_trtemfl_decides_nothing() -> None:
    adae = pd.DataFrame(
        {"USUBJID": ["S1"], "AEDECOD": ["Nausea"], "ATOXGR": ["1"], "TRTEMFL": [""]}
    )
    assert ae_to_events(adae, None)["teae"].isna().all()
