"""CRS and ICANS summary: incidence, grade >= 3, time to onset, duration and treatment use.

The layout of CAR-T labelling and papers: per grading system, the percentage of patients with
the syndrome at any grade and at grade >= 3, the median (range) time to onset and duration in
days; then the patients given tocilizumab and corticosteroids.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from aegrade.criteria.vocabulary import not_given, read_values
from aegrade.tables.display import (
    DisplayTable,
    format_count,
    format_percent,
    system_label,
    with_grading_footnote,
)
from aegrade.tables.spec import arm_column

__all__ = [
    "CRS_TERM",
    "ICANS_TERM",
    "TREATMENT_WINDOW_DAYS",
    "build_crs_icans_summary",
    "format_median_range",
]

CRS_TERM = "Cytokine release syndrome"
ICANS_TERM = "Immune effector cell-associated neurotoxicity syndrome"
_SHORT = {CRS_TERM.lower(): "CRS", ICANS_TERM.lower(): "ICANS"}
_TREATMENTS = (("TOCILIZUMAB", "Tocilizumab"), ("CORTICOSTEROID", "Corticosteroids"))

#: Days after the end of a CRS/ICANS episode during which a treatment still counts as given for
#: it. An episode's ``end`` is its last abnormal time point, and tocilizumab or corticosteroids
#: given for it are often charted later that day or the next morning; one day keeps those while
#: premedication (before any episode) and much later use are not counted. A table convention of
#: aegrade, not part of any grading system (option ``treatment_window_days``).
TREATMENT_WINDOW_DAYS = 1.0


def format_median_range(values: pd.Series | np.ndarray, decimals: int = 1) -> str:
    """'median (min-max)' of days, every number with the same ``decimals`` (one rule for the
    whole table: '0.8 (0.5-2.0)', '1.0 (1.0-1.0)'), rounded half up.

    Examples
    --------
    >>> format_median_range([1, 2, 7.5])
    '2.0 (1.0-7.5)'
    >>> format_median_range([1, 2, 7.5], decimals=0)
    '2 (1-8)'
    >>> format_median_range([])
    'NA'
    """
    v = pd.to_numeric(pd.Series(values), errors="coerce").dropna().to_numpy(float)
    if not len(v):
        return "NA"
    med, lo, hi = (format_percent(x, decimals) for x in (float(np.median(v)), v.min(), v.max()))
    return f"{med} ({lo}-{hi})"


def build_crs_icans_summary(
    adverse_events: pd.DataFrame,
    subjects: pd.DataFrame | None = None,
    observations: pd.DataFrame | None = None,
    *,
    by: str | None = None,
    treatment_window_days: float = TREATMENT_WINDOW_DAYS,
) -> DisplayTable:
    """CRS/ICANS summary per grading system, one column per arm.

    Parameters
    ----------
    adverse_events
        AE rows (``subject_id``, ``term``, ``criteria``, ``grade``, ``onset``; ``duration`` or
        ``end``; ``time_to_onset`` when the CRS/ICANS engine gives it). Rows whose term is
        :data:`CRS_TERM` or :data:`ICANS_TERM` are used.
    subjects
        The subjects table; N comes from it (else from the AE subjects).
    observations
        Observations or graded observations (``subject_id``, ``parameter``, ``value``):
        ``TOCILIZUMAB`` and ``CORTICOSTEROID`` rows mark a patient as treated, unless the value
        says not given (a 'no' word of :mod:`aegrade.criteria.vocabulary` such as no, false,
        none, absent, not given, or the number 0), as for the CRS engine's audit trail.
    by
        Arm column of ``subjects``.
    treatment_window_days
        Days after an episode's end during which a treatment counts
        (:data:`TREATMENT_WINDOW_DAYS`).

    Returns
    -------
    DisplayTable
        With an ``ard`` (row, arm, column, n, N, percent, median, min, max).

    Notes
    -----
    Time to onset is a patient's earliest episode onset (``time_to_onset`` when given, else
    ``onset``), in days from infusion. Duration is the sum of the patient's episode
    durations (``duration``, else ``end - onset``). Medians and ranges are over the patients
    with the syndrome.

    Examples
    --------
    Two of three patients had CRS (grades 1 and 2):

    >>> import pandas as pd
    >>> ae = pd.DataFrame({"subject_id": ["01", "02"], "term": CRS_TERM, "criteria": "astct-2019",
    ...                    "grade": [1, 2], "onset": [1.0, 2.0], "end": [3.0, 6.0]})
    >>> table = build_crs_icans_summary(ae, pd.DataFrame({"subject_id": ["01", "02", "03"]}))
    >>> table.ard[["n", "N"]].head(2).values.tolist()
    [[2, 3], [0, 3]]
    """
    ae = adverse_events.assign(subject_id=adverse_events["subject_id"].astype("string"))
    ae = ae[ae["term"].astype("string").str.lower().isin(list(_SHORT))]
    ae = ae[pd.to_numeric(ae["grade"], errors="coerce") >= 1]
    subj = _subject_frame(subjects, adverse_events, by)
    arms = _arm_list(subj)
    body, indent, emph, ard = [], [], [], []
    crit = ae["criteria"] if "criteria" in ae else pd.Series("", index=ae.index)
    pairs = {(t, c) for t, c in zip(ae["term"].str.lower(), crit.fillna(""), strict=True)}
    for t, c in sorted(pairs, key=lambda p: (list(_SHORT).index(p[0]), p[1])):
        part = ae[(ae["term"].str.lower() == t) & (crit.fillna("") == c)]
        title = f"{_SHORT[t]} ({system_label(c)})" if c else _SHORT[t]
        body.append((title, *[""] * len(arms)))
        indent.append(0)
        emph.append(True)
        for label, rows in _syndrome_rows(part, subj, arms, title):
            body.append((label, *(r[0] for r in rows)))
            indent.append(1)
            emph.append(False)
            ard += [r[1] for r in rows]
    treated = _treated(observations, ae, subj, arms, treatment_window_days)
    if treated:
        body.append(("Treatment", *[""] * len(arms)))
        indent.append(0)
        emph.append(True)
        for label, rows in treated:
            body.append((label, *(r[0] for r in rows)))
            indent.append(1)
            emph.append(False)
            ard += [r[1] for r in rows]
    foot = [
        "N, number of patients; n (%), patients with the event. Time to onset: days from "
        "infusion to the first episode; duration: days, summed over a patient's episodes; "
        "median (range) over the patients with the event. Treatment: given from the onset "
        f"of a CRS or ICANS episode to {_days(treatment_window_days)} after its end "
        "(premedication not counted)."
    ]
    return DisplayTable(
        title="Cytokine release syndrome and ICANS",
        stub_header="",
        columns=tuple(f"{a} (N = {n})" for a, n in arms),
        body=tuple(body),
        indent=tuple(indent),
        emphasis=tuple(emph),
        footnotes=with_grading_footnote(foot, crit.unique()),
        name="CRS ICANS",
        ard=pd.DataFrame(
            ard, columns=["row", "arm", "column", "n", "N", "percent", "median", "min", "max"]
        ),
    )


def _days(n: float) -> str:
    return "one day" if n == 1 else f"{n:g} days"


def _subject_frame(subjects: pd.DataFrame | None, ae: pd.DataFrame, by: str | None) -> pd.DataFrame:
    if subjects is None:
        ids = pd.unique(ae["subject_id"].astype("string").dropna())
        subj = pd.DataFrame({"subject_id": pd.Series(ids, dtype="string")})
    else:
        subj = subjects.assign(subject_id=subjects["subject_id"].astype("string"))
    if by is None:
        return subj.assign(_arm="All subjects")
    return subj.assign(_arm=subj[arm_column(subj.columns, by)].astype("string").fillna("Missing"))


def _arm_list(subj: pd.DataFrame) -> list[tuple[str, int]]:
    counts = subj["_arm"].value_counts()
    arms = [(str(a), int(counts[a])) for a in sorted(counts.index)]
    if len(arms) > 1:
        arms.append(("Total", len(subj)))
    return arms


#: One table cell: its display text and its ARD record.
_Cell = tuple[str, list[object]]


def _in_arm(subj: pd.DataFrame, arm: str) -> pd.Index:
    sel = subj if arm == "Total" else subj[subj["_arm"] == arm]
    ids: pd.Index = pd.Index(sel["subject_id"])
    return ids


def _syndrome_rows(
    part: pd.DataFrame, subj: pd.DataFrame, arms: list[tuple[str, int]], title: str
) -> list[tuple[str, list[_Cell]]]:
    g = pd.to_numeric(part["grade"], errors="coerce")
    onset = _column(part, "onset")
    if "time_to_onset" in part and part["time_to_onset"].notna().any():
        onset = _column(part, "time_to_onset")
    dur = (
        _column(part, "duration")
        if "duration" in part
        else _column(part, "end") - _column(part, "onset")
    )
    per = pd.DataFrame({"s": part["subject_id"], "g": g, "o": onset, "d": dur}).groupby("s")
    worst, first, total = per["g"].max(), per["o"].min(), per["d"].sum(min_count=1)
    out = []
    for label, kind in (
        ("Any grade, n (%)", 1),
        ("Grade >= 3, n (%)", 3),
        ("Time to onset, days, median (range)", "o"),
        ("Duration, days, median (range)", "d"),
    ):
        cells = []
        for arm, big_n in arms:
            ids = _in_arm(subj, arm)
            if isinstance(kind, int):
                n = int((worst.reindex(ids) >= kind).sum())
                pct = 100.0 * n / big_n if big_n else np.nan
                cells.append(
                    (
                        format_count(n, big_n),
                        [f"{title} / {label}", arm, "n (%)", n, big_n, pct, np.nan, np.nan, np.nan],
                    )
                )
            else:
                v = (first if kind == "o" else total).reindex(ids).dropna()
                stat = (
                    [float(np.median(v)), float(v.min()), float(v.max())]
                    if len(v)
                    else [np.nan] * 3
                )
                cells.append(
                    (
                        format_median_range(v),
                        [f"{title} / {label}", arm, "median (range)", len(v), big_n, np.nan, *stat],
                    )
                )
        out.append((label, cells))
    return out


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A numeric column, all NaN when absent."""
    if name not in frame:
        return pd.Series(np.nan, index=frame.index)
    return pd.to_numeric(frame[name], errors="coerce")


def _treated(
    observations: pd.DataFrame | None,
    ae: pd.DataFrame,
    subj: pd.DataFrame,
    arms: list[tuple[str, int]],
    window: float,
) -> list[tuple[str, list[_Cell]]]:
    if observations is None or "parameter" not in observations:
        return []
    par = observations["parameter"].astype("string").str.strip().str.upper()
    given = np.ones(len(observations), bool)
    if "value" in observations or "value_text" in observations:
        # graded observations keep a word in value_text and a number in value
        text = observations.get("value_text")
        raw = observations["value"] if text is None else text
        if text is not None and "value" in observations:
            raw = text.astype(object).where(text.notna(), observations["value"])
        given = ~not_given(*read_values(raw))
    during = np.zeros(len(observations), bool)
    rows = np.flatnonzero(par.isin([c for c, _ in _TREATMENTS]).to_numpy(bool))
    during[rows] = _during_episode(observations.iloc[rows], ae, window)
    out = []
    for code, label in _TREATMENTS:
        hit = (par == code).to_numpy(bool) & given & during
        who = pd.Index(observations.loc[hit, "subject_id"].astype("string").unique())
        cells = []
        for arm, big_n in arms:
            n = int(_in_arm(subj, arm).isin(who).sum())
            pct = 100.0 * n / big_n if big_n else np.nan
            cells.append(
                (
                    format_count(n, big_n),
                    [f"Treatment / {label}", arm, "n (%)", n, big_n, pct, np.nan, np.nan, np.nan],
                )
            )
        out.append((f"{label}, n (%)", cells))
    return out


def _during_episode(observations: pd.DataFrame, ae: pd.DataFrame, window: float) -> np.ndarray:
    """Rows given from the onset of one of the patient's CRS/ICANS episodes to ``window`` days
    after its end, so that premedication (before any episode) is not counted. Rows or episodes
    without days count as during."""
    if "day" not in observations or ae.empty:
        return np.ones(len(observations), bool)
    day = pd.to_numeric(observations["day"], errors="coerce").to_numpy(float)
    sid = observations["subject_id"].astype("string").to_numpy(object)
    onset = _column(ae, "onset").to_numpy(float)
    end = _column(ae, "end").to_numpy(float)
    end = np.where(np.isnan(end), onset, end)
    rows = pd.DataFrame({"row": np.arange(len(day)), "sid": sid, "day": day})
    episodes = pd.DataFrame(
        {"sid": ae["subject_id"].astype("string").to_numpy(object), "lo": onset, "hi": end}
    )
    pairs = rows.merge(episodes, on="sid")  # each row with each episode of its patient
    hit = pairs["lo"].isna() | (  # an episode without days: any use by that patient counts
        (pairs["day"] >= pairs["lo"]) & (pairs["day"] <= pairs["hi"] + window)
    )
    inside: np.ndarray = np.isnan(day)
    inside[pairs["row"].to_numpy()[hit.to_numpy(bool)]] = True
    return inside
