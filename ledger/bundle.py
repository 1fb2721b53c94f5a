"""Export bundles: a ledger's whole log in one self-contained file for offline verification.

Format (docs/formats.md): gzip-compressed JSON Lines. The first line is a header
``{"format": "carbonledger-bundle/1", "origin", "log_vkey", "size", "checkpoints"}``; then one
line ``{"checkpoint": <signed note text>}`` per sealed checkpoint; then one line
``{"index": i, "record": <base64 record bytes>}`` per entry, in index order. The participants'
keys travel inside the records themselves (genesis, registrations, key changes), so nothing
else is needed to check the bundle.
"""

from __future__ import annotations

import base64
import dataclasses
import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
from sqlalchemy import select

from ledger.errors import InvalidInput
from ledger.replay import StoredRecord
from ledger.storage import schema
from ledger.storage.engine import make_engine

FORMAT = "carbonledger-bundle/1"


@dataclass(frozen=True, slots=True)
class BundleHeader:
    origin: str
    log_vkey: str
    size: int
    checkpoints: int


def export_bundle(url: str, path: str | Path) -> BundleHeader:
    """Write every record and checkpoint of the ledger at ``url`` to ``path``."""
    engine = make_engine(url)
    e, c = schema.entries, schema.checkpoints
    try:
        with engine.connect() as conn, gzip.open(path, "wb", compresslevel=6) as out:
            meta = dict(conn.execute(select(schema.meta.c.key, schema.meta.c.value)).all())
            notes = [bytes(n) for (n,) in conn.execute(select(c.c.note).order_by(c.c.size))]
            size = conn.execute(select(e.c.idx).order_by(e.c.idx.desc()).limit(1)).scalar()
            header = BundleHeader(
                meta["origin"], meta["log_vkey"], 0 if size is None else size + 1, len(notes)
            )
            out.write(orjson.dumps({"format": FORMAT, **dataclasses.asdict(header)}) + b"\n")
            for note in notes:
                out.write(orjson.dumps({"checkpoint": note.decode()}) + b"\n")
            rows = conn.execution_options(yield_per=5000).execute(
                select(e.c.idx, e.c.record).order_by(e.c.idx)
            )
            for idx, record in rows:
                line = {"index": idx, "record": base64.b64encode(record).decode()}
                out.write(orjson.dumps(line) + b"\n")
        return header
    finally:
        engine.dispose()


class Bundle:
    """A bundle opened for reading: its header and checkpoints, then a stream of records."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            with gzip.open(self.path, "rb") as f:
                first = orjson.loads(f.readline())
                if not isinstance(first, dict) or first.get("format") != FORMAT:
                    raise InvalidInput(f"{path} is not a {FORMAT} file", code="bad_bundle")
                self.header = BundleHeader(
                    first["origin"],
                    first["log_vkey"],
                    int(first["size"]),
                    int(first["checkpoints"]),
                )
                self.checkpoints = [
                    orjson.loads(f.readline())["checkpoint"].encode()
                    for _ in range(self.header.checkpoints)
                ]
        except (OSError, EOFError, orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise InvalidInput(
                f"{path} is not a readable bundle: {exc}", code="bad_bundle"
            ) from exc

    def records(self) -> Iterator[StoredRecord]:
        """The records, in file order (the replay checks that it is index order)."""
        try:
            with gzip.open(self.path, "rb") as f:
                for _ in range(1 + self.header.checkpoints):
                    f.readline()
                for line in f:
                    item = orjson.loads(line)
                    yield StoredRecord(int(item["index"]), base64.b64decode(item["record"]))
        except (OSError, EOFError, orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise InvalidInput(
                f"{self.path} has a malformed record line: {exc}", code="bad_bundle"
            ) from exc
