"""CTCAE v4.03 terms (and grades) to v5.0 with NCI's official mapping sheet.

The sheet (``criteria/data/dictionaries/ctcae_v4.03_to_v5.0_mapping.csv``) has one row per
v4.03 term and grade with the v5.0 term and grade it becomes and NCI's ``change_type``
(``N/A``, ``Clarification``, ``Deletion``, ``Primary SOC change``). A term is matched by name
(case-insensitive) or by its v4.03 MedDRA code.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from aegrade.errors import Failures, Reason, close_matches_hint

__all__ = ["load_mapping", "map_terms"]


@cache
def load_mapping() -> pd.DataFrame:
    """NCI's v4.03 -> v5.0 mapping, one row per v4.03 term and grade.

    Examples
    --------
    >>> load_mapping().set_index(["v4_term", "v4_grade"]).loc[("Anemia", "3"), "v5_grade"]
    '3'
    """
    path = (
        resources.files("aegrade.criteria")
        / "data"
        / "dictionaries"
        / "ctcae_v4.03_to_v5.0_mapping.csv"
    )
    with path.open("rb") as fh:
        table = pd.read_csv(fh, dtype=str, keep_default_na=False)
    return table[table["v4_grade"].isin(["1", "2", "3", "4", "5"])].reset_index(drop=True)


def map_terms(
    terms: pd.Series,
    grades: pd.Series | None = None,
    *,
    rows: np.ndarray | None = None,
    file: str | None = None,
    sheet: str | None = None,
    column: str = "term",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Map v4.03 terms (with grades when given) to v5.0.

    Returns
    -------
    (mapped, problems)
        ``mapped`` has ``v5_term``, ``v5_meddra_code``, ``v5_grade`` (when grades are given) and
        ``change_type`` per input row; ``problems`` is a failure table naming each term that is
        not a v4.03 term (with close matches) and each grade the term does not have.

    Examples
    --------
    >>> mapped, problems = map_terms(pd.Series(["Anemia", "Anaemia"]), pd.Series([2, 3]))
    >>> mapped["v5_term"].tolist(), mapped["v5_grade"].tolist()
    (['Anemia', nan], [2.0, nan])
    >>> problems["message"].tolist()
    ["'Anaemia' is not a CTCAE v4.03 term; did you mean 'Anemia', 'Anorgasmia'?"]
    """
    m = load_mapping()
    by_term = {t.lower(): t for t in m["v4_term"]}
    by_code = dict(zip(m["v4_meddra_code"], m["v4_term"], strict=False))
    raw = terms.astype("string").str.strip()
    v4 = raw.str.lower().map(by_term)
    v4 = v4.fillna(raw.str.replace(r"\.0$", "", regex=True).map(by_code))
    labels = rows if rows is not None else terms.index.to_numpy(dtype=object)
    problems = Failures(file, sheet)
    for i in np.flatnonzero(v4.isna().to_numpy(bool)):
        hint = close_matches_hint(str(raw.iloc[i]), by_term.values())
        problems.add(
            Reason.UNKNOWN_TERM,
            f"{raw.iloc[i]!r} is not a CTCAE v4.03 term{hint}",
            row=labels[i],
            column=column,
            value=raw.iloc[i],
        )
    first = m.drop_duplicates("v4_term").set_index("v4_term")
    out = pd.DataFrame(
        {
            "v4_term": v4,
            "v5_term": v4.map(first["v5_term"]),
            "v5_meddra_code": v4.map(first["v5_meddra_code"]),
            "change_type": v4.map(first["change_type"]),
        },
        index=terms.index,
    )
    if grades is not None:
        g = pd.to_numeric(grades, errors="coerce").astype("Int64").astype("string")
        keyed = m.set_index(["v4_term", "v4_grade"])
        key = pd.MultiIndex.from_arrays([v4.fillna(""), g.fillna("")])
        found = keyed.reindex(key)
        for col in ("v5_term", "v5_meddra_code", "change_type"):
            out[col] = np.where(
                found[col].notna(), found[col].to_numpy(object), out[col].to_numpy(object)
            )
        out["v5_grade"] = pd.to_numeric(found["v5_grade"].to_numpy(), errors="coerce")
        bad = v4.notna().to_numpy(bool) & found["v5_term"].isna().to_numpy(bool)
        for i in np.flatnonzero(bad):
            problems.add(
                Reason.INVALID_GRADE,
                f"grade {grades.iloc[i]!s} is not a grade of {v4.iloc[i]!r} in CTCAE v4.03",
                row=labels[i],
                column="grade",
                value=grades.iloc[i],
            )
    return out, problems.frame()
