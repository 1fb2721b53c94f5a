"""Fixtures for the processes' tests: a second database for a replica, a witness key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.databases import fresh_database


@pytest.fixture
def replica_url(tmp_path: Path) -> Iterator[str]:
    """A second new, empty database for this test, beside ``ledger_url``."""
    directory = tmp_path / "replica"
    directory.mkdir()
    with fresh_database(directory) as url:
        yield url
