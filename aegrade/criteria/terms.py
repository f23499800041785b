"""Adverse-event terms compared as a reader would: spellings folded, synonym groups, SOCs.

Read once from ``data/terms/ae_terms.yaml``, which cites a source for every group, spelling
rule and SOC (and says which groupings are aegrade's own). Nothing clinical is written here:
this module folds spellings and looks terms up.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import pandas as pd
import yaml

from aegrade.criteria.loader import load_dictionary

__all__ = ["fold_terms", "term_match_keys", "term_socs"]

_FILE = ("terms", "ae_terms.yaml")


@cache
def _data() -> dict[str, Any]:
    text = resources.files("aegrade.criteria.data").joinpath(*_FILE).read_text("utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def _fold(values: pd.Series, spellings: bool) -> pd.Series:
    out = (
        values.astype("string")
        .str.lower()
        .str.replace(r"[\s\-\u2010-\u2013]+", " ", regex=True)
        .str.strip()
    )
    if spellings:
        for old, new in _data()["spellings"]["replace"]:
            out = out.str.replace(str(old), str(new), regex=False)
    return out


def fold_terms(terms: pd.Series) -> pd.Series:
    """Terms folded for comparison: lower case, hyphens and blanks as one blank, British
    spellings made US (the ``spellings`` of ``ae_terms.yaml``, after MedDRA's convention).

    Parameters
    ----------
    terms
        AE term names; missing values stay missing.

    Returns
    -------
    pandas.Series
        ``string`` dtype, same index.

    Examples
    --------
    >>> fold_terms(pd.Series(["Anaemia", "Hypokalaemia ", "Leucopenia", None])).tolist()
    ['anemia', 'hypokalemia', 'leukopenia', <NA>]
    >>> fold_terms(pd.Series(["Immune effector cell-associated  neurotoxicity"])).tolist()
    ['immune effector cell associated neurotoxicity']
    """
    return _fold(terms, spellings=True)


@cache
def _groups() -> dict[str, tuple[str, ...]]:
    """Folded term -> the ids of the groups it is in."""
    out: dict[str, list[str]] = {}
    for group in _data()["groups"]:
        for key in fold_terms(pd.Series(group["terms"], dtype="string")):
            out.setdefault(str(key), []).append(str(group["id"]))
    return {k: tuple(v) for k, v in out.items()}


def term_match_keys(terms: pd.Series, *, synonyms: bool = True) -> pd.DataFrame:
    """The keys under which each term matches another: two terms match when they share one.

    With ``synonyms`` a term's keys are the ids of the groups of ``ae_terms.yaml`` it is in
    (``group:neutrophils-decreased``), or its folded spelling when it is in none; without,
    its name stripped and in lower case only (exact matching).

    Parameters
    ----------
    terms
        AE term names.
    synonyms
        Use the groups and spellings (default) or exact names.

    Returns
    -------
    pandas.DataFrame
        ``position`` (0-based position in ``terms``) and ``key``, one line per key; a term
        missing or blank has none.

    Examples
    --------
    >>> keys = term_match_keys(pd.Series(["Neutropenia", "Neutrophil count decreased",
    ...                                   "Transaminases increased", "Anaemia", ""]))
    >>> keys.groupby("position")["key"].apply(list).tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['group:neutrophils-decreased'], ['group:neutrophils-decreased'],
     ['group:alt-increased', 'group:ast-increased'], ['group:anemia']]
    >>> term_match_keys(pd.Series(["Anaemia"]), synonyms=False)["key"].tolist()
    ['anaemia']
    """
    exact = terms.astype("string").str.strip().str.lower()
    folded = (fold_terms(terms) if synonyms else exact).reset_index(drop=True)
    present = folded.notna() & (folded != "")
    folded = folded[present]
    if not synonyms:
        return pd.DataFrame({"position": folded.index.to_numpy(), "key": folded.to_numpy(object)})
    groups = _groups()
    # keys per distinct folded term (a study has a few hundred), joined back to every row
    pairs = [
        (t, key)
        for t in folded.unique()
        for key in ([f"group:{g}" for g in groups.get(str(t), ())] or [str(t)])
    ]
    lookup = pd.DataFrame(pairs, columns=["term", "key"])
    rows = pd.DataFrame({"position": folded.index.to_numpy(), "term": folded.to_numpy(object)})
    return rows.merge(lookup, on="term", how="inner")[["position", "key"]]


@cache
def term_socs() -> dict[str, str]:
    """Term (lower case) -> its SOC: the CTCAE v5.0 dictionary, then CTCAE v6.0 for terms
    v5.0 lacks (Immune effector cell-associated neurotoxicity syndrome, Thrombocytopenia,
    Lymphopenia, ...), then the ``socs`` of ``ae_terms.yaml`` (abbreviations).

    Returns
    -------
    dict
        For AE tables, to file a record given without a SOC.

    Examples
    --------
    >>> socs = term_socs()
    >>> socs["cytokine release syndrome"], socs["anemia"]
    ('Immune system disorders', 'Blood and lymphatic system disorders')
    >>> socs["immune effector cell-associated neurotoxicity syndrome"], socs["icans"]
    ('Nervous system disorders', 'Nervous system disorders')
    """
    out: dict[str, str] = {}
    for entry in _data()["socs"]:
        out[str(entry["term"]).lower()] = str(entry["soc"])
    for version in ("ctcae-v6.0", "ctcae-v5.0"):  # v5.0 last: it wins where both have a term
        d = load_dictionary(version)
        out.update({str(t).lower(): str(s) for t, s in zip(d["term"], d["soc"], strict=True)})
    return out
