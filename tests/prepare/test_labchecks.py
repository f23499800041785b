"""Lab rows as sites send them (issue 10 points 1, 2, 5, 6): names, LOINC, censoring,
specimens, units; through prepare_observations and grade_labs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import aegrade
from aegrade.errors import InputError
from aegrade.prepare.labchecks import CENSOR_STEP, censored_values
from aegrade.prepare.observations import prepare_observations


def _grade(rows: list[dict[str, object]], criteria: str = "ctcae-v5.0") -> pd.DataFrame:
    return aegrade.grade_labs(pd.DataFrame(rows), criteria, errors="coerce")


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Absolute Neutrophil Count", "NEUT"),
        ("Neutrophils, absolute", "NEUT"),
        ("ANC", "NEUT"),
        ("Neutrophils Abs", "NEUT"),
        ("Hgb", "HGB"),
        ("Platelet Count", "PLAT"),
        ("WBC", "WBC"),
        ("ALT (SGPT)", "ALT"),
        ("Bilirubin, Total", "BILI"),
        ("Total Bilirubin", "BILI"),
        ("Temperature", "TEMP"),
        ("C-Reactive Protein", "CRP"),
        ("  total   BILIRUBIN ", "BILI"),
        ("Neutrophils (%)", None),
        ("Neutrophils %", None),
        ("Reticulocytes", None),
    ],
)
def test_test_names_recognised_without_a_map(name: str, code: str | None) -> None:
    prep = prepare_observations(
        pd.DataFrame({"parameter": [name], "value": [1.0], "unit": ["x"]}), errors="coerce"
    )
    assert prep.code[0] == code


def test_unrecognised_name_is_kept_with_a_reason_naming_it_not_an_error() -> None:
    out = aegrade.grade_labs(pd.DataFrame({"parameter": ["Reticulocytes"], "value": [1.2]}))
    assert (
        out["reason"].iloc[0].startswith("not graded: unknown_parameter (test name 'Reticulocytes'")
    )


def test_loinc_names_the_analyte_and_its_specimen() -> None:
    rows = [
        {"parameter": "Segs abs", "loinc": "751-8", "value": 0.4, "unit": "10^9/L"},
        {"parameter": "K+", "loinc": "2828-2", "value": 15, "unit": "mmol/L"},  # urine K
        {"parameter": "K+", "loinc": "2823-3", "value": 6.5, "unit": "mmol/L", "uln": 5.1},
    ]
    out = _grade(rows)
    assert out["grade_low"].tolist()[0] == 4
    assert out["reason"].iloc[1].startswith("not graded: other_specimen (specimen URINE")
    assert out["grade_high"].iloc[2] == 3  # hyperkalemia >6.0 - 7.0


def test_loinc_property_must_fit_the_unit() -> None:
    # 718-7 is hemoglobin mass concentration: a mmol/L unit does not fit it
    out = _grade([{"parameter": "HGB", "loinc": "718-7", "value": 8.0, "unit": "mmol/L"}])
    assert out["reason"].iloc[0].startswith("not graded: unit_mismatch (unit 'mmol/L'")


@pytest.mark.parametrize(
    ("param", "cell", "unit", "grade"),
    [
        ("NEUT", "<0.5", "10^9/L", 4),
        ("NEUT", "<1.0", "10^9/L", 3),
        ("NEUT", "<=0.5", "10^9/L", 3),  # 0.5 itself is grade 3 (<1000 - 500/mm3)
        ("NEUT", "<500", "/mm3", 4),
        ("PLAT", "<10", "10^9/L", 4),
        ("PLAT", "<25", "10^9/L", 4),
        ("PLAT", "<=25", "10^9/L", 3),
    ],
)
def test_censored_low_results(param: str, cell: str, unit: str, grade: int) -> None:
    out = _grade([{"parameter": param, "value": cell, "unit": unit, "lln": 1.8}])
    assert out["grade_low"].iloc[0] == grade
    assert bool(out["review"].iloc[0])
    assert "censored result" in out["reason"].iloc[0]


def test_censored_bilirubin_below_detection_is_grade_0() -> None:
    out = _grade([{"parameter": "BILI", "value": "<0.1", "unit": "mg/dL", "uln": 1.2}])
    assert out["grade_high"].iloc[0] == 0 and bool(out["review"].iloc[0])
    assert out["censor_limit"].iloc[0] == 0.1 and out["censor_side"].iloc[0] == "<"


def test_censored_high_result_is_just_above_the_limit() -> None:
    # hyperkalemia v5.0 grade 3 is >6.0 - 7.0: ">6.0" is grade 3, "6.0" itself grade 2
    out = _grade(
        [
            {"parameter": "K", "value": ">6.0", "unit": "mmol/L", "lln": 3.5, "uln": 5.1},
            {"parameter": "K", "value": "6.0", "unit": "mmol/L", "lln": 3.5, "uln": 5.1},
        ]
    )
    assert out["grade_high"].tolist() == [3, 2]
    assert out["review"].tolist() == [True, False]


def test_censored_values_move_by_the_step() -> None:
    got = censored_values(np.array([0.5, 0.5]), np.array(["<", ">"], dtype=object))
    assert got.tolist() == [0.5 - 0.5 * CENSOR_STEP, 0.5 + 0.5 * CENSOR_STEP]


def test_no_result_is_missing_with_reason_never_0_nor_an_error() -> None:
    out = aegrade.grade_labs(
        pd.DataFrame(
            {"parameter": ["HGB", "PLAT"], "value": ["hemolyzed", "N/A"], "unit": "g/dL", "lln": 12}
        )
    )  # errors="raise": no error
    assert out["grade_low"].isna().all()
    assert out["reason"].tolist() == [
        "not graded: no_result (the result is 'hemolyzed')",
        "not graded: no_result (the result is 'N/A')",
    ]


@pytest.mark.parametrize(
    ("cell", "check"),
    [
        (True, "not_a_number"),
        ("inf", "not_a_number"),
        ("nan", "not_a_number"),
        ("#N/A", "spreadsheet_error"),
        ("150.000", "ambiguous_number"),
        ("1e308", "implausible_value"),
    ],
)
def test_bad_cells_are_input_errors_naming_the_cell(cell: object, check: str) -> None:
    frame = pd.DataFrame(
        {"parameter": ["PLAT"], "value": pd.Series([cell], dtype=object), "unit": ["10^9/L"]}
    )
    with pytest.raises(InputError) as err:
        aegrade.grade_labs(frame)
    got = err.value.failures.iloc[0]
    assert (got["check"], got["column"], got["row"]) == (check, "value", 0)
    coerced = aegrade.grade_labs(frame, errors="coerce")
    assert coerced["reason"].iloc[0].startswith(f"not graded: {check}")


@pytest.mark.parametrize("specimen", ["Serum", "PLASMA", "whole blood", "B", None, ""])
def test_blood_specimens_and_no_specimen_are_graded(specimen: object) -> None:
    out = _grade([{"parameter": "K", "value": 2.4, "unit": "mmol/L", "specimen": specimen}])
    assert out["grade_low"].iloc[0] == 4


@pytest.mark.parametrize(("param", "value"), [("K", 15.0), ("SODIUM", 40.0), ("CREAT", 9000.0)])
def test_urine_rows_are_not_graded_and_name_the_specimen(param: str, value: float) -> None:
    out = _grade(
        [
            {
                "parameter": param,
                "value": value,
                "unit": "mmol/L" if param != "CREAT" else "umol/L",
                "specimen": "URINE",
                "lln": 1,
                "uln": 2,
            }
        ]
    )
    assert out["grade_low"].isna().all() and out["grade_high"].isna().all()
    assert out["reason"].iloc[0] == (
        "not graded: other_specimen (specimen URINE: CTCAE grades blood, serum or plasma "
        "values only)"
    )


def test_urine_rows_are_not_input_errors_in_raise_mode() -> None:
    # urine pH 5 is below blood pH's plausibility limit: not an error for a urine row
    aegrade.grade_labs(pd.DataFrame({"parameter": ["PH"], "value": [5.0], "specimen": ["URINE"]}))


@pytest.mark.parametrize(
    ("lln", "uln", "loinc", "graded"),
    [
        (7.35, 7.45, None, True),  # a blood range
        (None, 7.45, None, True),
        (4.5, 8.0, None, False),  # a urine range
        (5.0, 8.0, None, False),
        (None, None, None, False),  # nothing tells blood from urine
        (None, None, "2744-1", True),  # arterial blood pH
        (7.35, 7.45, "2756-5", False),  # urine pH code wins over the range
    ],
)
def test_ph_is_blood_only_when_loinc_or_range_says_so(
    lln: float | None, uln: float | None, loinc: str | None, graded: bool
) -> None:
    out = _grade([{"parameter": "PH", "value": 7.2, "lln": lln, "uln": uln, "loinc": loinc}])
    assert (out["grade_low"].iloc[0] == 3) if graded else pd.isna(out["grade_low"].iloc[0])
    if not graded:
        assert out["reason"].iloc[0].startswith("not graded: other_specimen (")


def test_baseline_is_per_specimen() -> None:
    rows = [
        {
            "subject_id": "S1",
            "day": -1,
            "parameter": "CREAT",
            "value": 80,
            "unit": "umol/L",
            "specimen": "SERUM",
            "uln": 110,
        },
        {
            "subject_id": "S1",
            "day": -1,
            "parameter": "CREAT",
            "value": 70,
            "unit": "umol/L",
            "specimen": "PLASMA",
            "uln": 110,
        },
        {
            "subject_id": "S1",
            "day": 3,
            "parameter": "CREAT",
            "value": 100,
            "unit": "umol/L",
            "specimen": "SERUM",
            "uln": 110,
        },
    ]
    prep = prepare_observations(pd.DataFrame(rows))
    assert prep.baseline.tolist() == [80.0, 70.0, 80.0]


@pytest.mark.parametrize(
    ("param", "value", "unit", "lln", "uln", "suspect"),
    [
        ("CA", 2.3, "mg/dL", 2.1, 2.6, "mmol/L"),
        ("CA", 1.29, "mg/dL", 2.1, 2.6, "mmol/L"),
        ("GLUC", 5.1, "mg/dL", 3.9, 5.6, "mmol/L"),
        ("HGB", 12.5, "g/L", None, None, "g/dL"),
        ("HGB", 7.5, "g/dL", 7.5, 10.0, "mmol/L"),
        ("CREAT", 80, "mg/dL", 60, 110, "umol/L"),
        ("BILI", 10, "mg/dL", 3.4, 20.5, "umol/L"),
    ],
)
def test_unit_that_does_not_fit_is_not_graded_and_names_the_suspect(
    param: str, value: float, unit: str, lln: float | None, uln: float | None, suspect: str
) -> None:
    out = aegrade.grade_labs(  # raise mode: not an input error
        pd.DataFrame([{"parameter": param, "value": value, "unit": unit, "lln": lln, "uln": uln}])
    )
    assert out["grade_low"].isna().all() and out["grade_high"].isna().all()
    assert out["reason"].iloc[0].startswith("not graded: unit_mismatch (")
    assert out["reason"].iloc[0].endswith(f"; it fits {suspect})")


@pytest.mark.parametrize(
    ("param", "value", "unit", "lln", "uln"),
    [
        ("CA", 9.1, "mg/dL", 8.6, 10.2),
        ("CA", 2.3, "mmol/L", 2.1, 2.6),
        ("GLUC", 92, "mg/dL", 70, 99),
        ("HGB", 125, "g/L", 120, 160),
        ("HGB", 2.5, "g/dL", 12, 16),  # extreme but the range says g/dL: graded
        ("HGB", 4.0, "g/dL", None, None),  # 40 g/L: possible, no other unit makes it normal
        ("CA", 2.0, "mmol/L", 4.0, None),  # one bound alone is too weak a witness
    ],
)
def test_units_that_fit_are_graded(
    param: str, value: float, unit: str, lln: float | None, uln: float | None
) -> None:
    out = _grade([{"parameter": param, "value": value, "unit": unit, "lln": lln, "uln": uln}])
    assert not out["reason"].iloc[0].startswith("not graded")


@pytest.mark.parametrize(
    ("param", "value", "unit", "ok"),
    [
        ("HGB", 0.99, "g/dL", False),
        ("HGB", 1.0, "g/dL", True),
        ("CA", 1.0, "mg/dL", False),
        ("CA", 2.01, "mg/dL", True),
        ("K", 0.9, "mmol/L", False),
        ("SODIUM", 79, "mmol/L", False),
    ],
)
def test_plausibility_lower_bounds(param: str, value: float, unit: str, ok: bool) -> None:
    frame = pd.DataFrame({"parameter": [param], "value": [value], "unit": [unit]})
    if ok:
        aegrade.grade_labs(frame)
    else:
        with pytest.raises(InputError, match="physiologically possible"):
            aegrade.grade_labs(frame)


@pytest.mark.parametrize("param", ["CREAT", "BILI", "HGB", "K"])
def test_missing_unit_is_an_input_error_for_absolute_analytes(param: str) -> None:
    frame = pd.DataFrame({"parameter": [param], "value": [0.8], "uln": [1.2]})
    with pytest.raises(InputError) as err:
        aegrade.grade_labs(frame)
    assert err.value.failures["check"].tolist() == ["missing_unit"]


def test_missing_unit_still_fine_for_ratio_analytes() -> None:
    out = aegrade.grade_labs(pd.DataFrame({"parameter": ["ALT"], "value": [200.0], "uln": [40]}))
    assert out["grade_high"].iloc[0] == 2


def test_pharmaverse_urine_ph_is_never_graded() -> None:
    # pharmaverseadam's ADLB PARAMCD PH is urine pH (range 5-8); it gave 455 rows of
    # "Acidosis grade 3" and 1,089 "pH 5 is impossible" errors before issue 10
    from tests.conftest import DATA

    d = pd.read_csv(DATA / "pharmaverse" / "adlb_grading_subset.csv.gz", low_memory=False)
    ph = d[d["PARAMCD"] == "PH"]
    out = aegrade.grade_labs(
        pd.DataFrame(
            {
                "parameter": ph["PARAMCD"],
                "value": ph["AVAL"],
                "lln": ph["ANRLO"],
                "uln": ph["ANRHI"],
            }
        )
    )  # errors="raise": no input error either
    assert len(out) == 1546
    assert out["grade_low"].isna().all() and out["grade_high"].isna().all()
    assert out["reason"].str.startswith("not graded: other_specimen (pH with a reference").all()


def _one(rows: list[dict[str, object]], criteria: str = "ctcae-v5.0") -> pd.DataFrame:
    return aegrade.grade(pd.DataFrame(rows), criteria, errors="coerce").graded_observations


@pytest.mark.parametrize("criteria", ["ctcae-v4.03", "ctcae-v5.0", "ctcae-v6.0"])
def test_loinc_code_decides_the_analyte_over_the_test_name(criteria: str) -> None:
    # "Calcium" 1.10 mmol/L coded 1994-3 (Calcium.ionized in Blood): ionized calcium, grade 1
    # (<LLN - 1.0 mmol/L), not total calcium grade 4 (<1.5 mmol/L)
    row = {"subject_id": "1", "day": 1, "parameter": "Calcium", "value": 1.10}
    got = _one([{**row, "unit": "mmol/L", "lln": 1.12, "uln": 1.32, "loinc": "1994-3"}], criteria)
    assert got["grade_low"].tolist() == [1]
    assert "/hypocalcemia-ionized/1]" in got["reason"].iloc[0]


def test_calcium_with_an_ionized_range_is_not_total_calcium() -> None:
    base = {"subject_id": "1", "parameter": "Calcium", "unit": "mmol/L"}
    got = _one(
        [
            {**base, "day": 1, "value": 1.10, "lln": 1.12, "uln": 1.32},  # ionized range
            {**base, "day": 2, "value": 1.10, "lln": 2.15, "uln": 2.55},  # total range: G4
            {**base, "day": 3, "value": 1.10, "lln": None, "uln": None},  # no range: as given
        ]
    )
    assert pd.isna(got["grade_low"].iloc[0])
    assert got["reason_code"].iloc[0] == "unit_mismatch"
    assert "range 1.12-1.32 fits ionized calcium (CAION), not CA" in got["reason"].iloc[0]
    assert got["grade_low"].tolist()[1:] == [4, 4]


def test_a_range_row_refused_for_its_unit_is_listed_in_issues_not_raised() -> None:
    frame = pd.DataFrame(
        {"subject_id": "1", "day": [1, 2], "parameter": ["Calcium", "HGB"], "value": [1.1, 12.5],
         "unit": ["mmol/L", "g/L"], "lln": [1.12, None], "uln": [1.32, None]}
    )  # fmt: skip
    result = aegrade.grade(frame)  # errors="raise": kept ungraded, not an input error
    assert result.issues["check"].tolist() == ["unit_mismatch", "unit_mismatch"]
    assert result.issues["column"].tolist() == ["unit", "unit"]
    assert result.issues["value"].tolist() == ["mmol/L", "g/L"]
    assert "it fits g/dL" in result.issues["message"].iloc[1]


@pytest.mark.parametrize(
    ("code", "specimen"),
    [("2350-7", "URINE"), ("5792-7", "URINE"), ("15076-3", "URINE"), ("22705-8", "URINE"),
     ("2342-4", "CEREBROSPINAL FLUID")],
)  # fmt: skip
def test_urine_and_csf_glucose_codes_are_not_blood_glucose(code: str, specimen: str) -> None:
    row = {"subject_id": "1", "day": 1, "parameter": "Glucose", "value": 1000, "unit": "mg/dL"}
    unit = "mmol/L" if code in ("15076-3", "22705-8") else "mg/dL"
    got = _one([{**row, "unit": unit, "loinc": code}], "ctcae-v4.03")
    assert pd.isna(got["grade_high"].iloc[0]) and pd.isna(got["grade_low"].iloc[0])
    assert got["reason"].iloc[0].startswith(f"not graded: other_specimen (specimen {specimen}")


@pytest.mark.parametrize(
    ("code", "parameter", "specimen"),
    [("2888-6", "PROT", "URINE"), ("5804-0", "PROT", "URINE"), ("14683-7", "CREAT", "URINE"),
     ("2880-3", "PROT", "CEREBROSPINAL FLUID"), ("2828-2", "K", "URINE"),
     ("2955-3", "SODIUM", "URINE"), ("2756-5", "PH", "URINE")],
)  # fmt: skip
def test_other_specimen_codes_of_graded_analytes(code: str, parameter: str, specimen: str) -> None:
    ready = prepare_observations(
        pd.DataFrame({"parameter": ["x"], "value": [1.0], "unit": ["mmol/L"], "loinc": [code]}),
        errors="coerce",
    )
    assert ready.code.tolist() == [parameter] and ready.specimen.tolist() == [specimen]


@pytest.mark.parametrize(
    "code", ["BUN", "UREAN", "CL", "HCT", "RBC", "MCV", "MCH", "MCHC", "PROT", "TSH", "RESP"]
)
def test_standard_cdisc_codes_without_criteria_are_known(code: str) -> None:
    row = {"subject_id": "1", "day": 1, "parameter": code, "value": 20, "unit": "mg/dL"}
    got = _one([row])
    assert got["reason_code"].tolist() == ["no_criteria"]
    assert got["reason"].iloc[0] == "no criteria in ctcae-v5.0 for this parameter"
    assert pd.isna(got["grade_low"].iloc[0]) and pd.isna(got["grade_high"].iloc[0])


def test_the_unit_check_windows_are_never_nan() -> None:
    # unit_mismatches reads "outside a window" as a comparison that a NaN never passes
    from aegrade.criteria.units import registry
    from aegrade.prepare.labchecks import _check_windows

    names = sorted(registry().parameters)
    lows, highs = _check_windows(names)
    assert not np.isnan(lows[:, 1:]).any() and not np.isnan(highs).any()
    assert (lows[:-1, 0] == 1.0).sum() >= 10  # parameters with a window are checked


def _unit_skips(
    pi: np.ndarray,
    names: list[str],
    units: pd.Series,
    value: np.ndarray,
    lln: np.ndarray,
    uln: np.ndarray,
    key: np.ndarray,
    scale: np.ndarray,
    **options: object,
) -> tuple[np.ndarray, np.ndarray]:
    """The rows ``unit_mismatches`` skips and their texts, every row eligible."""
    from aegrade.prepare.labchecks import Skips, unit_mismatches

    skip = Skips(len(pi))
    unit_mismatches(
        skip,
        pi,
        names,
        units,
        value,
        lln,
        uln,
        np.ones(len(pi), bool),
        None,
        unit_key=key,
        scale=scale,
        **options,
    )
    at, text = skip.reasons()
    return at, text


def test_unit_checks_without_conversion_find_the_same_rows() -> None:
    # issue 15: with every scale 1 (identity) no product is taken; the same rows are skipped
    from aegrade.criteria.units import convert_indexed, registry

    names = sorted(registry().parameters)
    rng = np.random.default_rng(5)
    n = 200_000  # several blocks
    codes = ["CA", "GLUC", "HGB", "CREAT", "K", "BILI", "ALB"]
    pi = np.array([names.index(c) for c in codes])[rng.integers(0, len(codes), n)]
    units = pd.Series(np.array([registry().parameters[names[i]].unit for i in pi], dtype=object))
    value = rng.random(n) * 300
    lln, uln = rng.random(n) * 50, 50 + rng.random(n) * 300
    lln[rng.random(n) < 0.3] = np.nan  # rows without a range: the value is checked
    scale, _, _, key = convert_indexed(pi, names, units)
    assert (scale == 1.0).all()
    common = (pi, names, units, value, lln, uln, key, scale)
    at_a, text_a = _unit_skips(*common, identity=False, threads=2)
    at_b, text_b = _unit_skips(*common, identity=True, threads=2)
    assert len(at_a) > 1000
    np.testing.assert_array_equal(at_a, at_b)
    assert text_a.tolist() == text_b.tolist()


def test_unit_checks_of_one_range_per_parameter_find_the_same_rows() -> None:
    # issue 15: a parameter's one range judged once gives each of its rows the same verdict
    from aegrade.criteria.units import convert_indexed, registry
    from aegrade.prepare.observations import _constant_per_parameter

    names = sorted(registry().parameters)
    rng = np.random.default_rng(6)
    n = 150_000
    codes = ["CA", "GLUC", "HGB", "CREAT", "BILI", "ALB", "K", "PLAT"]
    index = np.array([names.index(c) for c in codes])
    pi = index[rng.integers(0, len(codes), n)]
    pi[:100_000] = index[rng.integers(0, 6, 100_000)]  # no K nor PLAT in the first blocks
    units = pd.Series(np.array([registry().parameters[names[i]].unit for i in pi], dtype=object))
    value = rng.random(n) * 300
    # one range per parameter: CA's and GLUC's fit mg/dL (a mismatch), the others their unit
    per = {"CA": (8.6, 10.2), "GLUC": (70.0, 100.0), "HGB": (120.0, 160.0), "CREAT": (60, 110)}
    lln = np.full(n, 1.0)
    uln = np.full(n, 2.0)
    for code, (lo, hi) in per.items():
        lln[pi == names.index(code)], uln[pi == names.index(code)] = lo, hi
    k_rows = pi == names.index("K")
    lln[k_rows] = rng.choice([3.5, 3.6], int(k_rows.sum()))  # two ranges: judged row by row
    uln[pi == names.index("PLAT")] = np.nan  # no range: the value is checked
    scale, _, _, key = convert_indexed(pi, names, units)
    counts = np.bincount(pi + 1, minlength=len(names) + 1)
    low, high = _constant_per_parameter([lln, uln], pi, counts)
    ranges = (low, high)
    assert not np.isnan(ranges[0][names.index("CA")]) and np.isnan(ranges[0][names.index("K")])
    common = (pi, names, units, value, lln, uln, key, scale)
    at_a, text_a = _unit_skips(*common, identity=True)
    at_b, text_b = _unit_skips(*common, identity=True, ranges=ranges)
    assert (pi[at_a] == names.index("CA")).any() and (pi[at_a] == names.index("GLUC")).any()
    assert (at_a < 65_536).any()  # found in a block where every range is its parameter's one
    np.testing.assert_array_equal(at_a, at_b)
    assert text_a.tolist() == text_b.tolist()


@pytest.mark.parametrize(("lln", "uln", "skipped"), [(2.1, 2.6, False), (1.12, 1.32, True)])
def test_sibling_check_of_one_range_per_parameter(lln: float, uln: float, skipped: bool) -> None:
    # issue 15: calcium rows all with one range: judged once, the same rows skipped
    from aegrade.criteria.units import registry
    from aegrade.prepare.labchecks import Skips, sibling_ranges

    names = sorted(registry().parameters)
    pi = np.array([names.index("CA")] * 5 + [names.index("K")] * 3)
    low, high = np.array([lln] * 5 + [3.5] * 3), np.array([uln] * 5 + [5.1] * 3)
    ranges = (np.full(len(names) + 1, np.nan), np.full(len(names) + 1, np.nan))
    ranges[0][names.index("CA")], ranges[1][names.index("CA")] = lln, uln
    found = []
    for given in (None, ranges):
        skip = Skips(len(pi))
        sibling_ranges(
            skip, pi, names, low, high, np.ones(len(pi)), np.ones(len(pi), bool), ranges=given
        )
        found.append(skip.mask.tolist())
    assert found[0] == found[1] == [skipped] * 5 + [False] * 3


def test_unit_checks_with_every_unit_usable_and_pieces_on_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # issue 15: ok_unit None (every unit usable, no mask built) finds the rows an all-True
    # mask finds; the pieces that hold a misfit are noted while in cache, on any threads
    from aegrade import threads
    from aegrade.criteria.units import convert_indexed, registry
    from aegrade.errors import Reason
    from aegrade.prepare import labchecks
    from aegrade.prepare.labchecks import Skips, sibling_ranges, unit_mismatches

    monkeypatch.setattr(threads, "SMALLEST_BLOCK", 7)
    monkeypatch.setattr(labchecks, "_BLOCK", 4)
    names = sorted(registry().parameters)
    pi = np.array([names.index(c) for c in ["CA", "HGB", "CA", "K", "CA"] * 6])
    units = pd.Series(np.array([registry().parameters[names[i]].unit for i in pi], dtype=object))
    value = np.where(pi == names.index("CA"), 9.1, 4.0)  # calcium in mg/dL sent as mmol/L
    value[pi == names.index("HGB")] = 130.0
    lln, uln = np.full(len(pi), np.nan), np.full(len(pi), np.nan)
    lln[20], uln[20] = 1.12, 1.32  # an ionized calcium range on a calcium row
    scale, _, _, key = convert_indexed(pi, names, units)
    got = []
    for workers in (1, 2, 3):
        for ok in (None, np.ones(len(pi), bool)):
            skip = Skips(len(pi))
            skip.put(np.arange(len(pi)) == 0, Reason.NO_RESULT, "no result")
            assert skip.any and not Skips(3).any
            args = (skip, pi, names, units, value, lln, uln, ok, None)
            unit_mismatches(*args, unit_key=key, scale=scale, threads=workers)
            sibling_ranges(skip, pi, names, lln, uln, scale, ok, threads=workers)
            at, text = skip.reasons()
            got.append((at.tolist(), text.tolist()))
    assert all(g == got[0] for g in got)
    at, text = got[0]
    calcium = np.flatnonzero(pi == names.index("CA")).tolist()
    assert at == sorted({0, *calcium}) and "ionized calcium" in text[at.index(20)]


def test_counted_rows_spare_the_name_and_ph_searches() -> None:
    # issue 15: with the rows per parameter counted, no unknown name or pH row is looked for
    # where none is counted; where some are, the same reasons as without the count
    from aegrade.criteria.units import registry
    from aegrade.prepare.labchecks import Skips, specimen_skips, unknown_names

    names = sorted(registry().parameters)
    pi = np.array([names.index("PH"), -1, names.index("HGB")])
    cells = pd.Series(["pH", "Neut %", "HGB"])
    counts = np.bincount(pi + 1, minlength=len(names) + 1)
    lln, uln = np.array([4.5, np.nan, 120.0]), np.array([8.0, np.nan, 160.0])
    texts = []
    for count in (None, counts):
        skip = Skips(3)
        unknown_names(skip, cells, pi, unknown=None if count is None else int(count[0]))
        specimen_skips(skip, None, None, pi, names, lln, uln, has_value=np.ones(3, bool),
                       counts=count)  # fmt: skip
        texts.append(skip.texts(np.arange(3)).tolist())
    assert texts[0] == texts[1] and texts[0][2] is None
    assert "unknown_parameter" in texts[0][1] and "other_specimen" in texts[0][0]
    skip = Skips(3)  # nothing counted: nothing looked for
    unknown_names(skip, cells, pi, unknown=0)
    specimen_skips(skip, None, None, pi, names, lln, uln, has_value=np.ones(3, bool),
                   counts=np.zeros(len(names) + 1, np.intp))  # fmt: skip
    assert not skip.any
