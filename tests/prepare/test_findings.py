"""CRS/ICANS findings (aegrade.prepare.findings): vital signs go through the one preparation."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aegrade.prepare.findings import extract_findings
from aegrade.read import load_study


def _obs(rows: list[tuple[str, object, object]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "subject_id": "S1",
            "day": np.arange(len(rows), dtype=float),
            "parameter": [r[0] for r in rows],
            "value": [r[1] for r in rows],
            "unit": [r[2] for r in rows],
        }
    )


def test_vital_signs_are_converted_by_the_shared_preparation() -> None:
    found = extract_findings(load_study(_obs([("TEMP", "101.3", "degF"), ("SYSBP", 85, "mmHg")])))
    assert found.code.tolist() == ["TEMP", "SYSBP"]
    assert np.round(found.number, 2).tolist() == [38.5, 85.0]


def test_fio2_without_a_unit_is_percent_as_parameters_yaml_says() -> None:
    found = extract_findings(
        load_study(_obs([("FIO2", "40", None), ("FIO2", 0.5, "%")])), errors="coerce"
    )
    assert found.number.tolist() == [40.0]  # 0.5 % is below the 21 % of room air: refused
    assert found.issues["message"].tolist() == [
        "FIO2 0.5 % is outside what is physiologically possible (21 to 100)"
    ]


def test_vital_problems_name_the_parameter_and_what_is_accepted() -> None:
    obs = _obs([("TEMP", 50, "degC"), ("TEMP", 38, "kelvin"), ("SYSBP", 90, None)])
    issues = extract_findings(load_study(obs), errors="coerce").issues
    assert issues[["check", "message"]].values.tolist() == [
        [
            "implausible_value",
            "TEMP 50 degC is outside what is physiologically possible (25 to 45)",
        ],
        ["unknown_unit", "unit 'kelvin' cannot be converted for TEMP; accepted: degC, degF"],
        ["missing_unit", "unit is missing for SYSBP; accepted: mmHg"],
    ]
    assert [str(r) for r in issues["row"]] == ["0", "1", "2"]  # a DataFrame's index labels
