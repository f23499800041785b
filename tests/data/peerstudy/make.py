"""Write the synthetic CDISC study of tests/data/peerstudy/ (ADSL, ADAE, ADLB as CSV).

Deterministic (numpy seed 20261130): running it again writes the same bytes. Run from the repo
root: ``python tests/data/peerstudy/make.py``. The study is aegrade's own (names, arms, dates
and values are invented); it carries every case the peer layouts (NEST chevron AET02, AET04,
LBT14) must count: see README.md in this folder.

The ADLB toxicity grades (ATOXGR, BTOXGR, signed: negative = low direction, as NEST's LBT14
reads them) and the worst-grade flag WGRLOFL are derived here, as a sponsor's ADaM programs
would, from the CTCAE v5.0 thresholds written out below (not from aegrade), so that a table of
them is an independent reference for aegrade's own grading of AVAL.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SEED = 20261130
STUDY = "AEGPEER01"

#: Arms and the size of their safety population (arm B has 16 patients: 1/16 = 6.25 %, a
#: rounding tie, so that half-up and half-even printing differ somewhere).
ARMS = {"A: Aegravir 10 mg": 24, "B: Placebo": 16, "C: Aegravir 20 mg": 25}
#: Patients randomised but never dosed (SAFFL = N), per arm.
NOT_DOSED = {"A: Aegravir 10 mg": 2, "B: Placebo": 1, "C: Aegravir 20 mg": 2}

#: MedDRA SOC -> preferred terms used (names as MedDRA spells them), with a weight per term
#: (how common it is) and the grades it takes (weights over grades 1..5).
DICTIONARY: dict[str, dict[str, tuple[float, tuple[float, ...]]]] = {
    "Gastrointestinal disorders": {
        "Nausea": (5.0, (5, 3, 1, 0, 0)),
        "Diarrhoea": (4.0, (4, 3, 2, 0, 0)),
        "Vomiting": (2.0, (3, 2, 1, 0, 0)),
        "Constipation": (1.5, (4, 1, 0, 0, 0)),
    },
    "General disorders and administration site conditions": {
        "Fatigue": (4.5, (4, 3, 1, 0, 0)),
        "Pyrexia": (3.0, (4, 2, 1, 0, 0)),
        "Oedema peripheral": (2.0, (3, 1, 0, 0, 0)),
    },
    "Nervous system disorders": {
        "Headache": (3.0, (5, 2, 1, 0, 0)),
        "Dizziness": (2.0, (4, 1, 0, 0, 0)),
        "Peripheral sensory neuropathy": (1.5, (2, 2, 1, 0, 0)),
    },
    "Infections and infestations": {
        "Pneumonia": (1.5, (0, 2, 3, 1, 1)),
        "Sepsis": (0.8, (0, 0, 2, 2, 2)),
        "Upper respiratory tract infection": (2.0, (4, 2, 0, 0, 0)),
    },
    "Skin and subcutaneous tissue disorders": {
        "Rash": (2.5, (4, 2, 1, 0, 0)),
        "Pruritus": (1.5, (4, 1, 0, 0, 0)),
    },
    "Blood and lymphatic system disorders": {
        "Anaemia": (2.5, (2, 3, 2, 0, 0)),
        "Febrile neutropenia": (1.0, (0, 0, 4, 1, 0)),
    },
    "Cardiac disorders": {
        "Atrial fibrillation": (0.8, (1, 2, 1, 0, 0)),
        "Cardiac failure": (0.5, (0, 1, 1, 1, 1)),
    },
}
#: PTs also coded under a second SOC for some records (a PT under two SOCs): a MedDRA PT that
#: is not a CTCAE term, and a CTCAE term.
SECOND_SOC = (
    ("Oedema peripheral", "Vascular disorders"),
    ("Dizziness", "Ear and labyrinth disorders"),
)

#: Lab tests: PARAMCD, PARAM, unit, normal range, CTCAE v5.0 low-direction grade limits
#: ("Neutrophil count decreased": <LLN, <1.5, <1.0, <0.5 x 10e9/L; "Platelet count
#: decreased": <LLN, <75.0, <50.0, <25.0 x 10e9/L), typical value and spread.
LABS = {
    "NEUT": ("Neutrophils (10^9/L)", "10^9/L", (2.0, 7.5), (1.5, 1.0, 0.5), 4.0, 1.6),
    "PLAT": ("Platelets (10^9/L)", "10^9/L", (150.0, 400.0), (75.0, 50.0, 25.0), 240.0, 70.0),
}
#: Study days (ADaM ADY: day 1 = first dose, no day 0) of the post-baseline visits.
VISITS = (8, 15, 29, 57, 85)


def low_grade(value: np.ndarray, lln: float, limits: tuple[float, float, float]) -> np.ndarray:
    """CTCAE v5.0 grade in the low direction: 0 when not below the LLN, else 1..4."""
    g2, g3, g4 = limits
    out = np.zeros(len(value), np.int64)
    out[value < lln] = 1
    out[value < g2] = 2
    out[value < g3] = 3
    out[value < g4] = 4
    return out


def make_adsl(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    k = 0
    for arm, n in ARMS.items():
        for dosed in [True] * n + [False] * NOT_DOSED[arm]:
            k += 1
            rows.append((arm, dosed, k))
    order = rng.permutation(len(rows))  # arms interleaved in subject-number order
    recs = []
    for i, j in enumerate(order, start=1):
        arm, dosed, _ = rows[j]
        start = date(2024, 1, 8) + timedelta(days=int(rng.integers(0, 200)))
        recs.append(
            {
                "STUDYID": STUDY,
                "USUBJID": f"{STUDY}-{100 + i:04d}",
                "ARM": arm,
                "ACTARM": arm if dosed else "Not Treated",
                "AGE": int(rng.integers(28, 80)),
                "SEX": "F" if rng.random() < 0.5 else "M",
                "SAFFL": "Y" if dosed else "N",
                "TRTSDT": start.isoformat() if dosed else "",
                "TRTEDT": (start + timedelta(days=int(rng.integers(84, 169)))).isoformat()
                if dosed
                else "",
                "RANDDT": (start - timedelta(days=int(rng.integers(1, 8)))).isoformat(),
            }
        )
    return pd.DataFrame(recs)


def _ady(day: date, start: date) -> int:
    """ADaMIG study day: date - start + 1 on or after the start, date - start before."""
    d = (day - start).days
    return d + 1 if d >= 0 else d


def make_adae(rng: np.random.Generator, adsl: pd.DataFrame) -> pd.DataFrame:
    pts = [(soc, pt, w, g) for soc, terms in DICTIONARY.items() for pt, (w, g) in terms.items()]
    weights = np.array([w for _, _, w, _ in pts])
    weights = weights / weights.sum()
    recs = []
    arm_risk = {"A: Aegravir 10 mg": 3.2, "B: Placebo": 2.0, "C: Aegravir 20 mg": 4.2}
    for _, s in adsl.iterrows():
        dosed = s["SAFFL"] == "Y"
        start = date.fromisoformat(s["TRTSDT"] if dosed else s["RANDDT"])
        end = date.fromisoformat(s["TRTEDT"]) if dosed else start
        # A never-dosed patient (no TRTSDT) has no AE record here: aegrade cannot place a
        # dated AE of a patient without treatment start (see README, differences).
        n = int(rng.poisson(arm_risk[s["ARM"]])) if dosed else 0
        for _ in range(n):
            soc, pt, _, gw = pts[int(rng.choice(len(pts), p=weights))]
            gp = np.array(gw, float) / sum(gw)
            grade = int(rng.choice(5, p=gp)) + 1
            onset = start + timedelta(days=int(rng.integers(0, max((end - start).days, 1) + 1)))
            recs.append([s["USUBJID"], soc, pt, grade, onset, start, dosed, "Y" if dosed else ""])
            if pt in ("Nausea", "Fatigue") and rng.random() < 0.45:  # the same PT again
                again = onset + timedelta(days=int(rng.integers(5, 40)))
                allowed = [k + 1 for k, w in enumerate(gw) if w > 0]  # the PT's grades
                g2 = min(max(grade + int(rng.choice([-1, 0, 1])), allowed[0]), allowed[-1])
                recs.append([s["USUBJID"], soc, pt, g2, again, start, dosed, "Y" if dosed else ""])
    ae = pd.DataFrame(
        recs, columns=["USUBJID", "AEBODSYS", "AEDECOD", "g", "ASTDT", "start", "dosed", "TRTEMFL"]
    )
    ae["AETOXGR"] = ae["g"].astype(str)
    dosed = ae["dosed"].to_numpy(bool)
    idx = np.flatnonzero(dosed)
    # Some records the way a sponsor's data has them before database lock:
    pick = rng.choice(idx, size=10, replace=False)
    ungraded, uncoded, soc_only = pick[0:4], pick[4:8], pick[8:10]
    ae.loc[ungraded, "AETOXGR"] = ""  # grade not yet entered
    ae.loc[uncoded, ["AEDECOD", "AEBODSYS"]] = ""  # not yet coded
    ae.loc[soc_only, "AEDECOD"] = ""  # PT coding pending, SOC known
    for pt, soc in SECOND_SOC:
        at = np.flatnonzero((ae["AEDECOD"] == pt).to_numpy() & dosed)
        ae.loc[at[: max(2, len(at) // 3)], "AEBODSYS"] = soc
    # Onsets before the first dose and after the treatment-emergent window (TRTEMFL blank, as
    # ADaM leaves it, or N): never counted by the peer (ANL01FL) nor by aegrade.
    subjects = adsl[adsl["SAFFL"] == "Y"].sample(n=8, random_state=SEED % 2**31)
    extra = []
    for k, (_, s) in enumerate(subjects.iterrows()):
        start = date.fromisoformat(s["TRTSDT"])
        soc, pt = (
            ("Gastrointestinal disorders", "Nausea")
            if k % 2
            else ("Nervous system disorders", "Headache")
        )
        if k < 6:
            onset = start - timedelta(days=int(rng.integers(2, 15)))
            flag = "N" if k % 3 == 0 else ""
        else:
            onset = date.fromisoformat(s["TRTEDT"]) + timedelta(days=int(rng.integers(40, 60)))
            flag = "N" if k == 6 else ""  # ADaM leaves TRTEMFL blank; some sponsors write N
        extra.append(
            {
                "USUBJID": s["USUBJID"],
                "AEBODSYS": soc,
                "AEDECOD": pt,
                "g": 3,
                "AETOXGR": "3",
                "ASTDT": onset,
                "start": start,
                "dosed": True,
                "TRTEMFL": flag,
            }
        )
    ae = pd.concat([ae, pd.DataFrame(extra)], ignore_index=True)
    ae = ae.sort_values(["USUBJID", "ASTDT"], kind="stable").reset_index(drop=True)
    ae["AESEQ"] = ae.groupby("USUBJID").cumcount() + 1
    ae["ASTDY"] = [_ady(d, s) for d, s in zip(ae["ASTDT"], ae["start"], strict=True)]
    ae["AENDT"] = [d + timedelta(days=int(rng.integers(1, 15))) for d in ae["ASTDT"]]
    ae["AENDY"] = [_ady(d, s) for d, s in zip(ae["AENDT"], ae["start"], strict=True)]
    verbatim = ["FELT FUNNY AFTER INFUSION", "ACHY ALL OVER", "BAD NIGHT", "WOBBLY"]
    uncoded_at = np.flatnonzero((ae["AEDECOD"] == "").to_numpy())
    ae["AETERM"] = ae["AEDECOD"].str.upper()
    ae.loc[uncoded_at, "AETERM"] = [verbatim[k % len(verbatim)] for k in range(len(uncoded_at))]
    ae["ATOXGR"] = ae["AETOXGR"]
    ae["ANL01FL"] = np.where(ae["TRTEMFL"] == "Y", "Y", "")
    ae["AESER"] = np.where(ae["g"] >= 4, "Y", "N")
    ae["STUDYID"] = STUDY
    ae["ASTDT"] = [d.isoformat() for d in ae["ASTDT"]]
    ae["AENDT"] = [d.isoformat() for d in ae["AENDT"]]
    ae = ae.merge(adsl[["USUBJID", "ARM", "ACTARM"]], on="USUBJID", how="left")
    return ae[
        [
            "STUDYID",
            "USUBJID",
            "ARM",
            "ACTARM",
            "AESEQ",
            "AETERM",
            "AEDECOD",
            "AEBODSYS",
            "AETOXGR",
            "ATOXGR",
            "ASTDT",
            "AENDT",
            "ASTDY",
            "AENDY",
            "TRTEMFL",
            "ANL01FL",
            "AESER",
        ]
    ]


def make_adlb(rng: np.random.Generator, adsl: pd.DataFrame) -> pd.DataFrame:
    recs = []
    safety = adsl[adsl["SAFFL"] == "Y"].reset_index(drop=True)
    # Patients without any lab (4), with post-baseline values but no baseline (3).
    no_labs = set(safety["USUBJID"].sample(n=4, random_state=1))
    rest = safety[~safety["USUBJID"].isin(no_labs)]
    no_base = set(rest["USUBJID"].sample(n=3, random_state=2))
    toxic = {"A: Aegravir 10 mg": 0.7, "B: Placebo": 0.25, "C: Aegravir 20 mg": 1.0}
    for _, s in safety.iterrows():
        sid = s["USUBJID"]
        if sid in no_labs:
            continue
        start = date.fromisoformat(s["TRTSDT"])
        for code, (param, unit, (lo, hi), _, mu, sd) in LABS.items():
            base_level = mu + sd * rng.normal()
            if rng.random() < 0.15:  # abnormal already at baseline
                base_level = lo * rng.uniform(0.25, 0.95)
            base_level = max(base_level, lo * 0.2)
            days = [] if sid in no_base else [-int(rng.integers(2, 8))]
            days += [v for v in VISITS if rng.random() < 0.85] or [VISITS[0]]
            for ady in days:
                if ady < 0:
                    value = base_level
                else:
                    drop = rng.exponential(toxic[s["ARM"]]) * 0.35
                    value = base_level * max(0.05, 1.0 - drop) + 0.1 * sd * rng.normal()
                value = round(max(value, lo * 0.03), 2 if code == "NEUT" else 0)
                adt = start + timedelta(days=ady - 1 if ady > 0 else ady)
                recs.append([sid, code, param, value, unit, lo, hi, ady, adt.isoformat()])
    lb = pd.DataFrame(
        recs,
        columns=["USUBJID", "PARAMCD", "PARAM", "AVAL", "AVALU", "ANRLO", "ANRHI", "ADY", "ADT"],
    )
    grade = np.zeros(len(lb), np.int64)
    for code, (_, _, (lo, _), limits, _, _) in LABS.items():
        at = (lb["PARAMCD"] == code).to_numpy()
        grade[at] = low_grade(lb.loc[at, "AVAL"].to_numpy(float), lo, limits)
    lb["ATOXGR"] = np.where(grade > 0, (-grade).astype(str), "0")
    lb["ABLFL"] = np.where(lb["ADY"] < 0, "Y", "")
    base = lb[lb["ABLFL"] == "Y"].set_index(["USUBJID", "PARAMCD"])
    key = pd.MultiIndex.from_frame(lb[["USUBJID", "PARAMCD"]])
    lb["BASE"] = base["AVAL"].reindex(key).to_numpy()
    lb["BTOXGR"] = base["ATOXGR"].reindex(key).fillna("").to_numpy()
    post = lb[lb["ADY"] > 1].assign(g=grade[(lb["ADY"] > 1).to_numpy()])
    worst = post.sort_values(
        ["USUBJID", "PARAMCD", "g", "ADY"], ascending=[True, True, False, True]
    )
    flagged = worst.drop_duplicates(["USUBJID", "PARAMCD"]).index
    lb["WGRLOFL"] = ""
    lb.loc[flagged, "WGRLOFL"] = "Y"
    lb["STUDYID"] = STUDY
    lb["AVISIT"] = np.where(lb["ADY"] < 0, "BASELINE", "WEEK " + ((lb["ADY"] - 1) // 7).astype(str))
    lb = lb.sort_values(["USUBJID", "PARAMCD", "ADY"], kind="stable").reset_index(drop=True)
    lb["LBSEQ"] = lb.groupby("USUBJID").cumcount() + 1
    return lb[
        [
            "STUDYID",
            "USUBJID",
            "PARAMCD",
            "PARAM",
            "AVISIT",
            "ADT",
            "ADY",
            "AVAL",
            "AVALU",
            "ANRLO",
            "ANRHI",
            "BASE",
            "ABLFL",
            "ATOXGR",
            "BTOXGR",
            "WGRLOFL",
            "LBSEQ",
        ]
    ]


def main(out: Path = HERE) -> None:
    rng = np.random.default_rng(SEED)
    adsl = make_adsl(rng)
    adae = make_adae(rng, adsl)
    adlb = make_adlb(rng, adsl)
    for name, frame in (("adsl", adsl), ("adae", adae), ("adlb", adlb)):
        frame.to_csv(out / f"{name}.csv", index=False, lineterminator="\n")


if __name__ == "__main__":
    main()
