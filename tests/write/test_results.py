"""Result files: no live formula anywhere, numbers written as numbers, one unit per run."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from aegrade import grade
from aegrade.cli import main
from aegrade.write.atomic import TMP_PREFIX
from aegrade.write.results import OUTPUT_TABLES, check_destination, write_result, write_tables

HOSTILE_HEADER = '=HYPERLINK("http://x","y")'


def _hostile_study(folder: Path) -> Path:
    """Observations with a formula header, a column mixing words and numbers, and a file name
    that is itself a formula."""
    path = folder / "=cmd.csv"
    path.write_text(
        "subject_id,day,parameter,value,unit,lln,uln,note,+extra\n"
        "S1,0,NEUT,2.5,10^9/L,1.8,7.5,RA,@a\n"
        "S1,3,NEUT,0.4,10^9/L,1.8,7.5,-2,-b\n"
        "S1,4,NEUT,0.3,10^9/L,1.8,7.5,-12.5,=1+2\n"
        "S1,5,NEUT,0.3,10^9/L,1.8,7.5,5,\n",
        encoding="utf-8",
    )
    return path


def _no_live_formula(book: Path) -> None:
    with zipfile.ZipFile(book) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
        assert sheets
        for name in sheets:
            assert not re.search(rb"<(\w+:)?f[ >]", z.read(name)), name
    wb = openpyxl.load_workbook(book)
    for ws in wb:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "@", "\t", "\r")), cell.value


def test_grade_to_xlsx_has_no_live_formula_and_numbers_stay_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _hostile_study(tmp_path)
    monkeypatch.chdir(tmp_path)  # the about sheet then names the input "=cmd.csv"
    out = tmp_path / "out.xlsx"
    res = CliRunner().invoke(main, ["grade", "=cmd.csv", "-o", "out.xlsx"])
    assert res.exit_code == 0, res.output
    _no_live_formula(out)
    ws = openpyxl.load_workbook(out)["graded_observations"]
    header = [c.value for c in ws[1]]
    note = [(c.value, c.data_type) for c in ws[ws.cell(1, header.index("note") + 1).column_letter]]
    assert note == [("note", "s"), ("RA", "s"), (-2, "n"), (-12.5, "n"), (5, "n")]
    extra = [c.value for c in ws[ws.cell(1, header.index("'+extra") + 1).column_letter]]
    assert extra == ["'+extra", "'@a", "'-b", "'=1+2", None]
    about = dict(openpyxl.load_workbook(out)["about"].iter_rows(min_row=2, values_only=True))
    assert about["source"] == "'=cmd.csv"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["=cmd.csv", "out.xlsx"]


def test_grade_to_csv_writes_the_bytes_expected(tmp_path: Path) -> None:
    src = _hostile_study(tmp_path)
    out = tmp_path / "graded"
    res = CliRunner().invoke(main, ["grade", str(src), "-o", str(out)])
    assert res.exit_code == 0, res.output
    go = (out / "graded_observations.csv").read_text(encoding="utf-8").splitlines()
    header = go[0].split(",")
    assert header[header.index("note") + 1] == "'+extra"
    cells = [line.split(",")[header.index("note")] for line in go[1:]]
    assert cells == ["RA", "-2", "-12.5", "5"]
    extras = [line.split(",")[header.index("'+extra")] for line in go[1:]]
    assert extras == ["'@a", "'-b", "'=1+2", ""]
    assert not any(p.name.startswith(TMP_PREFIX) for p in tmp_path.iterdir())


def test_a_formula_header_is_neutralised_in_csv_and_xlsx(tmp_path: Path) -> None:
    frame = pd.DataFrame({HOSTILE_HEADER: ["a"], "grade": pd.array([3], dtype="Int64")})
    (csv,) = write_tables({"t": frame}, tmp_path / "c")
    assert csv.read_bytes() == b'"\'=HYPERLINK(""http://x"",""y"")",grade\na,3\n'
    (book,) = write_tables({"t": frame}, tmp_path / "r.xlsx", about={"input": "=x.csv"})
    _no_live_formula(book)
    ws = openpyxl.load_workbook(book)["t"]
    assert (ws["A1"].value, ws["A1"].data_type) == ("'" + HOSTILE_HEADER, "s")
    assert (ws["B2"].value, ws["B2"].data_type) == (3, "n")


def test_parquet_keeps_the_data_as_given(tmp_path: Path) -> None:
    frame = pd.DataFrame({"note": ["=1+2", "-2"]})
    (path,) = write_tables({"t": frame}, tmp_path / "p", fmt="parquet")
    assert pd.read_parquet(path)["note"].tolist() == ["=1+2", "-2"]  # data, not a sheet


def test_write_result_replaces_an_earlier_folder(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"subject_id": ["P1"], "day": [3.0], "parameter": ["PLAT"], "value": [40.0],
         "unit": ["10^9/L"], "lln": [150.0], "uln": [400.0]}
    )  # fmt: skip
    out = tmp_path / "o"
    out.mkdir()
    for name in ("issues.csv", "explain.csv", "adlb.parquet"):
        (out / name).write_text("earlier run")
    written = write_result(grade(frame), out)
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in written)
    assert "issues.csv" not in {p.name for p in written}


def test_every_table_a_run_writes_counts_as_an_earlier_output() -> None:
    assert {"graded_observations", "adverse_events", "subject_summary", "issues"} <= OUTPUT_TABLES
    assert {"explain", "listing", "adlb", "adae", "adam_metadata", "results"} <= OUTPUT_TABLES


@pytest.mark.parametrize("name", ["results.csv", "labs.csv", "graded_observations.txt"])
def test_a_file_no_run_writes_is_never_removed(tmp_path: Path, name: str) -> None:
    out = tmp_path / "o"
    out.mkdir()
    (out / name).write_text("mine")
    if name == "results.csv":  # results is the workbook's name: a csv of it is an earlier run's
        write_tables({"t": pd.DataFrame({"a": [1]})}, out)
        assert sorted(p.name for p in out.iterdir()) == ["t.csv"]
        return
    with pytest.raises(FileExistsError, match=re.escape(name)):
        write_tables({"t": pd.DataFrame({"a": [1]})}, out)
    assert (out / name).read_text() == "mine"


def test_a_foreign_output_folder_is_refused_before_the_grading(tmp_path: Path) -> None:
    src = tmp_path / "labs.csv"
    src.write_text("subject_id,day,parameter,value,unit\nS1,0,HGB,n/a,g/dL\n")  # an input error
    out = tmp_path / "o"
    out.mkdir()
    (out / "protocol.pdf").write_bytes(b"%PDF")
    res = CliRunner().invoke(main, ["grade", str(src), "-o", str(out)])
    assert res.exit_code == 1
    assert "holds files aegrade did not write (protocol.pdf)" in res.output
    assert "row 2" not in res.output  # refused before the input was read
    assert sorted(p.name for p in out.iterdir()) == ["protocol.pdf"]


def test_check_destination_names_what_blocks_it(tmp_path: Path) -> None:
    (tmp_path / "book.xlsx").mkdir()
    with pytest.raises(IsADirectoryError, match=r"book\.xlsx is a folder"):
        check_destination(tmp_path / "book.xlsx")
    (tmp_path / "plain").write_text("x")
    with pytest.raises(NotADirectoryError, match="plain is a file"):
        check_destination(tmp_path / "plain", "csv")
    check_destination(tmp_path / "new")  # a new folder is fine
    assert not (tmp_path / "new").exists()  # and is not created by the check


def test_a_full_disk_is_one_clean_error_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = _hostile_study(tmp_path)
    real = Path.write_bytes

    def full(self: Path, data: bytes) -> int:
        if self.suffix == ".xlsx":
            real(self, bytes(data)[:100])
            raise OSError(28, "No space left on device")
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", full)
    res = CliRunner().invoke(main, ["grade", str(src), "-o", str(tmp_path / "g.xlsx")])
    assert res.exit_code == 1
    # the CLI's one line for an OS failure: its reason and the output it was writing
    assert res.output == f"error: No space left on device: {tmp_path / 'g.xlsx'}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["=cmd.csv"]


def _mixed_frame() -> pd.DataFrame:
    """Every kind of column an output table has: text, numbers, nullable integers, flags,
    labels (a categorical), and a categorical with no category."""
    return pd.DataFrame(
        {
            "subject_id": pd.array(["S2", "S1", None], dtype="string"),
            "day": [3.0, float("nan"), 1.5],
            "grade": pd.array([2, None, 0], dtype="Int64"),
            "review": [True, False, False],
            "term": pd.Categorical(["Anemia", None, "Anemia"]),
            "rule": pd.Categorical([None, None, None], categories=pd.Index([], dtype="string")),
            "note": pd.array(["a", "b", None], dtype="string"),
        }
    )


def test_write_parquet_writes_what_to_parquet_wrote_with_the_stable_schema(
    tmp_path: Path,
) -> None:
    import pyarrow.parquet as pq

    from aegrade.schema import arrow_schema
    from aegrade.write.results import write_parquet

    frame = _mixed_frame()
    frame.to_parquet(tmp_path / "old.parquet", index=False, schema=arrow_schema(frame))
    write_parquet(frame, tmp_path / "new.parquet")
    old, new = pq.read_table(tmp_path / "old.parquet"), pq.read_table(tmp_path / "new.parquet")
    assert new.schema.equals(old.schema, check_metadata=True)
    assert new.equals(old)
    assert (
        str(new.schema.field("rule").type) == "dictionary<values=string, indices=int32, ordered=0>"
    )
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "new.parquet"), pd.read_parquet(tmp_path / "old.parquet")
    )


def test_write_parquet_infers_object_columns_from_their_cells(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from aegrade.write.results import write_parquet

    frame = pd.DataFrame({"n": pd.Series([1, 2], dtype=object), "t": [None, None]})
    frame.attrs = {"source": "x.csv"}
    write_parquet(frame, tmp_path / "t.parquet")
    table = pq.read_table(tmp_path / "t.parquet")
    assert [str(t) for t in table.schema.types] == ["int64", "large_string"]
    assert pd.read_parquet(tmp_path / "t.parquet").attrs == {"source": "x.csv"}


def test_write_parquet_keeps_statistics_of_numbers_and_subject_ids_only(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from aegrade.write.results import write_parquet

    write_parquet(_mixed_frame(), tmp_path / "t.parquet")
    group = pq.ParquetFile(tmp_path / "t.parquet").metadata.row_group(0)
    stats = {
        group.column(i).path_in_schema: group.column(i).statistics for i in range(group.num_columns)
    }
    assert (stats["subject_id"].min, stats["subject_id"].max) == ("S1", "S2")
    assert (stats["day"].min, stats["day"].max, stats["day"].null_count) == (1.5, 3.0, 1)
    assert (stats["grade"].min, stats["grade"].max) == (0, 2)
    assert stats["review"].has_min_max
    assert all(stats[c] is None for c in ("term", "rule", "note"))


def test_parquet_tables_encoded_beside_the_largest_fail_as_one_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The smaller tables are encoded by a background thread while the largest is written:
    the files are those written one by one, and a table that fails to encode fails the run
    with its own error, leaving no output."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    import aegrade.write.results as results
    from aegrade.schema import TableSchema, conform

    big = pd.DataFrame({"subject_id": [f"S{i}" for i in range(500)], "grade": 1})
    small = pd.DataFrame({"term": pd.Categorical(["Anemia", None]), "n": [1.5, None]})
    tables = {"graded_observations": big, "adverse_events": small, "listing": small}
    paths = write_tables(tables, tmp_path / "out", fmt="parquet")
    assert [p.name for p in paths] == [f"{n}.parquet" for n in tables]
    for name, frame in tables.items():
        alone = tmp_path / f"{name}.parquet"
        own = name in results.SCHEMAS  # a table without a schema of its own is conformed
        results.write_parquet(frame if own else conform(frame, TableSchema(name, ())), alone)
        want = pq.read_table(alone)
        got = pq.read_table(tmp_path / "out" / f"{name}.parquet")
        assert got.equals(want) and got.schema.equals(want.schema, check_metadata=True)

    real = results._write_table

    def failing(table: pa.Table, sink: object) -> None:
        if table.num_rows == 2:
            raise ValueError("cannot encode this table")
        real(table, sink)

    monkeypatch.setattr(results, "_write_table", failing)
    with pytest.raises(ValueError, match="cannot encode"):
        write_tables(tables, tmp_path / "second", fmt="parquet")
    assert not (tmp_path / "second").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(TMP_PREFIX)]


def _direct_frame() -> pd.DataFrame:
    """Every dtype the Parquet writer converts from its own buffers, with missing cells."""
    return pd.DataFrame(
        {
            "subject_id": pd.array(["S1", None, "S2"], dtype="str"),
            "note": pd.array(["a", None, "c"], dtype="string"),
            "day": [1.5, np.nan, 3.0],
            "n": np.array([1, 2, 3], dtype=np.int64),
            "review": [True, False, True],
            "grade": pd.array([1, None, 3], dtype="Int64"),
            "term": pd.Categorical(["x", None, "y"]),
            "rule": pd.Categorical([None, None, None], categories=pd.Index([], dtype="string")),
            "reason": pd.Categorical(
                ["x", "x", None], categories=pd.Index(["x", "z"], dtype="str")
            ),
        }
    )


@pytest.mark.parametrize(
    ("extra", "direct"),
    [
        ({}, True),
        ({"words": pd.Series(["a", None, "c"], dtype=object)}, False),
        ({"levels": pd.Categorical([1, 2, 1])}, False),
        ({"python_text": pd.array(["a", None, "c"], dtype=pd.StringDtype("python"))}, False),
        ({"when": pd.to_datetime(["2024-01-01", None, "2024-01-03"])}, False),
    ],
    ids=["buffers", "object", "number-labels", "python-text", "dates"],
)
def test_the_arrow_table_is_what_from_pandas_builds(extra: dict[str, object], direct: bool) -> None:
    """A graded table's columns are built from their buffers (no ``from_pandas``): the same
    table, schema and metadata, missing cells missing (NaN too); any other dtype goes to
    ``from_pandas`` for the whole frame."""
    import pyarrow as pa

    from aegrade.schema import arrow_schema
    from aegrade.write.results import _arrow_column, _arrow_table

    frame = _direct_frame().assign(**extra)
    schema = arrow_schema(frame)
    expected = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    got = _arrow_table(frame, schema)
    assert got.equals(expected) and got.schema.equals(expected.schema, check_metadata=True)
    assert got.column("day").null_count == 1 and got.column("grade").null_count == 1
    built = [_arrow_column(frame[f.name], f.type) is not None for f in schema]
    assert all(built) is direct


@pytest.mark.parametrize("share", [0.0, 0.3, 1.0], ids=["none-missing", "some", "all"])
def test_columns_from_buffers_are_the_arrays_and_bytes_of_from_pandas(
    tmp_path: Path, share: float
) -> None:
    """1,003 rows (a bitmap not a whole number of bytes), cells missing at random: the
    floats, nullable integers and categoricals built from their numpy buffers are the
    arrays ``from_pandas`` makes, with a validity bitmap only when a cell is missing, and
    the Parquet file is the same bytes."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from aegrade.schema import arrow_schema
    from aegrade.write.results import _arrow_table, _numpy_array

    rng = np.random.default_rng(7)
    n = 1003
    missing = rng.random(n) < share
    day = np.where(missing, np.nan, rng.integers(-5, 40, n).astype(float))
    grades = rng.integers(0, 5, n)
    frame = pd.DataFrame(
        {
            "day": day,
            "grade": pd.array(np.where(missing, None, grades), dtype="Int64"),
            "term": pd.Categorical(np.where(missing, None, np.array(["a", "b", "c"])[grades % 3])),
            # a column that is a strided view of a 2-D block
            "lln": np.repeat(np.where(missing, np.nan, 1.5), 2).reshape(n, 2)[:, 0],
        }
    )
    schema = arrow_schema(frame)
    expected = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    got = _arrow_table(frame, schema)
    assert got.equals(expected)
    assert got.column("grade").null_count == int(missing.sum())
    assert (got.column("day").chunk(0).buffers()[0] is None) is (share == 0.0)
    pq.write_table(expected, tmp_path / "a.parquet", compression="snappy")
    pq.write_table(got, tmp_path / "b.parquet", compression="snappy")
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
    values = rng.integers(-3, 3, n).astype(np.int32)
    valid = ~missing
    made = _numpy_array(pa.int32(), values, valid)
    assert made.equals(pa.array(values, mask=~valid, type=pa.int32()))
    assert made.null_count == int(missing.sum())


def _parquet_study(folder: Path) -> Path:
    """Labs with a neutropenia episode, a fever (CRS/ICANS, the febrile-neutropenia listing)
    and a text value: every table a Parquet run writes, and object columns among them."""
    path = folder / "labs.csv"
    path.write_text(
        "subject_id,day,parameter,value,unit,lln,uln\n"
        "S1,0,NEUT,2.5,10^9/L,1.8,7.5\n"
        "S1,3,NEUT,0.4,10^9/L,1.8,7.5\n"
        "S1,3,TEMP,101.5,degF,,\n"
        "S2,1,PLAT,<20,10^9/L,150,400\n"
        "S2,2,PLAT,40,10^9/L,150,400\n",
        encoding="utf-8",
    )
    return path


def test_a_parquet_encoder_writes_the_bytes_write_parquet_writes(tmp_path: Path) -> None:
    """Tables encoded while the grading goes on are written byte for byte as write_parquet
    writes them; a table not given to the encoder (listing) is written as before."""
    from aegrade.write.results import ParquetEncoder, write_parquet

    result_plain = grade(_parquet_study(tmp_path))
    encoder = ParquetEncoder()
    result = grade(_parquet_study(tmp_path), on_table=encoder)
    assert encoder.names() == ["graded_observations", "adverse_events", "subject_summary"]
    early = write_result(result, tmp_path / "early", fmt="parquet", encoder=encoder)
    plain = write_result(result_plain, tmp_path / "plain", fmt="parquet")
    assert [p.name for p in early] == [p.name for p in plain]
    assert "listing.parquet" in {p.name for p in early}
    for path, before in zip(early, plain, strict=True):
        assert path.read_bytes() == before.read_bytes(), path.name
    for name, frame in result.tables().items():
        write_parquet(frame, tmp_path / f"{name}.parquet")
        assert (tmp_path / f"{name}.parquet").read_bytes() == (
            tmp_path / "early" / f"{name}.parquet"
        ).read_bytes()


def test_a_parquet_encoder_gives_its_bytes_only_for_the_frame_it_encoded(tmp_path: Path) -> None:
    """Another frame under an encoded table's name is encoded afresh, not replaced by the
    bytes of the frame the encoder was given."""
    from aegrade.write.results import ParquetEncoder

    given = pd.DataFrame({"subject_id": ["S1"], "grade": pd.array([1], dtype="Int64")})
    other = given.assign(grade=pd.array([4], dtype="Int64"))
    encoder = ParquetEncoder()
    encoder("t", given)
    assert encoder.job("t", given) is not None
    assert encoder.job("t", other) is None and encoder.job("u", given) is None
    (path,) = write_tables({"t": other}, tmp_path / "p", fmt="parquet", encoder=encoder)
    assert pd.read_parquet(path)["grade"].tolist() == [4]
    (path,) = write_tables({"t": given}, tmp_path / "q", fmt="parquet", encoder=encoder)
    assert pd.read_parquet(path)["grade"].tolist() == [1]


def test_a_run_failing_after_its_tables_were_encoded_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`aegrade grade --format parquet` encodes graded_observations before the episodes and
    hematology: a failure after that leaves no output folder and no temporary."""
    import aegrade.pipeline as pipeline
    from aegrade.write.results import ParquetEncoder

    encoded: list[str] = []
    real_call = ParquetEncoder.__call__

    def record(self: ParquetEncoder, name: str, frame: pd.DataFrame) -> None:
        encoded.append(name)
        real_call(self, name, frame)

    def late_failure(*args: object, **kwargs: object) -> None:
        raise ValueError("the hematology failed")

    monkeypatch.setattr(ParquetEncoder, "__call__", record)
    monkeypatch.setattr(pipeline, "summarize_hematology", late_failure)
    src = _parquet_study(tmp_path)
    out = tmp_path / "graded"
    run = CliRunner().invoke(main, ["grade", str(src), "-o", str(out), "--format", "parquet"])
    assert run.exit_code == 1, run.output
    assert "the hematology failed" in run.output
    assert encoded == ["graded_observations"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labs.csv"]


def test_write_result_writes_the_encoders_bytes_without_encoding_again(tmp_path: Path) -> None:
    from concurrent.futures import Future

    from aegrade.write.results import ParquetEncoder

    class Canned(ParquetEncoder):
        def job(self, name: str, frame: pd.DataFrame) -> Future[object] | None:
            done: Future[object] = Future()
            done.set_result(f"encoded {name}".encode())
            return done if name == "graded_observations" else None

    result = grade(_parquet_study(tmp_path))
    paths = write_result(result, tmp_path / "out", fmt="parquet", encoder=Canned())
    written = {p.name: p.read_bytes() for p in paths}
    assert written["graded_observations.parquet"] == b"encoded graded_observations"
    assert pd.read_parquet(tmp_path / "out" / "adverse_events.parquet").shape[0] == len(
        result.adverse_events
    )


def test_a_frame_the_encoder_cannot_encode_fails_when_it_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The error comes from the write, as write_parquet's would, not from the hook (an input
    error the run finds later is reported first); nothing is written."""
    import aegrade.write.results as results

    def unencodable(frame: pd.DataFrame) -> None:
        raise TypeError("no Arrow type for this column")

    monkeypatch.setattr(results, "_parquet_table", unencodable)
    frame = pd.DataFrame({"subject_id": ["S1"]})
    encoder = results.ParquetEncoder()
    encoder("subject_summary", frame)  # no error yet
    with pytest.raises(TypeError, match="no Arrow type"):
        write_tables({"subject_summary": frame}, tmp_path / "out", fmt="parquet", encoder=encoder)
    assert sorted(p.name for p in tmp_path.iterdir()) == []
