"""Benchmark: an AE table from 1,000,000 AE rows over 10,000 subjects (target < 1 s).

Run: .venv/bin/python benchmarks/bench_tables.py   (never part of the tests)
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from aegrade.tables import TableSpec, build_ae_table


def make_data(
    n_rows: int = 1_000_000, n_subjects: int = 10_000, n_terms: int = 80, seed: int = 1
) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ids = pd.array([f"S{i:05d}" for i in range(n_subjects)], dtype="string")
    subjects = pd.DataFrame({"subject_id": ids, "arm": rng.choice(["A", "B"], n_subjects)})
    terms = np.array([f"Term {k:02d}" for k in range(n_terms)], dtype=object)
    socs = np.array([f"SOC {k % 12:02d}" for k in range(n_terms)], dtype=object)
    t = rng.integers(0, n_terms, n_rows)
    ae = pd.DataFrame(
        {
            "subject_id": ids[rng.integers(0, n_subjects, n_rows)],
            "term": terms[t],
            "criteria": np.where(t < 4, "astct-2019", "ctcae-v5.0"),
            "grade": pd.array(rng.integers(1, 6, n_rows), dtype="Int64"),
            "onset": rng.uniform(0, 100, n_rows),
            "soc": socs[t],
        }
    )
    return ae, subjects


def timed(label: str, func, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    print(f"{label:<55} {best:6.3f} s")
    return best


def main() -> None:
    ae, subjects = make_data()
    print(f"{len(ae):,} AE rows, {len(subjects):,} subjects, {ae['term'].nunique()} terms")
    timed(
        "default table (terms by frequency, Any grade / >= 3)", lambda: build_ae_table(ae, subjects)
    )
    timed(
        "by arm with total", lambda: build_ae_table(ae, subjects, TableSpec(by="arm", total=True))
    )
    timed(
        "SOC rows, by arm, total",
        lambda: build_ae_table(ae, subjects, TableSpec(by="arm", total=True, soc=True)),
    )
    timed("events count", lambda: build_ae_table(ae, subjects, TableSpec(count="events")))


if __name__ == "__main__":
    main()
