"""The log itself: its identity and size, entries, decoded records, checkpoints, and the next
sequence number a participant must sign with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import (
    Engine,
    func,
    inspect,
    select,
)
from sqlalchemy.exc import DBAPIError

from ledger.errors import NotFound
from ledger.queries.rows import DEFAULT_LIMIT, page
from ledger.storage import lookups, schema


@dataclass(frozen=True, slots=True)
class LedgerInfo:
    origin: str
    log_vkey: str
    size: int
    sealed_size: int


@dataclass(frozen=True, slots=True)
class EntryView:
    index: int
    op: str
    signer: str
    time_ms: int
    entry_hash: bytes
    record_hash: bytes


@dataclass(frozen=True, slots=True)
class EntryRecord:
    """A whole log record, decoded: the signed entry and where the log put it."""

    index: int
    time_ms: int
    prev: str
    op: str
    signer: str
    seq: int
    body: dict[str, Any]
    signatures: list[dict[str, str]]
    """Signer and key id of each signature (the signature bytes stay in ``record``)."""
    record: bytes
    """The canonical record bytes: the Merkle leaf."""


@dataclass(frozen=True, slots=True)
class CheckpointView:
    size: int
    root: bytes
    time_ms: int
    note: str


def ledger_info(engine: Engine) -> LedgerInfo:
    """The log's identity and size. Raises NotFound (``no_ledger``) if none was initialised."""
    try:
        with engine.connect() as conn:
            meta = dict(conn.execute(select(schema.meta.c.key, schema.meta.c.value)).all())
            size = conn.execute(select(func.max(schema.entries.c.idx))).scalar()
            sealed = conn.execute(select(func.max(schema.checkpoints.c.size))).scalar()
    except DBAPIError as exc:
        # Inspected only on failure: this runs for every proof the API serves.
        if not inspect(engine).has_table(schema.meta.name):
            raise NotFound(
                "no ledger has been initialised in this database", code="no_ledger"
            ) from exc
        raise
    if "origin" not in meta:
        raise NotFound("no ledger has been initialised in this database", code="no_ledger")
    return LedgerInfo(
        meta["origin"], meta["log_vkey"], 0 if size is None else size + 1, sealed or 0
    )


def next_seq(engine: Engine, participant: str) -> int:
    """The sequence number ``participant``'s next entry must carry: last used + 1."""
    n = schema.nonces
    with engine.connect() as conn:
        last = conn.execute(select(n.c.last_seq).where(n.c.participant == participant)).scalar()
    return 1 if last is None else last + 1


def entries(
    engine: Engine,
    *,
    start: int = 0,
    op: str | None = None,
    signer: str | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> list[EntryView]:
    """Log entries from index ``start`` on, oldest first."""
    e = schema.entries
    query = select(e.c.idx, e.c.op, e.c.signer, e.c.time_ms, e.c.entry_hash, e.c.record_hash)
    query = query.where(e.c.idx >= start)
    if op is not None:
        query = query.where(e.c.op == op)
    if signer is not None:
        query = query.where(e.c.idx.in_(lookups.signer_entry_ids(signer)))
    query = query.order_by(e.c.idx)
    with engine.connect() as conn:
        rows = conn.execute(page(query, limit, offset)).all()
    return [
        EntryView(r.idx, r.op, r.signer, r.time_ms, bytes(r.entry_hash), bytes(r.record_hash))
        for r in rows
    ]


def entry(engine: Engine, index: int) -> EntryRecord:
    """The record at ``index``, decoded."""
    e = schema.entries
    with engine.connect() as conn:
        raw = conn.execute(select(e.c.record).where(e.c.idx == index)).scalar()
    if raw is None:
        raise NotFound(f"no entry at index {index}", code="unknown_entry")
    record = orjson.loads(raw)
    payload = record["entry"]["payload"]
    sigs = [{"signer": s["signer"], "key": s["key"]} for s in record["entry"]["sigs"]]
    return EntryRecord(
        record["index"],
        record["time"],
        record["prev"],
        payload["op"],
        payload["signer"],
        payload["seq"],
        payload["body"],
        sigs,
        bytes(raw),
    )


def checkpoint(engine: Engine, size: int | None = None) -> CheckpointView:
    """The sealed checkpoint at ``size``, or the latest one."""
    c = schema.checkpoints
    query = select(c.c.size, c.c.root, c.c.time_ms, c.c.note)
    query = (
        query.order_by(c.c.size.desc()).limit(1) if size is None else query.where(c.c.size == size)
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        where = "yet" if size is None else f"at size {size}"
        raise NotFound(f"no checkpoint {where}", code="unknown_checkpoint")
    return CheckpointView(row.size, bytes(row.root), row.time_ms, bytes(row.note).decode())


def checkpoints(
    engine: Engine, *, limit: int = DEFAULT_LIMIT, offset: int = 0
) -> list[CheckpointView]:
    """Sealed checkpoints, newest first."""
    c = schema.checkpoints
    query = select(c.c.size, c.c.root, c.c.time_ms, c.c.note).order_by(c.c.size.desc())
    with engine.connect() as conn:
        rows = conn.execute(page(query, limit, offset)).all()
    return [CheckpointView(r.size, bytes(r.root), r.time_ms, bytes(r.note).decode()) for r in rows]
