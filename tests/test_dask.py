"""grade_dask (issue 15, point 4): the same results as the single-process run on the threads
scheduler and on a distributed LocalCluster started here; one schema in every part."""

from __future__ import annotations

import builtins
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from aegrade import grade, load_study
from aegrade.cli import main
from aegrade.errors import AegradeError

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")

from aegrade.dask import grade_dask, require_dask  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from _synth import lab_rows  # noqa: E402

from tests.test_partition import TABLES, assert_same  # noqa: E402

N_ROWS = 60_000


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    out = lab_rows(N_ROWS, seed=11).astype({"unit": str, "day": object})
    out.loc[1234, "day"] = "x"  # an input problem: listed in issues with its row
    return out


@pytest.fixture(scope="module")
def single(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    result = grade(load_study(frame), errors="coerce")
    return {**result.tables(), "issues": result.issues}


def _check(result: Any, single: dict[str, pd.DataFrame]) -> None:
    for name in TABLES:
        assert_same(single[name], result.tables()[name].compute(), name)
    issues = result.issues.compute()
    assert issues["row"].astype(str).tolist() == single["issues"]["row"].astype(str).tolist()
    assert issues["row"].astype(str).tolist() == ["1234"]  # the 0-based input row


def test_threads_scheduler_equals_the_single_run(
    frame: pd.DataFrame, single: dict[str, pd.DataFrame]
) -> None:
    with dask.config.set(scheduler="threads"):
        result = grade_dask(dd.from_pandas(frame, npartitions=4), errors="coerce")
        assert result.graded_observations.npartitions == 4
        _check(result, single)
    assert result.meta["criteria"] == "ctcae-v5.0" and result.meta["partitions"] == "4"


def test_distributed_local_cluster_equals_the_single_run(
    frame: pd.DataFrame, single: dict[str, pd.DataFrame]
) -> None:
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster),
    ):
        result = grade_dask(dd.from_pandas(frame, npartitions=3), errors="coerce")
        _check(result, single)


#: rows of the Dask equivalence test at the issue's size ("a few hundred thousand rows", issue 15)
BIG_ROWS = 240_000


def test_a_few_hundred_thousand_rows_equal_the_single_run(tmp_path: Path) -> None:
    """issue 15: Dask's partitioned Parquet output at the issue's size, against one process:
    the same rows and values in every table, the same issue rows, one schema in every part."""
    from aegrade.dask import grade_dask_to_parquet

    big = lab_rows(BIG_ROWS, seed=23).astype({"unit": str, "day": object})
    big.loc[[17, 199_999], "day"] = "not a day"  # input problems, listed with their rows
    one = grade(load_study(big), errors="coerce")
    out = tmp_path / "out"
    with dask.config.set(scheduler="threads"):
        grade_dask_to_parquet(dd.from_pandas(big, npartitions=5), out, errors="coerce")
    for name in TABLES:
        files = sorted((out / name).glob("*.parquet"))
        schemas = [pq.read_schema(f) for f in files]
        assert len(files) == 5 and all(s.equals(schemas[0], check_metadata=False) for s in schemas)
        got = pd.read_parquet(out / name)
        assert len(got) == len(one.tables()[name]) > 0, name
        assert_same(one.tables()[name], got, name)
    assert len(one.tables()["graded_observations"]) == BIG_ROWS  # every input row graded
    issues = pd.read_parquet(out / "issues")  # in the order of the partitions, by subject
    assert sorted(issues["row"].astype(int).tolist()) == [17, 199_999]
    assert one.issues["row"].astype(str).tolist() == ["17", "199999"]


def test_parquet_glob_partition_rows_and_one_schema(
    frame: pd.DataFrame, single: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    half = len(frame) // 2
    clean = frame.astype({"day": str})
    clean.iloc[:half].to_parquet(tmp_path / "a.parquet", index=False)
    clean.iloc[half:].to_parquet(tmp_path / "b.parquet", index=False)
    with dask.config.set(scheduler="threads"):
        result = grade_dask(str(tmp_path / "*.parquet"), partition_rows=10_000, errors="coerce")
        assert result.subject_summary.npartitions == 6
        out = tmp_path / "out"
        for name, table in result.tables().items():
            table.to_parquet(out / name, write_index=False)
    one = grade(load_study(clean), errors="coerce")
    for name in TABLES:
        files = sorted((out / name).glob("*.parquet"))
        schemas = [pq.read_schema(f) for f in files]
        assert len(files) == 6
        assert all(s.equals(schemas[0], check_metadata=False) for s in schemas), name
        assert_same(one.tables()[name], pd.read_parquet(out / name), name)


def test_already_partitioned_by_subject_is_not_shuffled(
    frame: pd.DataFrame, single: dict[str, pd.DataFrame]
) -> None:
    by_subject = frame.sort_values("subject_id", kind="stable")
    ddf = dd.from_pandas(by_subject.set_index("subject_id", drop=False), npartitions=3)
    ddf = ddf.reset_index(drop=True)
    with dask.config.set(scheduler="threads"):
        result = grade_dask(ddf, partitioned_by_subject=True, hematology=True, errors="coerce")
        summary = result.subject_summary.compute()
        assert_same(single["subject_summary"], summary, "subject_summary")
        ae = result.adverse_events.compute()
        assert_same(single["adverse_events"], ae, "adverse_events")


def test_without_dask_a_clear_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real = builtins.__import__

    def no_dask(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "dask" or name.startswith("dask."):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    with pytest.raises(AegradeError, match=r"pip install 'aegrade\[dask\]'"):
        require_dask()
    with pytest.raises(AegradeError, match="dask"):
        grade_dask("nothing.parquet")


def test_source_must_be_parquet_or_csv(tmp_path: Path) -> None:
    path = tmp_path / "obs.xlsx"
    path.write_bytes(b"")
    with pytest.raises(AegradeError, match="Parquet or CSV"):
        grade_dask(str(path))


@pytest.mark.cli
def test_cli_engine_dask_writes_datasets(frame: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "obs.csv"
    small = frame.iloc[:8000]
    small.to_csv(path, index=False)
    out = tmp_path / "graded"
    run = CliRunner().invoke(
        main,
        [
            *("grade", str(path), "-o", str(out), "--engine", "dask", "--errors", "coerce"),
            *("--partition-rows", "3000"),
        ],
        catch_exceptions=False,
    )
    assert run.exit_code == 0, run.output
    assert "graded with Dask in 3 partitions" in run.output
    one = grade(load_study(path), errors="coerce")
    for name in TABLES:
        assert len(list((out / name).glob("*.parquet"))) == 3
        assert_same(one.tables()[name], pd.read_parquet(out / name), name)


def _site_file(tmp_path: Path) -> tuple[Path, Path]:
    """Observations under a site's own headers, with decimal commas, and the map naming them."""
    frame = lab_rows(6000, seed=13)
    site = frame.rename(
        columns={
            "subject_id": "Patient",
            "day": "Visit day",
            "parameter": "Test",
            "value": "Result",
            "unit": "Units",
        }
    )
    site["Result"] = site["Result"].map(lambda v: f"{v:.2f}".replace(".", ","))
    path = tmp_path / "site.csv"
    site.to_csv(path, index=False)  # "766,58" quoted: text in both readers
    cmap = tmp_path / "map.toml"
    cmap.write_text(
        '[columns]\n"Patient" = "subject_id"\n"Visit day" = "day"\n"Test" = "parameter"\n'
        '"Result" = "value"\n"Units" = "unit"\n'
    )
    return path, cmap


def test_map_and_decimal_equal_the_single_run(tmp_path: Path) -> None:
    path, cmap = _site_file(tmp_path)
    one = grade(load_study(path, column_map=cmap, decimal=","), errors="coerce")
    assert one.graded_observations["value"].notna().all()  # every comma read as a decimal mark
    frame = dd.read_csv(path, dtype=object, keep_default_na=False)
    with dask.config.set(scheduler="threads"):
        result = grade_dask(frame, column_map=cmap, decimal=",", npartitions=3, errors="coerce")
        for name in TABLES:
            assert_same(one.tables()[name], result.tables()[name].compute(), name)


def test_no_subject_column_is_a_clear_error() -> None:
    frame = dd.from_pandas(pd.DataFrame({"Pt": ["1"], "Test": ["HGB"]}), npartitions=1)
    with pytest.raises(AegradeError, match="no subject column"):
        grade_dask(frame)


def test_raise_mode_lists_the_problems_of_every_partition() -> None:
    from aegrade.errors import InputError

    frame = lab_rows(6000, seed=4).astype({"day": object})
    bad = [10, 2500, 5900]
    frame.loc[bad, "day"] = "x"
    with pytest.raises(InputError) as one:
        grade(load_study(frame))
    with dask.config.set(scheduler="threads"), pytest.raises(InputError) as parts:
        grade_dask(dd.from_pandas(frame, npartitions=4), errors="raise")
    assert parts.value.failures["row"].tolist() == bad  # 0-based input rows, as the frame's
    assert sorted(one.value.failures["row"].tolist()) == bad
    assert "subject partitions)" in str(parts.value)


@pytest.mark.cli
def test_cli_engine_dask_reads_a_map_and_a_decimal_comma(tmp_path: Path) -> None:
    path, cmap = _site_file(tmp_path)
    out = tmp_path / "graded"
    run = CliRunner().invoke(
        main,
        [
            *("grade", str(path), "-o", str(out), "--engine", "dask", "--errors", "coerce"),
            *("--map", str(cmap), "--decimal", ",", "--partition-rows", "2500"),
        ],
        catch_exceptions=False,
    )
    assert run.exit_code == 0, run.output
    one = grade(load_study(path, column_map=cmap, decimal=","), errors="coerce")
    for name in TABLES:
        assert_same(one.tables()[name], pd.read_parquet(out / name), name)


def test_semicolon_file_with_decimal_commas_reads_numbers_as_the_single_run(
    tmp_path: Path,
) -> None:
    frame = lab_rows(6000, seed=17)
    frame["value"] = frame["value"].map(lambda v: f"{v:.2f}".replace(".", ","))
    path = tmp_path / "eu.csv"
    frame.to_csv(path, sep=";", index=False)  # 766,58 unquoted: a decimal comma
    one = grade(load_study(path), errors="coerce")
    assert one.graded_observations["value"].notna().all()
    with dask.config.set(scheduler="threads"):
        result = grade_dask(str(path), partition_rows=2500, errors="coerce")
        got = {name: table.compute() for name, table in result.tables().items()}
    assert got["graded_observations"]["value"].notna().all()  # numbers, not value_text
    for name in TABLES:
        assert_same(one.tables()[name], got[name], name)


def test_large_inputs_are_read_in_pieces_for_every_worker(tmp_path: Path) -> None:
    from aegrade.dask import _read

    frame = lab_rows(8000, seed=5)
    frame.to_parquet(tmp_path / "obs.parquet", index=False, row_group_size=500)
    assert _read(str(tmp_path / "obs.parquet"), partition_rows=4000).npartitions == 8
    assert _read(str(tmp_path / "obs.parquet"), partition_rows=100).npartitions == 16
    big = lab_rows(100_000, seed=5)
    big.to_csv(tmp_path / "obs.csv", index=False)
    size = (tmp_path / "obs.csv").stat().st_size
    assert 2 * 2**20 < size < 4 * 2**20  # blocks of at least 1 MiB: 3 or 4 of them
    assert _read(str(tmp_path / "obs.csv"), partition_rows=10_000).npartitions in (3, 4)
    assert _read(str(tmp_path / "obs.csv"), partition_rows=10**9).npartitions == 1


def test_write_parquet_writes_every_table_with_one_schema(
    frame: pd.DataFrame, single: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    with dask.config.set(scheduler="threads"):
        result = grade_dask(dd.from_pandas(frame, npartitions=3), errors="coerce")
        result.write_parquet(tmp_path / "out")
    for name in TABLES:
        files = sorted((tmp_path / "out" / name).glob("*.parquet"))
        assert len(files) == 3
        schemas = [pq.read_schema(f) for f in files]
        assert all(s.equals(schemas[0], check_metadata=False) for s in schemas), name
        assert_same(single[name], pd.read_parquet(tmp_path / "out" / name), name)


def test_grade_dask_to_parquet_equals_the_single_run_and_leaves_no_stage(
    frame: pd.DataFrame, single: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    from aegrade.dask import grade_dask_to_parquet

    out = tmp_path / "out"
    with dask.config.set(scheduler="threads"):
        meta = grade_dask_to_parquet(dd.from_pandas(frame, npartitions=4), out, errors="coerce")
    assert meta["partitions"] == "4" and meta["criteria"] == "ctcae-v5.0"
    assert sorted(p.name for p in out.iterdir()) == sorted([*TABLES, "issues"])  # no spill left
    for name in TABLES:
        files = sorted((out / name).glob("*.parquet"))
        assert [f.name for f in files] == [f"part-{k:05d}.parquet" for k in range(4)]
        schemas = [pq.read_schema(f) for f in files]
        assert all(s.equals(schemas[0], check_metadata=False) for s in schemas), name
        assert_same(single[name], pd.read_parquet(out / name), name)
    issues = pd.read_parquet(out / "issues")
    assert issues["row"].astype(str).tolist() == ["1234"]


def test_grade_dask_to_parquet_raise_mode_writes_nothing(tmp_path: Path) -> None:
    from aegrade.dask import grade_dask_to_parquet
    from aegrade.errors import InputError

    frame = lab_rows(6000, seed=4).astype({"day": object})
    frame.loc[[10, 5900], "day"] = "x"
    out = tmp_path / "out"
    with dask.config.set(scheduler="threads"), pytest.raises(InputError) as err:
        grade_dask_to_parquet(dd.from_pandas(frame, npartitions=3), out, errors="raise")
    assert err.value.failures["row"].tolist() == [10, 5900]
    assert not out.exists()


def test_files_partitioned_by_subject_are_read_whole(
    frame: pd.DataFrame, single: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    from aegrade.partition import subject_partition

    clean = frame.astype({"day": str})
    one = grade(load_study(clean), errors="coerce")
    part = subject_partition(clean["subject_id"], 3)
    for k in range(3):  # small row groups: split pieces would cut subjects apart
        clean[part == k].to_parquet(tmp_path / f"p{k}.parquet", index=False, row_group_size=500)
    with dask.config.set(scheduler="threads"):
        result = grade_dask(
            str(tmp_path / "p*.parquet"), partitioned_by_subject=True, partition_rows=1000
        )
        assert result.subject_summary.npartitions == 3
        for name in TABLES:
            assert_same(one.tables()[name], result.tables()[name].compute(), name)


@pytest.mark.parametrize("to_parquet", [False, True])
def test_the_input_is_read_once_and_issue_rows_count_across_pieces(
    to_parquet: bool, tmp_path: Path
) -> None:
    """Rows are numbered without counting them first: each input piece is read once, and an
    issue in the third piece still names its 0-based row of the whole input."""
    from aegrade.dask import grade_dask_to_parquet

    frame = lab_rows(3000, seed=8).astype({"day": object})
    frame.loc[[7, 2100, 2999], "day"] = "x"
    pieces = [frame.iloc[:1000], frame.iloc[1000:1000], frame.iloc[1000:2500], frame.iloc[2500:]]
    reads: list[int] = []

    def piece(k: int) -> pd.DataFrame:
        reads.append(k)
        return pieces[k]

    source = dd.from_delayed([dask.delayed(piece)(k) for k in range(4)], meta=frame.iloc[:0])
    with dask.config.set(scheduler="threads"):
        if to_parquet:
            grade_dask_to_parquet(source, tmp_path / "out", npartitions=3, errors="coerce")
            issues = pd.read_parquet(tmp_path / "out" / "issues")
        else:
            issues = grade_dask(source, npartitions=3, errors="coerce").issues.compute()
    assert sorted(reads) == [0, 1, 2, 3]
    assert sorted(issues["row"].astype(int).tolist()) == [7, 2100, 2999]


def test_source_rows_from_parquet_footers_and_csv_size(tmp_path: Path) -> None:
    from aegrade.dask import _source_rows

    frame = lab_rows(20_000, seed=3)
    frame.iloc[:12_000].to_parquet(tmp_path / "a.parquet", index=False, row_group_size=1000)
    frame.iloc[12_000:].to_parquet(tmp_path / "b.parquet", index=False)
    assert _source_rows(str(tmp_path / "*.parquet")) == 20_000  # exact
    frame.to_csv(tmp_path / "obs.csv", index=False)
    assert 19_000 <= (_source_rows(tmp_path / "obs.csv") or 0) <= 21_000  # judged from size
    assert _source_rows(str(tmp_path / "none*.csv")) is None
    assert _source_rows("s3://bucket/obs.parquet") is None
