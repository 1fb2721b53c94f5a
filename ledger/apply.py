"""Applying one entry to state: authenticate, check the body, run the operation's rules.

This is the single path by which anything changes, used alike by the sequencer when it accepts
an entry and by ``verify`` when it replays the log from genesis. A rejected entry raises a
``LedgerError`` with a stable code and leaves state exactly as it was.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from ledger.entry import Entry
from ledger.errors import InvalidInput, LedgerError, NotFound, RuleViolation, SignatureInvalid
from ledger.keys import key_id, verify_one
from ledger.ops import OPERATIONS, Context, Event, OpSpec
from ledger.state import State, Table


def apply_entry(
    state: State,
    entry: Entry,
    *,
    index: int,
    time_ms: int,
    origin: str,
    verified: bool = False,
) -> Event:
    """Apply ``entry`` at log position ``index``; on any error state is unchanged.

    ``verified`` says the caller already checked every signature's bytes (in a parallel batch);
    key ownership and revocation are checked here regardless.
    """
    savepoint = state.savepoint()
    try:
        spec = _operation(entry, index, origin)
        _authenticate(state, entry, index, verified)
        body = _parse_body(spec, entry)
        if entry.seq <= state.last_seq(entry.signer):
            raise RuleViolation(
                f"sequence {entry.seq} of {entry.signer!r} is not above the last used, "
                f"{state.last_seq(entry.signer)}",
                code="replayed_sequence",
            )
        ctx = Context(
            state=state,
            index=index,
            time_ms=time_ms,
            signer=entry.signer,
            signed_by=frozenset(s.signer for s in entry.signatures),
            origin=origin,
        )
        event = spec.apply(body, ctx)
        state.put(Table.NONCE, entry.signer, entry.seq)
        return event
    except LedgerError:
        state.rollback(savepoint)
        raise


def _operation(entry: Entry, index: int, origin: str) -> OpSpec:
    if entry.ledger != origin:
        raise RuleViolation(
            f"entry is for ledger {entry.ledger!r}, this is {origin!r}", code="wrong_ledger"
        )
    if (entry.op == "genesis") != (index == 0):
        raise RuleViolation("the first entry, and only it, is the genesis", code="invalid_genesis")
    spec = OPERATIONS.get(entry.op)
    if spec is None:
        raise InvalidInput(f"unknown operation {entry.op!r}", code="unknown_operation")
    return spec


def _parse_body(spec: OpSpec, entry: Entry) -> object:
    try:
        return spec.body.model_validate(entry.body)
    except ValidationError as exc:
        problems = [
            {"field": ".".join(str(p) for p in err["loc"]) or "body", "problem": err["msg"]}
            for err in exc.errors(include_url=False)
        ]
        first = problems[0]
        raise InvalidInput(
            f"{entry.op}: {first['field']}: {first['problem']}", errors=problems
        ) from exc


def _authenticate(state: State, entry: Entry, index: int, verified: bool) -> None:
    """Every signature names a live key of its signer and verifies over the payload."""
    for sig in entry.signatures:
        if index == 0:
            public = _genesis_key(entry)
            if key_id(public) != sig.key or sig.signer != entry.body.get("operator_id"):
                raise SignatureInvalid("the genesis is signed by the operator key it names")
        else:
            record = state.key(sig.key)
            if record is None:
                raise NotFound(f"key {sig.key} is not registered", code="unknown_key")
            if record.participant != sig.signer:
                raise SignatureInvalid(
                    f"key {sig.key} belongs to {record.participant!r}, not {sig.signer!r}"
                )
            if record.revoked_at is not None:
                raise RuleViolation(
                    f"key {sig.key} was revoked at entry {record.revoked_at}",
                    code="key_revoked",
                )
            public = record.public_key
        if not verified and not verify_one(public, sig.sig, entry.message):
            raise SignatureInvalid(
                f"signature of {sig.signer!r} with key {sig.key} does not verify"
            )


def _genesis_key(entry: Entry) -> bytes:
    encoded = entry.body.get("operator_key")
    try:
        public = base64.b64decode(str(encoded), validate=True)
    except binascii.Error as exc:
        raise InvalidInput("genesis operator_key is not base64") from exc
    if len(public) != 32:
        raise InvalidInput("genesis operator_key is not a 32-byte Ed25519 key")
    return public


def collect_signatures(
    state: State, entries: Sequence[Entry | LedgerError]
) -> tuple[list[tuple[bytes, bytes, bytes]], list[int], list[bool]]:
    """The signatures that can be checked before applying, with the entry each belongs to.

    Returns (items, owners, known): ``items`` are (public key, signature, message) triples,
    ``owners[i]`` the position of the entry ``items[i]`` belongs to, and ``known[p]`` True when
    every key of entry ``p`` is already registered. Entries whose keys are registered in the
    same batch are checked by ``apply_entry`` itself. A key id names its public key for good,
    so a check made here stays valid when the entry is applied.
    """
    items: list[tuple[bytes, bytes, bytes]] = []
    owners: list[int] = []
    known = [False] * len(entries)
    for position, entry in enumerate(entries):
        if isinstance(entry, LedgerError):
            continue
        found = []
        for sig in entry.signatures:
            record = state.key(sig.key)
            if record is None:
                break
            found.append((record.public_key, sig.sig, entry.message))
        else:
            items.extend(found)
            owners.extend([position] * len(found))
            known[position] = True
    return items, owners, known


def prefetch(state: State, entries: Sequence[Entry | LedgerError]) -> None:
    """Load what a group's operations will read (their ``reads`` hints) into the cache, one
    query per table and chunk instead of one per record. Changes nothing a rule decides: a
    record the hints miss is read when the rule asks for it."""
    wanted: dict[Table, dict[Any, None]] = {Table.NONCE: {}}
    for entry in entries:
        if isinstance(entry, LedgerError):
            continue
        wanted[Table.NONCE][entry.signer] = None  # every entry's sequence number is checked
        spec = OPERATIONS.get(entry.op)
        if spec is None or spec.reads is None:
            continue
        for table, key in spec.reads(entry.body):
            wanted.setdefault(table, {})[key] = None
    for table, keys in wanted.items():
        state.get_many(table, list(keys), cache=True)
