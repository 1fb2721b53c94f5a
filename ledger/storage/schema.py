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
    Column(
        "idx",
        # INTEGER on SQLite: the table's rowid itself, not a second tree beside it.
        BigInteger().with_variant(Integer(), "sqlite"),
        primary_key=True,
        autoincrement=False,
        comment="log index, from 0",
    ),
    Column("record", LargeBinary, nullable=False, comment="canonical record bytes (Merkle leaf)"),
    Column("record_hash", LargeBinary(32), nullable=False, comment="SHA-256 of record"),
    Column(
        "entry_hash",
        LargeBinary(32),
        nullable=False,
        comment="SHA-256 of the signed entry inside the record",
    ),
    Column("op", String(32), nullable=False, comment="operation name"),
    Column("signer", String(128), nullable=False, comment="participant that signed the payload"),
    Column("time_ms", BigInteger, nullable=False, comment="sequencing time, Unix ms"),
    Column(
        "seq",
        BigInteger,
        nullable=False,
        comment="the entry's sequence number: unique per signer, growing with idx",
    ),
    comment="The append-only log: one row per accepted entry, hash-chained.",
)

# Entries by signer and transfers by account are not indexes of their tables: each new row
# would land on a random index page. They are tables filled behind the log in sorted runs
# (ledger.storage.lookups); what they do not hold yet is the log's tail past the mark.
signer_entries = Table(
    "signer_entries",
    metadata,
    _id("signer", "participant that signed the entry", primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False, comment="its sequence number"),
    Column("idx", BigInteger, nullable=False, comment="log index of the entry"),
    comment="A signer's entries in sequence order, up to the indexed mark (ledger_meta).",
    sqlite_with_rowid=False,
)

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
    sqlite_with_rowid=False,  # clustered by (level, idx): one tree, no rowid table beside it
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
    # Clustered by id (migration 0006): bulk entries look up thousands of random accounts.
    sqlite_with_rowid=False,
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
    Column(
        "kind",
        String(16),
        nullable=False,
        server_default="project",
        comment="project (issued by issue) or personal (bulk personal records)",
    ),
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
    # Clustered by (batch, serial_start) on SQLite (migration 0007): moving a range rewrites
    # one tree row and its account index entry, no rowid table beside them.
    sqlite_with_rowid=False,
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

account_transfers = Table(
    "account_transfers",
    metadata,
    _id("account", "sending or receiving account", primary_key=True),
    Column("idx", BigInteger, primary_key=True, autoincrement=False, comment="log index"),
    comment="An account's transfers in log order, up to the indexed mark (ledger_meta).",
    sqlite_with_rowid=False,
)

LOOKUP_TABLES = frozenset({signer_entries.name, account_transfers.name})
"""Derived from the log's own tables (not from replayed state): verify checks them apart."""

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

# -- Tables of the HTTP service, not of the log: no replay reproduces them (NOT_REPLAYED). ----
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("key", String(255), primary_key=True, comment="the client's Idempotency-Key header"),
    Column(
        "fingerprint",
        LargeBinary(32),
        nullable=False,
        comment="SHA-256 of the request's method, path and body",
    ),
    Column("status", Integer, nullable=False, comment="HTTP status of the original response"),
    Column("content_type", String(100), nullable=False, comment="its media type"),
    Column("body", LargeBinary, nullable=False, comment="its body bytes, returned on a retry"),
    Column("created_ms", BigInteger, nullable=False, comment="when it was committed, Unix ms"),
    comment="Responses to write requests that carried an Idempotency-Key, committed with "
    "their entries.",
)

checkpoint_cosignatures = Table(
    "checkpoint_cosignatures",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False, comment="checkpoint size"),
    Column("witness", String(255), primary_key=True, comment="witness key name"),
    Column("key_hash", LargeBinary(4), primary_key=True, comment="the line's 4-byte key hash"),
    Column("timestamp", BigInteger, nullable=False, comment="cosignature time, Unix seconds"),
    Column("line", Text, nullable=False, comment="the signature line, as served with the note"),
    comment="Witness cosignatures (C2SP tlog-cosignature) verified for a sealed checkpoint.",
)

NOT_REPLAYED = frozenset({idempotency_keys.name, checkpoint_cosignatures.name})
"""Tables of the HTTP service: written beside the log, never derived from it by a replay."""

# -- Carbon-neutral events and ecological-damage compensation cases (state, replayed). -------
events = Table(
    "events",
    metadata,
    Column("id", String(64), primary_key=True, comment="EVT-<log index of registration>"),
    Column("idx", BigInteger, nullable=False, comment="log index of registration"),
    _id("organiser", "organising participant (the registering signer)", nullable=False),
    Column("name", String(500), nullable=False, comment="event name"),
    Column("start_date", String(10), nullable=False, comment="first day, YYYY-MM-DD"),
    Column("end_date", String(10), nullable=False, comment="last day, YYYY-MM-DD"),
    Column("place", String(500), nullable=False, comment="venue and city"),
    Column("jurisdiction", String(8), nullable=False, comment="ISO 3166-2 region"),
    _id("verifier", "participant that verified the emissions inventory, if any"),
    Column("report_digest", String(64), comment="SHA-256 of the inventory's verification report"),
    Column(
        "emissions",
        Text,
        nullable=False,
        comment="JSON [[stage, source, grams], ...]: current totals after every amendment",
    ),
    Column("emitted", BigInteger, nullable=False, comment="grams CO2e emitted, all stages"),
    Column("covered", BigInteger, nullable=False, comment="grams retired toward the event"),
    Column("lines", Integer, nullable=False, comment="emission lines recorded so far"),
    Column("neutral_at", BigInteger, comment="log index that made covered >= emitted, or null"),
    Column("amended_at", BigInteger, comment="log index of the latest amendment, or null"),
    CheckConstraint("emitted > 0 AND covered >= 0", name="events_amounts"),
    comment="Events made carbon neutral by retirements (purpose event_neutrality, event_ref = id).",
)
Index("events_organiser", events.c.organiser)

event_emissions = Table(
    "event_emissions",
    metadata,
    Column("event", String(64), primary_key=True, comment="event id"),
    Column("line", Integer, primary_key=True, autoincrement=False, comment="line number, from 0"),
    Column("idx", BigInteger, nullable=False, comment="log index of the entry that added it"),
    Column("stage", String(16), nullable=False, comment="preparation, hosting or closing"),
    Column("source", String(32), nullable=False, comment="emission source"),
    Column("grams", BigInteger, nullable=False, comment="grams; an amendment's signed change"),
    Column("basis", Text, nullable=False, comment="calculation basis (activity data, factor)"),
    Column("reason", Text, comment="why an amendment was made; null at registration"),
    comment="Append-only emission inventory lines of events: registration and amendments.",
)

compensation_cases = Table(
    "compensation_cases",
    metadata,
    Column("case_number", String(500), primary_key=True, comment="the authority's case number"),
    Column("idx", BigInteger, nullable=False, comment="log index of registration"),
    _id("authority", "registering authority; co-signs each cancellation", nullable=False),
    _id("liable_party", "participant that must cancel credits", nullable=False),
    Column("damage_fen", BigInteger, nullable=False, comment="appraised damage in fen"),
    Column("decision_digest", String(64), nullable=False, comment="SHA-256 of the decision"),
    Column("required", BigInteger, nullable=False, comment="grams CO2e to cancel"),
    Column("cancelled", BigInteger, nullable=False, comment="grams cancelled against the case"),
    Column("status", String(16), nullable=False, comment="open or closed"),
    Column("jurisdiction", String(8), nullable=False, comment="ISO 3166-2 region"),
    Column("closed_at", BigInteger, comment="log index of the cancellation that satisfied it"),
    Column("note", Text, comment="note"),
    CheckConstraint("required > 0 AND cancelled >= 0", name="compensation_cases_amounts"),
    CheckConstraint(
        "(status = 'closed') = (cancelled >= required)", name="compensation_cases_closed"
    ),
    comment="Ecological-damage cases settled by cancelling credits (alternative repair).",
)
Index("compensation_cases_liable", compensation_cases.c.liable_party)

# -- Personal carbon accounts kept by platforms (state, replayed). ----------------------------
custody_totals = Table(
    "custody_totals",
    metadata,
    _id("platform", "custodian platform", primary_key=True),
    Column("accounts", BigInteger, nullable=False, comment="personal accounts in its custody"),
    Column("held", BigInteger, nullable=False, comment="grams those accounts hold"),
    CheckConstraint("accounts >= 0 AND held >= 0", name="custody_totals_non_negative"),
    comment="What each platform keeps in custody: checked against its balance commitments.",
)

evidence_digests = Table(
    "evidence_digests",
    metadata,
    Column(
        "digest",
        LargeBinary(32),
        primary_key=True,
        comment="SHA-256 of a personal record's measurement evidence: recorded once, ever",
    ),
    Column("idx", BigInteger, nullable=False, comment="log index of the bulk entry"),
    Column("position", Integer, nullable=False, comment="row number in the entry, from 0"),
    comment="Every personal reduction recorded in bulk, by evidence digest; the record itself "
    "is row `position` of entry `idx`.",
    sqlite_with_rowid=False,
)

points_balances = Table(
    "points_balances",
    metadata,
    _id("account", "account the points belong to", primary_key=True),
    _id("issuer", "platform or merchant whose points they are", primary_key=True),
    Column("points", BigInteger, nullable=False, comment="points; never grams, never tonnes"),
    CheckConstraint("points >= 0", name="points_balances_non_negative"),
    comment="The points ledger, apart from reductions: a point balance never counts as a tonne.",
)

redemptions = Table(
    "redemptions",
    metadata,
    Column("idx", BigInteger, primary_key=True, autoincrement=False, comment="log index"),
    _id("account", "personal account redeeming", nullable=False),
    _id("to_account", "account receiving the reductions", nullable=False),
    _id("issuer", "participant awarding the points or gift", nullable=False),
    Column("lots", Text, nullable=False, comment="JSON batches and serial ranges"),
    Column("quantity", BigInteger, nullable=False, comment="grams redeemed"),
    Column("reward", String(16), nullable=False, comment="points or gift"),
    Column("points_per_tonne", BigInteger, comment="conversion rate, points per tonne"),
    Column("points", BigInteger, nullable=False, comment="points awarded (0 for a gift)"),
    Column("gift_ref", String(500), comment="gift reference"),
    Column("gift_value_fen", BigInteger, comment="gift value in fen"),
    Column("time_ms", BigInteger, nullable=False, comment="sequencing time"),
    comment="Redemptions of personal reductions for points or gifts.",
)
Index("redemptions_account", redemptions.c.account)

aggregations = Table(
    "aggregations",
    metadata,
    Column("id", String(64), primary_key=True, comment="AGG-<log index>"),
    Column("idx", BigInteger, nullable=False, comment="log index"),
    _id("platform", "aggregating platform", nullable=False),
    _id("account", "lot account holding the pooled credits", nullable=False),
    Column("quantity", BigInteger, nullable=False, comment="grams pooled"),
    Column("contributors", Integer, nullable=False, comment="personal accounts contributing"),
    Column("sold", BigInteger, nullable=False, comment="grams of sales with revenue shared"),
    Column("time_ms", BigInteger, nullable=False, comment="sequencing time"),
    CheckConstraint("sold >= 0 AND sold <= quantity", name="aggregations_sold"),
    comment="Personal reductions pooled with consent into a tradable lot.",
)

aggregation_contributions = Table(
    "aggregation_contributions",
    metadata,
    Column("aggregation", String(64), primary_key=True, comment="AGG-<log index>"),
    Column("position", Integer, primary_key=True, autoincrement=False, comment="order, from 0"),
    _id("account", "contributing personal account", nullable=False),
    Column("quantity", BigInteger, nullable=False, comment="grams contributed"),
    Column("consent_ref", String(500), nullable=False, comment="the person's consent reference"),
    Column("lots", Text, nullable=False, comment="JSON batches and serial ranges"),
    comment="Each person's contribution to an aggregated lot.",
)
Index("aggregation_contributions_account", aggregation_contributions.c.account)

revenue_distributions = Table(
    "revenue_distributions",
    metadata,
    Column("sale", BigInteger, primary_key=True, autoincrement=False, comment="transfer index"),
    Column("idx", BigInteger, nullable=False, comment="log index of the revenue share entry"),
    Column("aggregation", String(64), nullable=False, comment="AGG-<log index>"),
    Column("quantity", BigInteger, nullable=False, comment="grams sold"),
    Column("price_fen_per_tonne", BigInteger, nullable=False, comment="sale price"),
    Column("revenue_fen", BigInteger, nullable=False, comment="grams x price, in fen"),
    Column("share_bps", Integer, nullable=False, comment="basis points passed to persons"),
    Column("persons_fen", BigInteger, nullable=False, comment="fen shared among contributors"),
    Column("platform_fen", BigInteger, nullable=False, comment="fen kept by the platform"),
    CheckConstraint("persons_fen + platform_fen = revenue_fen", name="revenue_distributions_sum"),
    comment="Revenue of each sale from an aggregated lot and how it was shared.",
)

revenue_shares = Table(
    "revenue_shares",
    metadata,
    Column("sale", BigInteger, primary_key=True, autoincrement=False, comment="transfer index"),
    Column(
        "position", Integer, primary_key=True, autoincrement=False, comment="contribution order"
    ),
    _id("account", "contributing personal account", nullable=False),
    Column("aggregation", String(64), nullable=False, comment="AGG-<log index>"),
    Column("fen", BigInteger, nullable=False, comment="the person's share, in fen"),
    comment="Each contributor's share of a sale's revenue.",
)
Index("revenue_shares_account", revenue_shares.c.account)

balance_commitments = Table(
    "balance_commitments",
    metadata,
    Column("idx", BigInteger, primary_key=True, autoincrement=False, comment="log index"),
    _id("platform", "committing platform", nullable=False),
    Column("root", LargeBinary(32), nullable=False, comment="Merkle sum tree root hash"),
    Column("total", BigInteger, nullable=False, comment="root sum: grams in custody"),
    Column("leaves", BigInteger, nullable=False, comment="accounts in the tree"),
    Column("time_ms", BigInteger, nullable=False, comment="sequencing time"),
    comment="Platforms' signed commitments to their personal balances as of log size idx.",
)
Index("balance_commitments_platform", balance_commitments.c.platform, balance_commitments.c.idx)

# -- The sum trees behind balance commitments: built off the log, so NOT_REPLAYED. -----------
balance_trees = Table(
    "balance_trees",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False, comment="tree number"),
    Column("root", LargeBinary(32), nullable=False, unique=True, comment="root hash"),
    _id("platform", "platform whose balances these are", nullable=False),
    Column("size", BigInteger, nullable=False, comment="log size the balances are as of"),
    Column("leaves", BigInteger, nullable=False, comment="accounts"),
    Column("total", BigInteger, nullable=False, comment="root sum, grams"),
    Column("seed", LargeBinary(32), nullable=False, comment="secret seed of the leaves' salts"),
    Column("created_ms", BigInteger, nullable=False, comment="when it was built, Unix ms"),
    comment="Merkle sum trees over a platform's balances, kept to serve personal proofs.",
)

balance_tree_leaves = Table(
    "balance_tree_leaves",
    metadata,
    Column("tree", BigInteger, primary_key=True, autoincrement=False, comment="tree number"),
    Column("position", BigInteger, primary_key=True, autoincrement=False, comment="leaf index"),
    _id("account", "personal account", nullable=False),
    Column("balance", BigInteger, nullable=False, comment="grams held as of the tree's size"),
    comment="The leaves of each sum tree, in tree order (salts derive from the tree's seed).",
)
Index(
    "balance_tree_leaves_account",
    balance_tree_leaves.c.tree,
    balance_tree_leaves.c.account,
    unique=True,
)

balance_tree_nodes = Table(
    "balance_tree_nodes",
    metadata,
    Column("tree", BigInteger, primary_key=True, autoincrement=False, comment="tree number"),
    Column("level", Integer, primary_key=True, autoincrement=False, comment="height; 0 = leaf"),
    Column("idx", BigInteger, primary_key=True, autoincrement=False, comment="index in level"),
    Column("hash", LargeBinary(32), nullable=False, comment="node hash"),
    Column("sum", BigInteger, nullable=False, comment="grams under the node"),
    comment="Sum tree nodes from level 4 up; lower levels are recomputed from 16 leaves.",
)

NOT_REPLAYED = NOT_REPLAYED | {
    balance_trees.name,
    balance_tree_leaves.name,
    balance_tree_nodes.name,
}

# -- Public anchoring of checkpoints on an EVM chain: receipts, not derived from the log. ------
anchors = Table(
    "anchors",
    metadata,
    Column(
        "chain_id", BigInteger, primary_key=True, autoincrement=False, comment="EIP-155 chain id"
    ),
    Column("contract", String(42), primary_key=True, comment="CheckpointAnchor address (EIP-55)"),
    Column("tx_hash", LargeBinary(32), primary_key=True, comment="the anchoring transaction"),
    Column("size", BigInteger, nullable=False, comment="tree size of the checkpoint submitted"),
    Column("root", LargeBinary(32), nullable=False, comment="the ledger's signed root at size"),
    Column(
        "status",
        String(16),
        nullable=False,
        comment="anchored; split_view (the chain holds another root for size); orphaned (the "
        "chain no longer holds the transaction)",
    ),
    Column(
        "chain_root",
        LargeBinary(32),
        nullable=False,
        comment="root the contract holds for size: root itself, or the conflicting one",
    ),
    Column("block_number", BigInteger, nullable=False, comment="block of the transaction"),
    Column("block_time", BigInteger, nullable=False, comment="its timestamp, Unix seconds"),
    Column("recorded_ms", BigInteger, nullable=False, comment="when recorded (final), Unix ms"),
    CheckConstraint(
        "(status IN ('anchored', 'orphaned') AND chain_root = root) "
        "OR (status = 'split_view' AND chain_root <> root)",
        name="anchors_status",
    ),
    comment="Receipts of checkpoints anchored on a chain, written once final; split views kept "
    "as evidence.",
)
Index("anchors_size", anchors.c.size)

NOT_REPLAYED = NOT_REPLAYED | {anchors.name}
