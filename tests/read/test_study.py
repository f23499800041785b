"""Loading a study from every accepted shape, and the problems it reports."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import aegrade
from aegrade.errors import InputError
from aegrade.read.study import load_study

SUBJECTS = pd.DataFrame(
    {
        "subject_id": ["S1", "S2", "S3"],
        "arm": ["A", "A", "B"],
        "age": [34, 9, 61],
        "treatment_start": ["2024-01-01T08:00", "2024-02-01T08:00", "2024-03-01T08:00"],
    }
)
OBS = pd.DataFrame(
    {
        "subject_id": ["S1", "S1", "S2"],
        "day": [0, 2, 1],
        "parameter": ["PLAT", "PLAT", "hgb"],
        "value": [180, 40, 7.9],
        "unit": ["10^9/L", "10^9/L", "g/dL"],
        "lln": [150, 150, 12],
        "uln": [400, 400, 16],
    }
)
EVENTS = pd.DataFrame(
    {"subject_id": ["S3"], "term": ["Nausea"], "grade": [2], "onset": [3], "end": [4]}
)


def _check(result: aegrade.GradeResult) -> None:
    assert len(result.subjects) == 3  # S3 has no observations but counts in N
    ae = result.adverse_events.set_index(["subject_id", "term"])
    assert ae.loc[("S1", "Platelet count decreased"), "grade"] == 3
    assert ae.loc[("S2", "Anemia"), "grade"] == 3
    assert ae.loc[("S3", "Nausea"), "grade"] == 2
    summary = result.subject_summary.set_index("subject_id")
    assert summary.loc["S1", "Platelet count decreased [ctcae-v5.0]"] == 3
    assert pd.isna(summary.loc["S3", "Platelet count decreased [ctcae-v5.0]"])


def test_workbook(tmp_path: Path) -> None:
    path = tmp_path / "study.xlsx"
    with pd.ExcelWriter(path) as xw:
        SUBJECTS.to_excel(xw, sheet_name="subjects", index=False)
        OBS.to_excel(xw, sheet_name="observations", index=False)
        EVENTS.to_excel(xw, sheet_name="events", index=False)
    _check(aegrade.grade(path))


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_folder(tmp_path: Path, suffix: str) -> None:
    for name, frame in (("subjects", SUBJECTS), ("observations", OBS), ("events", EVENTS)):
        if suffix == "csv":
            frame.to_csv(tmp_path / f"{name}.csv", index=False)
        else:
            frame.to_parquet(tmp_path / f"{name}.parquet", index=False)
    _check(aegrade.grade(tmp_path))


def test_frames() -> None:
    _check(aegrade.grade(load_study(subjects=SUBJECTS, observations=OBS, events=EVENTS)))


def test_single_observations_file_and_headers_any_case(tmp_path: Path) -> None:
    path = tmp_path / "labs.xlsx"
    OBS.rename(columns=str.upper).to_excel(path, index=False)
    result = aegrade.grade(path)
    assert len(result.subjects) == 2  # without subjects, N is the subjects seen
    assert len(result.graded_observations) == 3


def test_time_becomes_study_day() -> None:
    obs = OBS.drop(columns="day").assign(
        time=["2024-01-01T08:00", "2024-01-03T20:00", "2024-02-02T08:00"]
    )
    result = aegrade.grade(load_study(subjects=SUBJECTS, observations=obs))
    assert result.graded_observations["day"].tolist() == [0.0, 2.5, 1.0]


def test_every_problem_reported_at_once(tmp_path: Path) -> None:
    subjects = pd.concat([SUBJECTS, SUBJECTS.iloc[[0]]], ignore_index=True)
    obs = OBS.drop(columns="day").assign(time=["2024-01-01", "not a date", "2024-02-02"])
    obs.loc[2, "subject_id"] = "S9"
    events = pd.DataFrame(
        {"subject_id": ["S1", "S1"], "term": ["Tumor lysis syndrome", "Nausia"], "grade": [2, 1]}
    )
    with pytest.raises(InputError) as info:
        aegrade.grade(load_study(subjects=subjects, observations=obs, events=events))
    f = info.value.failures
    assert set(f["check"]) >= {
        "duplicate_subject",
        "unreadable_day",
        "invalid_grade",
        "unknown_term",
    }
    assert "did you mean 'Nausea'" in " ".join(f["message"])


def test_spreadsheet_rows_named(tmp_path: Path) -> None:
    path = tmp_path / "study.xlsx"
    bad = OBS.astype({"value": object})
    bad.loc[1, "value"] = "x"
    with pd.ExcelWriter(path) as xw:
        bad.to_excel(xw, sheet_name="observations", index=False)
    with pytest.raises(InputError) as info:
        aegrade.grade(path)
    rec = info.value.failures.iloc[0]
    assert (rec["file"], rec["sheet"], rec["row"], rec["column"]) == (
        str(path),
        "observations",
        3,
        "value",
    )


def test_missing_path() -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_study("/nonexistent/study.xlsx")


def _text_id(value: object) -> object:
    """The rule of text_ids, one cell at a time (the specification the vectorised one meets):
    a whole number (not a flag) as its integer, anything else as its text, trimmed; empty or
    missing as NA."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return pd.NA
    number = isinstance(value, int | float | np.number) and not isinstance(value, bool | np.bool_)
    if number and np.isfinite(float(value)) and float(value) % 1 == 0:  # type: ignore[arg-type]
        return str(int(value))  # type: ignore[call-overload]
    text = str(pd.Series([value], dtype=object).astype("string")[0]).strip()
    return text or pd.NA


ID_COLUMNS = {
    "mixed int, float and text": pd.Series(
        [1001, 1001.0, "01001", " 1001 ", "1001.0", "S-7", 2.5, None, "", True, float("inf")],
        dtype=object,
    ),
    "numpy scalars": pd.Series([np.int64(12), np.float32(3)], dtype=object),
    "floats": pd.Series([1.0, 2.5, float("nan"), -0.0, 1e15]),
    "integers": pd.Series([7, 8, 9]),
    "numbered subjects": pd.Series([1786, 427, 1786, 3, 427, 2000, 3], dtype=np.int64),
    "nullable integers": pd.Series([7, None], dtype="Int64"),
    "text": pd.Series([" a ", "b", None, ""], dtype="string"),
    "categorical": pd.Series(pd.Categorical(["01", "1", None])),
    "numeric categorical": pd.Series(pd.Categorical([1.0, 2.0, None])),
    "flags": pd.Series([True, False]),
    "empty": pd.Series([], dtype=object),
    # claims and EHR patient numbers: beyond 2**53 a float cannot tell them apart
    "18-digit integers": pd.Series([123456789012345678, 123456789012345679, 2**63 - 1]),
    "unsigned integers": pd.Series([2**64 - 1, 5], dtype=np.uint64),
    "nullable 18-digit integers": pd.Series([123456789012345678, None], dtype="Int64"),
    "integers beyond int64": pd.Series(
        [99999999999999999999, 99999999999999999998, 2**70, -(2**64), "S1"], dtype=object
    ),
    "whole floats beyond int64": pd.Series([1e20, -1e19, 3.0]),
}


@pytest.mark.parametrize("name", ID_COLUMNS)
def test_text_ids_is_the_cell_rule(name: str) -> None:
    from aegrade.read.study import text_ids

    ids = ID_COLUMNS[name]
    got = text_ids(ids)
    assert got.dtype == "string"
    assert got.index.equals(ids.index)
    want = [_text_id(v) for v in ids.to_numpy(dtype=object)]
    assert [None if v is pd.NA else v for v in got.tolist()] == [
        None if v is pd.NA else v for v in want
    ]


def test_text_ids_joins_one_subject_written_three_ways() -> None:
    from aegrade.read.study import text_ids

    ids = pd.Series([1001, 1001.0, "01001", "1001", " 1001"], dtype=object, index=[5, 5, 6, 7, 8])
    assert text_ids(ids).tolist() == ["1001", "1001", "01001", "1001", "1001"]  # 01001 is text
    obs = pd.DataFrame(
        {"subject_id": ids.tolist(), "day": 0, "parameter": "PLAT", "value": 30, "unit": "10^9/L"}
    )
    subjects = set(load_study(obs).observations.frame["subject_id"])
    assert subjects == {"1001", "01001"}


def test_long_numeric_ids_in_a_csv_stay_distinct_subjects(tmp_path: Path) -> None:
    # pyarrow reads the 18-digit ids as int64 and pandas the 20-digit ones as Python ints:
    # rounded through a float, the four patients became two with wrong numbers
    ids = ["123456789012345678", "123456789012345679", "99999999999999999999"]
    ids.append("99999999999999999998")
    path = tmp_path / "labs.csv"
    rows = "".join(f"{i},ANC,0.4,10^9/L,1\n" for i in ids)
    path.write_text("subject_id,parameter,value,unit,day\n" + rows)
    frame = load_study(path).observations.frame
    assert frame["subject_id"].tolist() == ids
    assert aegrade.grade(load_study(path)).subject_summary["subject_id"].tolist() == ids


def test_ids_are_made_text_once_unless_the_shaping_replaced_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import aegrade.read.study as study_module

    calls: list[int] = []
    real = study_module.text_ids

    def counted(ids: pd.Series) -> pd.Series:
        calls.append(len(ids))
        return real(ids)

    monkeypatch.setattr(study_module, "text_ids", counted)
    obs = pd.DataFrame(
        {"subject_id": [101, 102], "day": 0, "parameter": "PLAT", "value": 30, "unit": "10^9/L"}
    )
    study = load_study(obs)
    assert calls == [2]  # the column text_ids made is kept through the shaping: not redone
    assert study.observations.frame["subject_id"].tolist() == ["101", "102"]
    calls.clear()
    mapped = obs.rename(columns={"subject_id": "Patient"}).assign(Patient=[" 7 ", 8.0])
    study = load_study(mapped, column_map={"columns": {"Patient": "subject_id"}})
    assert calls == [2]  # a column the map named subject_id: made text after the shaping
    assert study.observations.frame["subject_id"].tolist() == ["7", "8"]
    calls.clear()
    wide = pd.DataFrame(
        {
            "subject_id": [" 01", "02"],
            "day": [0, 7],
            "HGB (g/L)": [120, 95],
            "PLAT (10^9/L)": [200, 40],
        }
    )
    study = load_study(wide)
    assert calls == [2, 4]  # made long: the repeated ids are a new column, made text again
    assert study.observations.frame["subject_id"].tolist() == ["01", "01", "02", "02"]


@pytest.mark.parametrize(
    "values",
    [
        np.array([1786, 427, 1786, 3, 427, 2000, 3]),
        np.array([-(2**63), -(2**63) + 4, -(2**63)]),
        np.array([2**64 - 1, 2**64 - 3, 2**64 - 1], dtype=np.uint64),
        np.array([5], dtype=np.int32),
        np.random.default_rng(5).integers(-50, 3000, 10_000),
    ],
    ids=["numbered", "lowest", "highest-unsigned", "one", "random"],
)
def test_dense_factorize_is_pandas_factorize(values: np.ndarray) -> None:
    """Integer ids over a small span: the codes and uniques ``pd.factorize`` gives (first
    appearance order, the column's dtype); a wide span or another dtype is not handled."""
    from aegrade.read.study import _dense_factorize

    ids = pd.Series(values)
    got = _dense_factorize(ids)
    assert got is not None
    codes, uniques = pd.factorize(ids)
    assert got[0].tolist() == codes.tolist() and got[1].tolist() == list(uniques)
    assert got[1].dtype == values.dtype
    assert _dense_factorize(pd.Series([0, 2**40])) is None
    assert _dense_factorize(pd.Series([1, 2], dtype="Int64")) is None
    assert _dense_factorize(pd.Series([1.0, 2.0])) is None
    assert _dense_factorize(pd.Series([], dtype=np.int64)) is None
