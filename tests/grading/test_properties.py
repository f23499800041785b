"""Properties that hold for any input (hypothesis): monotone grades, order independence,
no row ever lost."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import aegrade

# (parameter, unit, lln, uln, direction): worse means lower for 'low', higher for 'high'
PARAMS = [
    ("NEUT", "10^9/L", 1.8, 7.5, "low"),
    ("PLAT", "10^9/L", 150.0, 400.0, "low"),
    ("HGB", "g/L", 120.0, 160.0, "low"),
    ("K", "mmol/L", 3.5, 5.1, "low"),
    ("K", "mmol/L", 3.5, 5.1, "high"),
    ("SODIUM", "mmol/L", 135.0, 145.0, "low"),
    ("ALT", "U/L", 7.0, 40.0, "high"),
    ("BILI", "umol/L", 3.0, 21.0, "high"),
    ("CA", "mmol/L", 2.1, 2.6, "high"),
    ("TEMP", "degC", None, None, "high"),
]

values = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(PARAMS),
    values,
    values,
    st.sampled_from(["ctcae-v5.0", "ctcae-v4.03"]),
    st.sampled_from(["worse", "lower"]),
)
def test_worse_value_never_gets_lower_grade(param, a, b, cid, ambiguous) -> None:
    code, unit, lln, uln, direction = param
    lo, hi = {
        "NEUT": (0, 10),
        "PLAT": (0, 500),
        "HGB": (30, 200),
        "K": (1, 9),
        "SODIUM": (100, 180),
        "ALT": (0, 1200),
        "BILI": (0, 300),
        "CA": (1, 4),
        "TEMP": (26, 44),
    }[code]
    x, y = sorted([lo + a * (hi - lo), lo + b * (hi - lo)])
    worse, better = (x, y) if direction == "low" else (y, x)
    df = pd.DataFrame(
        {"parameter": code, "value": [better, worse], "unit": unit, "lln": lln, "uln": uln}
    )
    g = aegrade.grade_labs(df, cid, ambiguous=ambiguous, errors="coerce")[
        f"grade_{direction}"
    ].astype(float)
    if not g.isna().any():
        assert g.iloc[1] >= g.iloc[0]


rows = st.lists(
    st.tuples(
        st.sampled_from(["s1", "s2", "s3"]), st.integers(-3, 10), st.sampled_from(PARAMS), values
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=100, deadline=None)
@given(rows, st.randoms(use_true_random=False))
def test_row_order_changes_no_grade_and_loses_no_row(data, rnd) -> None:
    frame = pd.DataFrame(
        [
            {
                "subject_id": s,
                "day": d,
                "parameter": p[0],
                "unit": p[1],
                "lln": p[2],
                "uln": p[3],
                "value": round(10 * v, 2) if p[0] != "TEMP" else round(36 + 6 * v, 1),
            }
            for s, d, p, v in data
        ]
    )
    order = list(range(len(frame)))
    rnd.shuffle(order)
    a = aegrade.grade_labs(frame, errors="coerce")
    b = aegrade.grade_labs(frame.iloc[order], errors="coerce").loc[frame.index]
    assert len(a) == len(frame) and list(a.index) == list(frame.index)
    for col in ("grade_low", "grade_high"):
        np.testing.assert_array_equal(
            a[col].astype(float).to_numpy(), b[col].astype(float).to_numpy()
        )
    assert (a["reason"].astype(str) == b["reason"].astype(str)).all()
