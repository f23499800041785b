"""CTCAE terms (and grades) from one version to the next with NCI's official mapping sheets.

Each sheet (``criteria/data/dictionaries/ctcae_v4.03_to_v5.0_mapping.csv`` and
``ctcae_v5.0_to_v6.0_mapping.csv``) has one row per term and grade of the older version with the
term and grade it becomes in the newer one and NCI's change type (v5.0: ``N/A``,
``Clarification``, ``Deletion``, ``Primary SOC change``; v6.0: ``No change``, ``Clarification``,
``Deletion``, ``SOC change``). A term is matched by name (case-insensitive) or by its MedDRA code
in the older version.
"""

from __future__ import annotations

import difflib
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from aegrade.criteria.loader import resolve_criteria_id
from aegrade.errors import Failures, Reason, UnknownCriteriaError, close_matches_hint

__all__ = ["MAPPINGS", "load_mapping", "map_terms", "version_term_map"]

#: Older CTCAE version -> (newer version, NCI mapping sheet, column prefix of each side).
MAPPINGS: dict[str, tuple[str, str, str, str]] = {
    "ctcae-v4.03": ("ctcae-v5.0", "ctcae_v4.03_to_v5.0_mapping.csv", "v4", "v5"),
    "ctcae-v5.0": ("ctcae-v6.0", "ctcae_v5.0_to_v6.0_mapping.csv", "v5", "v6"),
}


def _nearest(given: str, known: list[str]) -> str:
    """The dictionary's terms nearest in spelling when none is close enough to be a likely
    misspelling (a synonym such as MedDRA's 'Pyrexia' for CTCAE's 'Fever' is not guessed)."""
    spelled = {k.lower(): k for k in reversed(known)}
    near = difflib.get_close_matches(given.lower(), list(spelled), n=3, cutoff=0.5)
    if not near:
        return "; no term is spelt like it: give NCI's term or its MedDRA code"
    return (
        f"; nearest in spelling: {', '.join(repr(spelled[n]) for n in near)} (none spelt "
        "closely: give NCI's term or its MedDRA code)"
    )


def _sheet(source: str) -> tuple[str, str, str, str]:
    cid = resolve_criteria_id(source)
    if cid not in MAPPINGS:
        raise UnknownCriteriaError(
            f"no NCI mapping from {source!r}; NCI maps {', '.join(MAPPINGS)} to the next version"
        )
    target, _, old, new = MAPPINGS[cid]
    return cid, target, old, new


@cache
def load_mapping(source: str = "ctcae-v4.03") -> pd.DataFrame:
    """NCI's mapping from ``source`` to the next version, one row per term and grade.

    Parameters
    ----------
    source
        The older version: ``ctcae-v4.03`` (to v5.0, the default) or ``ctcae-v5.0`` (to v6.0).

    Examples
    --------
    >>> load_mapping().set_index(["v4_term", "v4_grade"]).loc[("Anemia", "3"), "v5_grade"]
    '3'
    >>> m = load_mapping("5.0").set_index(["v5_term", "v5_grade"])
    >>> m.loc[("Platelet count decreased", "4"), ["v6_term", "v6_grade"]].tolist()
    ['Thrombocytopenia', '4']
    """
    cid, _, old, _ = _sheet(source)
    path = resources.files("aegrade.criteria") / "data" / "dictionaries" / MAPPINGS[cid][1]
    with path.open("rb") as fh:
        table = pd.read_csv(fh, dtype=str, keep_default_na=False)
    return table[table[f"{old}_grade"].isin(["1", "2", "3", "4", "5"])].reset_index(drop=True)


def version_term_map(a: str, b: str) -> dict[str, str]:
    """Each term of CTCAE version ``a`` -> the term NCI's mapping sheets give it in ``b``.

    Follows the sheets forwards (4.03 -> 5.0 -> 6.0) and backwards; a term keeps its name where
    no sheet applies (the same version, or a user's file). A term mapped to several is mapped
    to the one most of its grades go to.

    Examples
    --------
    >>> m = version_term_map("ctcae-v5.0", "ctcae-v6.0")
    >>> m["Platelet count decreased"], m["Anemia"]
    ('Thrombocytopenia', 'Anemia')
    >>> version_term_map("ctcae-v6.0", "ctcae-v5.0")["Thrombocytopenia"]
    'Platelet count decreased'
    """
    order = ["ctcae-v4.03", "ctcae-v5.0", "ctcae-v6.0"]
    ia, ib = (order.index(x) if x in order else -1 for x in (a, b))
    if ia < 0 or ib < 0 or ia == ib:
        return {}
    step = 1 if ib > ia else -1
    out: dict[str, str] | None = None
    for i in range(ia, ib, step):
        older = order[min(i, i + step)]
        m = load_mapping(older)
        _, _, old, new = _sheet(older)
        frm, to = (old, new) if step == 1 else (new, old)
        pairs = m.groupby([f"{frm}_term", f"{to}_term"]).size().reset_index(name="n")
        pairs = pairs.sort_values(["n", f"{to}_term"], ascending=[False, True])
        one = dict(pairs.drop_duplicates(f"{frm}_term")[[f"{frm}_term", f"{to}_term"]].to_numpy())
        out = one if out is None else {k: one.get(v, v) for k, v in out.items()}
    return out or {}


def map_terms(
    terms: pd.Series,
    grades: pd.Series | None = None,
    *,
    rows: np.ndarray | None = None,
    file: str | None = None,
    sheet: str | None = None,
    column: str = "term",
    source: str = "ctcae-v4.03",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Map terms of ``source`` (with grades when given) to the next CTCAE version.

    Parameters
    ----------
    source
        ``ctcae-v4.03`` (to v5.0, the default) or ``ctcae-v5.0`` (to v6.0).

    Returns
    -------
    (mapped, problems)
        ``mapped`` has ``<new>_term``, ``<new>_meddra_code``, ``<new>_grade`` (when grades are
        given) and ``change_type`` per input row (``<new>`` is ``v5`` or ``v6``); ``problems``
        is a failure table naming each term that is not a term of ``source`` (with close
        matches) and each grade the term does not have.

    Examples
    --------
    >>> mapped, problems = map_terms(pd.Series(["Anemia", "Anaemia"]), pd.Series([2, 3]))
    >>> mapped["v5_term"].tolist(), mapped["v5_grade"].tolist()
    (['Anemia', nan], [2.0, nan])
    >>> problems["message"].tolist()
    ["'Anaemia' is not a CTCAE v4.03 term; did you mean 'Anemia', 'Anorgasmia'?"]
    >>> mapped, _ = map_terms(pd.Series(["Platelet count decreased"]), source="5.0")
    >>> mapped[["v6_term", "change_type"]].iloc[0].tolist()
    ['Thrombocytopenia', 'Deletion']
    """
    cid, _, old, new = _sheet(source)
    version = cid.removeprefix("ctcae-v")
    m = load_mapping(cid)
    by_term = {t.lower(): t for t in m[f"{old}_term"]}
    by_code = dict(zip(m[f"{old}_meddra_code"], m[f"{old}_term"], strict=False))
    raw = terms.astype("string").str.strip()
    found_term = raw.str.lower().map(by_term)
    found_term = found_term.fillna(raw.str.replace(r"\.0$", "", regex=True).map(by_code))
    labels = rows if rows is not None else terms.index.to_numpy(dtype=object)
    problems = Failures(file, sheet)
    for i in np.flatnonzero(found_term.isna().to_numpy(bool)):
        hint = close_matches_hint(str(raw.iloc[i]), by_term.values()) or _nearest(
            str(raw.iloc[i]), list(by_term.values())
        )
        problems.add(
            Reason.UNKNOWN_TERM,
            f"{raw.iloc[i]!r} is not a CTCAE v{version} term{hint}",
            row=labels[i],
            column=column,
            value=raw.iloc[i],
        )
    first = m.drop_duplicates(f"{old}_term").set_index(f"{old}_term")
    cols = (f"{new}_term", f"{new}_meddra_code", "change_type")
    out = pd.DataFrame(
        {f"{old}_term": found_term, **{c: found_term.map(first[c]) for c in cols}},
        index=terms.index,
    )
    if grades is not None:
        g = pd.to_numeric(grades, errors="coerce").astype("Int64").astype("string")
        keyed = m.set_index([f"{old}_term", f"{old}_grade"])
        key = pd.MultiIndex.from_arrays([found_term.fillna(""), g.fillna("")])
        found = keyed.reindex(key)
        for col in cols:
            out[col] = np.where(
                found[col].notna(), found[col].to_numpy(object), out[col].to_numpy(object)
            )
        out[f"{new}_grade"] = pd.to_numeric(found[f"{new}_grade"].to_numpy(), errors="coerce")
        bad = found_term.notna().to_numpy(bool) & found[f"{new}_term"].isna().to_numpy(bool)
        for i in np.flatnonzero(bad):
            problems.add(
                Reason.INVALID_GRADE,
                f"grade {grades.iloc[i]!s} is not a grade of {found_term.iloc[i]!r} in CTCAE "
                f"v{version}",
                row=labels[i],
                column="grade",
                value=grades.iloc[i],
            )
    return out, problems.frame()
