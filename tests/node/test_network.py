"""The three-organisation network end to end, with real processes on loopback.

A sequencer (``carbonledger serve``, the platform operator), a witness (``carbonledger
witness``, an exchange) and two followers (``carbonledger follow``, the regulator and an
auditor), each in its own process with its own database (SQLite, or PostgreSQL with
``CARBONLEDGER_TEST_DB=postgresql``). Entries go in over HTTP; the followers must end with the
sequencer's records, state and root; the witness must cosign. Then the sequencer lies (an
edited record, a second root for a size it already signed) and the followers must stop with
evidence; and it is killed with SIGKILL under load, repeatedly, without losing or duplicating
an acknowledged entry.
"""

from __future__ import annotations

import hashlib
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, delete, select, update

from ledger.audit import STATE_TABLES, verify_ledger
from ledger.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from ledger.cli.keyfile import save_log_key
from ledger.cosignature import CosignatureVerifier, require_cosignatures
from ledger.errors import InsufficientSignatures
from ledger.note import NoteVerifier
from ledger.storage import schema
from ledger.storage.engine import make_engine
from node.evidence import check_evidence, load_evidence
from node.witness_key import create_witness_key
from tests.builders import ORIGIN, World, build_world, lots
from tests.databases import fresh_database
from tests.ledger.test_log_follow import edit_record
from tests.node.network import Service, Services, wait_for

WAIT_S = 90.0
SEAL_EVERY = 200


@dataclass
class Network:
    """The processes of one test, the databases behind them, and the keys to check them."""

    directory: Path
    world: World
    services: Services
    stack: ExitStack
    witness_verifier: CosignatureVerifier
    sequencer_db: str
    sequencer: Service = field(init=False)
    witness: Service = field(init=False)
    followers: list[Service] = field(default_factory=list)
    follower_dbs: dict[str, str] = field(default_factory=dict)

    @property
    def log_vkey(self) -> str:
        return self.world.ledger.log_vkey

    @property
    def log_verifier(self) -> NoteVerifier:
        return NoteVerifier.from_vkey(self.log_vkey)

    def add_follower(self, name: str) -> Service:
        directory = self.directory / name
        directory.mkdir()
        db = self.stack.enter_context(fresh_database(directory))
        follower = self.services.add(
            name,
            [
                "follow",
                "--log-url",
                self.sequencer.url,
                "--log-vkey",
                self.log_vkey,
                "--db",
                db,
                "--state",
                str(directory / "state"),
                "--poll",
                "0.1",
            ],
            "/v1/follower/status",
        )
        self.followers.append(follower)
        self.follower_dbs[name] = db
        return follower

    # -- writing through the sequencer's API ---------------------------------------------
    def submit(self, raws: list[bytes]) -> list[int]:
        """Submit ``raws`` as one bulk request; every one must be accepted; their indexes."""
        response = httpx.post(
            self.sequencer.url + "/v1/entries/bulk",
            content=b"\n".join(raws),
            headers={"Content-Type": "application/x-ndjson"},
            timeout=60,
        )
        assert response.status_code == 200, response.text
        results = response.json()["results"]
        assert all("index" in r for r in results), results
        return [r["index"] for r in results]

    def trade(self, transfers: int) -> None:
        """An issuance, then ``transfers`` one-gram transfers between holders."""
        body = self.world.issue_body(transfers * 2)
        self.submit([self.world.sign("issuer", "issue", body, ["verifier"])])
        batch = self.sequencer.get("/v1/batches").json()["items"][-1]["id"]
        raws = [
            self.world.sign(
                "owner",
                "transfer",
                {
                    "from_account": "owner",
                    "to_account": ("alice", "bob")[i % 2],
                    "lots": lots(batch, 1),
                },
            )
            for i in range(transfers)
        ]
        for start in range(0, len(raws), 100):
            self.submit(raws[start : start + 100])

    # -- reading -----------------------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        info: dict[str, Any] = self.sequencer.get("/v1/log/info").json()
        return info

    def status(self, follower: Service) -> dict[str, Any]:
        status: dict[str, Any] = follower.get("/v1/follower/status").json()
        return status

    def wait_sealed(self) -> dict[str, Any]:
        """Wait until every entry is under a checkpoint; the log's info then."""
        found: dict[str, Any] = {}

        def sealed() -> bool:
            found.update(self.info())
            return bool(found["size"] == found["sealed_size"])

        wait_for("the sequencer to seal", sealed, WAIT_S, self.sequencer.log_tail())
        return found

    def wait_followers(self, followers: list[Service] | None = None) -> int:
        """Wait until each follower holds the sequencer's latest checkpoint; its size."""
        size = self.wait_sealed()["sealed_size"]
        for follower in followers or self.followers:
            wait_for(
                f"{follower.name} to reach size {size}",
                lambda f=follower: self.status(f)["checkpoint_size"] == size,  # type: ignore[misc]
                WAIT_S,
                follower.log_tail(),
            )
        return int(size)

    def wait_cosigned(self) -> bytes:
        """Wait until the latest checkpoint carries the witness's cosignature; the note."""
        note = b""

        def cosigned() -> bool:
            nonlocal note
            note = self.sequencer.get("/v1/log/checkpoint").content
            try:
                require_cosignatures(note, [self.witness_verifier], 1)
            except InsufficientSignatures:
                return False
            return True

        wait_for("the witness's cosignature", cosigned, WAIT_S, self.witness.log_tail())
        return note

    def wait_halted(self, follower: Service, code: str) -> dict[str, Any]:
        """Wait until ``follower`` halts; its alarm, which must carry ``code``."""
        wait_for(
            f"{follower.name} to halt",
            lambda: self.status(follower)["halted"] is not None,
            WAIT_S,
            follower.log_tail(),
        )
        response = follower.get("/v1/follower/status")
        assert response.status_code == 503
        alarm: dict[str, Any] = response.json()["halted"]
        assert alarm["code"] == code, alarm
        assert "REPLICATION HALTED" in follower.log_text()
        return alarm

    # -- restarting the sequencer -------------------------------------------------------------
    def restart_sequencer(self) -> None:
        """Start the sequencer again on its port; a crashed predecessor's lock may linger."""
        for attempt in range(5):
            self.sequencer.start()
            try:
                self.sequencer.wait_ready()
                return
            except AssertionError:
                if attempt == 4 or "writer_locked" not in self.sequencer.log_text():
                    raise
                time.sleep(0.5)


def state_rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table a replay derives from the log."""
    with engine.connect() as conn:
        return {
            table.name: [
                tuple(r) for r in conn.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in STATE_TABLES
        }


def same_ledger(a_url: str, b_url: str) -> None:
    a, b = make_engine(a_url), make_engine(b_url)
    try:
        e = schema.entries
        with a.connect() as ca, b.connect() as cb:
            records_a = ca.execute(select(e.c.idx, e.c.record).order_by(e.c.idx)).all()
            records_b = cb.execute(select(e.c.idx, e.c.record).order_by(e.c.idx)).all()
        assert records_a == records_b
        assert state_rows(a) == state_rows(b)
    finally:
        a.dispose()
        b.dispose()


@pytest.fixture
def network(tmp_path: Path) -> Iterator[Network]:
    with ExitStack() as stack:
        services = Services(tmp_path)
        stack.callback(services.close)
        (tmp_path / "sequencer").mkdir()
        seq_db = stack.enter_context(fresh_database(tmp_path / "sequencer"))
        world = build_world(seq_db)
        for i in range(3):
            world.add_participant(f"platform{i}", ["platform"], kind="platform")
        world.ledger.close()
        log_key = tmp_path / "log.key"
        save_log_key(world.signer, log_key)
        witness_key = create_witness_key("witness.test/exchange", tmp_path / "witness.key")
        net = Network(tmp_path, world, services, stack, witness_key.verifier(), seq_db)
        net.witness = services.add(
            "witness",
            [
                "witness",
                "--key",
                str(tmp_path / "witness.key"),
                "--log",
                world.ledger.log_vkey,
                "--state",
                str(tmp_path / "witness-state"),
            ],
            "/status",
        )
        net.sequencer = services.add(
            "sequencer",
            [
                "serve",
                "--db",
                seq_db,
                "--log-key",
                str(log_key),
                "--seal-every",
                str(SEAL_EVERY),
                "--seal-ms",
                "200",
                "--witness",
                f"{witness_key.verifier().vkey()} {net.witness.url}",
            ],
            "/readyz",
        )
        for name in ("regulator", "auditor"):
            net.add_follower(name)
        for service in services.started:
            service.start()
        for service in services.started:
            service.wait_ready()
        yield net


class TestReplication:
    def test_followers_verify_and_hold_the_sequencers_ledger_and_the_witness_cosigns(
        self, network: Network
    ) -> None:
        network.trade(450)
        size = network.wait_followers()
        note = network.wait_cosigned()
        assert open_checkpoint(note, network.log_verifier).size == size
        root = open_checkpoint(note, network.log_verifier).root
        for follower in network.followers:
            theirs = follower.get("/v1/log/checkpoint").content
            assert open_checkpoint(theirs, network.log_verifier).root == root
            assert network.status(follower)["halted"] is None
            db = network.follower_dbs[follower.name]
            same_ledger(network.sequencer_db, db)
            assert verify_ledger(db, log_vkey=network.log_vkey).entries == size
        witness = network.witness.get("/status").json()["logs"][0]
        assert (witness["size"], witness["frozen"]) == (size, None)


@pytest.mark.slow
class TestTampering:
    def test_an_edited_record_stops_a_new_follower_at_that_record(self, network: Network) -> None:
        network.trade(20)
        network.wait_followers()
        network.sequencer.stop()
        engine = make_engine(network.sequencer_db)
        e = schema.entries
        with engine.begin() as conn:
            index, record = conn.execute(
                select(e.c.idx, e.c.record).where(e.c.op == "transfer").order_by(e.c.idx)
            ).first()  # type: ignore[misc]
            edited = edit_record(bytes(record), {"to_account": "owner"})
            conn.execute(update(e).where(e.c.idx == index).values(record=edited))
        engine.dispose()
        network.restart_sequencer()
        newcomer = network.add_follower("newcomer").start().wait_ready()
        alarm = network.wait_halted(newcomer, "tampered_record")
        assert alarm["index"] == index
        assert network.status(newcomer)["size"] <= index  # the edited record was not stored
        evidence = load_evidence(Path(alarm["evidence"]))
        assert check_evidence(evidence, network.log_verifier).kind == "tampered_record"

    def test_a_second_root_for_a_signed_size_is_caught_by_followers_and_witness(
        self, network: Network
    ) -> None:
        network.trade(20)
        size = network.wait_followers()
        network.wait_cosigned()
        network.sequencer.stop()
        # The operator, holding the log key, signs another tree of the same size.
        forged = sign_checkpoint(Checkpoint(ORIGIN, size, b"\x42" * 32), network.world.signer)
        engine = make_engine(network.sequencer_db)
        c, w = schema.checkpoints, schema.checkpoint_cosignatures
        with engine.begin() as conn:
            conn.execute(update(c).where(c.c.size == size).values(note=forged, root=b"\x42" * 32))
            conn.execute(delete(w).where(w.c.size == size))
        engine.dispose()
        network.restart_sequencer()
        for follower in network.followers:
            alarm = network.wait_halted(follower, "split_view")
            finding = check_evidence(load_evidence(Path(alarm["evidence"])), network.log_verifier)
            assert (finding.kind, finding.sizes) == ("split_view", (size,))
            assert network.status(follower)["checkpoint_size"] == size

        def frozen() -> bool:
            return network.witness.get("/status").json()["logs"][0]["frozen"] is not None

        wait_for("the witness to freeze the log", frozen, WAIT_S, network.witness.log_tail())
        record = network.witness.get("/status").json()["logs"][0]["frozen"]
        finding = check_evidence(load_evidence(Path(record["evidence"])), network.log_verifier)
        assert finding.kind == "split_view"


class Client:
    """Platforms opening accounts as fast as they are acknowledged, in threads.

    An entry is retried, byte for byte, until acknowledged: resubmitting is idempotent, and a
    later entry could not be accepted before it (sequence numbers).
    """

    def __init__(self, network: Network) -> None:
        self.network = network
        self.stop = threading.Event()
        self.acknowledged: list[bytes] = []
        self.errors = 0
        self._lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self._run, args=(f"platform{i}",), daemon=True)
            for i in range(3)
        ]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def snapshot(self) -> list[bytes]:
        """The hashes of the entries acknowledged so far."""
        with self._lock:
            return list(self.acknowledged)

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(WAIT_S)
            assert not thread.is_alive(), "a client thread is stuck"

    def _run(self, platform: str) -> None:
        n = 0
        with httpx.Client(timeout=30) as http:
            while not self.stop.is_set():
                raws = []
                for _ in range(20):
                    n += 1
                    raws.append(
                        self.network.world.sign(platform, "open_account", {"id": f"{platform}-{n}"})
                    )
                while True:  # until acknowledged, even after stop is asked
                    try:
                        response = http.post(
                            self.network.sequencer.url + "/v1/entries/bulk",
                            content=b"\n".join(raws),
                            headers={"Content-Type": "application/x-ndjson"},
                        )
                        if response.status_code == 200:
                            results = response.json()["results"]
                            assert all("index" in r for r in results), results
                            break
                    except httpx.HTTPError:
                        pass
                    with self._lock:
                        self.errors += 1
                    self.stop.wait(0.05)
                with self._lock:
                    self.acknowledged.extend(hashlib.sha256(raw).digest() for raw in raws)


def logged_hashes(url: str) -> Counter[bytes]:
    """How many times each entry hash is in the log at ``url``."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            hashes = conn.execute(select(schema.entries.c.entry_hash)).scalars()
            return Counter(bytes(h) for h in hashes)
    finally:
        engine.dispose()


@pytest.mark.slow
class TestCrashes:
    def test_kill_9_under_load_loses_and_duplicates_no_acknowledged_entry(
        self, network: Network
    ) -> None:
        client = Client(network)
        client.start()
        try:
            for _ in range(5):
                before = len(client.acknowledged)
                wait_for(
                    "acknowledgements",
                    lambda b=before: len(client.acknowledged) > b + 60,
                    WAIT_S,
                    network.sequencer.log_tail(),
                )
                network.sequencer.kill(signal.SIGKILL)
                acknowledged = client.snapshot()
                network.restart_sequencer()
                logged = logged_hashes(network.sequencer_db)
                assert all(logged[h] == 1 for h in acknowledged), "an acknowledged entry is lost"
        finally:
            client.finish()
        assert client.errors > 0, "no request ever failed: the kills hit nothing"
        logged = logged_hashes(network.sequencer_db)
        assert all(logged[h] == 1 for h in client.acknowledged), "an acknowledged entry is lost"
        assert max(logged.values()) == 1
        size = network.wait_followers()
        report = verify_ledger(network.sequencer_db, log_vkey=network.log_vkey)
        assert report.entries == size == sum(logged.values())
        for follower in network.followers:
            assert network.status(follower)["halted"] is None
            same_ledger(network.sequencer_db, network.follower_dbs[follower.name])
