"""The plain check of a criteria file (no pydantic) vouches only for what the models accept.

``quick_check`` answers ``aegrade criteria check`` of a valid file without pydantic (issue 15
point 5). It must never call valid a file the models reject: checked here on every packaged
file and on thousands of mutations of them, each compared with the models' verdict; its data
must be what the models hold; and the generated shapes must match the models' source.
"""

from __future__ import annotations

import copy
import json
import random
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

import aegrade.criteria.precheck as precheck
from aegrade.criteria import ctcae, load_criteria_file
from aegrade.criteria.loader import _validate  # the models' verdict on parsed data
from aegrade.criteria.plain import SAFE_LOADER, packaged_ids
from aegrade.criteria.precheck import model_shapes, quick_check, shapes_path
from aegrade.errors import CriteriaDefinitionError

DATA = resources.files("aegrade.criteria.data")


def _raw(cid: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.load(DATA.joinpath(f"{cid}.yaml").read_text("utf-8"), SAFE_LOADER)
    return data


def _listed(value: Any) -> Any:
    """A model dump as plain data: tuples as lists."""
    if isinstance(value, tuple | list):
        return [_listed(v) for v in value]
    if isinstance(value, dict):
        return {k: _listed(v) for k, v in value.items()}
    return value


def _same(a: Any, b: Any) -> bool:
    """Equal as data (3 == 3.0, NaN == NaN), of the same shape."""
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float) and a != a:
        return b != b
    same_type = type(a) is type(b) or (
        type(a) is int and type(b) is float
    )  # pydantic: int -> float
    return bool(a == b) and same_type


def _models_verdict(raw: dict[str, Any]) -> dict[str, Any] | None:
    try:
        return _listed(_validate(copy.deepcopy(raw), "my.yaml").model_dump())  # type: ignore[no-any-return]
    except CriteriaDefinitionError:
        return None


def test_the_shapes_file_matches_the_models() -> None:
    """Regenerate with: .venv/bin/python -c 'from aegrade.criteria import write_shapes;
    write_shapes()' after changing a criteria model."""
    kept = json.loads(shapes_path().read_text("utf-8"))
    assert kept == json.loads(json.dumps(model_shapes())), "data/shapes.json is stale"


def test_every_validator_has_a_twin_written_for_its_source() -> None:
    shapes = model_shapes()
    validators = {
        f"{m}.{name}": v["digest"]
        for m, spec in shapes["models"].items()
        for name, v in spec["validators"].items()
    }
    assert validators == {k: d for k, (d, _) in precheck._VALIDATORS.items()}
    assert {
        k: v for k, v in shapes["functions"].items() if k != "UNIT_AGREEMENT"
    } == precheck._CHECKS
    assert shapes["functions"]["UNIT_AGREEMENT"] == ctcae.UNIT_AGREEMENT
    tagged = json.dumps(shapes).count('"t": "tagged"')
    assert tagged == 1 and precheck._DISCRIMINATORS["_condition_kind"][0] in json.dumps(shapes)


@pytest.mark.parametrize("cid", packaged_ids())
def test_every_packaged_file_passes_and_holds_what_the_models_hold(cid: str) -> None:
    path = Path(str(DATA.joinpath(f"{cid}.yaml")))
    checked = quick_check(path)
    assert checked is not None
    assert checked == _listed(load_criteria_file(path).model_dump())


def test_a_stale_shapes_file_steps_aside(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    stale = json.loads(shapes_path().read_text("utf-8")) | {"source_digest": "0" * 64}
    (tmp_path / "shapes.json").write_text(json.dumps(stale), "utf-8")
    monkeypatch.setattr(precheck, "shapes_path", lambda: tmp_path / "shapes.json")
    precheck._shapes.cache_clear()
    try:
        assert quick_check(Path(str(DATA.joinpath("lee-2014.yaml")))) is None
    finally:
        precheck._shapes.cache_clear()


def test_a_changed_validator_without_its_twin_steps_aside(monkeypatch: pytest.MonkeyPatch) -> None:
    twins = dict(precheck._VALIDATORS)
    twins["Marker._most_points_first"] = ("0" * 16, twins["Marker._most_points_first"][1])
    monkeypatch.setattr(precheck, "_VALIDATORS", twins)
    assert quick_check(Path(str(DATA.joinpath("car-hematotox.yaml")))) is None
    assert quick_check(Path(str(DATA.joinpath("icaht-2023.yaml")))) is not None  # no markers


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("kind: [", "not YAML"),
        ("- a\n- b\n", "not a mapping"),
        ("id: x\n", "no kind"),
        ("kind: nonesuch\n", "unknown kind"),
    ],
)
def test_what_it_cannot_read_is_left_to_the_models(tmp_path: Path, text: str, why: str) -> None:
    path = tmp_path / "my.yaml"
    path.write_text(text, "utf-8")
    assert quick_check(path) is None, why
    assert quick_check(tmp_path / "missing.yaml") is None


# --------------------------------------------------------------------------- mutations

#: Values a mutation puts in place of one value (each of another type or out of range).
_VALUES: list[Any] = [
    None,
    "text",
    "",
    "2020-01-01",
    "2020-02-30",
    "3",
    0,
    -1,
    1,
    3,
    5,
    6,
    99,
    2.5,
    -0.5,
    0.0,
    float("nan"),
    True,
    False,
    [],
    {},
    ["a"],
    {"x": 1},
    {"g/L": 1, "mmol/L": 9},
]


def _paths(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [at]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*at, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*at, i))
    return out


def _mutated(raw: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    doc = copy.deepcopy(raw)
    path = rng.choice(_paths(doc)[1:])
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    how = rng.random()
    if how < 0.15 and isinstance(parent, dict):
        del parent[last]
    elif how < 0.25 and isinstance(parent, dict):
        parent[
            rng.choice(["extra", "treshold", "ge", "gt", "all", "baseline", "anticoagulated"])
        ] = rng.choice(_VALUES)
    elif how < 0.35 and isinstance(parent, list):
        parent.append(copy.deepcopy(parent[last]))  # a repeated entry, level or tier
    elif how < 0.4 and isinstance(parent, list):
        parent.reverse()
    elif how < 0.5 and isinstance(parent[last], int | float) and not isinstance(parent[last], bool):
        parent[last] = parent[last] * rng.choice([-1, 0, 0.5, 2, 1000])
    else:
        parent[last] = copy.deepcopy(rng.choice(_VALUES))
    return doc


def _small_docs() -> list[dict[str, Any]]:
    """Every packaged file; a CTCAE file cut into documents of one or two entries (fast)."""
    docs = []
    for cid in packaged_ids():
        raw = _raw(cid)
        if raw["kind"] == "value-thresholds":
            entries = raw["entries"]
            docs += [raw | {"entries": entries[i : i + 2]} for i in range(0, len(entries), 2)]
        else:
            docs.append(raw)
    return docs


def test_mutated_files_are_never_called_valid_when_the_models_reject_them() -> None:
    shapes = precheck._shapes()
    assert shapes is not None
    rng = random.Random(15)
    docs = _small_docs()
    vouched = rejected = 0
    for _ in range(3000):
        doc = _mutated(rng.choice(docs), rng)
        quick = precheck._check_raw(copy.deepcopy(doc), shapes)
        models = _models_verdict(doc)
        if quick is not None:
            vouched += 1
            assert models is not None, f"called valid, the models reject it: {doc}"
            assert _same(quick, models), doc
        elif models is None:
            rejected += 1
    # the mutations reach both sides: many files broken, many still valid and vouched for
    assert vouched > 300 and rejected > 1000, (vouched, rejected)


def test_a_shape_it_does_not_know_steps_aside() -> None:
    from typing import Annotated

    import annotated_types as at

    assert precheck._type_shape(list[int], [])["t"] == "unknown"  # only tuples are sequences
    assert precheck._type_shape(Annotated[int, at.Ge(1)], []) == {
        "t": "int",
        "constraints": {"ge": 1},
    }
    assert "unknown" in precheck._type_shape(Annotated[str, at.MinLen(1)], [])["constraints"]
    checker = precheck._Checker({"models": {}})
    assert checker.value({"t": "int", "constraints": {"ge": 1, "le": 4}}, 4) == 4
    for shape, value in [
        ({"t": "unknown"}, 1),
        ({"t": "int", "constraints": {"unknown": ["MinLen"]}}, 1),
        ({"t": "int", "constraints": {"ge": 1, "le": 4}}, 5),
        ({"t": "int"}, True),
        ({"t": "int"}, 3.0),  # pydantic would take it: the models decide
        ({"t": "literal", "values": [1]}, True),
        ({"t": "date"}, "2024-02-30"),
        (
            {
                "t": "union",
                "of": [{"t": "int", "constraints": {"ge": 1}}, {"t": "none"}],
                "constraints": {"le": 3},
            },
            2,
        ),
    ]:
        with pytest.raises(precheck._NotSure):
            checker.value(shape, value)
