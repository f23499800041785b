"""Word (docx) tables laid out for publication (issue 14, point 5).

- Column widths fitted to the content: the stub column to its longest label, every column at
  least as wide as its longest word (no word is ever broken), value columns to their widest
  cell; the table fills at most the text width of the page.
- Header rows repeat on every page; no row is split across pages.
- Booktabs-like rules: a heavy rule above and below the table, a light one under the header
  (and under each spanning group label); no vertical lines, no grid.
- Counts aligned on the parenthesis: a cell 'n (x.x)' (or a median 'm (a-b)') is set with a
  right tab stop after its first number and a left one before '(', at the same place in every
  row of a column; other cells are centred.

Text is set as runs (never parsed), so hostile text stays text.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from aegrade.tables.display import DisplayTable

__all__: list[str] = []  # used by aegrade.write.tables only

_FONT_PT = 9.0
_PAD_PT = 5.4  # Word's default cell margin on each side (0.075 in)
_INDENT_PT = 10.0
_SPLIT = re.compile(r"^(-?[\d.]+|NE|NA)( \(.*\))?$")

# Approximate Arial advance widths (in em) by character class; exact widths do not matter,
# only that a column is never narrower than its widest word.
_NARROW = set("il.,:;'|!()[]{}ftjrI -")
_WIDE = set("mwMW@%")


def _em(text: str) -> float:
    width = 0.0
    for ch in text:
        if ch in _NARROW:
            width += 0.3
        elif ch in _WIDE:
            width += 0.85
        elif ch.isupper() or ch.isdigit():
            width += 0.64
        else:
            width += 0.54
    return width


def _pt(text: str, bold: bool = False) -> float:
    return _em(text) * _FONT_PT * (1.15 if bold else 1.0)  # bold Arial is ~15% wider


def _longest_word(text: str, bold: bool = False) -> float:
    return max((_pt(w, bold) for w in text.split(" ")), default=0.0)


# Measures shared with the RTF writer (write/tables.py), which fits its columns the same way.
CELL_PAD_PT = _PAD_PT
INDENT_PT = _INDENT_PT
VALUE_SPLIT = _SPLIT


def text_points(text: str, bold: bool = False) -> float:
    """Approximate width of ``text`` in points at the table font (Arial 9 pt)."""
    return _pt(text, bold)


def longest_word_points(text: str, bold: bool = False) -> float:
    """Width in points of the widest word of ``text`` (a column never narrower)."""
    return _longest_word(text, bold)


_N_EQUALS = re.compile(r"\(N = (\d+)\)")


_SIGN = re.compile(r" (>=|<=|\u2265|\u2264|>|<) (\d)")


def _keep_together(label: str) -> str:
    """'(N = 30)' never broken across lines, nor '>= 3' in 'Grade >= 3' (a wrapped header
    reads 'Grade' / '>= 3', never 'Grade >=' / '3'): their spaces made non-breaking."""
    return _SIGN.sub(" \\1\u00a0\\2", _N_EQUALS.sub("(N\u00a0=\u00a0\\1)", label))


def write_docx(tables: list[DisplayTable], path: Path) -> None:
    """Write ``tables`` to ``path`` (one Word table each, separated by a blank paragraph)."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name, style.font.size = "Arial", Pt(_FONT_PT)
    style.paragraph_format.space_after = Pt(0)
    sec = doc.sections[0]
    portrait = (
        int(sec.page_width or 0) - int(sec.left_margin or 0) - int(sec.right_margin or 0)
    ) / 12700
    # landscape for many columns, or when a table's fitted widths do not fit upright
    if max(len(t.columns) for t in tables) > 6 or any(
        sum(_widths(t, portrait)) > portrait + 0.5 for t in tables
    ):
        sec.orientation = WD_ORIENT.LANDSCAPE
        sec.page_width, sec.page_height = sec.page_height, sec.page_width
    text_width = (
        int(sec.page_width or 0) - int(sec.left_margin or 0) - int(sec.right_margin or 0)
    ) / 12700  # EMU -> pt
    for k, t in enumerate(tables):
        if k:
            doc.add_paragraph()
        _table(doc, t, float(text_width))
    doc.save(str(path))


def _widths(t: DisplayTable, available: float) -> list[float]:
    """Column widths in points (stub first)."""
    stub_words = max(
        [_longest_word(t.stub_header, True)]
        + [
            _longest_word(r[0], e) + _INDENT_PT * i
            for r, i, e in zip(t.body, t.indent, t.emphasis, strict=True)
        ]
    )
    stub_full = max(
        [_pt(t.stub_header, True)]
        + [
            _pt(r[0], e) + _INDENT_PT * i
            for r, i, e in zip(t.body, t.indent, t.emphasis, strict=True)
        ]
    )
    cells = [[r[j] for r in t.body] for j in range(1, len(t.columns) + 1)]
    widest = [
        max([_cell_width(c), 0.0] + [_pt(x) for x in c if not _SPLIT.match(x)]) for c in cells
    ]
    # headers on one line when the table still fits, else wrapped at spaces (never in a word)
    one_line = [max(w, _pt(h, True)) + 2 * _PAD_PT for w, h in zip(widest, t.columns, strict=True)]
    if stub_words + 2 * _PAD_PT + sum(one_line) <= available:
        values = one_line
    else:
        values = [
            max(w, _longest_word(_keep_together(h), True)) + 2 * _PAD_PT
            for w, h in zip(widest, t.columns, strict=True)
        ]
    # a spanning group label: on one line when there is room, never broken inside a word
    col = 0
    for label, span in t.groups:
        text = _keep_together(label)
        room = available - stub_full - 2 * _PAD_PT - sum(values)
        need = _pt(text, True) + 2 * _PAD_PT - sum(values[col : col + span])
        if need > room:
            need = _longest_word(text, True) + 2 * _PAD_PT - sum(values[col : col + span])
        if need > 0:
            for i in range(col, col + span):
                values[i] += need / span
        col += span
    stub = max(stub_words + 2 * _PAD_PT, min(stub_full + 2 * _PAD_PT, available - sum(values)))
    return [stub, *values]


def _parts(text: str) -> tuple[str, str] | None:
    m = _SPLIT.match(text)
    if not m:
        return None
    return m.group(1), (m.group(2) or "").strip()


def _cell_width(cells: list[str]) -> float:
    """Width of a column of aligned cells: widest first part + gap + widest rest."""
    parts = [p for p in (_parts(c) for c in cells) if p]
    if not parts:
        return 0.0
    head = max(_pt(a) for a, _ in parts)
    rest = max(_pt(b) for _, b in parts)
    return head + (_pt(" ") + rest if rest else 0.0)


def _table(doc: Any, t: DisplayTable, available: float) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.shared import Pt

    if t.title:
        title = doc.add_paragraph()
        title.add_run(t.title).bold = True
        title.paragraph_format.keep_with_next = True
        title.paragraph_format.space_after = Pt(4)
    n_head = 2 if t.groups else 1
    widths = _widths(t, available)
    table = doc.add_table(rows=n_head + len(t.body), cols=1 + len(t.columns))
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    table.autofit = False
    _fixed_layout(table, widths)
    _header(table, t, n_head)
    for i, (ind, emph, row) in enumerate(zip(t.indent, t.emphasis, t.body, strict=True)):
        cells = table.rows[n_head + i].cells
        for j, v in enumerate(row):
            p = cells[j].paragraphs[0]
            if j == 0:
                p.add_run(v).bold = emph
                if ind:
                    p.paragraph_format.left_indent = Pt(_INDENT_PT * ind)
                continue
            _value(p, v, [r[j] for r in t.body], widths[j], emph)
    for row in table.rows:
        _row_props(row)
    _rules(table, t, n_head)
    for k, f in enumerate(t.footnotes):
        para = doc.add_paragraph()
        para.add_run(f).font.size = Pt(_FONT_PT - 1)
        if k == 0:
            para.paragraph_format.space_before = Pt(3)


def _value(p: Any, text: str, column: list[str], width: float, bold: bool) -> None:
    """A value cell: aligned on the parenthesis when the column's cells split, else centred."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
    from docx.shared import Pt

    part = _parts(text)
    if part is None:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.add_run(text).bold = bold
        return
    parts = [q for q in (_parts(c) for c in column) if q]
    head = max(_pt(a) for a, _ in parts)
    total = _cell_width(column)
    start = max(0.0, (width - 2 * _PAD_PT - total) / 2)
    stops = p.paragraph_format.tab_stops
    stops.add_tab_stop(Pt(start + head), WD_TAB_ALIGNMENT.RIGHT)
    stops.add_tab_stop(Pt(start + head + _pt(" ")), WD_TAB_ALIGNMENT.LEFT)
    run = p.add_run(f"\t{part[0]}" + (f"\t{part[1]}" if part[1] else ""))
    run.bold = bold


def _header(table: Any, t: DisplayTable, n_head: int) -> None:
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    if t.groups:
        col = 1
        for label, span in t.groups:
            cell = table.cell(0, col)
            if span > 1:
                cell = cell.merge(table.cell(0, col + span - 1))
            cell.paragraphs[0].add_run(_keep_together(label))
            col += span
    head = table.rows[n_head - 1].cells
    for j, label in enumerate([t.stub_header, *t.columns]):
        head[j].paragraphs[0].add_run(label if j == 0 else _keep_together(label))
    for i in range(n_head):
        for j, cell in enumerate(table.rows[i].cells):
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.BOTTOM
            for p in cell.paragraphs:
                p.alignment = WD_ALIGN_PARAGRAPH.LEFT if j == 0 else WD_ALIGN_PARAGRAPH.CENTER
                for run in p.runs:
                    run.bold = True


def _fixed_layout(table: Any, widths: list[float]) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    _insert(table._tbl.tblPr, layout, ("tblCellMar", "tblLook", "tblCaption", "tblDescription"))
    for col, w in zip(table.columns, widths, strict=True):
        col.width = Pt(w)
    for row in table.rows:
        for cell, w in zip(row.cells, widths, strict=True):
            cell.width = Pt(w)


def _row_props(row: Any) -> None:
    """Rows never split across pages (w:cantSplit)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:cantSplit")
    el.set(qn("w:val"), "true")
    tr_pr.insert(0, el)


def repeat_header(row: Any) -> None:
    """Mark a row as a header row Word repeats on each page (python-docx #322 workaround)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def _insert(parent: Any, child: Any, before: tuple[str, ...]) -> None:
    """Insert ``child`` where the OOXML schema's element order puts it: before the first
    existing child named in ``before`` (Word refuses a file whose order is wrong)."""
    from docx.oxml.ns import qn

    for el in parent:
        if el.tag in {qn(f"w:{b}") for b in before}:
            el.addprevious(child)
            return
    parent.append(child)


_AFTER_TBL_BORDERS = ("shd", "tblLayout", "tblCellMar", "tblLook", "tblCaption", "tblDescription")
_AFTER_TC_BORDERS = ("shd", "noWrap", "tcMar", "textDirection", "tcFitText", "vAlign", "hideMark")


def _border(parent: Any, tag: str, edges: dict[str, int]) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    box = OxmlElement(tag)
    table_level = tag == "w:tblBorders"  # a table names every edge; a cell only its own
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        if not table_level and edge not in edges:
            continue
        el = OxmlElement(f"w:{edge}")
        size = edges.get(edge, 0)
        el.set(qn("w:val"), "single" if size else "nil")
        if size:
            el.set(qn("w:sz"), str(size))
            el.set(qn("w:space"), "0")
            el.set(qn("w:color"), "000000")
        box.append(el)
    _insert(parent, box, _AFTER_TBL_BORDERS if tag == "w:tblBorders" else _AFTER_TC_BORDERS)


def _rules(table: Any, t: DisplayTable, n_head: int) -> None:
    """Heavy rules above and below the table, a light rule under the header and under each
    spanning group label; nothing else."""
    _border(table._tbl.tblPr, "w:tblBorders", {"top": 12, "bottom": 12})
    for i in range(n_head):
        repeat_header(table.rows[i])
    done: list[Any] = []  # the cell elements ruled (held, so that identity is stable)
    for cell in table.rows[n_head - 1].cells:
        if not any(cell._tc is d for d in done):
            done.append(cell._tc)
            _border(cell._tc.get_or_add_tcPr(), "w:tcBorders", {"bottom": 6})
    if t.groups:
        for j, cell in enumerate(table.rows[0].cells):
            if j and not any(cell._tc is d for d in done):
                done.append(cell._tc)
                _border(cell._tc.get_or_add_tcPr(), "w:tcBorders", {"bottom": 4})
