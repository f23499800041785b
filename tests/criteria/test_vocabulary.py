"""One vocabulary: the words come from the criteria data and mean the same to every consumer."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aegrade.criteria import load_crs_icans_criteria
from aegrade.criteria.vocabulary import (
    allowed_words,
    default_vocabulary,
    false_words,
    normalize_word,
    not_given,
    read_values,
    true_words,
    vocabulary_of,
)


def test_words_are_read_from_the_criteria_file() -> None:
    astct = load_crs_icans_criteria("astct-2019")
    assert astct.vocabulary is not None
    assert true_words() == frozenset(astct.vocabulary.true_words)
    assert false_words() == frozenset(astct.vocabulary.false_words)
    assert {"absent", "not_given", "none", "no", "0"} <= false_words()
    assert {"given", "present", "yes"} <= true_words()
    assert not true_words() & false_words()


def test_other_crs_files_share_the_vocabulary() -> None:
    for cid in ("lee-2014", "ctcae-v5.0-crs"):
        assert vocabulary_of(load_crs_icans_criteria(cid)) == default_vocabulary()


def test_allowed_words_come_from_devices_agents_and_domains() -> None:
    astct = load_crs_icans_criteria("astct-2019")
    assert astct.icans is not None
    words = allowed_words()
    assert words["OXYGEN"] == frozenset(astct.crs.hypoxia.devices)
    assert words["LOC"] == frozenset(astct.icans.domains["LOC"].grades)
    assert {"norepinephrine", "vasopressin", "dobutamine", "absent"} <= words["VASOPRESSOR"]
    assert list(words) == ["OXYGEN", "VASOPRESSOR", "HYPOTENSION", "LOC", "SEIZURE", "MOTOR", "ICP"]


def test_values_are_folded_and_aliased() -> None:
    numbers, words = read_values(pd.Series(["Not Given", "NC", "Levophed", 6, "0.0", True]))
    assert [w if isinstance(w, str) else None for w in words] == [
        "not_given",
        "nasal_cannula",
        "norepinephrine",
        None,
        None,
        "true",
    ]
    assert np.isnan(numbers[0]) and numbers[3] == 6 and numbers[4] == 0
    assert normalize_word("Awakens to-voice") == "awakens_to_voice"


def test_not_given_is_a_no_word_or_zero() -> None:
    values = pd.Series(["absent", "not given", "None", "0", 0.0, "given", "8 mg", None, 4])
    assert not_given(*read_values(values)).tolist() == [
        True,
        True,
        True,
        True,
        True,
        False,
        False,
        False,
        False,
    ]
