"""Fixtures for the whole suite: each test gets its own fresh, empty ledger database.

SQLite in the test's temporary directory by default; with ``CARBONLEDGER_TEST_DB=postgresql``
a uniquely named PostgreSQL database on 127.0.0.1:5432, created for the test and dropped after.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.builders import World, build_world
from tests.databases import close_databases, fresh_database


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Drop the PostgreSQL databases made ahead of need (none exist on SQLite)."""
    close_databases()


@pytest.fixture
def ledger_url(tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty database for this test only."""
    with fresh_database(tmp_path) as url:
        yield url


@pytest.fixture
def world(ledger_url: str) -> Iterator[World]:
    """A ledger with the standard cast, program, methodology and project (tests.builders)."""
    built = build_world(ledger_url)
    try:
        yield built
    finally:
        built.close()
