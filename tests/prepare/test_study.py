"""One preparation of a study (aegrade.prepare.study) consumed by every engine."""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

import aegrade
from aegrade.errors import InputError
from aegrade.grading.hematology import summarize_hematology
from aegrade.grading.syndromes import grade_crs_icans
from aegrade.prepare import prepare_study
from aegrade.read import load_study

ROOT = Path(__file__).parents[2]
UNITS = ("10^9/L", "10^9/L", None)
OBS = pd.DataFrame(
    {
        "subject_id": ["S1"] * 8 + ["S2"] * 3,
        "day": [0, 1, 1, 2, 2, 3, 3, "x", 0, 4, 4],
        "parameter": [
            "CREAT",
            "CREAT",
            "TEMP",
            "ALT",
            "SYSBP",
            "NEUT",
            "TEMP",
            "HGB",
            "NEUT",
            "NEUT",
            "TEMP",
        ],
        "value": [80, 400, 39.1, 900, 85, 0.3, 38.6, 100, 2.0, 0.4, 40.2],
        "unit": [*("umol/L", "umol/L", "C", "U/L", "mmHg"), *("10^9/L", "C", "g/L"), *UNITS],
        "uln": [100, 100, None, 40, None, None, None, None, None, None, None],
    }
)
SUBJECTS = pd.DataFrame({"subject_id": ["S1", "S2"], "age": [50, 60], "arm": ["A", "B"]})


def _study() -> aegrade.Study:
    return load_study(OBS, subjects=SUBJECTS)


def test_one_collector_lists_each_problem_once() -> None:
    ready = prepare_study(_study())
    issues = ready.issues
    assert not issues.duplicated(["file", "sheet", "row", "column", "check"]).any()
    # the day 'x' is found by the reader and by the preparation: listed once
    assert issues[["row", "column", "check"]].values.tolist() == [
        [7, "day", "unreadable_day"],
        [10, "unit", "missing_unit"],
    ]
    assert ready.subjects["subject_id"].tolist() == ["S1", "S2"]
    assert ready.prep.baseline[:2].tolist() == [80.0, 80.0]


def test_grade_issues_hold_no_duplicates_and_every_engine_reads_one_preparation() -> None:
    result = aegrade.grade(_study(), errors="coerce", crs=["astct-2019", "lee-2014"])
    issues = result.issues
    assert not issues.duplicated(["file", "sheet", "row", "column", "check"]).any()
    assert set(issues["check"]) == {"unreadable_day", "missing_unit"}
    with pytest.raises(InputError) as err:
        aegrade.grade(_study(), crs=["astct-2019", "lee-2014"])
    assert len(err.value.failures) == len(issues)


def test_lee_2014_organ_tiers_reuse_the_lab_grades_with_the_same_result() -> None:
    study = _study()
    alone = grade_crs_icans(study, crs="lee-2014", icans=None, errors="coerce")
    ready = prepare_study(study)
    graded = aegrade.grade_labs(
        ready.frame.drop(columns=["time"], errors="ignore"), errors="coerce"
    )
    reused = grade_crs_icans(
        study,
        crs="lee-2014",
        icans=None,
        errors="coerce",
        prepared=ready.with_grades(graded, "ctcae-v5.0", "worse"),
    )
    pd.testing.assert_frame_equal(alone.adverse_events, reused.adverse_events)
    pd.testing.assert_frame_equal(alone.explain, reused.explain)
    pd.testing.assert_frame_equal(alone.issues, reused.issues)
    assert alone.issues["check"].tolist() == ["missing_unit"]  # the TEMP without a unit
    assert "Creatinine increased grade 3" in " ".join(alone.explain["text"].astype(str))


def test_grades_of_another_ambiguity_setting_are_not_reused() -> None:
    ready = prepare_study(_study())
    assert ready.with_grades(OBS, "ctcae-v5.0", "lower").lab_grades("ctcae-v5.0") is None
    assert ready.with_grades(OBS, "ctcae-v5.0", "worse").lab_grades("ctcae-v4.03") is None


def test_hematology_lineage_grades_reuse_the_lab_grades_with_the_same_result() -> None:
    study = _study()
    alone = summarize_hematology(study, errors="coerce")
    ready = prepare_study(study)
    graded = aegrade.grade_labs(
        ready.frame.drop(columns=["time"], errors="ignore"), errors="coerce"
    )
    reused = summarize_hematology(
        study, errors="coerce", prepared=ready.with_grades(graded, "ctcae-v5.0", "worse")
    )
    pd.testing.assert_frame_equal(alone.subject_summary, reused.subject_summary)
    assert alone.subject_summary["neutrophils_worst_grade"].tolist() == [4, 4]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)} | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }


def test_the_study_model_imports_nothing_from_read_or_prepare() -> None:
    found = _imports(ROOT / "aegrade" / "study.py")
    assert not {m for m in found if m.startswith(("aegrade.read", "aegrade.prepare"))}


def test_read_source_does_not_import_read_study() -> None:
    assert "aegrade.read.study" not in _imports(ROOT / "aegrade" / "read" / "source.py")
    for name in ("days.py", "subjects.py", "events.py", "baseline.py", "study.py"):
        assert not {
            m for m in _imports(ROOT / "aegrade" / "prepare" / name) if m.startswith("aegrade.read")
        }


def test_public_names_still_work() -> None:
    from aegrade.read.study import Study, Table

    assert aegrade.Study is Study is aegrade.study.Study
    assert aegrade.load_study is aegrade.read.load_study
    assert Table is aegrade.study.Table


def test_threads_of_the_preparation_change_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    from aegrade import threads

    monkeypatch.setattr(threads, "SMALLEST_BLOCK", 2)
    obs = pd.DataFrame(
        {"subject_id": ["S1", "S1", "S2", "S2", "S2"], "day": [-1, 3, 0, 2, 5],
         "parameter": ["HGB", "HGB", "PLAT", "PLAT", "HGB"], "value": [13.0, 9.0, 200, 40, 8],
         "unit": ["g/dL", "g/dL", "10^9/L", "10^9/L", "g/dL"]}
    )  # fmt: skip
    one = prepare_study(load_study(obs), threads=1)
    two = prepare_study(load_study(obs), threads=2)
    assert two.threads == 2
    for name in ("value", "baseline", "pchg", "param_index", "unit_code", "scale"):
        np.testing.assert_array_equal(getattr(one.prep, name), getattr(two.prep, name))
    assert one.prep.baseline.tolist()[:4] == [130.0, 130.0, 200.0, 200.0]


def test_has_code_reads_the_code_table_as_the_codes_say() -> None:
    """``has_code`` answers from the short table of codes exactly as from the per-row codes:
    aliases, unknown names, blanks and case all resolved once, then gathered."""
    obs = pd.DataFrame(
        {
            "subject_id": ["01", "01", "02", "02", "03", "03"],
            "day": [1, 2, 1, 2, 1, 2],
            "parameter": ["temp", "ICE", "xyz", None, "ALT", "Temperature"],
            "value": [38.9, 8, 1, 2, 40, 37.0],
            "unit": ["degC", "", "", "", "U/L", "degC"],
        }
    )
    ready = prepare_study(load_study(obs))
    assert ready.code_table is not None
    wanted = {"TEMP", "ICE"}
    by_rows = [c in wanted for c in ready.code]
    assert ready.has_code(wanted).tolist() == by_rows
    assert ready.code.tolist()[:3] == ["TEMP", "ICE", None]
    assert ready.has_code(set()).tolist() == [False] * 6
    assert ready.has_code({"ALT"}).tolist() == [False, False, False, False, True, False]
    # a prepared study without the table (built by hand) answers from the codes themselves
    assert replace(ready, code_table=None).has_code(wanted).tolist() == by_rows


def test_has_code_without_a_parameter_column_is_false_everywhere() -> None:
    obs = pd.DataFrame({"subject_id": ["01", "02"], "day": [1, 1], "value": [1.0, 2.0]})
    ready = prepare_study(load_study(obs))
    assert ready.code.tolist() == [None, None]
    assert ready.has_code({"TEMP"}).tolist() == [False, False]


def test_blank_and_missing_ids_found_on_the_distinct_ids() -> None:
    """Missing, empty and spaces-only ids are each a missing_subject row; the test runs on
    the distinct ids (their codes) and gives the same rows as the test of every row."""
    from aegrade.prepare.study import _no_subject

    ids = pd.Series(["S1", "  ", None, "", " S2 ", "S1", "\t"], dtype=object)
    got = _no_subject(ids)
    text = ids.astype("string").str.strip()
    want = (text.isna() | (text == "")).to_numpy(bool)
    assert got.tolist() == want.tolist() == [False, True, True, True, False, False, True]
    assert _no_subject(pd.Series([], dtype="string")).tolist() == []
    obs = pd.DataFrame(
        {"subject_id": ["S1", " ", None], "day": [1, 1, 1], "parameter": "HGB", "value": 12,
         "unit": "g/dL"}
    )  # fmt: skip
    issues = prepare_study(load_study(obs)).issues
    assert issues.loc[issues["check"] == "missing_subject", "row"].tolist() == [1, 2]


def test_parameter_codes_resolved_once_and_shared_read_only() -> None:
    """prepare_study resolves each row's parameter once; the value preparation reads the
    same array (not resolved again), which nobody may change."""
    obs = pd.DataFrame(
        {"subject_id": "S1", "day": [0, 1, 2], "parameter": ["HGB", "anc", "what"],
         "value": [12, 1.5, 3], "unit": ["g/dL", "10^9/L", ""]}
    )  # fmt: skip
    ready = prepare_study(load_study(obs))
    index, names = ready.code_table
    assert ready.prep.param_index is index and not index.flags.writeable
    assert names[index].tolist() == ["HGB", "NEUT", None]
    assert ready.prep.code.tolist() == ["HGB", "NEUT", None]


def test_code_rows_are_the_rows_has_code_finds_before_and_after_the_values() -> None:
    """code_rows gives the positions of has_code, with or without the prepared values; with
    them, a code no row has is answered from the counts per parameter."""
    import numpy as np

    obs = pd.DataFrame(
        {"subject_id": "S1", "day": [0, 1, 2, 3], "parameter": ["TEMP", "ALT", "ICE", "TEMP"],
         "value": [38.5, 40, 8, 37], "unit": ["degC", "U/L", "", "degC"]}
    )  # fmt: skip
    ready = prepare_study(load_study(obs))
    for codes in ({"TEMP"}, {"ICE", "ALT"}, {"TOCILIZUMAB"}, {"NOT A CODE"}):
        before = ready.code_rows(codes).tolist()
        assert before == np.flatnonzero(ready.has_code(codes)).tolist()
        _ = ready.prep  # the values prepared: their counts may answer
        assert ready.code_rows(codes).tolist() == before
    assert ready.code_rows({"TEMP"}).tolist() == [0, 3]
    assert ready.code_rows({"TOCILIZUMAB"}).tolist() == []
