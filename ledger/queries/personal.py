"""Personal carbon accounts on the read side: custody totals and commitments of a platform, an
account's balance and points, redemptions, aggregations with their contributions, revenue
shares. Points are listed apart and never added to grams."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from ledger.queries.rows import DEFAULT_LIMIT, decode_lots, fetch_one, page
from ledger.storage import schema


@dataclass(frozen=True, slots=True)
class CustodyView:
    """What a platform keeps: personal accounts and the grams they hold."""

    platform: str
    accounts: int
    held: int


@dataclass(frozen=True, slots=True)
class CommitmentView:
    index: int
    platform: str
    root: bytes
    total: int
    leaves: int
    time_ms: int


@dataclass(frozen=True, slots=True)
class PointsView:
    """Points of one issuer in an account: a count of points, never grams."""

    issuer: str
    points: int


@dataclass(frozen=True, slots=True)
class RedemptionView:
    index: int
    account: str
    to_account: str
    issuer: str
    quantity: int
    reward: str
    points_per_tonne: int | None
    points: int
    gift_ref: str | None
    gift_value_fen: int | None
    lots: list[dict[str, object]]
    time_ms: int


@dataclass(frozen=True, slots=True)
class ContributionView:
    position: int
    account: str
    quantity: int
    consent_ref: str


@dataclass(frozen=True, slots=True)
class AggregationView:
    id: str
    index: int
    platform: str
    account: str
    quantity: int
    contributors: int
    sold: int
    time_ms: int
    contributions: list[ContributionView]


@dataclass(frozen=True, slots=True)
class RevenueShareView:
    sale: int
    aggregation: str
    account: str
    fen: int


def custody(engine: Engine, platform: str) -> CustodyView:
    """The platform's custody totals (zero when it keeps no personal account)."""
    c = schema.custody_totals
    with engine.connect() as conn:
        row = conn.execute(select(c).where(c.c.platform == platform)).first()
    return CustodyView(platform, 0, 0) if row is None else CustodyView(*row)


def balance_commitments(
    engine: Engine, platform: str, *, limit: int = DEFAULT_LIMIT, offset: int = 0
) -> list[CommitmentView]:
    """The platform's balance commitments, newest first."""
    c = schema.balance_commitments
    query = select(c).where(c.c.platform == platform).order_by(c.c.idx.desc())
    with engine.connect() as conn:
        return [
            CommitmentView(r.idx, r.platform, bytes(r.root), r.total, r.leaves, r.time_ms)
            for r in conn.execute(page(query, limit, offset))
        ]


def account_balance(engine: Engine, account: str) -> int:
    """Grams ``account`` holds with status held, all batches together."""
    h = schema.holdings
    query = select(func.coalesce(func.sum(h.c.serial_end - h.c.serial_start), 0)).where(
        h.c.account == account, h.c.status == "held"
    )
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def points(engine: Engine, account: str) -> list[PointsView]:
    """The account's points, one line per issuer."""
    p = schema.points_balances
    query = select(p.c.issuer, p.c.points).where(p.c.account == account).order_by(p.c.issuer)
    with engine.connect() as conn:
        return [PointsView(*row) for row in conn.execute(query)]


def redemptions(
    engine: Engine, account: str, *, limit: int = DEFAULT_LIMIT, offset: int = 0
) -> list[RedemptionView]:
    """The account's redemptions, oldest first."""
    r = schema.redemptions
    query = select(r).where(r.c.account == account).order_by(r.c.idx)
    with engine.connect() as conn:
        return [
            RedemptionView(
                row.idx,
                row.account,
                row.to_account,
                row.issuer,
                row.quantity,
                row.reward,
                row.points_per_tonne,
                row.points,
                row.gift_ref,
                row.gift_value_fen,
                decode_lots(row.lots),
                row.time_ms,
            )
            for row in conn.execute(page(query, limit, offset))
        ]


def aggregation(
    engine: Engine, aid: str, *, limit: int = DEFAULT_LIMIT, offset: int = 0
) -> AggregationView:
    """An aggregation with one page of its contributions. Raises ``unknown_aggregation``."""
    a, c = schema.aggregations, schema.aggregation_contributions
    contributions = (
        select(c.c.position, c.c.account, c.c.quantity, c.c.consent_ref)
        .where(c.c.aggregation == aid)
        .order_by(c.c.position)
    )
    with engine.connect() as conn:
        row = fetch_one(
            conn, select(a).where(a.c.id == aid), f"aggregation {aid}", "unknown_aggregation"
        )
        items = [ContributionView(*r) for r in conn.execute(page(contributions, limit, offset))]
    return AggregationView(
        row.id,
        row.idx,
        row.platform,
        row.account,
        row.quantity,
        row.contributors,
        row.sold,
        row.time_ms,
        items,
    )


def revenue_shares(
    engine: Engine, account: str, *, limit: int = DEFAULT_LIMIT, offset: int = 0
) -> list[RevenueShareView]:
    """The account's shares of aggregated-lot sales, by sale."""
    s = schema.revenue_shares
    query = (
        select(s.c.sale, s.c.aggregation, s.c.account, s.c.fen)
        .where(s.c.account == account)
        .order_by(s.c.sale)
    )
    with engine.connect() as conn:
        return [RevenueShareView(*row) for row in conn.execute(page(query, limit, offset))]
