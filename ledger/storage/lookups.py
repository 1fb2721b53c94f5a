"""A signer's entries and an account's transfers, looked up from tables filled behind the log.

As indexes of ``entries`` (by signer and sequence number) and of ``transfers`` (by sender and
by receiver), every entry a group commits would put a row on a random page of each: signers and
accounts are many and interleave, so at a million entries each index costs about one page
written per entry, two fifths of all the pages a group writes (and copies back from the
write-ahead log). Instead the writer copies the rows of the last ``RUN`` entries into
``signer_entries`` and ``account_transfers`` in one sorted run, in the transaction of the group
that crosses the mark: each signer's and account's page is then written once per run.

Entries below the mark (``ledger_meta``, key ``lookups_to``) are in those tables; the rest of
the log, fewer than ``RUN`` entries plus one group, is read by its primary key. A lookup is one
statement over both, so it reads one snapshot however the mark moves.

Nothing here is what an entry is checked against: replays are refused by the signers' last
sequence numbers (``nonces``), which every entry updates. The tables only answer who did what.
``verify`` recomputes them from the rows below the mark.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    CompoundSelect,
    Connection,
    ScalarSelect,
    Select,
    cast,
    func,
    insert,
    literal,
    or_,
    select,
    union,
    union_all,
    update,
)

from ledger.storage import schema

RUN = 32_768
"""Entries copied into the lookup tables at a time. Larger runs write fewer pages per entry
(one per signer and account a run touches) and leave a longer tail to scan per lookup."""

MARK_KEY = "lookups_to"

_entries, _transfers, _meta = schema.entries, schema.transfers, schema.meta


def _mark() -> ScalarSelect[Any]:
    stored = select(cast(_meta.c.value, BigInteger)).where(_meta.c.key == MARK_KEY)
    return select(func.coalesce(stored.scalar_subquery(), literal(0))).scalar_subquery()


def marked(conn: Connection) -> int:
    """The mark: every entry below it is in the lookup tables."""
    return int(conn.execute(select(_mark())).scalar_one())


def _signed(entries_wanted: ColumnElement[bool]) -> Select[Any]:
    """The ``signer_entries`` rows of the entries ``entries_wanted`` picks."""
    e = _entries
    return select(e.c.signer, e.c.seq, e.c.idx).where(entries_wanted)


def _parties(transfers_wanted: ColumnElement[bool]) -> Select[Any]:
    """The ``account_transfers`` rows of the transfers ``transfers_wanted`` picks: sender and
    receiver, once each."""
    t = _transfers
    parties = union(
        select(t.c.from_account.label("account"), t.c.idx).where(transfers_wanted),
        select(t.c.to_account.label("account"), t.c.idx).where(transfers_wanted),
    ).subquery()
    return select(parties.c.account, parties.c.idx)


def catch_up(conn: Connection, start: int, end: int) -> None:
    """Copy the rows of entries ``start`` to ``end - 1`` into the lookup tables, sorted by
    key, and move the mark to ``end``; in ``conn``'s transaction. ``start`` is the mark."""
    e, t = _entries, _transfers
    signed = _signed(e.c.idx.between(start, end - 1))
    conn.execute(
        insert(schema.signer_entries).from_select(
            ["signer", "seq", "idx"], signed.order_by(e.c.signer, e.c.seq)
        )
    )
    parties = _parties(t.c.idx.between(start, end - 1))
    conn.execute(
        insert(schema.account_transfers).from_select(
            ["account", "idx"], parties.order_by("account", "idx")
        )
    )
    value = {"value": str(end)}
    if conn.execute(update(_meta).where(_meta.c.key == MARK_KEY).values(value)).rowcount == 0:
        conn.execute(insert(_meta).values(key=MARK_KEY, **value))


def signer_entry_ids(signer: str, seq: int | None = None) -> CompoundSelect[Any]:
    """The log indexes of ``signer``'s entries (only the one with sequence number ``seq``, if
    given): the lookup table below the mark, the entries from the mark on."""
    s, e = schema.signer_entries, _entries
    indexed = select(s.c.idx).where(s.c.signer == signer)
    tail = select(e.c.idx).where(e.c.idx >= _mark(), e.c.signer == signer)
    if seq is not None:
        indexed = indexed.where(s.c.seq == seq)
        tail = tail.where(e.c.seq == seq)
    return union_all(indexed, tail)


def entry_ids_signed_by(signers: Select[Any]) -> CompoundSelect[Any]:
    """The log indexes of the entries signed by any participant ``signers`` selects."""
    s, e = schema.signer_entries, _entries
    names = signers.scalar_subquery()
    return union_all(
        select(s.c.idx).where(s.c.signer.in_(names)),
        select(e.c.idx).where(e.c.idx >= _mark(), e.c.signer.in_(names)),
    )


def account_transfer_ids(account: str) -> CompoundSelect[Any]:
    """The log indexes of the transfers ``account`` sent or received."""
    a, t = schema.account_transfers, _transfers
    return union_all(
        select(a.c.idx).where(a.c.account == account),
        select(t.c.idx).where(
            t.c.idx >= _mark(), or_(t.c.from_account == account, t.c.to_account == account)
        ),
    )


def mismatch(conn: Connection) -> str | None:
    """What the first lookup table that differs from the rows below the mark holds or lacks
    (one row of the difference); None when both tables hold exactly what they should."""
    s, a = schema.signer_entries, schema.account_transfers
    mark = _mark()
    pairs = [
        (s, select(s.c.signer, s.c.seq, s.c.idx), _signed(_entries.c.idx < mark)),
        (a, select(a.c.account, a.c.idx), _parties(_transfers.c.idx < mark)),
    ]
    for table, held, expected in pairs:
        for verb, extra in (("holds", held.except_(expected)), ("lacks", expected.except_(held))):
            row = conn.execute(select(extra.subquery()).limit(1)).first()
            if row is not None:
                return f"{table.name} {verb} {tuple(row)}, below the mark at entry {marked(conn)}"
    return None
