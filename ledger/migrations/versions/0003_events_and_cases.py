"""Carbon-neutral events, their emission inventory lines, and ecological-damage cases.

``events`` holds each event's current emission totals, what retirements cover and when it
became neutral; ``event_emissions`` the append-only inventory lines (registration items and
amendments); ``compensation_cases`` each case's required and cancelled tonnage, closed once
satisfied. All three are state derived from the log by replay.

Revision ID: 0003
Revises: 0002
Create Date: 2025-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``events``, ``event_emissions`` and ``compensation_cases`` with their indexes."""
    op.create_table(
        "events",
        sa.Column("id", sa.String(64), nullable=False, comment="EVT-<log index of registration>"),
        sa.Column("idx", sa.BigInteger(), nullable=False, comment="log index of registration"),
        sa.Column(
            "organiser",
            sa.String(128),
            nullable=False,
            comment="organising participant (the registering signer)",
        ),
        sa.Column("name", sa.String(500), nullable=False, comment="event name"),
        sa.Column("start_date", sa.String(10), nullable=False, comment="first day, YYYY-MM-DD"),
        sa.Column("end_date", sa.String(10), nullable=False, comment="last day, YYYY-MM-DD"),
        sa.Column("place", sa.String(500), nullable=False, comment="venue and city"),
        sa.Column("jurisdiction", sa.String(8), nullable=False, comment="ISO 3166-2 region"),
        sa.Column(
            "verifier",
            sa.String(128),
            nullable=True,
            comment="participant that verified the emissions inventory, if any",
        ),
        sa.Column(
            "report_digest",
            sa.String(64),
            nullable=True,
            comment="SHA-256 of the inventory's verification report",
        ),
        sa.Column(
            "emissions",
            sa.Text(),
            nullable=False,
            comment="JSON [[stage, source, grams], ...]: current totals after every amendment",
        ),
        sa.Column(
            "emitted", sa.BigInteger(), nullable=False, comment="grams CO2e emitted, all stages"
        ),
        sa.Column(
            "covered", sa.BigInteger(), nullable=False, comment="grams retired toward the event"
        ),
        sa.Column("lines", sa.Integer(), nullable=False, comment="emission lines recorded so far"),
        sa.Column(
            "neutral_at",
            sa.BigInteger(),
            nullable=True,
            comment="log index that made covered >= emitted, or null",
        ),
        sa.Column(
            "amended_at",
            sa.BigInteger(),
            nullable=True,
            comment="log index of the latest amendment, or null",
        ),
        sa.PrimaryKeyConstraint("id", name="events_pkey"),
        sa.CheckConstraint("emitted > 0 AND covered >= 0", name="events_amounts"),
        comment="Events made carbon neutral by retirements (purpose event_neutrality, "
        "event_ref = id).",
    )
    op.create_index("events_organiser", "events", ["organiser"])
    op.create_table(
        "event_emissions",
        sa.Column("event", sa.String(64), nullable=False, comment="event id"),
        sa.Column(
            "line",
            sa.Integer(),
            autoincrement=False,
            nullable=False,
            comment="line number, from 0",
        ),
        sa.Column(
            "idx",
            sa.BigInteger(),
            nullable=False,
            comment="log index of the entry that added it",
        ),
        sa.Column(
            "stage", sa.String(16), nullable=False, comment="preparation, hosting or closing"
        ),
        sa.Column("source", sa.String(32), nullable=False, comment="emission source"),
        sa.Column(
            "grams",
            sa.BigInteger(),
            nullable=False,
            comment="grams; an amendment's signed change",
        ),
        sa.Column(
            "basis",
            sa.Text(),
            nullable=False,
            comment="calculation basis (activity data, factor)",
        ),
        sa.Column(
            "reason",
            sa.Text(),
            nullable=True,
            comment="why an amendment was made; null at registration",
        ),
        sa.PrimaryKeyConstraint("event", "line", name="event_emissions_pkey"),
        comment="Append-only emission inventory lines of events: registration and amendments.",
    )
    op.create_table(
        "compensation_cases",
        sa.Column(
            "case_number",
            sa.String(500),
            nullable=False,
            comment="the authority's case number",
        ),
        sa.Column("idx", sa.BigInteger(), nullable=False, comment="log index of registration"),
        sa.Column(
            "authority",
            sa.String(128),
            nullable=False,
            comment="registering authority; co-signs each cancellation",
        ),
        sa.Column(
            "liable_party",
            sa.String(128),
            nullable=False,
            comment="participant that must cancel credits",
        ),
        sa.Column("damage_fen", sa.BigInteger(), nullable=False, comment="appraised damage in fen"),
        sa.Column(
            "decision_digest", sa.String(64), nullable=False, comment="SHA-256 of the decision"
        ),
        sa.Column("required", sa.BigInteger(), nullable=False, comment="grams CO2e to cancel"),
        sa.Column(
            "cancelled",
            sa.BigInteger(),
            nullable=False,
            comment="grams cancelled against the case",
        ),
        sa.Column("status", sa.String(16), nullable=False, comment="open or closed"),
        sa.Column("jurisdiction", sa.String(8), nullable=False, comment="ISO 3166-2 region"),
        sa.Column(
            "closed_at",
            sa.BigInteger(),
            nullable=True,
            comment="log index of the cancellation that satisfied it",
        ),
        sa.Column("note", sa.Text(), nullable=True, comment="note"),
        sa.PrimaryKeyConstraint("case_number", name="compensation_cases_pkey"),
        sa.CheckConstraint("required > 0 AND cancelled >= 0", name="compensation_cases_amounts"),
        sa.CheckConstraint(
            "(status = 'closed') = (cancelled >= required)", name="compensation_cases_closed"
        ),
        comment="Ecological-damage cases settled by cancelling credits (alternative repair).",
    )
    op.create_index("compensation_cases_liable", "compensation_cases", ["liable_party"])


def downgrade() -> None:
    """Drop the three tables (their indexes go with them)."""
    op.drop_table("compensation_cases")
    op.drop_table("event_emissions")
    op.drop_table("events")
