"""Every format read back and compared by cell value (never bytes)."""

from __future__ import annotations

import html.parser
import re

import pandas as pd
import pytest

from aegrade.tables import RowSpec, TableSpec, build_ae_table, build_patient_listing
from aegrade.write import write_table
from aegrade.write.tables import CARDS_COLUMNS, format_for, neutralize
from tests.tables._frames import CRS, ICANS, NEUT


@pytest.fixture
def table(table3_ae, subjects30):
    spec = TableSpec(
        title="Table 3. Adverse events",
        total=True,
        rows=[
            RowSpec(term=CRS),
            RowSpec(term=NEUT),
            RowSpec(term=ICANS),
            RowSpec(label="=HYPERLINK(bad)", terms=["Fever"]),
        ],
    )
    return build_ae_table(table3_ae, subjects30, spec, by="arm")


@pytest.fixture
def single(table3_ae, subjects30):
    spec = TableSpec(
        title="Table 3. Adverse events",
        any_event_row=False,
        rows=[RowSpec(term=CRS), RowSpec(term=NEUT)],
    )
    return build_ae_table(table3_ae, subjects30, spec)


def test_format_from_suffix():
    assert format_for("x.ard.csv") == "ard"
    assert format_for("x.CSV") == "csv"
    assert format_for("x.docx") == "docx"
    assert format_for("x.xlsx", "md") == "md"
    with pytest.raises(ValueError, match="cannot tell"):
        format_for("x.pdf")


@pytest.mark.parametrize(
    "text, out",
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-x", "'-x"),
        ("@a", "'@a"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("25 (83.3)", "25 (83.3)"),
        (3, 3),
    ],
)
def test_neutralize(text, out):
    assert neutralize(text) == out


def test_xlsx_values_and_styling(table, tmp_path):
    from openpyxl import load_workbook

    path = write_table(table, tmp_path / "t.xlsx")
    ws = load_workbook(path).active
    assert ws["A1"].value == "Table 3. Adverse events" and ws["A1"].font.bold
    assert ws["B3"].value == "A (N = 15)"
    assert ws["D3"].value == "B (N = 15)"
    assert ws["F3"].value == "Total (N = 30)"
    assert {str(r) for r in ws.merged_cells.ranges} == {"B3:C3", "D3:E3", "F3:G3"}
    assert [c.value for c in ws[4]] == ["Adverse event", "Any grade", "Grade >= 3"] * 1 + [
        "Any grade",
        "Grade >= 3",
        "Any grade",
        "Grade >= 3",
    ]
    assert ws.freeze_panes == "B5"
    rows = {r[0]: r[1:] for r in ws.iter_rows(min_row=5, max_row=9, values_only=True)}
    assert rows[CRS] == ("15 (100.0)", "3 (20.0)", "10 (66.7)", "0", "25 (83.3)", "3 (10.0)")
    assert rows["'=HYPERLINK(bad)"][0] == "0"
    foot = [ws.cell(row=r, column=1).value for r in range(11, ws.max_row + 1)]
    assert any("ASTCT 2019" in (f or "") for f in foot)
    assert ws.column_dimensions["A"].width > 20


def test_xlsx_several_tables_one_sheet_each(table, single, tmp_path):
    from openpyxl import load_workbook

    wb = load_workbook(write_table([table, single], tmp_path / "t.xlsx"))
    assert wb.sheetnames == ["AE table", "AE table 2"]


def test_csv(table, tmp_path):
    path = write_table(table, tmp_path / "t.csv")
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert df.columns.tolist()[:2] == ["Adverse event", "A (N = 15): Any grade"]
    row = df[df["Adverse event"] == CRS].iloc[0]
    assert row["Total (N = 30): Any grade"] == "25 (83.3)"
    assert "'=HYPERLINK(bad)" in set(df["Adverse event"])


def test_single_arm_csv_uses_grade_group_names(single, tmp_path):
    df = pd.read_csv(write_table(single, tmp_path / "t.csv"), dtype=str)
    assert df.columns.tolist() == ["Adverse event", "Any grade", "Grade >= 3"]
    assert df.iloc[0].tolist() == [CRS, "25 (83.3)", "3 (10.0)"]


def test_ard_simple(table, tmp_path):
    """The six-column ARD, kept as --format ard-simple (issue 14 point 8: 'ard' is now the
    cards shape)."""
    path = write_table(table, tmp_path / "t.csv", "ard-simple")
    ard = pd.read_csv(path)
    assert ard.columns.tolist() == ["row", "arm", "column", "n", "N", "percent"]
    line = ard[(ard["row"] == CRS) & (ard["arm"] == "Total") & (ard["column"] == "Any grade")]
    assert line[["n", "N"]].values.tolist() == [[25, 30]]
    assert line["percent"].item() == pytest.approx(83.333, abs=1e-3)
    assert len(ard) == len(table.rows) * 3 * 2
    assert "'=HYPERLINK(bad)" in set(ard["row"])


def test_ard_format_option_writes_csv_text(table, tmp_path):
    path = write_table(table, tmp_path / "cells.csv", "ard")
    assert pd.read_csv(path).columns.tolist() == list(CARDS_COLUMNS)


@pytest.mark.parametrize("suffix", ["ard.csv", "ard.json", "ard.parquet"])
def test_ard_in_the_cards_shape(table, tmp_path, suffix):
    path = write_table(table, tmp_path / f"t.{suffix}")
    if suffix.endswith("csv"):
        cards = pd.read_csv(path, dtype={"stat_fmt": str})
    elif suffix.endswith("json"):
        cards = pd.read_json(path, orient="records", dtype={"stat_fmt": str})
    else:
        cards = pd.read_parquet(path)
    assert cards.columns.tolist() == list(CARDS_COLUMNS)
    sel = (
        (cards["variable_level"] == CRS)
        & (cards["group1_level"] == "Total")
        & (cards["group2_level"] == "Any grade")
    )
    got = cards[sel]
    assert got["stat_name"].tolist() == ["n", "N", "p"]
    assert got["stat_label"].tolist() == ["n", "N", "%"]
    assert got["stat"].tolist()[:2] == [25, 30]
    assert got["stat"].tolist()[2] == pytest.approx(25 / 30)
    assert got["stat_fmt"].tolist() == ["25", "30", "83.3"]
    assert set(cards["group1"]) == {"arm"} and set(cards["group2"]) == {"grade_group"}
    assert len(cards) == len(table.rows) * 3 * 2 * 3
    labels = set(cards["variable_level"])
    if suffix.endswith("csv"):  # a spreadsheet opens CSV: neutralised
        assert "'=HYPERLINK(bad)" in labels
    else:  # Parquet and JSON: every label exactly as displayed
        assert "=HYPERLINK(bad)" in labels


def test_markdown(single, tmp_path):
    text = write_table(single, tmp_path / "t.md").read_text(encoding="utf-8")
    rows = [
        [c.strip() for c in line.strip("|").split("|")]
        for line in text.splitlines()
        if line.startswith("|")
    ]
    assert rows[0] == ["Adverse event", "Any grade", "Grade >= 3"]
    assert rows[2] == [CRS, "25 (83.3)", "3 (10.0)"]
    assert "**Table 3. Adverse events**" in text
    assert "ASTCT 2019" in text


class _Cells(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows, self._row, self._in, self.tags = [], None, False, []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "tr":
            self._row = []
        if tag in ("td", "th"):
            self._in = True
            self._row.append("")

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self._in = False
        if tag == "tr":
            self.rows.append(self._row)

    def handle_data(self, data):
        if self._in:
            self._row[-1] += data


def test_html_self_contained(table, tmp_path):
    text = write_table(table, tmp_path / "t.html").read_text(encoding="utf-8")
    parser = _Cells()
    parser.feed(text)
    assert parser.rows[0] == ["", "A (N = 15)", "B (N = 15)", "Total (N = 30)"]
    crs = next(r for r in parser.rows if r[0] == CRS)
    assert crs[1:] == ["15 (100.0)", "3 (20.0)", "10 (66.7)", "0", "25 (83.3)", "3 (10.0)"]
    assert "link" not in parser.tags and "script" not in parser.tags
    assert not re.search(r"(src|href)=\"https?:", text)
    assert 'colspan="2"' in text


def test_html_counts_align_on_the_parenthesis(table, tmp_path):
    """(issue 14 point 5) An 'n (x.x)' cell is a box as wide in every row of its column, the
    count right-aligned in a box as wide as the column's widest count, so the parentheses line
    up (seen as a picture in test_golden.py); the stub stays plain and left-aligned."""
    text = write_table(table, tmp_path / "t.html").read_text(encoding="utf-8")
    box = re.compile(
        r'<span class="v" style="width:([\d.]+)ch"><span class="n" style="width:([\d.]+)ch">'
        r"(\d+)</span>(?: (\([\d.]+\)))?</span>$"
    )
    rows = re.findall(r'<tr(?: class="section")?><td class="stub"[^>]*>(.*?)</td>(.*?)</tr>', text)
    widths: dict[int, set[tuple[str, str]]] = {}
    cells: dict[str, list[str]] = {}
    for stub, rest in rows:
        values = re.findall(r"<td>(.*?)</td>", rest)
        cells[stub] = []
        for j, v in enumerate(values):
            m = box.match(v)
            assert m, v  # every cell of this table is a count
            widths.setdefault(j, set()).add((m.group(1), m.group(2)))
            cells[stub].append(m.group(3) + (f" {m.group(4)}" if m.group(4) else ""))
    assert all(len(w) == 1 for w in widths.values())  # one box per column
    # a count is at most 2 digits; '(100.0)' is 7 characters, '(xx.x)' 6, and one space
    # arm A has '15 (100.0)' in both columns, B and Total at most '28 (93.3)'
    assert [widths[j].pop() for j in range(6)] == [("10", "2")] * 2 + [("9", "2")] * 4
    assert cells[CRS] == ["15 (100.0)", "3 (20.0)", "10 (66.7)", "0", "25 (83.3)", "3 (10.0)"]
    assert "table.ae td span.n{display:inline-block;text-align:right}" in text
    assert "table.ae th.stub,table.ae td.stub{text-align:left}" in text


def _docx_text(cell) -> str:  # type: ignore[no-untyped-def]
    return cell.text.strip("\t").replace("\t", " ").replace("\u00a0", " ")


def test_docx_cells_and_repeated_header(table, tmp_path):
    from docx import Document

    doc = Document(str(write_table(table, tmp_path / "t.docx")))
    t = doc.tables[0]
    # a count is set as '<tab>n<tab>(x.x)' on tab stops, aligned on the parenthesis (issue 14)
    cells = [[_docx_text(c) for c in row.cells] for row in t.rows]
    assert cells[0][1] == cells[0][2] == "A (N = 15)"  # merged across the arm's two columns
    assert cells[1] == ["Adverse event"] + ["Any grade", "Grade >= 3"] * 3
    crs = next(r for r in cells if r[0] == CRS)
    assert crs[1:] == ["15 (100.0)", "3 (20.0)", "10 (66.7)", "0", "25 (83.3)", "3 (10.0)"]
    for row in t.rows[:2]:
        assert row._tr.xpath("./w:trPr/w:tblHeader"), "header rows repeat on each page"
    assert not t.rows[2]._tr.xpath("./w:trPr/w:tblHeader")
    paragraphs = [p.text for p in doc.paragraphs]
    assert paragraphs[0] == "Table 3. Adverse events"
    assert any("ASTCT 2019" in p for p in paragraphs)


def _rtf_cells(text: str) -> list[str]:
    """The text of each RTF table cell (control words stripped)."""
    out = []
    for chunk in text.split("\\cell"):
        body = chunk.rsplit("{", 1)[-1]
        plain = re.sub(r"\\[a-z]+-?\d* ?", "", body).replace("}", "").strip()
        out.append(plain)
    return out


def test_rtf(single, tmp_path):
    text = write_table(single, tmp_path / "t.rtf").read_text(encoding="utf-8")
    assert text.startswith("{\\rtf1")
    cells = _rtf_cells(text)
    i = cells.index(CRS)
    # (issue 14 point 5) 'n (%)' is two cells, the count right- and the parenthesis
    # left-aligned, so the numbers line up on the parenthesis as in the docx
    assert cells[i : i + 5] == [CRS, "25", "(83.3)", "3", "(10.0)"]
    assert "Any grade" in cells and "Number of patients (N = 30)" in cells
    assert "Table 3. Adverse events" in text


def _rtf_cell_formats(text: str) -> dict[str, str]:
    """Cell text -> its character formatting control words (e.g. '\\f0\\b')."""
    out = {}
    for m in re.finditer(r"\{((?:\\[a-z]+-?\d* ?)+)([^{}\\]*)\}\\cell", text):
        out.setdefault(m.group(2).strip(), m.group(1).replace(" ", ""))
    return out


def test_rtf_emphasised_rows_are_bold(table3_ae, subjects30, tmp_path):
    """(issue 14 point 5) SOC rows are bold in the RTF as in the docx and html: the stub and
    every value cell of the row; other rows are not."""
    ae = table3_ae.assign(
        soc=table3_ae["term"]
        .map({CRS: "Immune system disorders", NEUT: "Investigations"})
        .fillna("Nervous system disorders")
    )
    t = build_ae_table(ae, subjects30, TableSpec(soc=True)).to_display()
    text = write_table(t, tmp_path / "t.rtf").read_text(encoding="utf-8")
    formats = _rtf_cell_formats(text)
    for row, emph in zip(t.body, t.emphasis, strict=True):
        assert formats[row[0].strip()].endswith("\\b") is emph, row[0]
    soc = next(r for r, e in zip(t.body, t.emphasis, strict=True) if e)
    line = next(ln for ln in text.splitlines() if soc[0] in ln)
    values = text[text.index(line) :].split("\\row", 1)[0]
    assert values.count("\\b ") == 1 + 2 * len(t.columns)  # stub + count + '(x.x)' each
    assert sum(t.emphasis) == 3 and not t.emphasis[0]  # three SOC rows; 'Any adverse event'


def test_rtf_columns_fit_the_page_and_no_number_breaks(table, tmp_path):
    """(issue 14 point 5) Six value columns and a long term: the RTF turns landscape and
    every column keeps at least its content's width (before, rtflite squeezed the fitted
    widths into the portrait page and '15' and '(100.0)' broke over two lines)."""
    from aegrade.write.word import CELL_PAD_PT, text_points

    text = write_table(table, tmp_path / "t.rtf").read_text(encoding="utf-8")
    assert "\\landscape" in text and "\\paperw15840" in text
    edges = [int(x) for x in re.findall(r"\\cellx(\d+)", text)]
    assert max(edges) <= 12240  # 8.5 in of text width, in twips
    body = next(r for r in re.split(r"\\row", text) if CRS in r)
    cells = [int(x) for x in re.findall(r"\\cellx(\d+)", body)]
    widths = [(b - a) / 20 for a, b in zip([0, *cells], cells, strict=False)]  # points
    assert len(widths) == 13  # the stub, then count and '(x.x)' for each of six columns
    contents = ["15", "(100.0)", "3", "(20.0)", "10", "(66.7)", "0", "", "25", "(83.3)"]
    for w, c in zip(widths[1:], contents, strict=False):
        assert w >= text_points(c) + 2 * CELL_PAD_PT - 0.05, (c, w)


def test_rtf_several_tables(single, table, tmp_path):
    text = write_table([single, table], tmp_path / "t.rtf").read_text(encoding="utf-8")
    assert text.count("Table 3. Adverse events") == 2


def test_txt(single, tmp_path):
    text = write_table(single, tmp_path / "t.txt").read_text(encoding="utf-8")
    assert "Number of patients (N = 30)" in text and "25 (83.3)" in text


def test_failed_write_leaves_nothing(table3_ae, subjects30, tmp_path):
    listing = build_patient_listing(table3_ae, subjects30)
    target = tmp_path / "out.ard.csv"
    with pytest.raises(ValueError, match="no cell counts"):
        write_table(listing, target)
    assert list(tmp_path.iterdir()) == []
    target.write_text("old", encoding="utf-8")
    with pytest.raises(ValueError):
        write_table(listing, target)
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.ard.csv"]


def test_csv_takes_one_table(single, table, tmp_path):
    with pytest.raises(ValueError, match="one table"):
        write_table([single, table], tmp_path / "t.csv")


# --------------------------------------------------------------------------- injection (issue 11)

_FIELD = '{\\field{\\*\\fldinst HYPERLINK "http://x"}{\\fldrslt click}}'


def _rtf_tokens(text: str) -> tuple[list[str], str]:
    """(control words, literal text) of an RTF document, as an RTF reader splits it:
    ``\\\\``, ``\\{`` and ``\\}`` are literal characters, ``\\uN?`` a Unicode character."""
    words: list[str] = []
    chars: list[str] = []
    for m in re.finditer(r"\\([\\{}])|\\u(-?\d+)\??|\\([a-z*]+)(-?\d+)? ?|([{}])|([^\\{}]+)", text):
        lit, uni, word, _, _brace, plain = m.groups()
        if lit:
            chars.append(lit)
        elif uni:
            chars.append(chr(int(uni) % 65536))
        elif word:
            words.append(word)
            chars.append(" ")
        elif plain:
            chars.append(plain)
    return words, "".join(chars)


def _hostile_table(name: str):
    from aegrade.tables.display import DisplayTable

    return DisplayTable(
        title=f"Title {name}",
        stub_header=f"Term {name}",
        columns=(f"Arm {name}",),
        body=((f"Row {name}", f"1 {name}"),),
        groups=((f"Group {name}", 1),),
        footnotes=(f"Note {name}",),
    )


def test_rtf_field_in_every_text_is_literal(tmp_path):
    text = write_table(_hostile_table(_FIELD), tmp_path / "t.rtf").read_text(encoding="utf-8")
    words, plain = _rtf_tokens(text)
    assert "field" not in words and "fldinst" not in words and "fldrslt" not in words
    for where in ("Title", "Term", "Arm", "Row", "1", "Group", "Note"):
        assert f"{where} {_FIELD}" in plain, where


def test_rtf_backslash_and_unicode_print_as_written(tmp_path):
    name = "C:\\temp\\par x \u2265 3 caf\u00e9 \U0001f600"
    text = write_table(_hostile_table(name), tmp_path / "t.rtf").read_text(encoding="utf-8")
    assert text.isascii()
    words, plain = _rtf_tokens(text)
    assert f"Row {name}".replace("\U0001f600", "\ud83d\ude00") in plain
    assert "temp" not in words


def test_rtf_keeps_the_spelling_of_other_formats(single, tmp_path):
    """rtflite's own conversion ('>=' to a symbol) is off: the header reads as in docx/html."""
    text = write_table(single, tmp_path / "t.rtf").read_text(encoding="utf-8")
    assert "Grade >= 3" in _rtf_tokens(text)[1]


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("<script>alert(1)</script>", "&lt;script>alert(1)&lt;/script>"),
        ('<img src=x onerror="alert(1)">', '&lt;img src=x onerror="alert(1)">'),
        ("a | b", "a \\| b"),
        ("&amp; \\| x", "&amp;amp; \\\\\\| x"),
    ],
)
def test_markdown_escapes_html_and_pipes(raw, shown, tmp_path):
    text = write_table(_hostile_table(raw), tmp_path / "t.md").read_text(encoding="utf-8")
    assert "<script" not in text and "<img" not in text
    assert f"| Row {shown} | 1 {shown} |" in text
    assert f"**Title {shown}**" in text and f"Note {shown}  " in text


def test_html_and_docx_keep_hostile_text_as_text(tmp_path):
    import docx

    name = "<script>alert(1)</script> " + _FIELD
    page = write_table(_hostile_table(name), tmp_path / "t.html").read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;" in page
    doc = docx.Document(str(write_table(_hostile_table(name), tmp_path / "t.docx")))
    cells = [c.text for r in doc.tables[0].rows for c in r.cells]
    assert f"Row {name}" in cells and f"1 {name}" in cells


# --------------------------------------------------------------------------- docx layout (issue 14)


def _docx_widths(t) -> list[float]:  # type: ignore[no-untyped-def]
    return [c.width.pt for c in t.rows[-1].cells]


def test_docx_columns_fit_their_content_and_no_word_is_broken(table, tmp_path):
    from docx import Document

    from aegrade.write.word import _longest_word

    doc = Document(str(write_table(table, tmp_path / "t.docx")))
    t = doc.tables[0]
    widths = _docx_widths(t)
    assert len(set(widths)) > 1, "columns are no longer all the same width"
    assert widths[0] > max(widths[1:])  # the stub holds the long term names
    assert t._tbl.xpath("./w:tblPr/w:tblLayout[@w:type='fixed']")
    words = [w for r in t.rows for w in _docx_text(r.cells[0]).split()]
    assert widths[0] > max(_longest_word(w, True) for w in words)
    assert sum(widths) <= 6.5 * 72 + 1  # within the text width of the page


def test_docx_rows_never_split_and_rules_not_a_grid(table, tmp_path):
    from docx import Document

    doc = Document(str(write_table(table, tmp_path / "t.docx")))
    t = doc.tables[0]
    assert all(r._tr.xpath("./w:trPr/w:cantSplit") for r in t.rows)
    borders = t._tbl.xpath("./w:tblPr/w:tblBorders")[0]
    vals = {el.tag.split("}")[1]: el.get(el.tag.split("}")[0] + "}val") for el in borders}
    assert vals == {
        "top": "single",
        "bottom": "single",
        "left": "nil",
        "right": "nil",
        "insideH": "nil",
        "insideV": "nil",
    }
    assert t.style is None or t.style.name != "Table Grid"
    header_rule = t.rows[1].cells[1]._tc.xpath("./w:tcPr/w:tcBorders/w:bottom")
    assert header_rule and header_rule[0].get(header_rule[0].tag.split("}")[0] + "}sz") == "6"


def test_docx_counts_align_on_the_parenthesis(table, tmp_path):
    """Every 'n (x.x)' cell of a column has the same two tab stops: n right-aligned at the
    first, '(' at the second."""
    from docx import Document

    doc = Document(str(write_table(table, tmp_path / "t.docx")))
    t = doc.tables[0]
    stops = set()
    for row in t.rows[2:]:
        p = row.cells[1].paragraphs[0]
        assert p.text.startswith("\t")
        stops.add(
            tuple((s.alignment, round(s.position.pt, 2)) for s in p.paragraph_format.tab_stops)
        )
    assert len(stops) == 1
    ((right, left),) = stops
    assert str(right[0]).startswith("RIGHT") and str(left[0]).startswith("LEFT")
    assert right[1] < left[1]


def test_docx_arm_header_keeps_n_together(table, tmp_path):
    from docx import Document

    doc = Document(str(write_table(table, tmp_path / "t.docx")))
    assert doc.tables[0].rows[0].cells[1].text == "A (N\u00a0=\u00a015)"


def test_docx_header_keeps_the_sign_with_its_grade(table, tmp_path):
    """A header wrapped at spaces reads 'Grade' / '>= 3', never 'Grade >=' / '3'."""
    from docx import Document

    doc = Document(str(write_table(table, tmp_path / "t.docx")))
    heads = [c.text for c in doc.tables[0].rows[1].cells]
    assert heads[1:3] == ["Any grade", "Grade >=\u00a03"]
