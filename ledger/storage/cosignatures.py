"""Witness cosignatures of sealed checkpoints: verified, stored, and served with the note.

A witness (C2SP tlog-witness) returns cosignature lines for a checkpoint it has checked; whoever
receives them hands them to the log, which keeps each line that verifies, for that checkpoint,
under the key of a witness it was told to trust (C2SP tlog-cosignature, type 0x04). The note
served for a size is the log's signed note followed by the stored lines, oldest first.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from ledger.checkpoint import Checkpoint
from ledger.cosignature import CosignatureVerifier, verify_cosignature
from ledger.errors import MalformedNote, NotFound, RuleViolation
from ledger.note import MAX_SIGNATURES, Note, NoteSignature
from ledger.storage import schema


def _note(engine: Engine, size: int | None) -> tuple[int, bytes]:
    c = schema.checkpoints
    query = select(c.c.size, c.c.note)
    query = (
        query.order_by(c.c.size.desc()).limit(1) if size is None else query.where(c.c.size == size)
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        where = "yet" if size is None else f"at size {size}"
        raise NotFound(f"no checkpoint {where}", code="unknown_checkpoint")
    return int(row.size), bytes(row.note)


def cosigned_note(engine: Engine, size: int | None = None) -> bytes:
    """The signed checkpoint note at ``size`` (the latest if None) with its cosignatures."""
    size, note = _note(engine, size)
    w = schema.checkpoint_cosignatures
    room = max(0, MAX_SIGNATURES - len(Note.parse(note).signatures))
    with engine.connect() as conn:
        lines = conn.execute(
            select(w.c.line)
            .where(w.c.size == size)
            .order_by(w.c.timestamp, w.c.witness)
            .limit(room)
        ).scalars()
        return note + "".join(lines).encode()


def add_cosignatures(
    engine: Engine, size: int, text: str, witnesses: Sequence[CosignatureVerifier]
) -> int:
    """Store the cosignature lines in ``text`` for the checkpoint at ``size``; how many were new.

    Every line must be a signature line of a listed witness (``unknown_witness``) that verifies
    over that checkpoint (``bad_signature``); one bad line stores none of them. A line already
    stored for that witness and size is kept, not replaced.
    """
    signatures = _parse_lines(text)
    _, note = _note(engine, size)
    checkpoint = Checkpoint.from_text(Note.parse(note).text)
    by_key = {(w.name, w.key_hash): w for w in witnesses}
    rows: list[dict[str, object]] = []
    for sig in signatures:
        witness = by_key.get((sig.name, sig.key_hash))
        if witness is None:
            raise RuleViolation(
                f"{sig.key_label} is not a witness this log trusts", code="unknown_witness"
            )
        timestamp = verify_cosignature(checkpoint, sig, witness)
        rows.append(
            {
                "size": size,
                "witness": sig.name,
                "key_hash": sig.key_hash,
                "timestamp": timestamp,
                "line": sig.format(),
            }
        )
    try:
        return _insert_new(engine, size, rows)
    except IntegrityError:
        # The same witness's line arrived twice at once: the other request stored it.
        return _insert_new(engine, size, rows)


def _insert_new(engine: Engine, size: int, rows: list[dict[str, object]]) -> int:
    w = schema.checkpoint_cosignatures
    with engine.begin() as conn:
        have = {
            (r.witness, bytes(r.key_hash))
            for r in conn.execute(select(w.c.witness, w.c.key_hash).where(w.c.size == size))
        }
        new = {
            (r["witness"], r["key_hash"]): r
            for r in rows
            if (r["witness"], r["key_hash"]) not in have
        }
        if new:
            conn.execute(w.insert(), list(new.values()))
    return len(new)


def _parse_lines(text: str) -> list[NoteSignature]:
    if not text.strip():
        raise MalformedNote("no cosignature lines given")
    if not text.endswith("\n"):
        text += "\n"
    return [NoteSignature.parse(line + "\n") for line in text[:-1].split("\n")]
