from __future__ import annotations

import pydantic
import pytest

from aegrade.tables.spec import (
    DEFAULT_COLUMNS,
    GRADE_COLUMNS,
    ColumnSpec,
    RowSpec,
    TableSpec,
    TableSpecError,
    load_table_spec,
)

SPEC_TOML = """
title = "Table 3. Adverse events"
criteria = "ctcae-v5.0"      # count only AEs graded by this system (a row may override it)
columns = [{label = "Any grade", grades = [1, 5]}, {label = "Grade >= 3", grades = [3, 5]}]
[[rows]]
label = "Elevated liver enzymes"
terms = ["Alanine aminotransferase increased", "Aspartate aminotransferase increased"]
[[rows]]
term = "Cytokine release syndrome"
criteria = "astct-2019"
"""


def test_spec_section5_example_loads():
    spec = load_table_spec(SPEC_TOML)
    assert spec.criteria == ("ctcae-v5.0",)
    assert [c.label for c in spec.columns] == ["Any grade", "Grade >= 3"]
    assert spec.columns[1].grades == (3, 5)
    assert spec.rows[0].label == "Elevated liver enzymes"
    assert spec.rows[0].terms == (
        "Alanine aminotransferase increased",
        "Aspartate aminotransferase increased",
    )
    assert spec.rows[1].label == "Cytokine release syndrome"
    assert spec.rows[1].terms == ("Cytokine release syndrome",)
    assert spec.rows[1].criteria == ("astct-2019",)
    assert spec.effective_sort == "spec"


def test_spec_from_file(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text(SPEC_TOML, encoding="utf-8")
    assert load_table_spec(path).title == "Table 3. Adverse events"


def test_defaults():
    spec = TableSpec()
    assert spec.columns == DEFAULT_COLUMNS
    assert [(c.label, c.grades) for c in spec.columns] == [
        ("Any grade", (1, 5)),
        ("Grade >= 3", (3, 5)),
    ]
    assert spec.effective_sort == "frequency"
    assert spec.any_event_row and spec.count == "subjects" and spec.decimals == 1
    assert [c.grades for c in GRADE_COLUMNS] == [(g, g) for g in range(1, 6)]


def test_grade_3_4_and_3_plus_are_distinct_choices():
    assert ColumnSpec(label="Grade 3-4", grades=[3, 4]).grades == (3, 4)
    assert ColumnSpec(label="Grade >= 3", grades=[3, 5]).grades == (3, 5)
    assert ColumnSpec(label="Grade 5", grades=5).grades == (5, 5)


def test_spec_is_frozen_and_copies():
    spec = TableSpec()
    with pytest.raises(pydantic.ValidationError):
        spec.total = True  # type: ignore[misc]
    other = spec.model_copy(update={"total": True})
    assert other.total and not spec.total


@pytest.mark.parametrize(
    "data, words",
    [
        ({"columns": [{"label": "x", "grades": [4, 3]}]}, ["columns.0", "1 <= low <= high <= 5"]),
        ({"columns": [{"label": "x", "grades": [0, 3]}]}, ["columns.0"]),
        ({"rows": [{"terms": ["a", "b"]}]}, ["rows.0", "needs a label"]),
        ({"rows": [{"label": "x"}]}, ["rows.0", "names no term"]),
        ({"rows": [{"term": "a"}, {"term": "a"}]}, ["duplicate labels"]),
        ({"threshold": 120}, ["threshold"]),
        ({"sort": "random"}, ["sort"]),
        ({"colums": []}, ["colums"]),
        ({"sort_column": "Grade 9"}, ["sort_column"]),
    ],
)
def test_bad_specs_name_the_key(data, words):
    with pytest.raises(TableSpecError) as exc:
        load_table_spec(data)
    for w in words:
        assert w in str(exc.value)


def test_bad_toml_names_the_file(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("rows = [", encoding="utf-8")
    with pytest.raises(TableSpecError, match=r"bad\.toml"):
        load_table_spec(path)
    with pytest.raises(TableSpecError, match=r"missing\.toml"):
        load_table_spec(tmp_path / "missing.toml")


def test_row_spec_single_term_label():
    assert RowSpec(term="Anemia").label == "Anemia"
    assert RowSpec(label="Low Hb", terms="Anemia").terms == ("Anemia",)


def test_by_column_matches_ignoring_case_and_suggests_close_names() -> None:
    from aegrade.tables import arm_column

    assert arm_column(["subject_id", "Arm", "age"], " ARM ") == "Arm"
    with pytest.raises(TableSpecError, match=r"did you mean 'Arm'\?$"):
        arm_column(["subject_id", "Arm", "age"], "arms")
    many = [f"col{i}" for i in range(49)]
    with pytest.raises(TableSpecError) as err:
        arm_column(many, "treatment")
    assert "49 columns, e.g. col0, col1, col2, col3, col4" in str(err.value)
    assert "col48" not in str(err.value)  # never the whole list
