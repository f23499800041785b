"""The peer's published layouts rebuilt cell for cell (issue 14, "Done when").

The peer is the R pharmaverse/NEST stack: chevron's AET02 (AEs by SOC/PT), AET04 (AEs by
highest NCI CTCAE grade) and LBT14 (lab shift, highest post-baseline grade by baseline grade,
direction low). Their layouts, labels and counting rules are read from chevron's published
snapshots and sources (github.com/insightsengineering/chevron at 739de496:
tests/testthat/_snaps/aet02.md, aet04.md, lbt14.md; R/aet02.R, aet04.R, lbt14.R,
standard_rules.R) and tern's (github.com/insightsengineering/tern at eab2bd71:
R/count_occurrences_by_grade.R, R/formatting_functions.R format_count_fraction_fixed_dp,
h_adsl_adlb_merge_using_worst_flag). No code of theirs is used: each ORACLE below rebuilds the
peer's table from the study's CSV files with plain pandas, following those rules:

- population: ADSL SAFFL = Y; N per arm from ADSL; AEs with ANL01FL = Y (chevron aet02_pre);
- AEDECOD / AEBODSYS missing -> "No Coding Available" (chevron ``nocoding`` rule);
- AET02: patients (unique USUBJID) and events (records) overall, per SOC and per PT; SOCs by
  descending patients over all arms, PTs by descending sum of their patient counts, ties in
  alphabetical order (rtables sorts stably from the alphabetical factor levels);
- AET04: per row, each patient at the highest grade of the records that have one (tern
  ``stats::aggregate(grade ~ id, max)`` drops missing grades), grade groups 'Grade 1-2',
  'Grade 3-4', 'Grade 5' (a one-grade group shows no grade row), '- Any Grade -' counts every
  patient with a record (``summarize_num_patients``); rows zero in every arm are trimmed;
- LBT14: per PARAMCD every ADSL patient, the baseline grade (BTOXGR) and worst post-baseline
  low grade (ATOXGR of the WGRLOFL = Y record), 'Not Low' for grade >= 0, 'Missing' when
  absent; block rows count patients, grade rows n (% of the block); zero rows trimmed;
- cells print as tern's ``format_count_fraction_fixed_dp``: '0', 'n (100%)', 'n (x.x%)' with
  C's printf rounding (aegrade is run with ``--percent-sign --rounding half-even``; the one
  spelling that differs, '100.0%' for '100%', is normalised).

aegrade reads the same CSVs as a study (grading the labs itself from AVAL and the normal
range, not from ATOXGR), through the public API and through ``aegrade table`` (csv and the
cards ARD); every row label, every arm header with its N and every cell is compared.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import aegrade
from aegrade.cli import main
from aegrade.tables import (
    ColumnSpec,
    as_display,
    build_ae_table,
    build_shift_table,
    load_table_spec,
)
from aegrade.tables.inputs import inputs_from_result

STUDY = Path(__file__).resolve().parents[1] / "data" / "peerstudy"
NOCODING = "No Coding Available"
#: The one label that differs by design: the peer pages LBT14 by PARAM (one direction per
#: table), aegrade heads each block with the CTCAE term, which is a parameter and a direction.
LAB_TERMS = {"NEUT": "Neutrophil count decreased", "PLAT": "Platelet count decreased"}

AET02_SPEC = f"""
title = "AET02: adverse events by system organ class and preferred term"
row_header = "MedDRA System Organ Class / MedDRA Preferred Term"
by = "arm"
soc = true
count = "both"
population = "SAFFL"
where = {{ source = "clinician" }}
columns = [{{ label = "n (%)", grades = [1, 5] }}]
uncoded_label = "{NOCODING}"
grade_missing_label = ""
soc_total_label = "Total number of patients with at least one adverse event"
overall_events_label = "Overall total number of events"
percent_sign = true
rounding = "half-even"
"""

AET04_SPEC = f"""
title = "AET04: adverse events by highest NCI CTCAE grade"
row_header = "MedDRA System Organ Class / MedDRA Preferred Term / Grade"
by = "arm"
soc = true
grade_rows = true
population = "SAFFL"
where = {{ source = "clinician" }}
any_event_label = "- Any adverse events -"
soc_total_label = "- Overall -"
uncoded_label = "{NOCODING}"
grade_missing_label = ""
percent_sign = true
rounding = "half-even"
columns = [
    {{ label = "- Any Grade -", grades = [1, 5] }},
    {{ label = "Grade 1-2", grades = [1, 2] }},
    {{ label = "1", grades = 1 }},
    {{ label = "2", grades = 2 }},
    {{ label = "Grade 3-4", grades = [3, 4] }},
    {{ label = "3", grades = 3 }},
    {{ label = "4", grades = 4 }},
    {{ label = "Grade 5", grades = 5 }},
]
"""
AET04_GROUPS = (
    ("- Any Grade -", (1, 2, 3, 4, 5)),
    ("Grade 1-2", (1, 2)),
    ("1", (1,)),
    ("2", (2,)),
    ("Grade 3-4", (3, 4)),
    ("3", (3,)),
    ("4", (4,)),
    ("Grade 5", (5,)),
)

# --------------------------------------------------------------------------- the study


def _csv(name: str) -> pd.DataFrame:
    return pd.read_csv(STUDY / f"{name}.csv", dtype=str, keep_default_na=False)


def _safety() -> pd.DataFrame:
    adsl = _csv("adsl")
    return adsl[adsl["SAFFL"] == "Y"]


def _arms() -> list[tuple[str, int]]:
    """(arm, N) in the peer's column order: the arm factor's (alphabetical) levels."""
    counts = _safety()["ARM"].value_counts()
    return [(a, int(counts[a])) for a in sorted(counts.index)]


def _adae() -> pd.DataFrame:
    """The AE records the peer counts: safety patients, ANL01FL = Y, nocoding applied."""
    ae = _csv("adae").merge(_safety()[["USUBJID"]], on="USUBJID")
    ae = ae[ae["ANL01FL"] == "Y"].copy()
    for col in ("AEDECOD", "AEBODSYS"):
        ae[col] = ae[col].where(ae[col] != "", NOCODING)
    ae["GRADE"] = pd.to_numeric(ae["ATOXGR"].replace("", np.nan))
    return ae


def _cell(n: int, big_n: int) -> str:
    """tern's format_count_fraction_fixed_dp."""
    if n == 0:
        return "0"
    if n == big_n:
        return f"{n} (100%)"
    return f"{n} ({n / big_n * 100:.1f}%)"


def _by_arm(frame: pd.DataFrame, how: str) -> list[int]:
    arms = [a for a, _ in _arms()]
    if how == "patients":
        got = frame.groupby("ARM")["USUBJID"].nunique()
    else:
        got = frame.groupby("ARM").size()
    return [int(got.get(a, 0)) for a in arms]


# --------------------------------------------------------------------------- oracles

Row = tuple[str, tuple[str, ...]]  # (label, one printed cell per arm)


def oracle_aet02() -> list[Row]:
    ae = _adae()
    big = [n for _, n in _arms()]
    blank = ("",) * len(big)

    def patients(frame: pd.DataFrame) -> tuple[str, ...]:
        return tuple(_cell(n, b) for n, b in zip(_by_arm(frame, "patients"), big, strict=True))

    def events(frame: pd.DataFrame) -> tuple[str, ...]:
        return tuple(str(n) for n in _by_arm(frame, "events"))

    rows: list[Row] = [
        ("Total number of patients with at least one adverse event", patients(ae)),
        ("Overall total number of events", events(ae)),
    ]
    soc_n = ae.groupby("AEBODSYS")["USUBJID"].nunique()  # over all arms
    for soc in sorted(soc_n.index, key=lambda s: (-soc_n[s], s)):
        in_soc = ae[ae["AEBODSYS"] == soc]
        rows += [
            (soc, blank),
            ("Total number of patients with at least one adverse event", patients(in_soc)),
            ("Total number of events", events(in_soc)),
        ]
        score = {pt: sum(_by_arm(f, "patients")) for pt, f in in_soc.groupby("AEDECOD")}
        for pt in sorted(score, key=lambda p: (-score[p], p)):
            rows.append((pt, patients(in_soc[in_soc["AEDECOD"] == pt])))
    return rows


def _grade_rows(frame: pd.DataFrame, groups: tuple[tuple[str, tuple[int, ...]], ...]) -> list[Row]:
    arms = [a for a, _ in _arms()]
    big = [n for _, n in _arms()]
    worst = frame.dropna(subset=["GRADE"]).groupby(["ARM", "USUBJID"])["GRADE"].max()
    out: list[Row] = []
    for label, grades in groups:
        if label == "- Any Grade -":
            n = _by_arm(frame, "patients")
        else:
            hit = worst[worst.isin(grades)].groupby(level="ARM").size()
            n = [int(hit.get(a, 0)) for a in arms]
        if any(n):  # trim_rows
            out.append((label, tuple(_cell(k, b) for k, b in zip(n, big, strict=True))))
    return out


def oracle_aet04(groups: tuple[tuple[str, tuple[int, ...]], ...] = AET04_GROUPS) -> list[Row]:
    ae = _adae()
    blank = ("",) * len(_arms())
    rows: list[Row] = [("- Any adverse events -", blank), *_grade_rows(ae, groups)]
    score = {soc: sum(_by_arm(f, "patients")) for soc, f in ae.groupby("AEBODSYS")}
    for soc in sorted(score, key=lambda s: (-score[s], s)):
        in_soc = ae[ae["AEBODSYS"] == soc]
        rows += [(soc, blank), ("- Overall -", blank), *_grade_rows(in_soc, groups)]
        pts = {pt: sum(_by_arm(f, "patients")) for pt, f in in_soc.groupby("AEDECOD")}
        for pt in sorted(pts, key=lambda p: (-pts[p], p)):
            rows += [(pt, blank), *_grade_rows(in_soc[in_soc["AEDECOD"] == pt], groups)]
    return rows


def oracle_lbt14(gr_missing: str = "incl") -> list[Row]:
    """LBT14, ``gr_missing`` 'incl' (a 'Missing' baseline block) or 'excl' (no such block)."""
    arms = [a for a, _ in _arms()]
    lb = _csv("adlb")
    worst = lb[lb["WGRLOFL"] == "Y"][["USUBJID", "PARAMCD", "ATOXGR", "BTOXGR"]]
    levels = ["Not Low", "1", "2", "3", "4", "Missing"]

    def low(grade: pd.Series) -> pd.Series:
        g = pd.to_numeric(grade.replace("", np.nan))
        out = pd.Series("Missing", index=grade.index, dtype=object)
        out[g >= 0] = "Not Low"
        for k in range(1, 5):
            out[g == -k] = str(k)
        return out

    rows: list[Row] = []
    for code in sorted(lb["PARAMCD"].unique()):
        grid = _safety()[["USUBJID", "ARM"]].merge(
            worst[worst["PARAMCD"] == code], on="USUBJID", how="left"
        )
        grid = grid.fillna({"ATOXGR": "", "BTOXGR": ""})
        grid["B"], grid["A"] = low(grid["BTOXGR"]), low(grid["ATOXGR"])
        rows.append((LAB_TERMS[code], ("",) * len(arms)))
        for b in levels if gr_missing == "incl" else levels[:-1]:
            block = grid[grid["B"] == b]
            sizes = [int((block["ARM"] == a).sum()) for a in arms]
            if not any(sizes):
                continue
            rows.append((b, tuple(str(n) for n in sizes)))
            for p in levels:
                n = [int(((block["ARM"] == a) & (block["A"] == p)).sum()) for a in arms]
                if any(n):
                    rows.append((p, tuple(_cell(k, s) for k, s in zip(n, sizes, strict=True))))
    return rows


# --------------------------------------------------------------------------- aegrade


@pytest.fixture(scope="module")
def graded() -> aegrade.GradeResult:
    return aegrade.grade(STUDY)


def _header(label: str) -> tuple[str, int]:
    m = re.fullmatch(r"(.*) \(N = (\d+)\)(?:: .*)?", label)
    assert m, label
    return m.group(1), int(m.group(2))


def _normalise(cell: str) -> str:
    return cell.replace("(100.0%)", "(100%)")


def _rows_of_display(table: object) -> tuple[list[tuple[str, int]], list[Row]]:
    t = as_display(table)
    heads = [_header(h) for h in t.header_labels()]
    return heads, [(r[0], tuple(_normalise(c) for c in r[1:])) for r in t.body]


def _rows_of_csv(text: str) -> tuple[list[tuple[str, int]], list[Row]]:
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    heads = [_header(h) for h in frame.columns[1:]]
    labels = [re.sub(r"^'(?=[-=+@])", "", s.strip()) for s in frame.iloc[:, 0]]
    cells = frame.iloc[:, 1:].map(_normalise).to_numpy(object)
    return heads, [(lab, tuple(c)) for lab, c in zip(labels, cells.tolist(), strict=True)]


def _compare(got: list[Row], want: list[Row], heads: list[tuple[str, int]]) -> int:
    """Every label and cell; returns the number of cells compared (labels and headers too)."""
    assert heads == _arms()
    assert [label for label, _ in got] == [label for label, _ in want]
    for (label, cells), (_, expected) in zip(got, want, strict=True):
        assert cells == expected, label
    return len(heads) + sum(1 + len(c) for _, c in want)


def _cli(*args: str) -> str:
    res = CliRunner().invoke(main, ["table", str(STUDY), *args])
    assert res.exit_code == 0, res.output
    return res.stdout


# --------------------------------------------------------------------------- AET02


def test_aet02_through_the_api(graded: aegrade.GradeResult) -> None:
    data = inputs_from_result(graded)
    table = build_ae_table(data.adverse_events, data.subjects, load_table_spec(AET02_SPEC))
    heads, rows = _rows_of_display(table)
    want = oracle_aet02()
    assert _compare(rows, want, heads) == 227  # 56 rows x (label + 3 arms), 3 arm headers
    assert len(want) == 56  # 2 overall rows, 10 SOCs x 3 rows, 24 SOC/PT rows
    labels = [label for label, _ in want]
    assert labels.count(NOCODING) == 4  # a SOC, and a PT under three SOCs
    assert labels.count("Oedema peripheral") == 2  # a PT coded under two SOCs
    assert labels.count("Dizziness") == 2  # and a CTCAE term
    assert rows[0] == (
        "Total number of patients with at least one adverse event",
        ("22 (91.7%)", "13 (81.2%)", "25 (100%)"),  # 13/16 = 81.25 %: printf's half-even
    )
    # indentation as the peer prints it: overall rows and SOC labels flush, the rest by one
    flush = [i < 2 or cells == ("", "", "") for i, (_, cells) in enumerate(want)]  # SOC labels
    assert table.to_display().indent == tuple(0 if f else 1 for f in flush)


def test_aet02_without_soc_rows(graded: aegrade.GradeResult) -> None:
    # chevron's aet02 snapshot 'res1' (row_split_var = NULL): the two overall rows, then one
    # row per PT (a PT under two SOCs is one row), by descending patients over all arms
    ae = _adae()
    big = [n for _, n in _arms()]
    want: list[Row] = oracle_aet02()[:2]
    score = {pt: sum(_by_arm(f, "patients")) for pt, f in ae.groupby("AEDECOD")}
    for pt in sorted(score, key=lambda p: (-score[p], p)):
        n = _by_arm(ae[ae["AEDECOD"] == pt], "patients")
        want.append((pt, tuple(_cell(k, b) for k, b in zip(n, big, strict=True))))
    spec = load_table_spec(AET02_SPEC).model_copy(update={"soc": False})
    data = inputs_from_result(graded)
    heads, rows = _rows_of_display(build_ae_table(data.adverse_events, data.subjects, spec))
    assert _compare(rows, want, heads) == 91  # 22 rows x (label + 3 arms), 3 arm headers


def test_aet02_through_the_command_line(tmp_path: Path) -> None:
    spec = tmp_path / "aet02.toml"
    spec.write_text(AET02_SPEC, encoding="utf-8")
    heads, rows = _rows_of_csv(_cli("--kind", "ae", "--spec", str(spec), "--format", "csv"))
    assert _compare(rows, oracle_aet02(), heads) == 227


def test_aet02_ard_holds_every_count(tmp_path: Path) -> None:
    spec = tmp_path / "aet02.toml"
    spec.write_text(AET02_SPEC, encoding="utf-8")
    ard = pd.read_csv(io.StringIO(_cli("--spec", str(spec), "--format", "ard")), dtype=str)
    n = ard[ard["stat_name"] == "n"].set_index(["variable_level", "group1_level"])["stat"]
    ae = _adae()
    arms = [a for a, _ in _arms()]
    checked = 0
    for (soc, pt), frame in ae.groupby(["AEBODSYS", "AEDECOD"]):
        for a, k in zip(arms, _by_arm(frame, "patients"), strict=True):
            assert float(n[(f"{soc} / {pt}", a)]) == k
            checked += 1
    for soc, frame in ae.groupby("AEBODSYS"):
        for a, k, e in zip(arms, _by_arm(frame, "patients"), _by_arm(frame, "events"), strict=True):
            assert float(n[(soc, a)]) == k
            assert float(n[(f"{soc} / Total number of events", a)]) == e
            checked += 2
    assert checked == 3 * (24 + 2 * 10)  # 24 SOC/PT rows, 10 SOCs


# --------------------------------------------------------------------------- AET04


def test_aet04_through_the_api(graded: aegrade.GradeResult) -> None:
    data = inputs_from_result(graded)
    table = build_ae_table(data.adverse_events, data.subjects, load_table_spec(AET04_SPEC))
    heads, rows = _rows_of_display(table)
    want = oracle_aet04()
    assert _compare(rows, want, heads) == 867  # 216 rows x (label + 3 arms), 3 arm headers
    labels = [label for label, _ in want]
    assert labels[:2] == ["- Any adverse events -", "- Any Grade -"]
    assert {"Grade 1-2", "Grade 3-4", "Grade 5"} <= set(labels)
    assert "5" not in labels  # a one-grade group shows no grade row (tern remove_single)


def test_aet04_with_grade_3_5_grouped(graded: aegrade.GradeResult) -> None:
    # chevron's aet04 snapshot 'res3': grade_groups 'Grade 1-2' and 'Grade 3-5'; a group of
    # three grades shows its grade rows, 5 included
    groups = (*AET04_GROUPS[:4], ("Grade 3-5", (3, 4, 5)), ("3", (3,)), ("4", (4,)), ("5", (5,)))
    spec = load_table_spec(AET04_SPEC).model_copy(
        update={
            "columns": tuple(
                ColumnSpec(label=label, grades=(min(g), max(g))) for label, g in groups
            )
        }
    )
    data = inputs_from_result(graded)
    heads, rows = _rows_of_display(build_ae_table(data.adverse_events, data.subjects, spec))
    want = oracle_aet04(groups)
    assert _compare(rows, want, heads) == 875  # 218 rows x (label + 3 arms), 3 arm headers
    assert {"Grade 3-5", "5"} <= {label for label, _ in want}


def test_aet04_through_the_command_line(tmp_path: Path) -> None:
    spec = tmp_path / "aet04.toml"
    spec.write_text(AET04_SPEC, encoding="utf-8")
    heads, rows = _rows_of_csv(_cli("--kind", "ae", "--spec", str(spec), "--format", "csv"))
    assert _compare(rows, oracle_aet04(), heads) == 867


def test_aet04_ard_holds_every_cell_with_the_trimmed_zeros(tmp_path: Path) -> None:
    spec = tmp_path / "aet04.toml"
    spec.write_text(AET04_SPEC, encoding="utf-8")
    ard = pd.read_csv(io.StringIO(_cli("--spec", str(spec), "--format", "ard")), dtype=str)
    # a label a spreadsheet would run ('- Any Grade -') is written "'- Any Grade -"
    ard = ard.map(lambda v: re.sub(r"^'(?=[-=+@])", "", v) if isinstance(v, str) else v)
    stats = ard.pivot_table(
        index=["variable_level", "group1_level", "group2_level"],
        columns="stat_name",
        values="stat",
        aggfunc="first",
    )
    ae = _adae()
    units = {"- Any adverse events -": ae}
    units |= {soc: f for soc, f in ae.groupby("AEBODSYS")}
    units |= {f"{soc} / {pt}": f for (soc, pt), f in ae.groupby(["AEBODSYS", "AEDECOD"])}
    arms = _arms()
    checked = 0
    for key, frame in units.items():
        worst = frame.dropna(subset=["GRADE"]).groupby(["ARM", "USUBJID"])["GRADE"].max()
        for label, grades in AET04_GROUPS:
            for arm, big_n in arms:
                if label == "- Any Grade -":
                    n = frame.loc[frame["ARM"] == arm, "USUBJID"].nunique()
                else:
                    n = int(
                        worst.loc[worst.index.get_level_values("ARM") == arm].isin(grades).sum()
                    )
                got = stats.loc[(key, arm, label)]
                assert (float(got["n"]), float(got["N"])) == (n, big_n), (key, arm, label)
                checked += 1
    assert len(stats) == checked == 3 * 8 * (1 + 10 + 24)  # arms x groups x rows, zeros too


# --------------------------------------------------------------------------- LBT14


def _lab_inputs(graded: aegrade.GradeResult) -> tuple[pd.DataFrame, pd.DataFrame]:
    data = inputs_from_result(graded)
    subjects = data.subjects[data.subjects["saffl"] == "Y"]
    assert data.graded_observations is not None
    return data.graded_observations, subjects


def test_lbt14_through_the_api(graded: aegrade.GradeResult) -> None:
    obs, subjects = _lab_inputs(graded)
    table = build_shift_table(
        obs,
        subjects=subjects,
        by="arm",
        layout="nested",
        rounding="half-even",
        percent_sign=True,
    )
    heads, rows = _rows_of_display(table)
    want = oracle_lbt14()
    assert _compare(rows, want, heads) == 155  # 38 rows x (label + 3 arms), 3 arm headers
    assert ("Missing", ("1 (50.0%)", "2 (100%)", "1 (33.3%)")) in want  # no lab at all


def test_lbt14_without_missing_baselines(graded: aegrade.GradeResult) -> None:
    # chevron's lbt14 snapshot with gr_missing = "excl"
    obs, subjects = _lab_inputs(graded)
    table = build_shift_table(
        obs,
        subjects=subjects,
        by="arm",
        layout="nested",
        missing_baseline="exclude",
        rounding="half-even",
        percent_sign=True,
    )
    heads, rows = _rows_of_display(table)
    want = oracle_lbt14("excl")
    assert _compare(rows, want, heads) == 127  # 31 rows x (label + 3 arms), 3 arm headers
    assert len(want) < len(oracle_lbt14())


def test_lbt14_through_the_command_line() -> None:
    text = _cli(
        "--kind",
        "shift",
        "--by",
        "arm",
        "--population",
        "SAFFL",
        "--shift-layout",
        "nested",
        "--percent-sign",
        "--rounding",
        "half-even",
        "--format",
        "csv",
    )
    heads, rows = _rows_of_csv(text)
    assert _compare(rows, oracle_lbt14(), heads) == 155


def test_lbt14_ard_counts_every_safety_patient_once_per_term() -> None:
    text = _cli(
        "--kind",
        "shift",
        "--by",
        "arm",
        "--population",
        "SAFFL",
        "--shift-layout",
        "nested",
        "--format",
        "ard",
    )
    ard = pd.read_csv(io.StringIO(text), dtype=str)
    blocks = ard[(ard["group2_level"] == "Patients") & (ard["stat_name"] == "n")]
    blocks = blocks.assign(term=blocks["variable_level"].str.split(" / ").str[0])
    per_arm = blocks.assign(n=blocks["stat"].astype(float)).groupby(["term", "group1_level"])["n"]
    assert per_arm.sum().to_dict() == {
        (term, arm): float(n) for term in LAB_TERMS.values() for arm, n in _arms()
    }


def test_the_study_is_what_make_py_writes(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("peerstudy_make", STUDY / "make.py")
    assert spec is not None and spec.loader is not None
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    make.main(tmp_path)
    for name in ("adsl", "adae", "adlb"):
        assert (tmp_path / f"{name}.csv").read_bytes() == (STUDY / f"{name}.csv").read_bytes()
