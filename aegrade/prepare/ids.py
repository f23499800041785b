"""The integer codes of subject ids as text, shared by every stage that groups by subject:
:func:`text_codes`. The reader keeps the codes of the ids it read
(:mod:`aegrade.read.idcodes`); a column it did not code is factorized here once and kept.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from aegrade.read.idcodes import id_codes, remember_id_codes

__all__ = ["text_codes"]


def text_codes(ids: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of ids as text: ``pd.factorize(ids.astype("string"))``.

    The stages that group one observation table by subject (lab episodes, the subject
    summary, hematology) each need the codes of the same million ids; the codes of a column
    are made once (by the reader for the ids it read, :mod:`aegrade.read.idcodes`, else here)
    and given again, read-only, when the same data comes back, also as other Arrow arrays
    over the same buffers (a column shared by a shallow copy or a concat).

    Parameters
    ----------
    ids
        Subject ids (any dtype; made ``string`` first).

    Returns
    -------
    tuple of numpy.ndarray
        int64 codes (-1 for a missing id) in order of first appearance, and the distinct ids
        (object array of ``str``).

    Examples
    --------
    >>> codes, uniques = text_codes(pd.Series(["S2", "S1", None, "S2"], dtype="string"))
    >>> codes.tolist(), uniques.tolist()
    ([0, 1, -1, 0], ['S2', 'S1'])
    """
    text = ids.astype("string")
    to_arrow = getattr(text.array, "__arrow_array__", None)
    data = to_arrow() if to_arrow is not None else None
    known = id_codes(data)
    if known is not None:
        return known
    found, distinct = pd.factorize(text, use_na_sentinel=True)
    codes = found.astype(np.int64)
    uniques = np.asarray(distinct, dtype=object)
    codes.flags.writeable = False
    uniques.flags.writeable = False
    remember_id_codes(data, codes, uniques)
    return codes, uniques
