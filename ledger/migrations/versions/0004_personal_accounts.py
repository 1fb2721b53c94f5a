"""Personal carbon accounts kept by platforms: balances, bulk records, points, aggregation,
revenue shares, balance commitments and the sum trees behind them; batches get a ``kind``
(``project`` for every batch issued so far, ``personal`` for bulk personal records).

``custody_totals`` is filled from the holdings and accounts already stored, so a ledger made
before this revision carries the same state a replay would make.
``balance_trees``, ``balance_tree_leaves`` and ``balance_tree_nodes`` are built off the log
(``schema.NOT_REPLAYED``); every other table is state derived from the log by replay.

Revision ID: 0004
Revises: 0003
Create Date: 2025-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "custody_totals",
    "evidence_digests",
    "points_balances",
    "redemptions",
    "aggregations",
    "aggregation_contributions",
    "revenue_distributions",
    "revenue_shares",
    "balance_commitments",
    "balance_trees",
    "balance_tree_leaves",
    "balance_tree_nodes",
)


def _id(name: str, comment: str, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(128), nullable=nullable, comment=comment)


def _grams(name: str, comment: str, *, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger(), nullable=nullable, comment=comment)


def _key(name: str, comment: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger(), autoincrement=False, nullable=False, comment=comment)


def upgrade() -> None:
    """Mark batches by kind, create the tables, fill the custody totals."""
    op.add_column(
        "batches",
        sa.Column(
            "kind",
            sa.String(16),
            nullable=False,
            server_default="project",
            comment="project (issued by issue) or personal (bulk personal records)",
        ),
    )
    _custody_and_points()
    _aggregation()
    _commitments()
    _backfill()


def downgrade() -> None:
    """Drop every table of this revision and the batches' kind."""
    for table in reversed(TABLES):
        op.drop_table(table)
    op.execute("ALTER TABLE batches DROP COLUMN kind")


def _custody_and_points() -> None:
    op.create_table(
        "custody_totals",
        _id("platform", "custodian platform"),
        _grams("accounts", "personal accounts in its custody"),
        _grams("held", "grams those accounts hold"),
        sa.CheckConstraint("accounts >= 0 AND held >= 0", name="custody_totals_non_negative"),
        sa.PrimaryKeyConstraint("platform", name="custody_totals_pkey"),
        comment="What each platform keeps in custody: checked against its balance commitments.",
    )
    op.create_table(
        "evidence_digests",
        sa.Column(
            "digest",
            sa.LargeBinary(32),
            nullable=False,
            comment="SHA-256 of a personal record's measurement evidence: recorded once, ever",
        ),
        _grams("idx", "log index of the bulk entry"),
        sa.Column(
            "position", sa.Integer(), nullable=False, comment="row number in the entry, from 0"
        ),
        sa.PrimaryKeyConstraint("digest", name="evidence_digests_pkey"),
        comment="Every personal reduction recorded in bulk, by evidence digest; the record "
        "itself is row `position` of entry `idx`.",
        sqlite_with_rowid=False,
    )
    op.create_table(
        "points_balances",
        _id("account", "account the points belong to"),
        _id("issuer", "platform or merchant whose points they are"),
        _grams("points", "points; never grams, never tonnes"),
        sa.CheckConstraint("points >= 0", name="points_balances_non_negative"),
        sa.PrimaryKeyConstraint("account", "issuer", name="points_balances_pkey"),
        comment="The points ledger, apart from reductions: a point balance never counts as a "
        "tonne.",
    )
    op.create_table(
        "redemptions",
        _key("idx", "log index"),
        _id("account", "personal account redeeming"),
        _id("to_account", "account receiving the reductions"),
        _id("issuer", "participant awarding the points or gift"),
        sa.Column("lots", sa.Text(), nullable=False, comment="JSON batches and serial ranges"),
        _grams("quantity", "grams redeemed"),
        sa.Column("reward", sa.String(16), nullable=False, comment="points or gift"),
        _grams("points_per_tonne", "conversion rate, points per tonne", nullable=True),
        _grams("points", "points awarded (0 for a gift)"),
        sa.Column("gift_ref", sa.String(500), nullable=True, comment="gift reference"),
        _grams("gift_value_fen", "gift value in fen", nullable=True),
        _grams("time_ms", "sequencing time"),
        sa.PrimaryKeyConstraint("idx", name="redemptions_pkey"),
        comment="Redemptions of personal reductions for points or gifts.",
    )
    op.create_index("redemptions_account", "redemptions", ["account"])


def _aggregation() -> None:
    op.create_table(
        "aggregations",
        sa.Column("id", sa.String(64), nullable=False, comment="AGG-<log index>"),
        _grams("idx", "log index"),
        _id("platform", "aggregating platform"),
        _id("account", "lot account holding the pooled credits"),
        _grams("quantity", "grams pooled"),
        sa.Column(
            "contributors",
            sa.Integer(),
            nullable=False,
            comment="personal accounts contributing",
        ),
        _grams("sold", "grams of sales with revenue shared"),
        _grams("time_ms", "sequencing time"),
        sa.CheckConstraint("sold >= 0 AND sold <= quantity", name="aggregations_sold"),
        sa.PrimaryKeyConstraint("id", name="aggregations_pkey"),
        comment="Personal reductions pooled with consent into a tradable lot.",
    )
    op.create_table(
        "aggregation_contributions",
        sa.Column("aggregation", sa.String(64), nullable=False, comment="AGG-<log index>"),
        sa.Column(
            "position",
            sa.Integer(),
            autoincrement=False,
            nullable=False,
            comment="order, from 0",
        ),
        _id("account", "contributing personal account"),
        _grams("quantity", "grams contributed"),
        sa.Column(
            "consent_ref",
            sa.String(500),
            nullable=False,
            comment="the person's consent reference",
        ),
        sa.Column("lots", sa.Text(), nullable=False, comment="JSON batches and serial ranges"),
        sa.PrimaryKeyConstraint("aggregation", "position", name="aggregation_contributions_pkey"),
        comment="Each person's contribution to an aggregated lot.",
    )
    op.create_index("aggregation_contributions_account", "aggregation_contributions", ["account"])
    op.create_table(
        "revenue_distributions",
        _key("sale", "transfer index"),
        _grams("idx", "log index of the revenue share entry"),
        sa.Column("aggregation", sa.String(64), nullable=False, comment="AGG-<log index>"),
        _grams("quantity", "grams sold"),
        _grams("price_fen_per_tonne", "sale price"),
        _grams("revenue_fen", "grams x price, in fen"),
        sa.Column(
            "share_bps", sa.Integer(), nullable=False, comment="basis points passed to persons"
        ),
        _grams("persons_fen", "fen shared among contributors"),
        _grams("platform_fen", "fen kept by the platform"),
        sa.CheckConstraint(
            "persons_fen + platform_fen = revenue_fen", name="revenue_distributions_sum"
        ),
        sa.PrimaryKeyConstraint("sale", name="revenue_distributions_pkey"),
        comment="Revenue of each sale from an aggregated lot and how it was shared.",
    )
    op.create_table(
        "revenue_shares",
        _key("sale", "transfer index"),
        sa.Column(
            "position",
            sa.Integer(),
            autoincrement=False,
            nullable=False,
            comment="contribution order",
        ),
        _id("account", "contributing personal account"),
        sa.Column("aggregation", sa.String(64), nullable=False, comment="AGG-<log index>"),
        _grams("fen", "the person's share, in fen"),
        sa.PrimaryKeyConstraint("sale", "position", name="revenue_shares_pkey"),
        comment="Each contributor's share of a sale's revenue.",
    )
    op.create_index("revenue_shares_account", "revenue_shares", ["account"])


def _commitments() -> None:
    op.create_table(
        "balance_commitments",
        _key("idx", "log index"),
        _id("platform", "committing platform"),
        sa.Column("root", sa.LargeBinary(32), nullable=False, comment="Merkle sum tree root hash"),
        _grams("total", "root sum: grams in custody"),
        _grams("leaves", "accounts in the tree"),
        _grams("time_ms", "sequencing time"),
        sa.PrimaryKeyConstraint("idx", name="balance_commitments_pkey"),
        comment="Platforms' signed commitments to their personal balances as of log size idx.",
    )
    op.create_index("balance_commitments_platform", "balance_commitments", ["platform", "idx"])
    op.create_table(
        "balance_trees",
        _key("id", "tree number"),
        sa.Column("root", sa.LargeBinary(32), nullable=False, comment="root hash"),
        _id("platform", "platform whose balances these are"),
        _grams("size", "log size the balances are as of"),
        _grams("leaves", "accounts"),
        _grams("total", "root sum, grams"),
        sa.Column(
            "seed",
            sa.LargeBinary(32),
            nullable=False,
            comment="secret seed of the leaves' salts",
        ),
        _grams("created_ms", "when it was built, Unix ms"),
        sa.PrimaryKeyConstraint("id", name="balance_trees_pkey"),
        sa.UniqueConstraint("root", name="balance_trees_root_key"),
        comment="Merkle sum trees over a platform's balances, kept to serve personal proofs.",
    )
    op.create_table(
        "balance_tree_leaves",
        _key("tree", "tree number"),
        _key("position", "leaf index"),
        _id("account", "personal account"),
        _grams("balance", "grams held as of the tree's size"),
        sa.PrimaryKeyConstraint("tree", "position", name="balance_tree_leaves_pkey"),
        comment="The leaves of each sum tree, in tree order (salts derive from the tree's seed).",
    )
    op.create_index(
        "balance_tree_leaves_account",
        "balance_tree_leaves",
        ["tree", "account"],
        unique=True,
    )
    op.create_table(
        "balance_tree_nodes",
        _key("tree", "tree number"),
        sa.Column(
            "level", sa.Integer(), autoincrement=False, nullable=False, comment="height; 0 = leaf"
        ),
        _key("idx", "index in level"),
        sa.Column("hash", sa.LargeBinary(32), nullable=False, comment="node hash"),
        _grams("sum", "grams under the node"),
        sa.PrimaryKeyConstraint("tree", "level", "idx", name="balance_tree_nodes_pkey"),
        comment="Sum tree nodes from level 4 up; lower levels are recomputed from 16 leaves.",
    )


def _backfill() -> None:
    """Custody totals of a ledger that already holds personal accounts and credits."""
    op.execute(
        "INSERT INTO custody_totals (platform, accounts, held) "
        "SELECT a.custodian, COUNT(*), COALESCE(SUM(b.held), 0) FROM accounts a "
        "LEFT JOIN (SELECT account, SUM(serial_end - serial_start) AS held FROM holdings "
        "WHERE status = 'held' GROUP BY account) b ON b.account = a.id "
        "WHERE a.kind = 'personal' AND a.custodian IS NOT NULL GROUP BY a.custodian"
    )
