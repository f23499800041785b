"""CDISC ADaM-style output: ADLB toxicity variables and ADAE rows (ae_tables.md section 3).

ADLB (BDS): ``ATOXDSCL``/``ATOXDSCH`` (term, e.g. "Anemia"), ``ATOXGRL``/``ATOXGRH`` ("0".."4"
as text, admiral's convention), ``ATOXGR`` (-4..4: negative = low direction), ``BTOXGRL``,
``BTOXGRH`` and ``BTOXGR`` (the same at the baseline record). ATOXGR follows admiral's
``derive_var_atoxgr()``: a low grade > 0 gives its negative, else a high grade > 0, else 0 when
either direction was graded 0, else missing.

ADAE (OCCDS): one row per adverse event with ``AETOXGR`` (the number only, as SDTMIG asks) and
``ATOXSYS``, the grading system of that row (CTCAE for labs and clinician events, ASTCT for CRS
and ICANS); the scales used are also listed in :func:`build_adam_metadata`, the place SDTMIG
asks sponsors to name them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from aegrade.criteria import SYSTEMS
from aegrade.prepare.baseline import baseline_rows
from aegrade.schema import ADAE, ADAM_METADATA, ADLB, conform

if TYPE_CHECKING:
    from aegrade.pipeline import GradeResult

__all__ = [
    "adam_day",
    "build_adae",
    "build_adam",
    "build_adam_metadata",
    "build_adlb",
    "compute_atoxgr",
    "meddra_code_number",
]

_BASELINE_FLAGS = ("ablfl", "lbblfl", "vsblfl")


def compute_atoxgr(low: pd.Series, high: pd.Series) -> pd.Series:
    """ATOXGR (-4..4, nullable) from the low and high direction grades.

    >>> low = pd.Series([3, 0, None, 0]); high = pd.Series([0, 2, None, None])
    >>> compute_atoxgr(low, high).tolist()
    [-3, 2, <NA>, 0]
    """
    lo = pd.to_numeric(low, errors="coerce").to_numpy(float)
    hi = pd.to_numeric(high, errors="coerce").to_numpy(float)
    out = np.select([lo > 0, hi > 0, (lo == 0) | (hi == 0)], [-lo, hi, 0.0], np.nan)
    return pd.Series(out, index=low.index).astype("Int64")


def adam_day(day: pd.Series) -> pd.Series:
    """aegrade's study day (0 = first day of treatment) as ADaM's ADY/ASTDY (no day 0).

    ADaMIG: ``ADY = ADT - TRTSDT + 1`` from the day of first treatment on, ``ADT - TRTSDT``
    before it. A fractional day (from times) counts in the calendar day it falls in.

    Parameters
    ----------
    day
        Study days, day 0 = treatment start.

    Returns
    -------
    pandas.Series
        Float days, NaN where not a number.

    Examples
    --------
    >>> adam_day(pd.Series([-2.0, -0.25, 0.0, 0.5, 7.0, None])).tolist()
    [-2.0, -1.0, 1.0, 1.0, 8.0, nan]
    """
    d = np.floor(pd.to_numeric(day, errors="coerce").to_numpy(float))
    return pd.Series(np.where(d >= 0, d + 1, d), index=day.index)


def meddra_code_number(code: pd.Series) -> pd.Series:
    """MedDRA codes (8-digit numbers, text or float as read) as nullable integers.

    >>> meddra_code_number(pd.Series(["10028813", 10037660.0, None, "x"])).tolist()
    [10028813, 10037660, <NA>, <NA>]
    """
    text = code.astype("string").str.strip().str.replace(r"\.0$", "", regex=True)
    whole = text.where(text.str.fullmatch(r"\d+").fillna(False))
    return pd.to_numeric(whole, errors="coerce").astype("Int64")


def _grade_text(grade: pd.Series) -> pd.Series:
    g = pd.to_numeric(grade, errors="coerce").astype("Int64")
    return g.astype("string")


def _baseline_rows(go: pd.DataFrame) -> np.ndarray:
    """The baseline record of each subject and parameter: a Y flag (ADaM ABLFL) where the data
    have them, else by the one baseline rule (:func:`~aegrade.prepare.baseline.baseline_rows`:
    the last record at day <= 0 with a value that was not rejected)."""
    for name in _BASELINE_FLAGS:
        if name in go:
            flag = go[name].astype("string").str.upper().eq("Y").fillna(False).to_numpy(bool)
            if flag.any():
                return flag
    flag = np.zeros(len(go), bool)
    if "day" not in go:
        return flag
    day = pd.to_numeric(go["day"], errors="coerce").to_numpy(float)
    sid, par = go["subject_id"], go["parameter"]
    key, _ = pd.factorize(pd.MultiIndex.from_arrays([sid, par]))
    key = np.where(sid.isna().to_numpy(bool) | par.isna().to_numpy(bool), -1, key)
    eligible = np.ones(len(go), bool)
    if "reason" in go:  # rejected by an input check: never a baseline
        text = go["reason"].astype("string")
        eligible = ~text.str.startswith("not graded: ").fillna(False).to_numpy(bool)
    rows = baseline_rows(key.astype(np.int64), day, eligible)
    flag[rows[rows >= 0]] = True
    return flag


def build_adlb(graded_observations: pd.DataFrame) -> pd.DataFrame:
    """ADLB-style records from graded observations (every row, input order).

    Returns
    -------
    pandas.DataFrame
        USUBJID, PARAMCD, AVAL, AVALU, ANRLO, ANRHI, ADY (ADaM's: no day 0), ABLFL, ATOXDSCL,
        ATOXGRL, ATOXDSCH, ATOXGRH, ATOXGR, BTOXGRL, BTOXGRH, BTOXGR, criteria, reason.

    Examples
    --------
    >>> go = pd.DataFrame({"subject_id": ["P1", "P1"], "parameter": ["PLAT", "PLAT"],
    ...                    "day": [-1.0, 5.0], "grade_low": [0, 3], "grade_high": [None, None]})
    >>> adlb = build_adlb(go)
    >>> adlb["ABLFL"].tolist(), adlb["ATOXGR"].tolist(), adlb["BTOXGR"].tolist()
    (['Y', <NA>], [0, -3], [0, 0])
    """
    go = graded_observations
    n = len(go)

    def col(name: str) -> pd.Series:
        return go[name] if name in go else pd.Series([pd.NA] * n, index=go.index)

    out = pd.DataFrame(
        {
            "USUBJID": col("subject_id"),
            "PARAMCD": col("parameter"),
            "AVAL": col("value"),
            "AVALU": col("unit"),
            "ANRLO": col("lln"),
            "ANRHI": col("uln"),
            "ADY": adam_day(col("day")),
        }
    )
    base = _baseline_rows(go)
    out["ABLFL"] = pd.Series(pd.NA, index=out.index, dtype="string").mask(base, "Y")
    out["ATOXDSCL"] = col("term_low").astype(object)
    out["ATOXGRL"] = _grade_text(col("grade_low"))
    out["ATOXDSCH"] = col("term_high").astype(object)
    out["ATOXGRH"] = _grade_text(col("grade_high"))
    out["ATOXGR"] = compute_atoxgr(col("grade_low"), col("grade_high"))
    key = out["USUBJID"].astype("string") + "\x00" + out["PARAMCD"].astype("string")
    for src, dst in (("ATOXGRL", "BTOXGRL"), ("ATOXGRH", "BTOXGRH"), ("ATOXGR", "BTOXGR")):
        at_base = pd.Series(out[src].to_numpy()[base], index=key.to_numpy()[base])
        at_base = at_base[~at_base.index.duplicated(keep="last")]
        out[dst] = key.map(at_base).astype(out[src].dtype)
    if "domain" in go:  # SDTM source record (traceability)
        out["SRCDOM"] = go["domain"].astype("string").str.upper()
        seq = [go[c] for c in ("lbseq", "vsseq") if c in go]
        if seq:
            out["SRCSEQ"] = pd.to_numeric(
                seq[0].fillna(seq[1]) if len(seq) == 2 else seq[0], errors="coerce"
            ).astype("Int64")
    out["criteria"], out["reason"] = col("criteria"), col("reason")
    return out.reset_index(drop=True)


def build_adae(adverse_events: pd.DataFrame) -> pd.DataFrame:
    """ADAE-style rows: one per adverse event (derived episodes and clinician events).

    Returns
    -------
    pandas.DataFrame
        USUBJID, AEDECOD, AEBODSYS, AEPTCD (an integer code), AETOXGR, ATOXGRN, ATOXSYS,
        ASTDY, AENDY (ADaM days: no day 0), ADURN, AESER, AEREL, SRCDOM (``AE`` for clinician
        events, ``ADLB`` for events derived from values), reason, TRTEMFL and CODING
        (clinician events: treatment-emergent Y/N; ctcae, meddra or uncoded).

    Examples
    --------
    >>> ae = pd.DataFrame({"subject_id": ["P1"], "term": ["Anemia"], "grade": [3],
    ...                    "source": ["clinician"]})
    >>> build_adae(ae)[["AEDECOD", "AETOXGR", "SRCDOM"]].values.tolist()
    [['Anemia', '3', 'AE']]
    """
    ae = adverse_events
    n = len(ae)

    def col(name: str) -> pd.Series:
        return ae[name] if name in ae else pd.Series([pd.NA] * n, index=ae.index)

    grade = pd.to_numeric(col("grade"), errors="coerce").astype("Int64")
    source = col("source").astype("string")
    return pd.DataFrame(
        {
            "USUBJID": col("subject_id"),
            "AEDECOD": col("term"),
            "AEBODSYS": col("soc"),
            "AEPTCD": meddra_code_number(col("meddra_code")),
            "AETOXGR": grade.astype("string"),
            "ATOXGRN": grade,
            "ATOXSYS": col("criteria"),
            "ASTDY": adam_day(col("onset")),
            "AENDY": adam_day(col("end")),
            "ADURN": col("duration"),
            "AESER": col("serious"),
            "AEREL": col("related"),
            "SRCDOM": np.where(source.eq("clinician").fillna(False), "AE", "ADLB"),
            "reason": col("reason"),
            "TRTEMFL": col("teae"),
            "CODING": col("coding"),
        }
    ).reset_index(drop=True)


def build_adam_metadata(adae: pd.DataFrame, meta: dict[str, str]) -> pd.DataFrame:
    """Variable-level metadata naming the grading scale of AETOXGR and ATOXGR values.

    Parameters
    ----------
    adae
        From :func:`build_adae`.
    meta
        ``GradeResult.meta`` (its ``criteria`` and ``criteria_citation``).

    Returns
    -------
    pandas.DataFrame
        dataset, variable, where, scale, description: one row per grading system of ADAE and
        one for ADLB.

    Examples
    --------
    >>> adae = pd.DataFrame({"ATOXSYS": ["ctcae-v5.0"]})
    >>> build_adam_metadata(adae, {"criteria": "ctcae-v5.0"})["where"].tolist()
    ["ATOXSYS = 'ctcae-v5.0'", '']
    """
    rows = []
    for cid in sorted(set(adae["ATOXSYS"].dropna().astype(str))):
        rows.append(
            {
                "dataset": "ADAE",
                "variable": "AETOXGR",
                "where": f"ATOXSYS = '{cid}'",
                "scale": cid,
                "description": SYSTEMS.get(cid, cid),
            }
        )
    lab = meta.get("criteria")
    if lab:
        rows.append(
            {
                "dataset": "ADLB",
                "variable": "ATOXGR",
                "where": "",
                "scale": lab,
                "description": meta.get("criteria_citation", lab),
            }
        )
    return pd.DataFrame(rows, columns=["dataset", "variable", "where", "scale", "description"])


def build_adam(result: GradeResult) -> dict[str, pd.DataFrame]:
    """The ADaM-style tables of a :class:`~aegrade.pipeline.GradeResult`, in the schemas
    :data:`~aegrade.schema.ADLB`, :data:`~aegrade.schema.ADAE` and
    :data:`~aegrade.schema.ADAM_METADATA`.

    Parameters
    ----------
    result
        What :func:`aegrade.grade` returned.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``adlb``, ``adae`` and ``adam_metadata``.

    Examples
    --------
    >>> from aegrade import grade
    >>> frame = pd.DataFrame({"subject_id": ["P1"], "day": [3.0], "parameter": ["PLAT"],
    ...                       "value": [40.0], "unit": ["10^9/L"], "lln": [150.0], "uln": [400.0]})
    >>> adam = build_adam(grade(frame))
    >>> row = adam["adlb"].iloc[0]
    >>> row["PARAMCD"], float(row["AVAL"]), row["ATOXGRL"], int(row["ATOXGR"])
    ('PLAT', 40.0, '3', -3)
    """
    adae = build_adae(result.adverse_events)
    return {
        "adlb": conform(build_adlb(result.graded_observations), ADLB),
        "adae": conform(adae, ADAE),
        "adam_metadata": conform(build_adam_metadata(adae, result.meta), ADAM_METADATA),
    }
