"""The display model every writer renders, the terminal layout, and shared formatting rules.

A :class:`DisplayTable` is a title, a header (an optional spanning row over the value columns,
then one label per column), a body of strings with an indent level per row, and footnotes.
AE tables, CRS/ICANS summaries, shift tables and listings all become one, so every format
(text, csv, markdown, html, xlsx, docx, rtf) renders them the same way.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

import pandas as pd

from aegrade.criteria import load_raw

__all__ = [
    "DisplayTable",
    "as_display",
    "format_count",
    "format_percent",
    "format_text",
    "grading_footnote",
    "system_label",
    "with_grading_footnote",
]


@dataclass(frozen=True)
class DisplayTable:
    """A rendered-ready table: every cell already a string.

    ``groups`` is the spanning header row over the value columns as (label, span) pairs whose
    spans add up to ``len(columns)``; empty when there is none. ``body`` rows hold the stub
    (row label) first, then one string per column. ``emphasis`` marks section rows (bold).

    Raises
    ------
    ValueError
        A body row without one cell per column plus the stub, or group spans that do not add
        up to the number of columns.

    Examples
    --------
    >>> t = DisplayTable(
    ...     title="Fever",
    ...     stub_header="Arm",
    ...     columns=("n", "%"),
    ...     body=(("A", "2", "50.0"), ("B", "1", "25.0")),
    ... )
    >>> t.to_frame()
      Arm  n     %
    0   A  2  50.0
    1   B  1  25.0
    """

    title: str
    stub_header: str
    columns: tuple[str, ...]
    body: tuple[tuple[str, ...], ...]
    groups: tuple[tuple[str, int], ...] = ()
    indent: tuple[int, ...] = ()
    emphasis: tuple[bool, ...] = ()
    footnotes: tuple[str, ...] = ()
    name: str = "table"
    ard: pd.DataFrame | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        width = 1 + len(self.columns)
        bad = [i for i, r in enumerate(self.body) if len(r) != width]
        if bad:
            raise ValueError(f"body rows {bad[:5]} do not have {width} cells")
        if self.groups and sum(s for _, s in self.groups) != len(self.columns):
            raise ValueError("group spans must add up to the number of columns")
        if not self.indent:
            object.__setattr__(self, "indent", (0,) * len(self.body))
        if not self.emphasis:
            object.__setattr__(self, "emphasis", (False,) * len(self.body))

    def header_labels(self) -> list[str]:
        """One flat label per column: 'group: column' when several spanning groups exist."""
        if len(self.groups) <= 1:
            return list(self.columns)
        out = []
        i = 0
        for label, span in self.groups:
            for c in self.columns[i : i + span]:
                out.append(f"{label}: {c}" if label else c)
            i += span
        return out

    def to_frame(self) -> pd.DataFrame:
        """The body as a DataFrame with flat column labels (stub first)."""
        labels = [self.stub_header, *self.header_labels()]
        labels = _dedupe(labels)
        return pd.DataFrame(list(self.body), columns=labels, dtype=object)


def _dedupe(labels: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for lab in labels:
        k = seen.get(lab, 0)
        seen[lab] = k + 1
        out.append(lab if k == 0 else f"{lab} ({k + 1})")
    return out


def format_percent(value: float, decimals: int = 1, *, rounding: str = "half-up") -> str:
    """A percentage rounded half up (83.33 -> '83.3', 12.25 -> '12.3'), as tables print it,
    or half to even (IEC 60559 / R's ``round``: 12.25 -> '12.2', 12.35 -> '12.4').

    Parameters
    ----------
    value
        The percentage (0-100).
    decimals
        Decimals printed.
    rounding
        ``"half-up"`` (default, SAS's ROUND) or ``"half-even"``.

    Returns
    -------
    str

    Examples
    --------
    >>> format_percent(12.25), format_percent(83.333), format_percent(50, decimals=0)
    ('12.3', '83.3', '50')
    >>> format_percent(12.25, rounding="half-even"), format_percent(12.35, rounding="half-even")
    ('12.2', '12.4')
    """
    if rounding == "half-even":
        # the value as written to 9 decimals absorbs binary artefacts (12.35 is 12.3499999...)
        exact = Decimal(f"{value:.9f}")
        return str(exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN))
    if rounding != "half-up":
        raise ValueError(f"rounding must be 'half-up' or 'half-even', got {rounding!r}")
    scale = 10**decimals
    # the small epsilon absorbs binary artefacts such as 12.25 stored as 12.2499999
    rounded = math.floor(value * scale + 0.5 + 1e-9) / scale
    return f"{rounded:.{decimals}f}"


def format_count(
    n: int,
    big_n: int,
    *,
    decimals: int = 1,
    zero: str = "0",
    percent_sign: bool = False,
    rounding: str = "half-up",
) -> str:
    """The cell 'n (%)' of ``n`` subjects out of ``big_n``; a zero prints as ``zero``.

    Parameters
    ----------
    n
        Subjects counted in the cell.
    big_n
        Subjects in the arm; 0 or less prints ``n`` alone.
    decimals
        Decimals of the percentage.
    zero
        ``"0"`` prints a zero cell as ``0``; any other value prints it with its percentage.
    percent_sign
        Print 'n (x.x%)' instead of 'n (x.x)'.
    rounding
        ``"half-up"`` or ``"half-even"`` (:func:`format_percent`).

    Returns
    -------
    str

    Examples
    --------
    >>> format_count(3, 8), format_count(0, 8), format_count(0, 8, zero="0 (0.0)")
    ('3 (37.5)', '0', '0 (0.0)')
    >>> format_count(1, 8, percent_sign=True), format_count(1, 8, rounding="half-even")
    ('1 (12.5%)', '1 (12.5)')
    >>> format_count(1, 8, decimals=0), format_count(1, 8, decimals=0, rounding="half-even")
    ('1 (13)', '1 (12)')
    """
    if n == 0 and zero == "0":
        return "0"
    if big_n <= 0:
        return str(n)
    pct = format_percent(100.0 * n / big_n, decimals, rounding=rounding)
    return f"{n} ({pct}{'%' if percent_sign else ''})"


_KNOWN_NAMES = {  # display names of SPEC section 1 ids whose criteria file may not exist yet
    "ctcae-v5.0": "CTCAE v5.0",
    "ctcae-v4.03": "CTCAE v4.03",
    "astct-2019": "ASTCT 2019",
    "lee-2014": "Lee 2014",
    "icaht-2023": "EHA/EBMT ICAHT 2023",
    "car-hematotox": "CAR-HEMATOTOX",
}
_KNOWN_TITLES = {
    "ctcae-v5.0": "Common Terminology Criteria for Adverse Events (CTCAE) Version 5.0",
    "ctcae-v4.03": "Common Terminology Criteria for Adverse Events (CTCAE) Version 4.03",
    "astct-2019": "ASTCT consensus grading of CRS and ICANS (Lee et al., Biol Blood Marrow "
    "Transplant 2019)",
    "lee-2014": "CRS grading of Lee et al., Blood 2014",
    "icaht-2023": "EHA/EBMT grading of immune effector cell-associated hematotoxicity "
    "(Rejeski et al., Blood 2023)",
    "car-hematotox": "CAR-HEMATOTOX score (Rejeski et al., Blood 2021)",
}


def system_label(criteria_id: str) -> str:
    """Short display name of a grading system id: 'ctcae-v5.0' -> 'CTCAE v5.0'.

    Parameters
    ----------
    criteria_id
        A grading system id (SPEC section 1); an unknown id is returned unchanged.

    Returns
    -------
    str

    Examples
    --------
    >>> system_label("ctcae-v5.0"), system_label("astct-2019"), system_label("other")
    ('CTCAE v5.0', 'ASTCT 2019', 'other')
    """
    return _KNOWN_NAMES.get(criteria_id, criteria_id)


def _system_title(criteria_id: str) -> str:

    try:
        return str(load_raw(criteria_id)["title"])
    except Exception:  # an id without a criteria file (yet): the SPEC section 1 name
        return _KNOWN_TITLES.get(criteria_id, criteria_id)


def grading_footnote(criteria: Iterable[str]) -> str | None:
    """'Grading: ...' naming every grading system and version used, or None when none.

    Parameters
    ----------
    criteria
        Grading system ids, e.g. an AE frame's ``criteria`` column; repeats, None and
        non-text values are ignored.

    Returns
    -------
    str or None
        One sentence, systems in alphabetical order of their ids, each with its full title.

    Examples
    --------
    >>> grading_footnote(["ctcae-v5.0", "ctcae-v5.0", None])
    'Grading: CTCAE v5.0 (Common Terminology Criteria for Adverse Events (CTCAE) Version 5.0).'
    >>> grading_footnote([]) is None
    True
    """
    ids = sorted({str(c) for c in criteria if isinstance(c, str) and c})
    if not ids:
        return None
    parts = [
        f"{system_label(c)} ({_system_title(c)})"
        if system_label(c) != _system_title(c)
        else system_label(c)
        for c in ids
    ]
    return "Grading: " + "; ".join(parts) + "."


def with_grading_footnote(notes: Sequence[str], criteria: Iterable[object]) -> tuple[str, ...]:
    """A table's footnotes: ``notes``, then :func:`grading_footnote` when a system was used.

    Parameters
    ----------
    notes
        The table's own footnotes.
    criteria
        Grading system ids of the counted rows (repeats, None and NA are ignored).

    Returns
    -------
    tuple of str
        For :attr:`DisplayTable.footnotes`.

    Examples
    --------
    >>> with_grading_footnote(["n (%), patients."], [None])
    ('n (%), patients.',)
    >>> with_grading_footnote(["n (%), patients."], ["ctcae-v5.0"])[1][:19]
    'Grading: CTCAE v5.0'
    """
    grading = grading_footnote(c for c in criteria if isinstance(c, str))
    return (*notes, grading) if grading else tuple(notes)


def format_text(table: DisplayTable | object, *, width: int | None = None) -> str:
    """The table as aligned plain text for a terminal (title, header, body, footnotes).

    Parameters
    ----------
    table
        Any table :func:`as_display` accepts (a :class:`TypeError` otherwise).
    width
        Longest horizontal rule drawn (default: as wide as the header).

    Returns
    -------
    str
        Lines ending in a newline.

    Examples
    --------
    >>> import pandas as pd
    >>> from aegrade.tables import build_ae_table
    >>> ae = pd.DataFrame(
    ...     {"subject_id": ["1", "1", "2"], "term": ["Fever"] * 3, "grade": [1, 3, 2]}
    ... )
    >>> subjects = pd.DataFrame({"subject_id": ["1", "2", "3", "4"]})
    >>> print(format_text(build_ae_table(ae, subjects)))
    Adverse events by worst grade
                        Number of patients (N = 4)
    ----------------------------------------------
    Adverse event       Any grade   Grade >= 3
    ----------------------------------------------
    Any adverse event   2 (50.0)    1 (25.0)
    Fever               2 (50.0)    1 (25.0)
    ----------------------------------------------
    N, number of patients; n (%), number (percentage) of patients with at least one event. ...
    """
    t = as_display(table)
    stub = [t.stub_header] + ["  " * i + r[0] for i, r in zip(t.indent, t.body, strict=True)]
    stub_w = max(len(s) for s in stub)
    col_w = [max([len(c)] + [len(r[j + 1]) for r in t.body]) for j, c in enumerate(t.columns)]
    col_w = _widen_for_groups(col_w, t.groups)
    gap = "   "
    lines = [t.title] if t.title else []
    if t.groups:
        cells, i = [], 0
        for label, span in t.groups:
            w = sum(col_w[i : i + span]) + len(gap) * (span - 1)
            cells.append(label.center(w) if span > 1 else label.ljust(w))
            i += span
        lines.append((" " * stub_w + gap + gap.join(cells)).rstrip())
    head = (
        t.stub_header.ljust(stub_w)
        + gap
        + gap.join(c.ljust(w) for c, w in zip(t.columns, col_w, strict=True))
    )
    top = max([len(head.rstrip()), *(len(x) for x in lines[1:])])
    rule = "-" * min(top, width or 10_000)
    lines += [rule, head.rstrip(), rule]
    for s, r in zip(stub[1:], t.body, strict=True):
        lines.append(
            (
                s.ljust(stub_w)
                + gap
                + gap.join(v.ljust(w) for v, w in zip(r[1:], col_w, strict=True))
            ).rstrip()
        )
    lines.append(rule)
    lines += list(t.footnotes)
    return "\n".join(lines) + "\n"


def _widen_for_groups(col_w: list[int], groups: Sequence[tuple[str, int]]) -> list[int]:
    col_w = list(col_w)
    i = 0
    for label, span in groups:
        have = sum(col_w[i : i + span]) + 3 * (span - 1)
        if len(label) > have:
            col_w[i + span - 1] += len(label) - have
        i += span
    return col_w


def as_display(table: object) -> DisplayTable:
    """The :class:`DisplayTable` of any table aegrade builds.

    Parameters
    ----------
    table
        A :class:`DisplayTable` (returned as is) or anything with ``to_display()`` (an
        :class:`~aegrade.tables.build.AETable`).

    Returns
    -------
    DisplayTable

    Raises
    ------
    TypeError
        ``table`` is neither.

    Examples
    --------
    >>> t = DisplayTable(title="", stub_header="Arm", columns=("n",), body=(("A", "2"),))
    >>> as_display(t) is t
    True
    >>> as_display(3)
    Traceback (most recent call last):
    ...
    TypeError: cannot display a int
    """
    if isinstance(table, DisplayTable):
        return table
    to_display = getattr(table, "to_display", None)
    if to_display is None:
        raise TypeError(f"cannot display a {type(table).__name__}")
    result = to_display()
    assert isinstance(result, DisplayTable)
    return result
