"""Every ledger operation: its message schema and the function that applies it.

Each module holds one operation (or a small family on one record): a frozen pydantic message
for stateless checks and an ``apply`` that checks the rules against state and returns an event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ledger.ops import (
    accounts,
    aggregate,
    amend_event_emissions,
    cancel,
    commit_balances,
    correct,
    genesis,
    issue,
    methodologies,
    open_accounts,
    participants,
    pledge,
    programs,
    projects,
    redeem,
    reductions,
    register_case,
    register_event,
    retire,
    revenue,
    transfer,
)
from ledger.ops.context import Context, Event
from ledger.ops.fields import Message
from ledger.ops.holdings import lot_reads
from ledger.state import Table


@dataclass(frozen=True, slots=True)
class OpSpec:
    name: str
    body: type[Message]
    apply: Callable[[Any, Context], Event]
    reads: Callable[[dict[str, Any]], Iterable[tuple[Table, Any]]] | None = None
    """The records ``apply`` will read, named from the raw body: the sequencer loads a whole
    group's with one query per table. A hint only (a malformed body names nothing)."""


OPERATIONS: dict[str, OpSpec] = {
    spec.name: spec
    for spec in (
        OpSpec("genesis", genesis.Body, genesis.apply),
        OpSpec(
            "register_participant",
            participants.RegisterParticipant,
            participants.register_participant,
        ),
        OpSpec("add_key", participants.AddKey, participants.add_key),
        OpSpec("revoke_key", participants.RevokeKey, participants.revoke_key),
        OpSpec("register_program", programs.RegisterProgram, programs.register_program),
        OpSpec("set_program_role", programs.SetProgramRole, programs.set_program_role),
        OpSpec(
            "register_methodology",
            methodologies.RegisterMethodology,
            methodologies.register_methodology,
        ),
        OpSpec(
            "set_methodology_status",
            methodologies.SetMethodologyStatus,
            methodologies.set_methodology_status,
        ),
        OpSpec("register_project", projects.RegisterProject, projects.register_project),
        OpSpec("open_account", accounts.OpenAccount, accounts.open_account),
        OpSpec("change_custodian", accounts.ChangeCustodian, accounts.change_custodian),
        OpSpec("issue", issue.Issue, issue.issue),
        OpSpec(
            "transfer",
            transfer.TransferCredits,
            transfer.transfer,
            lot_reads("from_account", "to_account"),
        ),
        OpSpec("retire", retire.Retire, retire.retire, lot_reads("account")),
        OpSpec("cancel", cancel.Cancel, cancel.cancel, lot_reads("account")),
        OpSpec("pledge", pledge.PledgeCredits, pledge.pledge, lot_reads("account")),
        OpSpec("release_pledge", pledge.ClosePledge, pledge.release_pledge),
        OpSpec("enforce_pledge", pledge.ClosePledge, pledge.enforce_pledge),
        OpSpec("correct", correct.Correct, correct.correct),
        OpSpec("register_event", register_event.RegisterEvent, register_event.register_event),
        OpSpec(
            "amend_event_emissions",
            amend_event_emissions.AmendEventEmissions,
            amend_event_emissions.amend_event_emissions,
        ),
        OpSpec("register_case", register_case.RegisterCase, register_case.register_case),
        OpSpec("record_reductions", reductions.RecordReductions, reductions.record_reductions),
        OpSpec("open_accounts", open_accounts.OpenAccounts, open_accounts.open_accounts),
        OpSpec("redeem", redeem.Redeem, redeem.redeem),
        OpSpec("aggregate", aggregate.Aggregate, aggregate.aggregate),
        OpSpec("record_revenue_share", revenue.RecordRevenueShare, revenue.record_revenue_share),
        OpSpec("commit_balances", commit_balances.CommitBalances, commit_balances.commit_balances),
    )
}

__all__ = ["OPERATIONS", "Context", "Event", "OpSpec"]
