"""The public API stays declared and documented (issue 9).

Every module under ``aegrade/`` has ``__all__``; each package re-exports every function,
class and click command of its public modules' ``__all__``; every exported function has a
runnable ``>>>`` example (run as a doctest by ``make test``) and every exported class has a
docstring.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import textwrap
from types import ModuleType

import click
import pytest

import aegrade


def _modules() -> list[ModuleType]:
    found = [aegrade]
    for info in pkgutil.walk_packages(aegrade.__path__, "aegrade."):
        if ".data" in info.name or ".examples" in info.name:
            continue
        found.append(importlib.import_module(info.name))
    return found


MODULES = _modules()
PACKAGES = [m for m in MODULES if hasattr(m, "__path__") and m is not aegrade]


def _is_function(obj: object) -> bool:
    """A plain or decorated (``functools.cache``) function, not a class or a click command."""
    if inspect.isclass(obj) or isinstance(obj, click.Command):
        return False
    return inspect.isfunction(inspect.unwrap(obj)) if callable(obj) else False


def _is_api(obj: object) -> bool:
    return _is_function(obj) or inspect.isclass(obj) or isinstance(obj, click.Command)


def _own(obj: object) -> bool:
    return str(getattr(inspect.unwrap(obj), "__module__", "")).startswith("aegrade")


def _exported() -> list[tuple[str, str, object]]:
    return [
        (m.__name__, name, getattr(m, name))
        for m in MODULES
        for name in getattr(m, "__all__", [])
        if _own(getattr(m, name))
    ]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_every_module_declares_all(module: ModuleType) -> None:
    names = getattr(module, "__all__", None)
    assert names is not None, f"{module.__name__} has no __all__"
    missing = [n for n in names if not hasattr(module, n)]
    assert not missing, f"{module.__name__}.__all__ names what it lacks: {missing}"


@pytest.mark.parametrize("package", PACKAGES, ids=lambda m: m.__name__)
def test_package_reexports_every_function_and_class(package: ModuleType) -> None:
    exported = set(package.__all__)
    missing = []
    for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        if info.ispkg or info.name.rsplit(".", 1)[1].startswith("_"):
            continue
        module = importlib.import_module(info.name)
        for name in module.__all__:
            obj = getattr(module, name)
            if not _is_api(obj):
                continue
            if name not in exported or getattr(package, name) is not obj:
                missing.append(f"{info.name}.{name}")
    assert not missing, f"{package.__name__}.__all__ lacks {missing}"


def test_package_docstrings_state_the_reexport_rule() -> None:
    lacking = [p.__name__ for p in PACKAGES if "re-exported here" not in (p.__doc__ or "")]
    assert not lacking


@pytest.mark.parametrize(
    ("module", "name"),
    [(m, n) for m, n, obj in _exported() if _is_function(obj)],
    ids=lambda x: str(x),
)
def test_every_exported_function_has_an_example(module: str, name: str) -> None:
    doc = inspect.getdoc(getattr(importlib.import_module(module), name)) or ""
    assert ">>>" in doc, f"{module}.{name} has no >>> example"


def _class_docstring(cls: type) -> str | None:
    """The docstring written in the class body (dataclasses and enums invent one otherwise)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    node = tree.body[0]
    assert isinstance(node, ast.ClassDef)
    return ast.get_docstring(node)


@pytest.mark.parametrize(
    ("module", "name"),
    [(m, n) for m, n, obj in _exported() if inspect.isclass(obj)],
    ids=lambda x: str(x),
)
def test_every_exported_class_has_a_docstring(module: str, name: str) -> None:
    cls = getattr(importlib.import_module(module), name)
    assert (_class_docstring(cls) or "").strip(), f"{module}.{name} has no docstring"


@pytest.mark.parametrize(
    "name",
    ["GradeResult", "CrsIcansResult", "HematologyResult", "Study", "InputError", "Reason"],
)
def test_main_result_classes_have_examples(name: str) -> None:
    assert ">>>" in (_class_docstring(getattr(aegrade, name)) or "")


def test_top_level_api_has_the_readme_names() -> None:
    for name in ("grade", "grade_labs", "load_study", "load_criteria", "list_criteria"):
        assert name in aegrade.__all__
    assert all(hasattr(aegrade, n) for n in aegrade.__all__)
