"""What an operation sees while it is applied, and the checks every operation shares."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NoReturn

from ledger.errors import NotFound, RuleViolation
from ledger.records import Account, Batch, Participant, Program
from ledger.state import State


@dataclass(frozen=True, slots=True)
class Context:
    """One entry being applied: who signed it, where it sits in the log, and the state."""

    state: State
    index: int
    time_ms: int
    signer: str
    signed_by: frozenset[str]
    origin: str

    def require_signature(self, pid: str, why: str) -> None:
        """Require that ``pid`` signed this entry (the signer or a co-signer)."""
        if pid not in self.signed_by:
            raise RuleViolation(
                f"{why}: a signature from {pid!r} is required",
                code="missing_cosignature",
                participant=pid,
            )


@dataclass(frozen=True, slots=True)
class Event:
    """What an applied entry did; ``data`` is plain JSON for people and scripts."""

    op: str
    index: int
    data: dict[str, Any] = field(default_factory=dict)


def deny(message: str, **details: Any) -> NoReturn:
    raise RuleViolation(message, code="not_authorised", **details)


def participant(ctx: Context, pid: str) -> Participant:
    found = ctx.state.participant(pid)
    if found is None:
        raise NotFound(f"participant {pid!r} is not registered", code="unknown_participant")
    return found


def program(ctx: Context, code: str) -> Program:
    found = ctx.state.program(code)
    if found is None:
        raise NotFound(f"program {code!r} is not registered", code="unknown_program")
    return found


def batch(ctx: Context, bid: str) -> Batch:
    found = ctx.state.batch(bid)
    if found is None:
        raise NotFound(f"batch {bid!r} does not exist", code="unknown_batch")
    return found


def require_role(ctx: Context, pid: str, role: str) -> Participant:
    found = participant(ctx, pid)
    if role not in found.roles:
        deny(f"participant {pid!r} does not have the {role!r} role", role=role)
    return found


def require_registrar(ctx: Context) -> None:
    require_role(ctx, ctx.signer, "registrar")


def require_administrator(ctx: Context, code: str) -> Program:
    """The signer must administer program ``code``."""
    found = program(ctx, code)
    if found.administrator != ctx.signer:
        deny(
            f"only the administrator of {code} ({found.administrator}) may do this",
            program=code,
        )
    return found


def controlled_account(ctx: Context, aid: str) -> Account:
    """The account ``aid``, which the signer must hold or hold in custody."""
    found = ctx.state.account(aid)
    if found is None:
        raise NotFound(f"account {aid!r} does not exist", code="unknown_account")
    if ctx.signer not in (found.holder, found.custodian):
        deny(f"{ctx.signer!r} neither holds nor keeps account {aid!r}", account=aid)
    return found


def existing_account(ctx: Context, aid: str) -> Account:
    found = ctx.state.account(aid)
    if found is None:
        raise NotFound(f"account {aid!r} does not exist", code="unknown_account")
    return found
