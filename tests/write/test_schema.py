"""One output schema: differently shaped studies give the same Parquet schema for every table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from aegrade import grade
from aegrade.cli import main
from aegrade.errors import Reason
from aegrade.read.study import load_study
from aegrade.schema import (
    GRADED_OBSERVATIONS,
    REASON_CODES,
    SCHEMAS,
    TableSchema,
    arrow_schema,
    conform,
    reason_codes,
    split_value,
)
from aegrade.write.adam import build_adam
from aegrade.write.results import write_result
from tests.conftest import EXAMPLES

EXAMPLE = EXAMPLES / "blinatumomab_short_course.xlsx"
EXAMPLE_DIR = EXAMPLES / "blinatumomab_short_course"

#: Arrow type of each documented dtype, as written to Parquet.
ARROW = {
    "string": pa.large_string(),
    "Int64": pa.int64(),
    "int64": pa.int64(),
    "float64": pa.float64(),
    "bool": pa.bool_(),
    "category": pa.dictionary(pa.int32(), pa.string()),
    "reason_code": pa.dictionary(pa.int32(), pa.string()),
    "check_code": pa.dictionary(pa.int32(), pa.string()),
}

#: parameter, unit, lln, uln
LABS = [
    ("NEUT", "10^9/L", 1.8, 7.5),
    ("PLAT", "10^9/L", 150.0, 400.0),
    ("HGB", "g/L", 120.0, 160.0),
    ("ALT", "U/L", 7.0, 40.0),
    ("K", "mmol/L", 3.5, 5.1),
]


def _labs(n_subjects: int, days: list[float], *, normal: bool = False) -> pd.DataFrame:
    """An all-numeric long lab frame; ``normal`` puts every value mid-range (no AEs)."""
    rng = np.random.default_rng(7)
    rows = [
        (f"S{s + 1}", d, p, u, lo, hi)
        for s in range(n_subjects)
        for d in days
        for p, u, lo, hi in LABS
    ]
    frame = pd.DataFrame(rows, columns=["subject_id", "day", "parameter", "unit", "lln", "uln"])
    mid = (frame["lln"] + frame["uln"]) / 2
    spread = rng.uniform(0.1, 1.6, len(frame)) * mid
    frame["value"] = (mid if normal else spread).round(2)
    return frame


def _no_labs_study(tmp: Path) -> Path:
    """Clinician events and subjects, and only temperature readings (no labs)."""
    folder = tmp / "nolabs"
    folder.mkdir()
    subjects = pd.read_csv(EXAMPLE_DIR / "subjects.csv")
    subjects.to_csv(folder / "subjects.csv", index=False)
    pd.read_csv(EXAMPLE_DIR / "events.csv").to_csv(folder / "events.csv", index=False)
    pd.DataFrame(
        {
            "subject_id": subjects["subject_id"],
            "day": 1.0,
            "parameter": "TEMP",
            "value": 36.8,
            "unit": "degC",
        }
    ).to_csv(folder / "observations.csv", index=False)
    return folder


def _time_study(tmp: Path) -> Path:
    """Observations with a date-time ``time`` (no ``day``); treatment_start per subject."""
    folder = tmp / "time"
    folder.mkdir()
    frame = _labs(3, [-1.0, 2.0, 9.0])
    start = pd.Timestamp("2024-03-04 08:00")
    frame["time"] = (start + pd.to_timedelta(frame.pop("day"), unit="D")).astype(str)
    frame.to_csv(folder / "observations.csv", index=False)
    subjects = pd.DataFrame({"subject_id": ["S1", "S2", "S3"], "treatment_start": str(start)})
    subjects.to_csv(folder / "subjects.csv", index=False)
    return folder


def _studies(tmp: Path) -> dict[str, object]:
    return {
        "example (words in value)": EXAMPLE,
        "all-numeric labs": _labs(4, [-2.0, 1.0, 5.0, 12.0, 20.0]),
        "no events": _labs(3, [-1.0, 4.0, 10.0], normal=True),
        "events, no labs": load_study(_no_labs_study(tmp)),
        "time, not day": _time_study(tmp),
        "input problems (coerced)": _with_problems(),
    }


def _with_problems() -> pd.DataFrame:
    frame = _labs(2, [1.0, 4.0]).astype({"value": object})
    frame.loc[0, "value"] = "lots"
    frame.loc[1, "unit"] = "furlongs"
    return frame


def _written_schemas(tmp: Path) -> dict[str, dict[str, pa.Schema]]:
    out = {}
    for k, (name, study) in enumerate(_studies(tmp).items()):
        result = grade(study, errors="coerce")  # type: ignore[arg-type]
        folder = tmp / f"out{k}"
        tables = {**result.tables(), "issues": result.issues, **build_adam(result)}
        for table, frame in tables.items():
            if table in SCHEMAS:
                assert_documented(frame, SCHEMAS[table], name)
        paths = write_result(result, folder, fmt="parquet", extra=build_adam(result))
        written = {p.stem: pq.read_schema(p) for p in paths}
        if "issues" not in written:  # written only when there are problems: write it anyway
            written["issues"] = arrow_schema(result.issues)
        out[name] = written
    return out


def assert_documented(frame: pd.DataFrame, schema: TableSchema, study: str) -> None:
    for col in schema.columns:
        if col.required:
            assert col.name in frame, (study, schema.name, col.name)
        if col.name in frame and not col.nullable:
            assert frame[col.name].notna().all(), (study, schema.name, col.name)


@pytest.fixture(scope="module")
def schemas(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, pa.Schema]]:
    return _written_schemas(tmp_path_factory.mktemp("schemas"))


def test_problems_are_written_as_issues(tmp_path: Path) -> None:
    result = grade(_with_problems(), errors="coerce")
    paths = write_result(result, tmp_path, fmt="parquet")
    issues = pd.read_parquet(tmp_path / "issues.parquet")
    assert tmp_path / "issues.parquet" in paths
    assert sorted(issues["check"]) == ["not_a_number", "unknown_unit"]


def test_every_study_writes_every_table(schemas) -> None:
    for name, tables in schemas.items():
        for table in ("graded_observations", "adverse_events", "subject_summary", "issues"):
            assert table in tables, (name, table)
        for table in ("adlb", "adae", "adam_metadata"):
            assert table in tables, (name, table)


def test_documented_columns_have_their_arrow_type(schemas) -> None:
    for name, tables in schemas.items():
        for table, written in tables.items():
            if table not in SCHEMAS:
                continue
            for field in written:
                dtype = SCHEMAS[table].dtype_of(field.name)
                if dtype is not None:
                    assert field.type == ARROW[dtype], (name, table, field.name, field.type)


def test_the_same_column_has_the_same_type_in_every_study(schemas) -> None:
    seen: dict[tuple[str, str], tuple[str, pa.DataType]] = {}
    for name, tables in schemas.items():
        for table, written in tables.items():
            for field in written:
                key = (table, field.name)
                if key in seen:
                    first, type_ = seen[key]
                    assert field.type == type_, (table, field.name, first, name)
                else:
                    seen[key] = (name, field.type)


def test_required_columns_are_in_every_study_in_schema_order(schemas) -> None:
    for table in ("graded_observations", "adverse_events", "issues", "adlb", "adae"):
        required = [c.name for c in SCHEMAS[table].columns if c.required]
        for name, tables in schemas.items():
            names = tables[table].names
            if SCHEMAS[table].ordered:
                assert names[: len(required)] == required, (name, table)
            else:  # graded observations keep the input's columns first
                assert set(required) <= set(names), (name, table)
    grades = ["term_low", "grade_low", "term_high", "grade_high", "criteria"]
    for name, tables in schemas.items():
        names = tables["graded_observations"].names
        assert names[-len(grades) - 5 : -5] == grades, name


def test_words_in_value_are_kept_as_text_beside_the_number() -> None:
    go = grade(EXAMPLE).graded_observations
    assert go["value"].dtype == "float64" and go["value_text"].dtype == "string"
    words = go["value_text"].notna()
    assert words.any() and go.loc[words, "value"].isna().all()
    assert "given" in set(go.loc[words, "value_text"].str.lower())
    assert go.loc[~words, "value"].notna().sum() > 0
    assert go["grade_low"].dtype == "Int64" and go["grade_high"].dtype == "Int64"
    go.to_parquet(Path("/dev/null"))  # failed before: "Could not convert 'given' ..."


def test_reason_code_is_a_fixed_categorical() -> None:
    go = grade(_labs(2, [1.0, 3.0]), errors="coerce").graded_observations
    assert list(go["reason_code"].cat.categories) == list(REASON_CODES)
    graded = go["grade_low"].fillna(0).gt(0) | go["grade_high"].fillna(0).gt(0)
    assert (go.loc[graded, "reason_code"] == "graded").all()
    assert set(go["reason_code"].dropna()) <= set(REASON_CODES)


def test_issue_checks_are_a_fixed_categorical_of_reason_codes() -> None:
    bad = _labs(2, [1.0, 3.0]).astype({"value": object})
    bad.loc[0, "value"] = "abc"
    issues = grade(bad, errors="coerce").issues
    assert list(issues["check"].cat.categories) == [r.value for r in Reason]
    assert issues["check"].tolist() == ["not_a_number"]
    empty = grade(_labs(2, [1.0, 3.0])).issues  # no problem: same dtype, no rows
    assert empty.empty and empty["check"].dtype == issues["check"].dtype


def test_reason_code_of_ungraded_rows() -> None:
    frame = pd.DataFrame(
        {
            "subject_id": ["A", "A", "A", "A"],
            "day": [1.0, 1.0, 2.0, 2.0],
            "parameter": ["XYZ", "NEUT", "HGB", "NEUT"],
            "value": [1.0, None, 100.0, "lots"],
            "unit": ["U", "10^9/L", "g/L", "10^9/L"],
            "lln": [None, 1.8, None, 1.8],
            "uln": [None, 7.5, None, 7.5],
        }
    )
    go = grade(frame, errors="coerce", crs=None, icans=None, hematology=False)
    codes = go.graded_observations["reason_code"].astype(str).tolist()
    # issue 10: an unrecognised test name is named (unknown_parameter), was no_criteria
    assert codes == [
        "unknown_parameter",
        "missing_value",
        "missing_reference_range",
        "not_a_number",
    ]


def test_reason_codes_come_from_the_distinct_texts() -> None:
    frame = pd.DataFrame(
        {
            "grade_low": pd.array([None, None], dtype="Int64"),
            "grade_high": pd.array([None, 3], dtype="Int64"),
            "reason": pd.Categorical(["not graded: unknown_unit (unit 'x')", "Fever: grade 3"]),
        }
    )
    assert list(reason_codes(frame)) == ["unknown_unit", "graded"]


def test_conform_keeps_user_columns_with_a_stable_dtype() -> None:
    frame = pd.DataFrame(
        {
            "subject_id": [1, 2],
            "value": [1.5, 2.0],
            "site": pd.Series(["Oslo", 3], dtype=object),
            "weight": [70.0, 80.0],
        }
    )
    out = conform(frame, GRADED_OBSERVATIONS)
    assert str(out["site"].dtype) == "string" and out["site"].tolist() == ["Oslo", "3"]
    assert out["weight"].dtype == "float64"
    assert out["subject_id"].tolist() == ["1", "2"]
    assert frame["site"].dtype == object  # the input is not changed


def test_cli_grade_writes_parquet_for_the_example(tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = CliRunner().invoke(
        main, ["grade", str(EXAMPLE), "-o", str(out), "--format", "parquet"], catch_exceptions=False
    )
    assert res.exit_code == 0, res.output
    go = pd.read_parquet(out / "graded_observations.parquet")
    assert go["value"].dtype == "float64" and "value_text" in go
    assert pd.read_parquet(out / "adverse_events.parquet")["grade"].dtype == "Int64"


@pytest.mark.parametrize(
    ("values", "dtype"), [([1.5, np.nan, 3.0], "float64"), ([1, 2, 3], "int64"), ([1, 2], "Int8")]
)
def test_a_numeric_value_column_splits_without_a_copy_or_text(
    values: list[float], dtype: str
) -> None:
    """A numeric column's numbers are its floats (a float64 column itself, not a copy) and
    its text column is all missing, of the string dtype every other split gives."""
    value = pd.Series(values, dtype=dtype)
    number, text = split_value(value)
    assert number.dtype == np.float64
    np.testing.assert_array_equal(number.to_numpy(), np.array(values, dtype=float))
    assert np.shares_memory(number.to_numpy(), value.to_numpy()) == (dtype == "float64")
    assert text.isna().all() and len(text) == len(values)
    assert text.dtype == split_value(pd.Series(["given", None]))[1].dtype
    assert text.index.equals(value.index)


@pytest.mark.parametrize("dtype", ["Int64", "Int8", "float64", "object"])
def test_reason_codes_read_every_grade_dtype_alike(dtype: str) -> None:
    grades = {"grade_low": [0, None, 3, None], "grade_high": [None, None, 0, 1]}
    graded = pd.DataFrame(
        {
            **{k: pd.Series(v, dtype=dtype) for k, v in grades.items()},
            "reason": pd.Categorical(
                ["a: grade 0", "no criteria in x", "a: grade 3", "b: grade 1"]
            ),
        }
    )
    assert list(reason_codes(graded)) == ["grade_0", "no_criteria", "graded", "graded"]


@pytest.mark.parametrize("dtype", ["Int8", "Int64", "UInt8", "float64"])
def test_reason_codes_read_the_worse_grade_of_both_sides_with_missing_below_all(
    dtype: str,
) -> None:
    """A missing grade on one side never hides the other side's grade; a negative grade
    (not a CTCAE grade) is neither grade 0 nor graded, in every grade dtype."""
    from aegrade.schema import reason_codes

    signed = dtype != "UInt8"
    low = [2, 0, None, None, 0, -1 if signed else 0, None]
    high = [None, 3, None, 0, None, None, 1]
    frame = pd.DataFrame(
        {
            "grade_low": pd.Series(low, dtype=dtype),
            "grade_high": pd.Series(high, dtype="Int64"),
            "reason": pd.Categorical(["a", "b", "no criteria in x", "c", "d", "e", None]),
        }
    )
    expected = ["graded", "graded", "no_criteria", "grade_0", "grade_0"]
    expected += ["not_graded" if signed else "grade_0", "graded"]
    assert list(reason_codes(frame)) == expected


def test_integer_columns_become_int64_as_they_are() -> None:
    """An integer column of any width (numpy or nullable) becomes Int64 with its values and
    missing cells, as the fraction test of other columns would make it; a float column
    with a fraction still loses that cell."""
    from aegrade.schema import _cast

    cases = [
        (pd.Series(np.array([1, 2, 3], np.int32)), [1, 2, 3]),
        (pd.Series(pd.array([1, None, 3], dtype="Int8")), [1, None, 3]),
        (pd.Series([1.0, 2.5, None]), [1, None, None]),
    ]
    for column, want in cases:
        got = _cast(column, "Int64")
        assert str(got.dtype) == "Int64"
        assert got.astype(object).where(got.notna(), None).tolist() == want
