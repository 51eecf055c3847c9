"""Fixtures for records (hồ sơ): see records_rows.py."""

from tests.records.records_rows import office

__all__ = ["office"]
