"""The words findings are written in, read once from the criteria data.

Every consumer of words (preparing CRS/ICANS findings, the CRS engine, the CRS/ICANS summary
table) takes them from here, so a word means the same thing everywhere. The words live in the
``vocabulary`` section of :data:`VOCABULARY_SOURCE` (``astct-2019.yaml``, with its notes), the
oxygen devices in its CRS hypoxia table and the LOC, seizure, motor and ICP words in its ICANS
domains; ``lee-2014`` and ``ctcae-v5.0-crs`` name that vocabulary (``vocabulary_from``).

A word is folded before it is looked up (:func:`normalize_word`): lower case, spaces, hyphens
and slashes as underscores, then the aliases (``noradrenaline`` -> ``norepinephrine``,
``NC`` -> ``nasal_cannula``).
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np
import pandas as pd

from aegrade.criteria.loader import load_crs_icans_criteria
from aegrade.criteria.syndromes import CrsIcansCriteria, Vocabulary

__all__ = [
    "VOCABULARY_SOURCE",
    "allowed_words",
    "default_vocabulary",
    "false_words",
    "normalize_word",
    "not_given",
    "read_values",
    "true_words",
    "vocabulary_of",
]

#: The criteria file whose ``vocabulary`` section, devices and ICANS domains hold the words.
VOCABULARY_SOURCE = "astct-2019"

_WORD = re.compile(r"[\s\-/]+")


def vocabulary_of(c: CrsIcansCriteria) -> Vocabulary:
    """The vocabulary a CRS/ICANS file uses: its own, or the one it names (``vocabulary_from``).

    Examples
    --------
    >>> from aegrade.criteria import load_criteria
    >>> "vasopressin" in vocabulary_of(load_criteria("lee-2014")).vasopressors
    True
    """
    if c.vocabulary is not None:
        return c.vocabulary
    other = load_crs_icans_criteria(c.vocabulary_from or "")
    if other.vocabulary is None:
        raise ValueError(f"{c.id}: vocabulary_from {other.id!r}, which has no vocabulary")
    return other.vocabulary


@cache
def default_vocabulary() -> Vocabulary:
    """The vocabulary of :data:`VOCABULARY_SOURCE`.

    Examples
    --------
    >>> default_vocabulary().aliases["noradrenaline"]
    'norepinephrine'
    """
    return vocabulary_of(load_crs_icans_criteria(VOCABULARY_SOURCE))


@cache
def true_words() -> frozenset[str]:
    """Words read as yes / present / given (folded).

    Examples
    --------
    >>> sorted(true_words())[:3]
    ['1', '1.0', 'given']
    """
    return frozenset(default_vocabulary().true_words)


@cache
def false_words() -> frozenset[str]:
    """Words read as no / absent / not given (folded).

    Examples
    --------
    >>> {"absent", "not_given", "none"} <= false_words()
    True
    """
    return frozenset(default_vocabulary().false_words)


def normalize_word(text: object) -> str:
    """Fold a finding word: lower case, spaces/hyphens/slashes as underscores (no aliases).

    Examples
    --------
    >>> normalize_word(" Not given "), normalize_word("high-flow nasal/cannula")
    ('not_given', 'high_flow_nasal_cannula')
    """
    return _WORD.sub("_", str(text).strip().lower())


def read_values(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Numbers and folded words (aliases applied) of a value column; distinct values once.

    Parameters
    ----------
    values
        A column of findings' values: numbers, words, or both.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Per row the number (NaN for a word or a missing value) and the folded word (not a
        string for a number or a missing value). ``True``/``False`` cells are words.

    Examples
    --------
    >>> numbers, words = read_values(pd.Series(["Noradrenaline", "8", None, "Not given"]))
    >>> numbers.tolist(), [w for w in words if isinstance(w, str)]
    ([nan, 8.0, nan, nan], ['norepinephrine', 'not_given'])
    """
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.to_numpy(float, na_value=np.nan), np.full(len(values), None, object)
    aliases = default_vocabulary().aliases
    codes, uniq = pd.factorize(values, use_na_sentinel=True)
    u = pd.Series(np.asarray(uniq, dtype=object), dtype=object)
    is_bool = u.map(lambda x: isinstance(x, bool))
    num = pd.to_numeric(u.where(~is_bool), errors="coerce")
    text = u.astype(str).str.strip().str.lower().str.replace(r"[\s\-/]+", "_", regex=True)
    text = text.where(num.isna() | is_bool)
    text = text.map(lambda w: aliases.get(w, w) if isinstance(w, str) else None)
    num_a = np.r_[num.to_numpy(float), np.nan]
    word_a = np.r_[text.to_numpy(object), np.array([None], object)]
    return num_a[codes], word_a[codes]


def not_given(numbers: np.ndarray, words: np.ndarray) -> np.ndarray:
    """Per row of a treatment finding: the value says it was not given (a 'no' word or 0).

    A row with any other value (a dose, ``given``, a missing value) records the treatment.

    Examples
    --------
    >>> not_given(*read_values(pd.Series(["absent", "given", "0", "8 mg", None]))).tolist()
    [True, False, True, False, False]
    """
    no_word: np.ndarray = pd.Series(words, dtype=object).isin(list(false_words())).to_numpy(bool)
    zero: np.ndarray = np.asarray(numbers, float) == 0
    out: np.ndarray = no_word | zero
    return out


@cache
def allowed_words() -> dict[str, frozenset[str]]:
    """The words each word-valued finding may take (folded, after aliases).

    Returns
    -------
    dict
        ``OXYGEN`` (the devices), ``VASOPRESSOR`` (agents, agents not counted and the 'no'
        words), ``HYPOTENSION`` (yes/no words), ``LOC``, ``SEIZURE``, ``MOTOR``, ``ICP``.

    Examples
    --------
    >>> sorted(allowed_words()["SEIZURE"])
    ['none', 'prolonged', 'rapidly_resolving']
    """
    source = load_crs_icans_criteria(VOCABULARY_SOURCE)
    v = default_vocabulary()
    out = {
        "OXYGEN": frozenset(source.crs.hypoxia.devices),
        "VASOPRESSOR": frozenset({*v.vasopressors, *v.not_vasopressors, *v.false_words}),
        "HYPOTENSION": frozenset({*v.true_words, *v.false_words}),
    }
    if source.icans is not None:
        out |= {name: frozenset(d.grades) for name, d in source.icans.domains.items()}
    return out
