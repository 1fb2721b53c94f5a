"""Every table of a ledger database, and what each column holds.

The log tables (``entries``, ``merkle_nodes``, ``checkpoints``) are the source of truth; every
other table is state derived by applying the entries in order, written in the same transaction
as the entries that changed it. The supply invariant of a batch and the uniqueness of an
issuance's origin reference are declared here as constraints.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()


def _id(name: str, comment: str, **kw: object) -> Column[str]:
    return Column(name, String(128), comment=comment, **kw)  # type: ignore[arg-type]


meta = Table(
    "ledger_meta",
    metadata,
    Column("key", String(64), primary_key=True, comment="setting name"),
    Column("value", Text, nullable=False, comment="setting value"),
    comment="The log's identity: origin, checkpoint verifier key.",
)

entries = Table(
    "entries",
    metadata,
    Column("idx", BigInteger, primary_key=True, autoincrement=False, comment="log index, from 0"),
    Column("record", LargeBinary, nullable=False, comment="canonical record bytes (Merkle leaf)"),
    Column("record_hash", LargeBinary(32), nullable=False, comment="SHA-256 of record"),
    Column(
        "entry_hash",
        LargeBinary(32),
        nullable=False,
        unique=True,
        comment="SHA-256 of the signed entry inside the record (idempotency key)",
    ),
    Column("op", String(32), nullable=False, comment="operation name"),
    Column("signer", String(128), nullable=False, comment="participant that signed the payload"),
    Column("time_ms", BigInteger, nullable=False, comment="sequencing time, Unix ms"),
    comment="The append-only log: one row per accepted entry, hash-chained.",
)
Index("entries_signer", entries.c.signer, entries.c.idx)

merkle_nodes = Table(
    "merkle_nodes",
    metadata,
    Column(
        "level", Integer, primary_key=True, autoincrement=False, comment="height; 0 is a leaf hash"
    ),
    Column(
        "idx",
        BigInteger,
        primary_key=True,
        autoincrement=False,
        comment="node covers leaves [idx*2^level, (idx+1)*2^level)",
    ),
    Column("hash", LargeBinary(32), nullable=False, comment="RFC 9162 hash of that subtree"),
    comment="Hashes of every complete (perfect) subtree of the log's Merkle tree.",
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False, comment="tree size"),
    Column("root", LargeBinary(32), nullable=False, comment="Merkle root at that size"),
    Column("time_ms", BigInteger, nullable=False, comment="when it was sealed, Unix ms"),
    Column("note", LargeBinary, nullable=False, comment="the signed checkpoint note"),
    comment="Sealed checkpoints, C2SP tlog-checkpoint signed notes.",
)

participants = Table(
    "participants",
    metadata,
    _id("id", "participant id", primary_key=True),
    Column("name", String(500), nullable=False, comment="legal or display name"),
    Column("kind", String(32), nullable=False, comment="enterprise, government, platform..."),
    Column("roles", Text, nullable=False, comment="space-separated global roles"),
    Column("identifier", String(500), comment="external identifier, e.g. credit code"),
    Column("registered_at", BigInteger, nullable=False, comment="log index of registration"),
    comment="Registered participants.",
)

keys = Table(
    "keys",
    metadata,
    Column("key_id", String(16), primary_key=True, comment="hex SHA-256(public key)[:8]"),
    _id("participant", "owning participant", nullable=False),
    Column("public_key", LargeBinary(32), nullable=False, comment="raw Ed25519 public key"),
    Column("added_at", BigInteger, nullable=False, comment="log index when added"),
    Column("revoked_at", BigInteger, comment="log index when revoked, or null"),
    comment="Participants' signing keys, with revocation.",
)
Index("keys_participant", keys.c.participant)

nonces = Table(
    "nonces",
    metadata,
    _id("participant", "participant id", primary_key=True),
    Column("last_seq", BigInteger, nullable=False, comment="highest sequence number used"),
    comment="Replay protection: each participant's last entry sequence number.",
)

programs = Table(
    "programs",
    metadata,
    Column("code", String(16), primary_key=True, comment="program code, e.g. PHCER"),
    Column("name", String(500), nullable=False, comment="program name"),
    Column("region", String(8), nullable=False, comment="ISO 3166-2 region"),
    _id("administrator", "administering participant (the regulator)", nullable=False),
    Column("registered_at", BigInteger, nullable=False, comment="log index of registration"),
    Column("next_serial", BigInteger, nullable=False, comment="first unallocated serial"),
    Column("batch_count", Integer, nullable=False, comment="batches issued so far"),
    comment="Programs (credit types) and their serial allocation.",
)

program_roles = Table(
    "program_roles",
    metadata,
    Column("program", String(16), primary_key=True, comment="program code"),
    _id("participant", "participant id", primary_key=True),
    Column("roles", Text, nullable=False, comment="space-separated: issuer, verifier"),
    comment="Roles a program's administrator granted.",
)

methodologies = Table(
    "methodologies",
    metadata,
    _id("id", "code:version", primary_key=True),
    Column("program", String(16), nullable=False, comment="program code"),
    _id("code", "methodology code", nullable=False),
    Column("version", String(16), nullable=False, comment="methodology version"),
    Column("title", String(500), nullable=False, comment="title"),
    Column("scenario", String(500), nullable=False, comment="scenario, e.g. distributed_pv"),
    Column("region", String(8), nullable=False, comment="ISO 3166-2 region"),
    Column("status", String(16), nullable=False, comment="draft, active or withdrawn"),
    Column("parameters", Text, nullable=False, comment="JSON list of parameters with sources"),
    Column("registered_at", BigInteger, nullable=False, comment="log index"),
    comment="Methodologies filed under programs.",
)

projects = Table(
    "projects",
    metadata,
    _id("id", "project id", primary_key=True),
    Column("program", String(16), nullable=False, comment="program code"),
    _id("owner", "owning participant", nullable=False),
    _id("methodology", "methodology id", nullable=False),
    Column("title", String(500), nullable=False, comment="title"),
    Column("region", String(8), nullable=False, comment="ISO 3166-2 region"),
    Column("city", String(500), comment="city"),
    Column("location", String(500), comment="location"),
    Column("approval_ref", String(500), comment="approval reference"),
    Column("registered_at", BigInteger, nullable=False, comment="log index"),
    comment="Projects approved under a methodology.",
)

accounts = Table(
    "accounts",
    metadata,
    _id("id", "account id", primary_key=True),
    _id("holder", "holding participant; null for a personal account"),
    _id("custodian", "platform keeping a personal account"),
    Column("kind", String(16), nullable=False, comment="participant or personal"),
    Column("opened_at", BigInteger, nullable=False, comment="log index"),
    comment="Accounts that hold credits.",
)
Index("accounts_custodian", accounts.c.custodian)

batches = Table(
    "batches",
    metadata,
    _id("id", "batch id, PROGRAM-VINTAGEYEAR-NNNNNN", primary_key=True),
    Column("program", String(16), nullable=False, comment="program code"),
    _id("project", "project id", nullable=False),
    _id("methodology", "methodology id", nullable=False),
    Column("vintage_start", String(10), nullable=False, comment="monitoring period start"),
    Column("vintage_end", String(10), nullable=False, comment="monitoring period end"),
    Column("serial_start", BigInteger, nullable=False, comment="first serial (gram)"),
    Column("serial_end", BigInteger, nullable=False, comment="one past the last serial"),
    Column("origin_ref", String(500), comment="external origin reference"),
    _id("verifier", "verifying participant", nullable=False),
    Column("report_digest", String(64), nullable=False, comment="SHA-256 of the report"),
    Column("verified_on", String(10), nullable=False, comment="date of verification"),
    _id("issuer", "issuing participant", nullable=False),
    Column("issued_at", BigInteger, nullable=False, comment="log index of issuance"),
    Column("parameters", Text, nullable=False, comment="JSON calculation parameters"),
    Column("issued", BigInteger, nullable=False, comment="grams issued"),
    Column("held", BigInteger, nullable=False, comment="grams held in accounts"),
    Column("pledged", BigInteger, nullable=False, comment="grams pledged"),
    Column("retired", BigInteger, nullable=False, comment="grams retired"),
    Column("cancelled", BigInteger, nullable=False, comment="grams cancelled"),
    UniqueConstraint("program", "origin_ref", name="batches_origin_once"),
    CheckConstraint("issued = held + pledged + retired + cancelled", name="batches_supply"),
    CheckConstraint("serial_end - serial_start = issued", name="batches_serials"),
    CheckConstraint(
        "held >= 0 AND pledged >= 0 AND retired >= 0 AND cancelled >= 0",
        name="batches_non_negative",
    ),
    comment="Issued batches with their supply.",
)
Index("batches_project", batches.c.project)

holdings = Table(
    "holdings",
    metadata,
    _id("batch", "batch id", primary_key=True),
    Column(
        "serial_start",
        BigInteger,
        primary_key=True,
        autoincrement=False,
        comment="first serial of the range",
    ),
    Column("serial_end", BigInteger, nullable=False, comment="one past the last serial"),
    _id("account", "account the range belongs to", nullable=False),
    Column("status", String(16), nullable=False, comment="held, pledged, retired, cancelled"),
    Column("ref", String(64), comment="pledge, retirement or cancellation id"),
    CheckConstraint("serial_end > serial_start", name="holdings_non_empty"),
    comment="Where every serial range of every batch is.",
)
Index("holdings_account", holdings.c.account, holdings.c.batch, holdings.c.status)

retirements = Table(
    "retirements",
    metadata,
    Column("id", String(64), primary_key=True, comment="RET-<log index>"),
    Column("idx", BigInteger, nullable=False, comment="log index"),
    _id("account", "account retired from", nullable=False),
    _id("retired_by", "participant that signed", nullable=False),
    Column("lots", Text, nullable=False, comment="JSON batches and serial ranges"),
    Column("quantity", BigInteger, nullable=False, comment="grams retired"),
    Column("beneficiary_name", String(500), nullable=False, comment="on whose behalf"),
    Column("beneficiary_id", String(500), comment="beneficiary identifier"),
    Column("purpose", String(32), nullable=False, comment="why"),
    Column("event_ref", String(500), comment="event reference"),
    Column("claim_ref", String(500), comment="claim reference"),
    Column("jurisdiction", String(8), nullable=False, comment="ISO 3166-2"),
    Column("period_start", String(10), comment="consumption period start"),
    Column("period_end", String(10), comment="consumption period end"),
    Column("note", Text, comment="note"),
    Column("time_ms", BigInteger, nullable=False, comment="sequencing time"),
    Column("corrected_by", BigInteger, comment="log index of an amending correction"),
    comment="Retirements: public claims.",
)
Index("retirements_beneficiary", retirements.c.beneficiary_name)
Index("retirements_event", retirements.c.event_ref)

cancellations = Table(
    "cancellations",
    metadata,
    Column("id", String(64), primary_key=True, comment="CAN-<log index>"),
    Column("idx", BigInteger, nullable=False, comment="log index"),
    _id("account", "account cancelled from", nullable=False),
    _id("cancelled_by", "participant that signed", nullable=False),
    Column("lots", Text, nullable=False, comment="JSON batches and serial ranges"),
    Column("quantity", BigInteger, nullable=False, comment="grams cancelled"),
    Column("reason", String(32), nullable=False, comment="reason code"),
    _id("authority", "approving authority (ecological compensation)"),
    Column("case_number", String(500), comment="case number"),
    Column("damage_fen", BigInteger, comment="appraised damage in fen"),
    Column("decision_digest", String(64), comment="SHA-256 of the decision"),
    Column("destination", String(500), comment="registry exported to"),
    Column("note", Text, comment="note"),
    Column("time_ms", BigInteger, nullable=False, comment="sequencing time"),
    comment="Cancellations.",
)
Index("cancellations_case", cancellations.c.case_number)

pledges = Table(
    "pledges",
    metadata,
    Column("id", String(64), primary_key=True, comment="PLG-<log index>"),
    Column("idx", BigInteger, nullable=False, comment="log index"),
    _id("account", "pledging account", nullable=False),
    _id("bank", "pledgee bank", nullable=False),
    Column("lots", Text, nullable=False, comment="JSON batches and serial ranges"),
    Column("quantity", BigInteger, nullable=False, comment="grams pledged"),
    Column("contract_ref", String(500), comment="loan contract reference"),
    Column("status", String(16), nullable=False, comment="active, released, enforced"),
    Column("closed_at", BigInteger, comment="log index of release or enforcement"),
    comment="Pledges of credits as collateral.",
)

transfers = Table(
    "transfers",
    metadata,
    Column("idx", BigInteger, primary_key=True, autoincrement=False, comment="log index"),
    _id("from_account", "source account", nullable=False),
    _id("to_account", "destination account", nullable=False),
    Column("lots", Text, nullable=False, comment="JSON batches and serial ranges"),
    Column("quantity", BigInteger, nullable=False, comment="grams"),
    Column("price_fen_per_tonne", BigInteger, comment="price, fen per tonne"),
    Column("venue", String(32), comment="trading venue"),
    Column("settlement_ref", String(500), comment="settlement reference"),
    Column("time_ms", BigInteger, nullable=False, comment="sequencing time"),
    Column("corrected_by", BigInteger, comment="log index of a reversing correction"),
    comment="Transfers and trades, for trade announcements and account history.",
)
Index("transfers_from", transfers.c.from_account)
Index("transfers_to", transfers.c.to_account)

corrections = Table(
    "corrections",
    metadata,
    Column("idx", BigInteger, primary_key=True, autoincrement=False, comment="log index"),
    Column("corrects", BigInteger, nullable=False, comment="log index corrected"),
    Column("action", String(32), nullable=False, comment="what was done"),
    Column("reason", Text, nullable=False, comment="why"),
    Column("details", Text, nullable=False, comment="JSON details"),
    comment="Compensating corrections.",
)
