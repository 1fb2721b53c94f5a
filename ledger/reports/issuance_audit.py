"""The issuance audit a regulator runs on its own copy of the ledger.

For the batches in a scope: each batch with its verification (verifier, report digest, date,
approving issuer), its supply (issued, held, pledged, retired, cancelled) and the flags raised
on it (``audit_flags``), then the supply summed over the scope. ``audit_issuance`` reads the
copy directly and trusts none of its derived tables for the flags.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select

from ledger.queries.credits import Supply
from ledger.reports import audit_flags
from ledger.reports.audit_flags import Flag
from ledger.reports.registry_history import load_history
from ledger.reports.scope import Scope, scoped_rows
from ledger.storage import schema


@dataclass(frozen=True, slots=True)
class AuditedBatch:
    """One batch as the audit saw it."""

    id: str
    program: str
    region: str | None
    project: str
    project_owner: str | None
    methodology: str
    scenario: str | None
    vintage_start: str
    vintage_end: str
    origin_ref: str | None
    issued_at: int
    issued_time_ms: int | None
    issuer: str
    """The accredited issuer whose signature approved the issuance."""
    verifier: str
    report_digest: str
    verified_on: str
    supply: Supply
    flags: list[str]
    """Codes of the flags raised on this batch (``audit_flags.FLAGS``), sorted."""


@dataclass(frozen=True, slots=True)
class AuditReport:
    scope: Scope
    batches: list[AuditedBatch]
    flags: list[Flag]
    supply: Supply
    """Summed over the batches in scope."""
    flag_counts: dict[str, int] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return not self.flags


def audit_issuance(engine: Engine, scope: Scope | None = None) -> AuditReport:
    """Audit every batch in ``scope`` (default: all) of the ledger copy behind ``engine``."""
    scope = scope or Scope()
    e = schema.entries
    with engine.connect() as conn:
        rows = scoped_rows(conn, scope)
        history = load_history(conn)
        records: dict[int, bytes] = {}
        wanted = [row.issued_at for row in rows]
        for start in range(0, len(wanted), 900):
            chunk = wanted[start : start + 900]
            for idx, record in conn.execute(select(e.c.idx, e.c.record).where(e.c.idx.in_(chunk))):
                records[idx] = bytes(record)
        flags: list[Flag] = []
        for row in rows:
            flags.extend(audit_flags.attestation_flags(row, records.get(row.issued_at), history))
        flags.extend(audit_flags.overlap_flags(rows))
        flags.extend(audit_flags.origin_flags(conn, rows))
        flags.extend(audit_flags.conflict_flags(rows))
        flags.extend(audit_flags.methodology_flags(rows, history))
        flags.extend(audit_flags.supply_flags(conn, rows))
    order = {row.id: position for position, row in enumerate(rows)}
    flags.sort(key=lambda f: (order.get(f.batch, len(order)), f.code))
    by_batch: dict[str, set[str]] = defaultdict(set)
    counts: dict[str, int] = defaultdict(int)
    for flag in flags:
        if flag.code not in by_batch[flag.batch]:
            counts[flag.code] += 1
        by_batch[flag.batch].add(flag.code)
    batches = [_audited(row, sorted(by_batch.get(row.id, ()))) for row in rows]
    total = Supply(
        *(sum(getattr(b.supply, name) for b in batches) for name in Supply.__dataclass_fields__)
    )
    return AuditReport(scope, batches, flags, total, dict(sorted(counts.items())))


def _audited(row: Any, flags: list[str]) -> AuditedBatch:
    return AuditedBatch(
        id=row.id,
        program=row.program,
        region=row.region,
        project=row.project,
        project_owner=row.project_owner,
        methodology=row.methodology,
        scenario=row.scenario,
        vintage_start=row.vintage_start,
        vintage_end=row.vintage_end,
        origin_ref=row.origin_ref,
        issued_at=row.issued_at,
        issued_time_ms=row.issued_time_ms,
        issuer=row.issuer,
        verifier=row.verifier,
        report_digest=row.report_digest,
        verified_on=row.verified_on,
        supply=Supply(row.issued, row.held, row.pledged, row.retired, row.cancelled),
        flags=flags,
    )
