"""Read-only queries over a ledger database, shared by the command line and the HTTP API.

Every function takes a SQLAlchemy ``Engine``, reads through one short connection and returns
frozen dataclasses of plain values; ``as_json`` turns any result into JSON-ready data (hashes,
kept as ``bytes`` inside, become hex there). Amounts are integer grams CO2e and money integer fen
(0.01 CNY), never floats; ``format_tonnes`` and ``format_cny`` print them exactly. Lists come in
a stable order and are paged by ``limit`` (1 to ``MAX_LIMIT``) and ``offset`` (0 or more). A
missing record raises ``NotFound`` with a stable code.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Engine,
    Select,
    String,
    Text,
    and_,
    case,
    cast,
    func,
    inspect,
    literal,
    null,
    select,
    tuple_,
    union_all,
)

from ledger.checkpoint import open_checkpoint
from ledger.errors import InvalidInput, NotFound, VerificationError
from ledger.merkle import proofs
from ledger.merkle.compact import range_nodes
from ledger.merkle.hashing import EMPTY_ROOT, leaf_hash, node_hash
from ledger.merkle.proofs import NodeId
from ledger.merkle.verify import verify_consistency, verify_inclusion
from ledger.note import NoteVerifier
from ledger.storage import schema
from ledger.types import GRAMS_PER_TONNE

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100


# -- formatting ------------------------------------------------------------------------------
def format_tonnes(grams: int) -> str:
    """Exact tonnes text for a gram amount: 5_503_686_000 -> ``"5,503.686 t"``, 0 -> ``"0 t"``."""
    whole, frac = divmod(abs(grams), GRAMS_PER_TONNE)
    text = f"{'-' if grams < 0 else ''}{whole:,}"
    if frac:
        text += "." + f"{frac:06d}".rstrip("0")
    return text + " t"


def format_cny(fen: int) -> str:
    """Exact yuan text for an amount in fen: 7_034_400 -> ``"70,344.00 CNY"``."""
    yuan, cents = divmod(abs(fen), 100)
    return f"{'-' if fen < 0 else ''}{yuan:,}.{cents:02d} CNY"


def trade_value_fen(quantity: int, price_fen_per_tonne: int) -> int:
    """What ``quantity`` grams cost at a price per tonne, in fen, rounded half up."""
    return (quantity * price_fen_per_tonne + GRAMS_PER_TONNE // 2) // GRAMS_PER_TONNE


def as_json(value: Any) -> Any:
    """A query result as JSON-ready data: dataclasses to dicts, bytes to hex, tuples to lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: as_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list | tuple):
        return [as_json(v) for v in value]
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    return value


# -- result types ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class LedgerInfo:
    origin: str
    log_vkey: str
    size: int
    sealed_size: int


@dataclass(frozen=True, slots=True)
class KeyView:
    key_id: str
    public_key: str
    """Base64, as registered."""
    added_at: int
    revoked_at: int | None


@dataclass(frozen=True, slots=True)
class ParticipantView:
    id: str
    name: str
    kind: str
    roles: list[str]
    identifier: str | None
    registered_at: int
    keys: list[KeyView]


@dataclass(frozen=True, slots=True)
class ProgramView:
    code: str
    name: str
    region: str
    administrator: str
    registered_at: int
    batch_count: int
    next_serial: int
    roles: dict[str, list[str]]
    """Participant id -> roles the administrator granted (issuer, verifier)."""


@dataclass(frozen=True, slots=True)
class MethodologyView:
    id: str
    program: str
    code: str
    version: str
    title: str
    scenario: str
    region: str
    status: str
    parameters: list[dict[str, str]]
    registered_at: int


@dataclass(frozen=True, slots=True)
class ProjectView:
    id: str
    program: str
    owner: str
    methodology: str
    title: str
    region: str
    city: str | None
    location: str | None
    approval_ref: str | None
    registered_at: int


@dataclass(frozen=True, slots=True)
class AccountView:
    id: str
    holder: str | None
    custodian: str | None
    kind: str
    opened_at: int


@dataclass(frozen=True, slots=True)
class Supply:
    """Grams of a batch (or a sum of batches): issued = held + pledged + retired + cancelled."""

    issued: int = 0
    held: int = 0
    pledged: int = 0
    retired: int = 0
    cancelled: int = 0


@dataclass(frozen=True, slots=True)
class BatchView:
    id: str
    program: str
    project: str
    methodology: str
    vintage_start: str
    vintage_end: str
    serial_start: int
    serial_end: int
    origin_ref: str | None
    verifier: str
    report_digest: str
    verified_on: str
    issuer: str
    issued_at: int
    parameters: list[dict[str, str]]
    supply: Supply


@dataclass(frozen=True, slots=True)
class HoldingView:
    """One serial range ``[serial_start, serial_end)`` of a batch and its status."""

    batch: str
    serial_start: int
    serial_end: int
    quantity: int
    status: str
    ref: str | None


@dataclass(frozen=True, slots=True)
class Balance:
    """An account's grams of one batch, by status."""

    batch: str
    held: int
    pledged: int
    retired: int
    cancelled: int


@dataclass(frozen=True, slots=True)
class HistoryItem:
    """One entry that moved an account's credits.

    ``kind`` is one of issue_in, transfer_in, transfer_out, reversal_in, reversal_out, retire,
    cancel, pledge, pledge_release, pledge_enforce_out, pledge_enforce_in.
    """

    index: int
    time_ms: int
    kind: str
    quantity: int
    counterparty: str | None
    ref: str | None
    lots: list[dict[str, Any]]
    price_fen_per_tonne: int | None
    venue: str | None


@dataclass(frozen=True, slots=True)
class RetirementView:
    id: str
    index: int
    time_ms: int
    account: str
    retired_by: str
    quantity: int
    lots: list[dict[str, Any]]
    beneficiary_name: str
    beneficiary_id: str | None
    purpose: str
    event_ref: str | None
    claim_ref: str | None
    jurisdiction: str
    period_start: str | None
    period_end: str | None
    note: str | None
    corrected_by: int | None


@dataclass(frozen=True, slots=True)
class CancellationView:
    id: str
    index: int
    time_ms: int
    account: str
    cancelled_by: str
    quantity: int
    lots: list[dict[str, Any]]
    reason: str
    authority: str | None
    case_number: str | None
    damage_fen: int | None
    decision_digest: str | None
    destination: str | None
    note: str | None


@dataclass(frozen=True, slots=True)
class PledgeView:
    id: str
    index: int
    account: str
    bank: str
    quantity: int
    lots: list[dict[str, Any]]
    contract_ref: str | None
    status: str
    closed_at: int | None


@dataclass(frozen=True, slots=True)
class TradeView:
    """A priced transfer, as an exchange's trade announcement lists it."""

    index: int
    time_ms: int
    from_account: str
    to_account: str
    quantity: int
    lots: list[dict[str, Any]]
    price_fen_per_tonne: int
    value_fen: int
    """quantity x price, rounded half up to the fen."""
    venue: str | None
    settlement_ref: str | None
    corrected_by: int | None


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


@dataclass(frozen=True, slots=True)
class InclusionProof:
    """Everything a third party needs to check that entry ``index`` is in the tree of ``size``.

    ``checkpoint`` is the log's signed note for that size when one was sealed; otherwise
    ``root`` was computed from stored hashes and is vouched for by nobody.
    """

    origin: str
    index: int
    size: int
    record: bytes
    leaf_hash: bytes
    proof: list[bytes]
    root: bytes
    checkpoint: str | None

    def check(self, log_vkey: str) -> None:
        """Raise unless the record hashes to the leaf, the proof leads to the root and (when
        present) the checkpoint is signed by ``log_vkey`` for this origin, size and root."""
        if leaf_hash(self.record) != self.leaf_hash:
            raise VerificationError("the record does not hash to the leaf hash given")
        verify_inclusion(self.leaf_hash, self.index, self.size, self.proof, self.root)
        if self.checkpoint is not None:
            _check_checkpoint(self.checkpoint, log_vkey, self.origin, self.size, self.root)


@dataclass(frozen=True, slots=True)
class ConsistencyProof:
    """Proof that the tree of ``size2`` entries extends the tree of ``size1`` entries."""

    origin: str
    size1: int
    size2: int
    proof: list[bytes]
    root1: bytes
    root2: bytes
    checkpoint1: str | None
    checkpoint2: str | None

    def check(self, log_vkey: str) -> None:
        """Raise unless the proof links the roots and the present checkpoints are signed."""
        verify_consistency(self.size1, self.size2, self.proof, self.root1, self.root2)
        for note, size, root in (
            (self.checkpoint1, self.size1, self.root1),
            (self.checkpoint2, self.size2, self.root2),
        ):
            if note is not None:
                _check_checkpoint(note, log_vkey, self.origin, size, root)


# -- helpers ---------------------------------------------------------------------------------
def _page(query: Select[Any], limit: int, offset: int) -> Select[Any]:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit {limit} out of range, want 1 to {MAX_LIMIT}")
    if offset < 0:
        raise InvalidInput(f"offset {offset} is negative, want 0 or more")
    return query.limit(limit).offset(offset)


def _lots(text: str) -> list[dict[str, Any]]:
    value: list[dict[str, Any]] = orjson.loads(text)
    return value


def _one(conn: Connection, query: Select[Any], what: str, code: str) -> Any:
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"{what} does not exist", code=code)
    return row


def _check_checkpoint(note: str, log_vkey: str, origin: str, size: int, root: bytes) -> None:
    cp = open_checkpoint(note.encode(), NoteVerifier.from_vkey(log_vkey), origin=origin)
    if cp.size != size or cp.root != root:
        raise VerificationError(
            f"checkpoint says size {cp.size} root {cp.root.hex()}, want {size} {root.hex()}"
        )


# -- the log ---------------------------------------------------------------------------------
def ledger_info(engine: Engine) -> LedgerInfo:
    """The log's identity and size. Raises NotFound (``no_ledger``) if none was initialised."""
    if not inspect(engine).has_table(schema.meta.name):
        raise NotFound("no ledger has been initialised in this database", code="no_ledger")
    with engine.connect() as conn:
        meta = dict(conn.execute(select(schema.meta.c.key, schema.meta.c.value)).tuples().all())
        if "origin" not in meta:
            raise NotFound("no ledger has been initialised in this database", code="no_ledger")
        size = conn.execute(select(func.max(schema.entries.c.idx))).scalar()
        sealed = conn.execute(select(func.max(schema.checkpoints.c.size))).scalar()
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
    query = query.where(e.c.idx >= start).order_by(e.c.idx)
    if op is not None:
        query = query.where(e.c.op == op)
    if signer is not None:
        query = query.where(e.c.signer == signer)
    with engine.connect() as conn:
        rows = conn.execute(_page(query, limit, offset)).all()
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
        rows = conn.execute(_page(query, limit, offset)).all()
    return [CheckpointView(r.size, bytes(r.root), r.time_ms, bytes(r.note).decode()) for r in rows]


def _nodes(conn: Connection, ids: Sequence[NodeId]) -> list[bytes]:
    if not ids:
        return []
    n = schema.merkle_nodes
    rows = conn.execute(
        select(n.c.level, n.c.idx, n.c.hash).where(tuple_(n.c.level, n.c.idx).in_(ids))
    ).all()
    found = {(r.level, r.idx): bytes(r.hash) for r in rows}
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(f"Merkle nodes {missing[:3]} are not stored", code="missing_nodes")
    return [found[i] for i in ids]


def _root_and_note(conn: Connection, size: int) -> tuple[bytes, str | None]:
    """The root of the first ``size`` entries and the checkpoint sealed at that size, if any."""
    c = schema.checkpoints
    row = conn.execute(select(c.c.root, c.c.note).where(c.c.size == size)).first()
    if row is not None:
        return bytes(row.root), bytes(row.note).decode()
    if size == 0:
        return EMPTY_ROOT, None
    hashes = _nodes(conn, range_nodes(0, size))
    root = hashes[-1]
    for digest in reversed(hashes[:-1]):
        root = node_hash(digest, root)
    return root, None


def _tree_size(engine: Engine, size: int | None) -> tuple[LedgerInfo, int]:
    """The log's identity and ``size``, defaulting to the latest sealed checkpoint."""
    info = ledger_info(engine)
    size = info.sealed_size if size is None else size
    if not 0 <= size <= info.size:
        raise NotFound(f"tree size {size} is beyond the log's {info.size}", code="bad_size")
    return info, size


def inclusion_proof(engine: Engine, index: int, size: int | None = None) -> InclusionProof:
    """Proof that entry ``index`` is in the tree of ``size`` (default: the latest checkpoint).

    Requires 0 <= index < size <= the log's size.
    """
    info, size = _tree_size(engine, size)
    if not 0 <= index < size:
        raise NotFound(f"entry {index} is not in the tree of size {size}", code="bad_index")
    with engine.connect() as conn:
        record = bytes(
            conn.execute(
                select(schema.entries.c.record).where(schema.entries.c.idx == index)
            ).scalar_one()
        )
        path = proofs.inclusion_proof(index, size, lambda ids: _nodes(conn, ids))
        root, note = _root_and_note(conn, size)
    return InclusionProof(info.origin, index, size, record, leaf_hash(record), path, root, note)


def consistency_proof(engine: Engine, size1: int, size2: int | None = None) -> ConsistencyProof:
    """Proof that the tree of ``size2`` (default: latest checkpoint) extends that of ``size1``.

    Requires 0 < size1 <= size2 <= the log's size.
    """
    info, size2 = _tree_size(engine, size2)
    if not 0 < size1 <= size2:
        raise NotFound(f"tree sizes {size1} -> {size2}, want 0 < size1 <= size2", code="bad_size")
    with engine.connect() as conn:
        path = proofs.consistency_proof(size1, size2, lambda ids: _nodes(conn, ids))
        root1, note1 = _root_and_note(conn, size1)
        root2, note2 = _root_and_note(conn, size2)
    return ConsistencyProof(info.origin, size1, size2, path, root1, root2, note1, note2)


# -- registry --------------------------------------------------------------------------------
def _participant_views(conn: Connection, rows: Sequence[Any]) -> list[ParticipantView]:
    k = schema.keys
    ids = [r.id for r in rows]
    keys: dict[str, list[KeyView]] = {pid: [] for pid in ids}
    if ids:
        query = select(k).where(k.c.participant.in_(ids)).order_by(k.c.added_at, k.c.key_id)
        for key in conn.execute(query):
            keys[key.participant].append(
                KeyView(key.key_id, _b64(bytes(key.public_key)), key.added_at, key.revoked_at)
            )
    return [
        ParticipantView(
            r.id, r.name, r.kind, sorted(r.roles.split()), r.identifier, r.registered_at, keys[r.id]
        )
        for r in rows
    ]


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def participant(engine: Engine, pid: str) -> ParticipantView:
    p = schema.participants
    with engine.connect() as conn:
        row = _one(
            conn, select(p).where(p.c.id == pid), f"participant {pid!r}", "unknown_participant"
        )
        return _participant_views(conn, [row])[0]


def participants(
    engine: Engine,
    *,
    role: str | None = None,
    kind: str | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> list[ParticipantView]:
    """Participants in order of registration."""
    p = schema.participants
    query = select(p).order_by(p.c.registered_at, p.c.id)
    if kind is not None:
        query = query.where(p.c.kind == kind)
    if role is not None:
        # roles is a space-separated word list; pad it so a role matches only as a whole word.
        padded = literal(" ", Text) + p.c.roles + literal(" ", Text)
        query = query.where(padded.contains(f" {role} "))
    with engine.connect() as conn:
        return _participant_views(conn, conn.execute(_page(query, limit, offset)).all())


def _program_views(conn: Connection, rows: Sequence[Any]) -> list[ProgramView]:
    r = schema.program_roles
    roles: dict[str, dict[str, list[str]]] = {row.code: {} for row in rows}
    if roles:
        query = select(r).where(r.c.program.in_(list(roles))).order_by(r.c.participant)
        for grant in conn.execute(query):
            if grant.roles:
                roles[grant.program][grant.participant] = sorted(grant.roles.split())
    return [
        ProgramView(
            row.code,
            row.name,
            row.region,
            row.administrator,
            row.registered_at,
            row.batch_count,
            row.next_serial,
            roles[row.code],
        )
        for row in rows
    ]


def program(engine: Engine, code: str) -> ProgramView:
    p = schema.programs
    with engine.connect() as conn:
        row = _one(conn, select(p).where(p.c.code == code), f"program {code!r}", "unknown_program")
        return _program_views(conn, [row])[0]


def programs(engine: Engine, *, limit: int = DEFAULT_LIMIT, offset: int = 0) -> list[ProgramView]:
    p = schema.programs
    query = select(p).order_by(p.c.registered_at)
    with engine.connect() as conn:
        return _program_views(conn, conn.execute(_page(query, limit, offset)).all())


def _methodology(row: Any) -> MethodologyView:
    return MethodologyView(
        row.id,
        row.program,
        row.code,
        row.version,
        row.title,
        row.scenario,
        row.region,
        row.status,
        orjson.loads(row.parameters),
        row.registered_at,
    )


def methodology(engine: Engine, mid: str) -> MethodologyView:
    m = schema.methodologies
    with engine.connect() as conn:
        return _methodology(
            _one(
                conn, select(m).where(m.c.id == mid), f"methodology {mid!r}", "unknown_methodology"
            )
        )


def methodologies(
    engine: Engine,
    *,
    program: str | None = None,
    status: str | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> list[MethodologyView]:
    m = schema.methodologies
    query = select(m).order_by(m.c.registered_at)
    if program is not None:
        query = query.where(m.c.program == program)
    if status is not None:
        query = query.where(m.c.status == status)
    with engine.connect() as conn:
        return [_methodology(r) for r in conn.execute(_page(query, limit, offset))]


def _project(row: Any) -> ProjectView:
    return ProjectView(
        row.id,
        row.program,
        row.owner,
        row.methodology,
        row.title,
        row.region,
        row.city,
        row.location,
        row.approval_ref,
        row.registered_at,
    )


def project(engine: Engine, pid: str) -> ProjectView:
    p = schema.projects
    with engine.connect() as conn:
        return _project(
            _one(conn, select(p).where(p.c.id == pid), f"project {pid!r}", "unknown_project")
        )


def projects(
    engine: Engine,
    *,
    program: str | None = None,
    owner: str | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> list[ProjectView]:
    p = schema.projects
    query = select(p).order_by(p.c.registered_at)
    if program is not None:
        query = query.where(p.c.program == program)
    if owner is not None:
        query = query.where(p.c.owner == owner)
    with engine.connect() as conn:
        return [_project(r) for r in conn.execute(_page(query, limit, offset))]


def account(engine: Engine, aid: str) -> AccountView:
    a = schema.accounts
    with engine.connect() as conn:
        r = _one(conn, select(a).where(a.c.id == aid), f"account {aid!r}", "unknown_account")
    return AccountView(r.id, r.holder, r.custodian, r.kind, r.opened_at)


def accounts(
    engine: Engine, *, custodian: str | None = None, limit: int = DEFAULT_LIMIT, offset: int = 0
) -> list[AccountView]:
    a = schema.accounts
    query = select(a).order_by(a.c.opened_at, a.c.id)
    if custodian is not None:
        query = query.where(a.c.custodian == custodian)
    with engine.connect() as conn:
        rows = conn.execute(_page(query, limit, offset)).all()
    return [AccountView(r.id, r.holder, r.custodian, r.kind, r.opened_at) for r in rows]


# -- credits ---------------------------------------------------------------------------------
def _batch(row: Any) -> BatchView:
    return BatchView(
        row.id,
        row.program,
        row.project,
        row.methodology,
        row.vintage_start,
        row.vintage_end,
        row.serial_start,
        row.serial_end,
        row.origin_ref,
        row.verifier,
        row.report_digest,
        row.verified_on,
        row.issuer,
        row.issued_at,
        orjson.loads(row.parameters),
        Supply(row.issued, row.held, row.pledged, row.retired, row.cancelled),
    )


def batch(engine: Engine, bid: str) -> BatchView:
    b = schema.batches
    with engine.connect() as conn:
        return _batch(_one(conn, select(b).where(b.c.id == bid), f"batch {bid!r}", "unknown_batch"))


def _batch_filter(query: Select[Any], program: str | None, project: str | None) -> Select[Any]:
    b = schema.batches
    if program is not None:
        query = query.where(b.c.program == program)
    if project is not None:
        query = query.where(b.c.project == project)
    return query


def batches(
    engine: Engine,
    *,
    program: str | None = None,
    project: str | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> list[BatchView]:
    """Batches in order of issuance, each with its supply."""
    b = schema.batches
    query = _batch_filter(select(b).order_by(b.c.issued_at), program, project)
    with engine.connect() as conn:
        return [_batch(r) for r in conn.execute(_page(query, limit, offset))]


def supply(engine: Engine, *, program: str | None = None, project: str | None = None) -> Supply:
    """Supply summed over the batches of a program or project (or all batches)."""
    b = schema.batches
    cols = [
        func.coalesce(func.sum(c), 0)
        for c in (b.c.issued, b.c.held, b.c.pledged, b.c.retired, b.c.cancelled)
    ]
    with engine.connect() as conn:
        row = conn.execute(_batch_filter(select(*cols), program, project)).one()
    return Supply(*(int(v) for v in row))


def holdings(
    engine: Engine,
    account: str,
    *,
    status: str | None = None,
    batch: str | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> list[HoldingView]:
    """The serial ranges ``account`` holds, has pledged, retired or cancelled, by batch."""
    h = schema.holdings
    query = select(h).where(h.c.account == account).order_by(h.c.batch, h.c.serial_start)
    if status is not None:
        query = query.where(h.c.status == status)
    if batch is not None:
        query = query.where(h.c.batch == batch)
    with engine.connect() as conn:
        rows = conn.execute(_page(query, limit, offset)).all()
    return [
        HoldingView(
            r.batch, r.serial_start, r.serial_end, r.serial_end - r.serial_start, r.status, r.ref
        )
        for r in rows
    ]


def balances(
    engine: Engine, account: str, *, limit: int = DEFAULT_LIMIT, offset: int = 0
) -> list[Balance]:
    """``account``'s grams per batch and status."""
    h = schema.holdings
    size = h.c.serial_end - h.c.serial_start

    def total(status: str) -> ColumnElement[Any]:
        return func.coalesce(func.sum(case((h.c.status == status, size), else_=0)), 0)

    query = (
        select(h.c.batch, total("held"), total("pledged"), total("retired"), total("cancelled"))
        .where(h.c.account == account)
        .group_by(h.c.batch)
        .order_by(h.c.batch)
    )
    with engine.connect() as conn:
        rows = conn.execute(_page(query, limit, offset)).all()
    return [Balance(r[0], int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows]


def _history_query(aid: str) -> Select[Any]:
    """Every movement of ``aid``'s credits except issuance, as one union ordered by index."""
    t, r, c, p = schema.transfers, schema.retirements, schema.cancellations, schema.pledges
    no_text, no_int = cast(null(), String), cast(null(), BigInteger)

    def kind(name: str) -> ColumnElement[Any]:
        return literal(name, String).label("kind")

    parts = [
        select(
            t.c.idx,
            kind("transfer_out"),
            t.c.quantity,
            t.c.to_account,
            no_text,
            t.c.lots,
            t.c.price_fen_per_tonne,
            t.c.venue,
        ).where(t.c.from_account == aid),
        select(
            t.c.idx,
            kind("transfer_in"),
            t.c.quantity,
            t.c.from_account,
            no_text,
            t.c.lots,
            t.c.price_fen_per_tonne,
            t.c.venue,
        ).where(t.c.to_account == aid),
        select(
            t.c.corrected_by,
            kind("reversal_out"),
            t.c.quantity,
            t.c.from_account,
            no_text,
            t.c.lots,
            no_int,
            no_text,
        ).where(t.c.to_account == aid, t.c.corrected_by.is_not(None)),
        select(
            t.c.corrected_by,
            kind("reversal_in"),
            t.c.quantity,
            t.c.to_account,
            no_text,
            t.c.lots,
            no_int,
            no_text,
        ).where(t.c.from_account == aid, t.c.corrected_by.is_not(None)),
        select(
            r.c.idx, kind("retire"), r.c.quantity, no_text, r.c.id, r.c.lots, no_int, no_text
        ).where(r.c.account == aid),
        select(
            c.c.idx, kind("cancel"), c.c.quantity, c.c.authority, c.c.id, c.c.lots, no_int, no_text
        ).where(c.c.account == aid),
        select(
            p.c.idx, kind("pledge"), p.c.quantity, p.c.bank, p.c.id, p.c.lots, no_int, no_text
        ).where(p.c.account == aid),
        select(
            p.c.closed_at,
            case((p.c.status == "released", "pledge_release"), else_="pledge_enforce_out").label(
                "kind"
            ),
            p.c.quantity,
            p.c.bank,
            p.c.id,
            p.c.lots,
            no_int,
            no_text,
        ).where(p.c.account == aid, p.c.closed_at.is_not(None)),
        select(
            p.c.closed_at,
            kind("pledge_enforce_in"),
            p.c.quantity,
            p.c.account,
            p.c.id,
            p.c.lots,
            no_int,
            no_text,
        ).where(p.c.bank == aid, p.c.status == "enforced"),
    ]
    union = union_all(*parts).subquery()
    cols = union.c
    return select(*cols).order_by(cols[0], cols[1])


def _issued_to(conn: Connection, aid: str) -> list[tuple[Any, ...]]:
    """Issuances into ``aid``, in the union's row shape; the batch row does not name the
    receiving account, so it is read from each issue entry's body."""
    b, e = schema.batches, schema.entries
    query = (
        select(b.c.issued_at, b.c.id, b.c.issued, b.c.serial_start, b.c.serial_end, e.c.record)
        .join(e, e.c.idx == b.c.issued_at)
        .order_by(b.c.issued_at)
    )
    found = []
    for row in conn.execute(query):
        body = orjson.loads(row.record)["entry"]["payload"]["body"]
        if body.get("to_account") == aid:
            lots = orjson.dumps(
                [{"batch": row.id, "ranges": [[row.serial_start, row.serial_end]]}]
            ).decode()
            found.append((row.issued_at, "issue_in", row.issued, None, row.id, lots, None, None))
    return found


def history(
    engine: Engine, account: str, *, limit: int = DEFAULT_LIMIT, offset: int = 0
) -> list[HistoryItem]:
    """Everything that moved ``account``'s credits, oldest first, with log indexes."""
    _page(select(literal(1)), limit, offset)  # validate before reading
    with engine.connect() as conn:
        # The first offset + limit items of the merged order come from at most that many of each.
        rows = list(conn.execute(_history_query(account).limit(offset + limit)).tuples())
        rows += _issued_to(conn, account)
        rows.sort(key=lambda r: (r[0], r[1]))
        rows = rows[offset : offset + limit]
        e = schema.entries
        times = (
            dict(
                conn.execute(select(e.c.idx, e.c.time_ms).where(e.c.idx.in_({r[0] for r in rows})))
                .tuples()
                .all()
            )
            if rows
            else {}
        )
    return [
        HistoryItem(r[0], times[r[0]], r[1], r[2], r[3], r[4], _lots(r[5]), r[6], r[7])
        for r in rows
    ]


# -- uses and pledges ------------------------------------------------------------------------
def _retirement(r: Any) -> RetirementView:
    return RetirementView(
        r.id,
        r.idx,
        r.time_ms,
        r.account,
        r.retired_by,
        r.quantity,
        _lots(r.lots),
        r.beneficiary_name,
        r.beneficiary_id,
        r.purpose,
        r.event_ref,
        r.claim_ref,
        r.jurisdiction,
        r.period_start,
        r.period_end,
        r.note,
        r.corrected_by,
    )


def retirement(engine: Engine, rid: str) -> RetirementView:
    r = schema.retirements
    with engine.connect() as conn:
        return _retirement(
            _one(conn, select(r).where(r.c.id == rid), f"retirement {rid!r}", "unknown_retirement")
        )


def retirements(
    engine: Engine,
    *,
    beneficiary: str | None = None,
    event_ref: str | None = None,
    account: str | None = None,
    purpose: str | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> list[RetirementView]:
    """Retirements oldest first; ``beneficiary`` matches the name or the identifier exactly."""
    r = schema.retirements
    query = select(r).order_by(r.c.idx)
    if beneficiary is not None:
        query = query.where(
            (r.c.beneficiary_name == beneficiary) | (r.c.beneficiary_id == beneficiary)
        )
    if event_ref is not None:
        query = query.where(r.c.event_ref == event_ref)
    if account is not None:
        query = query.where(r.c.account == account)
    if purpose is not None:
        query = query.where(r.c.purpose == purpose)
    with engine.connect() as conn:
        return [_retirement(x) for x in conn.execute(_page(query, limit, offset))]


def _cancellation(c: Any) -> CancellationView:
    return CancellationView(
        c.id,
        c.idx,
        c.time_ms,
        c.account,
        c.cancelled_by,
        c.quantity,
        _lots(c.lots),
        c.reason,
        c.authority,
        c.case_number,
        c.damage_fen,
        c.decision_digest,
        c.destination,
        c.note,
    )


def cancellation(engine: Engine, cid: str) -> CancellationView:
    c = schema.cancellations
    with engine.connect() as conn:
        return _cancellation(
            _one(
                conn,
                select(c).where(c.c.id == cid),
                f"cancellation {cid!r}",
                "unknown_cancellation",
            )
        )


def cancellations(
    engine: Engine,
    *,
    case_number: str | None = None,
    reason: str | None = None,
    account: str | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> list[CancellationView]:
    """Cancellations oldest first."""
    c = schema.cancellations
    query = select(c).order_by(c.c.idx)
    if case_number is not None:
        query = query.where(c.c.case_number == case_number)
    if reason is not None:
        query = query.where(c.c.reason == reason)
    if account is not None:
        query = query.where(c.c.account == account)
    with engine.connect() as conn:
        return [_cancellation(x) for x in conn.execute(_page(query, limit, offset))]


def _pledge(p: Any) -> PledgeView:
    return PledgeView(
        p.id,
        p.idx,
        p.account,
        p.bank,
        p.quantity,
        _lots(p.lots),
        p.contract_ref,
        p.status,
        p.closed_at,
    )


def pledge(engine: Engine, pid: str) -> PledgeView:
    p = schema.pledges
    with engine.connect() as conn:
        return _pledge(
            _one(conn, select(p).where(p.c.id == pid), f"pledge {pid!r}", "unknown_pledge")
        )


def pledges(
    engine: Engine,
    *,
    account: str | None = None,
    bank: str | None = None,
    status: str | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> list[PledgeView]:
    """Pledges oldest first."""
    p = schema.pledges
    query = select(p).order_by(p.c.idx)
    for column, value in ((p.c.account, account), (p.c.bank, bank), (p.c.status, status)):
        if value is not None:
            query = query.where(column == value)
    with engine.connect() as conn:
        return [_pledge(x) for x in conn.execute(_page(query, limit, offset))]


def trades(
    engine: Engine,
    *,
    since_ms: int | None = None,
    until_ms: int | None = None,
    venue: str | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> list[TradeView]:
    """Priced transfers sequenced in ``[since_ms, until_ms)``, oldest first."""
    t = schema.transfers
    query = select(t).where(t.c.price_fen_per_tonne.is_not(None)).order_by(t.c.idx)
    conditions = []
    if since_ms is not None:
        conditions.append(t.c.time_ms >= since_ms)
    if until_ms is not None:
        conditions.append(t.c.time_ms < until_ms)
    if venue is not None:
        conditions.append(t.c.venue == venue)
    if conditions:
        query = query.where(and_(*conditions))
    with engine.connect() as conn:
        rows = conn.execute(_page(query, limit, offset)).all()
    return [
        TradeView(
            r.idx,
            r.time_ms,
            r.from_account,
            r.to_account,
            r.quantity,
            _lots(r.lots),
            r.price_fen_per_tonne,
            trade_value_fen(r.quantity, r.price_fen_per_tonne),
            r.venue,
            r.settlement_ref,
            r.corrected_by,
        )
        for r in rows
    ]
