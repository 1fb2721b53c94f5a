"""The initial schema: the log, its Merkle nodes and checkpoints, and the state derived from it.

Written out table by table (not ``metadata.create_all``) so that this revision stays what it is
when ``ledger/storage/schema.py`` moves on. Constraint names are PostgreSQL's defaults
(``<table>_pkey``, ``<table>_<column>_key``) spelled out, so that SQLite and PostgreSQL databases
carry the same names for later migrations to refer to. Among them: ``entries_entry_hash_key``
(an entry is accepted once), ``batches_origin_once`` (no double issuance of one origin
reference) and ``batches_supply`` (the supply invariant of a batch).

Revision ID: 0001
Revises:
Create Date: 2025-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every table, in creation order; downgrade drops them in reverse.
TABLES = (
    "ledger_meta",
    "entries",
    "merkle_nodes",
    "checkpoints",
    "participants",
    "keys",
    "nonces",
    "programs",
    "program_roles",
    "methodologies",
    "projects",
    "accounts",
    "batches",
    "holdings",
    "retirements",
    "cancellations",
    "pledges",
    "transfers",
    "corrections",
)


def upgrade() -> None:
    """Create every table of the ledger, with its keys, indexes, constraints and comments."""
    _log()
    _registry()
    _credits()
    _records()


def downgrade() -> None:
    """Drop every table (their indexes and constraints go with them)."""
    for table in reversed(TABLES):
        op.drop_table(table)


def _log() -> None:
    """The log itself: identity, entries, Merkle subtree hashes, sealed checkpoints."""
    op.create_table(
        "ledger_meta",
        sa.Column("key", sa.String(64), nullable=False, comment="setting name"),
        sa.Column("value", sa.Text(), nullable=False, comment="setting value"),
        sa.PrimaryKeyConstraint("key", name="ledger_meta_pkey"),
        comment="The log's identity: origin, checkpoint verifier key.",
    )
    op.create_table(
        "entries",
        sa.Column(
            "idx", sa.BigInteger(), autoincrement=False, nullable=False, comment="log index, from 0"
        ),
        sa.Column(
            "record",
            sa.LargeBinary(),
            nullable=False,
            comment="canonical record bytes (Merkle leaf)",
        ),
        sa.Column("record_hash", sa.LargeBinary(32), nullable=False, comment="SHA-256 of record"),
        sa.Column(
            "entry_hash",
            sa.LargeBinary(32),
            nullable=False,
            comment="SHA-256 of the signed entry inside the record (idempotency key)",
        ),
        sa.Column("op", sa.String(32), nullable=False, comment="operation name"),
        sa.Column(
            "signer",
            sa.String(128),
            nullable=False,
            comment="participant that signed the payload",
        ),
        sa.Column("time_ms", sa.BigInteger(), nullable=False, comment="sequencing time, Unix ms"),
        sa.PrimaryKeyConstraint("idx", name="entries_pkey"),
        sa.UniqueConstraint("entry_hash", name="entries_entry_hash_key"),
        comment="The append-only log: one row per accepted entry, hash-chained.",
    )
    op.create_index("entries_signer", "entries", ["signer", "idx"])
    op.create_table(
        "merkle_nodes",
        sa.Column(
            "level",
            sa.Integer(),
            autoincrement=False,
            nullable=False,
            comment="height; 0 is a leaf hash",
        ),
        sa.Column(
            "idx",
            sa.BigInteger(),
            autoincrement=False,
            nullable=False,
            comment="node covers leaves [idx*2^level, (idx+1)*2^level)",
        ),
        sa.Column(
            "hash", sa.LargeBinary(32), nullable=False, comment="RFC 9162 hash of that subtree"
        ),
        sa.PrimaryKeyConstraint("level", "idx", name="merkle_nodes_pkey"),
        comment="Hashes of every complete (perfect) subtree of the log's Merkle tree.",
    )
    op.create_table(
        "checkpoints",
        sa.Column(
            "size", sa.BigInteger(), autoincrement=False, nullable=False, comment="tree size"
        ),
        sa.Column("root", sa.LargeBinary(32), nullable=False, comment="Merkle root at that size"),
        sa.Column(
            "time_ms", sa.BigInteger(), nullable=False, comment="when it was sealed, Unix ms"
        ),
        sa.Column("note", sa.LargeBinary(), nullable=False, comment="the signed checkpoint note"),
        sa.PrimaryKeyConstraint("size", name="checkpoints_pkey"),
        comment="Sealed checkpoints, C2SP tlog-checkpoint signed notes.",
    )


def _registry() -> None:
    """Who takes part and under which rules: participants, keys, programs, methodologies."""
    op.create_table(
        "participants",
        sa.Column("id", sa.String(128), nullable=False, comment="participant id"),
        sa.Column("name", sa.String(500), nullable=False, comment="legal or display name"),
        sa.Column(
            "kind",
            sa.String(32),
            nullable=False,
            comment="enterprise, government, platform...",
        ),
        sa.Column("roles", sa.Text(), nullable=False, comment="space-separated global roles"),
        sa.Column(
            "identifier",
            sa.String(500),
            nullable=True,
            comment="external identifier, e.g. credit code",
        ),
        sa.Column(
            "registered_at",
            sa.BigInteger(),
            nullable=False,
            comment="log index of registration",
        ),
        sa.PrimaryKeyConstraint("id", name="participants_pkey"),
        comment="Registered participants.",
    )
    op.create_table(
        "keys",
        sa.Column("key_id", sa.String(16), nullable=False, comment="hex SHA-256(public key)[:8]"),
        sa.Column("participant", sa.String(128), nullable=False, comment="owning participant"),
        sa.Column(
            "public_key", sa.LargeBinary(32), nullable=False, comment="raw Ed25519 public key"
        ),
        sa.Column("added_at", sa.BigInteger(), nullable=False, comment="log index when added"),
        sa.Column(
            "revoked_at",
            sa.BigInteger(),
            nullable=True,
            comment="log index when revoked, or null",
        ),
        sa.PrimaryKeyConstraint("key_id", name="keys_pkey"),
        comment="Participants' signing keys, with revocation.",
    )
    op.create_index("keys_participant", "keys", ["participant"])
    op.create_table(
        "nonces",
        sa.Column("participant", sa.String(128), nullable=False, comment="participant id"),
        sa.Column(
            "last_seq", sa.BigInteger(), nullable=False, comment="highest sequence number used"
        ),
        sa.PrimaryKeyConstraint("participant", name="nonces_pkey"),
        comment="Replay protection: each participant's last entry sequence number.",
    )
    op.create_table(
        "programs",
        sa.Column("code", sa.String(16), nullable=False, comment="program code, e.g. PHCER"),
        sa.Column("name", sa.String(500), nullable=False, comment="program name"),
        sa.Column("region", sa.String(8), nullable=False, comment="ISO 3166-2 region"),
        sa.Column(
            "administrator",
            sa.String(128),
            nullable=False,
            comment="administering participant (the regulator)",
        ),
        sa.Column(
            "registered_at",
            sa.BigInteger(),
            nullable=False,
            comment="log index of registration",
        ),
        sa.Column(
            "next_serial", sa.BigInteger(), nullable=False, comment="first unallocated serial"
        ),
        sa.Column("batch_count", sa.Integer(), nullable=False, comment="batches issued so far"),
        sa.PrimaryKeyConstraint("code", name="programs_pkey"),
        comment="Programs (credit types) and their serial allocation.",
    )
    op.create_table(
        "program_roles",
        sa.Column("program", sa.String(16), nullable=False, comment="program code"),
        sa.Column("participant", sa.String(128), nullable=False, comment="participant id"),
        sa.Column("roles", sa.Text(), nullable=False, comment="space-separated: issuer, verifier"),
        sa.PrimaryKeyConstraint("program", "participant", name="program_roles_pkey"),
        comment="Roles a program's administrator granted.",
    )
    op.create_table(
        "methodologies",
        sa.Column("id", sa.String(128), nullable=False, comment="code:version"),
        sa.Column("program", sa.String(16), nullable=False, comment="program code"),
        sa.Column("code", sa.String(128), nullable=False, comment="methodology code"),
        sa.Column("version", sa.String(16), nullable=False, comment="methodology version"),
        sa.Column("title", sa.String(500), nullable=False, comment="title"),
        sa.Column(
            "scenario",
            sa.String(500),
            nullable=False,
            comment="scenario, e.g. distributed_pv",
        ),
        sa.Column("region", sa.String(8), nullable=False, comment="ISO 3166-2 region"),
        sa.Column("status", sa.String(16), nullable=False, comment="draft, active or withdrawn"),
        sa.Column(
            "parameters",
            sa.Text(),
            nullable=False,
            comment="JSON list of parameters with sources",
        ),
        sa.Column("registered_at", sa.BigInteger(), nullable=False, comment="log index"),
        sa.PrimaryKeyConstraint("id", name="methodologies_pkey"),
        comment="Methodologies filed under programs.",
    )
    op.create_table(
        "projects",
        sa.Column("id", sa.String(128), nullable=False, comment="project id"),
        sa.Column("program", sa.String(16), nullable=False, comment="program code"),
        sa.Column("owner", sa.String(128), nullable=False, comment="owning participant"),
        sa.Column("methodology", sa.String(128), nullable=False, comment="methodology id"),
        sa.Column("title", sa.String(500), nullable=False, comment="title"),
        sa.Column("region", sa.String(8), nullable=False, comment="ISO 3166-2 region"),
        sa.Column("city", sa.String(500), nullable=True, comment="city"),
        sa.Column("location", sa.String(500), nullable=True, comment="location"),
        sa.Column("approval_ref", sa.String(500), nullable=True, comment="approval reference"),
        sa.Column("registered_at", sa.BigInteger(), nullable=False, comment="log index"),
        sa.PrimaryKeyConstraint("id", name="projects_pkey"),
        comment="Projects approved under a methodology.",
    )


def _credits() -> None:
    """Accounts, batches with their supply invariant, and where every serial range is."""
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(128), nullable=False, comment="account id"),
        sa.Column(
            "holder",
            sa.String(128),
            nullable=True,
            comment="holding participant; null for a personal account",
        ),
        sa.Column(
            "custodian",
            sa.String(128),
            nullable=True,
            comment="platform keeping a personal account",
        ),
        sa.Column("kind", sa.String(16), nullable=False, comment="participant or personal"),
        sa.Column("opened_at", sa.BigInteger(), nullable=False, comment="log index"),
        sa.PrimaryKeyConstraint("id", name="accounts_pkey"),
        comment="Accounts that hold credits.",
    )
    op.create_index("accounts_custodian", "accounts", ["custodian"])
    op.create_table(
        "batches",
        sa.Column(
            "id",
            sa.String(128),
            nullable=False,
            comment="batch id, PROGRAM-VINTAGEYEAR-NNNNNN",
        ),
        sa.Column("program", sa.String(16), nullable=False, comment="program code"),
        sa.Column("project", sa.String(128), nullable=False, comment="project id"),
        sa.Column("methodology", sa.String(128), nullable=False, comment="methodology id"),
        sa.Column(
            "vintage_start", sa.String(10), nullable=False, comment="monitoring period start"
        ),
        sa.Column("vintage_end", sa.String(10), nullable=False, comment="monitoring period end"),
        sa.Column("serial_start", sa.BigInteger(), nullable=False, comment="first serial (gram)"),
        sa.Column(
            "serial_end", sa.BigInteger(), nullable=False, comment="one past the last serial"
        ),
        sa.Column("origin_ref", sa.String(500), nullable=True, comment="external origin reference"),
        sa.Column("verifier", sa.String(128), nullable=False, comment="verifying participant"),
        sa.Column("report_digest", sa.String(64), nullable=False, comment="SHA-256 of the report"),
        sa.Column("verified_on", sa.String(10), nullable=False, comment="date of verification"),
        sa.Column("issuer", sa.String(128), nullable=False, comment="issuing participant"),
        sa.Column("issued_at", sa.BigInteger(), nullable=False, comment="log index of issuance"),
        sa.Column("parameters", sa.Text(), nullable=False, comment="JSON calculation parameters"),
        sa.Column("issued", sa.BigInteger(), nullable=False, comment="grams issued"),
        sa.Column("held", sa.BigInteger(), nullable=False, comment="grams held in accounts"),
        sa.Column("pledged", sa.BigInteger(), nullable=False, comment="grams pledged"),
        sa.Column("retired", sa.BigInteger(), nullable=False, comment="grams retired"),
        sa.Column("cancelled", sa.BigInteger(), nullable=False, comment="grams cancelled"),
        sa.PrimaryKeyConstraint("id", name="batches_pkey"),
        sa.UniqueConstraint("program", "origin_ref", name="batches_origin_once"),
        sa.CheckConstraint("issued = held + pledged + retired + cancelled", name="batches_supply"),
        sa.CheckConstraint("serial_end - serial_start = issued", name="batches_serials"),
        sa.CheckConstraint(
            "held >= 0 AND pledged >= 0 AND retired >= 0 AND cancelled >= 0",
            name="batches_non_negative",
        ),
        comment="Issued batches with their supply.",
    )
    op.create_index("batches_project", "batches", ["project"])
    op.create_table(
        "holdings",
        sa.Column("batch", sa.String(128), nullable=False, comment="batch id"),
        sa.Column(
            "serial_start",
            sa.BigInteger(),
            autoincrement=False,
            nullable=False,
            comment="first serial of the range",
        ),
        sa.Column(
            "serial_end", sa.BigInteger(), nullable=False, comment="one past the last serial"
        ),
        sa.Column(
            "account", sa.String(128), nullable=False, comment="account the range belongs to"
        ),
        sa.Column(
            "status", sa.String(16), nullable=False, comment="held, pledged, retired, cancelled"
        ),
        sa.Column(
            "ref",
            sa.String(64),
            nullable=True,
            comment="pledge, retirement or cancellation id",
        ),
        sa.PrimaryKeyConstraint("batch", "serial_start", name="holdings_pkey"),
        sa.CheckConstraint("serial_end > serial_start", name="holdings_non_empty"),
        comment="Where every serial range of every batch is.",
    )
    op.create_index("holdings_account", "holdings", ["account", "batch", "status"])


def _records() -> None:
    """What happened to credits: retirements, cancellations, pledges, transfers, corrections."""
    op.create_table(
        "retirements",
        sa.Column("id", sa.String(64), nullable=False, comment="RET-<log index>"),
        sa.Column("idx", sa.BigInteger(), nullable=False, comment="log index"),
        sa.Column("account", sa.String(128), nullable=False, comment="account retired from"),
        sa.Column("retired_by", sa.String(128), nullable=False, comment="participant that signed"),
        sa.Column("lots", sa.Text(), nullable=False, comment="JSON batches and serial ranges"),
        sa.Column("quantity", sa.BigInteger(), nullable=False, comment="grams retired"),
        sa.Column("beneficiary_name", sa.String(500), nullable=False, comment="on whose behalf"),
        sa.Column(
            "beneficiary_id", sa.String(500), nullable=True, comment="beneficiary identifier"
        ),
        sa.Column("purpose", sa.String(32), nullable=False, comment="why"),
        sa.Column("event_ref", sa.String(500), nullable=True, comment="event reference"),
        sa.Column("claim_ref", sa.String(500), nullable=True, comment="claim reference"),
        sa.Column("jurisdiction", sa.String(8), nullable=False, comment="ISO 3166-2"),
        sa.Column("period_start", sa.String(10), nullable=True, comment="consumption period start"),
        sa.Column("period_end", sa.String(10), nullable=True, comment="consumption period end"),
        sa.Column("note", sa.Text(), nullable=True, comment="note"),
        sa.Column("time_ms", sa.BigInteger(), nullable=False, comment="sequencing time"),
        sa.Column(
            "corrected_by",
            sa.BigInteger(),
            nullable=True,
            comment="log index of an amending correction",
        ),
        sa.PrimaryKeyConstraint("id", name="retirements_pkey"),
        comment="Retirements: public claims.",
    )
    op.create_index("retirements_beneficiary", "retirements", ["beneficiary_name"])
    op.create_index("retirements_event", "retirements", ["event_ref"])
    op.create_table(
        "cancellations",
        sa.Column("id", sa.String(64), nullable=False, comment="CAN-<log index>"),
        sa.Column("idx", sa.BigInteger(), nullable=False, comment="log index"),
        sa.Column("account", sa.String(128), nullable=False, comment="account cancelled from"),
        sa.Column(
            "cancelled_by", sa.String(128), nullable=False, comment="participant that signed"
        ),
        sa.Column("lots", sa.Text(), nullable=False, comment="JSON batches and serial ranges"),
        sa.Column("quantity", sa.BigInteger(), nullable=False, comment="grams cancelled"),
        sa.Column("reason", sa.String(32), nullable=False, comment="reason code"),
        sa.Column(
            "authority",
            sa.String(128),
            nullable=True,
            comment="approving authority (ecological compensation)",
        ),
        sa.Column("case_number", sa.String(500), nullable=True, comment="case number"),
        sa.Column("damage_fen", sa.BigInteger(), nullable=True, comment="appraised damage in fen"),
        sa.Column(
            "decision_digest", sa.String(64), nullable=True, comment="SHA-256 of the decision"
        ),
        sa.Column("destination", sa.String(500), nullable=True, comment="registry exported to"),
        sa.Column("note", sa.Text(), nullable=True, comment="note"),
        sa.Column("time_ms", sa.BigInteger(), nullable=False, comment="sequencing time"),
        sa.PrimaryKeyConstraint("id", name="cancellations_pkey"),
        comment="Cancellations.",
    )
    op.create_index("cancellations_case", "cancellations", ["case_number"])
    op.create_table(
        "pledges",
        sa.Column("id", sa.String(64), nullable=False, comment="PLG-<log index>"),
        sa.Column("idx", sa.BigInteger(), nullable=False, comment="log index"),
        sa.Column("account", sa.String(128), nullable=False, comment="pledging account"),
        sa.Column("bank", sa.String(128), nullable=False, comment="pledgee bank"),
        sa.Column("lots", sa.Text(), nullable=False, comment="JSON batches and serial ranges"),
        sa.Column("quantity", sa.BigInteger(), nullable=False, comment="grams pledged"),
        sa.Column("contract_ref", sa.String(500), nullable=True, comment="loan contract reference"),
        sa.Column("status", sa.String(16), nullable=False, comment="active, released, enforced"),
        sa.Column(
            "closed_at",
            sa.BigInteger(),
            nullable=True,
            comment="log index of release or enforcement",
        ),
        sa.PrimaryKeyConstraint("id", name="pledges_pkey"),
        comment="Pledges of credits as collateral.",
    )
    op.create_table(
        "transfers",
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False, comment="log index"),
        sa.Column("from_account", sa.String(128), nullable=False, comment="source account"),
        sa.Column("to_account", sa.String(128), nullable=False, comment="destination account"),
        sa.Column("lots", sa.Text(), nullable=False, comment="JSON batches and serial ranges"),
        sa.Column("quantity", sa.BigInteger(), nullable=False, comment="grams"),
        sa.Column(
            "price_fen_per_tonne", sa.BigInteger(), nullable=True, comment="price, fen per tonne"
        ),
        sa.Column("venue", sa.String(32), nullable=True, comment="trading venue"),
        sa.Column("settlement_ref", sa.String(500), nullable=True, comment="settlement reference"),
        sa.Column("time_ms", sa.BigInteger(), nullable=False, comment="sequencing time"),
        sa.Column(
            "corrected_by",
            sa.BigInteger(),
            nullable=True,
            comment="log index of a reversing correction",
        ),
        sa.PrimaryKeyConstraint("idx", name="transfers_pkey"),
        comment="Transfers and trades, for trade announcements and account history.",
    )
    op.create_index("transfers_from", "transfers", ["from_account"])
    op.create_index("transfers_to", "transfers", ["to_account"])
    op.create_table(
        "corrections",
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False, comment="log index"),
        sa.Column("corrects", sa.BigInteger(), nullable=False, comment="log index corrected"),
        sa.Column("action", sa.String(32), nullable=False, comment="what was done"),
        sa.Column("reason", sa.Text(), nullable=False, comment="why"),
        sa.Column("details", sa.Text(), nullable=False, comment="JSON details"),
        sa.PrimaryKeyConstraint("idx", name="corrections_pkey"),
        comment="Compensating corrections.",
    )
