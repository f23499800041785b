"""prepare_observations: row errors kept as codes, columns built only where needed (issue 15)."""

from __future__ import annotations

from dataclasses import fields, replace

import numpy as np
import pandas as pd
import pytest

import aegrade.prepare.observations as observations
from aegrade import threads
from aegrade.errors import Reason
from aegrade.prepare.labchecks import Skips
from aegrade.prepare.observations import prepare_observations


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "subject_id": ["1", "1", "2", "2", "3"],
            "day": [0.0, 2.0, 0.0, 1.0, "x"],
            "parameter": ["PLAT", "Neut %", "HGB", "HGB", "PLAT"],
            "value": [200.0, 5.0, 120.0, 90.0, 50.0],
            "unit": ["10^9/L", "%", "g/L", "g/L", "10^9/L"],
        }
    )


def test_row_errors_are_codes_into_distinct_texts() -> None:
    prep = prepare_observations(_frame(), errors="coerce")
    assert prep.error_code.dtype == np.int32
    assert prep.has_error.tolist() == [False, True, False, False, True]
    errors = prep.row_error.tolist()
    assert errors[0] is None and errors[2] is None and errors[3] is None
    assert errors[1].startswith("not graded: unknown_parameter (test name 'Neut %'")
    assert errors[4].startswith("not graded: unreadable_day")
    assert sorted(prep.error_texts) == sorted({errors[1], errors[4]})
    assert prep.code.tolist() == ["PLAT", None, "HGB", "HGB", "PLAT"]


def test_a_failure_wins_over_a_skip_on_the_same_row() -> None:
    data = _frame()
    data.loc[1, "day"] = "y"  # the unknown test name is also on an unreadable day
    prep = prepare_observations(data, errors="coerce")
    assert prep.row_error[1].startswith("not graded: unreadable_day")


def test_a_row_subset_keeps_errors_aligned() -> None:
    # hematology grades a subset through dataclasses.replace on every row-aligned array
    prep = prepare_observations(_frame(), errors="coerce")
    rows = np.array([4, 0, 1])
    changes = {
        f.name: getattr(prep, f.name)[rows]
        for f in fields(prep)
        if isinstance(getattr(prep, f.name), np.ndarray)
        and getattr(prep, f.name).shape[:1] == (prep.n,)
    }
    part = replace(prep, n=len(rows), **changes)
    assert part.has_error.tolist() == [True, False, True]
    assert part.row_error.tolist() == [prep.row_error[4], None, prep.row_error[1]]


def test_absent_columns_build_no_arrays() -> None:
    prep = prepare_observations(_frame(), errors="coerce")
    assert prep.anticoagulated is None and prep.baseline_flag is None
    assert prep.specimen is None and prep.censor_side is None and prep.censor_limit is None
    # the baseline is still derived (day <= 0) and the percent change computed from it
    assert prep.baseline[:4].tolist()[::2] == [200.0, 120.0]
    assert prep.pchg[3] == (90.0 - 120.0) / 120.0 * 100.0


def test_skips_keep_the_first_reason_and_only_the_skipped_rows() -> None:
    skip = Skips(4)
    skip.put(np.array([False, True, False, False]), Reason.NO_RESULT, "no result")
    skip.put(np.array([False, True, True, False]), Reason.UNIT_MISMATCH, np.array(list("abcd")))
    assert skip.mask.tolist() == [False, True, True, False]
    at, message = skip.rows(Reason.UNIT_MISMATCH)
    assert at.tolist() == [2] and message.tolist() == ["c"]
    at, text = skip.reasons()
    assert at.tolist() == [1, 2]
    assert text.tolist() == [
        "not graded: no_result (no result)",
        "not graded: unit_mismatch (c)",
    ]
    assert skip.texts(np.array([3, 2])).tolist() == [None, "not graded: unit_mismatch (c)"]
    assert Skips(2).texts(np.arange(2)).tolist() == [None, None]


def test_canonical_values_without_conversion_are_the_same_bits() -> None:
    # issue 15: where no row converts, (x + 0) * 1 is taken as x + 0.0 in one pass
    from aegrade.prepare.observations import _to_canonical

    x = np.array([-0.0, 0.0, 1.5, -2.25, np.nan, np.inf, -np.inf, 5e-324, 1e308])
    bad = np.zeros(len(x), bool)
    bad[3] = True
    for mask in (None, bad):
        fast = _to_canonical(x, None, None, mask, 1)
        slow = _to_canonical(x, np.zeros(len(x)), np.ones(len(x)), mask, 1)
        assert fast.tobytes() == slow.tobytes()
    assert not np.signbit(_to_canonical(x, None, None, None, 1)[0])  # -0.0 + 0.0 is 0.0


def test_units_present_are_those_of_the_rows() -> None:
    from aegrade.criteria.units import registry
    from aegrade.grading.labs import _units_present

    frame = _frame().assign(unit=["10^9/L", "%", "g/dL", "g/L", "/mm3"])
    prep = prepare_observations(frame, errors="coerce")
    assert prep.units_present is not None
    counted = _units_present(replace(prep, units_present=None), len(registry().unit_names))
    assert prep.units_present == counted
    units = registry().unit_names
    hgb, plat = prep.param_names.index("HGB"), prep.param_names.index("PLAT")
    assert prep.units_present[hgb] == {units.index("g/dL"), units.index("g/L")}
    assert prep.units_present[plat] == {units.index("10^9/L"), units.index("/mm3")}
    assert prep.param_rows == frozenset(np.unique(prep.param_index[prep.param_index >= 0]).tolist())
    assert prep.param_rows == {hgb, plat}


def test_one_range_per_parameter_is_found_and_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    # issue 15: a parameter every row of which holds one LLN (ULN) is graded without putting
    # that column in parameter order; a parameter with two ranges, or a missing one, is not
    from aegrade.prepare.observations import _constant_per_parameter

    frame = pd.DataFrame(
        {
            "parameter": ["PLAT", "HGB", "PLAT", "HGB", "NEUT", "NEUT", "ALT"],
            "value": [200.0, 120.0, 50.0, 90.0, 1.0, 2.0, 30.0],
            "unit": ["10^9/L", "g/L", "10^9/L", "g/L", "10^9/L", "10^9/L", "U/L"],
            "lln": [150.0, 120.0, 150.0, 130.0, 1.8, 1.8, 0.0],
            "uln": [400.0, 160.0, 400.0, 160.0, 7.5, np.nan, 40.0],
        }
    )
    prep = prepare_observations(frame)
    assert prep.ref_constants is not None
    at = {c: prep.param_names.index(c) for c in ("PLAT", "HGB", "NEUT", "ALT")}
    assert prep.ref_constants["lln"] == {at["PLAT"]: 150.0, at["NEUT"]: 1.8, at["ALT"]: 0.0}
    assert prep.ref_constants["uln"] == {at["PLAT"]: 400.0, at["HGB"]: 160.0, at["ALT"]: 40.0}
    # many rows (several blocks), parameter -1 and a parameter found late
    rng = np.random.default_rng(2)
    n = 200_000
    q = rng.integers(-1, 4, n)
    q[-1] = 5  # one row of parameter 5, in the last block
    column = np.array([1.0, 2.0, 3.0, 4.0, 0.0, 6.0])[q]
    column[q == 1] = rng.choice([2.0, 2.5], int((q == 1).sum()))
    column[q == 3] = np.nan
    counts = np.bincount(q + 1, minlength=7)
    want = [1.0, np.nan, 3.0, np.nan, np.nan, 6.0, np.nan]
    (got,) = _constant_per_parameter([column], q, counts)
    np.testing.assert_array_equal(got, want)
    monkeypatch.setattr(threads, "SMALLEST_BLOCK", 1000)  # blocks on two threads
    twice = _constant_per_parameter([column, column + 1.0], q, counts, 2)
    np.testing.assert_array_equal(twice[0], want)
    np.testing.assert_array_equal(twice[1], np.array(want) + 1.0)


def test_float_columns_are_read_without_copies_never_changed() -> None:
    # issue 15: value and day of float columns are read-only views of the caller's frame
    frame = _frame().assign(day=[0.0, 2.0, 0.0, 1.0, 4.0])
    before = frame.copy()
    prep = prepare_observations(frame, errors="coerce")
    assert not prep.raw_value.flags.writeable and not prep.day.flags.writeable
    assert np.shares_memory(prep.day, frame["day"].to_numpy())
    pd.testing.assert_frame_equal(frame, before)
    # the canonical values are preparation's own (rejected rows set to NaN there)
    assert not np.shares_memory(prep.value, frame["value"].to_numpy())
    assert np.isnan(prep.value[prep.has_error]).all() and prep.has_error.any()


def test_subject_codes_the_reader_kept_are_taken_not_made_again() -> None:
    """Text ids the reader coded (read.idcodes) give preparation those very codes, which are
    pd.factorize's of the same text; ids it did not code are factorized as before."""
    from aegrade.prepare.observations import _codes
    from aegrade.read.study import text_ids

    ids = text_ids(pd.Series([12, 5, 12, None, 7, 5], dtype="Int64"))
    taken = _codes(ids)
    assert taken.tolist() == [0, 1, 0, -1, 2, 1]
    assert taken.tolist() == pd.factorize(ids, use_na_sentinel=True)[0].tolist()
    assert not taken.flags.writeable  # the reader's own array
    fresh = _codes(pd.Series(["12", "5", "12", None, "7", "5"], dtype="string"))
    assert fresh.tolist() == taken.tolist() and fresh.flags.writeable


@pytest.mark.parametrize("workers", [1, 2, 3])
@pytest.mark.parametrize("identity", [True, False])
def test_canonical_ranges_and_each_parameters_one_range(
    monkeypatch: pytest.MonkeyPatch, workers: int, identity: bool
) -> None:
    # issue 15: the canonical LLN/ULN (-0.0 as 0.0) and each parameter's one range, on
    # tiny blocks and 1-3 threads, as converting and checking on one thread
    from aegrade.prepare.observations import _canonical_ranges, _constant_per_parameter

    monkeypatch.setattr(threads, "SMALLEST_BLOCK", 7)  # tiny blocks on the threads
    monkeypatch.setattr(observations, "_BLOCK", 5)
    rng = np.random.default_rng(7)
    n = 1_003
    q = rng.integers(-1, 5, n)
    lln = np.array([-0.0, 2.0, 3.0, 0.0, 5.0, 9.0])[q + 1]
    uln = lln + 10.0
    uln[q == 2] = rng.choice([13.0, -0.0], int((q == 2).sum()))
    lln[q == 4] = np.where(rng.random(int((q == 4).sum())) < 0.5, -0.0, 0.0)  # equal numbers
    offset = None if identity else np.where(q == 1, 0.5, 0.0)
    scale = None if identity else np.where(q == 3, 10.0, 1.0)
    bad = np.zeros(n, bool)
    bad[q == 1] = not identity
    counts = np.bincount(q + 1, minlength=6)
    convert = (offset, scale, bad if bad.any() else None)
    low, high, fixed = _canonical_ranges(lln, uln, q, counts, convert, workers)
    want_low = observations._to_canonical(lln, *convert, 1)
    want_high = observations._to_canonical(uln, *convert, 1)
    assert low.tobytes() == want_low.tobytes() and high.tobytes() == want_high.tobytes()
    assert not np.signbit(low).any()
    assert fixed is not None
    want = _constant_per_parameter([want_low, want_high], q, counts)
    for got, expected in zip(fixed, want, strict=True):
        assert got.tobytes() == expected.tobytes()
    assert fixed[0][4] == 0.0 and not np.signbit(fixed[0][4])  # -0.0 and 0.0: one range
    assert np.isnan(fixed[1][2])  # two ULNs: no one range
    none_low, none_high, none_fixed = _canonical_ranges(lln, uln, q, None, convert, workers)
    assert none_fixed is None and none_low.tobytes() == want_low.tobytes()
    assert none_high.tobytes() == want_high.tobytes()


@pytest.mark.parametrize("workers", [1, 2])
def test_values_converted_in_the_plausibility_pass_are_the_same_bits(
    monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    # issue 15: the canonical values written by the plausibility check's pass are those of
    # _to_canonical, and the rows it rejects are those of checking the converted column
    from aegrade.criteria.units import registry
    from aegrade.errors import Failures

    monkeypatch.setattr(threads, "SMALLEST_BLOCK", 7)
    monkeypatch.setattr(observations, "_BLOCK", 5)
    reg = registry()
    names = sorted(reg.parameters)
    hgb = names.index("HGB")
    raw = np.array([12.0, -0.0, 9000.0, np.nan, 14.0, -5.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    q = np.full(len(raw), hgb)
    q[6] = -1
    scale = np.full(len(raw), 10.0)
    offset = np.zeros(len(raw))
    bad = np.zeros(len(raw), bool)
    bad[4] = True
    skipped = np.zeros(len(raw), bool)
    cells = pd.Series(raw)
    fused_fails, plain_fails = Failures(), Failures()
    fused = np.empty(len(raw))
    observations._limit_failures(
        fused_fails, fused, skipped, q, names, reg, cells, "value", workers,
        source=raw, convert=(offset, scale, bad),
    )  # fmt: skip
    plain = observations._to_canonical(raw, offset, scale, bad, 1)
    observations._limit_failures(plain_fails, plain, skipped, q, names, reg, cells, "value")
    assert fused.tobytes() == plain.tobytes()
    assert not np.signbit(fused[1]) and np.isnan(fused[4])
    got, want = fused_fails.frame(by_row=True), plain_fails.frame(by_row=True)
    pd.testing.assert_frame_equal(got, want)
    # 0 (from -0.0: "0", never "-0"), 90000 and -50 g/L; 120 and 140 g/L are plausible
    assert len(got) == 3
    assert got["message"].str.startswith("HGB 0 g/L ").sum() == 1


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_reasons_and_rows_not_graded_on_threads(
    monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    # issue 15: the unknown names are skipped after the unit lookup (which counts them): a
    # row with an unknown name keeps that reason whatever else is wrong with it; the -1
    # codes are written in blocks of rows; without an input problem the rows not graded are
    # the skipped ones
    monkeypatch.setattr(threads, "SMALLEST_BLOCK", 2)
    frame = pd.DataFrame(
        {
            "subject_id": ["1"] * 6,
            "day": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0],
            "parameter": ["Neut %", "HGB", "xyz", "PLAT", "Neut %", "HGB"],
            "value": ["QNS", "QNS", "7", "50", "1", "900"],
            "unit": ["furlongs", "g/L", None, "10^9/L", "%", "g/L"],
        }
    )
    prep = prepare_observations(frame, errors="coerce", threads=workers)
    errors = prep.row_error.tolist()
    for row in (0, 2, 4):
        assert errors[row].startswith("not graded: unknown_parameter")
    assert errors[1].startswith("not graded: no_result") and errors[3] is None
    assert errors[5].startswith("not graded: implausible")
    assert prep.error_code.tolist()[3] == -1 and prep.has_error.tolist() == [
        True, True, True, False, True, True,
    ]  # fmt: skip
    clean = prepare_observations(frame.iloc[[0, 1, 2, 3]], errors="coerce", threads=workers)
    assert clean.failures.empty and clean.has_error.tolist() == [True, True, True, False]
    assert np.isnan(clean.value[:3]).all() and clean.value[3] == 50.0


def test_a_float_day_column_has_no_mask_of_bad_cells() -> None:
    # issue 15: a float column holds numbers or NaN only: no mask of cells built nor read
    day, bad = observations._numeric(pd.Series([0.0, np.nan, -1.5]))
    assert bad is None and np.isnan(day[1]) and not day.flags.writeable
    day, bad = observations._numeric(pd.Series([0, "x", None], dtype=object))
    assert bad is not None and bad.tolist() == [False, True, False]
