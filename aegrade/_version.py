"""The version of aegrade.

A literal, the same as ``[project] version`` in pyproject.toml and the installed package's
metadata (tests/test_version.py holds the three equal): reading it from the metadata took
``importlib.metadata`` (and the ``email`` package under it), about 20 ms of imports, on every
grading run (the run's meta and the criteria cache's keys name the version).
"""

from __future__ import annotations

__all__ = ["VERSION", "__version__"]

#: aegrade's version.
VERSION = "0.1.0"
__version__ = VERSION
