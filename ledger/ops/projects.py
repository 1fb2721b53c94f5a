"""Projects, approved by their program's administrator under an active methodology."""

from __future__ import annotations

from ledger.errors import NotFound, RuleViolation
from ledger.ops.context import Context, Event, participant, require_administrator
from ledger.ops.fields import Id, Message, Region, Text
from ledger.records import Project
from ledger.state import Table


class RegisterProject(Message):
    id: Id
    program: Id
    owner: Id
    methodology: Id
    title: Text
    region: Region
    city: Text | None = None
    location: Text | None = None
    approval_ref: Text | None = None


def register_project(body: RegisterProject, ctx: Context) -> Event:
    require_administrator(ctx, body.program)
    if ctx.state.project(body.id) is not None:
        raise RuleViolation(f"project {body.id} exists", code="duplicate_project")
    participant(ctx, body.owner)
    method = ctx.state.methodology(body.methodology)
    if method is None or method.program != body.program:
        raise NotFound(
            f"methodology {body.methodology} is not filed under {body.program}",
            code="unknown_methodology",
        )
    if method.status != "active":
        raise RuleViolation(
            f"methodology {method.id} is {method.status}", code="methodology_inactive"
        )
    ctx.state.put(
        Table.PROJECT,
        body.id,
        Project(
            body.id,
            body.program,
            body.owner,
            body.methodology,
            body.title,
            body.region,
            body.city,
            body.location,
            body.approval_ref,
            ctx.index,
        ),
    )
    return Event("register_project", ctx.index, {"project": body.id})
