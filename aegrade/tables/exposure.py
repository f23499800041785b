"""Exposure-adjusted incidence rates per 100 patient-years, with exact Poisson CIs (issue 14,
point 4), at every level of the SOC / preferred term / grade hierarchy.

The rate of a row is the number of patients with at least one treatment-emergent AE of that
row (at a grade in the column's range) divided by the total exposure of the arm's patients in
patient-years (days / 365.25), times 100. The exposure is the whole treatment exposure of
every patient (not truncated at the first event): subjects with at least one event over the
total subject-years of exposure of the arm, the EAIR as statistical programmers define it
beside the event rate EAER (https://www.clinstandards.org/blog/exposure-adjusted-event-rate-vs-exposure-adjusted-incidence-rate-1774466522309,
Table 1). The variant that ends each patient's time at risk at the first event of the row is
not offered; the table's footnote says which denominator is used.

The 95% interval is the exact (Garwood) interval of a Poisson count ``x``:
lower ``= G^-1(a/2; x)``, upper ``= G^-1(1 - a/2; x + 1)``, with ``G^-1(p; k)`` the
p-quantile of a gamma distribution of shape k and scale 1 (equivalently ``chi2(p; 2k) / 2``):
F. Garwood, "Fiducial limits for the Poisson distribution", Biometrika 1936;28:437-442;
Ulm, Am J Epidemiol 1990;131:373-375. For an integer shape ``k`` the gamma distribution
function is ``P(Poisson(mu) >= k)``, which is what is inverted here (bisection; no scipy).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from aegrade.criteria.terms import term_socs
from aegrade.tables.display import DisplayTable, with_grading_footnote
from aegrade.tables.filters import treatment_emergent
from aegrade.tables.spec import TableSpecError, arm_column

__all__ = ["build_exposure_table", "exposure_years", "poisson_ci"]

DAYS_PER_YEAR = 365.25
_START = ("treatment_start", "TRTSDT", "trtsdt")
_END = ("treatment_end", "TRTEDT", "trtedt")


def _poisson_upper_tail(
    k: npt.NDArray[np.float64], mu: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """P(Poisson(mu) >= k) for whole numbers k >= 1, element-wise."""
    top = int(k.max()) if k.size else 1
    j = np.arange(top, dtype=float)  # terms 0..top-1
    log_fact = np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, top, dtype=float)))])
    with np.errstate(divide="ignore"):
        log_mu = np.log(mu)[:, None]
    terms = np.exp(-mu[:, None] + j[None, :] * log_mu - log_fact[None, :])
    terms = np.where(j[None, :] < k[:, None], terms, 0.0)
    tail: npt.NDArray[np.float64] = np.clip(1.0 - terms.sum(axis=1), 0.0, 1.0)
    return tail


def _gamma_quantile(p: float, k: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The p-quantile of Gamma(shape k, scale 1) for whole k >= 1 (bisection, 80 steps)."""
    lo = np.zeros_like(k)
    hi = k + 20.0 * np.sqrt(k) + 40.0
    for _ in range(80):
        mid = (lo + hi) / 2
        below = _poisson_upper_tail(k, mid) < p
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    return (lo + hi) / 2


def poisson_ci(
    count: npt.ArrayLike, level: float = 0.95
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Exact (Garwood 1936) confidence limits of the mean of a Poisson count.

    Parameters
    ----------
    count
        Observed counts (whole numbers >= 0).
    level
        Confidence level.

    Returns
    -------
    tuple of numpy.ndarray
        Lower and upper limits of the expected count (divide by the exposure for a rate).

    Examples
    --------
    >>> lo, hi = poisson_ci([0, 1, 10])
    >>> [round(float(v), 4) for v in lo], [round(float(v), 4) for v in hi]
    ([0.0, 0.0253, 4.7954], [3.6889, 5.5716, 18.3904])
    """
    x = np.asarray(count, dtype=float).reshape(-1)
    if np.any(x < 0) or np.any(x != np.round(x)):
        raise ValueError("poisson_ci: counts must be whole numbers >= 0")
    alpha = 1.0 - level
    lower = np.zeros_like(x)
    pos = x > 0
    if pos.any():
        lower[pos] = _gamma_quantile(alpha / 2, x[pos])
    upper = _gamma_quantile(1 - alpha / 2, x + 1)
    return lower, upper


def exposure_years(subjects: pd.DataFrame) -> pd.Series:
    """Each patient's exposure in years, indexed by ``subject_id``.

    From ``exposure_days``, else from treatment start and end columns (``treatment_start`` /
    ``treatment_end`` or ADaM's ``TRTSDT`` / ``TRTEDT``; days or dates; end - start + 1 days).

    Raises
    ------
    TableSpecError
        No exposure column, or a negative exposure (named by subject).

    Examples
    --------
    >>> s = pd.DataFrame({"subject_id": ["1", "2"], "exposure_days": [365.25, 730.5]})
    >>> exposure_years(s).tolist()
    [1.0, 2.0]
    """
    frame = subjects.drop_duplicates("subject_id")
    ids = frame["subject_id"].astype("string").to_numpy(object)
    if "exposure_days" in frame:
        days = pd.to_numeric(frame["exposure_days"], errors="coerce")
    else:
        start = next((c for c in _START if c in frame), None)
        end = next((c for c in _END if c in frame), None)
        if start is None or end is None:
            raise TableSpecError(
                "exposure-adjusted rates need a subjects column 'exposure_days', or treatment "
                "start and end columns (treatment_start/treatment_end or TRTSDT/TRTEDT)"
            )
        s, e = frame[start], frame[end]
        if pd.api.types.is_numeric_dtype(s) and pd.api.types.is_numeric_dtype(e):
            days = pd.to_numeric(e) - pd.to_numeric(s) + 1
        else:
            delta = pd.to_datetime(e, errors="coerce") - pd.to_datetime(s, errors="coerce")
            days = delta.dt.days + 1
    days = pd.Series(days.to_numpy(float), index=ids)
    bad = days[days < 0]
    if len(bad):
        raise TableSpecError(
            f"exposure is negative for subject {bad.index[0]!r} ({bad.iloc[0]:g} days)"
        )
    return days / DAYS_PER_YEAR


def _rate_cell(x: int, years: float, per: float, level: float, decimals: int) -> str:
    if not years > 0:
        return "NA"
    lo, hi = poisson_ci([x], level)
    f = per / years
    return f"{x * f:.{decimals}f} ({lo[0] * f:.{decimals}f}, {hi[0] * f:.{decimals}f})"


def build_exposure_table(
    adverse_events: pd.DataFrame,
    subjects: pd.DataFrame,
    *,
    by: str | None = None,
    columns: Sequence[tuple[str, int, int]] = (("Any grade", 1, 5), ("Grade ≥ 3", 3, 5)),
    per: float = 100.0,
    level: float = 0.95,
    decimals: int = 2,
    teae: bool = True,
) -> DisplayTable:
    """Exposure-adjusted incidence rates overall, per SOC and per preferred term, per arm.

    Parameters
    ----------
    adverse_events
        ``subject_id``, ``term``, ``grade``; optional ``soc`` (per record; missing: the
        term's CTCAE SOC (:func:`aegrade.criteria.term_socs`), else 'System organ class not
        given'), ``onset``/``teae`` (treatment-emergent filter), ``criteria``.
    subjects
        One row per patient with ``exposure_days`` or treatment start/end columns; ``by``.
    by
        Subjects column giving the arm (one column group per arm).
    columns
        Grade groups as (label, lowest grade, highest grade).
    per
        Rates per this many patient-years.
    level
        Confidence level of the exact Poisson interval.
    decimals
        Decimals of rates and limits.
    teae
        Count treatment-emergent AEs only (as the AE table).

    Returns
    -------
    DisplayTable
        Per arm and grade group a column 'n' (patients) and 'Rate (95% CI)'; ``ard`` with
        row, arm, column, n, patient_years, rate, lower, upper.

    Examples
    --------
    >>> ae = pd.DataFrame({"subject_id": ["1", "2"], "term": ["Anemia", "Anemia"],
    ...                    "soc": ["Blood"] * 2, "grade": [3, 1]})
    >>> s = pd.DataFrame({"subject_id": ["1", "2"], "exposure_days": [365.25, 365.25]})
    >>> build_exposure_table(ae, s).to_frame().iloc[0].tolist()
    ['Any adverse event', '2', '100.00 (12.11, 361.23)', '1', '50.00 (1.27, 278.58)']
    """
    for col in ("subject_id", "term", "grade"):
        if col not in adverse_events:
            raise TableSpecError(f"exposure table: adverse_events needs a {col!r} column")
    years = exposure_years(subjects)
    ae = adverse_events[treatment_emergent(adverse_events)] if teae else adverse_events
    sid = ae["subject_id"].astype("string")
    ae = ae[sid.isin(set(years.index)).to_numpy(bool)]
    term = ae["term"].astype("string").fillna("No coding available")
    given = (
        ae["soc"].astype("string").str.strip()
        if "soc" in ae
        else pd.Series(pd.NA, index=ae.index, dtype="string")
    )
    given = given.where(given != "")
    # a record without a SOC (a derived one) takes its term's CTCAE SOC, as in the AE table
    by_term = term.str.lower().map(term_socs()).astype("string")
    soc = given.fillna(by_term).fillna("System organ class not given")
    grade = pd.to_numeric(ae["grade"], errors="coerce").to_numpy(float)
    arms = _arm_of(subjects, by)
    names = sorted(set(arms.to_numpy(object)) - {"Missing"})
    if (arms == "Missing").any():
        names.append("Missing")
    py = {a: float(years[arms.index[arms == a]].sum()) for a in names}
    long = pd.DataFrame(
        {
            "subject_id": ae["subject_id"].astype("string").to_numpy(object),
            "soc": soc.to_numpy(object),
            "term": term.to_numpy(object),
            "grade": grade,
        }
    )
    long["arm"] = long["subject_id"].map(arms).fillna("Missing")
    order = long.groupby("soc")["subject_id"].nunique().sort_values(ascending=False, kind="stable")
    hierarchy: list[tuple[str, int, pd.Series]] = [
        ("Any adverse event", 0, pd.Series(True, index=long.index))
    ]
    for s in sorted(order.index, key=lambda v: (-order[v], v)):
        in_soc = long["soc"] == s
        hierarchy.append((s, 0, in_soc))
        pts = long[in_soc].groupby("term")["subject_id"].nunique()
        for t in sorted(pts.index, key=lambda v: (-pts[v], v)):
            hierarchy.append((t, 1, in_soc & (long["term"] == t)))
    body, indent, emph, ard = [], [], [], []
    for label, level_, mask in hierarchy:
        cells: list[str] = []
        for arm in names:
            for col, lo, hi in columns:
                keep = mask & (long["arm"] == arm)
                # Grade-independent 'Any grade' (lo <= 1) counts ungraded records too.
                in_grade = (long["grade"] >= lo) & (long["grade"] <= hi)
                if lo <= 1:
                    in_grade |= long["grade"].isna()
                x = int(long.loc[keep & in_grade, "subject_id"].nunique())
                cells += [str(x), _rate_cell(x, py[arm], per, level, decimals)]
                lo_ci, hi_ci = poisson_ci([x], level)
                f = per / py[arm] if py[arm] > 0 else np.nan
                ard.append([label, arm, col, x, py[arm], x * f, lo_ci[0] * f, hi_ci[0] * f])
        body.append((label, *cells))
        indent.append(level_)
        emph.append(level_ == 0)
    pct = f"{100 * level:g}%"
    sub = tuple(c for col, _, _ in columns for c in (f"{col} n", f"{col} rate ({pct} CI)"))
    totals = {a: int((arms == a).sum()) for a in names}
    groups = tuple((f"{a} (N = {totals[a]}, PY = {py[a]:.1f})", len(sub)) for a in names)
    crit = ae["criteria"].unique() if "criteria" in ae else ()
    foot = [
        f"Rate: patients with at least one event per {per:g} patient-years (PY: total "
        f"treatment exposure of the arm's patients, days / {DAYS_PER_YEAR}); {pct} CI: exact "
        "Poisson interval (Garwood 1936).",
        "A patient is counted once per row, at any of the row's events in the grade range; "
        "'Any grade' includes events without a grade.",
    ]
    if teae:
        foot.append("Treatment-emergent events only.")
    return DisplayTable(
        title=f"Exposure-adjusted incidence rates per {per:g} patient-years",
        stub_header="System organ class / Preferred term",
        columns=sub * len(names),
        body=tuple(body),
        groups=groups,
        indent=tuple(indent),
        emphasis=tuple(emph),
        footnotes=with_grading_footnote(foot, crit),
        name="Exposure-adjusted rates",
        ard=pd.DataFrame(
            ard,
            columns=["row", "arm", "column", "n", "patient_years", "rate", "lower", "upper"],
        ),
    )


def _arm_of(subjects: pd.DataFrame, by: str | None) -> pd.Series:
    """The arm of each patient, indexed by subject id ('All subjects' without ``by``)."""
    frame = subjects.drop_duplicates("subject_id")
    ids = frame["subject_id"].astype("string").to_numpy(object)
    if by is None:
        return pd.Series("All subjects", index=ids, dtype=object)
    col = arm_column(frame.columns, by)
    return pd.Series(frame[col].astype("string").fillna("Missing").to_numpy(object), index=ids)
