"""Writing results: one ``.xlsx`` with a sheet per table, or a folder of CSV or Parquet files.

Every file is first written under a temporary name in the destination folder and renamed into
place only when all of them are complete, so a failed run never leaves half-written output.
Text cells that a spreadsheet would run as a formula (starting with =, +, -, @, tab or CR) are
prefixed with a single quote in CSV and xlsx output.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Literal

import pandas as pd

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Format = Literal["xlsx", "csv", "parquet"]


def neutralize_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot be read as spreadsheet formulas."""
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            cats = s.cat.categories
            if cats.dtype == object:
                fixed = [
                    "'" + c if isinstance(c, str) and c.startswith(_FORMULA_START) else c
                    for c in cats
                ]
                if list(fixed) != list(cats):
                    out[col] = s.cat.rename_categories(fixed)
        elif s.dtype == object or pd.api.types.is_string_dtype(s):
            text = s.astype("string")
            risky = text.str.startswith(_FORMULA_START).fillna(False).to_numpy(bool)
            if risky.any():
                s = s.astype(object).copy()
                s[risky] = "'" + text[risky]
                out[col] = s
    return out


def _excel_safe(frame: pd.DataFrame) -> pd.DataFrame:
    out = neutralize_formulas(frame)
    for col in out.columns:  # Excel has no time zones; nullable ints are written as numbers
        if isinstance(out[col].dtype, pd.DatetimeTZDtype):
            out[col] = out[col].dt.tz_localize(None)
    return out


def write_tables(
    tables: dict[str, pd.DataFrame],
    path: str | Path,
    *,
    fmt: Format | None = None,
    about: dict[str, str] | None = None,
    inputs: list[str | Path] = (),  # type: ignore[assignment]
) -> list[Path]:
    """Write named tables atomically; returns the files written.

    ``path`` ending in ``.xlsx`` gives one workbook (plus an ``about`` sheet); otherwise it is a
    folder receiving ``<name>.csv`` or ``<name>.parquet`` (``fmt``).

    Raises
    ------
    ValueError
        The output would overwrite one of ``inputs``.
    """
    target = Path(path)
    _refuse_inputs([target, *(target / f"{n}.{fmt or 'csv'}" for n in tables)], inputs)
    if fmt is None:
        fmt = "xlsx" if target.suffix.lower() == ".xlsx" else "csv"
    if fmt == "xlsx":
        if target.suffix.lower() != ".xlsx":
            target = target / "results.xlsx"
        target.parent.mkdir(parents=True, exist_ok=True)
        _atomic(target, lambda tmp: _write_xlsx(tables, tmp, about))
        return [target]
    if target.suffix:
        raise ValueError(f"{target}: give a folder for {fmt} output, or a .xlsx file")
    target.mkdir(parents=True, exist_ok=True)
    written = []
    pending: list[tuple[Path, Path]] = []
    try:
        for name, frame in tables.items():
            final = target / f"{name}.{fmt}"
            tmp = _tmp_name(final)
            if fmt == "csv":
                neutralize_formulas(frame).to_csv(tmp, index=False)
            else:
                frame.to_parquet(tmp, index=False)
            pending.append((tmp, final))
    except BaseException:
        for tmp, _ in pending:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, final in pending:
        os.replace(tmp, final)
        written.append(final)
    return written


def _refuse_inputs(targets: list[Path], inputs: list[str | Path]) -> None:
    """Refuse any output path that is an input (the output file, or a file in the output
    folder with the name a table would get)."""
    sources = {Path(s).resolve() for s in inputs}
    for t in targets:
        if t.resolve() in sources:
            raise ValueError(f"refusing to overwrite the input {t}; choose another output")


def _tmp_name(final: Path) -> Path:
    fd, name = tempfile.mkstemp(
        prefix=f".{final.stem}.", suffix=final.suffix + ".tmp", dir=final.parent
    )
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(name, 0o666 & ~umask)  # mkstemp creates 0600; results are ordinary files
    return Path(name)


def _atomic(final: Path, write) -> None:  # type: ignore[no-untyped-def]
    tmp = _tmp_name(final)
    try:
        write(tmp)
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


def _write_xlsx(tables: dict[str, pd.DataFrame], tmp: Path, about: dict[str, str] | None) -> None:
    with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
        for name, frame in tables.items():
            _excel_safe(frame).to_excel(xw, sheet_name=name[:31], index=False)
            xw.sheets[name[:31]].freeze_panes = "A2"
        if about:
            pd.DataFrame({"key": list(about), "value": list(about.values())}).to_excel(
                xw, sheet_name="about", index=False
            )


def write_result(
    result,
    path: str | Path,
    *,
    fmt: Format | None = None,  # type: ignore[no-untyped-def]
    inputs: list[str | Path] = (),  # type: ignore[assignment]
    extra: dict[str, pd.DataFrame] | None = None,
) -> list[Path]:
    """Write a :class:`~aegrade.pipeline.GradeResult` (and its issues, when any);
    ``extra`` tables (e.g. ADaM-style ones) are written beside them."""
    tables = dict(result.tables())
    tables.update(extra or {})
    for name in ("explain", "listing"):  # CRS/ICANS audit trail; per-patient listing
        extra = getattr(result, "extras", {}).get(name)
        if extra is not None and len(extra):
            tables[name] = extra
    if len(result.issues):
        tables["issues"] = result.issues
    return write_tables(tables, path, fmt=fmt, about=result.meta, inputs=inputs)
