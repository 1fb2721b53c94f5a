"""Proving an entry end to end: from its record to the root a public chain holds.

``gather`` collects from a ledger database what the operator hands out for entry ``index``:
the record, the newest anchor receipt on the chosen chain, the checkpoint the receipt anchored
(its signed note with any witness cosignatures) and the entry's inclusion proof to it.
``prove_entry`` then checks all of it the way a regulator would, trusting nothing but the log's
checkpoint key, the witnesses' keys (if any) and the chain itself:

1. ``record``: the record is canonical, is entry ``index`` and belongs to this log;
2. ``checkpoint``: the note is signed by the log's key, for the receipt's size and root;
3. ``witnesses`` (when witness keys are given): at least k of the n witnesses cosigned it;
4. ``inclusion``: the RFC 9162 proof leads from the record's leaf hash to the signed root;
5. ``receipt``: the chain holds the receipt's transaction, successful, in the block and at the
   time the receipt says, and it emitted ``CheckpointAnchored`` for this log, size and root;
6. ``chain_root``: the contract's ``checkpointAt`` returns the signed root for that size;
7. ``chain_inclusion``: the contract's own ``verifyInclusion`` accepts the entry's proof.

Every step runs, whatever the others found, so a report names everything that is wrong; the
first failure usually says what was altered (a record: ``inclusion``; a proof: ``inclusion``; a
checkpoint: ``checkpoint``; a receipt: ``receipt``; the chain: ``receipt`` and ``chain_root``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine

from contracts.client import AnchorClient, log_id
from ledger import queries
from ledger.checkpoint import Checkpoint, open_checkpoint
from ledger.cosignature import CosignatureVerifier, require_cosignatures
from ledger.entry import parse_entry, parse_record
from ledger.errors import InvalidInput, LedgerError, NotFound, VerificationError
from ledger.merkle.hashing import leaf_hash
from ledger.merkle.verify import verify_inclusion
from ledger.note import Note, NoteVerifier
from ledger.queries.anchors import AnchorView, latest_anchor
from ledger.storage.cosignatures import cosigned_note

STEPS = (
    "record",
    "checkpoint",
    "witnesses",
    "inclusion",
    "receipt",
    "chain_root",
    "chain_inclusion",
)


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the ledger hands out to prove entry ``index`` under an anchored checkpoint."""

    origin: str
    index: int
    record: bytes
    proof: tuple[bytes, ...]
    note: bytes
    """The signed checkpoint note at ``receipt.size``, with witness cosignature lines."""
    receipt: AnchorView


@dataclass(frozen=True, slots=True)
class Trust:
    """The keys a verifier trusts: the log's, and optionally witnesses' with a quorum."""

    log_vkey: str
    witnesses: tuple[str, ...] = ()
    min_witnesses: int | None = None
    """Cosignatures required, 1 to len(witnesses); None: all of them."""

    def __post_init__(self) -> None:
        if self.min_witnesses is not None and not self.witnesses:
            raise InvalidInput("a witness quorum needs witness keys (--witness-vkey)")
        k = self.quorum
        if self.witnesses and not 1 <= k <= len(self.witnesses):
            raise InvalidInput(
                f"{k} witness cosignatures required, want 1 to {len(self.witnesses)}"
            )

    @property
    def quorum(self) -> int:
        return len(self.witnesses) if self.min_witnesses is None else self.min_witnesses


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True, slots=True)
class EndToEndReport:
    """Every step's verdict, in order."""

    index: int
    size: int
    steps: tuple[Step, ...]

    @property
    def ok(self) -> bool:
        return all(step.ok for step in self.steps)

    @property
    def failed(self) -> list[str]:
        return [step.name for step in self.steps if not step.ok]

    @property
    def first_failure(self) -> str | None:
        return next((step.name for step in self.steps if not step.ok), None)


def gather(engine: Engine, index: int, chain_id: int) -> Evidence:
    """The record of entry ``index``, the newest receipt anchored on ``chain_id``, its checkpoint
    note and the inclusion proof to it.

    Raises NotFound: ``unknown_entry``, ``unknown_anchor`` (nothing anchored on that chain) or
    ``not_anchored_yet`` (the entry came after the newest anchored checkpoint).
    """
    info = queries.ledger_info(engine)
    if not 0 <= index < info.size:
        raise NotFound(f"no entry at index {index} (the log has {info.size})", code="unknown_entry")
    receipt = latest_anchor(engine, chain_id=chain_id)
    if receipt is None:
        raise NotFound(
            f"no checkpoint of this ledger is anchored on chain {chain_id}", code="unknown_anchor"
        )
    if index >= receipt.size:
        raise NotFound(
            f"entry {index} came after the newest anchored checkpoint (size {receipt.size}): "
            "it is covered by the next anchor",
            code="not_anchored_yet",
        )
    proof = queries.inclusion_proof(engine, index, receipt.size)
    note = cosigned_note(engine, receipt.size)
    return Evidence(info.origin, index, proof.record, tuple(proof.proof), note, receipt)


def prove_entry(evidence: Evidence, chain: AnchorClient, trust: Trust) -> EndToEndReport:
    """Check ``evidence`` step by step against ``trust`` and the chain ``chain`` is connected to
    (the contract is the one the receipt names)."""
    claimed = _claimed_checkpoint(evidence)
    root = claimed.root if claimed is not None else evidence.receipt.root
    bound: AnchorClient | LedgerError
    try:
        bound = chain.at(evidence.receipt.contract)
    except LedgerError as exc:
        bound = exc
    checks: list[tuple[str, Callable[[], str]]] = [
        ("record", lambda: _record(evidence)),
        ("checkpoint", lambda: _checkpoint(evidence, trust)),
    ]
    if trust.witnesses:
        checks.append(("witnesses", lambda: _witnesses(evidence, trust)))
    checks += [
        ("inclusion", lambda: _inclusion(evidence, root)),
        ("receipt", lambda: _receipt(evidence, _chain(bound), root)),
        ("chain_root", lambda: _chain_root(evidence, _chain(bound), root)),
        ("chain_inclusion", lambda: _chain_inclusion(evidence, _chain(bound))),
    ]
    steps = []
    for name, check in checks:
        try:
            steps.append(Step(name, True, check()))
        except LedgerError as exc:
            steps.append(Step(name, False, exc.message))
    return EndToEndReport(evidence.index, evidence.receipt.size, tuple(steps))


# -- the steps: each returns what it established, or raises what is wrong -----------------------


def _record(evidence: Evidence) -> str:
    record = parse_record(evidence.record)
    if record.index != evidence.index:
        raise VerificationError(f"the record is entry {record.index}, want {evidence.index}")
    entry = parse_entry(record.entry_raw)
    if entry.ledger != evidence.origin:
        raise VerificationError(
            f"the entry is for ledger {entry.ledger!r}, not {evidence.origin!r}"
        )
    when = _when(record.time_ms // 1000)
    return f"entry {record.index}: {entry.op} signed by {entry.signer}, sequenced {when}"


def _checkpoint(evidence: Evidence, trust: Trust) -> str:
    verifier = NoteVerifier.from_vkey(trust.log_vkey)
    checkpoint = open_checkpoint(evidence.note, verifier, origin=evidence.origin)
    receipt = evidence.receipt
    if (checkpoint.size, checkpoint.root) != (receipt.size, receipt.root):
        raise VerificationError(
            f"the checkpoint is size {checkpoint.size} root {checkpoint.root.hex()}, the anchor "
            f"receipt size {receipt.size} root {receipt.root.hex()}"
        )
    return f"signed by {verifier.name} for size {checkpoint.size}, root {checkpoint.root.hex()}"


def _witnesses(evidence: Evidence, trust: Trust) -> str:
    verifiers = [CosignatureVerifier.from_vkey(vkey) for vkey in trust.witnesses]
    cosigned = require_cosignatures(evidence.note, verifiers, trust.quorum)
    names = ", ".join(f"{name} at {_when(stamp)}" for name, stamp in sorted(cosigned))
    return f"{len(cosigned)} of {len(verifiers)} witnesses cosigned (want {trust.quorum}): {names}"


def _inclusion(evidence: Evidence, root: bytes) -> str:
    leaf = leaf_hash(evidence.record)
    verify_inclusion(leaf, evidence.index, evidence.receipt.size, evidence.proof, root)
    return f"{len(evidence.proof)} hashes lead from leaf {leaf.hex()[:16]}... to the signed root"


def _receipt(evidence: Evidence, chain: AnchorClient, root: bytes) -> str:
    receipt = evidence.receipt
    if chain.chain_id != receipt.chain_id:
        raise VerificationError(
            f"connected to chain {chain.chain_id}, the receipt is on {receipt.chain_id}"
        )
    tx = chain.transaction(receipt.tx_hash)
    where = f"transaction {receipt.tx_hash.hex()}"
    if tx is None:
        raise VerificationError(f"the chain holds no {where}")
    if not tx.succeeded:
        raise VerificationError(f"{where} failed on chain")
    if (tx.block_number, tx.block_time) != (receipt.block_number, receipt.block_time):
        raise VerificationError(
            f"{where} is in block {tx.block_number} at {tx.block_time}, the receipt says block "
            f"{receipt.block_number} at {receipt.block_time}"
        )
    if (log_id(evidence.origin), receipt.size, root) not in tx.anchored:
        raise VerificationError(
            f"{where} did not anchor size {receipt.size} with the signed root for this log"
        )
    return (
        f"{where} in block {tx.block_number} ({_when(tx.block_time)}) on chain "
        f"{receipt.chain_id}, contract {receipt.contract}"
    )


def _chain_root(evidence: Evidence, chain: AnchorClient, root: bytes) -> str:
    size = evidence.receipt.size
    onchain = chain.checkpoint_at(evidence.origin, size)
    if onchain is None:
        raise VerificationError(f"the contract holds no checkpoint of size {size}")
    if onchain.root != root:
        raise VerificationError(
            f"the contract holds root {onchain.root.hex()} for size {size}, the log signed "
            f"{root.hex()}"
        )
    return f"the contract holds the signed root for size {size} since block {onchain.block_number}"


def _chain_inclusion(evidence: Evidence, chain: AnchorClient) -> str:
    leaf = leaf_hash(evidence.record)
    size = evidence.receipt.size
    if not chain.verify_inclusion_onchain(
        evidence.origin, size, evidence.index, leaf, evidence.proof
    ):
        raise VerificationError(
            f"the contract's verifyInclusion refuses entry {evidence.index} in tree {size}"
        )
    return f"the contract's verifyInclusion accepts entry {evidence.index} in tree {size}"


# -- helpers ---------------------------------------------------------------------------------


def _claimed_checkpoint(evidence: Evidence) -> Checkpoint | None:
    """The checkpoint the note claims, signature unchecked (the ``checkpoint`` step checks it)."""
    try:
        return Checkpoint.from_text(Note.parse(evidence.note).text)
    except LedgerError:
        return None


def _chain(bound: AnchorClient | LedgerError) -> AnchorClient:
    if isinstance(bound, LedgerError):
        raise bound
    return bound


def _when(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def witness_keys(values: Sequence[str]) -> tuple[str, ...]:
    """Witness verifier keys as given, checked to parse; InvalidInput names the bad one."""
    for value in values:
        try:
            CosignatureVerifier.from_vkey(value)
        except LedgerError as exc:
            raise InvalidInput(f"witness key {value!r}: {exc.message}") from exc
    return tuple(values)
