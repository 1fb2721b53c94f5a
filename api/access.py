"""Who may read what: an account's holdings and history are visible only to its holder, its
custodian (the platform keeping a personal account) and program administrators.

Every other read is public: the log, checkpoints and proofs, the registry (participants' public
information, programs, methodologies, projects), batches and their supply, retirements,
cancellations, pledges and trades. ``docs/api.md`` has the matrix.
"""

from __future__ import annotations

from sqlalchemy import Engine, select

from api.auth import Caller
from ledger.errors import RuleViolation
from ledger.queries import AccountView
from ledger.storage import schema


def administers_a_program(engine: Engine, participant: str) -> bool:
    """Whether ``participant`` is the administrator of at least one program."""
    p = schema.programs
    with engine.connect() as conn:
        found = conn.execute(
            select(p.c.code).where(p.c.administrator == participant).limit(1)
        ).first()
    return found is not None


def require_account_reader(engine: Engine, caller: Caller, account: AccountView) -> None:
    """Return if ``caller`` may read ``account``; raise ``not_authorised`` if not.

    The holder and the custodian see their account; a program administrator sees every account,
    since any account may hold credits of the administrator's program.
    """
    if caller.participant in (account.holder, account.custodian):
        return
    if administers_a_program(engine, caller.participant):
        return
    raise RuleViolation(
        f"{caller.participant!r} neither holds nor keeps account {account.id!r} and "
        "administers no program",
        code="not_authorised",
        account=account.id,
    )
