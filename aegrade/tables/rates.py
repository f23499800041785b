"""Risk difference between two arms with a confidence interval (issue 14, point 4).

Two intervals are offered:

- ``"newcombe"`` (default): the hybrid score interval of Newcombe, "Interval estimation for the
  difference between independent proportions: comparison of eleven methods", Statistics in
  Medicine 1998;17:873-890 (method 10), built from the Wilson score interval of each
  proportion. It stays within [-1, 1] and behaves at 0 % and 100 %.
- ``"wald"``: the asymptotic interval ``d ± z·sqrt(p1(1-p1)/n1 + p2(1-p2)/n2)`` (method 1 of the
  same paper), which is zero-width when both proportions are 0 or 1.

Differences are in percentage points, first arm minus second.
"""

from __future__ import annotations

from statistics import NormalDist
from typing import Literal

import numpy as np

__all__ = ["format_risk_difference", "risk_difference"]

Method = Literal["newcombe", "wald"]


def _wilson(x: np.ndarray, n: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    p = x / n
    denom = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return centre - half, centre + half


def risk_difference(
    x1: np.ndarray | int,
    n1: np.ndarray | int,
    x2: np.ndarray | int,
    n2: np.ndarray | int,
    *,
    method: Method = "newcombe",
    level: float = 0.95,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Difference of proportions x1/n1 - x2/n2 in percentage points, with its CI.

    Parameters
    ----------
    x1, n1, x2, n2
        Counts and denominators (arrays broadcast together); a zero denominator gives NaN.
    method
        ``"newcombe"`` (hybrid score, Newcombe 1998 method 10) or ``"wald"``.
    level
        Confidence level.

    Returns
    -------
    tuple of numpy.ndarray
        Difference, lower and upper limit (percentage points).

    Examples
    --------
    Newcombe's (1998, Table II) first example, 56/70 against 48/80:

    >>> d, lo, hi = risk_difference(56, 70, 48, 80)
    >>> round(float(d), 2), round(float(lo), 2), round(float(hi), 2)
    (20.0, 5.24, 33.39)
    >>> d, lo, hi = risk_difference(56, 70, 48, 80, method="wald")
    >>> round(float(lo), 2), round(float(hi), 2)
    (5.75, 34.25)
    """
    if method not in ("newcombe", "wald"):
        raise ValueError(f"method must be 'newcombe' or 'wald', got {method!r}")
    z = NormalDist().inv_cdf(0.5 + level / 2)
    a1, b1, a2, b2 = (np.asarray(v, dtype=float) for v in (x1, n1, x2, n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        p1, p2 = a1 / b1, a2 / b2
        d = p1 - p2
        if method == "wald":
            half = z * np.sqrt(p1 * (1 - p1) / b1 + p2 * (1 - p2) / b2)
            lo, hi = d - half, d + half
        else:
            l1, u1 = _wilson(a1, b1, z)
            l2, u2 = _wilson(a2, b2, z)
            lo = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
            hi = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return 100 * d, 100 * lo, 100 * hi


def format_risk_difference(d: float, lo: float, hi: float, decimals: int = 1) -> str:
    """'d (lo, hi)' in percentage points; 'NA' when undefined.

    Examples
    --------
    >>> format_risk_difference(30.0, -10.42, 61.63)
    '30.0 (-10.4, 61.6)'
    """
    if np.isnan(d):
        return "NA"
    return f"{d:.{decimals}f} ({lo:.{decimals}f}, {hi:.{decimals}f})"
