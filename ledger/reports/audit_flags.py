"""The flags of an issuance audit: what a regulator must look at in a batch.

The ledger refuses most of these at entry time; the audit still looks for them, because the
copy it reads may have been built by other software or tampered with. Each check reads the
copy directly: the issuance entry and its signatures, the registry history rebuilt from the
log (``registry_history``), the other batches, and the holdings that make up the supply.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from ledger.entry import Entry, parse_entry, parse_record
from ledger.errors import LedgerError
from ledger.keys import verify_one
from ledger.reports.registry_history import RegistryHistory
from ledger.storage import schema

FLAGS: dict[str, str] = {
    "attestation_missing": "no valid signature of the verifier on the issuance it attests",
    "verifier_not_accredited": "the verifier lacked the program's verifier role at issuance",
    "period_overlap": "the monitoring period overlaps another batch of the same project",
    "duplicate_origin": "the origin reference was issued more than once",
    "verifier_conflict": "the verifier attests its own project or its own issuance",
    "methodology_withdrawn": "issued after the methodology was withdrawn (or while not active)",
    "supply_mismatch": "the supply counters do not add up, or disagree with the holdings",
}
"""Every flag code and what it means."""

STATUSES = ("held", "pledged", "retired", "cancelled")


@dataclass(frozen=True, slots=True)
class Flag:
    code: str
    batch: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "batch": self.batch, "message": self.message}


def attestation_flags(batch: Any, record: bytes | None, history: RegistryHistory) -> list[Flag]:
    """Flags on the verifier's attestation of ``batch`` (a row of ``scope.scoped``).

    The entry at the batch's issuance index must be an ``issue`` whose body names this batch's
    verifier, report digest, project and quantity, carrying a signature of the verifier made
    with a key live at that index that verifies; and the verifier must have held the
    program's verifier role then.
    """
    flags: list[Flag] = []
    problem = _attestation_problem(batch, record, history)
    if problem is not None:
        flags.append(Flag("attestation_missing", batch.id, problem))
    if not history.had_role(batch.program, batch.verifier, "verifier", batch.issued_at):
        flags.append(
            Flag(
                "verifier_not_accredited",
                batch.id,
                f"{batch.verifier} was not an accredited verifier of {batch.program} "
                f"at entry {batch.issued_at}",
            )
        )
    return flags


def _attestation_problem(batch: Any, record: bytes | None, history: RegistryHistory) -> str | None:
    if record is None:
        return f"there is no entry {batch.issued_at}, where the batch says it was issued"
    try:
        entry: Entry = parse_entry(parse_record(record).entry_raw)
    except (LedgerError, KeyError, TypeError, ValueError):
        return f"entry {batch.issued_at} is not a well-formed record"
    if entry.op != "issue":
        return f"entry {batch.issued_at} is a {entry.op}, not an issuance"
    body = entry.body
    signed = {
        "verifier": body.get("verifier"),
        "report_digest": body.get("report_digest"),
        "project": body.get("project"),
        "quantity": body.get("quantity"),
    }
    stored = {
        "verifier": batch.verifier,
        "report_digest": batch.report_digest,
        "project": batch.project,
        "quantity": batch.issued,
    }
    for name, value in stored.items():
        if signed[name] != value:
            return f"the signed issuance has {name} {signed[name]!r}, the batch {value!r}"
    sig = next((s for s in entry.signatures if s.signer == batch.verifier), None)
    if sig is None:
        return f"the issuance carries no signature of {batch.verifier}"
    key = history.keys.get(sig.key)
    if key is None or key.participant != batch.verifier or not key.live_at(batch.issued_at):
        return f"{batch.verifier} signed with key {sig.key}, not one of its keys live then"
    if not verify_one(key.public_key, sig.sig, entry.message):
        return f"the signature of {batch.verifier} does not verify"
    return None


def overlap_flags(batches: Sequence[Any]) -> Iterator[Flag]:
    """Batches whose monitoring period overlaps another batch of the same project."""
    by_project: dict[str, list[Any]] = defaultdict(list)
    for batch in batches:
        by_project[batch.project].append(batch)
    for group in by_project.values():
        group.sort(key=lambda b: (b.vintage_start, b.vintage_end))
        for position, batch in enumerate(group):
            for other in group[position + 1 :]:
                if other.vintage_start > batch.vintage_end:
                    break
                for one, two in ((batch, other), (other, batch)):
                    yield Flag(
                        "period_overlap",
                        one.id,
                        f"period {one.vintage_start}..{one.vintage_end} overlaps {two.id} "
                        f"({two.vintage_start}..{two.vintage_end}) of project {one.project}",
                    )


def origin_flags(conn: Connection, batches: Sequence[Any]) -> Iterator[Flag]:
    """Batches whose origin reference another batch (of any program) also carries."""
    b = schema.batches
    wanted = {batch.origin_ref for batch in batches if batch.origin_ref is not None}
    if not wanted:
        return
    seen: dict[str, list[str]] = defaultdict(list)
    repeated = (
        select(b.c.origin_ref)
        .where(b.c.origin_ref.is_not(None))
        .group_by(b.c.origin_ref)
        .having(func.count() > 1)
    )
    for origin_ref, bid in conn.execute(
        select(b.c.origin_ref, b.c.id).where(b.c.origin_ref.in_(repeated)).order_by(b.c.id)
    ):
        seen[origin_ref].append(bid)
    for batch in batches:
        others = [bid for bid in seen.get(batch.origin_ref, []) if bid != batch.id]
        if others:
            yield Flag(
                "duplicate_origin",
                batch.id,
                f"origin reference {batch.origin_ref!r} was also issued as {', '.join(others)}",
            )


def conflict_flags(batches: Iterable[Any]) -> Iterator[Flag]:
    """Batches attested by their project's owner or by their own issuer."""
    for batch in batches:
        if batch.verifier in (batch.project_owner, batch.issuer):
            role = "owns the project" if batch.verifier == batch.project_owner else "issued it"
            yield Flag("verifier_conflict", batch.id, f"verifier {batch.verifier} {role}")


def methodology_flags(batches: Iterable[Any], history: RegistryHistory) -> Iterator[Flag]:
    """Batches issued when their methodology was withdrawn, a draft, or not registered."""
    for batch in batches:
        status = history.status_at(batch.methodology, batch.issued_at)
        if status != "active":
            yield Flag(
                "methodology_withdrawn",
                batch.id,
                f"methodology {batch.methodology} was "
                f"{status or 'not registered'} at entry {batch.issued_at}",
            )


def supply_flags(conn: Connection, batches: Sequence[Any]) -> Iterator[Flag]:
    """Batches whose counters do not add up or disagree with the ranges held in each status."""
    h = schema.holdings
    ids = [batch.id for batch in batches]
    ranges: dict[tuple[str, str], int] = {}
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        for bid, status, grams in conn.execute(
            select(h.c.batch, h.c.status, func.sum(h.c.serial_end - h.c.serial_start))
            .where(h.c.batch.in_(chunk))
            .group_by(h.c.batch, h.c.status)
        ):
            ranges[(bid, status)] = int(grams)
    for batch in batches:
        parts = [getattr(batch, status) for status in STATUSES]
        if batch.issued != sum(parts) or min(parts) < 0:
            yield Flag(
                "supply_mismatch",
                batch.id,
                f"issued {batch.issued} g != held {parts[0]} + pledged {parts[1]} + retired "
                f"{parts[2]} + cancelled {parts[3]} g",
            )
        if batch.serial_end - batch.serial_start != batch.issued:
            yield Flag(
                "supply_mismatch",
                batch.id,
                f"serials {batch.serial_start}-{batch.serial_end} are not the {batch.issued} g "
                "issued",
            )
        for status, counted in zip(STATUSES, parts, strict=True):
            found = ranges.get((batch.id, status), 0)
            if found != counted:
                yield Flag(
                    "supply_mismatch",
                    batch.id,
                    f"{status} ranges add up to {found} g, the counter says {counted} g",
                )
