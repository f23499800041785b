"""The vectorised episode code against a plain pandas reference (groupby and a loop per group)
on randomized graded observations: ties on one day (with different rules), missing days,
baseline rows, single-row subjects, blank ids and episodes that touch."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aegrade.episodes.build import stable_order, unique_codes
from aegrade.episodes.labs import build_episodes, stack_directions
from aegrade.episodes.summary import summarize_subjects, worst_by_term

TERMS_LOW = ["Anemia", "Neutrophil count decreased", None]
TERMS_HIGH = ["Hyperkalemia", "Anemia", None]  # Anemia from both sides: one term


def _graded(seed: int, n: int = 600) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    subject = np.array([f"S{i:02d}" for i in rng.integers(0, 25, n)], dtype=object)
    subject[rng.random(n) < 0.03] = " "  # a blank id is no subject
    subject[:3] = ["ONE", "TWO", "TWO"]  # single-row and two-row subjects
    day = rng.integers(-3, 9, n).astype(float)  # few days: many ties
    day[rng.random(n) < 0.08] = np.nan
    frame = pd.DataFrame({"subject_id": pd.array(subject, dtype="string")})
    frame["criteria"] = pd.Categorical(rng.choice(["ctcae-v5.0", "ctcae-v4.03"], n))
    for side, terms in (("low", TERMS_LOW), ("high", TERMS_HIGH)):
        term = rng.choice(np.array(terms, dtype=object), n)
        grade = rng.choice([0.0, 0.0, 1.0, 2.0, 3.0, 4.0, np.nan], n)
        grade[pd.isna(term)] = np.nan
        rule = np.array(
            [
                None if pd.isna(g) or pd.isna(t) else f"{t}/{int(g)}/{'ab'[i % 2]}"
                for i, (t, g) in enumerate(zip(term, grade, strict=True))
            ],
            dtype=object,
        )  # same grade, two rules: the earliest row's rule must win
        frame[f"term_{side}"] = pd.Categorical(term)
        frame[f"rule_{side}"] = pd.Categorical(rule)
        frame[f"grade_{side}"] = pd.array(grade, dtype="Float64").astype("Int8")
    return frame, day


def _long_reference(graded: pd.DataFrame, day: np.ndarray) -> pd.DataFrame:
    parts = []
    for side in ("low", "high"):
        part = pd.DataFrame(
            {
                "row": np.arange(len(graded)),
                "side": side,
                "subject_id": graded["subject_id"].astype(object),
                "term": graded[f"term_{side}"].astype(object),
                "criteria": graded["criteria"].astype(object),
                "rule": graded[f"rule_{side}"].astype(object),
                "grade": graded[f"grade_{side}"].astype("Float64").to_numpy(float, na_value=np.nan),
                "day": day,
            }
        )
        parts.append(part[part["term"].notna()])
    long = pd.concat(parts, ignore_index=True)
    blank = long["subject_id"].isna() | (long["subject_id"].astype(str).str.strip() == "")
    return long.assign(subject_id=long["subject_id"].where(~blank, None))


def _episodes_reference(long: pd.DataFrame) -> pd.DataFrame:
    """The lab episode rule written plainly: per subject, term and system, rows in day order
    (worse grade first on one day, input order after); a run of grade >= 1 rows ends at a
    grade-0 row, which resolves it; kept when worse than the baseline grade (last graded day
    <= 0, the worse grade on that day)."""
    graded = long[long["grade"].notna() & long["subject_id"].notna()]
    rows = []
    for (sid, term, crit), g in graded.groupby(["subject_id", "term", "criteria"], sort=False):
        before = g[g["day"] <= 0]
        base = np.nan
        if len(before):
            last = before["day"].max()
            base = before.loc[before["day"] == last, "grade"].max()
        post = g[~(g["day"] <= 0)].copy()
        post["nan_day"] = post["day"].isna()
        post["neg"] = -post["grade"]
        post = post.sort_values(["nan_day", "day", "neg"], kind="stable")
        grades, days, rules = post["grade"].to_list(), post["day"].to_list(), post["rule"].to_list()
        i = 0
        while i < len(grades):
            if grades[i] < 1:
                i += 1
                continue
            j = i
            while j + 1 < len(grades) and grades[j + 1] >= 1:
                j += 1
            run = range(i, j + 1)
            worst = max(grades[k] for k in run)
            at = next(k for k in run if grades[k] == worst)
            run_days = [days[k] for k in run if not np.isnan(days[k])]
            onset = min(run_days) if run_days else np.nan
            end = max(run_days) if run_days else np.nan
            resolved = days[j + 1] if j + 1 < len(grades) else np.nan
            if np.isnan(base) or worst > base:
                rows.append(
                    (sid, term, crit, int(worst), onset, end, resolved, len(run), rules[at], base)
                )
            i = j + 1
    columns = ["subject_id", "term", "criteria", "grade", "onset", "end", "resolved_day"]
    columns += ["n_observations", "rule", "baseline_grade"]
    return pd.DataFrame(rows, columns=columns)


def _normalised(frame: pd.DataFrame) -> list[tuple[object, ...]]:
    out = frame.astype(object).where(frame.notna(), None)
    return sorted((tuple(r) for r in out.itertuples(index=False)), key=lambda r: tuple(map(str, r)))


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_build_episodes_matches_the_reference(seed: int) -> None:
    graded, day = _graded(seed)
    got = build_episodes(stack_directions(graded, day))
    want = _episodes_reference(_long_reference(graded, day))
    assert len(want) > 20  # the input does make episodes
    cols = list(want.columns)
    got = got[cols].assign(baseline_grade=got["baseline_grade"].astype("Float64"))
    assert _normalised(got) == _normalised(want)
    assert (got["duration"] if "duration" in got else got["end"] - got["onset"]).notna().any()


@pytest.mark.parametrize("seed", [0, 5])
def test_stack_directions_matches_the_reference(seed: int) -> None:
    graded, day = _graded(seed)
    long = stack_directions(graded, day)
    got = pd.DataFrame(
        {
            "subject_id": [None if c < 0 else long.subjects[c] for c in long.subject],
            "term": long.terms[long.term],
            "criteria": long.systems[long.criteria],
            "rule": [None if c < 0 else long.rules[c] for c in long.rule],
            "grade": long.grade,
            "day": long.day,
        }
    )
    want = _long_reference(graded, day).drop(columns=["row", "side"])
    want["subject_id"] = want["subject_id"].map(lambda s: None if s is None else str(s))
    assert got.astype(object).where(got.notna(), None).values.tolist() == (
        want.astype(object).where(want.notna(), None).values.tolist()
    )


@pytest.mark.parametrize("seed", [0, 7])
def test_worst_by_term_and_summary_match_the_reference(seed: int) -> None:
    graded, day = _graded(seed)
    long = stack_directions(graded, day)
    ref = _long_reference(graded, day)
    post = ref[ref["grade"].notna() & ref["subject_id"].notna() & ~(ref["day"] <= 0)]
    want = post.groupby(["subject_id", "term", "criteria"], as_index=False)["grade"].max()
    got = worst_by_term(long)
    assert _normalised(got.assign(grade=got["grade"].astype(float))) == _normalised(want)
    subjects = pd.DataFrame({"subject_id": ["ONE", "TWO", "S03", "NONE"]})
    ae = pd.DataFrame({"source": pd.Series([], dtype=object)})
    summary = summarize_subjects(subjects, ae, graded, long)
    counts = graded["subject_id"].astype(str).value_counts()
    assert summary["n_observations"].tolist() == [
        int(counts.get(s, 0)) for s in ["ONE", "TWO", "S03", "NONE"]
    ]
    one = want[want["subject_id"] == "ONE"]
    for _, r in one.iterrows():
        assert summary.loc[0, f"{r['term']} [{r['criteria']}]"] == r["grade"]


@pytest.mark.parametrize("seed", [0, 1])
def test_stable_order_and_unique_codes_match_numpy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for high in (3, 1000, 2**40):
        key = rng.integers(0, high, 5000)
        assert stable_order(key).tolist() == np.argsort(key, kind="stable").tolist()
        keys, code = unique_codes(key)
        want_keys, want_code = np.unique(key, return_inverse=True)
        assert keys.tolist() == want_keys.tolist()
        assert code.tolist() == want_code.reshape(-1).tolist()
    big = np.array([2**62, 0, 2**62])  # too large to widen: the stable argsort
    assert stable_order(big).tolist() == [1, 0, 2]
    assert stable_order(np.zeros(0, np.int64)).tolist() == []
