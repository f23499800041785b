"""What ``aegrade grade`` says about rows it could not read as a known test."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from aegrade.cli.grade import _echo_unrecognised


@pytest.mark.parametrize("categorical", [True, False])
def test_unrecognised_test_names_are_counted(
    categorical: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    reason = pd.Series(
        [
            "not graded: unknown_parameter (FOO)",
            "Anemia: grade 1",
            "not graded: unknown_parameter (FOO)",
            None,
            "not graded: unknown_parameter (bar)",
        ]
    )
    graded = pd.DataFrame(
        {
            "parameter": ["FOO", "HGB", "FOO", "HGB", None],
            "reason": reason.astype("category") if categorical else reason.astype(object),
        }
    )
    _echo_unrecognised(graded)
    err = capsys.readouterr().err
    assert err.startswith("3 rows with unrecognised test names")
    assert err.rstrip().endswith("'FOO': 2, '(empty)': 1")


def test_nothing_said_when_every_name_is_known(capsys: pytest.CaptureFixture[str]) -> None:
    graded = pd.DataFrame({"parameter": ["HGB"], "reason": pd.Categorical(["Anemia: grade 1"])})
    _echo_unrecognised(graded)
    assert capsys.readouterr().err == ""


def test_the_grade_command_and_only_it_keeps_freed_memory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # the allocator setting is process-wide: aegrade's own command sets it, the library never
    from click.testing import CliRunner

    from aegrade import grade, threads
    from aegrade.cli import main

    calls: list[str] = []
    monkeypatch.setattr(threads, "keep_freed_memory", lambda: calls.append("kept") or True)
    obs = pd.DataFrame(
        {
            "subject_id": ["1", "1"],
            "day": [0, 7],
            "parameter": "PLAT",
            "value": [250, 40],
            "unit": "10^9/L",
        }
    )
    grade(obs)
    assert calls == []
    obs.to_csv(tmp_path / "obs.csv", index=False)
    out = CliRunner().invoke(main, ["grade", str(tmp_path / "obs.csv"), "-o", str(tmp_path / "g")])
    assert out.exit_code == 0, out.output
    assert calls == ["kept"]
