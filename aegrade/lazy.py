"""Names of a package imported on first use (PEP 562), so a light command loads no pandas.

``aegrade``, ``aegrade.criteria`` and ``aegrade.grading`` list their public names with the
module each comes from; :func:`lazy_exports` gives the package's ``__getattr__`` and
``__dir__``. A module that needs numpy or pandas in some of its functions only (the errors,
the criteria loader, the unit registry) binds them with :func:`lazy_module`: the library is
imported when a function first uses it, and ``aegrade criteria check`` never does.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports", "lazy_module"]


def lazy_exports(
    package: str,
    names: Mapping[str, str],
    namespace: dict[str, Any],
    *,
    submodules: bool = True,
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: a name in ``names`` is imported from
    its module when first asked for and kept in ``namespace`` (the package's ``globals()``).

    Parameters
    ----------
    package
        The package's ``__name__``.
    names
        Public name -> module that defines it.
    namespace
        The package's ``globals()``.
    submodules
        Also answer ``package.x`` for a submodule ``x`` not imported yet.

    Returns
    -------
    tuple
        ``(__getattr__, __dir__)``.

    Examples
    --------
    >>> ns: dict = {}
    >>> get, names = lazy_exports("demo", {"sqrt": "math"}, ns)
    >>> get("sqrt")(9.0), "sqrt" in ns, names()
    (3.0, True, ['sqrt'])
    """

    def __getattr__(name: str) -> object:
        module = names.get(name)
        if module is None:
            if not submodules:
                raise AttributeError(f"module {package!r} has no attribute {name!r}")
            try:  # a submodule by attribute (``package.x`` after ``import package``)
                value: object = importlib.import_module(f"{package}.{name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{package}.{name}":
                    raise
                raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        else:
            value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *names})

    return __getattr__, __dir__


class _Deferred:
    """Stands for a module in one namespace until an attribute of it is first asked for."""

    __slots__ = ("_alias", "_name", "_namespace")

    def __init__(self, name: str, namespace: dict[str, Any], alias: str) -> None:
        self._name, self._namespace, self._alias = name, namespace, alias

    def __getattr__(self, attr: str) -> Any:
        module = importlib.import_module(self._name)
        if self._namespace.get(self._alias) is self:  # from now on, the module itself
            self._namespace[self._alias] = module
        return getattr(module, attr)

    def __repr__(self) -> str:
        return f"<module {self._name!r}, imported on first use>"


def lazy_module(name: str, namespace: dict[str, Any], alias: str) -> Any:
    """A stand-in for module ``name``, bound as ``alias`` in ``namespace``, that imports it
    when an attribute is first read and then puts the module itself in its place.

    For a module that uses a heavy library in some functions only: ``np.zeros`` in a function
    body imports numpy on the first call, and later calls find numpy itself in the module's
    globals (no stand-in left on the way). Nothing is imported, and nothing is added to
    ``sys.modules``, before then. Write it under ``if TYPE_CHECKING: import numpy as np``
    ``else: np = lazy_module("numpy", globals(), "np")`` so that type checkers see the module.

    Parameters
    ----------
    name
        The module to import, e.g. ``"numpy"``.
    namespace
        The using module's ``globals()``.
    alias
        The name the module is bound to there, e.g. ``"np"``.

    Returns
    -------
    object
        The stand-in (already bound to ``namespace[alias]``).

    Examples
    --------
    >>> ns: dict = {}
    >>> m = lazy_module("colorsys", ns, "cs")
    >>> ns["cs"] is m, m.rgb_to_hsv(1.0, 0.0, 0.0), ns["cs"].__name__
    (True, (0.0, 1.0, 1.0), 'colorsys')
    """
    stand_in = _Deferred(name, namespace, alias)
    namespace[alias] = stand_in
    return stand_in
