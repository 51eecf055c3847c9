"""Fixtures for records (hồ sơ): the office of records_rows.py, and the web app of tests/web."""

from tests.records.records_rows import office
from tests.web.conftest import web

__all__ = ["office", "web"]
