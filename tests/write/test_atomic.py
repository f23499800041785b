"""One atomic writer and one neutraliser, used by every command."""

from __future__ import annotations

import ast
import os
import stat
from pathlib import Path

import pandas as pd
import pytest

from aegrade.write.atomic import atomic_output, refuse_inputs, write_outputs
from aegrade.write.neutralize import FORMULA_START, neutralize, neutralize_formulas
from aegrade.write.results import write_tables

ROOT = Path(__file__).resolve().parents[2] / "aegrade"


def test_a_failed_set_leaves_the_previous_files(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("old a")

    def fail(tmp: Path) -> None:
        tmp.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_outputs({tmp_path / "a.csv": lambda t: t.write_text("new a"), tmp_path / "b": fail})
    assert (tmp_path / "a.csv").read_text() == "old a"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"]


def test_outputs_get_the_usual_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        path = atomic_output(tmp_path / "sub" / "x.txt", lambda t: t.write_text("x"))
    finally:
        os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_an_input_is_never_overwritten(tmp_path: Path) -> None:
    source = tmp_path / "adverse_events.csv"
    source.write_text("input")
    with pytest.raises(ValueError, match="refusing to overwrite the input"):
        write_tables({"adverse_events": pd.DataFrame({"a": [1]})}, tmp_path, inputs=[source])
    assert source.read_text() == "input"
    refuse_inputs([tmp_path / "other.csv"], [source])


@pytest.mark.parametrize("start", FORMULA_START)
def test_every_formula_start_is_neutralised(start: str) -> None:
    assert neutralize(start + "cmd") == "'" + start + "cmd"
    frame = pd.DataFrame(
        {
            "text": pd.array([start + "x", "ok"], dtype="string"),
            "cat": pd.Categorical([start + "y", "ok"]),
            "num": [-1.0, 2.0],
        }
    )
    out = neutralize_formulas(frame)
    assert out["text"].tolist() == ["'" + start + "x", "ok"]
    assert out["cat"].astype(str).tolist() == ["'" + start + "y", "ok"]
    assert out["num"].tolist() == [-1.0, 2.0]
    assert frame["text"].tolist()[0] == start + "x"  # the input is not changed


def test_xlsx_csv_and_parquet_share_one_writer(tmp_path: Path) -> None:
    frame = pd.DataFrame({"term": ["=BAD()"], "grade": pd.array([3], dtype="Int64")})
    for fmt, target in (("csv", tmp_path / "c"), ("parquet", tmp_path / "p")):
        (path,) = write_tables({"t": frame}, target, fmt=fmt)  # type: ignore[arg-type]
        assert path == target / f"t.{fmt}"
    assert pd.read_csv(tmp_path / "c" / "t.csv")["term"].tolist() == ["'=BAD()"]
    assert pd.read_parquet(tmp_path / "p" / "t.parquet")["term"].tolist() == ["=BAD()"]
    (book,) = write_tables({"t": frame}, tmp_path / "r.xlsx", about={"k": "v"})
    assert pd.read_excel(book, sheet_name="t", engine="openpyxl")["term"].tolist() == ["'=BAD()"]


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _private_imports(folder: str) -> list[str]:
    found = []
    for path in (ROOT / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("aegrade")
            ):
                found += [f"{path.name}: {a.name}" for a in node.names if _private(a.name)]
    return found


@pytest.mark.parametrize("folder", ["write", "tables", "cli"])
def test_no_private_name_crosses_a_module(folder: str) -> None:
    assert _private_imports(folder) == []


def test_a_table_without_a_schema_is_written_with_stable_types(tmp_path: Path) -> None:
    mixed = pd.DataFrame({"step": pd.Series([1, "fever >= 38"], dtype=object), "n": [1, 2]})
    write_tables({"explain": mixed}, tmp_path, fmt="parquet")
    back = pd.read_parquet(tmp_path / "explain.parquet")
    assert back["step"].tolist() == ["1", "fever >= 38"] and back["n"].tolist() == [1, 2]


def test_a_table_longer_than_an_excel_sheet_is_refused_before_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import aegrade.write.results as results

    monkeypatch.setattr(results, "XLSX_MAX_ROWS", 2)  # the real limit is 1,048,575 rows
    frame = pd.DataFrame({"subject_id": ["A", "B", "C"]})
    with pytest.raises(ValueError, match=r"too many rows for xlsx \(adverse_events has 3;"):
        results.write_tables({"adverse_events": frame}, tmp_path / "out.xlsx")
    assert not any(tmp_path.iterdir())
    assert results.write_tables({"adverse_events": frame.head(2)}, tmp_path / "ok.xlsx")
