"""A blank AEDECOD in a coded AE/ADAE dataset is an uncoded AE (issue 14 point 1)."""

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
