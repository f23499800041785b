"""The compiled evaluator (aegrade.grading.compiled) against the general one, bit for bit.

Synthetic observations cover every parameter, unit and direction of the packaged CTCAE
v4.03, v5.0 and v6.0 files, with values on, just beside and away from every threshold
(fixed, per printed unit, multiples of LLN/ULN and of the baseline, percent changes), and
missing values, ranges and baselines; both engines must give the same frame.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aegrade.criteria import load_ctcae
from aegrade.criteria.ctcae import Compare
from aegrade.criteria.units import registry
from aegrade.grading.compiled import compilable, evaluate_entry
from aegrade.grading.labs import assemble_grades, grade_prepared
from aegrade.prepare.observations import Prepared, prepare_observations

VERSIONS = ("ctcae-v4.03", "ctcae-v5.0", "ctcae-v6.0")
#: relative offsets from a threshold: on it, inside the 1e-12 tolerance, just beyond, away
EPS = np.array([0.0, 0.0, 0.0, 1e-13, -1e-13, 1e-11, -1e-11, 1e-6, -1e-6, 0.05, -0.05, 0.5])


@cache
def _catalogue() -> tuple[list[tuple[str, str]], dict[str, list[float]], dict[str, list[float]]]:
    """(parameter, unit) pairs of every entry; per parameter, thresholds in each unit; the
    multiples of each reference used anywhere."""
    reg = registry()
    pairs: set[tuple[str, str]] = set()
    absolute: dict[str, set[float]] = {}
    factors: dict[str, set[float]] = {"lln": set(), "uln": set(), "baseline": set(), "pchg": set()}
    for version in VERSIONS:
        for entry in load_ctcae(version).entries:
            for code in entry.parameters:
                param = reg.parameters[code]
                units = [param.unit, *param.conversions]
                if param.unit in ("ratio", "none"):
                    units = ["U/L", "ratio"]
                pairs.update((code, u) for u in units)
                for grade in entry.grades.values():
                    for clause in grade.rules:
                        for cond in clause.all:
                            if not isinstance(cond, Compare):
                                continue
                            if cond.ref != "absolute":
                                factors[cond.ref].add(cond.factor)
                            elif cond.lhs == "pchg":
                                factors["pchg"].add(float(cond.threshold))  # type: ignore[arg-type]
                            else:
                                spec = cond.threshold
                                numbers = spec.values() if isinstance(spec, dict) else [spec]
                                absolute.setdefault(code, set()).update(map(float, numbers))
    return (
        sorted(pairs),
        {k: sorted(v) for k, v in absolute.items()},
        {k: sorted(v) for k, v in factors.items()},
    )


def synthetic(n: int, seed: int, *, extras: bool) -> pd.DataFrame:
    """``n`` observations over every (parameter, unit) pair, values near every threshold.

    ``extras`` adds the columns that send entries to the general evaluator (specimen,
    anticoagulation, a baseline indicator) and given percent changes.
    """
    rng = np.random.default_rng(seed)
    reg = registry()
    pairs, absolute, factors = _catalogue()
    pick = rng.integers(0, len(pairs), n)
    code = np.array([p[0] for p in pairs], dtype=object)[pick]
    unit = np.array([p[1] for p in pairs], dtype=object)[pick]
    scale = np.ones(n)
    offset = np.zeros(n)
    for i, (c, u) in enumerate(pairs):
        conv = reg.parameters[c].conversions.get(u)
        if conv is not None:
            scale[pick == i], offset[pick == i] = conv.scale, conv.offset
    # reference range in the canonical unit, then in the row's unit
    lo_can = np.empty(n)
    hi_can = np.empty(n)
    for c in sorted(set(code)):
        rows = code == c
        ref = reg.parameters[c].reference
        (a, b), (d, e) = ref if ref is not None else ((1.0, 50.0), (60.0, 200.0))
        lo_can[rows] = rng.uniform(a, b, rows.sum())
        hi_can[rows] = rng.uniform(d, e, rows.sum())
    lln = np.round(lo_can / scale - offset, 3)
    uln = np.round(hi_can / scale - offset, 3)
    baseline = np.round(rng.uniform(0.5, 1.5, n) * (lln + uln) / 2, 2)
    eps = EPS[rng.integers(0, len(EPS), n)]
    mode = rng.integers(0, 6, n)
    value = rng.uniform(0.0, 3.0, n) * uln  # mode 5: anywhere
    for k, ref in ((1, uln), (2, lln), (3, baseline)):
        f = np.array(factors[("uln", "lln", "baseline")[k - 1]])
        sel = mode == k
        value[sel] = ref[sel] * f[rng.integers(0, len(f), sel.sum())]
    sel = mode == 4
    p = np.array(factors["pchg"])
    value[sel] = baseline[sel] * (1 + p[rng.integers(0, len(p), sel.sum())] / 100)
    for c in sorted(
        set(code)
    ):  # mode 0: fixed thresholds, as printed (in their own unit or converted)
        sel = (mode == 0) & (code == c)
        numbers = np.array(absolute.get(c, [1.0]))
        chosen = numbers[rng.integers(0, len(numbers), sel.sum())]
        convert = rng.random(sel.sum()) < 0.5
        value[sel] = np.where(convert, chosen / scale[sel] - offset[sel], chosen)
    value = value * (1 + eps)
    # missing inputs
    value[rng.random(n) < 0.04] = np.nan
    lln[rng.random(n) < 0.08] = np.nan
    uln[rng.random(n) < 0.08] = np.nan
    baseline[rng.random(n) < 0.5] = np.nan  # derived from day <= 0 where not given
    frame = pd.DataFrame(
        {
            "subject_id": rng.integers(0, max(n // 40, 1), n).astype(str),
            "day": rng.integers(-4, 30, n).astype(float),
            "parameter": code,
            "value": value,
            "unit": unit,
            "lln": lln,
            "uln": uln,
            "baseline": baseline,
        }
    )
    frame.loc[rng.random(n) < 0.02, "unit"] = None
    if extras:
        pchg = np.round(rng.choice(np.array([*factors["pchg"], 0.0, 12.5]), n), 6)
        frame["pchg"] = np.where(rng.random(n) < 0.3, pchg, np.nan)
        frame["baseline_indicator"] = rng.choice(
            np.array(["HIGH", "LOW", "NORMAL", "", None], dtype=object), n
        )
        frame["anticoagulated"] = rng.choice(np.array(["yes", "no", None], dtype=object), n)
        frame["specimen"] = rng.choice(
            np.array([None, None, "serum", "plasma", "urine"], dtype=object), n
        )
    return frame


@cache
def _frames() -> dict[str, pd.DataFrame]:
    return {
        "plain": synthetic(150_000, 1, extras=False),
        "extras": synthetic(50_000, 2, extras=True),
    }


@cache
def _prepared(frame: str) -> Prepared:
    return prepare_observations(_frames()[frame], errors="coerce")


@pytest.mark.parametrize("frame", ["plain", "extras"])
@pytest.mark.parametrize("criteria", VERSIONS)
@pytest.mark.parametrize("ambiguous", ["worse", "lower"])
def test_compiled_equals_general(frame: str, criteria: str, ambiguous: str) -> None:
    data, prep = _frames()[frame], _prepared(frame)
    general = grade_prepared(prep, criteria, ambiguous=ambiguous, engine="general")  # type: ignore[arg-type]
    compiled = grade_prepared(prep, criteria, ambiguous=ambiguous)  # type: ignore[arg-type]
    for a, b in zip(general[1:], compiled[1:], strict=True):
        for name in ("grade", "label", "rule", "review", "term"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    want, got = assemble_grades(data, prep, *general), assemble_grades(data, prep, *compiled)
    if (frame, criteria, ambiguous) == ("extras", "ctcae-v5.0", "worse"):
        pd.testing.assert_frame_equal(want, got)  # element by element: slow on categoricals
    else:
        _assert_same_frame(want, got)


def _assert_same_frame(want: pd.DataFrame, got: pd.DataFrame) -> None:
    """assert_frame_equal, categorical columns compared by categories (in order) and codes."""
    cats = [c for c in want.columns if isinstance(want[c].dtype, pd.CategoricalDtype)]
    for c in cats:
        assert isinstance(got[c].dtype, pd.CategoricalDtype), c
        pd.testing.assert_index_equal(want[c].cat.categories, got[c].cat.categories)
        np.testing.assert_array_equal(want[c].cat.codes, got[c].cat.codes, err_msg=c)
    pd.testing.assert_frame_equal(want.drop(columns=cats), got.drop(columns=cats))


def test_the_synthetic_rows_reach_every_grade_and_reason() -> None:
    # the comparison above means something only if the rows hit the rules: every grade of
    # every direction, and the missing-input reasons
    prep = _prepared("plain")
    plan, low, high = grade_prepared(prep, "ctcae-v5.0")
    assert set(np.unique(low.grade)) == {-1, 0, 1, 2, 3, 4}
    assert set(np.unique(high.grade)) >= {-1, 0, 1, 2, 3, 4}
    used = {plan.labels[x] for x in np.unique(np.r_[low.label, high.label]) if x >= 0}
    for text in ("value missing", "reference range (LLN/ULN) missing", "baseline missing"):
        assert any(text in u for u in used), text
    graded = {plan.rules[r].split("/")[1] for r in np.unique(np.r_[low.rule, high.rule]) if r >= 0}
    entries = {e.id for e in load_ctcae("ctcae-v5.0").entries}
    assert len(graded) >= 0.8 * len(entries)
    assert low.review.any() and high.review.any()


def test_most_packaged_entries_are_compiled() -> None:
    # the general evaluator keeps only the rare shapes: anticoagulation, durations, specimens
    for version in VERSIONS:
        cs = load_ctcae(version)
        from aegrade.grading.labs import _plan  # the compiled plan of the version

        plans = {id(p): p for p in _plan(cs.id, "worse").by_param.values()}.values()
        general = sorted(p.entry.id for p in plans if not compilable(p))
        assert len(general) <= 8, general
        assert all(p.compiled == compilable(p) for p in plans)


@settings(max_examples=150, deadline=None)
@given(
    pair=st.sampled_from(_catalogue()[0]),
    criteria=st.sampled_from(VERSIONS),
    ambiguous=st.sampled_from(["worse", "lower"]),
    value=st.floats(min_value=0.0, max_value=1e4, allow_nan=False),
    eps=st.sampled_from(list(EPS)),
    lln=st.one_of(st.none(), st.floats(min_value=0.01, max_value=500)),
    uln=st.one_of(st.none(), st.floats(min_value=0.01, max_value=5000)),
    baseline=st.one_of(st.none(), st.floats(min_value=0.01, max_value=5000)),
)
def test_compiled_equals_general_on_boundaries(
    pair, criteria, ambiguous, value, eps, lln, uln, baseline
) -> None:
    # values exactly on a multiple of the row's ULN, LLN or baseline, and arbitrary values
    code, unit = pair
    values = [value]
    for ref in (lln, uln, baseline):
        if ref is not None:
            values += [
                ref * f * (1 + eps) for f in (0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 20.0)
            ]
    data = pd.DataFrame(
        {
            "parameter": code,
            "value": values,
            "unit": unit,
            "lln": lln,
            "uln": uln,
            "baseline": baseline,
        }
    )
    prep = prepare_observations(data, errors="coerce")
    general = grade_prepared(prep, criteria, ambiguous=ambiguous, engine="general")
    compiled = grade_prepared(prep, criteria, ambiguous=ambiguous)
    pd.testing.assert_frame_equal(
        assemble_grades(data, prep, *general), assemble_grades(data, prep, *compiled)
    )


def test_evaluate_entry_matches_its_example() -> None:
    from types import SimpleNamespace

    from aegrade.criteria.ctcae import Clause
    from aegrade.grading.predicates import Rows

    clause = Clause.model_validate({"op": "lt", "ref": "lln", "factor": 0.5})
    rules = SimpleNamespace(
        entry=SimpleNamespace(unit="g/L", no_grade_zero=None),
        clauses=[(2, 1, clause, 9, 0)],
        grade0_label=8,
        missing_labels={"value": 2, "range": 3, "baseline": 4, "time": 5},
        needs={"lln"},
    )
    rows = Rows(value=np.array([40.0, 60.0, np.nan]), lln=np.array([100.0, 100.0, 100.0]))
    label, review = evaluate_entry(rules, rows, [])
    # 40 < 50 holds (grade 2, alternative 1: reviewed); 60 is grade 0; no value: ungraded
    assert label.tolist() == [9, 8, 2]
    assert review.tolist() == [True, False, False]


def test_unknown_engine_is_refused() -> None:
    prep = prepare_observations(
        pd.DataFrame({"parameter": ["PLAT"], "value": [40.0], "unit": ["10^9/L"]})
    )
    with pytest.raises(ValueError, match="engine"):
        grade_prepared(prep, "5.0", engine="fast")  # type: ignore[arg-type]


@pytest.mark.parametrize("op", ["lt", "le", "gt", "ge"])
def test_array_comparison_is_predicates_compare(op: str) -> None:
    from aegrade.grading.compiled import _compare_array
    from aegrade.grading.predicates import compare

    rng = np.random.default_rng(3)
    special = np.array([0.0, -0.0, np.nan, np.inf, -np.inf, 1e308, 5e-324, 97.95, 1.5 * 65.3])
    lhs = np.r_[rng.choice(special, 500), rng.normal(0, 100, 500)]
    rhs = np.r_[rng.choice(special, 500), lhs[500:] * (1 + rng.choice(EPS, 500))]
    with np.errstate(all="ignore"):  # inf - inf, 1e308 overflows: as in compare
        got, want = _compare_array(op, lhs, rhs.copy()), compare(op, lhs, rhs)
    np.testing.assert_array_equal(got, want)
    assert got.any() and not got.all()
    with pytest.raises(ValueError, match="unknown comparison"):
        _compare_array("eq", lhs, rhs.copy())


@pytest.mark.parametrize("engine", ["general", "compiled"])
def test_a_row_has_a_term_exactly_where_it_has_a_label(engine: str) -> None:
    # issue 15: assemble_grades reads "no criteria" and the criteria column from the label
    # pairs, not from the term columns: the same rows on both engines
    data, prep = _frames()["extras"], _prepared("extras")
    plan, low, high = grade_prepared(prep, "ctcae-v5.0", engine=engine)  # type: ignore[arg-type]
    for d in (low, high):
        np.testing.assert_array_equal(d.term >= 0, d.label >= 0)
    graded = assemble_grades(data, prep, plan, low, high)
    has_term = (low.term >= 0) | (high.term >= 0)
    assert 0 < has_term.sum() < len(has_term)
    np.testing.assert_array_equal(graded["criteria"].notna().to_numpy(), has_term)
    no_criteria = plan.labels[plan.no_criteria_label]
    reason = graded["reason"].astype(object).to_numpy()
    np.testing.assert_array_equal(reason[~has_term & ~prep.has_error] == no_criteria, True)
    assert not (reason[has_term] == no_criteria).any()


def _one_laboratory(n: int, seed: int) -> pd.DataFrame:
    """Rows in each parameter's canonical unit with one reference range per parameter and no
    missing value: the shape where a group's thresholds are all numbers, values on and
    around every threshold (absolute, and multiples of the LLN and ULN)."""
    rng = np.random.default_rng(seed)
    reg = registry()
    _, absolute, factors = _catalogue()
    codes = sorted({c for c, _ in _catalogue()[0]})
    pick = rng.integers(0, len(codes), n)
    code = np.array(codes, dtype=object)[pick]
    lln, uln = np.empty(len(codes)), np.empty(len(codes))
    for i, c in enumerate(codes):
        ref = reg.parameters[c].reference
        (a, b), (d, e) = ref if ref is not None else ((1.0, 50.0), (60.0, 200.0))
        lln[i], uln[i] = round((a + b) / 2, 3), round((d + e) / 2, 3)
    cuts = [
        np.array(
            sorted(
                {*absolute.get(c, [1.0])}
                | {lln[i] * f for f in factors["lln"]}
                | {uln[i] * f for f in factors["uln"]}
                | {uln[i] + 20.0, uln[i] + 40.0, uln[i] + 2.0, uln[i] + 4.0}
            )
        )
        for i, c in enumerate(codes)
    ]
    value = np.array([cuts[p][rng.integers(0, len(cuts[p]))] for p in pick])
    value *= 1 + EPS[rng.integers(0, len(EPS), n)]
    return pd.DataFrame(
        {
            "parameter": code,
            "value": value,
            "unit": [reg.parameters[c].unit for c in code],
            "lln": lln[pick],
            "uln": uln[pick],
        }
    )


@pytest.mark.parametrize("criteria", VERSIONS)
def test_nested_thresholds_counted_equal_general(
    criteria: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # issue 15: where a group's clauses are nested comparisons with numbers, the label is
    # read from how many hold; the same labels as clause by clause, on every boundary
    from aegrade.grading import compiled

    counted: list[bool] = []
    real = compiled._nested_labels

    def spy(*args: object) -> object:
        got = real(*args)  # type: ignore[arg-type]
        counted.append(got is not None)
        return got

    monkeypatch.setattr(compiled, "_nested_labels", spy)
    data = _one_laboratory(60_000, 3)
    prep = prepare_observations(data, errors="coerce")
    general = grade_prepared(prep, criteria, engine="general")
    got = grade_prepared(prep, criteria)
    for a, b in zip(general[1:], got[1:], strict=True):
        for name in ("grade", "label", "rule", "review", "term"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert sum(counted) >= 3  # groups whose labels were counted
    for d in got[1:]:
        assert {0, 1, 2, 3} <= set(np.unique(d.grade).tolist())


@pytest.mark.parametrize("k", [1, 2, 8, 9, 16])
def test_first_true_clause_by_bits_is_the_blend_from_the_least_severe_up(k: int) -> None:
    # issue 15: the label of the first clause that holds read from one bit per clause (one
    # byte up to 8 clauses, two up to 16) equals the labels written from the least severe up
    from types import SimpleNamespace

    from aegrade.grading.compiled import _blend, _first_true

    rng = np.random.default_rng(k)
    n = 3000
    rules = SimpleNamespace(clauses=[(k - j, -1, None, 100 + 7 * j, j) for j in range(k)])
    truths = [(rng.random(n) < 0.15, None) for _ in range(k)]
    want = np.full(n, -1, np.int32)
    step = np.empty(n, np.int32)
    for (_, _, _, lab, _), (true, _) in zip(rules.clauses[::-1], truths[::-1], strict=True):
        _blend(want, lab, true, step)
    label, open_ = _first_true(rules, truths, n)  # type: ignore[arg-type]
    assert label.dtype == np.int32
    np.testing.assert_array_equal(label, want)
    np.testing.assert_array_equal(open_, want < 0)
    assert open_.any() and (k == 1 or len(set(label.tolist())) == k + 1)


def test_seventeen_clauses_decided_everywhere_are_blended(monkeypatch: pytest.MonkeyPatch) -> None:
    # beyond 16 clauses no bit pattern table: the labels written clause by clause
    from types import SimpleNamespace

    from aegrade.criteria.ctcae import Clause
    from aegrade.grading import compiled
    from aegrade.grading.predicates import Rows

    cuts = [100.0 - j if j % 2 == 0 else 60.0 - j for j in range(17)]  # not nested
    clauses = [
        (1, -1, Clause.model_validate({"op": "gt", "ref": "absolute", "threshold": c}), j, 0)
        for j, c in enumerate(cuts)
    ]
    rules = SimpleNamespace(
        entry=SimpleNamespace(unit="g/L", no_grade_zero=None),
        clauses=clauses,
        grade0_label=40,
        missing_labels={"value": 41, "range": 42, "baseline": 43, "time": 44},
        needs=set(),
    )
    blended: list[bool] = []
    real = compiled._blend
    monkeypatch.setattr(compiled, "_blend", lambda *a: blended.append(True) or real(*a))
    value = np.array([101.0, 97.5, 58.5, 50.0, 43.0, 30.0])
    rows = Rows(value=value)
    label, review = evaluate_entry(rules, rows, [])  # type: ignore[arg-type]
    first = [next((j for j, c in enumerate(cuts) if v > c), 40) for v in value]
    assert label.tolist() == first == [0, 1, 3, 11, 40, 40] and not review.any()
    assert blended == [True] * 17  # clause by clause
