"""Bulk recording of personal reductions: thousands of small records issued in one entry.

A platform collects its users' reductions (rides, charging, recycling...) and submits them in
one signed entry, co-signed by the third-party verifier whose report (by digest) attests them.
The rule a regulator expects, checked here:

- the signer is a platform accredited by the program administrator as a ``platform_recorder``
  of the program, and owns the project the administrator registered for this collection (its
  methodology is the one every row must name, and it must be active); such a project only
  records personal reductions, and ``issue`` refuses it (``project_kind_conflict``), so no
  reduction is issued twice by the two paths;
- the verifier is accredited in the program, is neither the platform nor the project owner, and
  co-signs the entry;
- every row credits a personal account in the signer's custody with a positive number of grams
  measured within the monitoring period (and not after the entry), under the project's
  methodology, with an evidence digest never recorded before, in this entry or any other.

Any bad row refuses the whole entry, every bad row named (``ledger.ops.row_problems``); nothing
is written. An accepted entry issues ONE batch (kind ``personal``), its serial range allocated
like any issuance; each account's rows are credited as one contiguous sub-range (accounts in
ascending order of id, each account's rows in row order), so supply, serial tiling, ``check``
and ``verify`` hold as for any batch. Every record's evidence digest is stored with the entry
and row it came from: the unique key that refuses a second recording of the same measurement.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from itertools import accumulate, repeat
from operator import attrgetter, itemgetter
from typing import Annotated, Any

from pydantic import Field, model_validator

from ledger.errors import NotFound, RuleViolation
from ledger.ops.context import Context, Event, deny, require_role
from ledger.ops.fields import Digest, Id, IsoDate, Message, Parameter
from ledger.ops.reduction_rows import MAX_ROWS, Rows, parse_rows, period_ms
from ledger.ops.row_problems import RowProblem, reject_rows
from ledger.records import Account, Batch, Methodology, Program, Project
from ledger.state import Table

RECORDER_ROLE = "platform_recorder"


class RecordReductions(Message):
    project: Id
    period_start: IsoDate
    period_end: IsoDate
    verifier: Id
    report_digest: Digest
    verified_on: IsoDate
    parameters: Annotated[list[Parameter], Field(max_length=64, default_factory=list)]
    rows: Annotated[list[Any], Field(min_length=1, max_length=MAX_ROWS)]
    """``[account, scenario, methodology, grams, time_ms, evidence_digest]`` each."""

    @model_validator(mode="after")
    def _periods_in_order(self) -> RecordReductions:
        if self.period_end < self.period_start:
            raise ValueError("period_end is before period_start")
        if self.verified_on < self.period_end:
            raise ValueError("verified_on is before the end of the monitoring period")
        return self


def record_reductions(body: RecordReductions, ctx: Context) -> Event:
    rows, problems = parse_rows(body.rows, *period_ms(body.period_start, body.period_end))
    project, program, method = _accreditation(body, ctx)
    # Thousands of accounts among millions, checked once and not written: counted where they
    # are stored, and loaded (not cached) only to name the rows of an entry that fails.
    distinct = set(rows.accounts)
    accounts = (
        None
        if ctx.state.accounts_in_custody(distinct, ctx.signer)
        else ctx.state.get_many(Table.ACCOUNT, distinct)
    )
    problems += _row_rules(rows, ctx, method, accounts)
    if problems:
        reject_rows(problems)
    return _issue(body, ctx, rows, (project, program, method))


def _accreditation(body: RecordReductions, ctx: Context) -> tuple[Project, Program, Methodology]:
    """The entry-level rules: who may record, under which project, verified by whom."""
    state = ctx.state
    require_role(ctx, ctx.signer, "platform")
    project = state.project(body.project)
    if project is None:
        raise NotFound(f"project {body.project} does not exist", code="unknown_project")
    if project.owner != ctx.signer:
        deny(f"project {project.id} belongs to {project.owner!r}, not {ctx.signer!r}")
    program = state.program(project.program)
    assert program is not None, "a project's program always exists"
    if RECORDER_ROLE not in state.program_roles(program.code, ctx.signer):
        deny(f"{ctx.signer!r} is not a platform recorder of {program.code}", program=program.code)
    if "verifier" not in state.program_roles(program.code, body.verifier):
        deny(
            f"{body.verifier!r} is not an accredited verifier of {program.code}",
            program=program.code,
        )
    if body.verifier in (project.owner, ctx.signer):
        raise RuleViolation(
            f"verifier {body.verifier!r} may not attest its own records", code="verifier_conflict"
        )
    ctx.require_signature(body.verifier, "the verification attestation")
    # A project with personal batches has no other kind (``issue`` refuses it): only its first
    # bulk entry needs to look, and never loads the periods of thousands of personal batches.
    if not state.personal_project(project.id) and state.project_periods(project.id):
        raise RuleViolation(
            f"project {project.id} has batches issued by issue; personal records need a "
            "project of their own",
            code="project_kind_conflict",
        )
    method = state.methodology(project.methodology)
    assert method is not None, "a project's methodology always exists"
    if method.status != "active":
        raise RuleViolation(
            f"methodology {method.id} is {method.status}", code="methodology_inactive"
        )
    return project, program, method


def _row_rules(
    rows: Rows, ctx: Context, method: Methodology, accounts: Mapping[str, Account | None] | None
) -> list[RowProblem]:
    """Problems of well-formed rows against state: one lookup per distinct value.
    ``accounts`` is None when every account is known to be in the signer's custody."""
    state = ctx.state
    recorded = state.get_many(Table.EVIDENCE, rows.digests)
    methods = {mid: _methodology_problem(ctx, mid, method) for mid in set(rows.methodologies)}
    # The common case, decided per distinct value: no row needs to be looked at one by one.
    if (
        set(methods.values()) <= {None}
        and set(recorded.values()) <= {None}
        and (
            accounts is None
            or (
                set(map(type, accounts.values())) <= {Account}
                and set(map(_KIND_AND_CUSTODIAN, accounts.values())) <= {("personal", ctx.signer)}
            )
        )
        and max(rows.times, default=0) <= ctx.time_ms
    ):
        return []
    problems: list[RowProblem] = []
    for n, account_id, methodology, time_ms, digest in zip(
        rows.positions, rows.accounts, rows.methodologies, rows.times, rows.digests, strict=True
    ):
        if accounts is not None:
            problems += _account_problems(n, account_id, accounts[account_id], ctx.signer)
        found = methods[methodology]
        if found is not None:
            problems.append(RowProblem(n, found[0], found[1]))
        if time_ms > ctx.time_ms:
            problems.append(RowProblem(n, "future_time", f"time {time_ms} is after the entry"))
        index = recorded[digest]
        if index is not None:
            problems.append(
                RowProblem(n, "duplicate_evidence", f"evidence recorded at entry {index}")
            )
    return problems


_KIND_AND_CUSTODIAN = attrgetter("kind", "custodian")


def _account_problems(
    n: int, account_id: str, account: Account | None, signer: str
) -> list[RowProblem]:
    if account is None:
        return [RowProblem(n, "unknown_account", f"account {account_id!r} does not exist")]
    if account.kind != "personal" or account.custodian != signer:
        return [RowProblem(n, "not_in_custody", f"{account_id!r} is not in {signer}'s custody")]
    return []


def _methodology_problem(ctx: Context, mid: str, method: Methodology) -> tuple[str, str] | None:
    if mid == method.id:
        return None
    other = ctx.state.methodology(mid)
    if other is None:
        return "unknown_methodology", f"methodology {mid!r} is not registered"
    if other.status != "active":
        return "methodology_inactive", f"methodology {mid} is {other.status}"
    return "methodology_mismatch", f"the project's methodology is {method.id}, not {mid}"


def _issue(
    body: RecordReductions,
    ctx: Context,
    rows: Rows,
    accredited: tuple[Project, Program, Methodology],
) -> Event:
    """One batch for the whole entry; each account's rows as one sub-range of it."""
    state = ctx.state
    project, program, method = accredited
    totals = dict.fromkeys(sorted(set(rows.accounts)), 0)
    for account, grams in zip(rows.accounts, rows.grams, strict=True):
        totals[account] += grams
    serial_start = program.next_serial
    # accounts in ascending order of id, each a sub-range after the one before
    ends = list(accumulate(totals.values(), initial=serial_start))
    ranges = list(zip(totals, ends[:-1], ends[1:], strict=True))
    cursor = ends[-1]
    number = program.batch_count + 1
    bid = f"{program.code}-{body.period_start[:4]}-{number:06d}"
    # (digest, idx, position), sorted by digest: the unique index takes them page after page.
    index = ctx.index
    evidence = sorted(zip(rows.digests, repeat(index), rows.positions), key=itemgetter(0))
    quantity = cursor - serial_start
    state.put(
        Table.PROGRAM,
        program.code,
        dataclasses.replace(program, batch_count=number, next_serial=cursor),
    )
    state.put(
        Table.BATCH,
        bid,
        Batch(
            id=bid,
            program=program.code,
            project=project.id,
            methodology=method.id,
            vintage_start=body.period_start,
            vintage_end=body.period_end,
            serial_start=serial_start,
            serial_end=cursor,
            origin_ref=None,
            verifier=body.verifier,
            report_digest=body.report_digest,
            verified_on=body.verified_on,
            issuer=ctx.signer,
            issued_at=ctx.index,
            parameters=tuple(p.model_dump() for p in body.parameters),
            issued=quantity,
            held=quantity,
            kind="personal",
        ),
    )
    state.put(Table.PERSONAL_PROJECT, project.id, True)
    state.credit_new_batch(bid, ranges, ctx.signer)  # _row_rules: all kept by the signer
    state.insert_rows(Table.EVIDENCE, evidence)
    state.preload(Table.EVIDENCE, zip(rows.digests, repeat(index)))
    return Event(
        "record_reductions",
        ctx.index,
        {
            "batch": bid,
            "quantity": quantity,
            "records": len(rows.digests),
            "accounts": len(totals),
            "serial_start": serial_start,
            "serial_end": cursor,
        },
    )
