"""The layout's rules (ARCHITECTURE.md), checked on the source so that a change cannot break them.

The packages form a pipeline; a module may import from its own package and from packages
earlier in :data:`LAYERS`, never from a later one, and never a ``_private`` name of another
package. ``episodes`` (the one episode builder) comes before ``grading`` because an ASTCT
CRS or ICANS grade is the grade of an episode: the syndrome engines build theirs with it,
while lab and febrile-neutropenia episodes are built from grades by the pipeline.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "aegrade"

#: Package (or top-level module) -> layer. Earlier layers never import later ones.
LAYERS: dict[str, int] = {
    "_version": 0,
    "errors": 0,
    "lazy": 0,
    "threads": 0,
    "schema": 1,
    "criteria": 1,
    "study": 2,
    "read": 2,
    "dates": 1,
    "prepare": 3,
    "episodes": 4,
    "grading": 5,
    "pipeline": 6,
    "partition": 6,
    "dask": 6,
    "compare": 7,
    "tables": 7,
    "write": 8,
    "cli": 9,
    "__init__": 10,
}


def _modules() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if "data" not in p.relative_to(ROOT).parts)


def _unit(path: Path) -> str:
    rel = path.relative_to(ROOT).parts
    return rel[0][:-3] if rel[0].endswith(".py") else rel[0]


def _imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, imported module, names) of every aegrade import, function-local ones included."""
    tree = ast.parse(path.read_text("utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("aegrade"):
            found.append((node.lineno, node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name, []) for a in node.names if a.name.startswith("aegrade")]
    return found


def _target_unit(module: str, names: list[str]) -> list[str]:
    parts = module.split(".")
    if len(parts) > 1:
        return [parts[1]]
    return names  # `from aegrade import read` names the unit itself


def test_every_unit_has_a_layer() -> None:
    units = {_unit(p) for p in _modules()}
    assert units <= set(LAYERS), sorted(units - set(LAYERS))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_follow_the_pipeline(path: Path) -> None:
    here = _unit(path)
    wrong = []
    for line, module, names in _imports(path):
        for unit in _target_unit(module, names):
            if unit in LAYERS and unit != here and LAYERS[unit] > LAYERS[here]:
                wrong.append(f"line {line}: {here} (layer {LAYERS[here]}) imports {module}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_private_name_crosses_a_package(path: Path) -> None:
    here = _unit(path)
    wrong = []
    for line, module, names in _imports(path):
        other = module.split(".")[1] if module.count(".") else None
        private = [n for n in names if n.startswith("_") and n != "__version__"]
        private += [p for p in module.split(".")[1:] if p.startswith("_") and p != "_version"]
        if private and other != here:
            wrong.append(f"line {line}: imports {', '.join(private)} from {module}")
    assert not wrong, "\n".join(wrong)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_time_edges(path: Path, known: set[str]) -> set[str]:
    """Modules imported when ``path`` is imported: module level, outside ``TYPE_CHECKING``."""
    tree = ast.parse(path.read_text("utf-8"))
    out: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for sub in ast.walk(node):
            if isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                break
            if isinstance(sub, ast.ImportFrom) and sub.module and sub.module.startswith("aegrade"):
                # `from pkg import submodule` loads the submodule; other names load `pkg`
                subs = {f"{sub.module}.{a.name}" for a in sub.names} & known
                out |= subs
                if len(subs) < len(sub.names):
                    out.add(sub.module)
            elif isinstance(sub, ast.Import):
                out |= {a.name for a in sub.names if a.name.startswith("aegrade")}
    return out


def test_no_import_cycles() -> None:
    """No module imports itself back through others when it is imported (function-local
    imports, which only defer loading a heavy library, are not edges)."""
    paths = {_module_name(p): p for p in _modules()}
    graph = {
        name: {m for m in _import_time_edges(path, set(paths)) if m in paths and m != name}
        for name, path in paths.items()
    }
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for name in sorted(graph):
        if name not in state and (cycle := visit(name)):
            pytest.fail("import cycle: " + " -> ".join(cycle))


def test_package_inits_declare_all() -> None:
    missing = []
    for init in ROOT.rglob("__init__.py"):
        if "data" in init.relative_to(ROOT).parts:
            continue
        tree = ast.parse(init.read_text("utf-8"))
        names = {
            t.id
            for node in tree.body
            if isinstance(node, ast.Assign)
            for t in node.targets
            if isinstance(t, ast.Name)
        }
        if "__all__" not in names:
            missing.append(str(init.relative_to(ROOT)))
    assert not missing, missing
