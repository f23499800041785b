"""The one coding of subject ids as text (prepare.ids), shared by preparation, episodes and
hematology."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aegrade.prepare.ids import text_codes


def test_text_codes_are_the_episode_builders_and_factorize_of_the_text() -> None:
    from aegrade.episodes import build

    assert build.text_codes is text_codes  # one function, re-exported where it was
    ids = pd.Series(["B", None, "A", "B", ""], dtype="string")
    codes, uniques = text_codes(ids)
    want, distinct = pd.factorize(ids, use_na_sentinel=True)
    assert codes.tolist() == want.tolist() == [0, -1, 1, 0, 2]
    assert uniques.tolist() == list(distinct) == ["B", "A", ""]


def test_empty_ids_give_empty_codes() -> None:
    codes, uniques = text_codes(pd.Series([], dtype="string"))
    assert codes.dtype == np.int64 and codes.size == 0 and uniques.size == 0
