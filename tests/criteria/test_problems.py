"""A broken criteria file: one line per problem, naming the file, the entry and the key."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest
from click.testing import CliRunner

from aegrade.cli import main
from aegrade.criteria import load_criteria_file
from aegrade.errors import CriteriaDefinitionError


def _packaged(name: str) -> str:
    return resources.files("aegrade.criteria.data").joinpath(name).read_text("utf-8")


def _problems(tmp_path: Path, name: str, text: str) -> list[str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CriteriaDefinitionError) as info:
        load_criteria_file(path)
    return str(info.value).splitlines()


def _ctcae_with(old: str, new: str) -> str:
    text = _packaged("ctcae-v5.0.yaml")
    assert old in text
    return text.replace(old, new, 1)


ANEMIA_G2 = "      - op: lt\n        ref: absolute\n        threshold:\n          g/L: 100\n"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (  # a misspelt optional key: one line, no complaint about the other condition model
            ANEMIA_G2,
            ANEMIA_G2.replace("threshold:", "treshold:"),
            "my.yaml: entry 'Anemia': unknown key 'grades.2.rules.0.treshold' "
            "(did you mean 'threshold'?)",
        ),
        (  # a misspelt required key: one line, not also 'missing direction'
            "  direction: low\n",
            "  diretion: low\n",
            "my.yaml: entry 'Anemia': unknown key 'diretion' (did you mean 'direction'?)",
        ),
        (
            "  meddra: '10002272'\n",
            "",
            "my.yaml: entry 'Anemia': missing key 'meddra'",
        ),
        (
            "  direction: low\n",
            "  direction: down\n",
            "my.yaml: entry 'Anemia': key 'direction': expected one of 'low' or 'high', got 'down'",
        ),
        (  # a union (number or unit -> number): one line, at the cell that is wrong
            ANEMIA_G2,
            ANEMIA_G2.replace("g/L: 100", "g/L: abc"),
            "my.yaml: entry 'Anemia': key 'grades.2.rules.0.threshold.g/L': expected a number, "
            "got 'abc'",
        ),
        (
            "  - baseline: not_above_uln\n",
            "  - baseline: normal\n",
            "my.yaml: entry 'Alanine aminotransferase increased': key "
            "'grades.1.rules.0.all.0.baseline': expected one of 'above_uln', 'not_above_uln', "
            "'below_lln' or 'not_below_lln', got 'normal'",
        ),
        (
            "reviewed_by: null\n",
            "",
            "my.yaml: missing key 'reviewed_by'",
        ),
        (
            "kind: value-thresholds\n",
            "kind: thresholds\n",
            "my.yaml: key 'kind': unknown kind 'thresholds'; one of value-thresholds, "
            "astct-crs-icans, lee-2014-crs, ctcae-crs, icaht, car-hematotox, neutropenia",
        ),
    ],
)
def test_ctcae_file_problem_is_one_line(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert _problems(tmp_path, "my.yaml", _ctcae_with(old, new)) == [expected]


def test_several_problems_give_one_line_each(tmp_path: Path) -> None:
    text = re.sub(
        r"^revision: \d+$",
        "revision: first",
        _ctcae_with("  direction: low\n", "  direction: down\n"),
        count=1,
        flags=re.M,
    )
    assert _problems(tmp_path, "two.yaml", text) == [
        "two.yaml: key 'revision': expected a whole number, got 'first'",
        "two.yaml: entry 'Anemia': key 'direction': expected one of 'low' or 'high', got 'down'",
    ]


def test_crs_file_names_the_nested_key(tmp_path: Path) -> None:
    text = _packaged("lee-2014.yaml").replace(
        "    one_vasopressor: 2\n", "    one_vasopressor: two\n"
    )
    assert _problems(tmp_path, "lee.yaml", text) == [
        "lee.yaml: key 'crs.hypotension.one_vasopressor': expected a whole number, got 'two'"
    ]


def test_model_rule_is_reported_where_it_applies(tmp_path: Path) -> None:
    text = _packaged("lee-2014.yaml").replace(
        "blow_by: {label: blow-by oxygen, grade: 2}",
        "blow_by: {label: blow-by oxygen, grade: 2, flow_le: 6}",
    )
    assert _problems(tmp_path, "lee.yaml", text) == [
        "lee.yaml: key 'crs.hypoxia.devices.blow_by': flow_le and grade_above_flow go together"
    ]


def test_hematology_entries_are_named_by_id(tmp_path: Path) -> None:
    text = _packaged("icaht-2023.yaml").replace(
        "    - {grade: 2, min_days: 7,", "    - {grade: 2, min_dys: 7,"
    )
    assert _problems(tmp_path, "icaht.yaml", text) == [
        "icaht.yaml: early.tracks 'anc-le-500': unknown key 'bands.1.min_dys' "
        "(did you mean 'min_days'?)"
    ]
    text = _packaged("car-hematotox.yaml").replace(
        "{op: lt, threshold: 1200", "{op: below, threshold: 1200"
    )
    assert _problems(tmp_path, "hx.yaml", text) == [
        "hx.yaml: markers 'anc': key 'points.0.cut.op': expected one of 'lt', 'le', 'gt' or "
        "'ge', got 'below'"
    ]


def test_not_yaml_names_the_line(tmp_path: Path) -> None:
    text = _ctcae_with("  direction: low\n", "  direction: [low\n")
    (line,) = _problems(tmp_path, "bad.yaml", text)
    after = text[: text.index("  direction: [low")].count("\n") + 2  # the line after the error
    assert line.startswith(f"bad.yaml: line {after}: not valid YAML")


def test_a_valid_user_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(_packaged("lee-2014.yaml").replace("id: lee-2014", "id: my-lee"), "utf-8")
    c = load_criteria_file(path)
    assert (c.id, c.kind) == ("my-lee", "lee-2014-crs")


def test_check_command_prints_the_problems(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(_ctcae_with("  meddra: '10002272'\n", ""), "utf-8")
    res = CliRunner().invoke(main, ["criteria", "check", str(path)])
    assert res.exit_code == 1
    assert "mine.yaml: entry 'Anemia': missing key 'meddra'" in res.output
    good = tmp_path / "good.yaml"
    good.write_text(_packaged("icaht-2023.yaml"), "utf-8")
    res = CliRunner().invoke(main, ["criteria", "check", str(good)])
    assert res.exit_code == 0 and "valid icaht criteria file 'icaht-2023'" in res.output


def test_bytes_that_are_not_utf8_name_the_file_and_line(tmp_path: Path) -> None:
    # a file saved as Latin-1 by an editor: "µmol/L" on line 3
    path = tmp_path / "latin1.yaml"
    path.write_bytes("id: mine\nkind: value-thresholds\nunit: \u00b5mol/L\n".encode("latin-1"))
    with pytest.raises(CriteriaDefinitionError) as info:
        load_criteria_file(path)
    assert str(info.value) == (
        "latin1.yaml: line 3: not UTF-8 text (byte 38: b'\\xb5'); save the file as UTF-8"
    )
