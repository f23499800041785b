"""A self-contained HTML report: the tables, a worst-grade chart and a CRS/ICANS swimmer plot.

Plots are drawn with matplotlib (Agg) and embedded as base64 PNG, so the single file opens
anywhere without network access.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aegrade.tables.crs_summary import CRS_TERM, ICANS_TERM
from aegrade.tables.display import as_display
from aegrade.tables.worst import worst_grade_records
from aegrade.write.atomic import atomic_output
from aegrade.write.neutralize import escape_markup
from aegrade.write.tables import page, render_html

__all__ = ["plot_swimmer", "plot_worst_grades", "render_report", "write_report"]

_GRADE_COLOURS = {1: "#fee08b", 2: "#fdae61", 3: "#f46d43", 4: "#d73027", 5: "#7f0000"}


def plot_worst_grades(adverse_events: pd.DataFrame, *, top: int = 20) -> Any:
    """Stacked bars: patients per term at each worst grade (the ``top`` most frequent terms).

    >>> ae = pd.DataFrame({"subject_id": ["P1", "P2"], "term": ["Anemia", "Anemia"],
    ...                    "grade": [2, 3]})
    >>> plot_worst_grades(ae).axes[0].get_xlabel()
    'Patients (worst grade)'
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ae = adverse_events[pd.to_numeric(adverse_events["grade"], errors="coerce") >= 1]
    worst = worst_grade_records(ae, ("term",))
    counts = pd.crosstab(worst["term"], pd.to_numeric(worst["grade"]).astype(int))
    counts = counts.loc[counts.sum(axis=1).sort_values(ascending=True).index[-top:]]
    fig, ax = plt.subplots(figsize=(8, 0.35 * max(len(counts), 3) + 1.2))
    left = np.zeros(len(counts))
    for g in range(1, 6):
        if g in counts:
            ax.barh(
                counts.index,
                counts[g],
                left=left,
                color=_GRADE_COLOURS[g],
                label=f"Grade {g}",
                edgecolor="white",
                linewidth=0.5,
            )
            left += counts[g].to_numpy()
    ax.set_xlabel("Patients (worst grade)")
    ax.set_title("Worst grade per patient and term")
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def plot_swimmer(adverse_events: pd.DataFrame, observations: pd.DataFrame | None = None) -> Any:
    """One lane per patient with CRS or ICANS: episodes as bars coloured by grade (CRS upper,
    ICANS lower half), tocilizumab (T) and corticosteroid (S) doses as markers.

    >>> ae = pd.DataFrame({"subject_id": ["P1"], "term": ["Cytokine release syndrome"],
    ...                    "grade": [2], "onset": [1.0], "end": [4.0]})
    >>> [t.get_text() for t in plot_swimmer(ae).axes[0].get_yticklabels()]
    ['P1']
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    term = adverse_events["term"].astype("string").str.lower()
    ae = adverse_events[term.isin([CRS_TERM.lower(), ICANS_TERM.lower()])]
    ae = ae[pd.to_numeric(ae["grade"], errors="coerce") >= 1]
    ids = sorted(pd.unique(ae["subject_id"].astype(str)), key=_natural)
    fig, ax = plt.subplots(figsize=(8, 0.4 * max(len(ids), 3) + 1.4))
    lane = {s: i for i, s in enumerate(ids)}
    onsets = (
        pd.to_numeric(ae["onset"], errors="coerce").to_numpy(float)
        if "onset" in ae
        else np.full(len(ae), np.nan)
    )
    ends = pd.to_numeric(ae["end"], errors="coerce").to_numpy(float) if "end" in ae else onsets
    grades = pd.to_numeric(ae["grade"], errors="coerce").to_numpy(float)
    crs = ae["term"].astype(str).str.lower().to_numpy() == CRS_TERM.lower()
    # one bar per episode: a few hundred at most
    for sid, onset, end, grade, is_crs in zip(
        ae["subject_id"].astype(str), onsets, ends, grades, crs, strict=True
    ):
        if np.isnan(onset):
            continue
        width = max((end if not np.isnan(end) else onset) - onset, 0.3)
        y = lane[sid] + (-0.2 if is_crs else 0.2)  # the y axis is inverted below
        ax.barh(
            y,
            width,
            left=onset,
            height=0.35,
            color=_GRADE_COLOURS.get(int(grade)),
            edgecolor="black" if is_crs else "grey",
            linewidth=0.6,
        )
    _treatment_marks(ax, observations, lane)
    lo, hi = ax.get_xlim()
    ax.set_xlim(min(lo, 0.0) - 0.5, hi)
    ax.axvline(0, color="grey", linewidth=0.6, linestyle=":")
    ax.set_yticks(range(len(ids)), ids)
    ax.invert_yaxis()
    ax.set_xlabel("Days from infusion")
    ax.set_ylabel("Patient")
    ax.set_title(
        "CRS (upper bar, black edge) and ICANS (lower bar, grey edge); "
        "T tocilizumab, S corticosteroid",
        fontsize=10,
    )
    ax.legend(
        handles=[Patch(color=c, label=f"Grade {g}") for g, c in _GRADE_COLOURS.items()],
        loc="lower right",
        fontsize=8,
        frameon=False,
    )
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def _treatment_marks(ax: Any, obs: pd.DataFrame | None, lane: dict[str, int]) -> None:
    if obs is None or not {"parameter", "day", "subject_id"} <= set(obs.columns):
        return
    par = obs["parameter"].astype("string").str.upper()
    for code, mark in (("TOCILIZUMAB", "T"), ("CORTICOSTEROID", "S")):
        rows = obs[(par == code) & obs["subject_id"].astype(str).isin(list(lane))]
        for sid, day in zip(
            rows["subject_id"].astype(str), pd.to_numeric(rows["day"], errors="coerce"), strict=True
        ):
            if not np.isnan(day):
                ax.annotate(
                    mark,
                    (day, lane[sid]),
                    ha="center",
                    va="center",
                    fontsize=8,
                    fontweight="bold",
                    color="navy",
                )


def _natural(s: str) -> tuple[tuple[int, int, str], ...]:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", s))


def _png(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def render_report(
    tables: Sequence[object],
    adverse_events: pd.DataFrame,
    observations: pd.DataFrame | None = None,
    *,
    title: str = "Adverse event report",
) -> str:
    """The report as one HTML page: every table, then the plots (embedded PNG).

    >>> ae = pd.DataFrame({"subject_id": ["P1"], "term": ["Anemia"], "grade": [2]})
    >>> html = render_report([], ae, title="Study X")
    >>> "<h1>Study X</h1>" in html, html.count("<figure>")
    (True, 1)
    """
    parts = [f"<h1>{escape_markup(title)}</h1>"]
    for t in tables:
        parts.append(render_html(as_display(t)))
    figures = [("Worst grade per term", plot_worst_grades(adverse_events))]
    term = adverse_events["term"].astype("string").str.lower()
    if term.isin([CRS_TERM.lower(), ICANS_TERM.lower()]).any():
        figures.append(("CRS and ICANS by patient", plot_swimmer(adverse_events, observations)))
    for caption, fig in figures:
        parts.append(
            f'<figure><img alt="{escape_markup(caption)}" '
            f'src="data:image/png;base64,{_png(fig)}"><figcaption>'
            f"{escape_markup(caption)}</figcaption></figure>"
        )
    return page("\n".join(parts), title)


def write_report(
    path: str | Path,
    tables: Sequence[object],
    adverse_events: pd.DataFrame,
    observations: pd.DataFrame | None = None,
    *,
    title: str = "Adverse event report",
) -> Path:
    """Write :func:`render_report` to ``path`` (:func:`~aegrade.write.atomic.atomic_output`).

    Parameters
    ----------
    path
        The ``.html`` file to write.
    tables, adverse_events, observations, title
        As for :func:`render_report`.

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> import tempfile
    >>> ae = pd.DataFrame({"subject_id": ["P1"], "term": ["Anemia"], "grade": [2]})
    >>> out = write_report(Path(tempfile.mkdtemp()) / "r.html", [], ae)
    >>> out.read_text().startswith("<!DOCTYPE html>")
    True
    """
    text = render_report(tables, adverse_events, observations, title=title)
    return atomic_output(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
