"""The integer codes of subject ids as text, made once per column and handed to every stage.

The stages that group one observation table by subject (lab episodes, the subject summary,
hematology) each need ``pd.factorize`` of the same million ids as text, and the reader,
which made that text from the ids it read (:func:`aegrade.read.study.text_ids`), had the
codes nearly for free. :func:`remember_id_codes` keeps a column's codes (with a weak reference
to its Arrow data, so nothing is held alive) and :func:`id_codes` gives them back, read-only,
when the same data comes again, also as other Arrow arrays over the same buffers (a column
shared by a shallow copy or a concat). A handful of columns are kept: one run's tables.
"""

from __future__ import annotations

import contextlib
import threading
import weakref

import numpy as np

__all__ = ["id_codes", "remember_id_codes"]

#: How many columns are kept (a run's subjects, observations and events, and a spare).
_KEEP = 4
#: Arrow data identity -> (a weak reference to the data, codes, distinct ids), oldest first.
_kept: dict[object, tuple[weakref.ref[object], np.ndarray, np.ndarray]] = {}
_lock = threading.Lock()


def _identity(data: object) -> object:
    """What identifies Arrow data: its type and per chunk the addresses of its buffers, its
    offset and length (None: not Arrow data). Two arrays with the same buffers hold the same
    values while the first is alive (Arrow buffers are immutable and cannot be freed while
    an array uses them)."""
    chunks = getattr(data, "chunks", None)
    if chunks is None:
        return None
    return str(getattr(data, "type", "")), tuple(
        (tuple(0 if b is None else b.address for b in c.buffers()), c.offset, len(c))
        for c in chunks
    )


def remember_id_codes(data: object, codes: np.ndarray, uniques: np.ndarray) -> None:
    """Keep the codes of a column's ids as text for :func:`id_codes`.

    Parameters
    ----------
    data
        The column's Arrow data (``Series.array.__arrow_array__()``); anything else (no
        buffers, no weak reference) is not kept.
    codes, uniques
        ``pd.factorize`` of the column as text: int64 codes (-1: missing) and the distinct
        ids (object array of ``str``); kept read-only.

    Examples
    --------
    >>> import pandas as pd
    >>> ids = pd.Series(["S2", "S1", "S2"], dtype="string")
    >>> data = ids.array.__arrow_array__()
    >>> remember_id_codes(data, np.array([0, 1, 0]), np.array(["S2", "S1"], dtype=object))
    >>> id_codes(data)[0].tolist()
    [0, 1, 0]
    """
    key = _identity(data)
    if key is None:
        return
    codes.flags.writeable = False
    uniques.flags.writeable = False
    with contextlib.suppress(TypeError), _lock:  # data that takes no weak reference: not kept
        _kept.pop(key, None)
        while len(_kept) >= _KEEP:
            _kept.pop(next(iter(_kept)))
        _kept[key] = (weakref.ref(data), codes, uniques)


def id_codes(data: object) -> tuple[np.ndarray, np.ndarray] | None:
    """The codes kept by :func:`remember_id_codes` for this Arrow data, or for data over the
    same buffers while the kept data is alive; None otherwise.

    Parameters
    ----------
    data
        A column's Arrow data.

    Returns
    -------
    tuple of numpy.ndarray or None
        Read-only int64 codes and distinct ids.

    Examples
    --------
    >>> import pyarrow as pa
    >>> id_codes(pa.chunked_array([["never seen"]])) is None
    True
    """
    key = _identity(data)
    if key is None:
        return None
    with _lock:
        kept = _kept.get(key)
    if kept is None or kept[0]() is None:  # the kept data is gone: its buffers may be reused
        return None
    return kept[1], kept[2]
