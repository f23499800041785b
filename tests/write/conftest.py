"""Fixtures for the writer tests: the 30-patient Table 3 study of the table tests."""

from __future__ import annotations

from tests.tables.conftest import subjects30, table3_ae

__all__ = ["subjects30", "table3_ae"]
