"""The credit rules under random sequences of operations, checked against a simple model.

A hypothesis state machine drives a real ledger (a fresh database per example) through random
issuances, transfers (by quantity and by serial sub-range), retirements, cancellations,
pledges, releases and enforcements among four accounts and up to two batches, singly and in
groups, with the odd restart. The model keeps, for every serial of every batch, its status and
account, and so predicts each entry's outcome. After every step the database must agree:

- per batch, issued = held + pledged + retired + cancelled, each counter matching the holdings;
- a batch's holdings tile [serial_start, serial_end) exactly: no overlap, no gap, none empty;
- every serial's account and status, and so every account's held total, are the model's;
- nothing is negative, and a rejected entry changes nothing at all.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from ledger.log import Accepted, Rejected
from ledger.storage import schema
from tests.builders import build_world
from tests.databases import fresh_database

ACCOUNTS = ("owner", "alice", "bob", "bank")
MAX_BATCHES = 2
MAX_ISSUE = 60


@dataclass
class Cell:
    """Where one serial is: its account, status and the pledge/retirement/cancellation ref."""

    account: str
    status: str = "held"
    ref: str | None = None


@dataclass
class Plan:
    """A signed entry and the code it must be rejected with (None: it must be accepted)."""

    raw: bytes
    expect: str | None


@dataclass
class PledgeModel:
    account: str
    serials: list[tuple[str, int]]
    status: str = "active"


@dataclass
class Model:
    size: int
    cells: dict[str, list[Cell]] = field(default_factory=dict)
    """Batch id to the cell of each serial, offset from the batch's first serial."""
    first: dict[str, int] = field(default_factory=dict)
    years: dict[str, int] = field(default_factory=dict)
    pledges: dict[str, PledgeModel] = field(default_factory=dict)

    def held(self, account: str, batch: str) -> list[int]:
        """Serials of ``batch`` that ``account`` holds, ascending."""
        base = self.first[batch]
        return [
            base + i
            for i, c in enumerate(self.cells[batch])
            if c.account == account and c.status == "held"
        ]

    def cell(self, batch: str, serial: int) -> Cell:
        return self.cells[batch][serial - self.first[batch]]


Taken = list[tuple[str, int]]
"""(batch, serial) pairs an entry moves."""


def likely(data: st.DataObject, label: str) -> bool:
    """True three times in four (before shrinking, which prefers True)."""
    return data.draw(st.sampled_from([True, True, True, False]), label=label)


class CreditRules(RuleBasedStateMachine):
    """A real ledger driven by random credit operations, checked against ``Model``."""

    def __init__(self) -> None:
        super().__init__()
        self.resources = ExitStack()
        directory = self.resources.enter_context(tempfile.TemporaryDirectory())
        url = self.resources.enter_context(fresh_database(Path(directory)))
        self.world = build_world(url)
        self.resources.callback(lambda: self.world.close())
        self.model = Model(size=self.world.ledger.size)

    def teardown(self) -> None:
        self.resources.close()

    # -- planning entries against the model ------------------------------------------------------
    def draw_holder(self, data: st.DataObject) -> str:
        """An account, most often one that holds something."""
        holders = [a for a in ACCOUNTS if any(self.model.held(a, b) for b in self.model.cells)]
        if holders and likely(data, "a holder"):
            return data.draw(st.sampled_from(holders), label="account")
        return data.draw(st.sampled_from(ACCOUNTS), label="account")

    def draw_lots(
        self, data: st.DataObject, account: str
    ) -> tuple[list[dict[str, Any]], Taken, str | None]:
        """One or two lot requests from ``account``; what they take, or the expected error.

        Most requests can be met; some ask for more than is held or for serials not held.
        """
        model = self.model
        simulated = {b: set(model.held(account, b)) for b in model.cells}
        requests: list[dict[str, Any]] = []
        taken: Taken = []
        code: str | None = None
        for _ in range(data.draw(st.sampled_from([1, 1, 2]), label="lot count")):
            batches = sorted(b for b in model.cells if simulated[b]) or sorted(model.cells)
            batch = data.draw(st.sampled_from(batches), label="batch")
            held = sorted(simulated[batch])
            first, end = model.first[batch], model.first[batch] + len(model.cells[batch])
            if data.draw(st.booleans(), label="by quantity"):
                if held and likely(data, "coverable quantity"):
                    quantity = data.draw(st.integers(1, len(held)), label="quantity")
                else:
                    quantity = data.draw(
                        st.integers(len(held) + 1, len(held) + 3), label="quantity"
                    )
                requests.append({"batch": batch, "quantity": quantity})
                wanted = held[:quantity] if quantity <= len(held) else None
                failure = "insufficient_credits"
            else:
                if held and likely(data, "inside a held range"):
                    start = data.draw(st.sampled_from(held), label="start")
                    stop = start + 1
                    while stop in simulated[batch] and likely(data, "longer"):
                        stop += 1
                else:
                    start = data.draw(st.integers(first, end), label="start")
                    stop = data.draw(st.integers(start + 1, end + 2), label="stop")
                requests.append({"batch": batch, "serial_start": start, "serial_end": stop})
                span = list(range(start, stop))
                wanted = span if simulated[batch].issuperset(span) else None
                failure = "serials_not_held"
            if code is not None:
                continue  # the ledger stops at the first lot that fails
            if wanted is None:
                code = failure
                continue
            simulated[batch].difference_update(wanted)
            taken.extend((batch, s) for s in wanted)
        return requests, taken, code

    def plan(self, raw: bytes, code: str | None, effect: Callable[[int], None]) -> Plan:
        """The plan for ``raw``; if it is to be accepted, ``effect(index)`` updates the model.

        The effect is applied at once, so that later entries of a group are planned after it.
        """
        if code is None:
            effect(self.model.size)
            self.model.size += 1
        return Plan(raw, code)

    def mark(self, taken: Taken, **change: Any) -> None:
        for batch, serial in taken:
            cell = self.model.cell(batch, serial)
            for name, value in change.items():
                setattr(cell, name, value)

    def plan_issue(self, data: st.DataObject) -> Plan:
        model, world = self.model, self.world
        to = data.draw(st.sampled_from(ACCOUNTS), label="to")
        quantity = data.draw(st.integers(1, MAX_ISSUE), label="quantity")
        if len(model.cells) < MAX_BATCHES:
            year = 2001 + len(model.cells)
            code = None
        else:
            year = data.draw(st.sampled_from(sorted(model.years.values())), label="year")
            code = "duplicate_issuance"
        body = world.issue_body(quantity, to=to, vintage=(f"{year}-01-01", f"{year}-12-31"))
        raw = world.sign("issuer", "issue", body, ["verifier"])

        def effect(index: int) -> None:
            program_next = sum(len(c) for c in model.cells.values())
            batch = f"PHCER-{year}-{len(model.cells) + 1:06d}"
            model.first[batch] = program_next
            model.years[batch] = year
            model.cells[batch] = [Cell(to) for _ in range(quantity)]

        return self.plan(raw, code, effect)

    def plan_transfer(self, data: st.DataObject) -> Plan:
        frm = self.draw_holder(data)
        to = data.draw(st.sampled_from([a for a in ACCOUNTS if a != frm]), label="to")
        requests, taken, code = self.draw_lots(data, frm)
        body = {"from_account": frm, "to_account": to, "lots": requests}
        raw = self.world.sign(frm, "transfer", body)
        return self.plan(raw, code, lambda index: self.mark(taken, account=to))

    def plan_retire(self, data: st.DataObject) -> Plan:
        account = self.draw_holder(data)
        requests, taken, code = self.draw_lots(data, account)
        body = {
            "account": account,
            "lots": requests,
            "beneficiary": {"name": account},
            "purpose": "enterprise_neutrality",
            "jurisdiction": "CN-GD",
        }
        raw = self.world.sign(account, "retire", body)
        return self.plan(
            raw, code, lambda index: self.mark(taken, status="retired", ref=f"RET-{index}")
        )

    def plan_cancel(self, data: st.DataObject) -> Plan:
        account = self.draw_holder(data)
        requests, taken, code = self.draw_lots(data, account)
        if data.draw(st.booleans(), label="administrative"):
            body = {"account": account, "lots": requests, "reason": "administrative_invalidation"}
            raw = self.world.sign("regulator", "cancel", body)
        else:
            body = {
                "account": account,
                "lots": requests,
                "reason": "export",
                "destination": "Verra registry",
            }
            raw = self.world.sign(account, "cancel", body)
        return self.plan(
            raw, code, lambda index: self.mark(taken, status="cancelled", ref=f"CAN-{index}")
        )

    def plan_pledge(self, data: st.DataObject) -> Plan:
        account = self.draw_holder(data)
        requests, taken, code = self.draw_lots(data, account)
        body = {"account": account, "lots": requests, "bank": "bank"}
        raw = self.world.sign(account, "pledge", body, [] if account == "bank" else ["bank"])

        def effect(index: int) -> None:
            pid = f"PLG-{index}"
            self.mark(taken, status="pledged", ref=pid)
            self.model.pledges[pid] = PledgeModel(account, taken)

        return self.plan(raw, code, effect)

    def plan_close(self, data: st.DataObject, op: str) -> Plan:
        model = self.model
        pid = data.draw(st.sampled_from([*sorted(model.pledges), "PLG-999999"]), label="pledge")
        signer = data.draw(st.sampled_from(["bank", "bank", "owner"]), label="signer")
        found = model.pledges.get(pid)
        code = None
        if found is None:
            code = "unknown_pledge"
        elif signer != "bank":
            code = "not_authorised"
        elif found.status != "active":
            code = "pledge_closed"
        raw = self.world.sign(signer, op, {"pledge": pid})

        def effect(index: int) -> None:
            assert found is not None
            to = found.account if op == "release_pledge" else "bank"
            self.mark(found.serials, account=to, status="held", ref=None)
            found.status = "released" if op == "release_pledge" else "enforced"

        return self.plan(raw, code, effect)

    def plan_any(self, data: st.DataObject) -> Plan:
        kinds: list[Callable[[st.DataObject], Plan]] = [self.plan_issue]
        if self.model.cells:
            kinds += [self.plan_transfer, self.plan_retire, self.plan_cancel, self.plan_pledge]
        if self.model.pledges:
            kinds += [
                lambda d: self.plan_close(d, "release_pledge"),
                lambda d: self.plan_close(d, "enforce_pledge"),
            ]
        return data.draw(st.sampled_from(kinds), label="operation")(data)

    # -- running plans ---------------------------------------------------------------------------
    def run_one(self, plan: Plan) -> None:
        if plan.expect is None:
            self.world.accept_raw(plan.raw)
        else:
            # reject_raw also checks that not a single row of any table changed.
            assert self.world.reject_raw(plan.raw).code == plan.expect

    def run_group(self, plans: list[Plan]) -> None:
        start = self.world.ledger.size
        outcomes = self.world.ledger.submit([p.raw for p in plans])
        index = start
        for plan, outcome in zip(plans, outcomes, strict=True):
            if plan.expect is None:
                assert isinstance(outcome, Accepted) and not outcome.duplicate, outcome
                assert outcome.index == index
                index += 1
            else:
                assert isinstance(outcome, Rejected), outcome
                assert outcome.error.code == plan.expect

    # -- rules -----------------------------------------------------------------------------------
    @initialize(data=st.data())
    def first_batch(self, data: st.DataObject) -> None:
        self.run_one(self.plan_issue(data))

    @precondition(lambda self: len(self.model.cells) < MAX_BATCHES)
    @rule(data=st.data())
    def issue(self, data: st.DataObject) -> None:
        self.run_one(self.plan_issue(data))

    @precondition(lambda self: self.model.cells)
    @rule(data=st.data())
    def transfer(self, data: st.DataObject) -> None:
        self.run_one(self.plan_transfer(data))

    @precondition(lambda self: self.model.cells)
    @rule(data=st.data())
    def retire(self, data: st.DataObject) -> None:
        self.run_one(self.plan_retire(data))

    @precondition(lambda self: self.model.cells)
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        self.run_one(self.plan_cancel(data))

    @precondition(lambda self: self.model.cells)
    @rule(data=st.data())
    def pledge(self, data: st.DataObject) -> None:
        self.run_one(self.plan_pledge(data))

    @precondition(lambda self: self.model.pledges)
    @rule(data=st.data())
    def release(self, data: st.DataObject) -> None:
        self.run_one(self.plan_close(data, "release_pledge"))

    @precondition(lambda self: self.model.pledges)
    @rule(data=st.data())
    def enforce(self, data: st.DataObject) -> None:
        self.run_one(self.plan_close(data, "enforce_pledge"))

    @rule(data=st.data())
    def group(self, data: st.DataObject) -> None:
        """Several entries in one group: each planned after the ones before it."""
        count = data.draw(st.integers(2, 4), label="group size")
        self.run_group([self.plan_any(data) for _ in range(count)])

    @rule()
    def restart(self) -> None:
        self.world.reopen()

    # -- invariants, read from the database ------------------------------------------------------
    @invariant()
    def database_matches_the_model(self) -> None:
        world, model = self.world, self.model
        assert world.ledger.size == model.size
        batches = {row["id"]: row for row in world.rows(schema.batches)}
        assert set(batches) == set(model.cells)
        holdings = world.rows(schema.holdings)
        for bid, row in batches.items():
            counters = {k: row[k] for k in ("issued", "held", "pledged", "retired", "cancelled")}
            assert all(v >= 0 for v in counters.values()), counters
            assert counters["issued"] == (
                counters["held"] + counters["pledged"] + counters["retired"] + counters["cancelled"]
            )
            assert row["serial_end"] - row["serial_start"] == counters["issued"]
            ranges = [h for h in holdings if h["batch"] == bid]
            # Tiling: sorted by start, each range begins where the one before it ended.
            cursor = row["serial_start"]
            by_status: Counter[str] = Counter()
            for h in ranges:
                assert h["serial_start"] == cursor, f"gap or overlap in {bid} at {cursor}"
                assert h["serial_end"] > h["serial_start"]
                cursor = h["serial_end"]
                by_status[h["status"]] += h["serial_end"] - h["serial_start"]
                for serial in range(h["serial_start"], h["serial_end"]):
                    cell = model.cell(bid, serial)
                    assert (h["account"], h["status"], h["ref"]) == (
                        cell.account,
                        cell.status,
                        cell.ref,
                    ), f"{bid} serial {serial}"
            assert cursor == row["serial_end"], f"{bid} holdings stop at {cursor}"
            for status in ("held", "pledged", "retired", "cancelled"):
                assert by_status[status] == counters[status], (bid, status)
        for account in ACCOUNTS:
            assert world.held(account) == sum(len(model.held(account, b)) for b in model.cells)
        pledges = {row["id"]: row["status"] for row in world.rows(schema.pledges)}
        assert pledges == {pid: p.status for pid, p in model.pledges.items()}


CreditRules.TestCase.settings = settings(max_examples=25, stateful_step_count=30, deadline=None)
TestCreditRules = CreditRules.TestCase
