"""Registering an ecological-damage compensation case, signed by the authority that decided it.

The case names the liable party, the appraised damage in fen, the digest of the decision and
the tonnage (grams CO2e) the liable party must cancel as alternative repair. The case number is
the authority's own and identifies the case for good. Cancellations that name it count toward
it (``ledger.ops.case_compensation``); it closes when they reach the required tonnage.
"""

from __future__ import annotations

from ledger.errors import RuleViolation
from ledger.ops.context import Context, Event, participant, require_role
from ledger.ops.fields import Digest, Fen, Grams, Id, LongText, Message, Region, Text
from ledger.records import CompensationCase
from ledger.state import Table


class RegisterCase(Message):
    case_number: Text
    liable_party: Id
    damage_fen: Fen
    decision_digest: Digest
    required: Grams
    """Grams CO2e the liable party must cancel."""
    jurisdiction: Region
    note: LongText | None = None


def register_case(body: RegisterCase, ctx: Context) -> Event:
    require_role(ctx, ctx.signer, "authority")
    participant(ctx, body.liable_party)
    if body.liable_party == ctx.signer:
        raise RuleViolation("an authority cannot be the liable party of its own case")
    if ctx.state.case(body.case_number) is not None:
        raise RuleViolation(f"case {body.case_number!r} exists", code="duplicate_case")
    ctx.state.put(
        Table.CASE,
        body.case_number,
        CompensationCase(
            case_number=body.case_number,
            index=ctx.index,
            authority=ctx.signer,
            liable_party=body.liable_party,
            damage_fen=body.damage_fen,
            decision_digest=body.decision_digest,
            required=body.required,
            cancelled=0,
            status="open",
            jurisdiction=body.jurisdiction,
            note=body.note,
        ),
    )
    return Event("register_case", ctx.index, {"case": body.case_number, "required": body.required})
