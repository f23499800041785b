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

__all__ = [
    "DOMAINS",
    "ae_to_events",
    "dm_to_subjects",
    "domain_of",
    "findings_to_observations",
    "sdtm_days",
    "treatment_starts",
]

DOMAINS = ("DM", "LB", "VS", "AE")
_MARKERS = {"LB": "LBTESTCD", "VS": "VSTESTCD", "AE": "AETERM", "DM": "RFSTDTC"}


def domain_of(frame: pd.DataFrame) -> str | None:
    """The SDTM domain a frame holds, from its variables (None when it is not SDTM).

    Parameters
    ----------
    frame
        A table as read.

    Returns
    -------
    str or None
        One of :data:`DOMAINS`.

    Examples
    --------
    >>> import pandas as pd
    >>> domain_of(pd.DataFrame(columns=["USUBJID", "LBTESTCD", "LBSTRESN"]))
    'LB'
    >>> domain_of(pd.DataFrame(columns=["subject_id", "parameter"])) is None
    True
    """
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
    """SDTM study day (no day 0) to aegrade's day (0 = first day of treatment).

    Parameters
    ----------
    dy
        SDTM --DY values (day 1 = first day of treatment, day -1 the day before).

    Returns
    -------
    numpy.ndarray
        Float days, NaN where not numeric.

    Examples
    --------
    >>> import pandas as pd
    >>> sdtm_days(pd.Series([-2, 1, 8, None]))
    array([-2.,  0.,  7., nan])
    """
    d = pd.to_numeric(dy, errors="coerce").to_numpy(float)
    return np.where(d >= 1, d - 1, d)


def findings_to_observations(frame: pd.DataFrame, domain: str, *, has_dm: bool) -> pd.DataFrame:
    """LB or VS rows as aegrade observations (SDTM columns kept, renamed to lower case).

    Parameters
    ----------
    frame
        An LB or VS domain.
    domain
        ``"LB"`` or ``"VS"``.
    has_dm
        True when a DM domain gives treatment starts (days then come from the dates),
        False to shift the domain's own --DY.

    Returns
    -------
    pandas.DataFrame
        ``subject_id``, ``parameter``, ``value``, ``unit``, ``lln``, ``uln``, ``day`` or
        ``time``, ``baseline`` (the --BLFL = "Y" value), then the SDTM columns.

    Examples
    --------
    >>> import pandas as pd
    >>> lb = pd.DataFrame(
    ...     {
    ...         "USUBJID": ["S1", "S1"],
    ...         "LBTESTCD": ["NEUT", "NEUT"],
    ...         "LBSTRESN": [2.1, 0.4],
    ...         "LBSTRESU": ["10^9/L", "10^9/L"],
    ...         "LBDY": [-1, 8],
    ...         "LBBLFL": ["Y", ""],
    ...     }
    ... )
    >>> obs = findings_to_observations(lb, "LB", has_dm=False)
    >>> obs[["subject_id", "parameter", "value", "day", "baseline"]]
      subject_id parameter value  day  baseline
    0         S1      NEUT   2.1 -1.0       2.1
    1         S1      NEUT   0.4  7.0       2.1
    """
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
    """AE rows as aegrade clinician events; onset/end in study days.

    Parameters
    ----------
    frame
        An AE domain.
    starts
        USUBJID -> treatment start (:func:`treatment_starts`); None uses AESTDY/AEENDY.

    Returns
    -------
    pandas.DataFrame
        ``subject_id``, ``term``, ``grade``, ``onset``, ``end``, ``serious``, ``related``,
        then the SDTM columns.

    Examples
    --------
    >>> import pandas as pd
    >>> dm = pd.DataFrame({"USUBJID": ["S1"], "ARM": ["A"], "RFSTDTC": ["2024-03-01"]})
    >>> ae = pd.DataFrame(
    ...     {"USUBJID": ["S1"], "AEDECOD": ["Pyrexia"], "AETOXGR": ["2"],
    ...      "AESTDTC": ["2024-03-04"], "AEENDTC": ["2024-03-06"]}
    ... )
    >>> ae_to_events(ae, treatment_starts(dm))[["subject_id", "term", "grade", "onset", "end"]]
      subject_id     term grade  onset  end
    0         S1  Pyrexia     2    3.0  5.0
    """
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
    """DM rows as aegrade subjects.

    Parameters
    ----------
    frame
        A DM domain.

    Returns
    -------
    pandas.DataFrame
        ``subject_id``, ``arm``, ``age``, ``treatment_start``, then the SDTM columns.

    Examples
    --------
    >>> import pandas as pd
    >>> dm = pd.DataFrame({"USUBJID": ["S1"], "ARM": ["A"], "AGE": [54], "RFSTDTC": ["2024-03-01"]})
    >>> dm_to_subjects(dm)[["subject_id", "arm", "age", "treatment_start"]]
      subject_id arm  age treatment_start
    0         S1   A   54      2024-03-01
    """
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
    """USUBJID -> RFSTDTC as timestamps (naive), for turning AE dates into study days.

    Parameters
    ----------
    dm
        A DM domain.

    Returns
    -------
    pandas.Series
        Indexed by USUBJID.

    Examples
    --------
    >>> import pandas as pd
    >>> dm = pd.DataFrame({"USUBJID": ["S1"], "RFSTDTC": ["2024-03-01T08:30"]})
    >>> treatment_starts(dm)["S1"]
    Timestamp('2024-03-01 08:30:00')
    """
    src = _upper(dm)
    start = pd.to_datetime(_text(_col(src, "RFSTDTC")), errors="coerce", format="mixed")
    if getattr(start.dt, "tz", None) is not None:
        start = start.dt.tz_convert(None)
    s = pd.Series(start.to_numpy(), index=_text(_col(src, "USUBJID")).to_numpy())
    return s[~s.index.duplicated()]
