"""Writers: text, csv, markdown, html, xlsx, docx, rtf and the ARD of SPEC section 5.

Every writer renders :class:`~aegrade.tables.display.DisplayTable` objects (or anything with
``to_display()``, such as an AE table), writes to a temporary file in the target folder and
renames it into place, so a failed write never leaves half a file. Cells that a spreadsheet
would read as a formula (starting with = + - @, tab or carriage return) are neutralized with a
leading apostrophe in csv and xlsx output.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable, Sequence
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aegrade.tables.display import DisplayTable, as_display, format_percent, format_text
from aegrade.write.atomic import atomic_output
from aegrade.write.neutralize import escape_markup, neutralize, neutralize_formulas
from aegrade.write.word import (
    CELL_PAD_PT,
    INDENT_PT,
    VALUE_SPLIT,
    longest_word_points,
    text_points,
    write_docx,
)

__all__ = [
    "CARDS_COLUMNS",
    "FORMATS",
    "cards_ard",
    "format_for",
    "neutralize",
    "page",
    "render_html",
    "render_markdown",
    "write_table",
]

FORMATS = ("xlsx", "csv", "md", "html", "docx", "rtf", "ard", "ard-simple", "txt")
#: The ARD as the pharmaverse ``cards`` package shapes it (one line per statistic).
CARDS_COLUMNS = (
    "group1",
    "group1_level",
    "group2",
    "group2_level",
    "variable",
    "variable_level",
    "stat_name",
    "stat_label",
    "stat",
    "stat_fmt",
)
_SIMPLE = ["row", "arm", "column", "n", "N", "percent"]
_SUFFIX = {
    ".xlsx": "xlsx",
    ".csv": "csv",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".docx": "docx",
    ".rtf": "rtf",
    ".txt": "txt",
}


def format_for(path: str | Path, fmt: str | None = None) -> str:
    """The format to write: ``fmt`` when given, else from the suffix ('.ard.csv' is ARD).

    Raises
    ------
    ValueError
        An unknown ``fmt``, or a suffix that names no format.

    Examples
    --------
    >>> format_for("t3.docx"), format_for("t3.ard.csv"), format_for("t3.txt", "MD")
    ('docx', 'ard', 'md')
    """
    if fmt:
        fmt = fmt.lower()
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
        return fmt
    name = Path(path).name.lower()
    if name.endswith((".ard.csv", ".ard.json", ".ard.parquet")):
        return "ard"
    suffix = Path(name).suffix
    if suffix not in _SUFFIX:
        raise ValueError(
            f"cannot tell the format of {Path(path).name!r}; give one of {', '.join(FORMATS)}"
        )
    return _SUFFIX[suffix]


def write_table(
    tables: object | Sequence[object],
    path: str | Path,
    fmt: str | None = None,
) -> Path:
    """Write one table or several (one sheet / section each) to ``path``.

    Parameters
    ----------
    tables
        An AE table, a DisplayTable, or a list of them. csv and ARD take exactly one table
        (ARD: one with cell counts).
    fmt
        One of :data:`FORMATS`; default from the file suffix.

    Returns
    -------
    pathlib.Path
        The path written (atomically, :func:`~aegrade.write.atomic.atomic_output`).

    Examples
    --------
    >>> import tempfile
    >>> from aegrade.tables.display import DisplayTable
    >>> t = DisplayTable("AEs", "Term", ("Any grade",), (("=Fever", "2 (50.0)"),))
    >>> path = write_table(t, Path(tempfile.mkdtemp()) / "t.csv")
    >>> path.read_text().splitlines()
    ['Term,Any grade', "'=Fever,2 (50.0)"]
    """
    path = Path(path)
    kind = format_for(path, fmt)
    items = list(tables) if isinstance(tables, (list, tuple)) else [tables]
    displays = [as_display(t) for t in items]
    if kind in ("csv", "ard", "ard-simple") and len(displays) != 1:
        raise ValueError(f"{kind} holds one table; got {len(displays)}")
    writer = _WRITERS[kind]
    return atomic_output(path, lambda tmp: writer(displays, tmp))


# --------------------------------------------------------------------------- text formats


def _write_txt(tables: list[DisplayTable], path: Path) -> None:
    path.write_text("\n".join(format_text(t) for t in tables), encoding="utf-8")


def _write_csv(tables: list[DisplayTable], path: Path) -> None:
    t = tables[0]
    frame = t.to_frame()
    frame.iloc[:, 0] = ["  " * i + s for i, s in zip(t.indent, frame.iloc[:, 0], strict=True)]
    frame = neutralize_formulas(frame)
    frame.columns = [neutralize(c) for c in frame.columns]
    frame.to_csv(path, index=False, encoding="utf-8")


def _simple_ard(table: DisplayTable) -> pd.DataFrame:
    if table.ard is None:
        raise ValueError(f"{table.title!r} has no cell counts to write as an ARD")
    return table.ard[_SIMPLE]


def cards_ard(table: object) -> pd.DataFrame:
    """The table's cell counts in the long shape of the pharmaverse ``cards`` ARD: per cell,
    the statistics ``n``, ``N`` and ``p`` (a proportion, 0-1), grouped by arm (``group1``) and
    grade group (``group2``); ``variable_level`` is the row exactly as displayed ('SOC / term'
    under a SOC row) and ``stat_fmt`` the statistic as the table prints it.

    Examples
    --------
    >>> import pandas as pd
    >>> from aegrade.tables import build_ae_table
    >>> ae = pd.DataFrame({"subject_id": ["1"], "term": ["Fever"], "grade": [3]})
    >>> cards = cards_ard(build_ae_table(ae, pd.DataFrame({"subject_id": ["1", "2"]})))
    >>> fever = cards[cards["variable_level"] == "Fever"].iloc[:3]
    >>> fever[["group2_level", "stat_name", "stat", "stat_fmt"]].values.tolist()
    [['Any grade', 'n', 1.0, '1'], ['Any grade', 'N', 2.0, '2'], ['Any grade', 'p', 0.5, '50.0']]
    """
    t = as_display(table)
    ard = _simple_ard(t)
    n = len(ard)
    full = t.ard if t.ard is not None else ard
    cell = full["cell"].astype(str) if "cell" in full else pd.Series([""] * n)
    shown = cell.str.extract(r"\(([^)]*?)%?\)$")[0].to_numpy(object)
    pct = ard["percent"].to_numpy(float)
    p_fmt = [
        s if isinstance(s, str) else ("" if np.isnan(v) else format_percent(v))
        for s, v in zip(shown, pct, strict=True)
    ]

    def rep(x: object) -> np.ndarray:
        return np.repeat(np.asarray(x, dtype=object), 3)

    stat = np.column_stack(
        [ard["n"].to_numpy(float), ard["N"].to_numpy(float), pct / 100.0]
    ).reshape(-1)
    fmt = np.column_stack(
        [ard["n"].astype(str).to_numpy(object), ard["N"].astype(str).to_numpy(object), p_fmt]
    ).reshape(-1)
    return pd.DataFrame(
        {
            "group1": rep(["arm"] * n),
            "group1_level": rep(ard["arm"].astype(str)),
            "group2": rep(["grade_group"] * n),
            "group2_level": rep(ard["column"].astype(str)),
            "variable": rep(["row"] * n),
            "variable_level": rep(ard["row"].astype(str)),
            "stat_name": np.tile(np.array(["n", "N", "p"], object), n),
            "stat_label": np.tile(np.array(["n", "N", "%"], object), n),
            "stat": stat,
            "stat_fmt": fmt,
        },
        columns=list(CARDS_COLUMNS),
    )


def _write_ard(tables: list[DisplayTable], path: Path) -> None:
    """cards-shaped ARD: Parquet and JSON with every label as displayed, CSV neutralised."""
    cards = cards_ard(tables[0])
    name = path.name.lower()
    if name.endswith(".parquet") or name.endswith(".parquet.tmp"):
        cards.to_parquet(path, index=False)
    elif name.endswith((".json", ".json.tmp")):
        path.write_text(cards.to_json(orient="records", force_ascii=False), encoding="utf-8")
    else:
        neutralize_formulas(cards).to_csv(path, index=False, encoding="utf-8")


def _write_ard_simple(tables: list[DisplayTable], path: Path) -> None:
    neutralize_formulas(_simple_ard(tables[0])).to_csv(path, index=False, encoding="utf-8")


def _md_escape(text: str) -> str:
    """Text inert in a markdown cell: a backslash and ``|`` escaped, and the HTML a markdown
    viewer would render (``<script>``, ``<img onerror=...>``, entities) escaped as ``&lt;`` and
    ``&amp;``; ``>`` stays, so that 'Grade >= 3' reads as written."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("&", "&amp;").replace("<", "&lt;")


def render_markdown(table: object) -> str:
    """A GitHub-flavoured markdown table with the title above and footnotes below.

    >>> from aegrade.tables.display import DisplayTable
    >>> t = DisplayTable("", "Term", ("Any grade",), (("Fever", "2 (50.0)"),))
    >>> print(render_markdown(t))
    | Term | Any grade |
    |:---|---:|
    | Fever | 2 (50.0) |
    <BLANKLINE>
    """
    t = as_display(table)
    head = [t.stub_header, *t.header_labels()]
    lines = [f"**{_md_escape(t.title)}**", ""] if t.title else []
    lines.append("| " + " | ".join(_md_escape(h) for h in head) + " |")
    lines.append("|" + "|".join([":---"] + ["---:"] * (len(head) - 1)) + "|")
    for ind, emph, row in zip(t.indent, t.emphasis, t.body, strict=True):
        stub = "&nbsp;&nbsp;" * ind + _md_escape(row[0])
        stub = f"**{stub}**" if emph else stub
        lines.append("| " + " | ".join([stub, *(_md_escape(v) for v in row[1:])]) + " |")
    if t.footnotes:
        lines.append("")
        lines += [_md_escape(f) + "  " for f in t.footnotes]
    return "\n".join(lines) + "\n"


def _write_md(tables: list[DisplayTable], path: Path) -> None:
    path.write_text("\n".join(render_markdown(t) for t in tables), encoding="utf-8")


_CSS = """
body{font-family:Arial,Helvetica,sans-serif;font-size:10pt;margin:2em;color:#111}
table.ae{border-collapse:collapse;margin:0.5em 0 0.3em 0}
table.ae caption{text-align:left;font-weight:bold;padding-bottom:0.4em}
table.ae th,table.ae td{padding:2px 10px;vertical-align:top}
table.ae thead{border-top:2px solid #000;border-bottom:1px solid #000}
table.ae tbody{border-bottom:2px solid #000}
table.ae th{font-weight:bold;text-align:center}
table.ae th.stub,table.ae td.stub{text-align:left}
table.ae td{text-align:center;white-space:nowrap}
table.ae td span.v{display:inline-block;text-align:left;font-variant-numeric:tabular-nums}
table.ae td span.n{display:inline-block;text-align:right}
table.ae tr.section td{font-weight:bold}
table.ae th.group{border-bottom:1px solid #000}
p.foot{font-size:8.5pt;margin:0.1em 0;max-width:60em}
""".strip()


def render_html(table: object, *, standalone: bool = False) -> str:
    """The table as an HTML fragment (or a whole self-contained page); every text escaped.

    >>> from aegrade.tables.display import DisplayTable
    >>> t = DisplayTable("", "Term", ("n",), (("<b>Fever</b>", "2"),))
    >>> "&lt;b&gt;Fever&lt;/b&gt;" in render_html(t)
    True
    """
    t = as_display(table)
    e = escape_markup
    out = ['<table class="ae">']
    if t.title:
        out.append(f"<caption>{e(t.title)}</caption>")
    out.append("<thead>")
    if t.groups:
        out.append(
            '<tr><th class="stub"></th>'
            + "".join(
                f'<th class="group" colspan="{span}">{e(label)}</th>' for label, span in t.groups
            )
            + "</tr>"
        )
    out.append(
        f'<tr><th class="stub">{e(t.stub_header)}</th>'
        + "".join(f"<th>{e(c)}</th>" for c in t.columns)
        + "</tr>"
    )
    out.append("</thead><tbody>")
    fits = _html_fits(t)
    for ind, emph, row in zip(t.indent, t.emphasis, t.body, strict=True):
        cls = ' class="section"' if emph else ""
        pad = f' style="padding-left:{10 + 16 * ind}px"' if ind else ""
        out.append(
            f'<tr{cls}><td class="stub"{pad}>{e(row[0])}</td>'
            + "".join(
                f"<td>{_html_value(v, fit)}</td>" for v, fit in zip(row[1:], fits, strict=True)
            )
            + "</tr>"
        )
    out.append("</tbody></table>")
    out += [f'<p class="foot">{e(f)}</p>' for f in t.footnotes]
    body = "\n".join(out)
    return page(body, t.title) if standalone else body


def _ch(text: str) -> float:
    """Width of ``text`` in ``ch`` (the width of a digit); letters count wider."""
    return sum(1.4 if c.isalpha() else 1.0 for c in text)


def _html_fits(t: DisplayTable) -> list[tuple[float, float] | None]:
    """Per value column: (width of the widest count, width of the whole aligned value) in
    ``ch``, or None when no cell of the column is a count 'n (x.x)' (or 'm (a-b)')."""
    out: list[tuple[float, float] | None] = []
    for j in range(1, len(t.columns) + 1):
        parts = [m for m in (VALUE_SPLIT.match(r[j]) for r in t.body) if m]
        if not parts:
            out.append(None)
            continue
        head = max(_ch(m.group(1)) for m in parts)
        rest = max(_ch((m.group(2) or "").strip()) for m in parts)
        out.append((head, head + (1 + rest if rest else 0)))
    return out


def _html_value(text: str, fit: tuple[float, float] | None) -> str:
    """A value cell aligned on the parenthesis as in the docx and RTF: the count right-aligned
    in a box as wide as the column's widest count, then ' (x.x)', inside a box of the same
    width in every row (centred in the cell); any other text centred as it is."""
    m = VALUE_SPLIT.match(text) if fit else None
    if m is None or fit is None:
        return escape_markup(text)
    head, rest = m.group(1), (m.group(2) or "").strip()
    cell = f'<span class="n" style="width:{fit[0]:g}ch">{escape_markup(head)}</span>'
    if rest:
        cell += f" {escape_markup(rest)}"
    return f'<span class="v" style="width:{fit[1]:g}ch">{cell}</span>'


def page(body: str, title: str = "aegrade") -> str:
    """A self-contained HTML page (inline CSS, no external resources).

    >>> page("<p>x</p>", "A & B").splitlines()[1].count("A &amp; B")
    1
    """
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape_markup(title)}</title><style>{_CSS}</style></head>\n<body>\n"
        f"{body}\n</body></html>\n"
    )


def _write_html(tables: list[DisplayTable], path: Path) -> None:
    body = "\n<hr>\n".join(render_html(t) for t in tables)
    path.write_text(page(body, tables[0].title or "aegrade tables"), encoding="utf-8")


# --------------------------------------------------------------------------- xlsx


def _write_xlsx(tables: list[DisplayTable], path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for t in tables:
        ws = wb.create_sheet(_sheet_name(t.name or "table", used))
        _fill_sheet(ws, t)
    wb.save(path)


def _sheet_name(name: str, used: set[str]) -> str:
    base = "".join("_" if ch in "[]:*?/\\" else ch for ch in name)[:28] or "table"
    out, k = base, 2
    while out.lower() in used:
        out, k = f"{base[:26]} {k}", k + 1
    used.add(out.lower())
    return out


def _fill_sheet(ws: Any, t: DisplayTable) -> None:
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    thin, thick = Side(style="thin"), Side(style="medium")
    ncol = 1 + len(t.columns)
    ws.cell(row=1, column=1, value=neutralize(t.title)).font = Font(bold=True, size=12)
    r = 3
    if t.groups:
        col = 2
        for label, span in t.groups:
            c = ws.cell(row=r, column=col, value=neutralize(label))
            c.font, c.alignment = Font(bold=True), Alignment(horizontal="center")
            if span > 1:
                ws.merge_cells(start_row=r, start_column=col, end_row=r, end_column=col + span - 1)
            for k in range(col, col + span):
                ws.cell(row=r, column=k).border = Border(top=thick, bottom=thin)
            col += span
        ws.cell(row=r, column=1).border = Border(top=thick)
        r += 1
    for j, label in enumerate([t.stub_header, *t.columns], start=1):
        c = ws.cell(row=r, column=j, value=neutralize(label))
        c.font = Font(bold=True)
        c.alignment = Alignment(horizontal="left" if j == 1 else "center", wrap_text=True)
        c.border = Border(top=None if t.groups else thick, bottom=thin)
    header_end = r
    for ind, emph, row in zip(t.indent, t.emphasis, t.body, strict=True):
        r += 1
        for j, v in enumerate(row, start=1):
            c = ws.cell(row=r, column=j, value=neutralize(v))
            c.alignment = Alignment(
                horizontal="left" if j == 1 else "center", indent=2 * ind if j == 1 else 0
            )
            if emph:
                c.font = Font(bold=True)
    for j in range(1, ncol + 1):
        ws.cell(row=r, column=j).border = Border(bottom=thick)
    for k, f in enumerate(t.footnotes, start=r + 2):
        ws.cell(row=k, column=1, value=neutralize(f)).font = Font(italic=True, size=9)
    ws.freeze_panes = ws.cell(row=header_end + 1, column=2)
    stub_w = max(
        [len(t.stub_header)] + [len(b[0]) + 2 * i for i, b in zip(t.indent, t.body, strict=True)]
    )
    ws.column_dimensions["A"].width = min(max(stub_w + 2, 12), 70)
    for j, label in enumerate(t.columns, start=2):
        w = max([len(label)] + [len(b[j - 1]) for b in t.body])
        ws.column_dimensions[get_column_letter(j)].width = min(max(w + 3, 10), 40)


# --------------------------------------------------------------------------- docx


def _write_docx(tables: list[DisplayTable], path: Path) -> None:
    write_docx(tables, path)


# --------------------------------------------------------------------------- rtf


def _write_rtf(tables: list[DisplayTable], path: Path) -> None:
    texts = [_rtf_document(t).rtf_encode() for t in tables]
    if len(texts) == 1:
        path.write_text(texts[0], encoding="utf-8")
        return
    from rtflite import assemble_rtf

    with tempfile.TemporaryDirectory() as d:
        parts = []
        for k, text in enumerate(texts):
            part = Path(d) / f"part{k}.rtf"
            part.write_text(text, encoding="utf-8")
            parts.append(str(part))
        with redirect_stdout(io.StringIO()):  # rtflite reports progress on stdout
            assemble_rtf(parts, str(path))


def _rtf_text(text: str) -> str:
    r"""``text`` as literal RTF: ``\``, ``{`` and ``}`` escaped (an arm named
    ``{\field{\*\fldinst HYPERLINK ...}}`` prints as those characters, never as a field), and
    every non-ASCII character written as ``\uN?`` (signed UTF-16 units), which every RTF
    reader shows whatever its code page: ``{\b x} ≥ 3`` becomes ``\{\\b x\} \u8805? 3``."""
    out = text.replace("\\", "\\\\").replace("{", "\\{").replace("}", "\\}")
    if out.isascii():
        return out
    parts = []
    for ch in out:
        if ch.isascii():
            parts.append(ch)
            continue
        data = ch.encode("utf-16-le")
        for k in range(0, len(data), 2):
            unit = int.from_bytes(data[k : k + 2], "little", signed=True)
            parts.append(f"\\u{unit}?")
    return "".join(parts)


def _rtf_columns(t: DisplayTable) -> list[tuple[list[str], list[str], list[float], list[str]]]:
    """Per value column: its RTF sub-columns as (cells per sub-column..., justification,
    width in points). A column of 'n (x)' cells becomes two sub-columns, the count right-aligned
    and the parenthesis left-aligned, so numbers line up on the parenthesis as in the docx."""
    out = []
    for j, header in enumerate(t.columns, start=1):
        cells = [r[j] for r in t.body]
        parts = [VALUE_SPLIT.match(c) for c in cells]
        if (
            cells
            and all(m is not None or c == "" for m, c in zip(parts, cells, strict=True))
            and any(m is not None and m.group(2) for m in parts)
        ):
            heads = [m.group(1) if m else "" for m in parts]
            rests = [(m.group(2) or "") if m else "" for m in parts]
            w_head = max(text_points(x) for x in heads) + 2 * CELL_PAD_PT
            w_rest = max(text_points(x) for x in rests) + 2 * CELL_PAD_PT
            need = longest_word_points(header, True) + 2 * CELL_PAD_PT
            if w_head + w_rest < need:  # the header's words never break
                extra = (need - w_head - w_rest) / 2
                w_head, w_rest = w_head + extra, w_rest + extra
            out.append(([*heads], [*rests], [w_head, w_rest], ["r", "l"]))
        else:
            w = (
                max([text_points(x) for x in cells] + [longest_word_points(header, True)])
                + 2 * CELL_PAD_PT
            )
            out.append((cells, [], [w], ["c"]))
    return out


#: Text width of rtflite's pages in points (RTFPage col_width: 6.25 in portrait, 8.5 in
#: landscape); rtflite scales the relative column widths to it.
_RTF_TEXT_PT = {"portrait": 6.25 * 72, "landscape": 8.5 * 72}


def _rtf_fit(t: DisplayTable, values: float) -> tuple[str, float]:
    """(orientation, stub width in points) as the docx fits them: value columns at their
    content width, the stub as wide as its longest label when that fits, else wrapped at
    spaces (never narrower than its longest word); landscape for more than six columns or
    when the table does not fit upright. Widths never add up to more than the page, so
    rtflite's scaling to the page never squeezes a number onto two lines."""
    rows = list(zip(t.body, t.indent, t.emphasis, strict=True))
    words = max(
        [longest_word_points(t.stub_header, True)]
        + [longest_word_points(r[0], b) + INDENT_PT * i for r, i, b in rows]
    )
    full = max(
        [longest_word_points(t.stub_header, True)]
        + [text_points(r[0], b) + INDENT_PT * i for r, i, b in rows]
    )
    words, full = words + 2 * CELL_PAD_PT, full + 2 * CELL_PAD_PT
    upright = _RTF_TEXT_PT["portrait"]
    orientation = "landscape" if len(t.columns) > 6 or words + values > upright else "portrait"
    return orientation, max(words, min(full, _RTF_TEXT_PT[orientation] - values))


def _rtf_document(t: DisplayTable) -> Any:
    import polars as pl
    from rtflite import RTFBody, RTFColumnHeader, RTFDocument, RTFFootnote, RTFPage, RTFTitle

    # Every text is escaped here and rtflite's own conversion (LaTeX-like commands, '>=' to a
    # symbol) is off: the RTF shows exactly the text the other formats show.
    e = _rtf_text
    cols = _rtf_columns(t)
    orientation, stub_w = _rtf_fit(t, sum(sum(w) for *_, w, _ in cols))
    labels = ["  " * i + e(r[0]) for i, r in zip(t.indent, t.body, strict=True)]
    data: dict[str, list[str]] = {"c0": labels}
    widths = [stub_w]
    just = ["l"]
    spans: list[float] = []  # width of each original value column
    for k, (first, second, w, jj) in enumerate(cols):
        data[f"c{k}a"] = [e(x) for x in first]
        if second:
            data[f"c{k}b"] = [e(x) for x in second]
        widths += w
        just += jj
        spans.append(sum(w))
    df = pl.DataFrame(data, schema={k: pl.Utf8 for k in data})
    n = len(widths)
    none = [[""] * n]
    headers = []
    if t.groups:
        group_w, col = [], 0
        for _, span in t.groups:
            group_w.append(sum(spans[col : col + span]))
            col += span
        headers.append(
            RTFColumnHeader(
                text=["", *(e(g) for g, _ in t.groups)],
                col_rel_width=[stub_w, *group_w],
                text_justification=["l"] + ["c"] * len(t.groups),
                text_convert=[[False]],
                border_left=[[""] * (1 + len(t.groups))],
                border_right=[[""] * (1 + len(t.groups))],
                border_bottom=[[""] + ["single"] * len(t.groups)],
            )
        )
    headers.append(
        RTFColumnHeader(
            text=[e(t.stub_header), *(e(c) for c in t.columns)],
            col_rel_width=[stub_w, *spans],
            text_justification=["l"] + ["c"] * len(t.columns),
            text_convert=[[False]],
            border_left=[[""] * (1 + len(t.columns))],
            border_right=[[""] * (1 + len(t.columns))],
            border_top=[["single" if not t.groups else ""] * (1 + len(t.columns))],
            border_bottom=[["single"] * (1 + len(t.columns))],
        )
    )
    return RTFDocument(
        df=df,
        rtf_page=RTFPage(orientation=orientation),
        rtf_title=RTFTitle(text=[e(t.title or "")], text_convert=False),
        rtf_column_header=headers,
        rtf_body=RTFBody(
            col_rel_width=widths,
            text_justification=[just],
            # emphasised rows (SOC rows, totals) bold, as in the docx and html
            text_format=[["b" if emph else ""] * n for emph in t.emphasis] or [[""] * n],
            text_convert=[[False]],
            border_left=none,
            border_right=none,
            border_first=[["single"] * n],
            border_last=[["single"] * n],
        ),
        rtf_footnote=(
            RTFFootnote(
                text=[e(f) for f in t.footnotes],
                text_convert=[[False]],
                border_left=[[""]],
                border_right=[[""]],
                border_bottom=[[""]],
            )
            if t.footnotes
            else None
        ),
    )


_WRITERS: dict[str, Callable[[list[DisplayTable], Path], None]] = {
    "txt": _write_txt,
    "csv": _write_csv,
    "ard": _write_ard,
    "ard-simple": _write_ard_simple,
    "md": _write_md,
    "html": _write_html,
    "xlsx": _write_xlsx,
    "docx": _write_docx,
    "rtf": _write_rtf,
}
