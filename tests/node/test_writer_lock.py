"""At most one writer per database."""

from __future__ import annotations

import pytest

from ledger.errors import LedgerError
from ledger.storage.engine import make_engine
from ledger.storage.migrate import upgrade
from node.writer_lock import WriterLock


class TestWriterLock:
    def test_a_second_writer_is_refused_until_the_first_releases(self, ledger_url: str) -> None:
        engine = make_engine(ledger_url)
        upgrade(engine)
        try:
            first = WriterLock.acquire(engine)
            with pytest.raises(LedgerError) as refused:
                WriterLock.acquire(engine)
            assert refused.value.code == "writer_locked"
            first.release()
            WriterLock.acquire(engine).release()
        finally:
            engine.dispose()
