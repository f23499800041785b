"""Parameter codes, aliases and unit conversion, read from ``data/parameters.yaml``.

The data file documents its own syntax and cites the source of every factor. Conversion is
vectorized: the distinct (parameter, unit) pairs of a column are resolved once and the factors
are broadcast back, so cost does not grow with a Python loop over rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import yaml

from aegrade.criteria.labnames import fold_name, lab_vocabulary
from aegrade.lazy import lazy_module
from aegrade.threads import gather, row_blocks, run_blocks

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:  # the column functions only: the registry itself (a file's check) needs neither
    np = lazy_module("numpy", globals(), "np")
    pd = lazy_module("pandas", globals(), "pd")

__all__ = [
    "Conversion",
    "Parameter",
    "RowUnits",
    "UnitRegistry",
    "convert_columns",
    "convert_indexed",
    "convert_rows",
    "factorize",
    "parameter_index",
    "registry",
    "resolve_codes",
]

_SPACE = re.compile(r"\s+")


def _unit_key(text: str) -> str:
    """Fold a unit spelling for lookup: lower case, no spaces, micro sign as 'u'."""
    return _SPACE.sub("", str(text)).replace("µ", "u").replace("μ", "u").lower()


def _code_key(text: str) -> str:
    return _SPACE.sub("", str(text)).upper()


def _missing(value: object) -> bool:
    """None or NaN: a cell with nothing in it."""
    return value is None or (isinstance(value, float) and np.isnan(value))


@dataclass(frozen=True)
class Conversion:
    """canonical = (value + offset) * scale."""

    scale: float
    offset: float = 0.0
    source: str = ""


@dataclass(frozen=True)
class Parameter:
    """One parameter code of SPEC section 3."""

    code: str
    name: str
    kind: str
    unit: str
    aliases: tuple[str, ...]
    limits: tuple[float | None, float | None] | None
    conversions: dict[str, Conversion] = field(default_factory=dict)
    unit_required: bool = True
    #: Values outside are possible but so rare that, when another unit of the parameter puts
    #: the value inside its reference range, the row's unit is suspected (canonical unit).
    expected: tuple[float, float] | None = None
    #: Where any laboratory's LLN and ULN lie, in the canonical unit: ((lo, hi), (lo, hi)).
    reference: tuple[tuple[float, float], tuple[float, float]] | None = None
    #: Another parameter often sent under this one's name (ionized calcium as "Calcium"): a
    #: row whose reference range fits that parameter's ``reference`` and not this one's is
    #: not graded.
    range_sibling: str | None = None

    @property
    def any_unit(self) -> bool:
        """True when only reference-range multiples grade it, so the unit cancels out."""
        return self.unit in ("ratio", "none")


class UnitRegistry:
    """Lookup of parameter codes and units; built from the packaged ``parameters.yaml``."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.unit_alias: dict[str, str] = {}
        for canonical, spellings in data["units"].items():
            for spelling in [canonical, *spellings]:
                self.unit_alias[_unit_key(spelling)] = canonical
        self.unit_names: list[str] = list(data["units"])
        #: spellings read as a count unit for a count parameter only ("G/L": giga per litre)
        self.count_alias: dict[str, str] = {
            _unit_key(spelling): canonical
            for canonical, spellings in (data.get("count_units") or {}).items()
            for spelling in spellings
        }
        self.parameters: dict[str, Parameter] = {}
        self.code_alias: dict[str, str] = {}
        for code, spec in data["parameters"].items():
            param = self._parameter(code, spec)
            self.parameters[code] = param
            for alias in (code, *param.aliases):
                self.code_alias[_code_key(alias)] = code
        # test names as laboratories write them (data/inputs/test_names.yaml), compared
        # without blanks and punctuation; codes and aliases are found that way too
        self.name_alias: dict[str, str] = dict(lab_vocabulary().names)
        for key, code in self.code_alias.items():
            self.name_alias.setdefault(fold_name(key), code)

    @staticmethod
    def _parameter(code: str, spec: dict[str, Any]) -> Parameter:
        conversions = {}
        for unit, how in (spec.get("convert") or {}).items():
            if "factor" in how:
                conv = Conversion(float(how["factor"]), 0.0, how.get("source", ""))
            elif "molar_mass" in how:
                per = 10.0 if spec["unit"] == "mmol/L" else 10_000.0  # mg/dL -> mmol/L or umol/L
                conv = Conversion(per / float(how["molar_mass"]), 0.0, how.get("source", ""))
            else:
                scale, offset = how["affine"]
                conv = Conversion(float(scale), float(offset), how.get("source", ""))
            conversions[unit] = conv
        limits = spec.get("limits")
        expected = spec.get("expected")
        ref = spec.get("reference")
        return Parameter(
            code=code,
            name=spec["name"],
            kind=spec["kind"],
            unit=spec["unit"],
            aliases=tuple(spec.get("aliases") or ()),
            limits=(limits[0], limits[1]) if limits else None,
            conversions=conversions,
            unit_required=bool(spec.get("unit_required", True)),
            expected=(float(expected[0]), float(expected[1])) if expected else None,
            reference=(
                (
                    (float(ref["lln"][0]), float(ref["lln"][1])),
                    (float(ref["uln"][0]), float(ref["uln"][1])),
                )
                if ref
                else None
            ),
            range_sibling=spec.get("range_sibling"),
        )

    def canonical_unit(self, text: object) -> str | None:
        """The canonical spelling of a unit, or None when aegrade does not know it.

        Examples
        --------
        >>> registry().canonical_unit("K/uL"), registry().canonical_unit("parsecs")
        ('10^9/L', None)
        """
        return None if _missing(text) else self.unit_alias.get(_unit_key(str(text)))

    def resolve_code(self, text: object) -> str | None:
        """The parameter code for a code, alias or test name (case-insensitive), or None.

        Examples
        --------
        >>> registry().resolve_code("Neutsg"), registry().resolve_code("nothing")
        ('NEUT', None)
        >>> registry().resolve_code("ALT (SGPT)"), registry().resolve_code("Neutrophils %")
        ('ALT', None)
        """
        if _missing(text):
            return None
        found = self.code_alias.get(_code_key(str(text)))
        return found if found is not None else self.name_alias.get(fold_name(text))

    def conversion(self, code: str, unit: object) -> Conversion | str | None:
        """How to bring ``unit`` to the parameter's canonical unit.

        Returns a :class:`Conversion`, ``"missing"`` when the unit is empty and one is needed,
        or None when the unit cannot be converted.

        Examples
        --------
        >>> registry().conversion("HGB", "g/dL")
        Conversion(scale=10.0, offset=0.0, source='[SI] 1 dL = 0.1 L')
        >>> registry().conversion("HGB", "furlongs") is None
        True
        """
        param = self.parameters[code]
        empty = _missing(unit) or str(unit).strip() == ""
        if param.any_unit:
            return Conversion(1.0)
        if empty:
            return "missing" if param.unit_required else Conversion(1.0)
        canonical = self.unit_of(code, unit)
        if canonical == param.unit:
            return Conversion(1.0)
        if canonical is None:
            return None
        return param.conversions.get(canonical)

    def unit_of(self, code: str, unit: object) -> str | None:
        """The canonical unit ``unit`` names for parameter ``code`` (None: unknown).

        As :meth:`canonical_unit`, except that a count parameter reads the spellings of
        ``count_units`` as a count ("G/L", giga per litre), where others read grams per litre.

        Examples
        --------
        >>> registry().unit_of("NEUT", "G/L"), registry().unit_of("ALB", "G/L")
        ('10^9/L', 'g/L')
        """
        canonical = self.canonical_unit(unit)
        if _missing(unit):
            return canonical
        param = self.parameters[code]
        count = self.count_alias.get(_unit_key(str(unit)))
        if count is not None and count in (param.unit, *param.conversions):
            return count
        return canonical


@lru_cache(maxsize=1)
def registry() -> UnitRegistry:
    """The packaged registry of parameters and units (``data/parameters.yaml``, read once).

    Examples
    --------
    >>> reg = registry()
    >>> reg.resolve_code("anc"), reg.canonical_unit("mg/100mL"), reg.parameters["HGB"].unit
    ('NEUT', 'mg/dL', 'g/L')
    """
    text = resources.files("aegrade.criteria.data").joinpath("parameters.yaml").read_text("utf-8")
    return UnitRegistry(yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))


def resolve_codes(codes: pd.Series) -> pd.Series:
    """Map a column of parameter codes/aliases to canonical codes (NA where unknown).

    Examples
    --------
    >>> resolve_codes(pd.Series(["anc", "HGB", "xyz"])).tolist()
    ['NEUT', 'HGB', <NA>]
    """
    reg = registry()
    positions, uniques = pd.factorize(codes.astype("string"))
    # factorize marks NA as -1, which picks the trailing None
    mapped = np.array([reg.resolve_code(u) for u in uniques] + [None], dtype=object)
    return pd.Series(mapped[positions], index=codes.index, dtype="string")


def factorize(series: pd.Series) -> tuple[np.ndarray, list[object]]:
    """Integer codes (-1 for missing) and the distinct values, fast for categoricals.

    Examples
    --------
    >>> codes, values = factorize(pd.Series(["a", "b", "a", None]))
    >>> codes.tolist(), values
    ([0, 1, 0, -1], ['a', 'b'])
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.cat.codes.to_numpy(np.int64), list(series.cat.categories)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    return codes.astype(np.int64), list(uniques)


def _native_codes(series: pd.Series) -> tuple[np.ndarray, list[object]]:
    """:func:`factorize`, a categorical's codes in their own small integer type (no copy)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        cat = series.array  # the Categorical itself: its codes without a Series around them
        return cat.codes, list(cat.categories)
    return factorize(series)


def parameter_index(series: pd.Series, names: list[str], *, threads: int = 1) -> np.ndarray:
    """For each row, the index of its canonical parameter code in ``names`` (-1 unknown); the
    distinct names are resolved once, the rows gathered in blocks on ``threads`` threads.

    Examples
    --------
    >>> parameter_index(pd.Series(["ANC", "HGB", "xyz"]), ["HGB", "NEUT"]).tolist()
    [1, 0, -1]
    """
    reg = registry()
    codes, uniques = _native_codes(series)
    lookup = {c: i for i, c in enumerate(names)}
    found = [reg.resolve_code(u) for u in uniques]
    mapped = np.array([lookup.get(c, -1) if c else -1 for c in found] + [-1], np.int64)
    if codes.dtype == np.intp:
        out: np.ndarray = gather(mapped, codes, threads)
        return out
    # a categorical's small codes: gathered in pieces of 64k rows, so that take's conversion
    # of the index to its own type stays in cache (a whole block converted: 2.5x the time)
    out = np.empty(len(codes), np.int64)

    def block(part: slice) -> None:
        for at in range(part.start, part.stop, 1 << 16):
            piece = slice(at, min(at + (1 << 16), part.stop))
            np.take(mapped, codes[piece], out=out[piece], mode="wrap")  # -1: the last

    run_blocks(block, row_blocks(len(codes), threads, len(codes)), threads)
    return out


def convert_columns(
    parameter: pd.Series, unit: pd.Series
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Vectorized conversion factors for each row.

    Returns ``(scale, offset, status, unit_key)``: canonical = (x + offset) * scale; status is
    0 ok, 1 unit missing, 2 unit unknown or not convertible, 3 parameter unknown; unit_key is
    the index of the row's own unit in ``registry().unit_names`` (-1 unknown), used for
    unit-specific CTCAE thresholds.

    Examples
    --------
    >>> scale, offset, status, _ = convert_columns(pd.Series(["HGB", "TEMP"]),
    ...                                            pd.Series(["g/dL", "degF"]))
    >>> scale.round(4).tolist(), offset.tolist(), status.tolist()
    ([10.0, 0.5556], [0.0, -32.0], [0, 0])
    """
    names = sorted(registry().parameters)
    return convert_indexed(parameter_index(parameter, names), names, unit)


@lru_cache(maxsize=64)
def _pair_tables(
    names: tuple[str, ...], typed: tuple[tuple[type, object], ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Scale, offset, status and unit key of every (parameter, unit text) pair (a last row
    for an unknown parameter and a last column for no unit), read-only: built once per set
    of parameters and unit texts, as a study's few unit spellings repeat from call to call."""
    reg = registry()
    uniques = [u for _, u in typed]
    shape = (len(names) + 1, len(uniques) + 1)
    scale = np.ones(shape)
    offset = np.zeros(shape)
    status = np.full(shape, 3, np.int8)
    key = np.full(shape, -1, np.int64)
    unit_texts = [*uniques, None]
    for j, text in enumerate(unit_texts):
        empty = text is None or str(text).strip() == ""
        canonical = None if empty else reg.canonical_unit(text)
        key[:, j] = -1 if canonical is None else reg.unit_names.index(canonical)
    for i, code in enumerate(names):
        for j, text in enumerate(unit_texts):
            empty = text is None or str(text).strip() == ""
            if not empty and _unit_key(str(text)) in reg.count_alias:
                own = reg.unit_of(code, text)  # "G/L": a count for a count parameter
                key[i, j] = -1 if own is None else reg.unit_names.index(own)
            conv = reg.conversion(code, None if empty else text)
            if conv == "missing":
                status[i, j] = 1
            elif conv is None:
                status[i, j] = 2
            else:
                assert isinstance(conv, Conversion)
                scale[i, j], offset[i, j], status[i, j] = conv.scale, conv.offset, 0
    for table in (scale, offset, status, key):
        table.setflags(write=False)
    return scale, offset, status, key


def convert_indexed(
    param_index: np.ndarray, names: list[str], unit: pd.Series, *, threads: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """As :func:`convert_columns`, for rows whose parameter is already an index into ``names``.

    The (parameter, unit) pairs are resolved in a small dense table, then gathered per row
    (in blocks of rows on ``threads`` threads: :mod:`aegrade.threads`, the same result).

    Examples
    --------
    >>> scale, offset, status, _ = convert_indexed(np.array([0, -1]), ["HGB"],
    ...                                            pd.Series(["g/dL", "g/dL"]))
    >>> scale.tolist(), status.tolist()
    ([10.0, 1.0], [0, 3])
    """
    got = convert_rows(param_index, names, unit, threads=threads)
    return got.scale, got.offset, got.status, got.unit_key


@dataclass(frozen=True)
class RowUnits:
    """Each row's conversion to its parameter's canonical unit (:func:`convert_rows`), with
    what the distinct (parameter, unit) pairs present tell without another pass over the rows.

    Attributes
    ----------
    scale, offset, status, unit_key
        As :func:`convert_columns` returns them.
    present
        Per parameter (an index into the ``names`` given), the codes of the units (into
        ``registry().unit_names``) its rows are in; None when not known.
    identity
        True when every row converts with scale 1 and offset 0: ``(x + offset) * scale`` is
        ``x + 0.0`` on every row.
    counts
        Rows per parameter, those of no known parameter first (``np.bincount(param_index +
        1)``); None when not known.
    block_counts
        The same counts per block of ``block_rows`` rows (rows ``k * block_rows`` onwards: one
        row per block, the last block shorter), when :func:`convert_rows` was asked for them.
    statuses
        The ``status`` codes some row has; None when not known.

    Examples
    --------
    >>> got = convert_rows(np.array([0, 0]), ["HGB"], pd.Series(["g/L", "g/L"]))
    >>> got.identity, [registry().unit_names[u] for u in got.present[0]]
    (True, ['g/L'])
    """

    scale: np.ndarray
    offset: np.ndarray
    status: np.ndarray
    unit_key: np.ndarray
    present: list[frozenset[int]] | None = None
    identity: bool = False
    counts: np.ndarray | None = None
    block_counts: np.ndarray | None = None
    statuses: frozenset[int] | None = None


def _pair_index(
    param_index: np.ndarray,
    ucodes: np.ndarray,
    shape: tuple[int, int],
    flat: np.ndarray,
    blocks: int,
    threads: int,
) -> np.ndarray | None:
    """Write each row's flat (parameter + 1, unit + 1) index into ``flat`` and count the
    pairs per block of ``blocks`` rows (one row per block), in blocks of rows on ``threads``
    threads; None where a parameter index is below -1 (a unit code, as ``factorize`` and a
    categorical give it, is never below -1: the index is negative exactly then)."""
    n, size = len(param_index), shape[0] * shape[1]
    counts: list[tuple[int, np.ndarray]] = []  # (block, its piece's count)
    # pieces of 64k rows (their index in cache when counted) where the pair table is small,
    # never across a block's edge
    piece = min(blocks, 1 << 16) if size <= 4096 else blocks

    def index(block: slice) -> None:
        start = block.start
        while start < block.stop:
            stop = min(block.stop, (start // piece + 1) * piece, (start // blocks + 1) * blocks)
            part = slice(start, stop)
            at = np.multiply(param_index[part], shape[1], out=flat[part], casting="unsafe")
            at += shape[1] + 1
            at += ucodes[part]
            if len(at) and at.min() < 0:  # read while the piece is in cache
                below.append(start)
            else:
                counts.append((start // blocks, np.bincount(at, minlength=size)))
            start = stop

    below: list[int] = []
    run_blocks(index, row_blocks(n, threads, n), threads)
    if below:
        return None
    per_block = np.zeros((-(-n // blocks), size), np.intp)
    for k, count in counts:
        per_block[k] += count
    return per_block


def convert_rows(
    param_index: np.ndarray,
    names: list[str],
    unit: pd.Series,
    *,
    threads: int = 1,
    block_rows: int | None = None,
) -> RowUnits:
    """:func:`convert_indexed` with the units present per parameter and whether any row is
    converted at all (:class:`RowUnits`), read from the one count of the (parameter, unit)
    pairs the conversion makes anyway; with ``block_rows``, that count also per block of so
    many rows (``RowUnits.block_counts``: the engine's blocks need not count again).

    Examples
    --------
    >>> got = convert_rows(np.array([0, -1]), ["HGB"], pd.Series(["g/dL", "g/dL"]))
    >>> got.scale.tolist(), got.status.tolist(), got.identity
    ([10.0, 1.0], [0, 3], False)
    """
    ucodes, uuniques = _native_codes(unit)
    shape = (len(names) + 1, len(uuniques) + 1)  # last row/column: unknown parameter / no unit
    typed = tuple((type(u), u) for u in uuniques)  # 1.0 and True are different unit cells
    try:
        scale, offset, status, key = _pair_tables(tuple(names), typed)
    except TypeError:  # a unit cell that cannot be hashed: the tables built afresh
        scale, offset, status, key = _pair_tables.__wrapped__(tuple(names), typed)
    tables = (scale, offset, status, key)
    n = len(param_index)
    # one flat index: with "no unit" moved to column 0 and "unknown parameter" to row 0,
    # unit code + 1 is the column and parameter index + 1 the row (None: an index below -1)
    flat: np.ndarray[Any, np.dtype[np.intp]] = np.empty(n, np.intp)  # take's own type
    per_block = (
        _pair_index(param_index, ucodes, shape, flat, block_rows or n, threads) if n else None
    )
    if per_block is not None:
        flat_tables = [np.roll(t, (1, 1), axis=(0, 1)).ravel() for t in tables]
        parts = row_blocks(n, threads, n)
        total = per_block.sum(axis=0)
        seen = total > 0
        # a column that is the same number on every pair present is not gathered per row:
        # one write (zeros too: no offset, every status 0), in the blocks of rows the gathers
        # run in
        out: list[np.ndarray] = []
        gathered: list[tuple[np.ndarray, np.ndarray]] = []
        filled: list[tuple[Any, np.ndarray]] = []  # written in the blocks gathered
        for table in flat_tables:
            used = table[seen]  # never empty: some pair has rows
            out.append(np.empty(n, table.dtype))
            if bool((used == used[0]).all()):  # zeros (-0.0 too) written as 0
                filled.append((used[0] if used.any() else table.dtype.type(0), out[-1]))
            else:
                gathered.append((table, out[-1]))

        def gather(block: slice) -> None:
            for number, column in filled:
                column[block] = number
            for at in range(block.start, block.stop, 1 << 16):  # the index stays in cache
                part = slice(at, min(at + (1 << 16), block.stop))
                for table, column in gathered:
                    np.take(table, flat[part], out=column[part], mode="clip")  # never < 0

        run_blocks(gather, parts, threads)
        rows = total.reshape(shape).sum(axis=1)  # rows per parameter, unknown (-1) first
        pairs = seen.reshape(shape)[1:]  # rows: parameters; column 0: no unit
        keys = flat_tables[3].reshape(shape)[1:]
        present = [frozenset[int]()] * len(names)
        for i in np.flatnonzero(rows[1:]).tolist():  # the parameters that have rows
            present[i] = frozenset(k for k in keys[i][pairs[i]].tolist() if k >= 0)
        used_scale, used_offset = flat_tables[0][seen], flat_tables[1][seen]
        identity = bool((used_scale == 1.0).all() and (used_offset == 0.0).all())
        by_block = None
        if block_rows is not None:  # rows per parameter per block, unknown (-1) first
            by_block = per_block.reshape(len(per_block), *shape).sum(axis=2)
        statuses = frozenset(flat_tables[2][seen].tolist())
        return RowUnits(out[0], out[1], out[2], out[3], present, identity, rows, by_block, statuses)
    at = np.where(param_index >= 0, param_index, len(names))
    cols = np.where(ucodes >= 0, ucodes, len(uuniques))
    return RowUnits(scale[at, cols], offset[at, cols], status[at, cols], key[at, cols])
