"""Programs (credit types such as CDCER or PHCER) and the roles they grant.

The registrar registers a program and names its administrator (the regulator); the
administrator accredits issuers, verifiers and platform recorders (platforms that record
personal reductions in bulk, `ledger.ops.reductions`) for it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from ledger.errors import RuleViolation
from ledger.ops.context import Context, Event, participant, require_administrator, require_registrar
from ledger.ops.fields import Message, Region, Text
from ledger.records import Program
from ledger.state import Table

ProgramCode = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]{1,15}$")]


class RegisterProgram(Message):
    code: ProgramCode
    name: Text
    region: Region
    administrator: Annotated[str, Field(min_length=1, max_length=128)]


class SetProgramRole(Message):
    program: ProgramCode
    participant: Annotated[str, Field(min_length=1, max_length=128)]
    role: Literal["issuer", "verifier", "platform_recorder"]
    granted: bool = True


def register_program(body: RegisterProgram, ctx: Context) -> Event:
    require_registrar(ctx)
    if ctx.state.program(body.code) is not None:
        raise RuleViolation(f"program {body.code} exists", code="duplicate_program")
    participant(ctx, body.administrator)
    ctx.state.put(
        Table.PROGRAM,
        body.code,
        Program(body.code, body.name, body.region, body.administrator, ctx.index),
    )
    return Event("register_program", ctx.index, {"program": body.code})


def set_program_role(body: SetProgramRole, ctx: Context) -> Event:
    require_administrator(ctx, body.program)
    participant(ctx, body.participant)
    roles = set(ctx.state.program_roles(body.program, body.participant))
    if body.granted:
        roles.add(body.role)
    else:
        roles.discard(body.role)
    ctx.state.put(Table.PROGRAM_ROLES, (body.program, body.participant), frozenset(roles))
    return Event(
        "set_program_role",
        ctx.index,
        {"program": body.program, "participant": body.participant, "roles": sorted(roles)},
    )
