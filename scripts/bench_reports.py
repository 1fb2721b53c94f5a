"""Reports benchmark: the issuance audit, supply totals and trade announcements on a big ledger.

Runs on ``--db URL`` (any ledger, e.g. one kept by ``scripts/bench_ingest.py --keep``) or, by
default, first builds one of ``--entries`` signed entries in a temporary SQLite database: three
programs in three provinces (two methodologies each), 60 projects, 2,000 holders and a mix of
issue 2%, priced transfer 53%, retire 25% (a fifth of them against 200 registered events),
cancel 15% (some against 100 registered compensation cases) and a few registrations. It prints
the build rate, then the time of each report over the whole ledger, its size and what it found.

    .venv/bin/python scripts/bench_reports.py --entries 1000000 --keep
    .venv/bin/python scripts/bench_reports.py --db sqlite:////tmp/carbonledger-reports-.../ledger.db
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from ledger.certificates.issue import make_bundle
from ledger.client import Identity
from ledger.log import Accepted, Ledger
from ledger.note import NoteSigner
from ledger.reports.issuance_audit import audit_issuance
from ledger.reports.scope import Scope
from ledger.reports.totals import DIMENSIONS, totals
from ledger.reports.trades import by_venue, trade_announcements
from ledger.storage import schema
from ledger.storage.engine import make_engine

ORIGIN = "bench.carbonledger.example/reports"
TONNE = 1_000_000
PROGRAMS = (("CDCER", "CN-SC"), ("PHCER", "CN-GD"), ("WHCER", "CN-HB"))
SCENARIOS = ("distributed_pv", "green_travel")
DIGEST = "cd" * 32


class Generator:
    """Participants and a model of balances that make every generated entry valid."""

    def __init__(self, ledger: Ledger, operator: Identity, holders: int, seed: int) -> None:
        self.ledger = ledger
        self.rng = random.Random(seed)
        self.operator = operator
        self.holders = [Identity.generate(f"h{i:05d}") for i in range(holders)]
        self.court = Identity.generate("court")
        self.verifier = Identity.generate("cqc")
        self.issuers = {code: Identity.generate(f"{code.lower()}-issuer") for code, _ in PROGRAMS}
        self.bureaus = {code: Identity.generate(f"{code.lower()}-eeb") for code, _ in PROGRAMS}
        self.projects: list[tuple[str, str, str]] = []  # (id, program, region)
        self.next_day: dict[str, int] = {}
        self.balances: dict[tuple[int, str], int] = {}
        self.nonempty: list[tuple[int, str]] = []
        self.regions: dict[str, str] = {}  # batch -> region
        self.events: list[tuple[str, str]] = []  # (id, jurisdiction)
        self.cases: dict[int, list[str]] = {}  # holder -> open case numbers
        self._setup()

    def _submit(self, raws: list[bytes]) -> list[Accepted]:
        outcomes = self.ledger.submit(raws, seal=True)
        bad = [o for o in outcomes if not isinstance(o, Accepted)]
        if bad:
            raise SystemExit(f"unexpected rejection: {bad[0]}")
        return [o for o in outcomes if isinstance(o, Accepted)]

    def _participant(self, who: Identity, roles: list[str], kind: str) -> bytes:
        body = {"id": who.participant, "name": who.participant, "kind": kind, "roles": roles,
                "keys": [who.public_key_b64]}  # fmt: skip
        return self.operator.sign(ORIGIN, "register_participant", body)

    def _setup(self) -> None:
        raws = [self._participant(self.court, ["authority"], "government"),
                self._participant(self.verifier, ["verifier"], "certification_body")]  # fmt: skip
        raws += [self._participant(h, ["holder"], "enterprise") for h in self.holders]
        for code, _ in PROGRAMS:
            raws.append(self._participant(self.bureaus[code], [], "government"))
            raws.append(self._participant(self.issuers[code], ["issuer"], "government"))
        self._submit(raws)
        raws = []
        for number, (code, region) in enumerate(PROGRAMS):
            bureau = self.bureaus[code]
            raws.append(self.operator.sign(ORIGIN, "register_program", {
                "code": code, "name": code, "region": region,
                "administrator": bureau.participant}))  # fmt: skip
            for who, role in ((self.issuers[code], "issuer"), (self.verifier, "verifier")):
                raws.append(bureau.sign(ORIGIN, "set_program_role", {
                    "program": code, "participant": who.participant, "role": role}))  # fmt: skip
            for scenario in SCENARIOS:
                raws.append(bureau.sign(ORIGIN, "register_methodology", {
                    "program": code, "code": f"{code}-{scenario}", "version": "1",
                    "title": scenario, "scenario": scenario, "region": region}))  # fmt: skip
            for p in range(20):
                pid = f"{code}-P{p:03d}"
                owner = self.holders[(number * 20 + p) % len(self.holders)]
                raws.append(bureau.sign(ORIGIN, "register_project", {
                    "id": pid, "program": code, "owner": owner.participant,
                    "methodology": f"{code}-{SCENARIOS[p % 2]}:1", "title": pid,
                    "region": region}))  # fmt: skip
                self.projects.append((pid, code, region))
        self._submit(raws)

    def next_entry(self) -> bytes:
        roll = self.rng.random()
        if roll < 0.02 or len(self.nonempty) < 50:
            return self._issue()
        if roll < 0.0203 and len(self.events) < 200:
            return self._event()
        if roll < 0.0205 and sum(map(len, self.cases.values())) < 100:
            return self._case()
        if roll < 0.55:
            return self._move("transfer")
        if roll < 0.85:
            return self._move("retire")
        return self._move("cancel")

    def _issue(self) -> bytes:
        pid, code, region = self.rng.choice(self.projects)
        day = self.next_day.get(pid, 0)
        self.next_day[pid] = day + 1  # one distinct monitoring day per issuance of a project
        start = (date(2015, 1, 1) + timedelta(days=day)).isoformat()
        quantity = self.rng.randrange(100, 5000) * TONNE
        holder = self.rng.randrange(len(self.holders))
        issuer = self.issuers[code]
        body = {"project": pid, "vintage_start": start, "vintage_end": start,
                "quantity": quantity, "to_account": self.holders[holder].participant,
                "verifier": self.verifier.participant, "report_digest": DIGEST,
                "verified_on": "2099-12-31", "origin_ref": f"{pid}-{day}"}  # fmt: skip
        raw = issuer.sign(ORIGIN, "issue", body, [self.verifier])
        self.pending_batch = (holder, quantity, region, code, start[:4])
        return raw

    def issued(self, accepted: Accepted) -> None:
        """Record the batch an issuance made (its id comes from the ledger)."""
        holder, quantity, region, _, _ = self.pending_batch
        assert accepted.event is not None
        batch = str(accepted.event.data["batch"])
        self.regions[batch] = region
        self._credit(holder, batch, quantity)

    def _event(self) -> bytes:
        organiser = self.rng.choice(self.holders)
        region = self.rng.choice(PROGRAMS)[1]
        body = {"name": "Conference", "start_date": "2024-06-05", "end_date": "2024-06-06",
                "place": "Convention centre", "jurisdiction": region,
                "emissions": [{"stage": stage, "source": "purchased_electricity",
                               "quantity": self.rng.randrange(1, 50) * TONNE, "basis": "metered"}
                              for stage in ("preparation", "hosting", "closing")]}  # fmt: skip
        self.pending_event = region
        return organiser.sign(ORIGIN, "register_event", body)

    def _case(self) -> bytes:
        holder = self.rng.randrange(len(self.holders))
        number = f"CASE-{sum(map(len, self.cases.values())) + 1:04d}"
        self.cases.setdefault(holder, []).append(number)
        body = {"case_number": number, "liable_party": self.holders[holder].participant,
                "damage_fen": 7_034_400, "decision_digest": DIGEST,
                "required": 10_000 * TONNE, "jurisdiction": "CN-GD"}  # fmt: skip
        return self.court.sign(ORIGIN, "register_case", body)

    def _credit(self, holder: int, batch: str, amount: int) -> None:
        key = (holder, batch)
        if not self.balances.get(key):
            self.nonempty.append(key)
        self.balances[key] = self.balances.get(key, 0) + amount

    def _move(self, op: str) -> bytes:
        position = self.rng.randrange(len(self.nonempty))
        holder, batch = key = self.nonempty[position]
        amount = min(self.balances[key], self.rng.randrange(1, 50) * 10_000)
        self.balances[key] -= amount
        if not self.balances[key]:
            self.nonempty[position] = self.nonempty[-1]
            self.nonempty.pop()
        who = self.holders[holder]
        lots = [{"batch": batch, "quantity": amount}]
        if op == "transfer":
            to = (holder + 1 + self.rng.randrange(len(self.holders) - 1)) % len(self.holders)
            self._credit(to, batch, amount)
            venue = self.rng.choice(["exchange_listing", "exchange_bidding", "otc"])
            return who.sign(ORIGIN, "transfer", {
                "from_account": who.participant, "to_account": self.holders[to].participant,
                "lots": lots, "price_fen_per_tonne": self.rng.randrange(1500, 7000),
                "venue": venue})  # fmt: skip
        if op == "retire":
            body: dict[str, Any] = {
                "account": who.participant, "lots": lots, "beneficiary": {"name": "Organiser"},
                "purpose": "enterprise_neutrality", "jurisdiction": "CN-SC"}  # fmt: skip
            if self.events and self.rng.random() < 0.2:
                event, region = self.rng.choice(self.events)
                body |= {"purpose": "event_neutrality", "event_ref": event, "jurisdiction": region}
            return who.sign(ORIGIN, "retire", body)
        open_cases = self.cases.get(holder)
        if open_cases:
            body = {"account": who.participant, "lots": lots, "reason": "ecological_compensation",
                    "case": {"authority": "court", "case_number": open_cases[0],
                             "damage_fen": 7_034_400, "decision_digest": DIGEST}}  # fmt: skip
            return who.sign(ORIGIN, "cancel", body, [self.court])
        body = {"account": who.participant, "lots": lots, "reason": "export",
                "destination": "national"}  # fmt: skip
        return who.sign(ORIGIN, "cancel", body)

    def applied(self, raw: bytes, outcome: Accepted) -> None:
        """Follow what the ledger did with an entry the model cannot predict alone."""
        event = outcome.event
        if event is None:
            return
        if event.op == "issue":
            self.issued(outcome)
        elif event.op == "register_event":
            self.events.append((str(event.data["event"]), self.pending_event))
        elif event.op == "cancel" and event.data.get("case_closed"):
            for numbers in self.cases.values():
                if event.data["case"] in numbers:
                    numbers.remove(event.data["case"])


def build(url: str, entries: int, group: int, seed: int) -> None:
    operator = Identity.generate("operator")
    ledger = Ledger.create(url, ORIGIN, operator, NoteSigner.generate(ORIGIN), seal_every=5000)
    generator = Generator(ledger, operator, 2000, seed)
    started, done, milestone = time.perf_counter(), 0, 100_000
    while done < entries:
        # Issuances and registrations change what later entries may do: submit them alone.
        raws: list[bytes] = []
        while len(raws) < min(group, entries - done):
            raw = generator.next_entry()
            if (
                b'"op":"issue"' in raw
                or b'"op":"register_' in raw
                or b'"reason":"ecological' in raw
            ):
                if raws:
                    _apply(generator, ledger, raws)
                    done += len(raws)
                    raws = []
                _apply(generator, ledger, [raw])
                done += 1
                break
            raws.append(raw)
        if raws:
            _apply(generator, ledger, raws)
            done += len(raws)
        if done >= milestone:
            print(f"  built {done:>9,} entries, {done / (time.perf_counter() - started):,.0f}/s")
            milestone += 100_000
    ledger.seal()
    seconds = time.perf_counter() - started
    print(f"built {ledger.size:,} entries in {seconds:.0f} s ({ledger.size / seconds:,.0f}/s)")
    ledger.close()


def _apply(generator: Generator, ledger: Ledger, raws: list[bytes]) -> None:
    outcomes = ledger.submit(raws)
    for raw, outcome in zip(raws, outcomes, strict=True):
        if not isinstance(outcome, Accepted):
            raise SystemExit(f"unexpected rejection: {outcome}")
        generator.applied(raw, outcome)


def timed(label: str, run: Callable[[], str], repeat: int) -> None:
    best = float("inf")
    result = ""
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    print(f"{label:<58} {best:7.2f} s   {result}")


def total_rows(engine: Engine, by: str) -> str:
    return f"{len(totals(engine, by, every='month')):,} rows"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="run on this ledger instead of building one")
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--group", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--repeat", type=int, default=2, help="runs per report; best is shown")
    parser.add_argument("--keep", action="store_true", help="keep the built database")
    args = parser.parse_args()
    workdir = None
    url = args.db
    if url is None:
        workdir = tempfile.mkdtemp(prefix="carbonledger-reports-")
        url = f"sqlite:///{Path(workdir) / 'ledger.db'}"
        print(f"building {args.entries:,} entries into {url}")
        build(url, args.entries, args.group, args.seed)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            size = conn.execute(select(func.count()).select_from(schema.entries)).scalar()
            batch_count = conn.execute(select(func.count()).select_from(schema.batches)).scalar()
            priced = conn.execute(
                select(func.count()).where(schema.transfers.c.price_fen_per_tonne.is_not(None))
            ).scalar()
            first_program = conn.execute(select(schema.programs.c.code).limit(1)).scalar()
            event = conn.execute(
                select(schema.events.c.id).order_by(schema.events.c.covered.desc()).limit(1)
            ).scalar()
        print(f"ledger: {size:,} entries, {batch_count:,} batches, {priced:,} priced transfers")

        def audit_all() -> str:
            report = audit_issuance(engine)
            return f"{len(report.batches):,} batches, {len(report.flags)} flags"

        def audit_program() -> str:
            report = audit_issuance(engine, Scope(program=first_program))
            return f"{len(report.batches):,} batches of {first_program}"

        timed("issuance audit, whole ledger (signatures re-checked)", audit_all, args.repeat)
        timed("issuance audit, one program", audit_program, args.repeat)
        for by in DIMENSIONS:
            timed(f"totals by {by} per month", partial(total_rows, engine, by), args.repeat)

        def all_trades() -> str:
            found = trade_announcements(engine)
            return f"{len(found):,} trades, {len(by_venue(found))} venues"

        timed("trade announcements, whole ledger", all_trades, args.repeat)
        if event is not None:

            def certificate() -> str:
                bundle = make_bundle(engine, "retirement", event)
                return f"{event}: {len(bundle['proofs']):,} records proven"

            timed("event certificate bundle (largest event)", certificate, 1)
    finally:
        engine.dispose()
        if workdir is not None and not args.keep:
            shutil.rmtree(workdir)
        elif workdir is not None:
            print(f"kept: {url}")


if __name__ == "__main__":
    main()
