"""Build the bundled synthetic example study ``blinatumomab_short_course``.

Everything here is invented. No value comes from a real patient. The script is deterministic
(numpy ``default_rng`` seeded per subject, no network, no clock), so running it again
rebuilds the same tables::

    .venv/bin/python examples/make_example_study.py

It writes ``aegrade/examples/blinatumomab_short_course.xlsx`` (sheets ``subjects``,
``observations``, ``events``) and the same three tables as CSV files in
``aegrade/examples/blinatumomab_short_course/``. The study lives inside the package (package
data, read with :mod:`importlib.resources`) so that ``aegrade demo`` works from an installed
wheel; this script and the study's description (``examples/README.md``) stay at the top.
The layout is the one in SPEC section 2 (long observations, one row per measurement).

The study
---------
30 adults and children with B-cell precursor ALL (subjects ``BLN-001`` .. ``BLN-030``, aged
4-75, four under 12) receive one arm, "Short-course blinatumomab": a shortened first cycle of
continuous intravenous infusion.

Dose schedule (documented here, not in the data):

- cycle day 1 = study day 0 = ``treatment_start`` (infusion starts; dexamethasone
  premedication 1 hour before, recorded as a ``CORTICOSTEROID`` row at day -0.0417);
- 9 ug/day on cycle days 1-3 (study days 0 to 3);
- step-up to 28 ug/day on cycle day 4 (study day 3, again after dexamethasone premedication,
  recorded at day 2.9583) until cycle day 10 (infusion stops at study day 10);
- follow-up to study day 28. Children receive the same schedule scaled to body surface area
  (5 then 15 ug/m2/day); only the timing matters for these data.

Observations cover study days -3 to 28: labs every 1-3 days (daily in the first five days),
vital signs 2-4 times a day (4 a day in hospital and during CRS), ICE (age >= 12) or CAPD
(age < 12) and level of consciousness twice a day on days 0-5, and the CRS/ICANS drivers of
SPEC section 3 while a syndrome is active. Each subject's laboratory follows one of five
unit conventions (a "site"), so the file mixes SI and US units on purpose.

The intended ASTCT grades are in ``DESIGN`` below (``crs``, ``icans``) and in
``examples/README.md``.
"""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20230601
HERE = Path(__file__).resolve().parent
#: Package data: the study ships inside the ``aegrade`` package (``aegrade demo`` reads it).
STUDY_DIR = HERE.parent / "aegrade" / "examples"
XLSX = STUDY_DIR / "blinatumomab_short_course.xlsx"
CSV_DIR = STUDY_DIR / "blinatumomab_short_course"
ARM = "Short-course blinatumomab"
FIRST_DAY, LAST_DAY = -3, 28
SLOTS4 = (0.125, 0.375, 0.625, 0.875)  # vital-sign times in a day (every 6 h)
NEURO_SLOTS = (0.375, 0.875)  # ICE/CAPD assessments (every 12 h)
DRUG_DELAY = 0.0208  # 30 min after the reading that prompted the drug
PREMED_DAYS = (-0.0417, 2.9583)  # dexamethasone 1 h before start and before step-up

LABS = (
    "NEUT",
    "WBC",
    "LYM",
    "PLAT",
    "HGB",
    "ALT",
    "AST",
    "BILI",
    "CREAT",
    "K",
    "SODIUM",
    "CA",
    "ALB",
    "GLUC",
    "URATE",
    "FIBRINO",
    "LDH",
    "CRP",
    "FERRITIN",
    "IL6",
)
COUNTS = ("NEUT", "WBC", "LYM", "PLAT")

# --------------------------------------------------------------------------------------------
# Units: canonical (SI) values are simulated, then shown in each site's units.
# --------------------------------------------------------------------------------------------
SI_UNITS = {
    "NEUT": "10^9/L",
    "WBC": "10^9/L",
    "LYM": "10^9/L",
    "PLAT": "10^9/L",
    "HGB": "g/L",
    "ALT": "U/L",
    "AST": "U/L",
    "BILI": "umol/L",
    "CREAT": "umol/L",
    "K": "mmol/L",
    "SODIUM": "mmol/L",
    "CA": "mmol/L",
    "ALB": "g/L",
    "GLUC": "mmol/L",
    "URATE": "umol/L",
    "FIBRINO": "g/L",
    "LDH": "U/L",
    "CRP": "mg/L",
    "FERRITIN": "ng/mL",
    "IL6": "pg/mL",
    "TEMP": "degC",
}
SITE_UNITS = {
    # most subjects: SI throughout
    "SI": {},
    # a US site: US conventional units and Fahrenheit
    "US": {
        "NEUT": "cells/uL",
        "LYM": "cells/uL",
        "WBC": "10^3/uL",
        "PLAT": "10^3/uL",
        "HGB": "g/dL",
        "ALT": "IU/L",
        "AST": "IU/L",
        "LDH": "IU/L",
        "BILI": "mg/dL",
        "CREAT": "mg/dL",
        "K": "mEq/L",
        "SODIUM": "mEq/L",
        "CA": "mg/dL",
        "ALB": "g/dL",
        "GLUC": "mg/dL",
        "URATE": "mg/dL",
        "FIBRINO": "mg/dL",
        "CRP": "mg/dL",
        "TEMP": "degF",
    },
    # a French site: counts in giga per litre, hemoglobin in g/dL
    "FR": {"NEUT": "GI/L", "WBC": "GI/L", "LYM": "GI/L", "PLAT": "GI/L", "HGB": "g/dL"},
    # a Dutch site: hemoglobin in mmol/L, ferritin in ug/L
    "NL": {"HGB": "mmol/L", "FERRITIN": "ug/L"},
    # a second US site: counts per mm3, US chemistry, Celsius
    "US2": {
        "NEUT": "/mm3",
        "WBC": "/mm3",
        "LYM": "/mm3",
        "PLAT": "/mm3",
        "HGB": "g/dL",
        "BILI": "mg/dL",
        "CREAT": "mg/dL",
        "CA": "mg/dL",
        "ALB": "g/dL",
        "GLUC": "mg/dL",
        "URATE": "mg/dL",
    },
}
# display value = canonical value * factor
TO_DISPLAY = {
    "cells/uL": 1000.0,
    "/mm3": 1000.0,
    "10^3/uL": 1.0,
    "GI/L": 1.0,
    ("HGB", "g/dL"): 0.1,
    ("HGB", "mmol/L"): 1 / 16.1145,
    ("ALB", "g/dL"): 0.1,
    ("BILI", "mg/dL"): 1 / 17.104,
    ("CREAT", "mg/dL"): 1 / 88.42,
    ("CA", "mg/dL"): 4.0078,
    ("GLUC", "mg/dL"): 18.0156,
    ("URATE", "mg/dL"): 1 / 59.48,
    ("FIBRINO", "mg/dL"): 100.0,
    ("CRP", "mg/dL"): 0.1,
}
DECIMALS = {
    ("NEUT", "10^9/L"): 2,
    ("WBC", "10^9/L"): 2,
    ("LYM", "10^9/L"): 2,
    ("PLAT", "10^9/L"): 0,
    ("NEUT", "GI/L"): 2,
    ("WBC", "GI/L"): 2,
    ("LYM", "GI/L"): 2,
    ("PLAT", "GI/L"): 0,
    ("WBC", "10^3/uL"): 2,
    ("PLAT", "10^3/uL"): 0,
    ("NEUT", "cells/uL"): -1,
    ("LYM", "cells/uL"): -1,
    ("NEUT", "/mm3"): -1,
    ("WBC", "/mm3"): -1,
    ("LYM", "/mm3"): -1,
    ("PLAT", "/mm3"): -3,
    ("HGB", "g/L"): 0,
    ("HGB", "g/dL"): 1,
    ("HGB", "mmol/L"): 1,
    ("BILI", "umol/L"): 1,
    ("BILI", "mg/dL"): 2,
    ("CREAT", "umol/L"): 0,
    ("CREAT", "mg/dL"): 2,
    ("K", "mmol/L"): 1,
    ("K", "mEq/L"): 1,
    ("SODIUM", "mmol/L"): 0,
    ("SODIUM", "mEq/L"): 0,
    ("CA", "mmol/L"): 2,
    ("CA", "mg/dL"): 1,
    ("ALB", "g/L"): 0,
    ("ALB", "g/dL"): 1,
    ("GLUC", "mmol/L"): 1,
    ("GLUC", "mg/dL"): 0,
    ("URATE", "umol/L"): 0,
    ("URATE", "mg/dL"): 1,
    ("FIBRINO", "g/L"): 1,
    ("FIBRINO", "mg/dL"): 0,
    ("CRP", "mg/L"): 1,
    ("CRP", "mg/dL"): 2,
    ("FERRITIN", "ng/mL"): 0,
    ("FERRITIN", "ug/L"): 0,
    ("IL6", "pg/mL"): 1,
    ("ALT", "U/L"): 0,
    ("ALT", "IU/L"): 0,
    ("AST", "U/L"): 0,
    ("AST", "IU/L"): 0,
    ("LDH", "U/L"): 0,
    ("LDH", "IU/L"): 0,
}
SMALLEST = {"NEUT": 0.01, "WBC": 0.05, "LYM": 0.01, "PLAT": 3.0}  # a count is never shown as 0


# --------------------------------------------------------------------------------------------
# The design: who gets what. ``crs``/``icans`` are the intended ASTCT 2019 grades.
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Subject:
    num: int
    age: int
    sex: str
    site: str
    response: str
    crs: int = 0
    icans: int = 0
    neut: str = "g1"  # intended worst neutrophil category: g1 (none/mild), g2, g3, g4

    @property
    def sid(self) -> str:
        return f"BLN-{self.num:03d}"

    @property
    def child(self) -> bool:
        return self.age < 12


DESIGN = (
    Subject(1, 45, "M", "SI", "CR", crs=1, neut="g2"),
    Subject(2, 62, "F", "SI", "CR", crs=2, neut="g3"),
    Subject(3, 7, "F", "SI", "CR", crs=2, icans=1, neut="g2"),
    Subject(4, 33, "M", "US", "CRi", crs=1),
    Subject(5, 71, "M", "SI", "PR", icans=1, neut="g2"),
    Subject(6, 28, "F", "SI", "CR", crs=3, icans=2, neut="g4"),
    Subject(7, 55, "M", "FR", "NR"),
    Subject(8, 19, "M", "SI", "CR", crs=2, neut="g3"),
    Subject(9, 4, "M", "US2", "CR", crs=2, icans=2, neut="g3"),
    Subject(10, 67, "F", "NL", "CRi", crs=1, neut="g2"),
    Subject(11, 50, "F", "SI", "CRi", neut="g4"),
    Subject(12, 12, "F", "SI", "CR", crs=1),
    Subject(13, 75, "M", "US", "NR", crs=3, icans=3, neut="g4"),
    Subject(14, 38, "F", "SI", "CR", neut="g2"),
    Subject(15, 9, "F", "SI", "CR", crs=1),
    Subject(16, 59, "M", "FR", "PR", crs=2, neut="g3"),
    Subject(17, 24, "M", "SI", "CR", crs=3, neut="g4"),
    Subject(18, 64, "F", "SI", "NR", neut="g2"),
    Subject(19, 41, "M", "NL", "CR", crs=1),
    Subject(20, 17, "M", "US2", "NR"),
    Subject(21, 69, "F", "SI", "CRi", crs=2, neut="g3"),
    Subject(22, 47, "M", "US", "NR", neut="g4"),
    Subject(23, 58, "F", "SI", "CR", crs=1),
    Subject(24, 31, "F", "FR", "CR", neut="g2"),
    Subject(25, 66, "M", "SI", "PR", neut="g3"),
    Subject(26, 22, "F", "NL", "CR", crs=2, neut="g2"),
    Subject(27, 53, "M", "SI", "NR", neut="g4"),
    Subject(28, 11, "M", "US2", "CRi", crs=1),
    Subject(29, 44, "F", "US", "CR", neut="g3"),
    Subject(30, 36, "M", "SI", "NR", neut="g3"),
)

# Grade 4 neutropenia: (nadir 10^9/L, start day of the fall, days at the nadir)
NEUT_G4 = {
    6: (0.35, 7.0, 2.0),
    11: (0.20, 8.0, 7.0),
    13: (0.15, 6.0, 13.0),
    17: (0.42, 9.0, 1.5),
    22: (0.30, 8.0, 4.0),
    27: (0.06, 7.0, 8.0),
}
NEUT_LOW_BASELINE = {13: 1.1, 27: 1.0}
# Thrombocytopenia: (baseline, nadir) in 10^9/L
PLAT_DESIGN = {13: (70, 15), 27: (85, 35), 11: (140, 42), 6: (180, 46), 22: (120, 60), 9: (160, 70)}
# Transaminase peaks as multiples of ULN (ALT, AST) and day of the peak
LIVER_G3 = {6: (7.5, 4.5, 2.5), 17: (6.2, 3.5, 2.5), 24: (8.0, 5.5, 4.0)}
HIGH_ALT_BASELINE = {25: 70.0}
# Hypokalemia: lowest potassium (mmol/L) and its day
HYPOK = {
    6: (2.9, 3.0),
    13: (3.2, 3.0),
    17: (3.3, 3.0),
    8: (3.4, 5.0),
    21: (3.3, 3.0),
    2: (3.2, 3.0),
}
TUMOUR_LYSIS = {7, 13, 20}  # urate peaks early
ANEMIA_G3 = {13, 27}  # falls below 80 g/L, then is transfused
DIABETIC = {22}
INFECTION = {"subject": 11, "day": 14.375, "temp": 38.4}  # fever with other_cause = true
EXACT_38 = 19  # this subject's first fever reading is exactly 38.0 degC


# --------------------------------------------------------------------------------------------
# CRS and ICANS courses
# --------------------------------------------------------------------------------------------
@dataclass
class Course:
    """Designed findings of one subject: override readings and driver rows."""

    temps: dict[float, float] = field(default_factory=dict)  # degC
    sbp: dict[float, int] = field(default_factory=dict)
    spo2: dict[float, int] = field(default_factory=dict)
    hypotension: set[float] = field(default_factory=set)
    oxygen: dict[float, tuple[str, float | None]] = field(default_factory=dict)
    rows: list[tuple[float, str, object]] = field(default_factory=list)  # (day, param, value)
    windows: list[tuple[float, float]] = field(default_factory=list)  # monitoring periods
    episodes: list[tuple[float, int]] = field(default_factory=list)  # (onset, grade) for labs
    neuro: dict[float, tuple[int, str]] = field(default_factory=dict)  # day -> (ICE/CAPD, LOC)
    extra_days: set[int] = field(default_factory=set)  # days with four vital readings

    def drug(self, day: float, param: str, value: object = "given") -> None:
        self.rows.append((round(day, 4), param, value))

    def close_episode(self, onset: float, grade: int) -> None:
        """Monitor from onset to one day after the last fever, hypotension or hypoxia."""
        fever = [t for t, c in self.temps.items() if c >= 38.0 and t >= onset]
        hypo = [t for t in self.hypotension if t >= onset]
        oxy = [t for t, (dev, _) in self.oxygen.items() if dev != "room_air" and t >= onset]
        last = max(fever + hypo + oxy)
        self.windows.append((onset, last + 1.25))
        self.episodes.append((onset, grade))


def _slots(start: float, n: int) -> list[float]:
    return [start + 0.25 * i for i in range(n)]


def fever_course(
    c: Course,
    rng: np.random.Generator,
    onset: float,
    n: int,
    peak: float,
    *,
    first: float | None = None,
) -> list[float]:
    """Fever readings from ``onset``, every 6 h; one mid-course reading settles after an
    antipyretic (fever need not persist inside an episode)."""
    times = _slots(onset, n)
    for i, t in enumerate(times):
        shape = math.sin(math.pi * (i + 0.7) / (n + 0.4))
        c.temps[t] = round(38.1 + (peak - 38.1) * shape + rng.uniform(-0.1, 0.1), 1)
        c.temps[t] = min(max(c.temps[t], 38.1), peak)
    if first is not None:
        c.temps[times[0]] = first
    if n >= 4:
        dip = times[n // 2]
        c.temps[dip] = round(rng.uniform(37.4, 37.8), 1)
        c.drug(times[n // 2 - 1] + DRUG_DELAY, "ANTIPYRETIC")
    c.drug(times[0] + DRUG_DELAY, "ANTIPYRETIC")
    return times


def hypotension_course(
    c: Course, rng: np.random.Generator, start: float, n: int, *, low: int = 80, high: int = 88
) -> list[float]:
    times = _slots(start, n)
    for t in times:
        c.hypotension.add(t)
        c.sbp[t] = int(rng.integers(low, high + 1))
    c.drug(times[0] + DRUG_DELAY * 2, "TOCILIZUMAB")
    return times


def oxygen_course(
    c: Course, rng: np.random.Generator, start: float, plan: list[tuple[str, float]]
) -> None:
    c.spo2[start - 0.25] = int(rng.integers(89, 93))
    for t, (device, flow) in zip(_slots(start, len(plan)), plan, strict=True):
        c.oxygen[t] = (device, flow)
        c.spo2[t] = int(rng.integers(93, 97))
    c.oxygen[start + 0.25 * len(plan)] = ("room_air", None)


def simple_crs(
    c: Course,
    rng: np.random.Generator,
    onset: float,
    grade: int,
    mode: str,
    n_fever: int,
    *,
    flow: float = 3.0,
    first: float | None = None,
) -> None:
    peak = {1: rng.uniform(38.4, 39.0), 2: rng.uniform(38.8, 39.6)}[grade]
    fever_course(c, rng, onset, n_fever, round(peak, 1), first=first)
    if mode == "hypotension":
        hypotension_course(c, rng, onset + 0.5, 2)
    elif mode == "oxygen":
        oxygen_course(c, rng, onset + 0.5, [("nasal_cannula", flow)] * 3)
    c.close_episode(onset, grade)


def crs_06(c: Course, rng: np.random.Generator) -> None:
    """Grade 3: hypotension needing norepinephrine, vasopressin added (still one agent)."""
    for t, temp in zip(_slots(0.625, 5), (38.4, 39.1, 39.8, 40.1, 38.6), strict=True):
        c.temps[t] = temp
    c.drug(0.625 + DRUG_DELAY, "ANTIPYRETIC")
    c.drug(1.125 + DRUG_DELAY, "ANTIPYRETIC")
    for t, sbp in zip(_slots(1.375, 5), (84, 82, 94, 96, 92), strict=True):
        c.hypotension.add(t)
        c.sbp[t] = sbp
    c.drug(1.375 + 2 * DRUG_DELAY, "TOCILIZUMAB")
    for t in _slots(1.625, 4):
        c.drug(t, "VASOPRESSOR", "norepinephrine")
    for t in (1.875, 2.125):
        c.drug(t, "VASOPRESSOR", "vasopressin")
    c.drug(1.875 + DRUG_DELAY, "CORTICOSTEROID")
    oxygen_course(c, rng, 1.625, [("nasal_cannula", 2.0)] * 3)
    c.close_episode(0.625, 3)
    c.neuro.update(
        {
            1.875: (7, "alert"),
            2.125: (6, "alert"),
            2.375: (5, "alert"),
            2.625: (4, "awakens_to_voice"),
            3.125: (7, "alert"),
            3.625: (9, "alert"),
            4.125: (10, "alert"),
        }
    )
    c.drug(2.625 + DRUG_DELAY, "CORTICOSTEROID")


def crs_13(c: Course, rng: np.random.Generator) -> None:
    """Grade 3: hypoxia escalating from nasal cannula 4 L/min to a facemask; ICANS 3."""
    for t, temp in zip(_slots(1.375, 4), (38.9, 39.4, 39.0, 38.5), strict=True):
        c.temps[t] = temp
    c.drug(1.375 + DRUG_DELAY, "ANTIPYRETIC")
    plan = [("nasal_cannula", 4.0)] * 2 + [("facemask", 10.0)] * 3 + [("nasal_cannula", 2.0)] * 2
    oxygen_course(c, rng, 1.875, plan)
    c.drug(1.875 + 2 * DRUG_DELAY, "TOCILIZUMAB")
    c.drug(2.375 + 2 * DRUG_DELAY, "TOCILIZUMAB")
    c.drug(2.375 + 2 * DRUG_DELAY, "CORTICOSTEROID")
    c.close_episode(1.375, 3)
    c.neuro.update(
        {
            2.375: (8, "alert"),
            2.625: (5, "alert"),
            3.125: (2, "awakens_to_voice"),
            3.625: (4, "awakens_spontaneously"),
            4.125: (7, "alert"),
            4.625: (9, "alert"),
            5.125: (10, "alert"),
        }
    )
    c.drug(2.375, "SEIZURE", "none")
    c.drug(3.1875, "SEIZURE", "rapidly_resolving")
    c.drug(3.625, "SEIZURE", "none")
    c.drug(3.1875 + DRUG_DELAY, "CORTICOSTEROID")
    c.extra_days.add(5)


def crs_17(c: Course, rng: np.random.Generator) -> None:
    """Grade 3: hypotension without vasopressor plus nasal cannula at 7 L/min (> 6 L/min)."""
    for t, temp in zip(_slots(0.875, 5), (38.6, 39.3, 39.7, 38.8, 38.2), strict=True):
        c.temps[t] = temp
    c.drug(0.875 + DRUG_DELAY, "ANTIPYRETIC")
    c.drug(1.375 + DRUG_DELAY, "ANTIPYRETIC")
    hypotension_course(c, rng, 1.375, 3, low=84, high=88)
    oxygen_course(
        c,
        rng,
        1.625,
        [
            ("nasal_cannula", 3.0),
            ("nasal_cannula", 7.0),
            ("nasal_cannula", 7.0),
            ("nasal_cannula", 4.0),
            ("nasal_cannula", 2.0),
        ],
    )
    c.drug(1.875 + DRUG_DELAY, "CORTICOSTEROID")
    c.close_episode(0.875, 3)


def crs_08(c: Course, rng: np.random.Generator) -> None:
    """Biphasic: grade 1 after the start, settles, grade 2 (nasal cannula 6 L/min) after the
    step-up to 28 ug/day."""
    simple_crs(c, rng, 1.125, 1, "fever", 4)
    simple_crs(c, rng, 3.875, 2, "oxygen", 4, flow=6.0)


SIMPLE_CRS: dict[int, tuple[float, int, str, int, dict[str, float]]] = {
    1: (1.375, 1, "fever", 4, {}),
    2: (1.125, 2, "hypotension", 5, {}),
    3: (1.625, 2, "oxygen", 4, {"flow": 2.0}),
    4: (0.875, 1, "fever", 3, {}),
    9: (0.875, 2, "hypotension", 4, {}),
    10: (1.625, 1, "fever", 5, {}),
    12: (2.125, 1, "fever", 3, {}),
    15: (1.375, 1, "fever", 3, {}),
    16: (2.375, 2, "hypotension", 4, {}),
    19: (0.625, 1, "fever", 4, {"first": 38.0}),
    21: (1.875, 2, "oxygen", 5, {"flow": 3.0}),
    23: (3.875, 1, "fever", 3, {}),
    26: (0.875, 2, "hypotension", 4, {}),
    28: (1.125, 1, "fever", 3, {}),
}
EXPLICIT_CRS: dict[int, Callable[[Course, np.random.Generator], None]] = {
    6: crs_06,
    8: crs_08,
    13: crs_13,
    17: crs_17,
}
ICANS_NEURO = {
    3: {2.375: (2, "alert"), 2.625: (4, "alert"), 3.125: (3, "alert"), 3.625: (0, "alert")},
    5: {8.375: (8, "alert"), 8.875: (8, "alert"), 9.375: (9, "alert"), 10.375: (10, "alert")},
    9: {
        1.375: (3, "alert"),
        1.875: (7, "awakens_to_voice"),
        2.375: (5, "alert"),
        2.875: (2, "alert"),
        3.375: (0, "alert"),
    },
}


def build_course(s: Subject, rng: np.random.Generator) -> Course:
    c = Course()
    if s.num in EXPLICIT_CRS:
        EXPLICIT_CRS[s.num](c, rng)
    elif s.num in SIMPLE_CRS:
        onset, grade, mode, n, kw = SIMPLE_CRS[s.num]
        simple_crs(c, rng, onset, grade, mode, n, **kw)  # type: ignore[arg-type]
        if s.num == 10:  # persistent fever: tocilizumab, grade stays 1
            c.drug(onset + 1.0 + DRUG_DELAY, "TOCILIZUMAB")
    c.neuro.update(ICANS_NEURO.get(s.num, {}))
    if s.num == INFECTION["subject"]:
        t = INFECTION["day"]
        c.temps[t] = INFECTION["temp"]
        c.temps[t - 0.25], c.temps[t + 0.25] = 37.6, 37.3
        c.drug(t + DRUG_DELAY, "ANTIPYRETIC")
        c.extra_days.update({14, 15})
    return c


# --------------------------------------------------------------------------------------------
# Laboratory trajectories (canonical units)
# --------------------------------------------------------------------------------------------
def bump(t: float, peak: float, rise: float, half: float) -> float:
    """0 before ``peak - rise``, linear to 1 at ``peak``, then exponential decay."""
    if t <= peak - rise:
        return 0.0
    if t <= peak:
        return (t - (peak - rise)) / rise
    return 0.5 ** ((t - peak) / half)


def trapezoid(t: float, start: float, ramp: float, plateau: float, recover: float) -> float:
    if t <= start:
        return 0.0
    if t < start + ramp:
        return (t - start) / ramp
    if t <= start + ramp + plateau:
        return 1.0
    return max(0.0, 1.0 - (t - start - ramp - plateau) / recover)


def reference_range(s: Subject, code: str) -> tuple[float | None, float | None]:
    """Reference range in canonical units, by sex and age."""
    male, child = s.sex == "M", s.child
    teen = 12 <= s.age < 18
    ranges: dict[str, tuple[float | None, float | None]] = {
        "NEUT": (1.5, 8.0) if child else (1.8, 7.5),
        "WBC": (4.5, 13.5) if child else (4.0, 10.0),
        "LYM": (1.5, 6.5) if child else (1.0, 4.0),
        "PLAT": (150.0, 400.0),
        "HGB": (115.0, 145.0) if child else ((130.0, 170.0) if male else (120.0, 155.0)),
        "ALT": (5.0, 30.0) if child else ((7.0, 41.0) if male else (7.0, 33.0)),
        "AST": (10.0, 40.0) if child or male else (10.0, 32.0),
        "BILI": (3.0, 21.0),
        "CREAT": (27.0, 62.0)
        if child
        else ((40.0, 90.0) if teen else ((62.0, 106.0) if male else (44.0, 80.0))),
        "K": (3.5, 5.1),
        "SODIUM": (135.0, 145.0),
        "CA": (2.15, 2.55),
        "ALB": (35.0, 52.0),
        "GLUC": (3.9, 7.8),
        "URATE": (202.0, 416.0) if male else (143.0, 339.0),
        "FIBRINO": (2.0, 4.0),
        "LDH": (180.0, 360.0) if child else ((135.0, 225.0) if male else (135.0, 214.0)),
        "CRP": (None, 5.0),
        "FERRITIN": (30.0, 400.0) if male else (13.0, 150.0),
        "IL6": (None, 7.0),
    }
    return ranges[code]


class LabModel:
    """Per-subject parameters of every lab trajectory, drawn once."""

    def __init__(self, s: Subject, course: Course, rng: np.random.Generator) -> None:
        self.s, self.rng = s, rng
        self.episodes = course.episodes
        self.crs = s.crs
        u = rng.uniform
        # neutrophils
        self.neut_b = NEUT_LOW_BASELINE.get(s.num, u(2.0, 4.5))
        if s.num in NEUT_G4:
            self.neut_nadir, start, plateau = NEUT_G4[s.num]
            self.neut_shape = (start, 2.0, plateau, 4.0)
        else:
            nadir = {"g1": u(1.55, 1.75), "g2": u(1.1, 1.35), "g3": u(0.6, 0.85)}[s.neut]
            self.neut_nadir = min(nadir, self.neut_b * 0.9)
            self.neut_shape = (u(5, 9), u(1.5, 3), u(2, 5), u(3, 5))
        self.lym_b = u(1.5, 3.5) if s.child else u(0.8, 2.2)
        self.mono_b = u(0.3, 0.6)
        plat_b, plat_nadir = PLAT_DESIGN.get(s.num, (0.0, 0.0))
        self.plat_b = plat_b or u(160, 320)
        self.plat_nadir = plat_nadir or self.plat_b * u(0.7, 0.95)
        self.plat_shape = (u(5, 8), 2.0, u(3, 8) if s.num in PLAT_DESIGN else u(2, 4), 5.0)
        if s.num in ANEMIA_G3:
            self.hgb_b, self.hgb_slope = u(88, 93), -1.1
        elif s.child:
            self.hgb_b, self.hgb_slope = u(98, 118), -0.5
        else:
            self.hgb_b = u(108, 138) if s.sex == "M" else u(100, 128)
            self.hgb_slope = -u(0.3, 0.7)
        self.transfused = 0.0
        uln_alt = reference_range(s, "ALT")[1] or 40.0
        uln_ast = reference_range(s, "AST")[1] or 40.0
        self.alt_b = HIGH_ALT_BASELINE.get(s.num, u(12, min(35, uln_alt - 4)))
        self.ast_b = u(14, min(32, uln_ast - 4))
        if s.num in LIVER_G3:
            alt_x, ast_x, peak = LIVER_G3[s.num]
            self.alt_amp, self.ast_amp = alt_x * uln_alt - self.alt_b, ast_x * uln_ast - self.ast_b
            self.liver_peak = peak
        else:
            scale = {0: u(0.1, 1.0), 1: u(0.2, 1.2), 2: u(0.6, 1.8), 3: u(1.0, 2.0)}[s.crs]
            self.alt_amp = scale * uln_alt * (1.5 if s.num in HIGH_ALT_BASELINE else 1.0)
            self.ast_amp = self.alt_amp * u(0.6, 1.1)
            self.liver_peak = self.episodes[0][0] + 1.5 if self.episodes else u(2.0, 3.5)
        self.bili_b = u(4, 14)
        self.bili_amp = {6: 20.0, 24: 22.0, 13: 12.0}.get(s.num, u(0, 4))
        lo, hi = reference_range(s, "CREAT")
        self.creat_b = u(lo or 40, hi or 90) * 0.85
        self.k_b = u(3.8, 4.5)
        self.na_b = u(137, 142)
        self.ca_b = u(2.22, 2.45)
        self.alb_b = u(38, 45) if s.child else u(36, 44)
        self.gluc_b = 8.5 if s.num in DIABETIC else u(4.8, 6.0)
        self.urate_b = u(180, 330)
        self.fib_b = u(2.4, 3.6)
        self.ldh_b = u(200, 450) if s.child else u(150, 420)
        self.crp_b = u(1, 8)
        self.ferr_b = {13: 2400.0, 27: 1800.0, 6: 900.0}.get(s.num, u(150, 1100))
        self.il6_b = u(2, 10)
        self.grade_amp = {g: u(0.8, 1.2) for g in range(4)}
        self.crp_amp = {1: u(40, 90), 2: u(80, 160), 3: u(160, 280)}
        self.il6_amp = {1: u(20, 80), 2: u(80, 400), 3: u(800, 2500)}
        self.nocrs_bump = (u(3, 15), u(5, 20))

    def noise(self, sd: float) -> float:
        return float(np.exp(self.rng.normal(0.0, sd)))

    def crs_effect(
        self, t: float, lag: float, rise: float, half: float, amp: Callable[[int], float]
    ) -> float:
        return sum(amp(g) * bump(t, onset + lag, rise, half) for onset, g in self.episodes)

    def value(self, code: str, t: float) -> float:  # noqa: C901 - one branch per lab
        s, n = self.s, self.noise
        if code == "NEUT":
            shape = trapezoid(t, *self.neut_shape)
            fall = (math.log(self.neut_nadir) - math.log(self.neut_b)) * shape
            return math.exp(math.log(self.neut_b) + fall) * n(0.06)
        if code == "LYM":
            drop = 0.85 * bump(t, 0.5, 0.5, 1.2) + 0.5 * bump(t, 3.5, 0.5, 1.0)
            expand = 0.25 * bump(t, 14, 7, 10)
            return self.lym_b * max(0.08, 1 - drop) * (1 + expand) * n(0.08)
        if code == "WBC":
            return (
                self.value("NEUT", t)
                + self.value("LYM", t)
                + self.mono_b * (1 - 0.5 * bump(t, 0.5, 0.5, 2))
                + 0.08
            ) * n(0.03)
        if code == "PLAT":
            shape = trapezoid(t, *self.plat_shape)
            return (self.plat_b + (self.plat_nadir - self.plat_b) * shape) * n(0.06)
        if code == "HGB":
            trend = self.hgb_slope * min(max(t, 0), 12) + 0.3 * max(t - 12, 0)
            dilution = self.crs_effect(t, 1.0, 1.0, 3.0, lambda g: 3.0 * g)
            v = self.hgb_b + trend - dilution + self.transfused + self.rng.normal(0, 1.5)
            if s.num in ANEMIA_G3 and v < 79 and not self.transfused:
                self.transfused = 22.0  # two units of red cells after this draw
            return v
        if code in ("ALT", "AST"):
            base, amp = (self.alt_b, self.alt_amp) if code == "ALT" else (self.ast_b, self.ast_amp)
            return (base + amp * bump(t, self.liver_peak, 1.5, 2.0)) * n(0.06)
        if code == "BILI":
            rise = self.bili_amp * bump(t, self.liver_peak + 0.5, 1.5, 2.5)
            return (self.bili_b + rise) * n(0.08)
        if code == "CREAT":
            rise = self.crs_effect(t, 1.5, 1.0, 2.0, lambda g: {1: 0.0, 2: 0.15, 3: 0.6}[g])
            return self.creat_b * (1 + rise) * n(0.05)
        if code == "K":
            low, day = HYPOK.get(s.num, (self.k_b, 0.0))
            return self.k_b - (self.k_b - low) * bump(t, day, 1.5, 2.0) + self.rng.normal(0, 0.08)
        if code == "SODIUM":
            dip = 10.0 * bump(t, 3.0, 1.5, 1.5) if s.num == 13 else 0.0
            dip += self.crs_effect(t, 1.0, 1.0, 2.0, lambda g: {1: 0.0, 2: 3.0, 3: 4.0}[g])
            return self.na_b - dip + self.rng.normal(0, 1.0)
        if code == "CA":
            dip = self.crs_effect(t, 1.5, 1.0, 3.0, lambda g: 0.07 * g)
            return self.ca_b - dip + self.rng.normal(0, 0.03)
        if code == "ALB":
            drop = self.crs_effect(t, 2.0, 1.5, 5.0, lambda g: 3.0 * g + 1)
            return self.alb_b - 0.1 * max(t, 0) - drop + self.rng.normal(0, 0.7)
        if code == "GLUC":
            steroid = 1.2 * bump(t, 1.0, 0.9, 1.0) + 1.0 * bump(t, 4.0, 0.9, 1.0)
            steroid += self.crs_effect(t, 1.5, 1.0, 1.5, lambda g: {1: 0.0, 2: 0.5, 3: 4.0}[g])
            return (self.gluc_b + steroid) * n(0.06)
        if code == "URATE":
            lysis = 1.6 * bump(t, 1.0, 1.0, 1.5) if s.num in TUMOUR_LYSIS else 0.0
            allopurinol = 0.3 * min(max(t - 1, 0) / 3, 1)
            return self.urate_b * (1 + lysis - allopurinol) * n(0.05)
        if code == "FIBRINO":
            acute = self.crs_effect(t, 1.5, 1.0, 3.0, lambda g: {1: 0.6, 2: 1.2, 3: 0.0}[g])
            consumed = 1.6 * bump(t, 2.0, 1.0, 2.0) if s.num in (6, 13) else 0.0
            return max(self.fib_b + acute - consumed, 0.6) * n(0.05)
        if code == "LDH":
            return self.ldh_b * (1 + self.crs_effect(t, 1.0, 1.0, 2.0, lambda g: 0.3 * g)) * n(0.06)
        if code == "CRP":
            crs = self.crs_effect(t, 1.0, 1.0, 1.5, lambda g: self.crp_amp[g])
            other = 0.0 if self.episodes else self.nocrs_bump[0] * bump(t, 1.0, 1.0, 1.5)
            infection = 125.0 * bump(t, 15.0, 1.0, 2.0) if s.num == INFECTION["subject"] else 0.0
            return (self.crp_b + crs + other + infection) * n(0.08)
        if code == "FERRITIN":
            rise = self.crs_effect(t, 2.0, 1.5, 4.0, lambda g: {1: 0.3, 2: 0.8, 3: 2.5}[g])
            return self.ferr_b * (1 + rise) * n(0.06)
        if code == "IL6":
            crs = self.crs_effect(t, 0.5, 0.5, 0.8, lambda g: self.il6_amp[g])
            other = 0.0 if self.episodes else self.nocrs_bump[1] * bump(t, 0.7, 0.7, 0.7)
            return (self.il6_b + crs + other) * n(0.10)
        raise KeyError(code)


# --------------------------------------------------------------------------------------------
# Rows
# --------------------------------------------------------------------------------------------
def unit_of(s: Subject, code: str) -> str:
    return SITE_UNITS[s.site].get(code, SI_UNITS.get(code, ""))


def to_display(code: str, unit: str, x: float | None) -> float | int | None:
    if x is None:
        return None
    factor = TO_DISPLAY.get(unit, TO_DISPLAY.get((code, unit), 1.0))  # type: ignore[call-overload]
    shown = round(x * factor, DECIMALS[(code, unit)])
    if code in SMALLEST:
        shown = max(shown, round(SMALLEST[code] * factor, max(DECIMALS[(code, unit)], 0)))
    return int(shown) if DECIMALS[(code, unit)] <= 0 else float(shown)


def lab_days(s: Subject, rng: np.random.Generator) -> list[int]:
    days = [int(rng.choice([-3, -2])), 0]
    d = 0
    while True:
        step = 1 if d < 5 or (s.crs == 3 and d < 7) else int(rng.choice([2, 3], p=[0.6, 0.4]))
        d += step
        if d > LAST_DAY:
            break
        days.append(d)
    if rng.random() < 0.35:  # a missed visit
        late = [x for x in days if 6 <= x <= 26]
        days.remove(int(rng.choice(late)))
    return days


def il6_days(days: list[int]) -> set[int]:
    keep = {d for d in days if d <= 5}
    for week in (7, 14, 21, 28):
        later = [d for d in days if d >= week]
        if later:
            keep.add(later[0])
    return keep


def lab_rows(s: Subject, course: Course, rng: np.random.Generator) -> list[dict[str, object]]:
    model = LabModel(s, course, rng)
    days = lab_days(s, rng)
    il6 = il6_days(days)
    rows = []
    for d in days:
        for code in LABS:
            if code == "IL6" and d not in il6:
                continue
            if d > 0 and code not in COUNTS and rng.random() < 0.02:
                continue  # test not done that day
            unit = unit_of(s, code)
            lln, uln = reference_range(s, code)
            rows.append(
                {
                    "subject_id": s.sid,
                    "day": float(d),
                    "parameter": code,
                    "value": to_display(code, unit, max(model.value(code, float(d)), 0.0)),
                    "unit": unit,
                    "lln": to_display(code, unit, lln),
                    "uln": to_display(code, unit, uln),
                }
            )
    return rows


def vital_times(s: Subject, course: Course, rng: np.random.Generator) -> list[float]:
    busy = set(range(0, 6)) | course.extra_days
    for start, end in course.windows:
        busy |= set(range(math.floor(start), math.floor(end) + 1))
    times = []
    for day in range(FIRST_DAY, LAST_DAY + 1):
        if day in busy:
            slots: tuple[float, ...] = SLOTS4
        elif day < 0:
            slots = (0.375, 0.875)
        else:
            slots = SLOTS4[1:] if rng.random() < 0.4 else (0.375, 0.875)
        times += [day + x for x in slots]
    designed = set(course.temps) | set(course.sbp) | set(course.spo2)
    missing = designed - set(times)
    assert not missing, f"{s.sid}: designed readings off the grid {sorted(missing)}"
    return times


def in_window(course: Course, t: float) -> bool:
    return any(a - 0.5 <= t <= b for a, b in course.windows)


def vital_rows(s: Subject, course: Course, rng: np.random.Generator) -> list[dict[str, object]]:
    temp_b = rng.uniform(36.4, 36.9)
    sbp_b = rng.uniform(98, 110) if s.child else rng.uniform(110, 135)
    rows = []
    for t in vital_times(s, course, rng):
        evening = 0.2 if (t % 1) >= 0.6 else 0.0
        temp = course.temps.get(t)
        if temp is None:
            temp = float(np.clip(round(temp_b + evening + rng.normal(0, 0.22), 1), 35.9, 37.7))
        sbp = course.sbp.get(t)
        if sbp is None:
            sbp = round(sbp_b + rng.normal(0, 7) - (5 if temp >= 38 else 0))
            sbp = sbp if sbp >= 93 else 93 + int(rng.integers(0, 6))
        spo2 = course.spo2.get(t, int(rng.integers(95, 100)))
        shown = round(temp * 9 / 5 + 32, 1) if unit_of(s, "TEMP") == "degF" else temp
        for code, value, unit in (
            ("TEMP", shown, unit_of(s, "TEMP")),
            ("SYSBP", sbp, "mmHg"),
            ("SPO2", spo2, "%"),
        ):
            row = {"subject_id": s.sid, "day": t, "parameter": code, "value": value, "unit": unit}
            if code == "TEMP" and s.num == INFECTION["subject"] and t == INFECTION["day"]:
                row["other_cause"] = True
            rows.append(row)
    return rows


def finding_rows(s: Subject, course: Course, times: list[float]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []

    def add(day: float, param: str, value: object, flow: float | None = None) -> None:
        rows.append(
            {
                "subject_id": s.sid,
                "day": round(day, 4),
                "parameter": param,
                "value": value,
                "flow": flow,
            }
        )

    for day in PREMED_DAYS:
        add(day, "CORTICOSTEROID", "given")
    for day, param, value in course.rows:
        add(day, param, value)
    for t in times:  # monitoring while CRS is active: hypotension and oxygen at each reading
        if not any(a <= t <= b for a, b in course.windows):
            continue
        add(t, "HYPOTENSION", "true" if t in course.hypotension else "false")
        device, flow = course.oxygen.get(t, ("room_air", None))
        add(t, "OXYGEN", device, flow)
    for t, (device, flow) in course.oxygen.items():  # weaning rows outside a window
        if not any(a <= t <= b for a, b in course.windows):
            add(t, "OXYGEN", device, flow)
    neuro = {d + x: (0 if s.child else 10, "alert") for d in range(0, 6) for x in NEURO_SLOTS}
    neuro.update(course.neuro)
    for t in sorted(neuro):
        score, loc = neuro[t]
        add(t, "CAPD" if s.child else "ICE", score)
        add(t, "LOC", loc)
    return rows


# --------------------------------------------------------------------------------------------
# Subjects and clinician-recorded events
# --------------------------------------------------------------------------------------------
def subjects_table() -> pd.DataFrame:
    rng = np.random.default_rng([SEED, 0])
    first = datetime(2023, 1, 9)
    rows = []
    for s in DESIGN:
        day = first + timedelta(days=int((s.num - 1) * 11.5 + rng.integers(-3, 4)))
        start = day.replace(
            hour=int(rng.choice([8, 9, 10, 11, 13, 14])), minute=int(rng.choice([0, 15, 30, 45]))
        )
        rows.append(
            {
                "subject_id": s.sid,
                "arm": ARM,
                "age": s.age,
                "sex": s.sex,
                "treatment_start": start.strftime("%Y-%m-%dT%H:%M:%S"),
                "death_day": None,
                "death_cause": None,
                "best_response": s.response,
            }
        )
    return pd.DataFrame(rows)


# (subject, term, grade, onset, end, serious, related); end None = ongoing at day 28
EVENTS = (
    (1, "Headache", 1, 1, 2, "N", "Y"),
    (1, "Chills", 1, 1, 1, "N", "Y"),
    (2, "Headache", 2, 1, 3, "N", "Y"),
    (2, "Chills", 2, 1, 2, "N", "Y"),
    (2, "Nausea", 1, 2, 3, "N", "Y"),
    (3, "Vomiting", 1, 2, 2, "N", "Y"),
    (4, "Chills", 1, 1, 1, "N", "Y"),
    (5, "Tremor", 1, 8, 11, "N", "Y"),
    (5, "Fatigue", 2, 3, 14, "N", "Y"),
    (6, "Confusion", 2, 2, 4, "Y", "Y"),
    (6, "Dysphasia", 2, 2, 3, "Y", "Y"),
    (6, "Headache", 2, 1, 3, "N", "Y"),
    (6, "Nausea", 2, 1, 3, "N", "Y"),
    (7, "Infusion related reaction", 2, 0, 0, "N", "Y"),
    (7, "Constipation", 1, 4, 8, "N", "N"),
    (8, "Headache", 1, 1, 2, "N", "Y"),
    (8, "Headache", 2, 4, 5, "N", "Y"),
    (8, "Myalgia", 1, 4, 6, "N", "Y"),
    (9, "Vomiting", 2, 1, 2, "N", "Y"),
    (9, "Somnolence", 2, 1, 2, "Y", "Y"),
    (9, "Anorexia", 1, 1, 6, "N", "Y"),
    (10, "Fatigue", 1, 2, 8, "N", "Y"),
    (11, "Febrile neutropenia", 3, 14, 17, "Y", "N"),
    (11, "Catheter related infection", 3, 14, 21, "Y", "N"),
    (11, "Mucositis oral", 2, 12, 19, "N", "N"),
    (12, "Headache", 1, 2, 2, "N", "Y"),
    (12, "Nausea", 1, 2, 3, "N", "Y"),
    (13, "Seizure", 3, 3, 3, "Y", "Y"),
    (13, "Encephalopathy", 3, 3, 5, "Y", "Y"),
    (13, "Tremor", 2, 2, 6, "N", "Y"),
    (14, "Headache", 1, 0, 1, "N", "Y"),
    (14, "Rash maculo-papular", 1, 6, 12, "N", "Y"),
    (15, "Vomiting", 1, 1, 1, "N", "Y"),
    (16, "Chills", 2, 2, 2, "N", "Y"),
    (17, "Dizziness", 2, 2, 4, "N", "Y"),
    (17, "Nausea", 2, 1, 3, "N", "Y"),
    (17, "Diarrhea", 2, 3, 5, "N", "Y"),
    (18, "Fatigue", 1, 2, 20, "N", "Y"),
    (18, "Cough", 1, 10, 16, "N", "N"),
    (19, "Headache", 1, 1, 2, "N", "Y"),
    (20, "Upper respiratory infection", 2, 15, 21, "N", "N"),
    (20, "Cough", 1, 15, 22, "N", "N"),
    (21, "Tremor", 1, 2, 5, "N", "Y"),
    (21, "Fatigue", 2, 2, 10, "N", "Y"),
    (22, "Insomnia", 1, 1, 4, "N", "N"),
    (23, "Headache", 1, 4, 5, "N", "Y"),
    (23, "Myalgia", 1, 4, 6, "N", "Y"),
    (24, "Nausea", 1, 3, 5, "N", "Y"),
    (24, "Anorexia", 1, 3, 7, "N", "Y"),
    (25, "Constipation", 1, 2, 6, "N", "N"),
    (26, "Chills", 2, 1, 1, "N", "Y"),
    (26, "Headache", 1, 1, 2, "N", "Y"),
    (27, "Fatigue", 2, 5, None, "N", "Y"),
    (27, "Epistaxis", 1, 12, 12, "N", "N"),
    (28, "Headache", 1, 1, 2, "N", "Y"),
    (29, "Diarrhea", 1, 6, 7, "N", "N"),
    (29, "Back pain", 2, 10, 14, "N", "N"),
    (30, "Headache", 1, 0, 1, "N", "Y"),
)


def events_table() -> pd.DataFrame:
    cols = ["subject_id", "term", "grade", "onset", "end", "serious", "related"]
    rows = [(f"BLN-{n:03d}", *rest) for n, *rest in EVENTS]
    df = pd.DataFrame(rows, columns=cols)
    df["end"] = pd.Series(
        [None if x is None else int(x) for _, _, _, _, x, _, _ in EVENTS], dtype=object
    )
    return df


# --------------------------------------------------------------------------------------------
# Assembly
# --------------------------------------------------------------------------------------------
OBS_COLUMNS = [
    "subject_id",
    "day",
    "parameter",
    "value",
    "unit",
    "lln",
    "uln",
    "flow",
    "other_cause",
]


def subject_observations(s: Subject) -> pd.DataFrame:
    rng = np.random.default_rng([SEED, s.num])
    course = build_course(s, rng)
    vitals = vital_rows(s, course, rng)
    times = sorted({r["day"] for r in vitals})  # type: ignore[type-var]
    rows = lab_rows(s, course, rng) + vitals + finding_rows(s, course, times)  # type: ignore[arg-type]
    df = pd.DataFrame(rows).reindex(columns=OBS_COLUMNS)
    df["day"] = df["day"].astype(float).round(4)
    return df.sort_values("day", kind="stable").reset_index(drop=True)


def add_gaps(obs: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Realistic holes: a few empty values and a few missing reference ranges (never at a
    baseline draw, never on the rows the intended grades rest on)."""
    obs = obs.copy()
    lab = obs["parameter"].isin(LABS) & (obs["day"] > 0)
    liver = obs["parameter"].isin(["ALT", "AST"]) & obs["subject_id"].isin(
        [f"BLN-{n:03d}" for n in LIVER_G3]
    )
    empty = rng.choice(np.flatnonzero(lab & ~liver), size=8, replace=False)
    obs.loc[empty, "value"] = None
    no_range = rng.choice(
        np.flatnonzero(lab & ~liver & obs["value"].notna()), size=12, replace=False
    )
    for i, pos in enumerate(no_range):
        obs.loc[pos, ["lln", "uln"][i % 2] if i < 8 else ["lln", "uln"]] = None
    temps = obs["parameter"].isin(["SPO2", "SYSBP"]) & (obs["day"] > 6)
    obs.loc[rng.choice(np.flatnonzero(temps), size=2, replace=False), "value"] = None
    return obs


def observations_table() -> pd.DataFrame:
    obs = pd.concat([subject_observations(s) for s in DESIGN], ignore_index=True)
    obs = add_gaps(obs, np.random.default_rng([SEED, 99]))
    for col in ("value", "flow", "other_cause"):
        obs[col] = obs[col].astype(object).where(obs[col].notna(), None)
    return obs


def check(subjects: pd.DataFrame, obs: pd.DataFrame, events: pd.DataFrame) -> None:
    """Guard the design: plausible values, baselines present, nothing below zero."""
    temp = obs[obs["parameter"] == "TEMP"]
    degc = np.where(
        temp["unit"] == "degF",
        (temp["value"].astype(float) - 32) * 5 / 9,
        temp["value"].astype(float),
    )
    assert np.nanmin(degc) >= 35.0 and np.nanmax(degc) <= 41.5, "TEMP out of range"
    labs = obs[obs["parameter"].isin(LABS)]
    assert (labs["value"].dropna().astype(float) >= 0).all(), "negative lab value"
    base = labs[labs["day"] <= 0].dropna(subset=["value"])
    have = base.groupby("subject_id")["parameter"].nunique()
    assert (have == len(LABS)).all() and len(have) == len(DESIGN), "baseline missing"
    assert sum(s.child for s in DESIGN) >= 3
    assert subjects["subject_id"].is_unique
    assert 40 <= len(events) <= 60


def freeze_xlsx(path: Path) -> None:
    """Make the workbook byte-identical across runs: openpyxl stamps the current time into
    ``docProps/core.xml`` and into every zip entry, which would dirty the committed file."""
    stamp = "2023-12-31T00:00:00Z"
    with zipfile.ZipFile(path) as src:
        entries = [(info.filename, src.read(info)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in entries:
            if name == "docProps/core.xml":
                text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp, data.decode("utf-8"))
                data = text.encode("utf-8")
            info = zipfile.ZipInfo(name, date_time=(2023, 12, 31, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, data)


def main() -> None:
    subjects, obs, events = subjects_table(), observations_table(), events_table()
    check(subjects, obs, events)
    CSV_DIR.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(XLSX, engine="openpyxl") as writer:
        for name, df in (("subjects", subjects), ("observations", obs), ("events", events)):
            df.to_excel(writer, sheet_name=name, index=False)
            df.to_csv(CSV_DIR / f"{name}.csv", index=False, lineterminator="\n")
    freeze_xlsx(XLSX)
    for name, df in (("subjects", subjects), ("observations", obs), ("events", events)):
        print(f"{name}: {len(df)} rows")
    print(f"wrote {XLSX.relative_to(HERE.parent)} and {CSV_DIR.relative_to(HERE.parent)}/")


if __name__ == "__main__":
    main()
