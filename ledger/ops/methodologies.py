"""Methodologies filed under a program, and their status (draft, active, withdrawn)."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Literal

from pydantic import Field

from ledger.errors import NotFound, RuleViolation
from ledger.ops.context import Context, Event, require_administrator
from ledger.ops.fields import Id, Message, Parameter, Region, Text
from ledger.ops.programs import ProgramCode
from ledger.records import Methodology
from ledger.state import Table

Status = Literal["draft", "active", "withdrawn"]


class RegisterMethodology(Message):
    program: ProgramCode
    code: Id
    version: Annotated[str, Field(pattern=r"^[0-9A-Za-z.\-]{1,16}$")]
    title: Text
    scenario: Text
    region: Region
    status: Status = "active"
    parameters: Annotated[list[Parameter], Field(max_length=64, default_factory=list)]


class SetMethodologyStatus(Message):
    methodology: Id
    status: Status


def methodology_id(code: str, version: str) -> str:
    return f"{code}:{version}"


def register_methodology(body: RegisterMethodology, ctx: Context) -> Event:
    require_administrator(ctx, body.program)
    mid = methodology_id(body.code, body.version)
    if ctx.state.methodology(mid) is not None:
        raise RuleViolation(f"methodology {mid} exists", code="duplicate_methodology")
    ctx.state.put(
        Table.METHODOLOGY,
        mid,
        Methodology(
            mid,
            body.program,
            body.code,
            body.version,
            body.title,
            body.scenario,
            body.region,
            body.status,
            tuple(p.model_dump() for p in body.parameters),
            ctx.index,
        ),
    )
    return Event("register_methodology", ctx.index, {"methodology": mid})


def set_methodology_status(body: SetMethodologyStatus, ctx: Context) -> Event:
    found = ctx.state.methodology(body.methodology)
    if found is None:
        raise NotFound(f"methodology {body.methodology} does not exist", code="unknown_methodology")
    require_administrator(ctx, found.program)
    if found.status == "withdrawn":
        raise RuleViolation(
            f"methodology {found.id} is withdrawn for good", code="methodology_withdrawn"
        )
    ctx.state.put(Table.METHODOLOGY, found.id, dataclasses.replace(found, status=body.status))
    return Event(
        "set_methodology_status", ctx.index, {"methodology": found.id, "status": body.status}
    )
