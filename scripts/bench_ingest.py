"""Ingest benchmark: signed operations per second from submission to sealed checkpoint.

Builds a ledger on SQLite (WAL, synchronous=FULL: durable) in a temporary directory, registers
a program, verifiers, issuers, projects and holders, then submits a realistic mix of signed
entries (issue 2%, transfer 58%, retire 25%, cancel 15%) in groups, sealing a checkpoint every
``--seal-every`` entries. Every entry is signed by its client before the clock starts and
spooled to a file, so the timed section is the ledger's own work alone (parse, verify
signatures, apply rules, write state, hash chain, Merkle nodes, checkpoint signature, fsync,
and the write-ahead log's checkpoints beside it) from the first submission to the last sealed
checkpoint, with no pause in between. Groups are submitted back to back with ``Ledger.begin``
(group N+1 applied while group N is written), each acknowledged when its commit is done, as
the sequencer does under a steady load; ``--serial`` waits for every commit first.

Measured in the same run and printed beside it: bare Ed25519 verification of the same entries'
signatures (single-threaded and in the parallel batch the ledger uses), so the overhead above
cryptography is visible. Every 100,000 entries it prints the rate so far, the rate over the
last 100,000 and the RSS.

    .venv/bin/python scripts/bench_ingest.py --entries 100000

To measure at a given size without building the ledger each time, keep a ledger and its
clients, copy the database (with any ``-wal`` file), and go on from the copy::

    .venv/bin/python scripts/bench_ingest.py --entries 1000000 --db sqlite:///big.db \
        --save-world big.json
    .venv/bin/python scripts/bench_ingest.py --entries 100000 --db sqlite:///copy.db \
        --resume big.json
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from ledger.client import Identity
from ledger.entry import parse_entry
from ledger.keys import SigningKey, verify_many, verify_one
from ledger.log import Accepted, Ledger, Outcome, PendingGroup
from ledger.note import NoteSigner

ORIGIN = "bench.carbonledger.example/log"
REPORT_EVERY = 100_000
"""Entries between two progress lines: each gives the average so far and the rate since the
line before it (the sustained rate as the ledger grows)."""
TONNE = 1_000_000


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class World:
    """The participants and the model of balances that drive valid random entries."""

    def __init__(self, ledger: Ledger, operator: Identity, holders: int, seed: int) -> None:
        self.ledger = ledger
        self.rng = random.Random(seed)
        self.operator = operator
        self.admin = Identity.generate("bureau")
        self.issuer = Identity.generate("issuer")
        self.verifier = Identity.generate("cqc")
        self.holders = [Identity.generate(f"h{i:06d}") for i in range(holders)]
        self.balances: dict[tuple[int, str], int] = {}
        self.nonempty: list[tuple[int, str]] = []
        self.batches = 0
        self.projects = 50
        self.periods: dict[int, int] = {}
        self._register()

    def save(self, path: Path, log_skey: str) -> None:
        """Write what ``resume`` needs to go on submitting to this ledger: the log's key, the
        clients' keys and sequence numbers, the balance model and the random generator."""
        who = [self.operator, self.admin, self.issuer, self.verifier, *self.holders]
        state = {
            "log_skey": log_skey,
            "identities": [[i.participant, i.key.to_bytes().hex(), i.seq] for i in who],
            "balances": [[h, b, amount] for (h, b), amount in self.balances.items()],
            "nonempty": self.nonempty,
            "batches": self.batches,
            "periods": list(self.periods.items()),
            "rng": self.rng.getstate(),
        }
        path.write_text(json.dumps(state))

    @classmethod
    def resume(cls, ledger: Ledger, path: Path) -> World:
        """The world ``save`` wrote, submitting to the same ledger again."""
        state = json.loads(path.read_text())
        world = cls.__new__(cls)
        world.ledger = ledger
        who = [
            Identity(name, SigningKey.from_bytes(bytes.fromhex(key)), seq)
            for name, key, seq in state["identities"]
        ]
        world.operator, world.admin, world.issuer, world.verifier, *world.holders = who
        world.balances = {(h, b): amount for h, b, amount in state["balances"]}
        world.nonempty = [(h, b) for h, b in state["nonempty"]]
        world.batches = state["batches"]
        world.projects = 50
        world.periods = {p: n for p, n in state["periods"]}
        version, internal, gauss = state["rng"]
        world.rng = random.Random()
        world.rng.setstate((version, tuple(internal), gauss))
        return world

    def _register(self) -> None:
        setup = [
            self.operator.sign(ORIGIN, "register_participant", p)
            for p in (
                self._participant(self.admin, ["holder"]),
                self._participant(self.issuer, ["issuer"]),
                self._participant(self.verifier, ["verifier"]),
            )
        ]
        setup += [
            self.operator.sign(ORIGIN, "register_participant", self._participant(h, ["holder"]))
            for h in self.holders
        ]
        setup.append(
            self.operator.sign(
                ORIGIN,
                "register_program",
                {
                    "code": "CDCER",
                    "name": "Tianfu carbon credits",
                    "region": "CN-SC",
                    "administrator": "bureau",
                },
            )
        )
        for who, role in ((self.issuer, "issuer"), (self.verifier, "verifier")):
            setup.append(
                self.admin.sign(
                    ORIGIN,
                    "set_program_role",
                    {"program": "CDCER", "participant": who.participant, "role": role},
                )
            )
        setup.append(
            self.admin.sign(
                ORIGIN,
                "register_methodology",
                {
                    "program": "CDCER",
                    "code": "cdpv",
                    "version": "1",
                    "title": "Distributed PV",
                    "scenario": "distributed_pv",
                    "region": "CN-SC",
                },
            )
        )
        for p in range(self.projects):
            setup.append(
                self.admin.sign(
                    ORIGIN,
                    "register_project",
                    {
                        "id": f"PV{p:04d}",
                        "program": "CDCER",
                        "owner": self.holders[p].participant,
                        "methodology": "cdpv:1",
                        "title": f"Rooftop PV {p}",
                        "region": "CN-SC",
                        "city": "Chengdu",
                    },
                )
            )
        for start in range(0, len(setup), 2000):
            outcomes = self.ledger.submit(setup[start : start + 2000], seal=True)
            bad = [o for o in outcomes if not isinstance(o, Accepted)]
            assert not bad, bad[:3]

    @staticmethod
    def _participant(who: Identity, roles: list[str]) -> dict[str, object]:
        return {
            "id": who.participant,
            "name": who.participant,
            "kind": "enterprise",
            "roles": roles,
            "keys": [who.public_key_b64],
        }

    def next_entry(self) -> bytes:
        roll = self.rng.random()
        if roll < 0.02 or len(self.nonempty) < 20:
            return self._issue()
        if roll < 0.60:
            return self._move("transfer")
        if roll < 0.85:
            return self._move("retire")
        return self._move("cancel")

    def _issue(self) -> bytes:
        project = self.rng.randrange(self.projects)
        period = self.periods.get(project, 0)
        self.periods[project] = period + 1
        # one distinct day-long monitoring period per issuance of a project
        start = (date(2000, 1, 1) + timedelta(days=period)).isoformat()
        quantity = self.rng.randrange(100, 5000) * TONNE
        holder = self.rng.randrange(len(self.holders))
        self.batches += 1
        batch = f"CDCER-{start[:4]}-{self.batches:06d}"
        self._credit(holder, batch, quantity)
        return self.issuer.sign(
            ORIGIN,
            "issue",
            {
                "project": f"PV{project:04d}",
                "vintage_start": start,
                "vintage_end": start,
                "quantity": quantity,
                "to_account": self.holders[holder].participant,
                "verifier": "cqc",
                "report_digest": f"{self.batches:064x}",
                "verified_on": "2099-12-31",
            },
            [self.verifier],
        )

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
            to = self.rng.randrange(len(self.holders))
            if to == holder:
                to = (to + 1) % len(self.holders)
            self._credit(to, batch, amount)
            return who.sign(
                ORIGIN,
                "transfer",
                {
                    "from_account": who.participant,
                    "to_account": self.holders[to].participant,
                    "lots": lots,
                    "price_fen_per_tonne": 2000,
                    "venue": "exchange_listing",
                },
            )
        if op == "retire":
            return who.sign(
                ORIGIN,
                "retire",
                {
                    "account": who.participant,
                    "lots": lots,
                    "purpose": "event_neutrality",
                    "beneficiary": {"name": "Conference organiser"},
                    "jurisdiction": "CN-SC",
                    "event_ref": "conf-2024",
                },
            )
        return who.sign(
            ORIGIN,
            "cancel",
            {
                "account": who.participant,
                "lots": lots,
                "reason": "export",
                "destination": "national registry",
            },
        )


def spool(world: World, total: int, path: Path) -> None:
    """Sign ``total`` entries into ``path``, each preceded by its length (4 bytes)."""
    with path.open("wb") as out:
        for _ in range(total):
            raw = world.next_entry()
            out.write(len(raw).to_bytes(4, "big"))
            out.write(raw)


def spooled(path: Path, size: int) -> Iterator[list[bytes]]:
    """The entries ``spool`` wrote, in groups of ``size``."""
    with path.open("rb") as spool_file:
        group: list[bytes] = []
        while header := spool_file.read(4):
            group.append(spool_file.read(int.from_bytes(header, "big")))
            if len(group) == size:
                yield group
                group = []
        if group:
            yield group


def acknowledged(outcomes: list[Outcome]) -> int:
    rejected = [o for o in outcomes if not isinstance(o, Accepted)]
    if rejected:
        raise SystemExit(f"unexpected rejection: {rejected[0]}")
    return len(outcomes)


def report(done: int, busy: float, window: tuple[int, float]) -> tuple[int, float]:
    """Print the rate so far and since ``window`` (entries and seconds at the last report)."""
    recent = (done - window[0]) / (busy - window[1])
    print(
        f"  {done:>9,} entries  ingest {done / busy:8,.0f} ops/s, last "
        f"{done - window[0]:,} {recent:8,.0f} ops/s  rss {rss_mb():7.1f} MiB  "
        f"peak rss {peak_rss_mb():7.1f} MiB"
    )
    return done, busy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--group", type=int, default=1000, help="entries per submit call")
    parser.add_argument("--seal-every", type=int, default=1000)
    parser.add_argument("--holders", type=int, default=2000)
    parser.add_argument("--db", default=None, help="database URL (default: temporary SQLite)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    parser.add_argument(
        "--serial", action="store_true", help="wait for each group's commit before the next"
    )
    parser.add_argument(
        "--save-world",
        type=Path,
        help="write the clients' keys and balance model here, to --resume the ledger later",
    )
    parser.add_argument(
        "--resume",
        type=Path,
        help="go on submitting to the ledger at --db with the clients --save-world wrote: the "
        "rate at the size the ledger has reached, without building it again",
    )
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="carbonledger-bench-")
    url = args.db or f"sqlite:///{Path(workdir) / 'ledger.db'}"
    if args.resume is not None:
        if args.db is None:
            raise SystemExit("--resume needs the --db of the ledger it saved")
        saved = json.loads(args.resume.read_text())
        signer = NoteSigner.from_skey(saved["log_skey"])
        ledger = Ledger.open(url, signer, seal_every=args.seal_every)
        world = World.resume(ledger, args.resume)
    else:
        signer = NoteSigner.generate("bench.carbonledger")
        operator = Identity.generate("operator")
        ledger = Ledger.create(url, ORIGIN, operator, signer, seal_every=args.seal_every)
        world = World(ledger, operator, args.holders, args.seed)
    print(f"database: {url}")
    print(
        f"set-up: {ledger.size} entries; submitting {args.entries:,} in groups of "
        f"{args.group}, sealing every {args.seal_every}"
    )

    spool_path = Path(workdir) / "entries.spool"
    started = time.perf_counter()
    spool(world, args.entries, spool_path)
    print(f"signed {args.entries:,} entries beforehand in {time.perf_counter() - started:.1f} s")

    sample: list[bytes] = []
    done = 0
    milestone = 100_000
    window = (0, 0.0)  # entries and seconds at the last report
    pending: PendingGroup | None = None
    started, cpu_started = time.perf_counter(), time.process_time()
    for group in spooled(spool_path, args.group):
        if len(sample) < 20_000:
            sample.extend(group[: 20_000 - len(sample)])
        if args.serial:
            done += acknowledged(ledger.submit(group))
        else:
            begun = ledger.begin(group)
            if pending is not None:
                done += acknowledged(pending.wait())
            pending = begun
        if done >= milestone:
            window = report(done, time.perf_counter() - started, window)
            milestone += REPORT_EVERY
    if pending is not None:
        done += acknowledged(pending.wait())
    ledger.seal()
    busy = time.perf_counter() - started
    if done > window[0]:
        report(done, busy, window)
    cpu = time.process_time() - cpu_started
    spool_path.unlink()
    print(
        f"ingest: {done:,} signed operations in {busy:.2f} s = {done / busy:,.0f} ops/s "
        f"(durable SQLite, every entry under a sealed checkpoint)"
    )
    print(
        f"main-process CPU per entry: {cpu / done * 1e6:.0f} us (signature checks run in a "
        f"worker process beside it)"
    )
    print(f"peak RSS: {peak_rss_mb():.1f} MiB at {ledger.size:,} entries")

    items = []
    for raw in sample:
        entry = parse_entry(raw)
        for sig in entry.signatures:
            record = ledger.state.key(sig.key)
            assert record is not None
            items.append((record.public_key, sig.sig, entry.message))
    started = time.perf_counter()
    assert all(verify_one(*item) for item in items)
    single = len(items) / (time.perf_counter() - started)
    started = time.perf_counter()
    assert all(verify_many(items))
    batch = len(items) / (time.perf_counter() - started)
    per_entry = len(items) / len(sample)
    print(
        f"bare Ed25519 verification: {single:,.0f} sig/s single-threaded, {batch:,.0f} sig/s "
        f"batched ({per_entry:.2f} signatures per entry in this mix)"
    )
    print(
        f"ratio ingest / bare batched verification (per entry): "
        f"{(done / busy) / (batch / per_entry):.2f}"
    )
    if args.save_world is not None:
        world.save(args.save_world, signer.skey())
        print(f"saved: {args.save_world} (--resume it with --db {url})")
    ledger.close()
    if args.db is None and args.keep:
        print(f"kept: {url}")
    else:
        shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
