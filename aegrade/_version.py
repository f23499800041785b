"""The version of aegrade.

A literal, the package's one: pyproject.toml reads it from here (``dynamic = ["version"]``,
setuptools' ``attr``), so the installed package's metadata says the same (tests/test_version.py
checks it). Reading it from the metadata at run time took
``importlib.metadata`` (and the ``email`` package under it), about 20 ms of imports, on every
grading run (the run's meta and the criteria cache's keys name the version).
"""

from __future__ import annotations

__all__ = ["VERSION", "__version__"]

#: aegrade's version.
VERSION = "0.1.0"
__version__ = VERSION
