"""The one failure collector and the closed list of reason codes (aegrade.errors)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import aegrade
from aegrade.errors import FAILURE_COLUMNS, Failures, InputError, Reason

ROOT = Path(__file__).parents[2]
MALFORMED = ROOT / "tests" / "data" / "malformed"


def test_reason_list_matches_its_documented_table() -> None:
    table = Reason.meanings()
    assert list(table) == [r.value for r in Reason]
    assert all(len(text) > 10 for text in table.values())
    assert table["formula_cell"] == "a spreadsheet cell holds a formula instead of a value"


def test_reason_values_are_the_codes_of_before() -> None:
    assert Reason.BAD_DAY.value == "unreadable_day"
    assert Reason.IMPLAUSIBLE.value == "implausible_value"
    # 21 before; end_before_onset (issue 11) then six codes of issue 10 appended
    assert len(Reason) == 28
    assert list(Reason)[21].value == "end_before_onset"


def test_add_rows_reads_values_and_labels_at_the_rows_only() -> None:
    table = pd.DataFrame({"value": ["1", "n/a", "2", "?"]})
    found = Failures("obs.csv", labels=np.array([2, 3, 4, 5]), table=table)
    found.add_rows(
        np.array([False, True, False, True]), Reason.NOT_A_NUMBER, "not a number", column="value"
    )
    frame = found.frame()
    assert list(frame.columns) == FAILURE_COLUMNS
    assert frame["row"].tolist() == [3, 5]
    assert frame["value"].tolist() == ["n/a", "?"]
    assert set(frame["file"]) == {"obs.csv"}


def test_the_same_problem_found_twice_is_listed_once_with_the_first_message() -> None:
    found = Failures("obs.csv")
    found.add(Reason.MISSING_UNIT, "unit is missing for TEMP", row=3, column="unit")
    found.extend(
        pd.DataFrame(
            [["obs.csv", None, 3, "unit", None, "missing_unit", "unit is missing"]],
            columns=FAILURE_COLUMNS,
        )
    )
    found.add(Reason.UNKNOWN_UNIT, "unit cannot be converted", row=3, column="unit")
    assert found.frame()["message"].tolist() == [
        "unit is missing for TEMP",
        "unit cannot be converted",
    ]
    assert len(found) == 2


def test_not_unique_keeps_problems_told_apart_by_message() -> None:
    found = Failures("a.csv", unique=False)
    found.add(Reason.BAD_HEADER, "header 'x' appears twice (columns A and B)", row=1, column="x")
    found.add(Reason.BAD_HEADER, "header 'x' appears twice (columns A and C)", row=1, column="x")
    assert len(found) == 2


def test_row_errors_name_the_first_problem_of_each_row() -> None:
    found = Failures(table=pd.DataFrame({"a": [1, 2, 3]}))
    found.add_rows(np.array([False, False, True]), Reason.IMPLAUSIBLE, "too high", column="a")
    found.add_rows(np.array([False, True, True]), Reason.MISSING_UNIT, "no unit", column="a")
    assert found.row_errors(3).tolist() == [
        None,
        "not graded: missing_unit (no unit)",
        "not graded: implausible_value (too high)",
    ]
    assert found.frame(by_row=True)["check"].tolist() == [
        "missing_unit",
        "implausible_value",
        "missing_unit",
    ]


def test_raise_if_raises_only_when_asked_and_not_empty() -> None:
    found = Failures("obs.csv")
    found.raise_if("raise")  # nothing found: no error
    found.add(Reason.MISSING_TABLE, "no observations")
    found.raise_if("coerce")
    with pytest.raises(InputError) as err:
        found.raise_if("raise")
    assert err.value.error_counts == {"missing_table": 1}
    assert err.value.source == "obs.csv"


def test_unknown_codes_are_refused() -> None:
    with pytest.raises(ValueError):
        Failures().add("made_up", "x")  # type: ignore[arg-type]
    bad = pd.DataFrame([[None, None, 1, "a", None, "made_up", "x"]], columns=FAILURE_COLUMNS)
    with pytest.raises(ValueError, match="not a Reason code"):
        Failures().extend(bad)


def test_no_raw_check_codes_in_the_source() -> None:
    raw = re.compile(r"""["']check["']\s*:\s*["']|check\s*=\s*["'][a-z_]+["']""")
    offenders = [
        f"{path.relative_to(ROOT)}:{i}"
        for path in sorted((ROOT / "aegrade").rglob("*.py"))
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if raw.search(line)
    ]
    assert offenders == []


def _checks_of(path: Path) -> set[str]:
    try:
        result = aegrade.grade(path)  # raise mode: every problem of every table at once
    except InputError as exc:
        return set(exc.failures["check"])
    return set(result.issues["check"])


def test_every_check_the_malformed_corpus_raises_is_a_reason() -> None:
    seen: set[str] = set()
    for path in sorted(MALFORMED.iterdir()):
        if path.suffix in (".csv", ".xlsx", ".parquet", ".xpt") and path.name != "manifest.csv":
            seen |= _checks_of(path)
    assert seen <= set(Reason)
    assert {"not_a_number", "unreadable_day", "missing_column", "formula_cell"} <= seen


def test_a_report_clips_a_huge_message_but_keeps_it_in_the_frame() -> None:
    from aegrade.errors import MESSAGE_CHARS, Failures

    found = Failures(file="obs.csv")
    found.add(Reason.IMPLAUSIBLE, "unit " + "x" * 1_000_000 + " is not a unit", row=2)
    err = found.error("obs.csv")
    line = err.report().splitlines()[1]
    assert len(line) < MESSAGE_CHARS + 40
    assert line.endswith("(1,000,019 characters in all)")
    assert len(err.failures.loc[0, "message"]) == 1_000_019
