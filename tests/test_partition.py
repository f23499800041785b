"""Subject partitions (issue 15, point 3): a partitioned run grades to the same rows as the
one-partition run, and writes Parquet datasets with one schema in every part."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from aegrade import grade, load_study
from aegrade.cli import main
from aegrade.partition import (
    common_dtype,
    conform_part,
    grade_partitions,
    split_study,
    subject_partition,
    unify_columns,
)
from aegrade.study import Study, Table
from aegrade.write.dataset import write_partitioned

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from _synth import lab_rows

EXAMPLE = Path(__file__).resolve().parents[1] / "aegrade" / "examples"
TABLES = ("graded_observations", "adverse_events", "subject_summary")
#: rows of the equivalence test ("a few hundred thousand rows", issue 15)
N_ROWS = 200_000


def _sorted(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    keys = ["subject_id"] if name == "subject_summary" else list(frame.columns)
    text = frame[keys].astype("string").fillna("")
    order = np.lexsort([text[c].to_numpy(dtype=object) for c in reversed(keys)])
    return frame.iloc[order].reset_index(drop=True)


def assert_same(single: pd.DataFrame, parts: pd.DataFrame, name: str) -> None:
    """Same columns in the same order, same rows (after sorting), same values and dtypes."""
    assert list(parts.columns) == list(single.columns), name
    assert len(parts) == len(single), name
    pd.testing.assert_frame_equal(
        _sorted(single, name), _sorted(parts, name), check_categorical=False, obj=name
    )


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("big")
    frame = lab_rows(N_ROWS, seed=7)
    frame.to_csv(folder / "obs.csv", index=False)
    frame.to_parquet(folder / "obs.parquet", index=False)
    return folder


@pytest.fixture(scope="module")
def single(big: Path) -> dict[str, pd.DataFrame]:
    result = grade(load_study(big / "obs.csv"))
    return {**result.tables(), "issues": result.issues}


def test_subject_partition_is_stable_and_in_range() -> None:
    ids = pd.Series([f"S{i:04d}" for i in range(1000)])
    part = subject_partition(ids, 7)
    assert part.min() == 0 and part.max() == 6
    assert np.array_equal(part, subject_partition(ids.to_numpy(), 7))  # array or Series
    assert np.array_equal(subject_partition(ids[::-1], 7), part[::-1])  # order-free
    assert np.bincount(part).min() > 100  # spread (1000/7 = 143 each on average)
    assert subject_partition(pd.Series(["S1"]), 1).tolist() == [0]


def test_split_study_keeps_labels_tables_and_read_problems() -> None:
    obs = pd.DataFrame({"subject_id": ["a", "b", "a", "c"], "parameter": "HGB", "value": 1})
    subjects = pd.DataFrame({"subject_id": ["a", "b", "c"], "arm": "x"})
    failures = pd.DataFrame({"file": ["f"], "row": ["9"], "check": ["unknown_unit"]})
    study = Study(
        Table(obs, file="obs.csv", rows=np.array([2, 3, 4, 5])),
        subjects=Table(subjects),
        failures=failures,
    )
    parts = split_study(study, 3)
    assert sum(len(p.observations.frame) for p in parts) == 4
    for p in parts:
        ids = set(p.observations.frame["subject_id"])
        assert ids == set(p.subjects.frame["subject_id"]) if p.subjects is not None else True
        assert p.observations.file == "obs.csv"
    where = {sid: k for k, p in enumerate(parts) for sid in p.observations.frame["subject_id"]}
    a = parts[where["a"]].observations
    assert a.labels().tolist() == [2, 4]
    # read problems go with the first partition that has rows (an empty one is never graded)
    first = min(k for k, p in enumerate(parts) if len(p.observations.frame))
    assert [len(p.failures) for p in parts] == [int(k == first) for k in range(3)]


def test_unify_columns_inserts_after_the_column_before_and_sorts_terms() -> None:
    parts = [
        ["subject_id", "n_observations", "Hypokalemia [ctcae-v5.0]", "crs_grade_astct"],
        ["subject_id", "arm", "n_observations", "Anemia [ctcae-v5.0]", "crs_grade_astct"],
        ["subject_id", "n_observations", "Anemia [ctcae-v5.0]", "crs_grade_astct", "icaht_grade"],
    ]
    assert unify_columns(parts) == [
        "subject_id",
        "arm",
        "n_observations",
        "Anemia [ctcae-v5.0]",
        "Hypokalemia [ctcae-v5.0]",
        "crs_grade_astct",
        "icaht_grade",
    ]
    assert unify_columns([["a", "b"], ["a", "b"]]) == ["a", "b"]


def test_common_dtype_widens_and_conform_part_fills() -> None:
    i64, f64 = np.dtype("int64"), np.dtype("float64")
    assert common_dtype([i64, i64]) == i64
    assert common_dtype([i64, pd.Int64Dtype()]) == pd.Int64Dtype()
    assert common_dtype([i64, f64]) == f64
    assert common_dtype([i64, pd.StringDtype()]) == pd.StringDtype()
    cats = common_dtype([pd.CategoricalDtype(["b"]), pd.CategoricalDtype(["a"])])
    assert list(cats.categories) == ["a", "b"]
    out = conform_part(
        pd.DataFrame({"x": [1, 2]}), ["x", "y", "z"], {"x": f64, "y": "string", "z": "Int64"}
    )
    assert out["x"].tolist() == [1.0, 2.0] and out["x"].dtype == f64
    assert out["y"].isna().all() and str(out["y"].dtype) == "string"
    assert out["z"].isna().all() and str(out["z"].dtype) == "Int64"


@pytest.mark.parametrize("name", ["obs.csv", "obs.parquet"])
def test_streamed_partitions_equal_the_single_run(
    big: Path, single: dict[str, pd.DataFrame], name: str, tmp_path: Path
) -> None:
    out = tmp_path / "graded"
    write_partitioned(grade_partitions(big / name, partition_rows=N_ROWS // 5), out)
    for table in TABLES:
        files = sorted((out / table).glob("part-*.parquet"))
        assert len(files) >= 4, table  # really partitioned (5 expected, by the file size)
        assert_same(single[table], pd.read_parquet(out / table), table)
    # the same subject never lands in two partitions
    seen = [set(pd.read_parquet(f)["subject_id"]) for f in (out / "subject_summary").iterdir()]
    assert sum(len(s) for s in seen) == len(set().union(*seen))


def test_every_part_and_every_run_has_one_schema(big: Path, tmp_path: Path) -> None:
    """Different partitions (a term column only some parts have, all-NA columns) and
    different partition counts give the same Parquet schema."""
    schemas: dict[str, list[object]] = {t: [] for t in (*TABLES, "issues")}
    for rows in (N_ROWS // 3, N_ROWS // 8):
        out = tmp_path / f"run{rows}"
        write_partitioned(grade_partitions(big / "obs.parquet", partition_rows=rows), out)
        for table in schemas:
            schemas[table] += [pq.read_schema(f) for f in sorted((out / table).iterdir())]
    for table, found in schemas.items():
        assert len(found) >= 3 + 8, table
        assert all(s.equals(found[0], check_metadata=False) for s in found), table


def test_in_memory_study_with_subjects_and_events_equals_single(tmp_path: Path) -> None:
    """A workbook (subjects, observations, events: not streamed) is read, then split."""
    source = EXAMPLE / "blinatumomab_short_course.xlsx"
    one = grade(source, errors="coerce")
    out = tmp_path / "graded"
    parts = grade_partitions(source, partition_rows=6000, errors="coerce")
    written = write_partitioned(parts, out)
    assert len(list((out / "subject_summary").iterdir())) > 1
    for table in TABLES:
        assert_same(one.tables()[table], pd.read_parquet(out / table), table)
    assert (out / "about.json") in written


def test_issue_rows_name_the_original_file_and_row(tmp_path: Path) -> None:
    frame = lab_rows(3000, seed=3).astype({"unit": str})
    frame.loc[2500, "unit"] = "furlongs"  # file row 2502 (header = row 1)
    path = tmp_path / "obs.csv"
    frame.to_csv(path, index=False)
    one = grade(load_study(path), errors="coerce").issues
    parts = list(grade_partitions(path, partition_rows=700, errors="coerce"))
    assert len(parts) >= 3
    issues = pd.concat([p.issues for p in parts], ignore_index=True)
    bad = issues[issues["check"].astype(str) == "unknown_unit"]
    assert bad["row"].astype(str).tolist() == ["2502"]
    assert bad["file"].astype(str).tolist() == [str(path)]
    assert_same(
        one[one["check"].astype(str) == "unknown_unit"].reset_index(drop=True),
        bad.reset_index(drop=True),
        "issues",
    )


def test_raise_mode_stops_on_a_partition_with_a_problem(tmp_path: Path) -> None:
    frame = lab_rows(2000, seed=3).astype({"day": object})
    frame.loc[10, "day"] = "x"
    path = tmp_path / "obs.csv"
    frame.to_csv(path, index=False)
    from aegrade.errors import InputError

    with pytest.raises(InputError, match=r"obs\.csv, row 12, column day"):  # as the file has it
        list(grade_partitions(path, partition_rows=500))


def _bad_days(tmp_path: Path) -> tuple[Path, list[int]]:
    """A csv with unreadable days in rows of several partitions."""
    frame = lab_rows(3000, seed=4).astype({"day": object})
    bad = [10, 700, 1400, 2100, 2900]
    frame.loc[bad, "day"] = "x"
    path = tmp_path / "obs.csv"
    frame.to_csv(path, index=False)
    return path, bad


def test_raise_mode_lists_the_problems_of_every_partition(tmp_path: Path) -> None:
    from aegrade.errors import InputError

    path, bad = _bad_days(tmp_path)
    with pytest.raises(InputError) as one:
        grade(load_study(path))
    with pytest.raises(InputError) as parts:
        list(grade_partitions(path, partition_rows=500))
    rows = [str(r + 2) for r in bad]  # file rows (header = row 1), as the single run names them
    got = parts.value.failures
    assert got["row"].astype(str).tolist() == rows
    assert sorted(one.value.failures["row"].astype(str)) == sorted(rows)
    cols = ["file", "row", "column", "value", "check"]
    assert_same(
        one.value.failures[cols].astype(str), got[cols].astype(str).reset_index(drop=True), "x"
    )
    found = re.search(r"\((\d+) of (\d+) subject partitions\)", str(parts.value))
    assert found is not None and int(found[1]) >= 3 and int(found[2]) >= int(found[1]), str(
        parts.value
    )
    assert "5 input problems in" in str(parts.value)


def test_raise_mode_yields_nothing_after_a_problem() -> None:
    from aegrade.errors import InputError

    frame = lab_rows(3000, seed=4).astype({"day": object})
    bad = [700, 2100]
    frame.loc[bad, "day"] = "x"
    part = subject_partition(frame["subject_id"], 6)  # an in-memory study: 3000 / 500 parts
    first_bad = int(part[bad].min())
    seen = []
    with pytest.raises(InputError) as err:
        for result in grade_partitions(load_study(frame), partition_rows=500):
            seen.append(result)
    assert len(seen) == len(set(part[part < first_bad].tolist()))
    assert sorted(err.value.failures["row"].tolist()) == bad
    assert 0 not in set(part.tolist())  # partition 0 is empty: the read problems moved on
    coerced = grade_partitions(load_study(frame), partition_rows=500, errors="coerce")
    issues = pd.concat([r.issues for r in coerced])
    assert sorted(issues.loc[issues["check"] == "unreadable_day", "row"].tolist()) == bad


@pytest.mark.cli
def test_cli_raise_mode_lists_every_partition_and_writes_nothing(tmp_path: Path) -> None:
    path, bad = _bad_days(tmp_path)
    out = tmp_path / "graded"
    run = CliRunner().invoke(main, ["grade", str(path), "-o", str(out), "--partition-rows", "500"])
    assert run.exit_code == 1, run.output
    assert "5 input problems" in run.output and "subject partitions" in run.output
    for r in bad:
        assert f"row {r + 2}, column day" in run.output
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["obs.csv"]  # no stage, no spill


def test_extras_are_written_like_the_single_run(tmp_path: Path) -> None:
    """explain and listing part by part, biomarkers_by_arm over every subject: each equal to
    the one-partition run's (row order aside)."""
    source = EXAMPLE / "blinatumomab_short_course.xlsx"
    one = grade(source, errors="coerce")
    out = tmp_path / "graded"
    written = write_partitioned(grade_partitions(source, partition_rows=6000, errors="coerce"), out)
    assert {p.name for p in written} >= {"explain", "listing", "biomarkers_by_arm"}
    assert len(list((out / "listing").iterdir())) > 1
    for name in ("explain", "listing"):  # text read back from Parquet is str, not object
        want, got = one.extras[name], pd.read_parquet(out / name)
        assert list(got.columns) == list(want.columns) and len(got) == len(want) > 0
        pd.testing.assert_frame_equal(
            _sorted(want, name), _sorted(got, name), check_dtype=False, check_categorical=False
        )
    key = ["arm", "marker", "statistic"]
    want = one.extras["biomarkers_by_arm"].sort_values(key, ignore_index=True)
    got = pd.read_parquet(out / "biomarkers_by_arm").sort_values(key, ignore_index=True)
    assert len(want) == 18 and set(want["arm"]) == {"Short-course blinatumomab", "Total"}
    pd.testing.assert_frame_equal(want, got)


def test_no_hematology_writes_no_biomarkers(tmp_path: Path) -> None:
    out = tmp_path / "graded"
    parts = grade_partitions(load_study(lab_rows(500)), partition_rows=200, hematology=False)
    names = [p.name for p in write_partitioned(parts, out)]
    assert "biomarkers_by_arm" not in names and "listing" not in names
    assert not (out / "biomarkers_by_arm").exists() and not (out / "listing").exists()


def test_subject_column_follows_the_map() -> None:
    from aegrade.partition import subject_column

    assert subject_column(["USUBJID", "LBTESTCD"]) == "USUBJID"
    assert subject_column([" Patient ", "x"]) == " Patient "
    assert subject_column(["Pt", "Test"], {"columns": {"pt": "subject_id"}}) == "Pt"
    assert subject_column(["Pt", "Test"]) is None


def test_partition_rows_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        next(grade_partitions(Study(Table(lab_rows(10))), partition_rows=0))


def test_write_partitioned_refuses_a_folder_that_is_not_ours(tmp_path: Path) -> None:
    out = tmp_path / "graded"
    out.mkdir()
    (out / "thesis.docx").write_text("mine")
    parts = grade_partitions(load_study(lab_rows(500)), partition_rows=200)
    with pytest.raises(FileExistsError, match="did not write"):
        write_partitioned(parts, out)
    assert (out / "thesis.docx").read_text() == "mine"


def test_write_partitioned_replaces_an_earlier_run(tmp_path: Path) -> None:
    out = tmp_path / "graded"
    write_partitioned(grade_partitions(load_study(lab_rows(1000)), partition_rows=200), out)
    write_partitioned(grade_partitions(load_study(lab_rows(500)), partition_rows=500), out)
    assert len(pd.read_parquet(out / "graded_observations")) == 500
    assert len(list((out / "graded_observations").iterdir())) == 1
    assert not list(tmp_path.glob(".graded.partial-*"))


@pytest.mark.cli
def test_cli_partition_rows_writes_datasets(tmp_path: Path) -> None:
    frame = lab_rows(6000, seed=5)
    path = tmp_path / "obs.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "graded"
    run = CliRunner().invoke(main, ["grade", str(path), "-o", str(out), "--partition-rows", "1500"])
    assert run.exit_code == 0, run.output
    assert "in subject partitions" in run.output
    one = grade(load_study(path))
    for table in TABLES:
        assert len(list((out / table).iterdir())) >= 3
        assert_same(one.tables()[table], pd.read_parquet(out / table), table)


@pytest.mark.cli
def test_cli_partitioned_output_must_be_a_folder(tmp_path: Path) -> None:
    path = tmp_path / "obs.csv"
    lab_rows(100).to_csv(path, index=False)
    run = CliRunner().invoke(
        main, ["grade", str(path), "-o", str(tmp_path / "x.xlsx"), "--partition-rows", "50"]
    )
    assert run.exit_code == 2
    assert "folder" in run.output


def test_one_subject_written_three_ways_is_in_one_partition(tmp_path: Path) -> None:
    ids = pd.Series([" 1001", "1001", 1001, 1001.0, "S7 ", "S7"], dtype=object)
    part = subject_partition(ids, 16)
    assert len(set(part[:4].tolist())) == 1 and part[4] == part[5]
    frame = lab_rows(4000, seed=9).astype({"subject_id": object})
    frame.loc[::2, "subject_id"] = " " + frame.loc[::2, "subject_id"].astype(str)  # padded
    path = tmp_path / "obs.csv"
    frame.to_csv(path, index=False)
    one = grade(load_study(path), errors="coerce")
    parts = list(grade_partitions(path, partition_rows=1000, errors="coerce"))
    summary = pd.concat([p.subject_summary for p in parts], ignore_index=True)
    assert len(parts) >= 3 and summary["subject_id"].is_unique
    assert_same(one.subject_summary, summary, "subject_summary")
