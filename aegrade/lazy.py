"""Names of a package imported on first use (PEP 562), so a light command loads no pandas.

``aegrade``, ``aegrade.criteria`` and ``aegrade.grading`` list their public names with the
module each comes from; :func:`lazy_exports` gives the package's ``__getattr__`` and
``__dir__``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


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
