"""HTTP API benchmark: single submissions, bulk submissions and reads against a real server.

Starts ``carbonledger serve`` as a separate process on a free loopback port over a SQLite
ledger in a temporary directory (WAL, synchronous=FULL: every acknowledgement is durable), and
drives it from this process with httpx's AsyncClient:

(a) single-entry submissions, ``--concurrency`` in flight (each sender's entries in order):
    entries/s, and latency p50/p99;
(b) the bulk endpoint, ``--bulk-size`` entries per request: entries/s;
(c) reads of a holding (signed requests) and of inclusion proofs: requests/s;
(d) in the same run, in-process ``Ledger.submit`` on a copy of the same database with the same
    entries in groups of ``--bulk-size``: entries/s, and the ratio bulk-HTTP / in-process.

Entries are transfers of 1 kg between holders, signed beforehand, outside the timed sections.
Bounded in count (the options) and in time (``--timeout`` seconds per phase).

    .venv/bin/python scripts/bench_api.py
    .venv/bin/python scripts/bench_api.py --singles 8000 --bulk 40000 --workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeVar

import httpx

from api.auth import sign_request
from ledger.cli.keyfile import save_log_key
from ledger.client import Identity
from ledger.log import Accepted, Ledger
from ledger.note import NoteSigner
from node.sequencer import free_port

ORIGIN = "bench.carbonledger.example/api"
TONNE = 1_000_000
JSON = {"content-type": "application/json"}
NDJSON = {"content-type": "application/x-ndjson"}
T = TypeVar("T")
TARGETS = {"singles": 2000.0, "p99_ms": 50.0, "bulk": 5000.0, "reads": 3000.0}


class Holders:
    """The participants of the benchmark and their pre-signed transfers."""

    def __init__(self, count: int) -> None:
        self.operator = Identity.generate("operator")
        self.admin = Identity.generate("bureau")
        self.issuer = Identity.generate("issuer")
        self.verifier = Identity.generate("cqc")
        self.senders = [Identity.generate(f"h{i:04d}") for i in range(count)]

    def setup(self, url: str, signer: NoteSigner) -> None:
        """Create the ledger, register everyone, issue 1,000 t to each sender; close it."""
        ledger = Ledger.create(url, ORIGIN, self.operator, signer)
        entries = [
            self.operator.sign(ORIGIN, "register_participant", _participant(who, roles))
            for who, roles in (
                (self.admin, ["holder"]),
                (self.issuer, ["issuer"]),
                (self.verifier, ["verifier"]),
                *((s, ["holder"]) for s in self.senders),
            )
        ]
        entries.append(
            self.operator.sign(
                ORIGIN,
                "register_program",
                {"code": "CDCER", "name": "Tianfu", "region": "CN-SC", "administrator": "bureau"},
            )
        )
        for who, role in ((self.issuer, "issuer"), (self.verifier, "verifier")):
            entries.append(
                self.admin.sign(
                    ORIGIN,
                    "set_program_role",
                    {"program": "CDCER", "participant": who.participant, "role": role},
                )
            )
        entries.append(
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
        for n, sender in enumerate(self.senders):
            entries.append(
                self.admin.sign(
                    ORIGIN,
                    "register_project",
                    {
                        "id": f"PV{n:04d}",
                        "program": "CDCER",
                        "owner": sender.participant,
                        "methodology": "cdpv:1",
                        "title": f"Rooftop PV {n}",
                        "region": "CN-SC",
                    },
                )
            )
            entries.append(
                self.issuer.sign(
                    ORIGIN,
                    "issue",
                    {
                        "project": f"PV{n:04d}",
                        "vintage_start": "2024-01-01",
                        "vintage_end": "2024-12-31",
                        "quantity": 1000 * TONNE,
                        "to_account": sender.participant,
                        "verifier": "cqc",
                        "report_digest": f"{n:064x}",
                        "verified_on": "2025-03-01",
                    },
                    [self.verifier],
                )
            )
        outcomes = ledger.submit(entries, seal=True)
        refused = [o for o in outcomes if not isinstance(o, Accepted)]
        assert not refused, refused[:3]
        self.batches = {
            s.participant: f"CDCER-2024-{n + 1:06d}" for n, s in enumerate(self.senders)
        }
        ledger.close()

    def transfers(self, per_sender: int) -> list[list[bytes]]:
        """For each sender, its next ``per_sender`` transfers of 1 kg, in sequence order."""
        out = []
        for n, sender in enumerate(self.senders):
            to = self.senders[(n + 1) % len(self.senders)].participant
            body = {
                "from_account": sender.participant,
                "to_account": to,
                "lots": [{"batch": self.batches[sender.participant], "quantity": 1000}],
            }
            out.append([sender.sign(ORIGIN, "transfer", body) for _ in range(per_sender)])
        return out


class RawConnection:
    """A minimal HTTP/1.1 keep-alive client connection (Content-Length bodies only).

    httpx costs the load generator about a millisecond of CPU per request, more than the server
    spends on a read; on a shared two-core machine that would measure the client. ``--client
    httpx`` uses httpx instead.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, target: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None
        lines = [
            f"{method} {target} HTTP/1.1",
            f"host: {self.host}",
            f"content-length: {len(body)}",
        ]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        status = int((await self._reader.readline()).split()[1])
        length = 0
        while (line := await self._reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "transfer-encoding":
                raise RuntimeError("chunked responses are not supported by RawConnection")
        return status, await self._reader.readexactly(length)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            await self._writer.wait_closed()


class Client:
    """Requests from one coroutine: a raw connection of its own, or a shared httpx client."""

    def __init__(self, base: str, kind: str, shared: httpx.AsyncClient | None) -> None:
        host, port = base.removeprefix("http://").split(":")
        self._raw = RawConnection(host, int(port)) if kind == "raw" else None
        self._http = shared

    async def request(
        self, method: str, target: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        if self._raw is not None:
            return await self._raw.request(method, target, body, headers)
        assert self._http is not None
        response = await self._http.request(method, target, content=body, headers=headers)
        return response.status_code, response.content

    async def close(self) -> None:
        if self._raw is not None:
            await self._raw.close()


def _participant(who: Identity, roles: list[str]) -> dict[str, object]:
    return {
        "id": who.participant,
        "name": who.participant,
        "kind": "enterprise",
        "roles": roles,
        "keys": [who.public_key_b64],
    }


def interleave(per_sender: Sequence[Sequence[bytes]]) -> list[bytes]:
    """One list, each sender's entries still in order."""
    return [raw for group in zip(*per_sender, strict=True) for raw in group]


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of process ``pid`` and of every live descendant (workers, the writer,
    the signature checker), from /proc."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            children = [int(child) for child in f.read().split()]
    except FileNotFoundError:
        return 0.0  # it just exited
    # utime, stime, cutime, cstime: children already waited for are in the last two.
    ticks = sum(int(v) for v in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK") + sum(cpu_seconds(child) for child in children)


async def clients(base: str, kind: str, count: int) -> tuple[list[Client], httpx.AsyncClient]:
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
    shared = httpx.AsyncClient(base_url=base, limits=limits, timeout=120)
    return [Client(base, kind, shared) for _ in range(count)], shared


async def singles(
    base: str, kind: str, work: list[list[bytes]], concurrency: int
) -> tuple[int, float, list[float]]:
    latencies: list[float] = []
    pool, shared = await clients(base, kind, concurrency)
    lanes = [work[i::concurrency] for i in range(concurrency)]

    async def lane(client: Client, senders: list[list[bytes]]) -> None:
        for entries in senders:
            for raw in entries:
                start = time.perf_counter()
                status, body = await client.request("POST", "/v1/entries", raw, JSON)
                latencies.append(time.perf_counter() - start)
                assert status == 201, body

    start = time.perf_counter()
    await asyncio.gather(*(lane(c, senders) for c, senders in zip(pool, lanes, strict=True)))
    elapsed = time.perf_counter() - start
    for client in pool:
        await client.close()
    await shared.aclose()
    return len(latencies), elapsed, latencies


async def bulk(base: str, kind: str, entries: list[bytes], size: int) -> tuple[int, float]:
    (client,), shared = await clients(base, kind, 1)
    start = time.perf_counter()
    for at in range(0, len(entries), size):
        body = b"\n".join(entries[at : at + size]) + b"\n"
        status, reply = await client.request("POST", "/v1/entries/bulk", body, NDJSON)
        assert status == 200, reply
        assert b'"rejected":0' in reply, reply[:300]
    elapsed = time.perf_counter() - start
    await client.close()
    await shared.aclose()
    return len(entries), elapsed


async def reads(
    base: str, kind: str, targets: list[tuple[str, dict[str, str]]], concurrency: int
) -> tuple[int, float]:
    pool, shared = await clients(base, kind, concurrency)
    queue = list(reversed(targets))

    async def reader(client: Client) -> None:
        while queue:
            target, headers = queue.pop()
            status, body = await client.request("GET", target, b"", headers)
            assert status == 200, body

    start = time.perf_counter()
    await asyncio.gather(*(reader(c) for c in pool))
    elapsed = time.perf_counter() - start
    for client in pool:
        await client.close()
    await shared.aclose()
    return len(targets), elapsed


def in_process(
    url: str, signer: NoteSigner, warmup: list[bytes], entries: list[bytes], size: int
) -> tuple[tuple[int, float], float]:
    """Entries applied and seconds taken, and CPU seconds meanwhile (this process and the
    signature checker's workers)."""
    ledger = Ledger.open(url, signer, seal_every=1000)
    try:
        for at in range(0, len(warmup), size):
            ledger.submit(warmup[at : at + size])
        cpu = _own_cpu()
        start = time.perf_counter()
        for at in range(0, len(entries), size):
            outcomes = ledger.submit(entries[at : at + size])
            assert all(isinstance(o, Accepted) for o in outcomes)
        elapsed = time.perf_counter() - start
        cpu = _own_cpu() - cpu
    finally:
        ledger.close()
    return (len(entries), elapsed), cpu


def _own_cpu() -> float:
    """CPU seconds of this process and of its live children (the signature checker)."""
    return cpu_seconds(os.getpid())


def wait_ready(base: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with status {process.returncode}")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit("the server did not become ready")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--senders", type=int, default=32, help="distinct signing holders")
    parser.add_argument("--concurrency", type=int, default=32, help="single requests in flight")
    parser.add_argument("--singles", type=int, default=6400, help="single submissions")
    parser.add_argument("--bulk", type=int, default=32000, help="entries sent in bulk")
    parser.add_argument("--bulk-size", type=int, default=1000, help="entries per bulk request")
    parser.add_argument("--reads", type=int, default=6000, help="requests of each read kind")
    parser.add_argument("--workers", type=int, default=1, help="API worker processes")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per phase, at most")
    parser.add_argument(
        "--client", choices=("raw", "httpx"), default="raw", help="load generator's HTTP client"
    )
    args = parser.parse_args()
    if args.singles % args.senders or args.bulk % args.senders:
        raise SystemExit("--singles and --bulk must be multiples of --senders")
    concurrency = min(args.concurrency, args.senders)

    directory = Path(tempfile.mkdtemp(prefix="bench-api-"))
    process: subprocess.Popen[bytes] | None = None
    try:
        url = f"sqlite:///{directory / 'ledger.db'}"
        signer = NoteSigner.generate(ORIGIN)
        save_log_key(signer, directory / "log.key")
        holders = Holders(args.senders)
        holders.setup(url, signer)
        for suffix in ("", "-wal", "-shm"):
            source = directory / f"ledger.db{suffix}"
            if source.exists():
                shutil.copy(source, directory / f"baseline.db{suffix}")
        print(f"signing {args.singles + args.bulk} transfers...", flush=True)
        per_sender = holders.transfers((args.singles + args.bulk) // args.senders)
        first = args.singles // args.senders
        single_work = [entries[:first] for entries in per_sender]
        bulk_work = interleave([entries[first:] for entries in per_sender])

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        command = [
            sys.executable, "-m", "ledger.cli.main", "serve", "--db", url,
            "--log-key", str(directory / "log.key"), "--port", str(port),
            "--workers", str(args.workers), "--seal-every", "1000", "--seal-ms", "1000",
        ]  # fmt: skip
        process = subprocess.Popen(command, stderr=subprocess.DEVNULL)
        wait_ready(base, process, 120)
        print(
            f"server pid {process.pid} on {base}, {args.workers} worker(s); client {args.client}\n",
            flush=True,
        )

        def measured(coroutine: Coroutine[Any, Any, T]) -> tuple[T, float]:
            """The coroutine's result, and the server's CPU seconds meanwhile."""
            assert process is not None
            cpu = cpu_seconds(process.pid)
            result = asyncio.run(asyncio.wait_for(coroutine, args.timeout))
            return result, cpu_seconds(process.pid) - cpu

        def cpu_note(cpu: float, count: int, elapsed: float) -> str:
            return (
                f"server CPU {cpu / elapsed:.0%} of a core, {cpu / count * 1e6:,.0f} us each "
                f"(at most {count / cpu:,.0f}/s on one free core)"
            )

        (count, elapsed, latencies), cpu = measured(
            singles(base, args.client, single_work, concurrency)
        )
        single_rate = count / elapsed
        p50, p99 = percentile(latencies, 0.50) * 1000, percentile(latencies, 0.99) * 1000
        print(f"(a) single submissions, {concurrency} in flight: {count} in {elapsed:.2f} s")
        print(f"    {single_rate:,.0f} entries/s   p50 {p50:.1f} ms   p99 {p99:.1f} ms")
        print(f"    {cpu_note(cpu, count, elapsed)}")

        (count, elapsed), cpu = measured(bulk(base, args.client, bulk_work, args.bulk_size))
        bulk_rate = count / elapsed
        print(f"(b) bulk, {args.bulk_size} per request: {count} in {elapsed:.2f} s")
        print(f"    {bulk_rate:,.0f} entries/s   {cpu_note(cpu, count, elapsed)}")

        size = httpx.get(f"{base}/v1/log/info").json()["size"]
        holder = holders.senders[0]
        holding = f"/v1/accounts/{holder.participant}/holdings?limit=10"
        holding_targets = [(holding, sign_request(holder, "GET", holding))] * args.reads
        proof_targets: list[tuple[str, dict[str, str]]] = [
            (f"/v1/log/proofs/inclusion?index={(i * 7919) % size}&size={size}", {})
            for i in range(args.reads)
        ]
        print(f"(c) reads, {concurrency} in flight:")
        (count, elapsed), cpu = measured(reads(base, args.client, holding_targets, concurrency))
        holding_rate = count / elapsed
        print(f"    holding (signed)  {holding_rate:,.0f} req/s   {cpu_note(cpu, count, elapsed)}")
        (count, elapsed), cpu = measured(reads(base, args.client, proof_targets, concurrency))
        proof_rate = count / elapsed
        print(f"    inclusion proof   {proof_rate:,.0f} req/s   {cpu_note(cpu, count, elapsed)}")

        process.send_signal(signal.SIGINT)
        process.wait(60)
        process = None

        warmup = interleave(single_work)
        (count, elapsed), cpu = in_process(
            f"sqlite:///{directory / 'baseline.db'}", signer, warmup, bulk_work, args.bulk_size
        )
        local_rate = count / elapsed
        print(
            f"(d) in-process Ledger.submit, groups of {args.bulk_size}: {local_rate:,.0f} entries/s"
        )
        print(f"    {cpu_note(cpu, count, elapsed)}")
        print(f"    bulk-HTTP / in-process = {bulk_rate / local_rate:.2f}")

        print("\ntargets:")
        rows = (
            ("single submissions/s", single_rate, TARGETS["singles"], True),
            ("single p99 ms", p99, TARGETS["p99_ms"], False),
            ("bulk entries/s", bulk_rate, TARGETS["bulk"], True),
            ("holding reads/s", holding_rate, TARGETS["reads"], True),
            ("proof reads/s", proof_rate, TARGETS["reads"], True),
        )
        for name, got, want, at_least in rows:
            met = got >= want if at_least else got < want
            print(
                f"  {name:22} {got:>9,.1f}   target {want:>7,.0f}   {'met' if met else 'NOT met'}"
            )
        print(f"\nload: {os.getloadavg()[0]:.1f} (1-min average) on {os.cpu_count()} cores")
    finally:
        if process is not None:
            process.send_signal(signal.SIGINT)
            process.wait(60)
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
