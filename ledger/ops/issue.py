"""Issuance: a new batch of credits after a third-party verification.

Two parties sign: an issuer accredited under the project's program, and the verifier whose
report (by digest) attests the reductions. The ledger allocates the serial range; a project's
monitoring periods never overlap and an external origin reference is issued at most once.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated

from pydantic import Field, model_validator

from ledger.errors import NotFound, RuleViolation
from ledger.ops.context import Context, Event, deny, existing_account
from ledger.ops.fields import Digest, Grams, Id, IsoDate, Message, Parameter, Text
from ledger.records import Batch
from ledger.state import Table


class Issue(Message):
    project: Id
    vintage_start: IsoDate
    vintage_end: IsoDate
    quantity: Grams
    to_account: Id
    verifier: Id
    report_digest: Digest
    verified_on: IsoDate
    origin_ref: Text | None = None
    parameters: Annotated[list[Parameter], Field(max_length=64, default_factory=list)]

    @model_validator(mode="after")
    def _periods_in_order(self) -> Issue:
        if self.vintage_end < self.vintage_start:
            raise ValueError("vintage_end is before vintage_start")
        if self.verified_on < self.vintage_end:
            raise ValueError("verified_on is before the end of the monitoring period")
        return self


def issue(body: Issue, ctx: Context) -> Event:
    state = ctx.state
    project = state.project(body.project)
    if project is None:
        raise NotFound(f"project {body.project} does not exist", code="unknown_project")
    if state.personal_project(project.id):
        raise RuleViolation(
            f"project {project.id} records personal reductions in bulk; it is not issued",
            code="project_kind_conflict",
        )
    program = state.program(project.program)
    assert program is not None, "a project's program always exists"
    if "issuer" not in state.program_roles(program.code, ctx.signer):
        deny(f"{ctx.signer!r} is not an issuer of {program.code}", program=program.code)
    if "verifier" not in state.program_roles(program.code, body.verifier):
        deny(
            f"{body.verifier!r} is not an accredited verifier of {program.code}",
            program=program.code,
        )
    if body.verifier in (project.owner, ctx.signer):
        raise RuleViolation(
            f"verifier {body.verifier!r} may not attest its own project or issuance",
            code="verifier_conflict",
        )
    ctx.require_signature(body.verifier, "the verification attestation")
    method = state.methodology(project.methodology)
    assert method is not None, "a project's methodology always exists"
    if method.status != "active":
        raise RuleViolation(
            f"methodology {method.id} is {method.status}", code="methodology_inactive"
        )
    existing_account(ctx, body.to_account)
    if body.origin_ref is not None:
        seen = state.origin(program.code, body.origin_ref)
        if seen is not None:
            raise RuleViolation(
                f"origin reference {body.origin_ref!r} was issued as {seen}",
                code="duplicate_issuance",
                batch=seen,
            )
    periods = state.project_periods(project.id)
    for start, end, other in periods:
        if start <= body.vintage_end and body.vintage_start <= end:
            raise RuleViolation(
                f"project {project.id} period {body.vintage_start}..{body.vintage_end} "
                f"overlaps batch {other} ({start}..{end})",
                code="duplicate_issuance",
                batch=other,
            )

    number = program.batch_count + 1
    bid = f"{program.code}-{body.vintage_start[:4]}-{number:06d}"
    serial_start = program.next_serial
    serial_end = serial_start + body.quantity
    state.put(
        Table.PROGRAM,
        program.code,
        dataclasses.replace(program, batch_count=number, next_serial=serial_end),
    )
    state.put(
        Table.BATCH,
        bid,
        Batch(
            id=bid,
            program=program.code,
            project=project.id,
            methodology=method.id,
            vintage_start=body.vintage_start,
            vintage_end=body.vintage_end,
            serial_start=serial_start,
            serial_end=serial_end,
            origin_ref=body.origin_ref,
            verifier=body.verifier,
            report_digest=body.report_digest,
            verified_on=body.verified_on,
            issuer=ctx.signer,
            issued_at=ctx.index,
            parameters=tuple(p.model_dump() for p in body.parameters),
            issued=body.quantity,
            held=body.quantity,
        ),
    )
    state.put(Table.HELD, (body.to_account, bid), ((serial_start, serial_end),))
    state.put(
        Table.PROJECT_PERIODS,
        project.id,
        (*periods, (body.vintage_start, body.vintage_end, bid)),
    )
    if body.origin_ref is not None:
        state.put(Table.ORIGIN, (program.code, body.origin_ref), bid)
    return Event(
        "issue",
        ctx.index,
        {
            "batch": bid,
            "quantity": body.quantity,
            "serial_start": serial_start,
            "serial_end": serial_end,
            "to_account": body.to_account,
        },
    )
