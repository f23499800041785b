"""Benchmark of summarize_hematology: 10,000 subjects x 100 days (target: under 3 s).

Run: .venv/bin/python benchmarks/bench_hematology.py [n_subjects] [n_days]

Each subject has a daily ANC (cells/uL) and a daily temperature (degC), and weekly platelets,
hemoglobin, WBC, lymphocytes, CRP, ferritin and IL-6 from day -3 on. The timed call starts from
an already-built observations DataFrame (reading files is not timed).
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from aegrade.grading.hematology import summarize_hematology
from aegrade.read.study import load_study

WEEKLY = {
    "PLAT": ("10^9/L", 150.0),
    "HGB": ("g/dL", 11.0),
    "WBC": ("10^9/L", 5.0),
    "LYM": ("10^9/L", 1.0),
    "CRP": ("mg/L", 20.0),
    "FERRITIN": ("ng/mL", 800.0),
    "IL6": ("pg/mL", 30.0),
}


def build(n_subjects: int, n_days: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ids = np.array([f"S{i:05d}" for i in range(n_subjects)], dtype=object)
    days = np.arange(-3, n_days - 3, dtype=float)
    sid = np.repeat(ids, len(days))
    day = np.tile(days, n_subjects)
    depth = rng.uniform(0.02, 1.5, n_subjects).repeat(len(days))
    anc = np.clip(2000 * (1 - depth * np.exp(-(((day - 10) / 12) ** 2))), 0, None)
    anc = np.round(anc * rng.uniform(0.8, 1.2, len(anc)))
    temp = np.round(36.8 + rng.gamma(1.0, 0.4, len(day)), 1).clip(35, 41.5)
    frames = [
        pd.DataFrame(
            {"subject_id": sid, "day": day, "parameter": "NEUT", "value": anc, "unit": "cells/uL"}
        ),
        pd.DataFrame(
            {
                "subject_id": sid,
                "day": day + 0.5,
                "parameter": "TEMP",
                "value": temp,
                "unit": "degC",
            }
        ),
    ]
    week = np.arange(-3, n_days - 3, 7, dtype=float)
    wsid, wday = np.repeat(ids, len(week)), np.tile(week, n_subjects)
    for code, (unit, centre) in WEEKLY.items():
        factor = rng.lognormal(0, 0.3, len(wday)).clip(0.2, 2.5)
        frames.append(
            pd.DataFrame(
                {
                    "subject_id": wsid,
                    "day": wday,
                    "parameter": code,
                    "value": np.round(centre * factor, 2),
                    "unit": unit,
                }
            )
        )
    obs = pd.concat(frames, ignore_index=True)
    obs["lln"] = np.where(obs["parameter"] == "PLAT", 150.0, np.nan)
    return obs


def main() -> None:
    n_subjects = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    n_days = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    obs = build(n_subjects, n_days)
    study = load_study(obs)
    summarize_hematology(load_study(build(50, 40)))  # warm-up: criteria files, caches
    times = []
    for _ in range(3):  # the machine is shared: report every run and the best
        start = time.perf_counter()
        result = summarize_hematology(study)
        times.append(time.perf_counter() - start)
    best = min(times)
    print(
        f"summarize_hematology: {n_subjects:,} subjects x {n_days} days "
        f"({len(obs):,} observation rows): best {best:.2f} s of "
        f"{', '.join(f'{t:.2f}' for t in times)} s "
        f"({'under' if best < 3 else 'OVER'} the 3 s target)"
    )
    print(
        result.subject_summary[["icaht_early_grade", "car_hematotox_risk"]]
        .value_counts(dropna=False)
        .head(8)
        .to_string()
    )


if __name__ == "__main__":
    main()
