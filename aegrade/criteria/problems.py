"""A broken criteria file, described one line per problem.

pydantic reports a problem once per member of a union and locates it by model internals;
:func:`describe_problems` turns its errors into lines a file's author can act on, each naming
the file, the entry (by its term or id) and the key.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

__all__ = ["describe_problems", "keys_of"]


_EXPECTED = {
    "float_parsing": "a number",
    "float_type": "a number",
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "dict_type": "a mapping",
    "string_type": "text",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "tuple_type": "a list",
    "date_type": "a date (YYYY-MM-DD)",
    "date_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
    "none_required": "null",
    "model_type": "a mapping of keys",
    "model_attributes_type": "a mapping of keys",
}


def keys_of(models: Iterable[type[BaseModel]]) -> list[str]:
    """Every key the models (and the models inside them) know, sorted.

    Examples
    --------
    >>> from aegrade.criteria.base import Erratum
    >>> keys_of([Erratum])
    ['change', 'date', 'reason', 'revision']
    """
    names: set[str] = set()
    todo: list[type[BaseModel]] = list(models)
    done: set[type[BaseModel]] = set()
    while todo:
        m = todo.pop()
        if m in done:
            continue
        done.add(m)
        for name, f in m.model_fields.items():
            names.add(name)
            todo += _models_in(f.annotation)
    return sorted(names)


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for a in get_args(annotation) for m in _models_in(a)]


def _label(item: Any) -> str | None:
    if isinstance(item, dict):
        for key in ("term", "id", "name", "label"):
            if isinstance(item.get(key), str):
                return str(item[key])
    return None


def _locate(raw: Any, loc: tuple[int | str, ...]) -> tuple[str | None, list[str]]:
    """The named entry a location falls in and the key path (within the entry, or the file).

    Parts of the location that are not in the file (union members, keys a validator added)
    are skipped.
    """
    node, entry, path = raw, None, []
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
            path.append(str(part))
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            label = _label(node)
            if entry is None and label is not None:
                where = ".".join(path)
                entry = f"entry {label!r}" if where == "entries" else f"{where} {label!r}"
                path = []
            else:
                path.append(str(part))
    return entry, path


def describe_problems(
    name: str,
    raw: dict[str, Any],
    exc: ValidationError,
    models: Iterable[type[BaseModel]] = (),
) -> list[str]:
    """One line per problem of a file: ``<file>: [entry '<term>': ]<key problem>``.

    Parameters
    ----------
    name
        The file name to write.
    raw
        The parsed file, used to name entries and to skip locations that are not in it.
    exc
        pydantic's error.
    models
        Models whose keys are suggested for a misspelt key.

    Returns
    -------
    list of str
        Errors pydantic reports once per member of a union are one line; a misspelt key is
        one line with a suggestion.

    Examples
    --------
    >>> from aegrade.criteria.base import Erratum
    >>> raw = {"revision": 2, "date": "2026-01-01", "chnage": "x", "reason": "y"}
    >>> try:
    ...     Erratum.model_validate(raw)
    ... except ValidationError as exc:
    ...     describe_problems("my.yaml", raw, exc, [Erratum])
    ["my.yaml: unknown key 'chnage' (did you mean 'change'?)"]
    """
    known = keys_of(models)
    found: dict[tuple[str | None, str], list[dict[str, Any]]] = {}
    for err in exc.errors():
        loc = tuple(err["loc"])
        if err["type"] == "missing":
            entry, path = _locate(raw, loc[:-1])
            path = [*path, str(loc[-1])]
        else:
            entry, path = _locate(raw, loc)
        found.setdefault((entry, ".".join(path)), []).append(dict(err))
    _merge_misspelt(found, known)
    _merge_union_members(found)
    lines = []
    for (entry, key), errs in found.items():
        where = f"{name}: {entry}: " if entry else f"{name}: "
        lines.append(where + _what(key, errs, known))
    return lines


def _merge_misspelt(
    found: dict[tuple[str | None, str], list[dict[str, Any]]], known: list[str]
) -> None:
    """A misspelt required key is one problem: drop its 'missing' twin beside the unknown key."""
    extra = [k for k, errs in found.items() if any(e["type"] == "extra_forbidden" for e in errs)]
    for entry, key in extra:
        parent, _, last = key.rpartition(".")
        for other, errs in list(found.items()):
            o_entry, o_key = other
            o_parent, _, o_last = o_key.rpartition(".")
            if (
                o_entry == entry
                and o_parent == parent
                and all(e["type"] == "missing" for e in errs)
                and difflib.get_close_matches(last, [o_last], n=1)
            ):
                del found[other]


def _merge_union_members(found: dict[tuple[str | None, str], list[dict[str, Any]]]) -> None:
    """A value matching no member of a union is one problem: keep the deepest location.

    (``threshold: {g/L: abc}`` fails as a number at ``threshold`` and as a mapping of numbers
    at ``threshold.g/L``; the second says where the problem is.)
    """
    typed = [k for k, errs in found.items() if all(e["type"] in _EXPECTED for e in errs)]
    for entry, key in typed:
        if any(e == entry and k.startswith(key + ".") for e, k in typed):
            del found[(entry, key)]


def _what(key: str, errs: list[dict[str, Any]], known: list[str]) -> str:
    kinds = {e["type"] for e in errs}
    last = key.rsplit(".", 1)[-1]
    if "extra_forbidden" in kinds:
        hint = difflib.get_close_matches(last, known, n=1)
        return f"unknown key {key!r}" + (f" (did you mean {hint[0]!r}?)" if hint else "")
    if kinds == {"missing"}:
        return f"missing key {key!r}"
    value_errors = [e for e in errs if e["type"] in ("value_error", "assertion_error")]
    if value_errors:
        msg = str(value_errors[0]["msg"]).removeprefix("Value error, ")
        return f"key {key!r}: {msg}" if key else msg
    expected = []
    for e in errs:
        if e["type"] == "none_required" and len(errs) > 1:
            continue
        if e["type"] == "literal_error":
            expected.append("one of " + str(e.get("ctx", {}).get("expected", "")))
        elif e["type"] in _EXPECTED:
            expected.append(_EXPECTED[e["type"]])
        else:
            expected.append(str(e["msg"]).removeprefix("Input should be ").lower())
    got = errs[0].get("input")
    unique = list(dict.fromkeys(expected))
    text = f"expected {' or '.join(unique)}, got {got!r}"
    return f"key {key!r}: {text}" if key else text
