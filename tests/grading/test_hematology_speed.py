"""The hematology speed-ups give what the plain code gave: the parameter lookup is
``np.isin``, the rows by parameter keep their order, and ICAHT reading the ANC rows already
gathered (no clock times) equals ICAHT on freshly gathered rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import aegrade.grading.hematology as hematology
from aegrade.grading.hematology import summarize_hematology


@pytest.mark.parametrize("seed", [0, 1])
def test_member_is_isin(seed: int) -> None:
    rng = np.random.default_rng(seed)
    param_index = rng.integers(-1, 12, 3000)
    for wanted in ([], [0], [3, 7, 11], list(range(12))):
        got = hematology._member(param_index, wanted, 12)
        assert got.tolist() == np.isin(param_index, wanted).tolist()


def _study(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 1500
    params = np.array(["NEUT", "TEMP", "PLAT", "HGB", "CRP", "FERRITIN", "ALT"], dtype=object)
    units = {"NEUT": "10^9/L", "TEMP": "degC", "PLAT": "10^9/L", "HGB": "g/L"}
    units |= {"CRP": "mg/L", "FERRITIN": "ug/L", "ALT": "U/L"}
    p = rng.choice(params, n)
    low = {"NEUT": 0.0, "TEMP": 36.0, "PLAT": 5.0, "HGB": 60.0, "CRP": 1.0}
    high = {"NEUT": 4.0, "TEMP": 40.0, "PLAT": 300.0, "HGB": 160.0, "CRP": 200.0}
    lo = np.array([low.get(x, 5.0) for x in p])
    hi = np.array([high.get(x, 900.0) for x in p])
    return pd.DataFrame(
        {
            "subject_id": rng.choice([f"P{i}" for i in range(30)], n),
            "day": rng.integers(-7, 40, n).astype(float),  # ties on a day, baselines
            "parameter": p,
            "value": np.round(lo + rng.random(n) * (hi - lo), 2),
            "unit": [units[x] for x in p],
        }
    )


@pytest.mark.parametrize("seed", [0, 3])
def test_icaht_on_the_gathered_anc_rows_equals_fresh_rows(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    obs = _study(seed)
    got = summarize_hematology(obs).subject_summary

    def fresh(study, prep, frame, subj, index, anc):  # type: ignore[no-untyped-def]
        return hematology._rows_by_code(prep, frame, subj, index)["NEUT"]

    monkeypatch.setattr(hematology, "_calendar_rows", fresh)
    want = summarize_hematology(obs).subject_summary
    pd.testing.assert_frame_equal(got, want)
    assert got["icaht_early_grade"].notna().any()
    assert got["anc_nadir"].notna().sum() > 20


def test_rows_by_code_keep_input_order_within_a_parameter() -> None:
    obs = _study(5)
    from aegrade.prepare.study import prepare_study
    from aegrade.read.study import load_study

    ready = prepare_study(load_study(obs))
    index = pd.Index(ready.subjects["subject_id"], dtype="string")
    subj = hematology._subject_codes(ready.frame, index)
    rows = hematology._rows_by_code(ready.prep, ready.frame, subj, index)
    frame = ready.frame.assign(code=ready.code, subj=subj)
    for code in ("NEUT", "TEMP", "PLAT"):
        want = frame[(frame["code"] == code) & frame["value"].notna()]
        assert rows[code].subject.tolist() == want["subj"].tolist()
        assert rows[code].day.tolist() == want["day"].tolist()
