"""The single writer: group commit of concurrent submissions, sealing by time, idempotency
keys decided on the writer thread, and failures answered without losing the writer."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Sequence

import pytest

from ledger.errors import LedgerError
from ledger.log import Accepted, Ledger, Outcome
from ledger.storage import schema
from node.writer import GroupReport, GroupWriter, Reply, Submission, _Flight, _Waiting
from tests.builders import World, build_world


def render(outcomes: Sequence[Outcome]) -> Reply:
    """Indexes of the accepted entries, or the first rejection's code."""
    text = ",".join(str(o.index) if isinstance(o, Accepted) else o.error.code for o in outcomes)
    return Reply(200, "text/plain", text.encode())


@pytest.fixture
def world(ledger_url: str) -> Iterator[World]:
    built = build_world(ledger_url)
    built.close()
    yield built


def start(world: World, reports: list[GroupReport], **kw: int) -> GroupWriter:
    writer = GroupWriter(
        lambda: Ledger.open(world.url, world.signer), on_group=reports.append, **kw
    )
    writer.start()
    return writer


def accounts(world: World, count: int, platform: str = "platform") -> list[bytes]:
    return [world.sign(platform, "open_account", {"id": f"acc-{n}"}) for n in range(count)]


def submit_each(writer: GroupWriter, raws: Sequence[bytes]) -> list[Reply]:
    """Submit every entry as a request of its own, all at once; the replies, then stop."""

    async def submit_all() -> list[Reply]:
        return await asyncio.gather(*(writer.submit(Submission([r], render)) for r in raws))

    try:
        return asyncio.run(submit_all())
    finally:
        writer.stop()


class TestGroupCommit:
    def test_concurrent_submissions_share_group_commits(self, world: World) -> None:
        reports: list[GroupReport] = []
        writer = start(world, reports, seal_ms=0)
        replies = submit_each(writer, accounts(world, 200))
        indexes = [int(r.body) for r in replies]
        assert sorted(indexes) == indexes  # applied in the order they were queued
        assert len(set(indexes)) == 200
        assert sum(r.appended for r in reports) == 200
        assert len([r for r in reports if r.entries]) < 200, "every entry had its own commit"

    def test_a_request_is_never_split_across_groups(self, world: World) -> None:
        reports: list[GroupReport] = []
        writer = start(world, reports, seal_ms=0, max_group=10)
        raws = accounts(world, 25)
        try:
            reply = asyncio.run(writer.submit(Submission(raws, render)))
        finally:
            writer.stop()
        assert len(reply.body.split(b",")) == 25
        assert [r.entries for r in reports if r.entries] == [25]

    def test_a_group_gathers_about_max_group_bytes(self, world: World) -> None:
        reports: list[GroupReport] = []
        raws = accounts(world, 60)
        bound = 2 * min(map(len, raws))  # any two entries reach it, no single one
        writer = start(world, reports, seal_ms=0, max_group_bytes=bound)
        replies = submit_each(writer, raws)
        assert len({int(r.body) for r in replies}) == 60
        groups = [r.entries for r in reports if r.entries]
        assert sum(groups) == 60
        assert max(groups) == 2  # the bound is reached with the second entry


class TestSealing:
    def test_a_partial_batch_is_sealed_after_seal_ms(self, world: World) -> None:
        reports: list[GroupReport] = []
        writer = start(world, reports, seal_ms=20)
        try:
            reply = asyncio.run(writer.submit(Submission(accounts(world, 1), render)))
            for _ in range(250):
                if world.row(schema.checkpoints, size=int(reply.body) + 1) is not None:
                    break
                asyncio.run(asyncio.sleep(0.02))
        finally:
            writer.stop()
        assert world.row(schema.checkpoints, size=int(reply.body) + 1) is not None
        assert sum(r.sealed for r in reports) >= 1

    def test_stopping_seals_what_is_unsealed(self, world: World) -> None:
        writer = start(world, [], seal_ms=0)
        reply = asyncio.run(writer.submit(Submission(accounts(world, 3), render)))
        writer.stop()
        size = int(reply.body.split(b",")[-1]) + 1
        assert world.row(schema.checkpoints, size=size) is not None


class TestIdempotencyKeys:
    def test_a_key_repeated_in_one_group_follows_the_first_request(self, world: World) -> None:
        writer = start(world, [], seal_ms=0)
        (raw,) = accounts(world, 1)
        submission = Submission([raw], render, "k", b"fingerprint")

        async def twice() -> list[Reply]:
            return await asyncio.gather(writer.submit(submission), writer.submit(submission))

        try:
            first, second = asyncio.run(twice())
        finally:
            writer.stop()
        assert first.body == second.body
        assert [first.replayed, second.replayed].count(True) == 1
        assert len(world.rows(schema.idempotency_keys)) == 1

    def test_a_stored_key_with_another_fingerprint_is_refused(self, world: World) -> None:
        writer = start(world, [], seal_ms=0)
        one, two = accounts(world, 2)
        try:
            asyncio.run(writer.submit(Submission([one], render, "k", b"a")))
            with pytest.raises(LedgerError) as refused:
                asyncio.run(writer.submit(Submission([two], render, "k", b"b")))
        finally:
            writer.stop()
        assert refused.value.code == "idempotency_key_reused"
        assert world.row(schema.accounts, id="acc-1") is None

    def test_a_key_in_the_group_being_written_is_followed_by_the_next_group(
        self, world: World
    ) -> None:
        """A big request is applied and written while the same request, sent just after it,
        waits: the retry follows the first (in the next group, or in the same one), and the
        key is stored once."""
        reports: list[GroupReport] = []
        writer = start(world, reports, seal_ms=0)
        raws = accounts(world, 400)
        submission = Submission(raws, render, "k", b"fingerprint")

        async def retried() -> list[Reply]:
            first = asyncio.ensure_future(writer.submit(submission))
            await asyncio.sleep(0.005)
            return await asyncio.gather(first, writer.submit(submission))

        try:
            first, second = asyncio.run(retried())
        finally:
            writer.stop()
        assert first.body == second.body
        assert (first.replayed, second.replayed) == (False, True)
        assert len(world.rows(schema.idempotency_keys)) == 1
        assert sum(r.appended for r in reports) == 400

    def test_requests_with_the_key_of_the_group_in_flight_follow_it(self, world: World) -> None:
        """``_resolve_keys`` against a group in flight: the same request follows that group's
        request with the key; another request with that key is refused."""
        writer = GroupWriter(lambda: Ledger.open(world.url, world.signer))
        one, two = accounts(world, 2)
        loop = asyncio.new_event_loop()
        try:

            def waiting(raw: bytes, stamp: bytes) -> _Waiting:
                return _Waiting(Submission([raw], render, "k", stamp), loop, loop.create_future())

            lead = waiting(one, b"a")
            flight = _Flight([lead], [lead], {}, {"k": lead}, None, False)
            same, other = waiting(one, b"a"), waiting(two, b"b")
            ledger = Ledger.open(world.url, world.signer)
            try:
                to_apply, followers, leads = writer._resolve_keys(ledger, [same, other], flight)
            finally:
                ledger.close()
        finally:
            loop.close()
        assert (to_apply, dict(followers), leads) == ([], {}, {})
        assert flight.followers == {lead: [same]}
        assert isinstance(other.result, LedgerError)
        assert other.result.code == "idempotency_key_reused"


class TestFailures:
    def test_a_failed_commit_is_answered_and_the_writer_goes_on(self, world: World) -> None:
        writer = start(world, [], seal_ms=0)
        one, two = accounts(world, 2)

        def broken(outcomes: Sequence[Outcome]) -> Reply:
            raise RuntimeError("rendering failed")

        try:
            with pytest.raises(LedgerError) as failed:
                asyncio.run(writer.submit(Submission([one], broken)))
            assert failed.value.code == "writer_failed"
            assert world.row(schema.accounts, id="acc-0") is None  # rolled back
            reply = asyncio.run(writer.submit(Submission([two], render)))
        finally:
            writer.stop()
        assert world.row(schema.entries, idx=int(reply.body)) is not None

    def test_submissions_past_max_waiting_bytes_are_refused_until_the_writer_catches_up(
        self, world: World
    ) -> None:
        raws = accounts(world, 6)
        size = max(map(len, raws))
        busy, go_on = threading.Event(), threading.Event()

        def hold(report: GroupReport) -> None:  # the writer thread waits here after a group
            busy.set()
            go_on.wait(10)

        writer = GroupWriter(
            lambda: Ledger.open(world.url, world.signer),
            seal_ms=0,
            max_waiting_bytes=3 * size,
            on_group=hold,
        )
        writer.start()

        async def scenario() -> list[Reply | BaseException]:
            first = asyncio.ensure_future(writer.submit(Submission(raws[:1], render)))
            while not busy.is_set():
                await asyncio.sleep(0.01)
            queued = [
                asyncio.ensure_future(writer.submit(Submission([r], render))) for r in raws[1:5]
            ]
            await asyncio.sleep(0.1)  # each has been queued or refused by now
            go_on.set()
            done = await asyncio.gather(first, *queued, return_exceptions=True)
            later = await writer.submit(Submission(raws[5:], render))  # room again
            return [*done, later]

        try:
            results = asyncio.run(scenario())
        finally:
            go_on.set()
            writer.stop()
        codes = [r.code if isinstance(r, LedgerError) else "ok" for r in results]
        assert codes == ["ok", "ok", "ok", "ok", "writer_busy", "ok"]
        assert world.row(schema.accounts, id="acc-4") is None  # the refused one
        assert world.row(schema.accounts, id="acc-5") is not None

    def test_a_stopped_writer_refuses_submissions(self, world: World) -> None:
        writer = start(world, [], seal_ms=0)
        writer.stop()
        with pytest.raises(LedgerError) as refused:
            asyncio.run(writer.submit(Submission(accounts(world, 1), render)))
        assert refused.value.code == "writer_unavailable"

    def test_opening_a_database_without_a_ledger_fails_at_start(self, tmp_path: object) -> None:
        writer = GroupWriter(lambda: Ledger.open(f"sqlite:///{tmp_path}/none.db", None))
        with pytest.raises(LedgerError) as failed:
            writer.start()
        assert failed.value.code == "no_ledger"
