"""What a certificate states, recomputed from the log records it rests on.

A certificate rests on records proven to be in the log: the retirements (or cancellations) it
certifies, the corrections amending them, the event (or case) they count toward with its
amendments, the issuance of every batch they drew on and the registration of every project.
``compute_claims`` turns those records into the certificate's claims: quantities in grams,
beneficiaries, purposes, the event's emissions and coverage or the case's requirement, the
batches with their projects, verifiers and serial ranges. Serial ranges and batch numbers
are allocated by the ledger's rules and are not written in any signed entry: the claims check
that the ranges given add up to the proven quantities; their exact place is shown by a replay.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from ledger.entry import Entry
from ledger.errors import VerificationError

RETIREMENT = "retirement"
CANCELLATION = "cancellation"
EVENT_PURPOSE = "event_neutrality"
STAGES = ("preparation", "hosting", "closing")


@dataclass(frozen=True, slots=True)
class Proven:
    """A record shown to be in the log: its index, sequencing time and signed entry."""

    index: int
    time_ms: int
    entry: Entry


@dataclass(frozen=True, slots=True)
class Refs:
    """Which records a certificate rests on, by log index, and the ranges allocated.

    ``subject`` is the certificate's id: a retirement (``RET-<i>``), an event (``EVT-<i>``),
    a cancellation (``CAN-<i>``) or a case number.
    """

    kind: str
    subject: str
    records: list[int]
    corrections: list[int]
    group: int | None
    """The event's or the case's registration."""
    amendments: list[int]
    batches: dict[str, int]
    """Batch id -> index of its issuance."""
    projects: dict[str, int]
    """Project id -> index of its registration."""
    serials: dict[str, dict[str, list[list[int]]]]
    """Record id -> batch id -> serial ranges [start, end) allocated to it."""

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "records": self.records,
            "corrections": self.corrections,
            "group": self.group,
            "amendments": self.amendments,
            "batches": self.batches,
            "projects": self.projects,
            "serials": self.serials,
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Refs:
        return cls(
            kind=str(value["kind"]),
            subject=str(value["subject"]),
            records=[int(i) for i in value["records"]],
            corrections=[int(i) for i in value["corrections"]],
            group=None if value["group"] is None else int(value["group"]),
            amendments=[int(i) for i in value["amendments"]],
            batches={str(k): int(v) for k, v in value["batches"].items()},
            projects={str(k): int(v) for k, v in value["projects"].items()},
            serials={
                str(rid): {str(b): [[int(s), int(e)] for s, e in r] for b, r in lots.items()}
                for rid, lots in value["serials"].items()
            },
        )


def wrong(message: str, **details: Any) -> VerificationError:
    return VerificationError(message, code="certificate_mismatch", **details)


def _record(proven: Mapping[int, Proven], index: int, op: str) -> Proven:
    found = proven.get(index)
    if found is None:
        raise wrong(f"entry {index} is not among the proven records", index=index)
    if found.entry.op != op:
        raise wrong(f"entry {index} is a {found.entry.op}, not a {op}", index=index)
    return found


def compute_claims(refs: Refs, proven: Mapping[int, Proven]) -> dict[str, Any]:
    """The certificate's claims, computed from ``proven`` records as ``refs`` arranges them.

    Raises ``certificate_mismatch`` when a record is missing, of the wrong kind, or does not
    fit the others (a retirement for another event, ranges that do not add up...).
    """
    if refs.kind == RETIREMENT:
        items = [_retirement(_record(proven, i, "retire"), refs) for i in refs.records]
        _apply_corrections(items, [_record(proven, i, "correct") for i in refs.corrections])
        group = _event(refs, proven, items)
        key = "retirements"
    elif refs.kind == CANCELLATION:
        items = [_cancellation(_record(proven, i, "cancel"), refs) for i in refs.records]
        group = _case(refs, proven, items)
        key = "cancellations"
    else:
        raise wrong(f"unknown certificate kind {refs.kind!r}")
    if not items:
        raise wrong("a certificate certifies at least one record")
    batches = _batches(refs, proven, items)
    projects = _projects(refs, proven, batches)
    return {
        "kind": refs.kind,
        "id": refs.subject,
        "quantity": sum(item["quantity"] for item in items),
        key: items,
        "event" if refs.kind == RETIREMENT else "case": group,
        "batches": batches,
        "projects": projects,
    }


def _lots(entry: Entry, rid: str, refs: Refs) -> list[dict[str, Any]]:
    """The record's lots with the ranges allocated to it, checked against what it asked."""
    asked: dict[str, int] = {}
    named: dict[str, list[list[int]]] = {}
    for lot in entry.body["lots"]:
        batch = str(lot["batch"])
        if lot.get("quantity") is not None:
            asked[batch] = asked.get(batch, 0) + int(lot["quantity"])
        else:
            start, end = int(lot["serial_start"]), int(lot["serial_end"])
            asked[batch] = asked.get(batch, 0) + end - start
            named.setdefault(batch, []).append([start, end])
    given = refs.serials.get(rid, {})
    if set(given) != set(asked):
        raise wrong(f"{rid}: serial ranges are given for {sorted(given)}, it used {sorted(asked)}")
    lots = []
    for batch in sorted(asked):
        ranges = sorted(given[batch])
        for (_, e1), (s2, _) in pairwise(ranges):
            if s2 < e1:
                raise wrong(f"{rid}: serial ranges of {batch} overlap at {s2}")
        if any(end <= start for start, end in ranges):
            raise wrong(f"{rid}: an empty serial range of {batch}")
        total = sum(end - start for start, end in ranges)
        if total != asked[batch]:
            raise wrong(
                f"{rid}: ranges of {batch} hold {total} g, the record retires {asked[batch]} g",
                record=rid,
                batch=batch,
            )
        for start, end in named.get(batch, []):
            if not any(s <= start and end <= e for s, e in ranges):
                raise wrong(f"{rid}: the record names serials {start}-{end} of {batch}")
        lots.append({"batch": batch, "quantity": total, "ranges": ranges})
    return lots


def _retirement(record: Proven, refs: Refs) -> dict[str, Any]:
    body, rid = record.entry.body, f"RET-{record.index}"
    lots = _lots(record.entry, rid, refs)
    beneficiary = body["beneficiary"]
    return {
        "id": rid,
        "index": record.index,
        "time_ms": record.time_ms,
        "account": body["account"],
        "retired_by": record.entry.signer,
        "quantity": sum(lot["quantity"] for lot in lots),
        "beneficiary": {"name": beneficiary["name"], "identifier": beneficiary.get("identifier")},
        "purpose": body["purpose"],
        "jurisdiction": body["jurisdiction"],
        "event_ref": body.get("event_ref"),
        "claim_ref": body.get("claim_ref"),
        "period": [body.get("period_start"), body.get("period_end")],
        "note": body.get("note"),
        "corrected_by": [],
        "lots": lots,
    }


def _apply_corrections(items: list[dict[str, Any]], corrections: Sequence[Proven]) -> None:
    """Amend beneficiaries and notes in log order, as ``correct`` did."""
    by_id = {item["id"]: item for item in items}
    for record in sorted(corrections, key=lambda r: r.index):
        body = record.entry.body
        item = by_id.get(str(body.get("retirement")))
        if body.get("action") != "amend_retirement" or item is None:
            raise wrong(f"entry {record.index} does not amend a certified retirement")
        if body.get("corrects") != item["index"] or record.index < item["index"]:
            raise wrong(f"entry {record.index} amends another entry than {item['id']}")
        if body.get("beneficiary") is not None:
            beneficiary = body["beneficiary"]
            item["beneficiary"] = {
                "name": beneficiary["name"],
                "identifier": beneficiary.get("identifier"),
            }
        if body.get("note") is not None:
            item["note"] = body["note"]
        item["corrected_by"].append(record.index)


def _event(refs: Refs, proven: Mapping[int, Proven], items: list[dict[str, Any]]) -> Any:
    """The event the retirements count toward, with its emissions and what they cover."""
    if refs.group is None:
        if refs.subject.startswith("EVT-") or any(
            str(i["event_ref"] or "").startswith("EVT-") for i in items
        ):
            raise wrong("the event's registration is not among the proven records")
        return None
    record = _record(proven, refs.group, "register_event")
    eid, body = f"EVT-{record.index}", record.entry.body
    sums: dict[tuple[str, str], int] = {}
    for line in body["emissions"]:
        key = (line["stage"], line["source"])
        sums[key] = sums.get(key, 0) + int(line["quantity"])
    amendments = [_record(proven, i, "amend_event_emissions") for i in sorted(refs.amendments)]
    for amendment in amendments:
        if amendment.entry.body["event"] != eid or amendment.index < record.index:
            raise wrong(f"entry {amendment.index} amends another event than {eid}")
        for change in amendment.entry.body["changes"]:
            key = (change["stage"], change["source"])
            sums[key] = sums.get(key, 0) + int(change["change"])
    for item in items:
        if item["event_ref"] != eid or item["index"] < record.index:
            raise wrong(f"{item['id']} is not a retirement for {eid}", record=item["id"])
        if item["purpose"] != EVENT_PURPOSE or item["jurisdiction"] != body["jurisdiction"]:
            raise wrong(f"{item['id']} does not count toward {eid}", record=item["id"])
    emitted = sum(sums.values())
    covered = sum(item["quantity"] for item in items)
    whole = refs.subject == eid
    return {
        "id": eid,
        "index": record.index,
        "organiser": record.entry.signer,
        "name": body["name"],
        "start_date": body["start_date"],
        "end_date": body["end_date"],
        "place": body["place"],
        "jurisdiction": body["jurisdiction"],
        "verifier": body.get("verifier"),
        "report_digest": body.get("report_digest"),
        "emissions": [[s, src, g] for (s, src), g in sorted(sums.items(), key=_stage_order) if g],
        "by_stage": {
            stage: total
            for stage in STAGES
            if (total := sum(g for (s, _), g in sums.items() if s == stage))
        },
        "amendments": [a.index for a in amendments],
        "emitted": emitted,
        "covered": covered,
        "neutral": covered >= emitted if whole else None,
    }


def _stage_order(item: tuple[tuple[str, str], int]) -> tuple[int, str]:
    (stage, source), _ = item
    return (STAGES.index(stage) if stage in STAGES else len(STAGES), source)


def _cancellation(record: Proven, refs: Refs) -> dict[str, Any]:
    body, cid = record.entry.body, f"CAN-{record.index}"
    lots = _lots(record.entry, cid, refs)
    signers = [s.signer for s in record.entry.signatures]
    return {
        "id": cid,
        "index": record.index,
        "time_ms": record.time_ms,
        "account": body["account"],
        "cancelled_by": record.entry.signer,
        "approved_by": signers[1:],
        "quantity": sum(lot["quantity"] for lot in lots),
        "reason": body["reason"],
        "case": body.get("case"),
        "destination": body.get("destination"),
        "note": body.get("note"),
        "lots": lots,
    }


def _case(refs: Refs, proven: Mapping[int, Proven], items: list[dict[str, Any]]) -> Any:
    """The case the cancellations count toward: required versus cancelled."""
    if refs.group is None:
        if not refs.subject.startswith("CAN-"):
            raise wrong("the case's registration is not among the proven records")
        return None
    record = _record(proven, refs.group, "register_case")
    body = record.entry.body
    number, authority = body["case_number"], record.entry.signer
    case = {
        "authority": authority,
        "case_number": number,
        "damage_fen": body["damage_fen"],
        "decision_digest": body["decision_digest"],
    }
    for item in items:
        if item["reason"] != "ecological_compensation" or item["case"] != case:
            raise wrong(f"{item['id']} is not a cancellation for case {number}", record=item["id"])
        if item["index"] < record.index or authority not in item["approved_by"]:
            raise wrong(f"{item['id']} was not approved by {authority} for the case")
    cancelled = sum(item["quantity"] for item in items)
    whole = refs.subject == number
    return {
        "case_number": number,
        "index": record.index,
        "authority": authority,
        "liable_party": body["liable_party"],
        "damage_fen": body["damage_fen"],
        "decision_digest": body["decision_digest"],
        "required": body["required"],
        "jurisdiction": body["jurisdiction"],
        "note": body.get("note"),
        "cancelled": cancelled,
        "closed": cancelled >= body["required"] if whole else None,
    }


def _batches(
    refs: Refs, proven: Mapping[int, Proven], items: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Each batch drawn on, from its issuance record, with the grams certified from it."""
    used: dict[str, int] = {}
    for item in items:
        for lot in item["lots"]:
            used[lot["batch"]] = used.get(lot["batch"], 0) + lot["quantity"]
    if set(refs.batches) != set(used):
        raise wrong(f"issuances are given for {sorted(refs.batches)}, needed {sorted(used)}")
    out = []
    for batch in sorted(used):
        record = _record(proven, refs.batches[batch], "issue")
        body = record.entry.body
        program, year = batch.split("-")[:2]
        if year != str(body["vintage_start"])[:4]:
            raise wrong(f"batch {batch} is not of the vintage issued by entry {record.index}")
        if used[batch] > int(body["quantity"]):
            raise wrong(f"{used[batch]} g of {batch} are certified, {body['quantity']} g issued")
        out.append(
            {
                "batch": batch,
                "program": program,
                "issued_at": record.index,
                "issuer": record.entry.signer,
                "project": body["project"],
                "vintage_start": body["vintage_start"],
                "vintage_end": body["vintage_end"],
                "verifier": body["verifier"],
                "report_digest": body["report_digest"],
                "verified_on": body["verified_on"],
                "origin_ref": body.get("origin_ref"),
                "issued": body["quantity"],
                "certified": used[batch],
            }
        )
    return out


def _projects(
    refs: Refs, proven: Mapping[int, Proven], batches: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Each project the batches came from, from its registration record."""
    wanted = sorted({b["project"] for b in batches})
    if sorted(refs.projects) != wanted:
        raise wrong(f"registrations are given for {sorted(refs.projects)}, needed {wanted}")
    out = []
    for pid in wanted:
        record = _record(proven, refs.projects[pid], "register_project")
        body = record.entry.body
        if body["id"] != pid:
            raise wrong(f"entry {record.index} registers {body['id']}, not {pid}")
        programs = {b["program"] for b in batches if b["project"] == pid}
        if programs != {body["program"]}:
            raise wrong(f"project {pid} is of {body['program']}, its batches of {programs}")
        out.append(
            {
                "id": pid,
                "title": body["title"],
                "program": body["program"],
                "owner": body["owner"],
                "methodology": body["methodology"],
                "region": body["region"],
                "city": body.get("city"),
                "registered_at": record.index,
            }
        )
    return out
