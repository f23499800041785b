"""Censored results in graded observations: ``review`` set, the reason saying so, and the
limit and side in their own columns (``censor_limit``, ``censor_side``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aegrade.prepare.observations import Prepared

__all__ = ["with_censoring"]


def with_censoring(graded: pd.DataFrame, prep: Prepared) -> pd.DataFrame:
    """``graded`` (row-aligned with ``prep``) with its censored rows marked for review, their
    reason ending in ``censored result <0.5: graded as the limit approached from below``, and
    ``censor_limit``/``censor_side`` columns when any row is censored.

    Examples
    --------
    >>> import pandas as pd
    >>> from aegrade.prepare.observations import prepare_observations
    >>> obs = pd.DataFrame({"parameter": ["NEUT"], "value": ["<0.5"], "unit": ["10^9/L"]})
    >>> prep = prepare_observations(obs)
    >>> out = with_censoring(obs.assign(review=False, reason="grade 4"), prep)
    >>> bool(out.loc[0, "review"]), float(out.loc[0, "censor_limit"]), out.loc[0, "censor_side"]
    (True, 0.5, '<')
    >>> out.loc[0, "reason"]
    'grade 4; censored result <0.5: graded as the limit approached from below'
    """
    if prep.censor_side is None:  # a numeric value column: no censored result
        return graded
    cens = prep.censored
    if not cens.any():
        return graded
    cens = cens & ~prep.has_error
    if not cens.any():
        return graded
    out = graded.copy(deep=False)
    side = pd.Series(prep.censor_side, index=out.index, dtype="string")
    limit = pd.Series(prep.censor_limit, index=out.index, dtype="float64")
    out["review"] = out["review"].to_numpy(bool) | cens
    fmt = limit.map(lambda x: f"{x:g}", na_action="ignore").astype("string")
    where = side.str.startswith("<").map({True: "below", False: "above"})
    note = (
        "; censored result " + side + fmt + ": graded as the limit approached from " + where
    ).to_numpy(dtype=object)
    reason = out["reason"].astype("string").fillna("").to_numpy(dtype=object)
    reason = np.where(cens, reason + note, reason)
    out["reason"] = pd.Categorical(reason)
    out["censor_limit"] = limit.where(cens)
    out["censor_side"] = side.where(cens)
    return out
