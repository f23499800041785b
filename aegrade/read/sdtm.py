"""CDISC SDTM in: LB and VS become observations, AE events, DM subjects.

Column use (SDTMIG; see shared/reference/ae_tables.md section 3):

- LB: USUBJID, LBTESTCD -> parameter, LBSTRESN (else LBSTRESC) -> value, LBSTRESU -> unit,
  LBSTNRLO/LBSTNRHI -> lln/uln, LBDTC -> time, LBBLFL = "Y" gives the baseline value of that
  subject and test.
- VS: USUBJID, VSTESTCD, VSSTRESN (else VSSTRESC), VSSTRESU, VSDTC, VSBLFL.
- AE: USUBJID, AEDECOD (else AETERM, when no record has an AEDECOD) -> term, AETOXGR -> grade,
  AESTDTC/AEENDTC -> onset/end, AESER -> serious, AEREL -> related.
- DM: USUBJID, ARM, AGE, RFSTDTC -> treatment_start (day 0).

ADaM (ADaMIG v1.3 BDS; ADaM OCCDS for ADAE) is recognised by its own variables and read the
same way:

- ADLB / ADVS (BDS: PARAMCD and AVAL): PARAMCD -> parameter, AVAL (else AVALC) -> value,
  AVALU (else the SDTM --STRESU the dataset carries, else the unit in brackets at the end of
  PARAM) -> unit, ANRLO/ANRHI -> lln/uln, BASE -> baseline (ADaM's own baseline, used as given),
  ABLFL kept (the baseline record of the ADaM-style output), ADY (no day 0) -> day, else
  ADTM/ADT -> time, LBSPEC (else PARCAT1/LBCAT naming a specimen) -> specimen.
- ADAE: AEDECOD (else AETERM) -> term, ATOXGR (else AETOXGR) -> grade, ASTDY/AENDY (else
  ASTDTM/ASTDT, AENDTM/AENDT) -> onset/end, AEBODSYS -> soc, AEPTCD -> meddra_code,
  TRTEMFL -> teae.
- ADSL: USUBJID, ARM (else TRT01A/ACTARM), AGE, TRTSDTM (else TRTSDT, RFSTDTC) ->
  treatment_start.

In AE and ADAE, AEBODSYS -> soc, AEPTCD -> meddra_code and TRTEMFL -> teae where given; in a
TRTEMFL column holding some Y, a blank is N (ADaM's TRTEMFL is Y or null).

Study days come from the dates and RFSTDTC. Without DM (or ADSL), the SDTM study days (--DY, --STDY,
--ENDY, where day 1 is the first day of treatment and there is no day 0) are shifted to
aegrade's convention (day 0 = treatment start): day = DY - 1 for DY >= 1, DY otherwise;
without those either, the rows have no study day (their dates stay in their own columns, the
--BLFL or BASE baseline is used as given).
Every SDTM column is kept beside the aegrade columns, so the output traces back to it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "ADAM_DOMAINS",
    "DOMAINS",
    "ROLES",
    "ae_to_events",
    "bds_to_observations",
    "cdisc_tables",
    "dm_to_subjects",
    "domain_of",
    "findings_to_observations",
    "sdtm_days",
    "treatment_starts",
]

#: SDTM domains, then the ADaM datasets read the same way.
ADAM_DOMAINS = ("ADSL", "ADLB", "ADVS", "ADAE")
DOMAINS = ("DM", "LB", "VS", "AE", *ADAM_DOMAINS)
_MARKERS = {"LB": "LBTESTCD", "VS": "VSTESTCD", "AE": "AETERM", "DM": "RFSTDTC"}
#: Variables only ADAE has beside the AE ones (ADaMIG OCCDS: analysis dates, flags, grades).
_ADAE_MARKERS = ("ASTDT", "ASTDTM", "ASTDY", "AENDT", "AENDTM", "AENDY", "TRTEMFL", "ATOXGR")
#: Variables of ADSL (ADaMIG: treatment start and planned/actual treatment of period 01).
_ADSL_MARKERS = ("TRTSDT", "TRTSDTM", "TRT01P", "TRT01A")
#: Which table each domain becomes.
ROLES = {
    "DM": "subjects",
    "ADSL": "subjects",
    "LB": "observations",
    "VS": "observations",
    "ADLB": "observations",
    "ADVS": "observations",
    "AE": "events",
    "ADAE": "events",
}
#: A PARCAT1/LBCAT category that names a specimen where LBSPEC is absent (the CDISC pilot's
#: lab categories: URINALYSIS results are urine).
_CATEGORY_SPECIMEN = {"URINALYSIS": "URINE"}


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
    if "PARAMCD" in cols and ("AVAL" in cols or "AVALC" in cols):
        return "ADVS" if any(c.startswith("VS") for c in cols) else "ADLB"
    if ("AETERM" in cols or "AEDECOD" in cols) and cols & set(_ADAE_MARKERS):
        return "ADAE"
    if cols & set(_ADSL_MARKERS) and not cols & {"LBTESTCD", "VSTESTCD", "AETERM", "AEDECOD"}:
        return "ADSL"
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
    if has_dm:
        out["time"] = _text(_col(src, f"{p}DTC"))
    elif f"{p}DY" in src:
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
    """AE (or ADAE) rows as aegrade clinician events; onset/end in study days.

    Parameters
    ----------
    frame
        An AE domain or an ADAE dataset.
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
    adam = "ATOXGR" in src or any(c in src for c in _ADAE_MARKERS[:6])
    grade = _text(_col(src, "ATOXGR")) if "ATOXGR" in src else _text(_col(src, "AETOXGR"))
    if adam:
        onset = _event_days(src, ("ASTDTM", "ASTDT", "AESTDTC"), "ASTDY", starts)
        end = _event_days(src, ("AENDTM", "AENDT", "AEENDTC"), "AENDY", starts)
    else:
        onset = _event_days(src, ("AESTDTC",), "AESTDY", starts)
        end = _event_days(src, ("AEENDTC",), "AEENDY", starts)
    out = pd.DataFrame(
        {
            "subject_id": _text(_col(src, "USUBJID")),
            # A coded dataset (some AEDECOD given): a blank AEDECOD is an uncoded AE (the
            # tables' 'No coding available'), not its verbatim AETERM; AETERM stays a column.
            "term": decod if decod.notna().any() else term,
            "grade": grade,
            "onset": onset,
            "end": end,
            "serious": _text(_col(src, "AESER")),
            "related": _text(_col(src, "AEREL")),
        }
    )
    for name, column in (("soc", "AEBODSYS"), ("meddra_code", "AEPTCD"), ("teae", "TRTEMFL")):
        if column in src:
            out[name] = _text(src[column].astype(object).where(src[column].notna()))
    if "meddra_code" in out:  # an integer code read as a number: 10028813.0 -> '10028813'
        out["meddra_code"] = out["meddra_code"].str.replace(r"\.0$", "", regex=True)
    if "teae" in out and out["teae"].str.upper().eq("Y").any():
        # ADaM OCCDS: TRTEMFL is Y or null, so a blank is 'not treatment-emergent' (an onset
        # after the sponsor's window too); a column that is all blank decides nothing.
        out["teae"] = out["teae"].fillna("N")
    rest = src.drop(columns=[c for c in src.columns if c.lower() in out.columns])
    return pd.concat([out, rest.rename(columns=str.lower)], axis=1)


def _event_days(
    src: pd.DataFrame, dtcs: tuple[str, ...], dy: str, starts: pd.Series | None
) -> np.ndarray:
    """Study days of an AE date column: from the treatment starts where known, else --DY;
    a date that cannot be turned into a day here is passed on as text, so that the event
    date check (:func:`aegrade.read.dates.event_days`) reads it against the subjects table or
    names it."""
    dtc = next((c for c in dtcs if c in src), None)
    text = (
        _text(src[dtc].astype(object))
        if dtc is not None
        else pd.Series(pd.NA, index=src.index, dtype="string")
    )
    days = np.full(len(src), np.nan)
    if starts is not None and dtc is not None:
        when = pd.to_datetime(text, errors="coerce", format="mixed")
        if getattr(when.dt, "tz", None) is not None:
            when = when.dt.tz_convert(None)
        start = _text(src["USUBJID"].astype(object)).map(starts)
        days = ((when - pd.to_datetime(start)) / pd.Timedelta(days=1)).to_numpy(float)
    elif dy in src:
        days = sdtm_days(src[dy])
    left = np.isnan(days) & text.notna().to_numpy(bool)
    if not left.any():
        return days
    out = days.astype(object)
    out[left] = text.to_numpy(dtype=object)[left]
    return out


def dm_to_subjects(frame: pd.DataFrame) -> pd.DataFrame:
    """DM (or ADSL) rows as aegrade subjects.

    Parameters
    ----------
    frame
        A DM domain or an ADSL dataset.

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
            "arm": _text(_first(src, ("ARM", "TRT01A", "ACTARM", "TRT01P"))),
            "age": pd.to_numeric(_col(src, "AGE"), errors="coerce"),
            "treatment_start": _text(_first(src, _START_COLUMNS).astype(object)),
        }
    )
    rest = src.drop(columns=[c for c in src.columns if c.lower() in out.columns])
    return pd.concat([out, rest.rename(columns=str.lower)], axis=1)


#: Where a subject's treatment starts (day 0): ADSL's TRTSDTM or TRTSDT, SDTM DM's RFSTDTC.
_START_COLUMNS = ("TRTSDTM", "TRTSDT", "RFSTDTC")


def _first(src: pd.DataFrame, names: tuple[str, ...]) -> pd.Series:
    """The first of ``names`` the frame has (an all-missing column when none)."""
    return next((src[n] for n in names if n in src), _col(src, names[0]))


def treatment_starts(dm: pd.DataFrame) -> pd.Series:
    """USUBJID -> treatment start (ADSL TRTSDTM/TRTSDT, DM RFSTDTC) as naive timestamps, for
    turning AE dates into study days.

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
    start = pd.to_datetime(
        _text(_first(src, _START_COLUMNS).astype(object)), errors="coerce", format="mixed"
    )
    if getattr(start.dt, "tz", None) is not None:
        start = start.dt.tz_convert(None)
    s = pd.Series(start.to_numpy(), index=_text(_col(src, "USUBJID")).to_numpy())
    return s[~s.index.duplicated()]


def _unit_of_param(param: pd.Series) -> pd.Series:
    """The unit ADaM writes in brackets at the end of PARAM ("Albumin (g/L)" -> "g/L")."""
    return _text(param.astype("string").str.extract(r"\(([^()]*)\)\s*$", expand=False))


def bds_to_observations(frame: pd.DataFrame, *, has_dm: bool) -> pd.DataFrame:
    """ADaM BDS rows (ADLB, ADVS) as aegrade observations, ADaM's BASE as the baseline.

    Parameters
    ----------
    frame
        An ADLB or ADVS dataset.
    has_dm
        True when ADSL (or DM) gives treatment starts: days come from ADTM/ADT; False: from
        ADY (no day 0) where the dataset has it (without either, no day: the dates stay in
        their own columns and ADaM's BASE is the baseline).

    Returns
    -------
    pandas.DataFrame
        ``subject_id``, ``parameter``, ``value``, ``unit``, ``lln``, ``uln``, ``day`` or
        ``time``, ``baseline`` (BASE), ``specimen`` where known, then the ADaM columns.

    Examples
    --------
    >>> import pandas as pd
    >>> adlb = pd.DataFrame(
    ...     {
    ...         "USUBJID": ["S1", "S1"], "PARAMCD": ["CREAT", "CREAT"],
    ...         "PARAM": ["Creatinine (umol/L)"] * 2, "AVAL": [80.0, 190.0],
    ...         "ANRLO": [60.0, 60.0], "ANRHI": [110.0, 110.0], "BASE": [80.0, 80.0],
    ...         "ABLFL": ["Y", ""], "ADY": [-3, 8],
    ...     }
    ... )
    >>> obs = bds_to_observations(adlb, has_dm=False)
    >>> obs[["parameter", "value", "unit", "day", "baseline", "ablfl"]]
      parameter  value    unit  day  baseline ablfl
    0     CREAT   80.0  umol/L -3.0      80.0     Y
    1     CREAT  190.0  umol/L  7.0      80.0
    """
    src = _upper(frame)
    value = pd.to_numeric(_col(src, "AVAL"), errors="coerce").astype(object)
    if "AVALC" in src:
        value = value.where(value.notna(), _text(src["AVALC"].astype(object)))
    findings = "VS" if any(c.startswith("VS") for c in src.columns) else "LB"
    unit = _text(_col(src, "AVALU").astype(object))
    for fallback in (_col(src, f"{findings}STRESU"), _unit_of_param(_col(src, "PARAM"))):
        unit = unit.where(unit.notna(), _text(fallback.astype(object)))
    out = pd.DataFrame(
        {
            "subject_id": _text(_col(src, "USUBJID").astype(object)),
            "parameter": _text(_col(src, "PARAMCD").astype(object)),
            "value": value,
            "unit": unit,
            "lln": pd.to_numeric(_col(src, "ANRLO"), errors="coerce"),
            "uln": pd.to_numeric(_col(src, "ANRHI"), errors="coerce"),
        }
    )
    if has_dm:
        when = _first(src, ("ADTM", "ADT", f"{findings}DTC"))
        out["time"] = _text(when.astype(object))
    elif "ADY" in src:
        out["day"] = sdtm_days(src["ADY"])
    base = pd.to_numeric(_col(src, "BASE"), errors="coerce").to_numpy(float)
    flag = _text(_col(src, "ABLFL").astype(object)).str.upper().eq("Y").fillna(False)
    if flag.any():  # no BASE on a row: the value of its subject's ABLFL = "Y" record
        base = np.where(np.isnan(base), _baseline(out, flag.to_numpy(bool)), base)
    if not np.isnan(base).all():
        out["baseline"] = base
    specimen = _text(_col(src, "LBSPEC").astype(object))
    for category in ("PARCAT1", "LBCAT"):
        if category in src:
            named = _text(src[category].astype(object)).str.upper().map(_CATEGORY_SPECIMEN)
            specimen = specimen.where(specimen.notna(), named)
    if specimen.notna().any():
        out["specimen"] = specimen
    rest = src.drop(columns=[c for c in src.columns if c.lower() in out.columns])
    return pd.concat([out, rest.rename(columns=str.lower)], axis=1)


def cdisc_tables(
    frames: dict[str, pd.DataFrame],
) -> dict[str, tuple[pd.DataFrame, list[str]]]:
    """CDISC domains (SDTM or ADaM, by :data:`DOMAINS` code) as aegrade tables.

    The one conversion behind files and DataFrames alike: DM/ADSL become ``subjects`` (and give
    the treatment start of each subject), LB/VS/ADLB/ADVS ``observations`` (concatenated in
    that order), AE/ADAE ``events``.

    Parameters
    ----------
    frames
        Domain code -> the domain as read.

    Returns
    -------
    dict
        Table name -> (frame, the domain codes it came from, in order).

    Examples
    --------
    >>> import pandas as pd
    >>> adsl = pd.DataFrame({"USUBJID": ["S1"], "TRT01A": ["Drug"], "TRTSDT": ["2024-03-01"]})
    >>> adae = pd.DataFrame({"USUBJID": ["S1"], "AEDECOD": ["Pneumonia"], "ATOXGR": ["3"],
    ...                      "ASTDT": ["2024-03-09"], "TRTEMFL": ["Y"]})
    >>> tables = cdisc_tables({"ADSL": adsl, "ADAE": adae})
    >>> tables["events"][0][["subject_id", "term", "grade", "onset", "teae"]]
      subject_id       term grade  onset teae
    0         S1  Pneumonia     3    8.0    Y
    """
    out: dict[str, tuple[pd.DataFrame, list[str]]] = {}
    starts = None
    has_dm = False
    for code in ("ADSL", "DM"):
        if code in frames:
            out["subjects"] = (dm_to_subjects(frames[code]), [code])
            starts, has_dm = treatment_starts(frames[code]), True
            break
    found: list[str] = [d for d in ("LB", "VS", "ADLB", "ADVS") if d in frames]
    if found:
        converted = [
            bds_to_observations(frames[d], has_dm=has_dm)
            if d in ADAM_DOMAINS
            else findings_to_observations(frames[d], d, has_dm=has_dm)
            for d in found
        ]
        joined = converted[0] if len(converted) == 1 else pd.concat(converted, ignore_index=True)
        out["observations"] = (joined, found)
    for code in ("ADAE", "AE"):
        if code in frames:
            out["events"] = (ae_to_events(frames[code], starts), [code])
            break
    return out
