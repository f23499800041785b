"""A plain CSV -> Parquet ``aegrade grade`` run imports no module it does not use (issue 15).

The writers' heavy libraries (openpyxl, python-docx, rtflite, matplotlib, xlsxwriter), SciPy
and Dask are imported by the runs that need them only. Checked in a fresh interpreter by the
modules it holds afterwards (a fact, never a timing).
"""

from __future__ import annotations

from pathlib import Path

from tests.fresh_process import run_fresh

UNUSED = ("openpyxl", "docx", "rtflite", "matplotlib", "xlsxwriter", "scipy", "dask", "distributed")


def test_a_csv_to_parquet_run_imports_no_writer_it_does_not_use(tmp_path: Path) -> None:
    src = tmp_path / "labs.csv"
    src.write_text(
        "subject_id,day,parameter,value,unit,lln,uln\n"
        "S1,0,HGB,13.5,g/dL,12,16\n"
        "S1,7,HGB,7.1,g/dL,12,16\n"
        "S2,0,NEUT,2.5,10^9/L,1.8,7.7\n"
        "S2,7,NEUT,0.4,10^9/L,1.8,7.7\n",
        "utf-8",
    )
    args = ["grade", str(src), "-o", str(tmp_path / "out"), "--format", "parquet"]
    result, _, err = run_fresh(UNUSED, *args)
    assert result == {"code": 0, "loaded": []}, err
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert "graded_observations.parquet" in written and "adverse_events.parquet" in written


OTHER_COMMANDS = (
    "aegrade.cli.table",
    "aegrade.cli.compare",
    "aegrade.cli.criteria",
    "aegrade.cli.crs",
    "aegrade.cli.ctcae",
    "aegrade.cli.demo",
    "aegrade.write.adam",
    "aegrade.write.xlsx_fast",
)


def test_a_grade_run_imports_no_other_command_nor_unused_writer(tmp_path: Path) -> None:
    """The command line's sub-commands are imported when run or listed (aegrade.cli
    COMMANDS); ADaM tables only with --cdisc, the xlsx writer only for xlsx output."""
    src = tmp_path / "labs.csv"
    src.write_text("subject_id,day,parameter,value,unit\nS1,0,HGB,13.5,g/dL\n", "utf-8")
    args = ["grade", str(src), "-o", str(tmp_path / "out"), "--format", "parquet"]
    result, _, err = run_fresh(OTHER_COMMANDS, *args)
    assert result == {"code": 0, "loaded": []}, err
    xlsx = ["grade", str(src), "-o", str(tmp_path / "out.xlsx"), "--cdisc"]
    result, _, err = run_fresh(OTHER_COMMANDS, *xlsx)
    assert result == {"code": 0, "loaded": ["aegrade.write.adam", "aegrade.write.xlsx_fast"]}, err
