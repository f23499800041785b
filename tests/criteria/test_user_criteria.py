"""A user's own criteria file: criteria="path/site.yaml" in grade() and grade_labs(), its
validation one line per problem, its id kept apart from the packaged systems."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

import aegrade
import aegrade.criteria.loader as loader
from aegrade.criteria import (
    criteria_token,
    is_criteria_path,
    list_criteria,
    load_criteria,
    load_dictionary,
    register_criteria_file,
    resolve_criteria_id,
)
from aegrade.errors import CriteriaDefinitionError
from tests.conftest import EXAMPLES

V5 = (resources.files("aegrade.criteria.data") / "ctcae-v5.0.yaml").read_text("utf-8")


@pytest.fixture(autouse=True)
def _forget_user_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test registers its own files; none outlives it."""
    monkeypatch.setattr(loader, "_USER", {})


def _site(tmp_path: Path, text: str = V5, cid: str = "site-ctcae", name: str = "site.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text.replace("id: ctcae-v5.0\n", f"id: {cid}\n", 1), "utf-8")
    return path


def _neut(value: float, criteria: str) -> pd.DataFrame:
    frame = pd.DataFrame({"parameter": ["NEUT"], "value": [value], "unit": ["10^9/L"]})
    return aegrade.grade_labs(frame, criteria)


def test_paths_are_told_from_ids() -> None:
    assert is_criteria_path("site/Criteria.YML") and is_criteria_path(" a.yaml ")
    assert not is_criteria_path("ctcae-v5.0") and not is_criteria_path("6.0")


def test_grade_labs_with_a_site_file_and_its_local_interpretation(tmp_path: Path) -> None:
    # a site reads ANC grade 4 as < 0.4 x 10^9/L instead of CTCAE's < 0.5
    text = V5.replace(
        "          10^9/L: 0.5\n          /mm3: 500\n",
        "          10^9/L: 0.4\n          /mm3: 400\n",
        1,
    )
    assert text != V5
    path = _site(tmp_path, text)
    site = _neut(0.45, str(path))
    assert site["grade_low"].tolist() == [3]
    assert site["criteria"].tolist() == ["site-ctcae"]
    assert _neut(0.45, "ctcae-v5.0")["grade_low"].tolist() == [4]
    # registered under its id for the session; the packaged file is untouched
    assert resolve_criteria_id(str(path)) == "site-ctcae"
    assert load_criteria("site-ctcae").id == "site-ctcae"
    assert load_criteria("ctcae-v5.0").id == "ctcae-v5.0"
    assert len(load_dictionary("site-ctcae")) == 837
    assert "site-ctcae" in set(list_criteria()["id"])


def test_a_changed_file_replaces_the_earlier_one(tmp_path: Path) -> None:
    path = _site(tmp_path, cid="site-changing")
    assert _neut(0.45, str(path))["grade_low"].tolist() == [4]
    token = criteria_token("site-changing")
    text = V5.replace(
        "          10^9/L: 0.5\n          /mm3: 500\n",
        "          10^9/L: 0.4\n          /mm3: 400\n",
        1,
    )
    _site(tmp_path, text, cid="site-changing")
    assert _neut(0.45, str(path))["grade_low"].tolist() == [3]
    assert criteria_token("site-changing") not in ("", token)
    assert criteria_token("ctcae-v5.0") == ""


def test_grade_a_study_with_a_site_file(tmp_path: Path) -> None:
    path = _site(tmp_path, cid="site-study")
    result = aegrade.grade(EXAMPLES / "blinatumomab_short_course.xlsx", str(path))
    packaged = aegrade.grade(EXAMPLES / "blinatumomab_short_course.xlsx", "ctcae-v5.0")
    assert result.meta["criteria"] == "site-study"
    ours = result.adverse_events[result.adverse_events["criteria"] == "site-study"]
    theirs = packaged.adverse_events[packaged.adverse_events["criteria"] == "ctcae-v5.0"]
    assert len(ours) == len(theirs) > 0
    assert ours["grade"].tolist() == theirs["grade"].tolist()


def test_a_packaged_id_is_refused(tmp_path: Path) -> None:
    path = _site(tmp_path, cid="ctcae-v5.0")
    with pytest.raises(CriteriaDefinitionError, match="is a packaged grading system; give"):
        register_criteria_file(path)
    with pytest.raises(CriteriaDefinitionError, match="packaged grading system"):
        _neut(1.0, str(path))


def test_a_broken_file_is_one_line_per_problem(tmp_path: Path) -> None:
    text = V5.replace(
        "        threshold:\n          g/L: 100\n", "        treshold:\n          g/L: 100\n", 1
    )
    text = text.replace("  direction: low\n", "  direction: down\n", 1)
    path = _site(tmp_path, text, cid="site-broken")
    with pytest.raises(CriteriaDefinitionError) as err:
        _neut(1.0, str(path))
    lines = str(err.value).splitlines()
    assert lines == [
        "site.yaml: entry 'Anemia': key 'direction': expected one of 'low' or 'high', got 'down'",
        "site.yaml: entry 'Anemia': unknown key 'grades.2.rules.0.treshold' (did you mean "
        "'threshold'?)",
    ]


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(CriteriaDefinitionError, match=r"nothing\.yaml: cannot be read"):
        _neut(1.0, str(tmp_path / "nothing.yaml"))


def test_an_unknown_dictionary_is_named(tmp_path: Path) -> None:
    text = V5.replace("dictionary: ctcae_v5.0.csv", "dictionary: ctcae_v7.csv")
    path = _site(tmp_path, text, cid="site-dict")
    with pytest.raises(CriteriaDefinitionError, match=r"site\.yaml: .*'ctcae_v7\.csv' is not a"):
        register_criteria_file(path)


# --- one cut-off in several units must agree (the new-user audit's site_half.yaml) ---------

_NEUT3 = "          10^9/L: 1.0\n          /mm3: 1000\n"


def test_units_that_disagree_are_one_problem_line(tmp_path: Path) -> None:
    # grade 3 given as 0.8 x 10^9/L and 1000/mm3: a value of 0.9 x 10^9/L (900/mm3) would be
    # grade 2 in one unit and grade 3 in the other
    assert V5.index(_NEUT3) < V5.index("- id: platelet-count-decreased")  # neutrophils first
    path = _site(tmp_path, V5.replace(_NEUT3, "          10^9/L: 0.8\n          /mm3: 1000\n", 1))
    with pytest.raises(CriteriaDefinitionError) as err:
        register_criteria_file(path)
    assert str(err.value) == (
        "site.yaml: entry 'Neutrophil count decreased' (neutrophil-count-decreased): grade 3: "
        "threshold 0.8 10^9/L and 1000 /mm3 (= 1 10^9/L) disagree, 20% apart (CTCAE's own "
        "rounding is within 8%): a value would grade differently by its unit"
    )
    # the consistent pair (0.8 and 800/mm3) is a valid, stricter site file
    ok = _site(tmp_path, V5.replace(_NEUT3, "          10^9/L: 0.8\n          /mm3: 800\n", 1))
    assert register_criteria_file(ok) == "site-ctcae"


def test_offsets_that_disagree_are_checked_too(tmp_path: Path) -> None:
    text = V5.replace(
        "          g/L: 40\n          g/dL: 4\n", "          g/L: 40\n          g/dL: 3\n"
    )
    assert text != V5
    with pytest.raises(
        CriteriaDefinitionError,
        match=r"grade 3: offset 40 g/L and 3 g/dL "
        r"\(= 30 g/L\) disagree, 25% apart",
    ):
        register_criteria_file(_site(tmp_path, text))


def test_a_unit_the_parameter_does_not_have_names_the_closest(tmp_path: Path) -> None:
    entry_unit = V5.replace(
        "  - NEUT\n  direction: low\n  unit: 10^9/L\n",
        "  - NEUT\n  direction: low\n  unit: 10^9/LL\n",
    )
    assert entry_unit != V5
    with pytest.raises(CriteriaDefinitionError) as err:
        register_criteria_file(_site(tmp_path, entry_unit))
    assert str(err.value) == (
        "site.yaml: entry 'Neutrophil count decreased' (neutrophil-count-decreased): "
        "key 'unit': '10^9/LL' is not a unit of NEUT (did you mean '10^9/L', '10^3/mL'? "
        "units of NEUT: 10^9/L, /mm3, 10^3/mL)"
    )
    key_unit = V5.replace(_NEUT3, "          10^9/L: 1.0\n          /mm: 1000\n", 1)
    with pytest.raises(CriteriaDefinitionError) as err:
        register_criteria_file(_site(tmp_path, key_unit))
    assert str(err.value) == (
        "site.yaml: entry 'Neutrophil count decreased' (neutrophil-count-decreased): grade 3: "
        "'/mm' is not a unit of NEUT (did you mean '/mm3'? units of NEUT: 10^9/L, /mm3, 10^3/mL)"
    )
