"""Biomarkers that are monitored, never graded: IL-6, CRP and ferritin.

:func:`summarize_biomarkers` gives per subject the baseline, the peak and its day, the fold
change of the peak over the baseline and the range as Qi et al. print it ("5.81-28.4");
:func:`summarize_biomarkers_by_arm` summarizes those per arm. No grading system uses these
values (criteria.md section 5: IL-6 is not part of any consensus grade).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
from pandas.api.extensions import ExtensionArray

from aegrade.grading.daily import Readings
from aegrade.prepare.baseline import derive_baseline

__all__ = [
    "BIOMARKERS",
    "biomarker_columns",
    "format_significant",
    "summarize_biomarker_rows",
    "summarize_biomarkers",
    "summarize_biomarkers_by_arm",
]

#: Parameter code -> column prefix. Values are in canonical units: IL-6 pg/mL, CRP mg/L,
#: ferritin ng/mL.
BIOMARKERS = {"IL6": "il6", "CRP": "crp", "FERRITIN": "ferritin"}
_STATS = ("baseline", "peak", "peak_day", "fold_change", "range")

FloatArray = npt.NDArray[np.float64]


def biomarker_columns(markers: dict[str, str] | None = None) -> list[str]:
    """The per-subject columns, marker by marker.

    Parameters
    ----------
    markers
        Parameter code -> column prefix (default :data:`BIOMARKERS`).

    Returns
    -------
    list of str
        ``<prefix>_baseline``, ``_peak``, ``_peak_day``, ``_fold_change``, ``_range`` per marker.

    Examples
    --------
    >>> biomarker_columns({"IL6": "il6"})
    ['il6_baseline', 'il6_peak', 'il6_peak_day', 'il6_fold_change', 'il6_range']
    """
    return [f"{p}_{s}" for p in (markers or BIOMARKERS).values() for s in _STATS]


def summarize_biomarkers(
    data: pd.DataFrame,
    *,
    subjects: pd.Index | list[str] | None = None,
    markers: dict[str, str] | None = None,
    window: tuple[float | None, float | None] = (0.0, None),
    digits: int = 3,
) -> pd.DataFrame:
    """Baseline, peak, day of peak, fold change and range of each biomarker per subject.

    Parameters
    ----------
    data
        Long rows: ``subject_id``, ``parameter`` (code), ``day``, ``value`` in the canonical
        unit; optional ``baseline`` (canonical). Other parameters are ignored.
    subjects
        Every subject to report (default: those in ``data``).
    markers
        Parameter code -> column prefix (default :data:`BIOMARKERS`).
    window
        First and last study day of the peak (None: open). Rows without a day are used only
        when both ends are open.
    digits
        Significant digits of the range text.

    Returns
    -------
    pandas.DataFrame
        ``subject_id`` and, per marker, ``<p>_baseline`` (the ``baseline`` column when given,
        else the last value on or before day 0), ``<p>_peak``, ``<p>_peak_day`` (first day of
        the peak), ``<p>_fold_change`` (peak / baseline; NA without a positive baseline) and
        ``<p>_range`` ("min-max" of all the subject's values, baseline included, as Qi et al.
        print it: "5.81-28.4"). NA when there is no value.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame(
    ...     {
    ...         "subject_id": ["01", "01", "01", "02"],
    ...         "parameter": ["IL6", "IL6", "IL6", "IL6"],
    ...         "day": [-1, 2, 5, 3],
    ...         "value": [5.81, 28.4, 12.0, 7.0],
    ...     }
    ... )
    >>> summarize_biomarkers(data, markers={"IL6": "il6"})
      subject_id  il6_baseline  il6_peak  il6_peak_day  il6_fold_change  il6_range
    0         01          5.81      28.4           2.0         4.888124  5.81-28.4
    1         02           NaN       7.0           3.0              NaN        7-7
    """
    markers = markers or BIOMARKERS
    sid = data["subject_id"].astype("string")
    index = pd.Index(sid.dropna().unique() if subjects is None else subjects, dtype="string")
    params = data["parameter"].astype("string").str.upper()
    rows = {p: Readings.from_frame(data[(params == p).to_numpy(bool)], index) for p in markers}
    return summarize_biomarker_rows(rows, markers=markers, window=window, digits=digits)


def summarize_biomarker_rows(
    rows: dict[str, Readings],
    *,
    markers: dict[str, str] | None = None,
    window: tuple[float | None, float | None] = (0.0, None),
    digits: int = 3,
) -> pd.DataFrame:
    """As :func:`summarize_biomarkers`, from prepared rows per parameter code.

    Parameters
    ----------
    rows
        Parameter code -> :class:`~aegrade.grading.daily.Readings` in canonical units, all on one
        subject index; a row's ``baseline`` is used when given (not NaN).
    markers, window, digits
        As for :func:`summarize_biomarkers`.

    Returns
    -------
    pandas.DataFrame
        As :func:`summarize_biomarkers`.

    Examples
    --------
    >>> import pandas as pd
    >>> from aegrade.grading.daily import Readings
    >>> crp = pd.DataFrame({"subject_id": ["01", "01"], "day": [0, 4], "value": [2.0, 50.0]})
    >>> out = summarize_biomarker_rows({"CRP": Readings.from_frame(crp)}, markers={"CRP": "crp"})
    >>> out[["subject_id", "crp_peak", "crp_fold_change", "crp_range"]]
      subject_id  crp_peak  crp_fold_change crp_range
    0         01      50.0             25.0      2-50
    """
    markers = markers or BIOMARKERS
    index = next(iter(rows.values())).subjects
    out = pd.DataFrame({"subject_id": index.astype("string").array})
    for param, prefix in markers.items():
        r = rows[param]
        stats = _marker(r.subject, r.day, r.value, r.baseline, len(index), window, digits)
        for name, values in stats.items():
            out[f"{prefix}_{name}"] = values
    return out


def _marker(
    subj: npt.NDArray[np.int64],
    day: FloatArray,
    value: FloatArray,
    given: FloatArray,
    n: int,
    window: tuple[float | None, float | None],
    digits: int,
) -> dict[str, FloatArray | ExtensionArray]:
    base_row = given
    if np.isnan(given).any():
        derived = derive_baseline(
            subj, np.zeros(len(subj), np.int64), np.where(np.isnan(day), np.inf, day), value
        )
        base_row = np.where(np.isnan(given), derived, given)
    has = np.flatnonzero(~np.isnan(base_row))
    baseline = np.full(n, np.nan)
    baseline[subj[has][::-1]] = base_row[has][::-1]  # the first row of a subject wins
    first, last = window
    inside = np.ones(len(subj), bool) if first is None and last is None else ~np.isnan(day)
    if first is not None:
        inside &= day >= first
    if last is not None:
        inside &= day <= last
    s, d, v = subj[inside], day[inside], value[inside]
    peak = _reduce(np.maximum, s, v, n)
    at_peak = v == peak[s]
    peak_day = _reduce(np.minimum, s[at_peak], d[at_peak], n)  # the first day of the peak
    low, high = _reduce(np.minimum, subj, value, n), _reduce(np.maximum, subj, value, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        fold = np.where(baseline > 0, peak / baseline, np.nan)
    return {
        "baseline": baseline,
        "peak": peak,
        "peak_day": peak_day,
        "fold_change": fold,
        "range": _range_text(low, high, digits),
    }


def _reduce(ufunc: np.ufunc, subj: npt.NDArray[np.int64], values: FloatArray, n: int) -> FloatArray:
    """Per-subject minimum or maximum, NaN for subjects without a value."""
    start = np.inf if ufunc is np.minimum else -np.inf
    out = np.full(n, start)
    ufunc.at(out, subj, values)
    return np.where(np.isinf(out) & (out == start), np.nan, out)


def _range_text(low: FloatArray, high: FloatArray, digits: int) -> ExtensionArray:
    text = format_significant(low, digits) + "-" + format_significant(high, digits)
    return text.where(~np.isnan(low)).array


def format_significant(values: FloatArray, digits: int) -> pd.Series[str]:
    """Numbers with ``digits`` significant digits, no exponent, no trailing zeros.

    Formatting runs once per distinct value.

    Parameters
    ----------
    values
        Numbers; NaN and infinities give an empty text.
    digits
        Significant digits.

    Returns
    -------
    pandas.Series
        ``string`` dtype, position-aligned with ``values`` (default index).

    Examples
    --------
    >>> import numpy as np
    >>> format_significant(np.array([5.8123, 28.43, 1234.5, np.nan]), 3).tolist()
    ['5.81', '28.4', '1230', '']
    """
    uniq, inverse = np.unique(values, return_inverse=True)
    texts = np.array(
        [
            np.format_float_positional(u, precision=digits, unique=True, fractional=False, trim="-")
            if np.isfinite(u)
            else ""
            for u in uniq
        ]
        + [""],
        dtype=object,
    )
    return pd.Series(texts[inverse.reshape(-1)], dtype="string")


def summarize_biomarkers_by_arm(
    summary: pd.DataFrame,
    *,
    by: str | None = "arm",
    markers: dict[str, str] | None = None,
    statistics: tuple[str, ...] = ("baseline", "peak", "fold_change"),
    total: str = "Total",
) -> pd.DataFrame:
    """Per arm (and overall): n, median, quartiles, min and max of each biomarker statistic.

    Parameters
    ----------
    summary
        The per-subject frame of :func:`summarize_biomarkers` (or a subject summary holding its
        columns), with the ``by`` column.
    by
        Grouping column; None or absent gives the total only.
    statistics
        Which per-subject statistics to summarize.
    total
        Label of the all-subjects group.

    Returns
    -------
    pandas.DataFrame
        Long: ``arm``, ``marker`` (column prefix), ``statistic``, ``n`` (subjects with a value),
        ``N`` (subjects), ``median``, ``q1``, ``q3``, ``min``, ``max``.

    Examples
    --------
    >>> import pandas as pd
    >>> summary = pd.DataFrame({"arm": ["A", "B"], "il6_peak": [28.4, 7.0]})
    >>> summarize_biomarkers_by_arm(summary, markers={"IL6": "il6"}, statistics=("peak",))
         arm marker statistic  n  N  median     q1     q3   min   max
    0      A    il6      peak  1  1    28.4  28.40  28.40  28.4  28.4
    1      B    il6      peak  1  1     7.0   7.00   7.00   7.0   7.0
    2  Total    il6      peak  2  2    17.7  12.35  23.05   7.0  28.4
    """
    markers = markers or BIOMARKERS
    cols = [f"{p}_{s}" for p in markers.values() for s in statistics if f"{p}_{s}" in summary]
    groups = summary[by].astype("string").fillna("(missing)") if by and by in summary else None
    frames = [summary[cols].assign(_arm=total)]
    if groups is not None:
        frames.insert(0, summary[cols].assign(_arm=groups.to_numpy()))
    long = pd.concat(frames, ignore_index=True).melt(id_vars="_arm", var_name="column")
    long["value"] = pd.to_numeric(long["value"], errors="coerce")
    g = long.groupby(["_arm", "column"], sort=False)["value"]
    out = pd.DataFrame(
        {
            "n": g.count(),
            "N": g.size(),
            "median": g.median(),
            "q1": g.quantile(0.25),
            "q3": g.quantile(0.75),
            "min": g.min(),
            "max": g.max(),
        }
    ).reset_index()
    parts = out["column"].str.extract(rf"^({'|'.join(markers.values())})_(.+)$")
    out.insert(1, "marker", parts[0])
    out.insert(2, "statistic", parts[1])
    return out.drop(columns="column").rename(columns={"_arm": "arm"}).reset_index(drop=True)
