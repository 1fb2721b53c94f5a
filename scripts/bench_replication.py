"""Replication lag benchmark: how far a follower trails the sequencer under a steady load.

Starts real processes on loopback, as the three organisations run them: the sequencer
(``carbonledger serve``), a follower (``carbonledger follow``) and, with ``--witness``, a
witness. The ledger is set up in process (participants, a program, a project, one batch per
holder), then a client submits pre-signed transfers over HTTP at a steady ``--rate``: every
50 ms a bulk request of rate/20 entries falls due, and ``--clients`` threads send them in turn
(a late one as soon as its thread is free). A monitor polls the follower's status every 10 ms.

For each bulk request, *replication lag* is the time from the sequencer's acknowledgement
(durable, in the log) until the follower holds its last entry, verified and stored: it
includes waiting for the next checkpoint (``--seal-every`` entries or ``--seal-ms``), the
follower's poll interval (``--poll``), fetching, and the follower's full verification. The
target is a lag below 2 s at 5,000 entries/s. Every process shares this machine's cores; the
figures say what this machine did, not what separate machines would.

    .venv/bin/python scripts/bench_replication.py --rate 5000 --seconds 20
    .venv/bin/python scripts/bench_replication.py --rate 2000 --postgresql --witness
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
from psycopg import sql

from ledger.cli.keyfile import save_log_key
from ledger.client import Identity
from ledger.log import Accepted, Ledger
from ledger.note import NoteSigner
from node.witness_key import create_witness_key

ORIGIN = "bench.carbonledger.example/log"
TICK_S = 0.05
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
BATCH_GRAMS = 10**12


# -- the ledger and the load ----------------------------------------------------------------
def participant(who: Identity, roles: list[str]) -> dict[str, object]:
    return {
        "id": who.participant,
        "name": who.participant,
        "kind": "enterprise",
        "roles": roles,
        "keys": [who.public_key_b64],
    }


def set_up(url: str, holders: int, seal_every: int) -> tuple[NoteSigner, list[Identity]]:
    """A ledger with a program, a project and one large batch per holder; the log key."""
    operator = Identity.generate("operator")
    signer = NoteSigner.generate(ORIGIN)
    ledger = Ledger.create(url, ORIGIN, operator, signer, seal_every=seal_every)
    admin, issuer, verifier = (Identity.generate(p) for p in ("bureau", "issuer", "cqc"))
    people = [Identity.generate(f"h{i:04d}") for i in range(holders)]
    entries = [
        operator.sign(ORIGIN, "register_participant", participant(who, roles))
        for who, roles in [
            (admin, ["holder"]),
            (issuer, ["issuer"]),
            (verifier, ["verifier"]),
            *((h, ["holder"]) for h in people),
        ]
    ]
    program = {"code": "CDCER", "name": "Tianfu", "region": "CN-SC", "administrator": "bureau"}
    entries.append(operator.sign(ORIGIN, "register_program", program))
    for who, role in ((issuer, "issuer"), (verifier, "verifier")):
        body = {"program": "CDCER", "participant": who.participant, "role": role}
        entries.append(admin.sign(ORIGIN, "set_program_role", body))
    methodology = {
        "program": "CDCER",
        "code": "cdpv",
        "version": "1",
        "title": "Distributed PV",
        "scenario": "distributed_pv",
        "region": "CN-SC",
    }
    entries.append(admin.sign(ORIGIN, "register_methodology", methodology))
    project = {
        "id": "PV0001",
        "program": "CDCER",
        "owner": "bureau",
        "methodology": "cdpv:1",
        "title": "Rooftop PV",
        "region": "CN-SC",
    }
    entries.append(admin.sign(ORIGIN, "register_project", project))
    for i, holder in enumerate(people):
        year = 2000 + i
        issue = {
            "project": "PV0001",
            "vintage_start": f"{year}-01-01",
            "vintage_end": f"{year}-12-31",
            "quantity": BATCH_GRAMS,
            "to_account": holder.participant,
            "verifier": "cqc",
            "report_digest": f"{i:064x}",
            "verified_on": f"{year + 1}-03-01",
        }
        entries.append(issuer.sign(ORIGIN, "issue", issue, [verifier]))
    outcomes = ledger.submit(entries, seal=True)
    refused = [o for o in outcomes if not isinstance(o, Accepted)]
    assert not refused, refused[:3]
    ledger.close()
    return signer, people


def batch_of(index: int) -> str:
    return f"CDCER-{2000 + index}-{index + 1:06d}"


def load(people: list[Identity], count: int, per_bulk: int, threads: int) -> list[list[bytes]]:
    """``count`` one-gram transfers in bulks, each holder passing its own batch to the next.

    Bulk k goes to client thread k % ``threads``; a holder's entries are only ever in that
    one thread's bulks, so they arrive in sequence order.
    """
    bulks: list[list[bytes]] = []
    turn = [0] * threads
    for k in range(-(-count // per_bulk)):
        j = k % threads
        mine = range(j, len(people), threads)
        bulk = []
        for _ in range(min(per_bulk, count - k * per_bulk)):
            i = mine[turn[j] % len(mine)]
            holder = people[i]
            turn[j] += 1
            body = {
                "from_account": holder.participant,
                "to_account": people[(i + 1) % len(people)].participant,
                "lots": [{"batch": batch_of(i), "quantity": 1}],
            }
            bulk.append(holder.sign(ORIGIN, "transfer", body))
        bulks.append(bulk)
    return bulks


# -- processes ------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Process:
    name: str
    args: list[str]
    ready: str
    directory: Path
    port: int = field(default_factory=free_port)
    popen: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CARBONLEDGER_")}
        with (self.directory / f"{self.name}.log").open("wb") as log:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", "ledger.cli.main", *self.args, "--port", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.popen is not None and self.popen.poll() is None, f"{self.name} exited"
            try:
                if httpx.get(self.url + self.ready, timeout=2).status_code in (200, 503):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"{self.name} did not start")

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()


ROLES = ("sequencer", "follower", "newcomer")


@contextmanager
def databases(postgresql: bool, directory: Path) -> Iterator[list[str]]:
    """URLs of new databases for the sequencer, the follower and the catching-up newcomer."""
    if not postgresql:
        yield [f"sqlite:///{directory / role}.db" for role in ROLES]
        return
    names = [f"bench_{uuid.uuid4().hex[:10]}_{role}" for role in ROLES]
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
        for name in names:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield [f"{PG_SERVER}/{name}" for name in names]
    finally:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
            for name in names:
                admin.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )


# -- the run --------------------------------------------------------------------------------
@dataclass
class Sent:
    due: float
    acked: float
    last_index: int
    entries: int


def submit_steadily(url: str, bulks: list[list[bytes]], start: float, threads: int) -> list[Sent]:
    """Send bulk k at ``start + k * TICK_S`` (or at once if late) from thread k % ``threads``.

    A thread sends its bulks in order, each after the previous one was acknowledged: the
    entries of one signer are all in one thread's bulks, so their sequence numbers arrive in
    order.
    """
    sent: list[Sent] = []
    lock = threading.Lock()

    def worker(first: int) -> None:
        with httpx.Client(timeout=120) as http:
            for k in range(first, len(bulks), threads):
                due = start + k * TICK_S
                time.sleep(max(0.0, due - time.monotonic()))
                response = http.post(
                    url + "/v1/entries/bulk",
                    content=b"\n".join(bulks[k]),
                    headers={"Content-Type": "application/x-ndjson"},
                )
                acked = time.monotonic()
                response.raise_for_status()
                results = response.json()["results"]
                assert all("index" in r for r in results), results[:3]
                with lock:
                    sent.append(Sent(due, acked, max(r["index"] for r in results), len(results)))

    workers = [threading.Thread(target=worker, args=(j,)) for j in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return sorted(sent, key=lambda s: s.last_index)


def watch(url: str, stop: threading.Event, seen: list[tuple[float, int]]) -> None:
    """Record (time, size) of the follower every 10 ms until ``stop``."""
    with httpx.Client(timeout=10) as http:
        while not stop.is_set():
            try:
                status = http.get(url + "/v1/follower/status").json()
                seen.append((time.monotonic(), int(status["size"])))
                if status["halted"]:
                    raise SystemExit(f"the follower halted: {status['halted']}")
            except httpx.HTTPError:
                pass
            stop.wait(0.01)


def catch_up(newcomer: Process, size: int) -> None:
    """Start a follower on an empty database once the load is over; print its throughput."""
    newcomer.start()
    progress: list[tuple[float, int]] = []
    deadline = time.monotonic() + 600
    with httpx.Client(timeout=10) as http:
        while (not progress or progress[-1][1] < size) and time.monotonic() < deadline:
            try:
                status = http.get(newcomer.url + "/v1/follower/status").json()
                progress.append((time.monotonic(), int(status["size"])))
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
    moving = [p for p in progress if p[1] > 0]
    if len(moving) < 2 or progress[-1][1] < size:
        print(f"catch-up: the newcomer did not reach {size:,} entries")
        return
    (t0, n0), (t1, n1) = moving[0], moving[-1]
    print(
        f"catch-up (sequencer idle): a new follower verified and stored {size:,} entries, "
        f"{(n1 - n0) / (t1 - t0):,.0f} entries/s"
    )


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=int, default=5000, help="entries per second offered")
    parser.add_argument("--seconds", type=float, default=20, help="how long the load lasts")
    parser.add_argument("--holders", type=int, default=200)
    parser.add_argument("--clients", type=int, default=4, help="client threads submitting")
    parser.add_argument("--seal-every", type=int, default=1000)
    parser.add_argument("--seal-ms", type=int, default=200)
    parser.add_argument("--poll", type=float, default=0.05, help="follower poll interval, s")
    parser.add_argument("--postgresql", action="store_true", help="databases on 127.0.0.1:5432")
    parser.add_argument("--witness", action="store_true", help="also run a cosigning witness")
    args = parser.parse_args()

    directory = Path(tempfile.mkdtemp(prefix="carbonledger-bench-replication-"))
    processes: list[Process] = []
    try:
        with databases(args.postgresql, directory) as (sequencer_db, follower_db, newcomer_db):
            signer, people = set_up(sequencer_db, args.holders, args.seal_every)
            save_log_key(signer, directory / "log.key")
            vkey = signer.verifier().vkey()
            total = int(args.rate * args.seconds)
            per_bulk = max(1, round(args.rate * TICK_S))
            signing = time.perf_counter()
            bulks = load(people, total, per_bulk, args.clients)
            signing = time.perf_counter() - signing

            serve = ["serve", "--db", sequencer_db, "--log-key", str(directory / "log.key")]
            serve += ["--seal-every", str(args.seal_every), "--seal-ms", str(args.seal_ms)]
            if args.witness:
                key = create_witness_key("bench.witness/w1", directory / "witness.key")
                witness = Process(
                    "witness",
                    [
                        "witness",
                        "--key",
                        str(directory / "witness.key"),
                        "--log",
                        vkey,
                        "--state",
                        str(directory / "witness"),
                    ],
                    "/status",
                    directory,
                )
                processes.append(witness)
                serve += ["--witness", f"{key.verifier().vkey()} {witness.url}"]
            sequencer = Process("sequencer", serve, "/readyz", directory)
            follower = Process(
                "follower",
                [
                    "follow",
                    "--log-url",
                    sequencer.url,
                    "--log-vkey",
                    vkey,
                    "--db",
                    follower_db,
                    "--state",
                    str(directory / "follower"),
                    "--poll",
                    str(args.poll),
                ],
                "/v1/follower/status",
                directory,
            )
            processes += [sequencer, follower]
            for process in processes:
                process.start()
            for process in processes:
                process.wait_ready()

            seen: list[tuple[float, int]] = []
            stop = threading.Event()
            monitor = threading.Thread(target=watch, args=(follower.url, stop, seen))
            monitor.start()
            start = time.monotonic() + 0.5
            sent = submit_steadily(sequencer.url, bulks, start, args.clients)
            last = sent[-1].last_index
            deadline = time.monotonic() + 120
            while (not seen or seen[-1][1] <= last) and time.monotonic() < deadline:
                time.sleep(0.05)
            stop.set()
            monitor.join()
            report(args, sent, seen, start, signing, total)
            newcomer = Process(
                "newcomer",
                [
                    "follow",
                    "--log-url",
                    sequencer.url,
                    "--log-vkey",
                    vkey,
                    "--db",
                    newcomer_db,
                    "--state",
                    str(directory / "newcomer"),
                    "--poll",
                    str(args.poll),
                ],
                "/v1/follower/status",
                directory,
            )
            processes.append(newcomer)
            catch_up(newcomer, last + 1)
    finally:
        for process in reversed(processes):
            process.stop()
        shutil.rmtree(directory, ignore_errors=True)


def report(
    args: argparse.Namespace,
    sent: list[Sent],
    seen: list[tuple[float, int]],
    start: float,
    signing: float,
    total: int,
) -> None:
    acked_at = max(s.acked for s in sent)
    ack_latency = [s.acked - s.due for s in sent]
    lags: list[float] = []
    position = 0
    for s in sent:
        while position < len(seen) and seen[position][1] <= s.last_index:
            position += 1
        if position == len(seen):
            break
        lags.append(seen[position][0] - s.acked)
    caught = seen[-1][0] if seen and seen[-1][1] > sent[-1].last_index else float("nan")
    databases = "PostgreSQL" if args.postgresql else "SQLite (WAL, synchronous=FULL)"
    load1, load5, _ = os.getloadavg()
    print(
        f"databases: {databases}; cores: {os.cpu_count()} shared by every process; "
        f"load average {load1:.1f} (1 min), {load5:.1f} (5 min) at the end"
    )
    print(
        f"load: {total:,} one-gram transfers signed in {signing:.1f} s beforehand, offered at "
        f"{args.rate:,}/s in bulks of {sent[0].entries} every "
        f"{TICK_S * 1000:.0f} ms; seal every {args.seal_every} entries or {args.seal_ms} ms; "
        f"follower polls every {args.poll * 1000:.0f} ms" + ("; witness on" if args.witness else "")
    )
    print(
        f"sequencer: {total:,} acknowledged in {acked_at - start:.2f} s = "
        f"{total / (acked_at - start):,.0f} entries/s; acknowledgement latency p50 "
        f"{statistics.median(ack_latency) * 1000:.0f} ms, "
        f"p95 {percentile(ack_latency, 95) * 1000:.0f} ms, max {max(ack_latency) * 1000:.0f} ms"
    )
    print(
        f"follower: all {total:,} verified and stored {caught - acked_at:.2f} s after the last "
        f"acknowledgement; {total / (caught - start):,.0f} entries/s over the run"
    )
    if lags:
        print(
            f"replication lag (acknowledged -> on the follower): p50 "
            f"{statistics.median(lags):.2f} s, p95 {percentile(lags, 95):.2f} s, p99 "
            f"{percentile(lags, 99):.2f} s, max {max(lags):.2f} s over {len(lags)} requests; "
            f"target < 2 s at 5,000 entries/s: "
            + ("met" if max(lags) < 2 and total / (acked_at - start) >= 5000 * 0.95 else "NOT met")
        )


if __name__ == "__main__":
    main()
