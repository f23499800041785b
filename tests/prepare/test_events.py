"""Clinician events against the CTCAE dictionaries, and `aegrade ctcae map`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from aegrade.cli import main
from aegrade.criteria.ctcae_map import load_mapping, map_terms
from aegrade.prepare.events import validate_events
from aegrade.study import Table


def _events(rows: list[dict[str, object]]) -> Table:
    frame = pd.DataFrame(rows)
    return Table(frame, file="e.csv", rows=frame.index.to_numpy() + 2)


def test_meddra_code_accepted_in_place_of_term() -> None:
    df, problems = validate_events(
        _events(
            [
                {"subject_id": "S1", "term": "10019211", "grade": 2},
                {"subject_id": "S1", "term": 10019211.0, "grade": 1},
            ]
        ),
        "ctcae-v5.0",
    )
    assert problems.empty
    assert df["term"].tolist() == ["Headache", "Headache"]


def test_grade_the_term_lacks_and_close_matches() -> None:
    _, problems = validate_events(
        _events(
            [
                {"subject_id": "S1", "term": "Tumor lysis syndrome", "grade": 2},
                {"subject_id": "S1", "term": "Tumor lysis syndrome", "grade": 3},
                {"subject_id": "S1", "term": "neutropenia", "grade": 3},
            ]
        ),
        "ctcae-v5.0",
    )
    assert problems[["row", "column", "check"]].values.tolist() == [
        [4, "term", "unknown_term"],
        [2, "grade", "invalid_grade"],
    ] or sorted(problems[["row", "column", "check"]].values.tolist()) == [
        [2, "grade", "invalid_grade"],
        [4, "term", "unknown_term"],
    ]
    assert "did you mean" in problems.loc[problems["row"] == 4, "message"].item()


def test_v4_only_term_is_unknown_in_v5() -> None:
    _, p5 = validate_events(
        _events([{"subject_id": "S1", "term": "Hemolytic uremic syndrome", "grade": 1}]),
        "ctcae-v5.0",
    )
    _, p4 = validate_events(
        _events([{"subject_id": "S1", "term": "Hemolytic uremic syndrome", "grade": 1}]),
        "ctcae-v4.03",
    )
    assert p4.empty and p5["check"].tolist() == ["invalid_grade"]


def test_mapping_covers_every_v4_term() -> None:
    m = load_mapping()
    assert m["v4_term"].nunique() == 790
    assert not m.duplicated(["v4_term", "v4_grade"]).any()


def test_map_terms() -> None:
    out, problems = map_terms(
        pd.Series(["Hemolytic uremic syndrome", "anemia", "Nope"]), pd.Series([1, 2, 1])
    )
    assert out["v5_term"].tolist()[:2] == ["Hemolysis", "Anemia"]
    assert out["change_type"].tolist()[0] == "Deletion"
    assert problems["check"].tolist() == ["unknown_term"] and problems["row"].tolist() == [2]


def test_ctcae_map_cli(tmp_path: Path) -> None:
    src = tmp_path / "ae_v4.csv"
    pd.DataFrame(
        {
            "subject_id": ["S1", "S2"],
            "term": ["Hemolytic uremic syndrome", "Anemia"],
            "grade": [1, 3],
        }
    ).to_csv(src, index=False)
    out = tmp_path / "ae_v5.csv"
    res = CliRunner().invoke(main, ["ctcae", "map", str(src), "-o", str(out)])
    assert res.exit_code == 0, res.output
    mapped = pd.read_csv(out)
    assert mapped["v5_term"].tolist() == ["Hemolysis", "Anemia"]
    assert mapped["v5_grade"].tolist() == [1, 3]
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"term": ["Anemia", "Anaemia"], "grade": [7, 1]}).to_csv(bad, index=False)
    res = CliRunner().invoke(main, ["ctcae", "map", str(bad)])
    assert res.exit_code == 1
    assert "row 3, column term" in res.output and "row 2, column grade" in res.output
    res = CliRunner().invoke(main, ["ctcae", "map", "--term", "Anemia", "--grade", "2"])
    assert res.exit_code == 0 and "Anemia" in res.output
    assert CliRunner().invoke(main, ["ctcae", "map"]).exit_code == 2
