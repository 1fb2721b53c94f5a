"""Making a certificate's proof bundle from a ledger database.

``make_bundle`` finds the records a certificate rests on (``claims.Refs``), proves each one's
inclusion under the latest signed checkpoint (``ledger.verifier.make_inclusion_proof``),
computes the claims from those records exactly as the offline verifier will, and checks them
against the ledger's own state tables: a ledger whose tables disagree with its records gets no
certificate. Only records under a sealed checkpoint are certified.

Bundle format ``carbonledger-certificate/1`` (JSON): ``log_vkey``, ``refs`` (which records,
allocated serial ranges), ``claims`` (what the certificate states, with the checkpoint) and
``proofs`` (one ``carbonledger-inclusion/1`` document per record).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, select

from ledger import queries
from ledger.certificates.claims import CANCELLATION, RETIREMENT, Proven, Refs, compute_claims
from ledger.checkpoint import Checkpoint
from ledger.entry import parse_entry, parse_record
from ledger.errors import InvalidInput, NotFound, TamperDetected
from ledger.merkle.proofs import inclusion_nodes
from ledger.note import b64encode
from ledger.ops.event_coverage import names_event
from ledger.storage import schema
from ledger.verifier import make_inclusion_proof

FORMAT = "carbonledger-certificate/1"
CHUNK = 400
KINDS = (RETIREMENT, CANCELLATION)


def make_bundle(engine: Engine, kind: str, subject: str) -> dict[str, Any]:
    """The proof bundle of the certificate of ``subject``: RET-<i> or EVT-<i> for a retirement
    certificate, CAN-<i> or a case number for a cancellation certificate."""
    if kind not in KINDS:
        raise InvalidInput(f"certificate kind {kind!r}, want retirement or cancellation")
    info = queries.ledger_info(engine)
    size = info.sealed_size
    with engine.connect() as conn:
        if kind == RETIREMENT:
            refs, state = _retirement_refs(conn, subject, size)
        else:
            refs, state = _cancellation_refs(conn, subject, size)
    indexes = sorted(
        {
            *refs.records,
            *refs.corrections,
            *refs.amendments,
            *refs.batches.values(),
            *refs.projects.values(),
            *([refs.group] if refs.group is not None else []),
        }
    )
    checkpoint = queries.checkpoint(engine, size)
    note = checkpoint.note.encode()
    proofs, proven = [], {}
    for index, (record_raw, path) in prove(engine, indexes, size).items():
        proofs.append(make_inclusion_proof(record_raw, index, path, note))
        record = parse_record(record_raw)
        proven[index] = Proven(index, record.time_ms, parse_entry(record.entry_raw))
    claims = compute_claims(refs, proven)
    _cross_check(claims, state)
    claims["checkpoint"] = checkpoint_claim(
        Checkpoint(info.origin, checkpoint.size, checkpoint.root)
    )
    return {
        "format": FORMAT,
        "log_vkey": info.log_vkey,
        "refs": refs.to_json(),
        "claims": claims,
        "proofs": proofs,
    }


def prove(
    engine: Engine, indexes: Sequence[int], size: int
) -> dict[int, tuple[bytes, list[bytes]]]:
    """Each record of ``indexes`` with its inclusion proof in the tree of ``size``, in order.

    Records and Merkle nodes are read in chunks by primary key (an OR of equalities, which
    SQLite answers from the index), however many records a certificate rests on.
    """
    e = schema.entries
    plans = {index: inclusion_nodes(index, size) for index in indexes}
    wanted = sorted({node for plan in plans.values() for node in plan.ids})
    hashes: dict[tuple[int, int], bytes] = {}
    records: dict[int, bytes] = {}
    with engine.connect() as conn:
        for start in range(0, len(wanted), CHUNK):
            hashes.update(_nodes(conn, wanted[start : start + CHUNK]))
        for start in range(0, len(indexes), CHUNK):
            some = list(indexes[start : start + CHUNK])
            rows = conn.execute(select(e.c.idx, e.c.record).where(e.c.idx.in_(some)))
            records.update((int(i), bytes(r)) for i, r in rows)
    missing = [i for i in indexes if i not in records]
    if missing:
        raise NotFound(f"no entry at index {missing[0]}", code="unknown_entry")
    return {
        index: (records[index], plans[index].assemble([hashes[node] for node in plans[index].ids]))
        for index in indexes
    }


def _nodes(conn: Connection, ids: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """The stored hashes of Merkle nodes ``ids``; NotFound (``missing_nodes``) if one is not."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    where = " OR ".join([f"(level = {mark} AND idx = {mark})"] * len(ids))
    params = tuple(value for node in ids for value in node)
    rows = conn.exec_driver_sql(f"SELECT level, idx, hash FROM merkle_nodes WHERE {where}", params)
    found = {(int(r[0]), int(r[1])): bytes(r[2]) for r in rows}
    missing = [node for node in ids if node not in found]
    if missing:
        raise NotFound(f"Merkle nodes {missing[:3]} are not stored", code="missing_nodes")
    return found


def checkpoint_claim(checkpoint: Checkpoint) -> dict[str, Any]:
    return {
        "origin": checkpoint.origin,
        "size": checkpoint.size,
        "root": b64encode(checkpoint.root),
    }


def _unsealed(what: str, index: int, size: int) -> NotFound:
    return NotFound(
        f"{what} (entry {index}) is not yet under a signed checkpoint (sealed size {size})",
        code="not_sealed",
    )


def _retirement_refs(conn: Connection, subject: str, size: int) -> tuple[Refs, dict[str, Any]]:
    r, ev = schema.retirements, schema.events
    state: dict[str, Any] = {}
    if names_event(subject):
        event = conn.execute(select(ev).where(ev.c.id == subject)).first()
        if event is None:
            raise NotFound(f"event {subject!r} is not registered", code="unknown_event")
        rows = conn.execute(
            select(r)
            .where(r.c.event_ref == subject, r.c.idx > event.idx, r.c.idx < size)
            .order_by(r.c.idx)
        ).all()
        if not rows:
            raise NotFound(
                f"no retirement for {subject} is under a signed checkpoint yet",
                code="nothing_to_certify",
            )
        late = conn.execute(
            select(r.c.idx).where(r.c.event_ref == subject, r.c.idx >= size).limit(1)
        ).first()
        state = {"event": event, "coverage_sealed": late is None}
    else:
        row = conn.execute(select(r).where(r.c.id == subject)).first()
        if row is None:
            raise NotFound(f"retirement {subject!r} does not exist", code="unknown_retirement")
        if row.idx >= size:
            raise _unsealed(subject, row.idx, size)
        rows = [row]
        if names_event(row.event_ref):
            event = conn.execute(select(ev).where(ev.c.id == row.event_ref)).first()
            state = {"event": event, "coverage_sealed": False}
    records = [row.idx for row in rows]
    c = schema.corrections
    corrections = [
        idx
        for idx, details in conn.execute(
            select(c.c.idx, c.c.details)
            .where(c.c.action == "amend_retirement", c.c.corrects.in_(records), c.c.idx < size)
            .order_by(c.c.idx)
        )
        if orjson.loads(details).get("retirement") in {row.id for row in rows}
    ]
    event = state.get("event")
    group = None if event is None else int(event.idx)
    amendments: list[int] = []
    if event is not None:
        el = schema.event_emissions
        lines = {
            int(i)
            for (i,) in conn.execute(
                select(el.c.idx).where(el.c.event == event.id, el.c.idx != event.idx).distinct()
            )
        }
        amendments = sorted(i for i in lines if i < size)
        state["emissions_sealed"] = len(amendments) == len(lines)
    return _refs(conn, RETIREMENT, subject, rows, corrections, group, amendments), state


def _cancellation_refs(conn: Connection, subject: str, size: int) -> tuple[Refs, dict[str, Any]]:
    c, k = schema.cancellations, schema.compensation_cases
    case = conn.execute(select(k).where(k.c.case_number == subject)).first()
    state: dict[str, Any] = {}
    if case is not None:
        rows = conn.execute(
            select(c)
            .where(c.c.case_number == subject, c.c.idx > case.idx, c.c.idx < size)
            .order_by(c.c.idx)
        ).all()
        if not rows:
            raise NotFound(
                f"no cancellation for case {subject!r} is under a signed checkpoint yet",
                code="nothing_to_certify",
            )
        late = conn.execute(
            select(c.c.idx).where(c.c.case_number == subject, c.c.idx >= size).limit(1)
        ).first()
        state = {"case": case, "coverage_sealed": late is None}
    else:
        row = conn.execute(select(c).where(c.c.id == subject)).first()
        if row is None:
            raise NotFound(
                f"{subject!r} is neither a cancellation nor a registered case",
                code="unknown_cancellation",
            )
        if row.idx >= size:
            raise _unsealed(subject, row.idx, size)
        rows = [row]
        if row.case_number is not None:
            found = conn.execute(select(k).where(k.c.case_number == row.case_number)).first()
            if found is not None and found.idx < row.idx:
                case = found
                state = {"case": case, "coverage_sealed": False}
    group = None if case is None else int(case.idx)
    return _refs(conn, CANCELLATION, subject, rows, [], group, []), state


def _refs(
    conn: Connection,
    kind: str,
    subject: str,
    rows: Sequence[Any],
    corrections: list[int],
    group: int | None,
    amendments: list[int],
) -> Refs:
    serials: dict[str, dict[str, list[list[int]]]] = {}
    for row in rows:
        lots = orjson.loads(row.lots)
        serials[row.id] = {lot["batch"]: [list(r) for r in lot["ranges"]] for lot in lots}
    used = sorted({batch for lots in serials.values() for batch in lots})
    b, p = schema.batches, schema.projects
    issued = dict(conn.execute(select(b.c.id, b.c.issued_at).where(b.c.id.in_(used))).all())
    projects_of = dict(conn.execute(select(b.c.id, b.c.project).where(b.c.id.in_(used))).all())
    wanted = sorted(set(projects_of.values()))
    registered = dict(
        conn.execute(select(p.c.id, p.c.registered_at).where(p.c.id.in_(wanted))).all()
    )
    return Refs(
        kind=kind,
        subject=subject,
        records=[int(row.idx) for row in rows],
        corrections=corrections,
        group=group,
        amendments=amendments,
        batches={bid: int(issued[bid]) for bid in used if bid in issued},
        projects={pid: int(registered[pid]) for pid in wanted if pid in registered},
        serials=serials,
    )


def _cross_check(claims: dict[str, Any], state: dict[str, Any]) -> None:
    """The ledger's tables must say what its records say, or no certificate is made."""
    pairs: list[tuple[str, Any, Any]] = []
    event, case = state.get("event"), state.get("case")
    if event is not None and claims.get("event") is not None:
        if state.get("emissions_sealed"):
            pairs.append(("event emissions", claims["event"]["emitted"], event.emitted))
        if state.get("coverage_sealed"):
            pairs.append(("event coverage", claims["event"]["covered"], event.covered))
    if case is not None and claims.get("case") is not None:
        pairs.append(("case requirement", claims["case"]["required"], case.required))
        if state.get("coverage_sealed"):
            pairs.append(("case cancellations", claims["case"]["cancelled"], case.cancelled))
    for what, from_records, stored in pairs:
        if from_records != stored:
            raise TamperDetected(
                f"{what}: the records give {from_records}, the ledger's tables {stored}",
                index=None,
            )
