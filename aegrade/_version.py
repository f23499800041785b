"""The installed version of aegrade.

Read from the installed package's metadata when first asked for (module ``__getattr__``):
``importlib.metadata`` costs a fifth of the command line's start-up, and only ``--version`` and
a grading run's meta need it.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

__all__ = ["__version__"]

if TYPE_CHECKING:
    __version__: str


def __getattr__(name: str) -> str:
    if name == "__version__":
        return _installed()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@cache
def _installed() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("aegrade")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        return "0+unknown"
