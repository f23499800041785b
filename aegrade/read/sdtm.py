"""CDISC SDTM in: LB and VS become observations, AE events, DM subjects.

Column use (SDTMIG; see shared/reference/ae_tables.md section 3):

- LB: USUBJID, LBTESTCD -> parameter, LBSTRESN (else LBSTRESC) -> value, LBSTRESU -> unit,
  LBSTNRLO/LBSTNRHI -> lln/uln, LBDTC -> time, LBBLFL = "Y" gives the baseline value of that
  subject and test.
- VS: USUBJID, VSTESTCD, VSSTRESN (else VSSTRESC), VSSTRESU, VSDTC, VSBLFL.
- AE: USUBJID, AEDECOD (else AETERM) -> term, AETOXGR -> grade, AESTDTC/AEENDTC -> onset/end,
  AESER -> serious, AEREL -> related.
- DM: USUBJID, ARM, AGE, RFSTDTC -> treatment_start (day 0).

Study days come from the dates and RFSTDTC. Without DM, the SDTM study days (--DY, --STDY,
--ENDY, where day 1 is the first day of treatment and there is no day 0) are shifted to
aegrade's convention (day 0 = treatment start): day = DY - 1 for DY >= 1, DY otherwise.
Every SDTM column is kept beside the aegrade columns, so the output traces back to it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DOMAINS = ("DM", "LB", "VS", "AE")
_MARKERS = {"LB": "LBTESTCD", "VS": "VSTESTCD", "AE": "AETERM", "DM": "RFSTDTC"}


def domain_of(frame: pd.DataFrame) -> str | None:
    """The SDTM domain a frame holds, from its variables (None when it is not SDTM)."""
    cols = {str(c).strip().upper() for c in frame.columns}
    if "USUBJID" not in cols:
        return None
    for domain, marker in _MARKERS.items():
        if marker in cols or (domain == "AE" and "AEDECOD" in cols):
            return domain
    if "DOMAIN" in cols and "ARM" in cols:
        return "DM"
    return None


def _upper(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(columns={c: str(c).strip().upper() for c in frame.columns})


def _col(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame:
        return frame[name]
    return pd.Series([None] * len(frame), index=frame.index, dtype=object)


def _text(series: pd.Series) -> pd.Series:
    text = series.astype("string").str.strip()
    return text.where(text != "")


def sdtm_days(dy: pd.Series) -> np.ndarray:
    """SDTM study day (no day 0) to aegrade's day (0 = first day of treatment)."""
    d = pd.to_numeric(dy, errors="coerce").to_numpy(float)
    return np.where(d >= 1, d - 1, d)


def findings_to_observations(frame: pd.DataFrame, domain: str, *, has_dm: bool) -> pd.DataFrame:
    """LB or VS rows as aegrade observations (SDTM columns kept, renamed to lower case)."""
    src = _upper(frame)
    p = domain
    value = pd.to_numeric(_col(src, f"{p}STRESN"), errors="coerce").astype(object)
    text = _text(_col(src, f"{p}STRESC"))
    value = value.where(value.notna(), text)
    out = pd.DataFrame(
        {
            "subject_id": _text(_col(src, "USUBJID")),
            "parameter": _text(_col(src, f"{p}TESTCD")),
            "value": value,
            "unit": _text(_col(src, f"{p}STRESU")),
            "lln": pd.to_numeric(_col(src, f"{p}STNRLO"), errors="coerce"),
            "uln": pd.to_numeric(_col(src, f"{p}STNRHI"), errors="coerce"),
        }
    )
    if has_dm or f"{p}DY" not in src:
        out["time"] = _text(_col(src, f"{p}DTC"))
    else:
        out["day"] = sdtm_days(src[f"{p}DY"])
    flag = _text(_col(src, f"{p}BLFL")).str.upper().eq("Y").fillna(False).to_numpy(bool)
    if flag.any():
        out["baseline"] = _baseline(out, flag)
    rest = src.drop(columns=[c for c in src.columns if c.lower() in out.columns])
    return pd.concat([out, rest.rename(columns=str.lower)], axis=1)


def _baseline(obs: pd.DataFrame, flag: np.ndarray) -> np.ndarray:
    key = obs["subject_id"].astype(str) + "\x00" + obs["parameter"].astype(str).str.upper()
    base = pd.to_numeric(obs["value"], errors="coerce")
    lookup = pd.Series(base.to_numpy()[flag], index=key.to_numpy()[flag])
    lookup = lookup[~lookup.index.duplicated(keep="last")]
    return key.map(lookup).to_numpy(float)


def ae_to_events(frame: pd.DataFrame, starts: pd.Series | None) -> pd.DataFrame:
    """AE rows as aegrade clinician events; onset/end in study days."""
    src = _upper(frame)
    decod, term = _text(_col(src, "AEDECOD")), _text(_col(src, "AETERM"))
    out = pd.DataFrame(
        {
            "subject_id": _text(_col(src, "USUBJID")),
            "term": decod.where(decod.notna(), term),
            "grade": _text(_col(src, "AETOXGR")),
            "onset": _event_days(src, "AESTDTC", "AESTDY", starts),
            "end": _event_days(src, "AEENDTC", "AEENDY", starts),
            "serious": _text(_col(src, "AESER")),
            "related": _text(_col(src, "AEREL")),
        }
    )
    rest = src.drop(columns=[c for c in src.columns if c.lower() in out.columns])
    return pd.concat([out, rest.rename(columns=str.lower)], axis=1)


def _event_days(src: pd.DataFrame, dtc: str, dy: str, starts: pd.Series | None) -> np.ndarray:
    if starts is not None and dtc in src:
        when = pd.to_datetime(_text(src[dtc]), errors="coerce", format="mixed")
        start = _text(src["USUBJID"]).map(starts)
        return ((when - pd.to_datetime(start)) / pd.Timedelta(days=1)).to_numpy(float)
    if dy in src:
        return sdtm_days(src[dy])
    return np.full(len(src), np.nan)


def dm_to_subjects(frame: pd.DataFrame) -> pd.DataFrame:
    """DM rows as aegrade subjects."""
    src = _upper(frame)
    out = pd.DataFrame(
        {
            "subject_id": _text(_col(src, "USUBJID")),
            "arm": _text(_col(src, "ARM")),
            "age": pd.to_numeric(_col(src, "AGE"), errors="coerce"),
            "treatment_start": _text(_col(src, "RFSTDTC")),
        }
    )
    rest = src.drop(columns=[c for c in src.columns if c.lower() in out.columns])
    return pd.concat([out, rest.rename(columns=str.lower)], axis=1)


def treatment_starts(dm: pd.DataFrame) -> pd.Series:
    """USUBJID -> RFSTDTC as timestamps (naive), for turning AE dates into study days."""
    src = _upper(dm)
    start = pd.to_datetime(_text(_col(src, "RFSTDTC")), errors="coerce", format="mixed")
    if getattr(start.dt, "tz", None) is not None:
        start = start.dt.tz_convert(None)
    s = pd.Series(start.to_numpy(), index=_text(_col(src, "USUBJID")).to_numpy())
    return s[~s.index.duplicated()]
