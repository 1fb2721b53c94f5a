"""Personal carbon accounts at scale: bulk ingestion, reconciliation, balance proofs, memory.

Builds a durable SQLite ledger (WAL, synchronous=FULL) in a temporary directory with one
platform keeping ``--accounts`` personal accounts (opened in bulk), then measures:

1. personal reduction records per second through ``record_reductions`` entries of
   ``--rows-per-entry`` rows (entries signed and co-signed beforehand, outside the timing: the
   figure is the ledger's own work, from submission to durable commit), with the main process's
   CPU time beside the wall time; and, from the same run, ordinary one-transfer entries per
   second (platform-signed transfers between personal accounts);
2. reconciliation of a balance file with one line per account (the ledger's balances in a
   scrambled order, with planted differences of every kind), sorted externally and merged;
3. building the platform's sum tree and committing it, then the latency of one person's balance
   proof (built from the stored tree with its log inclusion proof) and of its offline check;
4. peak RSS after each phase (the benchmark keeps little of its own: account ids are made on
   demand, the file is written from an 8-byte balance per account).

    .venv/bin/python scripts/bench_personal.py                       # 1,000,000 accounts
    .venv/bin/python scripts/bench_personal.py --accounts 100000 --records 200000
"""

from __future__ import annotations

import argparse
import hashlib
import io
import math
import random
import resource
import shutil
import statistics
import tempfile
import time
from array import array
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ledger.client import Identity
from ledger.log import Accepted, Ledger, Outcome, PendingGroup
from ledger.note import NoteSigner
from ledger.personal.balances import platform_balances, snapshot
from ledger.personal.commitments import build_tree
from ledger.personal.proof import make_balance_proof, verify_balance_proof
from ledger.personal.reconcile import reconcile

ORIGIN = "bench.carbonledger.example/personal"
DIGEST = "ab" * 32


def account_id(i: int) -> str:
    return f"wh{i:08d}"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def participant(who: Identity, kind: str, roles: list[str]) -> dict[str, object]:
    return {
        "id": who.participant,
        "name": who.participant,
        "kind": kind,
        "roles": roles,
        "keys": [who.public_key_b64],
    }


def accept(
    ledger: Ledger, raws: list[bytes], group: int = 8, *, pipelined: bool = True
) -> list[Accepted]:
    """Submit ``raws`` in groups of ``group`` and return their outcomes once all are durable.

    Pipelined, group N+1 is applied while group N is written (``Ledger.begin``), as the
    sequencer does; otherwise each group's commit is waited for before the next is applied.
    """
    out: list[Accepted] = []

    def acknowledged(outcomes: list[Outcome]) -> None:
        for outcome in outcomes:
            assert isinstance(outcome, Accepted), outcome
            out.append(outcome)

    pending: PendingGroup | None = None
    for start in range(0, len(raws), group):
        if not pipelined:
            acknowledged(ledger.submit(raws[start : start + group]))
            continue
        started = ledger.begin(raws[start : start + group])
        if pending is not None:
            acknowledged(pending.wait())
        pending = started
    if pending is not None:
        acknowledged(pending.wait())
    return out


class Scene:
    """The cast: operator, bureau (administrator), verifier and the platform."""

    def __init__(self, url: str) -> None:
        self.operator = Identity.generate("operator")
        self.bureau = Identity.generate("bureau")
        self.verifier = Identity.generate("cqc")
        self.platform = Identity.generate("didi")
        self.ledger = Ledger.create(
            url, ORIGIN, self.operator, NoteSigner.generate(ORIGIN), seal_every=10_000
        )
        op, bureau = self.operator, self.bureau
        accept(
            self.ledger,
            [
                op.sign(ORIGIN, "register_participant", participant(bureau, "government", [])),
                op.sign(
                    ORIGIN,
                    "register_participant",
                    participant(self.verifier, "certification_body", ["verifier"]),
                ),
                op.sign(
                    ORIGIN,
                    "register_participant",
                    participant(self.platform, "platform", ["platform"]),
                ),
                op.sign(
                    ORIGIN,
                    "register_program",
                    {
                        "code": "WHCER",
                        "name": "Wuhan carbon inclusion",
                        "region": "CN-HB",
                        "administrator": "bureau",
                    },
                ),
                bureau.sign(
                    ORIGIN,
                    "set_program_role",
                    {"program": "WHCER", "participant": "cqc", "role": "verifier"},
                ),
                bureau.sign(
                    ORIGIN,
                    "set_program_role",
                    {"program": "WHCER", "participant": "didi", "role": "platform_recorder"},
                ),
                bureau.sign(
                    ORIGIN,
                    "register_methodology",
                    {
                        "program": "WHCER",
                        "code": "whtravel",
                        "version": "1",
                        "title": "Green travel",
                        "scenario": "green_travel",
                        "region": "CN-HB",
                    },
                ),
                bureau.sign(
                    ORIGIN,
                    "register_project",
                    {
                        "id": "DIDI-WH",
                        "program": "WHCER",
                        "owner": "didi",
                        "methodology": "whtravel:1",
                        "title": "Didi green trips, Wuhan",
                        "region": "CN-HB",
                        "city": "Wuhan",
                    },
                ),
            ],
        )

    def open_accounts(self, count: int) -> float:
        seconds = 0.0
        for first in range(0, count, 200_000):
            raws = [
                self.platform.sign(
                    ORIGIN,
                    "open_accounts",
                    {"ids": [account_id(i) for i in range(start, min(start + 20_000, count))]},
                )
                for start in range(first, min(first + 200_000, count), 20_000)
            ]
            started = time.perf_counter()
            accept(self.ledger, raws, group=4)
            seconds += time.perf_counter() - started
        return seconds

    def reductions(self, rows: list[list[Any]]) -> bytes:
        day = datetime.now(UTC).date().isoformat()
        body = {
            "project": "DIDI-WH",
            "period_start": day,
            "period_end": day,
            "verifier": "cqc",
            "report_digest": DIGEST,
            "verified_on": day,
            "rows": rows,
        }
        return self.platform.sign(ORIGIN, "record_reductions", body, [self.verifier])


def ingest(
    scene: Scene,
    accounts: int,
    records: int,
    per_entry: int,
    seed: int,
    *,
    group: int = 8,
    pipelined: bool = True,
) -> tuple[float, float, int, list[tuple[str, str]]]:
    """Records per second (wall, main-process CPU), the grams recorded, and (account, batch)
    pairs holding credits, for the transfers that follow. Entries are submitted ``group`` to
    a group commit; each progress line gives the rate so far and over the records since the
    line before (the sustained rate as the tables grow)."""
    rng = random.Random(seed)
    now = int(time.time() * 1000) - 60_000
    recorded = 0
    holders: list[tuple[str, str]] = []
    wall = cpu = 0.0
    made = 0
    window = (0, 0.0)  # records and seconds at the last progress line
    while made < records:
        raws: list[bytes] = []
        credited: list[list[str]] = []
        while len(raws) < 40 and made < records:
            rows: list[list[Any]] = []
            for _ in range(min(per_entry, records - made)):
                account = account_id(rng.randrange(accounts))
                grams = rng.randrange(50, 800)
                recorded += grams
                digest = hashlib.sha256(f"{seed}:{made}".encode()).hexdigest()
                rows.append([account, "bus_ride", "whtravel:1", grams, now, digest])
                made += 1
            raws.append(scene.reductions(rows))
            credited.append([r[0] for r in rows[:100]])
        started, cpu_started = time.perf_counter(), time.process_time()
        outcomes = accept(scene.ledger, raws, group=group, pipelined=pipelined)
        wall += time.perf_counter() - started
        cpu += time.process_time() - cpu_started
        for outcome, credited_accounts in zip(outcomes, credited, strict=True):
            assert outcome.event is not None
            holders += [(a, str(outcome.event.data["batch"])) for a in credited_accounts]
        recent = (made - window[0]) / (wall - window[1])
        window = (made, wall)
        print(
            f"  {made:>10,} records, {made / wall:>9,.0f}/s wall (last {recent:>9,.0f}/s), "
            f"{made / cpu:>9,.0f}/s main-process CPU, peak RSS {peak_rss_mb():,.0f} MB",
            flush=True,
        )
    return made / wall, made / cpu, recorded, holders


def ordinary(scene: Scene, holders: list[tuple[str, str]], accounts: int, count: int) -> float:
    """Entries per second of single transfers of 1 g between personal accounts, submitted in
    groups of 500 like the ingest benchmark's ordinary entries."""
    rng = random.Random(3)
    raws = [
        scene.platform.sign(
            ORIGIN,
            "transfer",
            {
                "from_account": account,
                "to_account": account_id(rng.randrange(accounts)),
                "lots": [{"batch": batch, "quantity": 1}],
            },
        )
        for account, batch in list(dict.fromkeys(holders))[:count]
    ]
    started = time.perf_counter()
    for start in range(0, len(raws), 500):
        for outcome in scene.ledger.submit(raws[start : start + 500]):
            assert isinstance(outcome, Accepted), outcome
    return len(raws) / (time.perf_counter() - started) if raws else 0.0


def balance_file(scene: Scene, path: Path, accounts: int, seed: int) -> dict[str, int]:
    """The platform's own file: the ledger's balances in a scrambled order, with five planted
    differences of each kind; memory-light (one 8-byte balance per account)."""
    balances = array("q", bytes(8 * accounts))
    with snapshot(scene.ledger.engine) as conn:
        for account, grams in platform_balances(conn, "didi"):
            balances[int(account[2:])] = grams
    rng = random.Random(seed)
    picked = rng.sample(range(accounts), 15)
    missing, differ, repeated = set(picked[:5]), set(picked[5:10]), picked[10:]
    step = next(k for k in range(7919, accounts + 7919) if math.gcd(k, accounts) == 1)
    with path.open("w", encoding="utf-8") as out:
        out.write("account,grams\n")
        for j in range(accounts):
            i = j * step % accounts
            if i in missing:
                continue
            out.write(f"{account_id(i)},{balances[i] + (i in differ)}\n")
            if j % (accounts // 5 or 1) == 0:
                out.write(f"zz-stranger-{j},7\n")
        out.writelines(f"{account_id(i)},1\n" for i in repeated)
    return dict.fromkeys(
        ("missing_account", "extra_account", "amount_differs", "duplicate_account"), 5
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--rows-per-entry", type=int, default=5000)
    parser.add_argument(
        "--group",
        type=int,
        default=8,
        help="bulk entries per group commit (default 8; the sequencer's writer takes every "
        "waiting submission, up to max_group entries, into one group)",
    )
    parser.add_argument("--transfers", type=int, default=5000)
    parser.add_argument("--proofs", type=int, default=500)
    parser.add_argument("--keep", action="store_true", help="keep the ledger directory")
    parser.add_argument(
        "--serial",
        action="store_true",
        help="wait for each group's commit before applying the next (default: pipelined)",
    )
    parser.add_argument(
        "--cache-mb",
        type=int,
        default=0,
        help="SQLite page cache and memory map of the writer's connection, in MB "
        "(default: the engine's 64 MB cache, no map)",
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="carbonledger-personal-"))
    url = f"sqlite:///{workdir / 'ledger.db'}"
    print(f"ledger: {url}")
    try:
        scene = Scene(url)
        if args.cache_mb:
            # The writer's own connection, which every submit uses (a benchmark knob only).
            conn = scene.ledger._conn
            conn.exec_driver_sql(f"PRAGMA cache_size=-{args.cache_mb * 1024}")
            conn.exec_driver_sql(f"PRAGMA mmap_size={args.cache_mb * 2**20}")
            conn.commit()
        seconds = scene.open_accounts(args.accounts)
        print(
            f"opened {args.accounts:,} personal accounts in {seconds:.1f} s "
            f"({args.accounts / seconds:,.0f}/s); peak RSS {peak_rss_mb():,.0f} MB"
        )

        print(f"bulk ingestion: {args.records:,} records, {args.rows_per_entry:,} per entry")
        per_s, per_cpu_s, recorded, holders = ingest(
            scene,
            args.accounts,
            args.records,
            args.rows_per_entry,
            1,
            group=args.group,
            pipelined=not args.serial,
        )
        transfers = ordinary(scene, holders, args.accounts, args.transfers)
        del holders
        scene.ledger.seal()

        path = workdir / "didi-balances.csv"
        planted = balance_file(scene, path, args.accounts, 2)
        report = io.StringIO()
        summary = reconcile(scene.ledger.engine, "didi", path, report)
        assert summary.differences == planted, (summary.differences, planted)
        print(
            f"reconciliation: {summary.file_rows:,} lines against {summary.ledger_accounts:,} "
            f"accounts in {summary.seconds:.1f} s; differences {summary.differences}; "
            f"peak RSS {peak_rss_mb():,.0f} MB"
        )

        started = time.perf_counter()
        tree = build_tree(scene.ledger.engine, "didi")
        built = time.perf_counter() - started
        (outcome,) = scene.ledger.submit(
            [
                scene.platform.sign(
                    ORIGIN,
                    "commit_balances",
                    {
                        "root": tree.root.hex(),
                        "total": tree.total,
                        "leaves": tree.leaves,
                        "as_of": tree.size,
                    },
                )
            ],
            seal=True,
        )
        assert isinstance(outcome, Accepted), outcome
        assert 0 < tree.total <= recorded
        print(
            f"sum tree: {tree.leaves:,} leaves, {tree.total:,} g, built and stored in "
            f"{built:.1f} s; peak RSS {peak_rss_mb():,.0f} MB"
        )

        rng = random.Random(4)
        make_ms, check_ms = [], []
        for account in map(account_id, rng.sample(range(args.accounts), args.proofs)):
            started = time.perf_counter()
            document = make_balance_proof(scene.ledger.engine, account)
            make_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            verify_balance_proof(document, scene.ledger.log_vkey)
            check_ms.append((time.perf_counter() - started) * 1000)
        make_ms.sort()
        print(
            f"balance proof: median {statistics.median(make_ms):.2f} ms, p99 "
            f"{make_ms[int(len(make_ms) * 0.99) - 1]:.2f} ms to build; offline check "
            f"median {statistics.median(check_ms):.2f} ms ({args.proofs} accounts)"
        )

        print()
        print(
            f"records/s through bulk entries:   {per_s:>10,.0f} (main-process CPU: "
            f"{per_cpu_s:,.0f}/s)"
        )
        print(f"ordinary transfer entries/s:      {transfers:>10,.0f}")
        print(f"reconciliation of {summary.file_rows:,} lines:   {summary.seconds:>7.1f} s")
        print(f"balance proof (median):           {statistics.median(make_ms):>10.2f} ms")
        print(f"peak RSS:                         {peak_rss_mb():>10,.0f} MB")
        print(
            f"database size:                    "
            f"{sum(p.stat().st_size for p in workdir.glob('ledger.db*')) / 2**20:>10,.0f} MB"
        )
        scene.ledger.close()
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
