"""A criteria file checked as plain data against the models' shapes, without pydantic.

``aegrade criteria check`` on a valid file answers without importing pydantic (about half of
the command's start-up). The models' shapes (each field's type, constraints and default, each
model's validators) are generated from the pydantic models into ``data/shapes.json``
(:func:`write_shapes`; tests/criteria/test_precheck.py fails when the file is stale), with a
digest of the model modules' source: when they change and the file is not regenerated, the
check steps aside. Each model validator has a plain twin here, written against a digest of the
validator's source, and so has the CTCAE unit check (``ctcae.unit_problems``): a changed
validator whose twin was not rewritten makes the check step aside too.

:func:`quick_check` says a file is valid only when the models would accept it: each value must
be of the very type YAML gives for the field (pydantic also converts ``"3"`` or ``3.0`` to a
whole number; that is left to it), each key known, each constraint and validator met. Anything
else, a problem, a doubt or a shape it does not know, is "not sure" (None): the caller then
validates with the models, whose messages (:mod:`aegrade.criteria.problems`) are what a user
sees. So a broken file is always described by the models, and a valid one is reported valid
either way.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import inspect
import json
import re
import textwrap
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from aegrade.criteria.cache import MODEL_MODULES, models_digest
from aegrade.criteria.plain import SAFE_LOADER
from aegrade.criteria.units import UnitRegistry, registry

__all__ = [
    "MODEL_MODULES",
    "model_shapes",
    "models_digest",
    "quick_check",
    "shapes_path",
    "write_shapes",
]

_HERE = Path(__file__).resolve().parent


def shapes_path() -> Path:
    """Where the generated shapes of the criteria models are kept (package data).

    Examples
    --------
    >>> shapes_path().name
    'shapes.json'
    """
    return _HERE / "data" / "shapes.json"


def _code_digest(func: Callable[..., Any]) -> str:
    """A short digest of a function's source (a twin names the digest it was written for)."""
    text = textwrap.dedent(inspect.getsource(inspect.unwrap(func)))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- generation


def _plain(value: Any) -> Any:
    """A default as JSON (tuples as lists)."""
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"default {value!r} is not plain data")


def _constraints(metadata: Iterable[Any]) -> dict[str, Any]:
    """Field constraints (annotated_types Ge/Le/Gt/Lt, pydantic's pattern) as plain data; an
    unknown one under ``unknown`` (the check then steps aside)."""
    out: dict[str, Any] = {}
    for m in metadata:
        name = type(m).__name__
        if name in ("Ge", "Le", "Gt", "Lt"):
            out[name.lower()] = getattr(m, name.lower())
        elif name == "_PydanticGeneralMetadata" and set(vars(m)) == {"pattern"}:
            out["pattern"] = m.pattern
        else:
            out.setdefault("unknown", []).append(repr(m))
    return out


_SIMPLE = {str: "str", bool: "bool", int: "int", float: "float", dt.date: "date"}


def _type_shape(annotation: Any, models: list[type]) -> dict[str, Any]:
    """A type annotation as plain data; models met are appended to ``models``."""
    import types
    import typing

    from pydantic import BaseModel

    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if annotation in _SIMPLE:
        return {"t": _SIMPLE[annotation]}
    if annotation is None or annotation is type(None):
        return {"t": "none"}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        models.append(annotation)
        return {"t": "model", "name": annotation.__qualname__}
    if origin is typing.Literal:
        return {"t": "literal", "values": list(args)}
    if origin in (typing.Union, types.UnionType):
        return {"t": "union", "of": [_type_shape(a, models) for a in args]}
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return {"t": "list", "of": _type_shape(args[0], models)}
    if origin is tuple:
        return {"t": "fixed", "of": [_type_shape(a, models) for a in args]}
    if origin is dict:
        key, value = (_type_shape(a, models) for a in args)
        return {"t": "map", "key": key, "value": value}
    if origin is typing.Annotated:
        return _annotated_shape(annotation, models)
    return {"t": "unknown", "repr": repr(annotation)}


def _constrained_shape(shape: dict[str, Any], constraints: dict[str, Any]) -> dict[str, Any]:
    """A shape with constraints added (constraints on two levels: unknown, the check steps
    aside rather than keep one level's)."""
    if not constraints:
        return shape
    if shape.get("constraints"):
        return {"t": "unknown", "repr": "constraints on two levels"}
    return shape | {"constraints": constraints}


def _annotated_shape(annotation: Any, models: list[type]) -> dict[str, Any]:
    """``Annotated[...]``: a union told apart by a discriminator function, or constraints."""
    import typing

    from pydantic import Discriminator, Tag

    base, *extra = typing.get_args(annotation)
    found = [m for m in extra if isinstance(m, Discriminator)]
    if not found:
        return _constrained_shape(_type_shape(base, models), _constraints(extra))
    if len(extra) != 1 or not callable(found[0].discriminator):
        return {"t": "unknown", "repr": repr(annotation)}
    tags: dict[str, Any] = {}
    for member in typing.get_args(base):
        member_base, *member_extra = typing.get_args(member)
        tag = [m for m in member_extra if isinstance(m, Tag)]
        if len(tag) != 1 or len(member_extra) != 1:
            return {"t": "unknown", "repr": repr(annotation)}
        tags[tag[0].tag] = _type_shape(member_base, models)
    fn = found[0].discriminator
    return {"t": "tagged", "by": fn.__qualname__, "digest": _code_digest(fn), "of": tags}


def model_shapes() -> dict[str, Any]:
    """The shapes of every criteria model, generated from the pydantic models (imports them).

    Returns
    -------
    dict
        ``source_digest`` (of :data:`MODEL_MODULES`), ``kinds`` (file kind -> model name),
        ``models`` (name -> ``config``, ``fields`` (name -> ``type``, ``required``,
        ``default``, ``constraints``), ``validators`` (name -> ``mode``, ``digest``)) and
        ``functions`` (the digests of the checks run after validation, and their constants).

    Examples
    --------
    >>> shapes = model_shapes()
    >>> shapes["kinds"]["lee-2014-crs"], shapes["models"]["Fio2Tier"]["validators"]
    ('CrsIcansCriteria', {'_one_bound': {'mode': 'after', 'digest': '...'}})
    """
    from pydantic import BaseModel

    from aegrade.criteria import ctcae, loader
    from aegrade.criteria.loader import KINDS

    models: dict[str, Any] = {}
    todo: list[type] = list(KINDS.values())
    while todo:
        m = todo.pop(0)
        if m.__qualname__ in models or not issubclass(m, BaseModel):
            continue
        found: list[type] = []
        fields: dict[str, Any] = {}
        for name, f in m.model_fields.items():
            shape = _type_shape(f.annotation, found)
            if f.metadata:
                shape = _constrained_shape(shape, _constraints(f.metadata))
            if f.alias or f.validation_alias or f.discriminator or f.exclude:
                shape = {"t": "unknown", "repr": f"{name}: alias or discriminator"}
            required = f.is_required()
            default = None if required else _plain(f.get_default(call_default_factory=True))
            fields[name] = {"type": shape, "required": required, "default": default}
        decorators = m.__pydantic_decorators__
        validators: dict[str, Any] = {
            name: {"mode": d.info.mode, "digest": _code_digest(d.func)}
            for name, d in decorators.model_validators.items()
        }
        for group in ("field_validators", "validators", "root_validators"):
            for name in getattr(decorators, group):
                validators[name] = {"mode": group, "digest": ""}  # no twin: the check steps aside
        custom = m.model_post_init is not BaseModel.model_post_init
        models[m.__qualname__] = {
            "config": {k: v for k, v in m.model_config.items() if k != "defer_build"}
            | ({"model_post_init": True} if custom else {}),
            "fields": fields,
            "validators": validators,
        }
        todo += found
    return {
        "source_digest": models_digest(),
        "kinds": {k: m.__qualname__ for k, m in KINDS.items()},
        "models": dict(sorted(models.items())),
        "functions": {
            "UNIT_AGREEMENT": ctcae.UNIT_AGREEMENT,
            "unit_problems": _code_digest(ctcae.unit_problems),
            "unit_gaps": _code_digest(ctcae.unit_gaps),
            "_not_a_unit": _code_digest(ctcae._not_a_unit),
            "_in_canonical": _code_digest(ctcae._in_canonical),
            "loader._validate": _code_digest(loader._validate),
        },
    }


def write_shapes(path: str | Path | None = None) -> Path:
    """Regenerate ``data/shapes.json`` from the models (run after changing a criteria model).

    Parameters
    ----------
    path
        Where to write (default :func:`shapes_path`).

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> import tempfile
    >>> out = write_shapes(Path(tempfile.mkdtemp()) / "shapes.json")
    >>> json.loads(out.read_text("utf-8"))["kinds"]["icaht"]
    'IcahtCriteria'
    """
    out = Path(path) if path is not None else shapes_path()
    out.write_text(json.dumps(model_shapes(), indent=1, sort_keys=False) + "\n", "utf-8")
    return out


# --------------------------------------------------------------------------- the check


class _NotSure(Exception):
    """The plain check cannot vouch for the file: the models decide."""


@cache
def _shapes() -> dict[str, Any] | None:
    """The shapes file when it matches the model modules' source, else None."""
    try:
        shapes: dict[str, Any] = json.loads(shapes_path().read_text("utf-8"))
        return shapes if shapes.get("source_digest") == models_digest() else None
    except (OSError, ValueError):
        return None


def _condition_kind(data: Any) -> str:
    """Twin of ``ctcae._condition_kind`` for plain data (a mapping)."""
    if not isinstance(data, dict):
        raise _NotSure
    for key in ("baseline", "anticoagulated"):
        if key in data:
            return key
    return "compare"


#: Twins of the discriminators: qualname -> (digest of the original, plain function).
_DISCRIMINATORS: dict[str, tuple[str, Callable[[Any], str]]] = {
    "_condition_kind": ("9065aff3b1dc37be", _condition_kind),
}


def _bare_compare(data: Any) -> Any:
    """Twin of ``Clause._bare_compare``: a bare compare is a one-condition clause."""
    if isinstance(data, dict) and "all" not in data:
        extra = {k: data[k] for k in ("alternative", "note") if k in data}
        cond = {k: v for k, v in data.items() if k not in ("alternative", "note")}
        return {"all": [cond], **extra}
    return data


def _threshold_matches_ref(c: dict[str, Any]) -> bool:
    if (c["ref"] == "absolute") != (c["threshold"] is not None):
        return False
    return not (c["max_gap_hours"] is not None and c["sustained_hours"] is None)


def _grades_in_range(e: dict[str, Any]) -> bool:
    for g, grade in e["grades"].items():
        if not 1 <= g <= 5:
            return False
        for clause in grade["rules"]:
            if clause["alternative"] is not None and clause["alternative"] >= g:
                return False
    return True


def _unique_entries(c: dict[str, Any]) -> bool:
    seen: set[str] = set()
    pairs: set[tuple[str, str]] = set()
    for e in c["entries"]:
        if e["id"] in seen:
            return False
        for code in e["parameters"]:
            if (code, e["direction"]) in pairs:
                return False
            pairs.add((code, e["direction"]))
        seen.add(e["id"])
    return True


def _flow_fields_together(d: dict[str, Any]) -> bool:
    if (d["flow_le"] is None) != (d["grade_above_flow"] is None):
        return False
    return not (d["grade_without_fio2"] is not None and not d["fio2_decides"])


def _one_bound(t: dict[str, Any]) -> bool:
    return (t["ge"] is None) != (t["gt"] is None)


def _vocabulary_somewhere(c: dict[str, Any]) -> bool:
    return (c["vocabulary"] is None) != (c["vocabulary_from"] is None)


def _worst_first(late: dict[str, Any]) -> bool:
    grades = [lv["grade"] for lv in late["levels"]]
    return grades == sorted(grades, reverse=True)


def _most_points_first(marker: dict[str, Any]) -> bool:
    pts = [p["points"] for p in marker["points"]]
    return pts == sorted(pts, reverse=True)


#: Twins of the model validators: "Model.validator" -> (digest of the original, twin). A
#: "before" twin returns the data the model then validates; an "after" twin whether the
#: validated data passes.
_VALIDATORS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "Clause._bare_compare": ("4354c108a0e102ba", _bare_compare),
    "Compare._threshold_matches_ref": ("f01936b939adbe7d", _threshold_matches_ref),
    "Entry._grades_in_range": ("01ffe09f5d2221dd", _grades_in_range),
    "CtcaeCriteria._unique_entries": ("4cc608a9d0a284db", _unique_entries),
    "Device._flow_fields_together": ("3d9ba00553b4ae93", _flow_fields_together),
    "Fio2Tier._one_bound": ("6be93e6456f238f6", _one_bound),
    "CrsIcansCriteria._vocabulary_somewhere": ("c26015f7d4e01a79", _vocabulary_somewhere),
    "Late._worst_first": ("15f4fa989d3c7bc0", _worst_first),
    "Marker._most_points_first": ("1094610150e0ff52", _most_points_first),
}

#: The digests of what :func:`_check_raw` stands in for beside the models: the loader's
#: ``_validate`` (a file's kind, its model, then the CTCAE unit check) and ``ctcae``'s unit
#: check functions (:func:`_units_agree`).
_CHECKS = {
    "unit_problems": "12e4bc3e74314a00",
    "unit_gaps": "98ef5a9b5620fdb5",
    "_not_a_unit": "93077015edc7afd7",
    "_in_canonical": "0e17403e0b313847",
    "loader._validate": "8f3f14f32879081e",
}


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def _number(value: Any) -> bool:
    """A number as YAML gives one (not a bool; a whole number below 2**53, exact as a float)."""
    if isinstance(value, bool):
        return False
    return isinstance(value, float) or (isinstance(value, int) and abs(value) < 2**53)


def _scalar(t: str, shape: dict[str, Any], value: Any) -> Any:
    """A value of a scalar type, as YAML gives it (else not sure: pydantic may convert it)."""
    if t == "str" and isinstance(value, str):
        return value
    if t == "bool" and isinstance(value, bool):
        return value
    if t == "int" and _number(value) and isinstance(value, int):
        return value
    if t == "float" and _number(value):
        return value
    if t == "literal" and any(type(value) is type(v) and value == v for v in shape["values"]):
        return value
    if t == "date" and isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if t == "date" and isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:  # pydantic reads an ISO date written as text (YYYY-MM-DD) too
            return dt.date.fromisoformat(value)
        except ValueError:
            raise _NotSure from None
    raise _NotSure  # another type, or one pydantic would convert: the models decide


class _Checker:
    """Plain data checked against the shapes; every value normalised as the model would hold
    it (defaults filled in, bare compares made clauses), or :class:`_NotSure`."""

    def __init__(self, shapes: dict[str, Any]) -> None:
        self.models: dict[str, Any] = shapes["models"]

    def model(self, name: str, value: Any) -> dict[str, Any]:
        spec = self.models[name]
        if spec["config"] != {"frozen": True, "extra": "forbid"}:
            raise _NotSure
        validators = spec["validators"]
        for vname, v in validators.items():
            twin = _VALIDATORS.get(f"{name}.{vname}")
            if twin is None or twin[0] != v["digest"] or v["mode"] not in ("before", "after"):
                raise _NotSure
        for vname, v in validators.items():
            if v["mode"] == "before":
                value = _VALIDATORS[f"{name}.{vname}"][1](value)
        if not isinstance(value, dict) or not set(value) <= set(spec["fields"]):
            raise _NotSure  # not a mapping, or a key the model does not have
        out: dict[str, Any] = {}
        for fname, f in spec["fields"].items():
            if fname in value:
                out[fname] = self.value(f["type"], value[fname])
            elif f["required"]:
                raise _NotSure
            else:  # a copy: the caller may change what it is given
                out[fname] = copy.deepcopy(f["default"])
        for vname, v in validators.items():
            if v["mode"] == "after" and not _VALIDATORS[f"{name}.{vname}"][1](out):
                raise _NotSure
        return out

    def value(self, shape: dict[str, Any], value: Any) -> Any:
        t = shape["t"]
        if value is None:  # None is only ever its own type (constraints apply to the rest)
            if t == "none" or (t == "union" and any(s["t"] == "none" for s in shape["of"])):
                return None
            raise _NotSure
        if t == "union":
            members = [s for s in shape["of"] if s["t"] != "none"]
            outer = shape.get("constraints") or {}
            if outer and (len(members) > 1 or members[0].get("constraints")):
                raise _NotSure  # constraints on a union of types, or on both levels
            for member in members:
                try:
                    return self.value(member | ({"constraints": outer} if outer else {}), value)
                except _NotSure:
                    continue
            raise _NotSure
        out = self._typed(t, shape, value)
        self._constrained(shape.get("constraints") or {}, out)
        return out

    def _typed(self, t: str, shape: dict[str, Any], value: Any) -> Any:
        if t == "model":
            return self.model(shape["name"], value)
        if t == "list" and isinstance(value, list):
            return [self.value(shape["of"], v) for v in value]
        if t == "fixed" and isinstance(value, list) and len(value) == len(shape["of"]):
            return [self.value(s, v) for s, v in zip(shape["of"], value, strict=True)]
        if t == "map" and isinstance(value, dict):
            key, of = shape["key"], shape["value"]
            return {self.value(key, k): self.value(of, v) for k, v in value.items()}
        if t == "tagged":
            twin = _DISCRIMINATORS.get(shape["by"])
            if twin is None or twin[0] != shape["digest"]:
                raise _NotSure
            tag = twin[1](value)
            if tag not in shape["of"]:
                raise _NotSure
            return self.value(shape["of"][tag], value)
        return _scalar(t, shape, value)

    @staticmethod
    def _constrained(constraints: dict[str, Any], value: Any) -> None:
        if not constraints:
            return
        if "unknown" in constraints:
            raise _NotSure
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        for key, bound in constraints.items():
            if key == "pattern":
                if not (isinstance(value, str) and "\n" not in value and re.search(bound, value)):
                    raise _NotSure
            elif (
                not numeric
                or not {
                    "ge": value >= bound,
                    "le": value <= bound,
                    "gt": value > bound,
                    "lt": value < bound,
                }[key]
            ):
                raise _NotSure


def _is_unit(reg: UnitRegistry, codes: list[str], unit: str) -> bool:
    """Twin of ``ctcae._not_a_unit``: whether ``unit`` is a unit of every known code."""
    for code in codes:
        if code not in reg.parameters:
            continue
        param = reg.parameters[code]
        canonical = reg.canonical_unit(unit)
        if not (unit == param.unit or canonical == param.unit or canonical in param.conversions):
            return False
    return True


def _in_canonical(
    reg: UnitRegistry, code: str, unit: str, value: float, difference: bool
) -> float | None:
    """Twin of ``ctcae._in_canonical``."""
    conv = reg.conversion(code, unit)
    if conv is None or isinstance(conv, str):
        return None
    return (value + (0.0 if difference else conv.offset)) * conv.scale


def _gap(reg: UnitRegistry, codes: list[str], numbers: dict[str, float], key: str) -> float:
    """Twin of ``ctcae.unit_gaps`` for one cut-off: how far apart its numbers are."""
    gap = 0.0
    for code in codes:
        if code not in reg.parameters:
            continue
        values = [
            v
            for u, x in numbers.items()
            if (v := _in_canonical(reg, code, u, x, key == "offset")) is not None
        ]
        top = max((abs(v) for v in values), default=0.0)
        if len(values) > 1 and top > 0:
            gap = max(gap, (max(values) - min(values)) / top)
    return gap


def _units_agree(criteria: dict[str, Any], shapes: dict[str, Any]) -> bool:
    """Twin of ``ctcae.unit_problems`` for a checked CTCAE file: True when it has none."""
    functions = shapes["functions"]
    reg = registry()
    for e in criteria["entries"]:
        codes = e["parameters"]
        if not _is_unit(reg, codes, e["unit"]):
            return False
        cuts = [
            (key, cond[key])
            for grade in e["grades"].values()
            for clause in grade["rules"]
            for cond in clause["all"]
            if _condition_kind(cond) == "compare"
            for key in ("threshold", "offset")
            if isinstance(cond[key], dict)
        ]
        for key, numbers in cuts:
            if not all(_is_unit(reg, codes, u) for u in numbers):
                return False
            if len(numbers) > 1 and _gap(reg, codes, numbers, key) > functions["UNIT_AGREEMENT"]:
                return False
    return True


def quick_check(path: str | Path) -> dict[str, Any] | None:
    """A criteria file checked without pydantic: its data when the models would accept it,
    None when not sure (then validate it with :func:`~aegrade.criteria.loader.load_criteria_file`,
    which names every problem).

    Parameters
    ----------
    path
        A YAML criteria file of any kind.

    Returns
    -------
    dict or None
        The file's data as the model would hold it (defaults filled in), or None: the file
        cannot be read or parsed, breaks its format, holds a value pydantic would have to
        convert, or the shapes file does not match the models.

    Examples
    --------
    >>> from importlib import resources
    >>> checked = quick_check(resources.files("aegrade.criteria.data") / "lee-2014.yaml")
    >>> checked["id"], checked["kind"], checked["revision"], checked["icans"]
    ('lee-2014', 'lee-2014-crs', 2, None)
    >>> quick_check("no-such-file.yaml") is None
    True
    """
    shapes = _shapes()
    if shapes is None:
        return None
    try:
        raw = yaml.load(Path(path).read_text("utf-8"), Loader=SAFE_LOADER)
    except (OSError, ValueError, yaml.YAMLError):
        return None
    return _check_raw(raw, shapes)


def _check_raw(raw: Any, shapes: dict[str, Any]) -> dict[str, Any] | None:
    """:func:`quick_check` of a file's parsed YAML."""
    if any(shapes["functions"].get(k) != v for k, v in _CHECKS.items()):
        return None  # the loader or the unit check changed, and this twin was not rewritten
    if not isinstance(raw, dict) or not isinstance(raw.get("kind"), str):
        return None
    model = shapes["kinds"].get(raw["kind"])
    if model is None:
        return None
    try:
        checked = _Checker(shapes).model(model, raw)
    except (_NotSure, RecursionError):
        return None
    if raw["kind"] == "value-thresholds" and not _units_agree(checked, shapes):
        return None
    return checked
