"""The parameter and unit registry: aliases, conversions and their factors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aegrade.criteria.units import convert_columns, registry, resolve_codes


@pytest.mark.parametrize(
    ("alias", "code"),
    [
        ("ALKPH", "ALP"),
        ("potas", "K"),
        ("CHOLES", "CHOL"),
        ("LYMPH", "LYM"),
        ("GLUCF", "GLUCFAST"),
        ("anc", "NEUT"),
        ("PLT", "PLAT"),
        ("Temp", "TEMP"),
        ("IL-6", "IL6"),
        ("FIBRINOG", "FIBRINO"),
    ],
)
def test_aliases(alias: str, code: str) -> None:
    assert resolve_codes(pd.Series([alias])).iloc[0] == code


@pytest.mark.parametrize(
    ("code", "unit", "value", "canonical"),
    [
        ("HGB", "g/dL", 10.0, 100.0),
        ("HGB", "mmol/L", 6.2, 99.9099),
        ("NEUT", "cells/uL", 1500, 1.5),
        ("NEUT", "/mm3", 500, 0.5),
        ("PLAT", "10^3/uL", 75, 75),
        ("WBC", "GI/L", 3.0, 3.0),
        ("CREAT", "mg/dL", 1.0, 88.4017),
        ("BILI", "mg/dL", 1.0, 17.104),
        ("CA", "mg/dL", 8.0, 1.99611),
        ("GLUC", "mg/dL", 180.156, 10.0),
        ("MG", "mg/dL", 2.4305, 1.0),
        ("URATE", "mg/dL", 10.0, 594.849),
        ("CHOL", "mg/dL", 386.65, 10.0),
        ("TRIG", "mg/dL", 885.4, 10.0),
        ("ALB", "g/dL", 3.0, 30.0),
        ("FIBRINO", "mg/dL", 50, 0.5),
        ("TEMP", "degF", 100.4, 38.0),
        ("TEMP", "°F", 212, 100.0),
        ("CRP", "mg/dL", 3.0, 30.0),
    ],
)
def test_conversion(code, unit, value, canonical) -> None:
    scale, offset, status, _ = convert_columns(pd.Series([code]), pd.Series([unit]))
    assert status[0] == 0
    assert (value + offset[0]) * scale[0] == pytest.approx(canonical, rel=1e-5)


def test_unknown_and_missing_units_are_flagged() -> None:
    _, _, status, _ = convert_columns(
        pd.Series(["HGB", "HGB", "ALT", "XYZ"]), pd.Series(["furlongs", None, None, "g/L"])
    )
    assert status.tolist() == [2, 1, 0, 3]


def test_every_conversion_cites_a_source() -> None:
    for param in registry().parameters.values():
        for unit, conv in param.conversions.items():
            assert conv.source, (param.code, unit)
            assert np.isfinite(conv.scale) and conv.scale > 0


@pytest.mark.parametrize(
    ("unit", "value", "canonical"),
    [
        ("x10E3/uL", 0.4, 0.4),
        ("K/mcL", 1.5, 1.5),
        ("x10^3/mm3", 2.0, 2.0),
        ("10*3/uL", 0.8, 0.8),  # UCUM "10*": ten to an arbitrary power
        ("10*9/L", 0.8, 0.8),
        ("thou/uL", 3.0, 3.0),
        ("Gpt/L", 0.4, 0.4),
        ("G/L", 0.4, 0.4),  # giga per litre beside a count
        ("/mcL", 400, 0.4),
        ("cells/mcL", 1500, 1.5),
    ],
)
def test_laboratory_count_spellings(unit: str, value: float, canonical: float) -> None:
    scale, offset, status, key = convert_columns(pd.Series(["NEUT"]), pd.Series([unit]))
    assert status.tolist() == [0]
    assert (value + offset[0]) * scale[0] == pytest.approx(canonical)
    assert registry().unit_names[key[0]] == registry().unit_of("NEUT", unit)


def test_g_per_litre_stays_grams_beside_a_mass_analyte() -> None:
    reg = registry()
    assert reg.unit_of("ALB", "G/L") == "g/L"
    assert reg.unit_of("HGB", "g/l") == "g/L"
    assert reg.unit_of("PLAT", "g/L") == "10^9/L"
    scale, _, status, _ = convert_columns(pd.Series(["ALB", "HGB"]), pd.Series(["G/L", "G/L"]))
    assert status.tolist() == [0, 0] and scale.tolist() == [1.0, 1.0]


def test_micro_and_equivalent_spellings() -> None:
    scale, _, status, _ = convert_columns(
        pd.Series(["CREAT", "K", "SODIUM", "CA"]), pd.Series(["mcmol/L", "mEq/L", "mEq/L", "mEq/L"])
    )
    assert status.tolist() == [0, 0, 0, 0]
    # mEq/L equals mmol/L for the monovalent K+ and Na+ only; Ca2+ is halved
    assert scale.round(6).tolist()[1:] == [1.0, 1.0, 0.5]
    assert registry().canonical_unit("mcmol/L") == "umol/L"


def test_cdisc_codes_without_criteria_take_any_unit() -> None:
    _, _, status, _ = convert_columns(
        pd.Series(["BUN", "HCT", "CL"]), pd.Series(["mg/dL", "%", ""])
    )
    assert status.tolist() == [0, 0, 0]
    assert registry().resolve_code("UREAN") == "BUN"


def test_convert_indexed_flat_gathers_equal_the_2d_lookup() -> None:
    # issue 15: one flat index in blocks (no-unit column first, parameter -1 the last row);
    # a parameter index below -1 takes the 2-D lookup, which must give the same rows
    import numpy as np
    import pandas as pd

    from aegrade.criteria.units import convert_indexed, registry

    names = sorted(registry().parameters)
    rng = np.random.default_rng(0)
    n = 150_000  # more than one block
    pi = rng.integers(-1, len(names), n)
    spellings = ["g/dL", "mg/dL", "10^9/L", "/mm3", "degF", None, "", "xx", "mmol/L", "G/L"]
    units = pd.Series(rng.choice(np.array(spellings, dtype=object), n))
    flat = convert_indexed(pi, names, units)
    pi2 = pi.copy()
    pi2[0] = -2
    two_d = convert_indexed(pi2, names, units)
    for got, want in zip(flat, two_d, strict=True):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got[1:], want[1:])
    assert (flat[2] == 0).any() and (flat[2] == 2).any() and (flat[2] == 3).any()


def test_lookups_in_blocks_on_threads_are_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    from aegrade import threads
    from aegrade.criteria.units import convert_indexed, parameter_index

    monkeypatch.setattr(threads, "SMALLEST_BLOCK", 4)
    names = sorted(registry().parameters)
    params = pd.Series(["HGB", "anc", "xyz", "TEMP", None, "PLAT", "HGB", "CA"] * 5)
    units = pd.Series(["g/dL", "/mm3", "mg", "degF", None, "10^9/L", "furlongs", "mg/dL"] * 5)
    serial = parameter_index(params, names)
    threaded = parameter_index(params, names, threads=2)
    assert serial.tolist() == threaded.tolist() and (serial == -1).sum() == 10
    one = convert_indexed(serial, names, units)
    two = convert_indexed(serial, names, units, threads=2)
    for a, b in zip(one, two, strict=True):
        np.testing.assert_array_equal(a, b)
    assert one[0][0] == 10.0 and one[2].tolist()[:8] == [0, 0, 3, 0, 3, 0, 2, 0]


def test_convert_rows_tells_the_units_present_and_whether_any_row_converts() -> None:
    # issue 15: read from the one count of (parameter, unit) pairs, never from another pass
    from aegrade.criteria.units import convert_rows

    names = sorted(registry().parameters)
    rng = np.random.default_rng(1)
    n = 90_000
    pi = rng.integers(-1, len(names), n)
    spellings = ["g/dL", "mg/dL", "10^9/L", "/mm3", "degF", None, "", "xx", "mmol/L", "G/L"]
    units = pd.Series(rng.choice(np.array(spellings, dtype=object), n))
    got = convert_rows(pi, names, units, threads=2)
    assert got.present is not None and not got.identity and got.counts is not None
    assert got.counts.tolist() == np.bincount(pi + 1, minlength=len(names) + 1).tolist()
    for i in range(len(names)):
        keys = got.unit_key[pi == i]
        assert got.present[i] == frozenset(keys[keys >= 0].tolist())
    for a, b in zip(
        (got.scale, got.offset, got.status, got.unit_key),
        convert_columns(pd.Series(np.array([*names, None], dtype=object)[pi]), units),
        strict=True,
    ):
        np.testing.assert_array_equal(a, b)
    # every row in its canonical unit: no conversion anywhere, and the same scale column
    canon = pd.Series(["g/L", "10^9/L", "g/L", None])
    same = convert_rows(
        np.array([names.index("HGB"), names.index("PLAT"), names.index("HGB"), -1]), names, canon
    )
    assert same.identity and same.scale.tolist() == [1.0, 1.0, 1.0, 1.0]
    assert same.offset.tolist() == [0.0] * 4 and same.status.tolist() == [0, 0, 0, 3]
    unit_names = registry().unit_names
    assert same.present[names.index("HGB")] == {unit_names.index("g/L")}
    assert same.present[names.index("NEUT")] == frozenset()
    # one row in g/dL: the scale differs from 1 there
    mixed = convert_rows(np.array([names.index("HGB")] * 2), names, pd.Series(["g/L", "g/dL"]))
    assert not mixed.identity and mixed.scale.tolist() == [1.0, 10.0]


def test_parameter_index_and_pair_counts_in_blocks_on_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # issue 15: a categorical's small codes gathered in pieces, the (parameter, unit) pairs
    # counted per block of rows: the same as one pass, on any threads and blocks
    from aegrade import threads
    from aegrade.criteria import units

    monkeypatch.setattr(threads, "SMALLEST_BLOCK", 5)
    rng = np.random.default_rng(2)
    n = 300_000  # more than one piece of 64k rows
    words = np.array(["HGB", "ANC", "PLT", "xyz", None], dtype=object)
    column = pd.Series(words[rng.integers(0, 5, n)])
    unit = pd.Series(np.array(["g/L", "g/dL", None], dtype=object)[rng.integers(0, 3, n)])
    names = ["HGB", "NEUT", "PLAT"]
    want = units.parameter_index(column, names)  # object codes: one gather
    assert want.dtype == np.int64 and set(want.tolist()) == {-1, 0, 1, 2}
    plain = units.convert_rows(want, names, unit)  # one pass, no counts per block
    assert plain.block_counts is None and (plain.scale == 10.0).any()
    for workers in (1, 3):
        got = units.parameter_index(column.astype("category"), names, threads=workers)
        np.testing.assert_array_equal(got, want)
        rows = units.convert_rows(want, names, unit, threads=workers, block_rows=70_000)
        assert rows.block_counts is not None and rows.counts is not None
        assert rows.block_counts.shape == (5, len(names) + 1)
        for k, count in enumerate(rows.block_counts):
            part = want[k * 70_000 : (k + 1) * 70_000] + 1
            assert count.tolist() == np.bincount(part, minlength=len(names) + 1).tolist()
        assert rows.counts.tolist() == rows.block_counts.sum(axis=0).tolist()
        for a, b in zip(_four(rows), _four(plain), strict=True):
            np.testing.assert_array_equal(a, b)


def _four(rows: object) -> list[np.ndarray]:
    return [getattr(rows, name) for name in ("scale", "offset", "status", "unit_key")]


def test_statuses_present_and_one_number_columns_written_in_blocks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # issue 15: the statuses some row has come from the pair count (no pass over the rows);
    # a column that is one number on every pair present (zeros too) is written in the blocks
    # of rows, the same on any threads; a parameter index below -1 found in a later block
    # still takes the 2-D lookup
    from aegrade import threads
    from aegrade.criteria.units import convert_indexed, convert_rows

    monkeypatch.setattr(threads, "SMALLEST_BLOCK", 5)
    names = ["HGB", "NEUT", "PLAT"]
    pi = np.array([0, 2, 0, 1, 2, 0, 1, 2, 0, 0, 1, 2] * 3)
    canon = pd.Series(np.array(["g/L", "10^9/L", "10^9/L"], dtype=object)[np.maximum(pi, 0)])
    for workers in (1, 2, 3):
        same = convert_rows(pi, names, canon, threads=workers)
        assert same.statuses == frozenset({0}) and same.identity
        assert same.offset.tolist() == [0.0] * len(pi) and same.status.tolist() == [0] * len(pi)
        assert not np.signbit(same.offset).any() and same.scale.tolist() == [1.0] * len(pi)
        units = canon.copy()
        units[3], units[7] = None, "furlongs"
        odd = convert_rows(
            np.where(np.arange(len(pi)) == 20, -1, pi), names, units, threads=workers
        )
        assert odd.statuses == frozenset({0, 1, 2, 3})
        assert odd.status.tolist()[:8] == [0, 0, 0, 1, 0, 0, 0, 2] and odd.status[20] == 3
        below = pi.copy()
        below[30] = -2  # in a later block: the flat index is refused there, the 2-D one taken
        got = convert_rows(below, names, units, threads=workers)
        assert got.counts is None and got.statuses is None
        want = convert_indexed(np.where(below < -1, -1, below), names, units)
        for a, b in zip(_four(got), want, strict=True):
            np.testing.assert_array_equal(a, b)
