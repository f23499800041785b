"""Synthetic lab rows for the benchmarks: 20 parameters, canonical units, realistic ranges."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: parameter, unit, lln, uln, typical low, typical high
PARAMS = [
    ("NEUT", "10^9/L", 1.8, 7.5, 0.0, 9.0),
    ("WBC", "10^9/L", 4.0, 10.0, 0.5, 20.0),
    ("LYM", "10^9/L", 1.0, 4.0, 0.1, 6.0),
    ("PLAT", "10^9/L", 150, 400, 5, 500),
    ("HGB", "g/L", 120, 160, 60, 190),
    ("ALT", "U/L", 7, 40, 5, 900),
    ("AST", "U/L", 8, 40, 5, 900),
    ("ALP", "U/L", 40, 130, 20, 900),
    ("BILI", "umol/L", 3, 21, 2, 250),
    ("GGT", "U/L", 8, 60, 5, 900),
    ("CREAT", "umol/L", 60, 110, 30, 700),
    ("K", "mmol/L", 3.5, 5.1, 2.0, 7.5),
    ("SODIUM", "mmol/L", 135, 145, 115, 165),
    ("CA", "mmol/L", 2.1, 2.6, 1.4, 3.6),
    ("GLUC", "mmol/L", 3.9, 7.8, 1.5, 30),
    ("MG", "mmol/L", 0.7, 1.0, 0.2, 3.5),
    ("ALB", "g/L", 35, 50, 15, 55),
    ("CHOL", "mmol/L", 3.0, 5.2, 2.0, 14.0),
    ("TRIG", "mmol/L", 0.5, 1.7, 0.3, 12.0),
    ("CK", "U/L", 30, 200, 10, 3000),
]


def lab_rows(n: int, seed: int = 1) -> pd.DataFrame:
    """``n`` long observation rows over ``n // 500`` subjects."""
    rng = np.random.default_rng(seed)
    p = rng.integers(0, len(PARAMS), n)
    table = pd.DataFrame(PARAMS, columns=["parameter", "unit", "lln", "uln", "lo", "hi"])
    lo, hi = table["lo"].to_numpy(float)[p], table["hi"].to_numpy(float)[p]
    return pd.DataFrame(
        {
            "subject_id": pd.Categorical(rng.integers(0, max(n // 500, 1), n).astype(str)),
            "day": rng.integers(-3, 60, n).astype(float),
            "parameter": pd.Categorical.from_codes(p, table["parameter"]),
            "value": np.round(lo + rng.random(n) * (hi - lo), 2),
            "unit": pd.Categorical.from_codes(p, table["unit"].unique().tolist())
            if False
            else pd.Categorical(table["unit"].to_numpy()[p]),
            "lln": table["lln"].to_numpy(float)[p],
            "uln": table["uln"].to_numpy(float)[p],
        }
    )
