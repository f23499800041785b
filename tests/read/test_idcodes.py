"""Subject ids' text codes made once by the reader and handed to the stages (read.idcodes)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from aegrade.episodes.build import text_codes
from aegrade.read.idcodes import id_codes, remember_id_codes
from aegrade.read.study import text_ids

COLUMNS = {
    "integers": pd.Series([7, 3, 7, None, 12, 3], dtype="Int64"),
    "int64": pd.Series([101, 5, 101, 7, 5, 9]),
    "floats": pd.Series([101.0, 2.5, 101.0, np.nan, 7.0, 2.5]),
    "text": pd.Series([" S1", "S1", "S2 ", "", None, "S2", "s1"], dtype="string"),
    "str": pd.Series(["A", "B ", "A", " B", "C"], dtype="str"),
}


@pytest.mark.parametrize("name", sorted(COLUMNS))
def test_the_readers_codes_are_factorize_of_its_text(name: str) -> None:
    """Two ids giving one text (" S1" and "S1") share a code; an empty or missing id is -1;
    the stages get the reader's arrays, not a second factorization."""
    ids = text_ids(COLUMNS[name])
    kept = id_codes(ids.array.__arrow_array__())
    assert kept is not None
    codes, uniques = pd.factorize(ids, use_na_sentinel=True)
    assert kept[0].dtype == np.int64 and kept[0].tolist() == codes.tolist()
    assert kept[1].dtype == object and kept[1].tolist() == list(uniques)
    assert not kept[0].flags.writeable and not kept[1].flags.writeable
    given = text_codes(ids.copy(deep=False))  # a shallow copy: the same buffers
    assert given[0] is kept[0] and given[1] is kept[1]


def test_other_data_with_the_same_values_is_not_taken_for_the_kept() -> None:
    ids = pd.Series(["S1", "S2", "S1"], dtype="string")
    data = ids.array.__arrow_array__()
    remember_id_codes(data, np.array([0, 1, 0]), np.array(["S1", "S2"], dtype=object))
    assert id_codes(data) is not None
    same_values = pa.chunked_array([pa.array(["S1", "S2", "S1"])])
    assert id_codes(same_values) is None
    assert id_codes(np.array(["S1"])) is None  # not Arrow data


def test_a_handful_of_columns_are_kept_the_oldest_dropped_first() -> None:
    columns = [pd.Series([f"S{i}", "T"], dtype="string") for i in range(6)]
    for i, column in enumerate(columns):
        remember_id_codes(
            column.array.__arrow_array__(),
            np.array([0, 1]),
            np.array([f"S{i}", "T"], dtype=object),
        )
    kept = [id_codes(c.array.__arrow_array__()) is not None for c in columns]
    assert kept == [False, False, True, True, True, True]
