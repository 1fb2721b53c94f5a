"""The regulator's own copy: a database read as it is, or a bundle checked and replayed."""

from __future__ import annotations

import base64
import gzip
from pathlib import Path

import orjson
import pytest
from sqlalchemy import func, select

from ledger.bundle import export_bundle
from ledger.errors import LedgerError
from ledger.reports.issuance_audit import audit_issuance
from ledger.reports.replica import open_copy
from ledger.storage import schema
from tests.builders import World
from tests.stories import zhongshan


@pytest.fixture
def bundle(world: World, tmp_path: Path) -> Path:
    zhongshan(world)
    world.ledger.seal()
    path = tmp_path / "ledger.clb"
    export_bundle(world.url, path)
    return path


class TestBundleCopy:
    def test_replayed_bundle_gives_the_same_audit_as_the_database(
        self, world: World, bundle: Path
    ) -> None:
        with open_copy(str(bundle), log_vkey=world.ledger.log_vkey) as engine:
            replayed = audit_issuance(engine)
            with engine.connect() as conn:
                entries = conn.execute(select(func.count()).select_from(schema.entries)).scalar()
                cases = conn.execute(select(schema.compensation_cases.c.status)).scalars().all()
        direct = audit_issuance(world.ledger.engine)
        assert replayed.batches == direct.batches
        assert replayed.flags == direct.flags == []
        assert entries == world.ledger.size
        assert cases == ["closed"]

    def test_bundle_signed_by_another_key_is_refused(self, bundle: Path) -> None:
        with pytest.raises(LedgerError) as caught, open_copy(str(bundle), log_vkey="x+1+AQ=="):
            pass
        assert caught.value.code == "wrong_log_key"

    def test_tampered_bundle_is_refused(self, world: World, bundle: Path, tmp_path: Path) -> None:
        lines = gzip.decompress(bundle.read_bytes()).rstrip(b"\n").split(b"\n")
        last = orjson.loads(lines[-1])
        record = base64.b64decode(last["record"]).replace(b"1019000000", b"1019000001")
        lines[-1] = orjson.dumps({**last, "record": base64.b64encode(record).decode()})
        tampered = tmp_path / "tampered.clb"
        tampered.write_bytes(gzip.compress(b"\n".join(lines) + b"\n"))
        with (
            pytest.raises(LedgerError) as caught,
            open_copy(str(tampered), log_vkey=world.ledger.log_vkey),
        ):
            pass
        assert caught.value.code == "tamper_detected"
        assert caught.value.details["index"] == last["index"]

    def test_a_path_that_is_no_file_is_refused(self, tmp_path: Path) -> None:
        with pytest.raises(LedgerError) as caught, open_copy(str(tmp_path / "missing.clb")):
            pass
        assert caught.value.code == "bad_bundle"
