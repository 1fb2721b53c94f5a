"""ledger.queries: the read side, checked against a ledger built entry by entry."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import Engine

import ledger.log
from ledger import queries
from ledger.errors import InvalidInput, NotFound, ProofError, RootMismatch, VerificationError
from ledger.note import NoteSigner
from tests.builders import DIGEST, TONNE, Clock, World, lots

DAY_MS = 86_400_000
START_MS = (int(time.time() * 1000) // DAY_MS + 2) * DAY_MS
"""A midnight after the world's genesis: the log's clock never runs backwards."""


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    fake = Clock(START_MS)
    monkeypatch.setattr(ledger.log, "time", fake)
    yield fake


@pytest.fixture
def engine(world: World) -> Engine:
    return world.ledger.engine


class Story:
    """The indexes and ids of what ``story`` did."""

    batch: str
    issued_at: int
    sale: int
    pledge: str
    pledged_at: int
    released_at: int
    enforced_pledge: str
    enforced_at: int
    retirement: str
    retired_at: int
    cancellation: str
    cancelled_at: int
    gift: int
    reversal: int


@pytest.fixture
def story(world: World, clock: Clock) -> Story:
    """owner is issued 2,000 t, sells 1,019 t to alice (day 1), pledges and gets back 100 t,
    loses 50 t to the bank by enforcement, retires 138.25 t for an event, gives bob 10 t at no
    price (day 2), which the regulator reverses; alice cancels 1,019 t for a court case."""
    s = Story()
    s.batch = world.issue(2000 * TONNE)
    s.issued_at = world.ledger.size - 1
    clock.advance(DAY_MS)
    world.accept(
        "owner",
        "transfer",
        {
            "from_account": "owner",
            "to_account": "alice",
            "lots": lots(s.batch, 1019 * TONNE),
            "price_fen_per_tonne": 6_903,
            "venue": "exchange_agreement",
            "settlement_ref": "S-1",
        },
    )
    s.sale = world.ledger.size - 1
    event = world.accept(
        "owner",
        "pledge",
        {"account": "owner", "bank": "bank", "lots": lots(s.batch, 100 * TONNE)},
        ["bank"],
    )
    s.pledge, s.pledged_at = str(event.data["pledge"]), event.index
    s.released_at = world.accept("bank", "release_pledge", {"pledge": s.pledge}).index
    event = world.accept(
        "owner",
        "pledge",
        {"account": "owner", "bank": "bank", "lots": lots(s.batch, 50 * TONNE)},
        ["bank"],
    )
    s.enforced_pledge = str(event.data["pledge"])
    s.enforced_at = world.accept("bank", "enforce_pledge", {"pledge": s.enforced_pledge}).index
    event = world.accept(
        "owner",
        "retire",
        {
            "account": "owner",
            "lots": lots(s.batch, 138_250_000),
            "beneficiary": {"name": "CBD Forum", "identifier": "USCC-1"},
            "purpose": "event_neutrality",
            "jurisdiction": "CN-BJ",
            "event_ref": "CBD-2024",
        },
    )
    s.retirement, s.retired_at = str(event.data["retirement"]), event.index
    clock.advance(DAY_MS)
    s.gift = world.accept(
        "owner",
        "transfer",
        {"from_account": "owner", "to_account": "bob", "lots": lots(s.batch, 10 * TONNE)},
    ).index
    s.reversal = world.accept(
        "regulator",
        "correct",
        {"corrects": s.gift, "action": "reverse_transfer", "reason": "sent to the wrong account"},
    ).index
    event = world.accept(
        "alice",
        "cancel",
        {
            "account": "alice",
            "lots": lots(s.batch, 1019 * TONNE),
            "reason": "ecological_compensation",
            "case": {
                "authority": "court",
                "case_number": "(2023)Y20",
                "damage_fen": 7_034_400,
                "decision_digest": DIGEST,
            },
        },
        ["court"],
    )
    s.cancellation, s.cancelled_at = str(event.data["cancellation"]), event.index
    world.ledger.seal()
    return s


class TestFormatting:
    @pytest.mark.parametrize(
        ("grams", "text"),
        [
            (5_503_686_000, "5,503.686 t"),
            (1_019_000_000, "1,019 t"),
            (138_250_000, "138.25 t"),
            (1, "0.000001 t"),
            (0, "0 t"),
            (-1_500_000, "-1.5 t"),
            (8_082_900_000, "8,082.9 t"),
        ],
    )
    def test_grams_print_as_exact_tonnes(self, grams: int, text: str) -> None:
        assert queries.format_tonnes(grams) == text

    def test_fen_print_as_exact_yuan(self) -> None:
        assert queries.format_cny(7_034_400) == "70,344.00 CNY"
        assert queries.format_cny(2_740_608) == "27,406.08 CNY"
        assert queries.format_cny(5) == "0.05 CNY"

    def test_trade_value_is_exact_and_rounds_half_up_to_the_fen(self) -> None:
        # Shanghai, 13 Sep 2024: 416 t at 65.88 CNY/t = 27,406.08 CNY.
        assert queries.trade_value_fen(416 * TONNE, 6_588) == 2_740_608
        assert queries.trade_value_fen(500_000, 1) == 1  # half a fen rounds up
        assert queries.trade_value_fen(499_999, 1) == 0

    def test_results_turn_into_json_with_hex_hashes(self, engine: Engine) -> None:
        view = queries.entries(engine, limit=1)[0]
        data = queries.as_json(view)
        assert data["entry_hash"] == view.entry_hash.hex()
        json.dumps(data)


class TestPaging:
    @pytest.mark.parametrize(("limit", "offset"), [(0, 0), (queries.MAX_LIMIT + 1, 0), (1, -1)])
    def test_out_of_range_pages_are_refused(self, engine: Engine, limit: int, offset: int) -> None:
        with pytest.raises(InvalidInput):
            queries.participants(engine, limit=limit, offset=offset)
        with pytest.raises(InvalidInput):
            queries.history(engine, "owner", limit=limit, offset=offset)

    def test_pages_put_together_are_the_whole_list(self, world: World, engine: Engine) -> None:
        whole = queries.participants(engine)
        pages = [queries.participants(engine, limit=3, offset=o) for o in range(0, 12, 3)]
        assert [p for page in pages for p in page] == whole
        assert len(whole) == 10

    def test_history_pages_put_together_are_the_whole_history(
        self, story: Story, engine: Engine
    ) -> None:
        whole = queries.history(engine, "owner")
        pages = [queries.history(engine, "owner", limit=2, offset=o) for o in range(0, 20, 2)]
        assert [h for page in pages for h in page] == whole


class TestRegistry:
    def test_participants_come_with_roles_and_keys(self, world: World, engine: Engine) -> None:
        found = queries.participant(engine, "issuer")
        assert (found.kind, found.roles) == ("government", ["issuer"])
        assert [k.key_id for k in found.keys] == [world["issuer"].key_id]
        assert found.keys[0].public_key == world["issuer"].public_key_b64

    def test_role_filter_matches_whole_roles_only(self, engine: Engine) -> None:
        assert [p.id for p in queries.participants(engine, role="holder")] == [
            "owner",
            "alice",
            "bob",
        ]
        assert queries.participants(engine, role="hold") == []
        assert [p.id for p in queries.participants(engine, kind="government")] == [
            "regulator",
            "issuer",
            "court",
        ]

    def test_unknown_participant_is_not_found_with_a_stable_code(self, engine: Engine) -> None:
        with pytest.raises(NotFound) as caught:
            queries.participant(engine, "nobody")
        assert caught.value.code == "unknown_participant"

    def test_program_lists_the_roles_its_administrator_granted(self, engine: Engine) -> None:
        (program,) = queries.programs(engine)
        assert (program.code, program.administrator) == ("PHCER", "regulator")
        assert program.roles == {"issuer": ["issuer"], "verifier": ["verifier"]}
        assert queries.program(engine, "PHCER") == program

    def test_methodology_carries_its_parameters_with_sources(self, engine: Engine) -> None:
        (method,) = queries.methodologies(engine, program="PHCER", status="active")
        assert method.parameters == [
            {
                "name": "grid_emission_factor",
                "value": "0.5271",
                "unit": "kgCO2/kWh",
                "source": "MEE 2022 provincial grid factor",
            }
        ]
        assert queries.methodologies(engine, status="withdrawn") == []

    def test_projects_filter_by_owner(self, engine: Engine) -> None:
        assert [p.id for p in queries.projects(engine, owner="owner")] == ["P1"]
        assert queries.projects(engine, owner="alice") == []
        assert queries.project(engine, "P1").city == "Zhongshan"

    def test_personal_accounts_list_by_custodian(self, world: World, engine: Engine) -> None:
        world.open_account("u-1")
        (found,) = queries.accounts(engine, custodian="platform")
        assert (found.id, found.kind, found.holder) == ("u-1", "personal", None)


class TestSupply:
    def test_batch_supply_adds_up_after_every_kind_of_use(
        self, story: Story, engine: Engine
    ) -> None:
        batch = queries.batch(engine, story.batch)
        assert batch.supply == queries.Supply(
            issued=2000 * TONNE,
            held=2000 * TONNE - 138_250_000 - 1019 * TONNE,
            pledged=0,
            retired=138_250_000,
            cancelled=1019 * TONNE,
        )
        s = batch.supply
        assert s.issued == s.held + s.pledged + s.retired + s.cancelled

    def test_supply_sums_batches_and_filters_by_program_and_project(
        self, world: World, engine: Engine
    ) -> None:
        world.issue(7)
        world.issue(5)
        assert queries.supply(engine).issued == 12
        assert queries.supply(engine, project="P1").held == 12
        assert queries.supply(engine, program="CDCER") == queries.Supply()
        assert [b.supply.issued for b in queries.batches(engine, program="PHCER")] == [7, 5]
        assert queries.batches(engine, project="P2") == []

    def test_unknown_batch_is_not_found(self, engine: Engine) -> None:
        with pytest.raises(NotFound) as caught:
            queries.batch(engine, "PHCER-2099-000001")
        assert caught.value.code == "unknown_batch"


class TestHoldings:
    def test_ranges_by_status_cover_what_the_account_did(
        self, story: Story, engine: Engine
    ) -> None:
        ranges = queries.holdings(engine, "owner")
        assert sum(h.quantity for h in ranges if h.status == "retired") == 138_250_000
        assert [h.ref for h in ranges if h.status == "retired"] == [story.retirement]
        held = queries.holdings(engine, "owner", status="held")
        assert all(h.status == "held" for h in held)
        assert (
            sum(h.quantity for h in held) == 2000 * TONNE - 1019 * TONNE - 50 * TONNE - 138_250_000
        )

    def test_balances_per_batch_and_status(self, story: Story, engine: Engine) -> None:
        assert queries.balances(engine, "alice") == [
            queries.Balance(story.batch, 0, 0, 0, 1019 * TONNE)
        ]
        assert queries.balances(engine, "bank") == [
            queries.Balance(story.batch, 50 * TONNE, 0, 0, 0)
        ]
        assert queries.balances(engine, "bob") == []


class TestHistory:
    def test_history_lists_every_movement_with_its_log_index(
        self, story: Story, engine: Engine
    ) -> None:
        got = [
            (h.index, h.kind, h.quantity, h.counterparty, h.ref)
            for h in queries.history(engine, "owner")
        ]
        assert got == [
            (story.issued_at, "issue_in", 2000 * TONNE, None, story.batch),
            (story.sale, "transfer_out", 1019 * TONNE, "alice", None),
            (story.pledged_at, "pledge", 100 * TONNE, "bank", story.pledge),
            (story.released_at, "pledge_release", 100 * TONNE, "bank", story.pledge),
            (story.enforced_at - 1, "pledge", 50 * TONNE, "bank", story.enforced_pledge),
            (story.enforced_at, "pledge_enforce_out", 50 * TONNE, "bank", story.enforced_pledge),
            (story.retired_at, "retire", 138_250_000, None, story.retirement),
            (story.gift, "transfer_out", 10 * TONNE, "bob", None),
            (story.reversal, "reversal_in", 10 * TONNE, "bob", None),
        ]

    def test_counterparties_see_the_other_side(self, story: Story, engine: Engine) -> None:
        assert [(h.kind, h.index) for h in queries.history(engine, "bob")] == [
            ("transfer_in", story.gift),
            ("reversal_out", story.reversal),
        ]
        assert [(h.kind, h.counterparty) for h in queries.history(engine, "bank")] == [
            ("pledge_enforce_in", "owner")
        ]
        alice = queries.history(engine, "alice")
        assert [(h.kind, h.price_fen_per_tonne, h.venue) for h in alice] == [
            ("transfer_in", 6_903, "exchange_agreement"),
            ("cancel", None, None),
        ]
        assert alice[1].counterparty == "court"

    def test_history_items_carry_sequencing_times(self, story: Story, engine: Engine) -> None:
        times = {h.index: h.time_ms for h in queries.history(engine, "owner")}
        assert times[story.issued_at] == START_MS
        assert times[story.sale] == START_MS + DAY_MS
        assert times[story.gift] == START_MS + 2 * DAY_MS


class TestUses:
    def test_retirement_by_id_beneficiary_event_and_account(
        self, story: Story, engine: Engine
    ) -> None:
        found = queries.retirement(engine, story.retirement)
        assert (found.quantity, found.beneficiary_name, found.purpose, found.index) == (
            138_250_000,
            "CBD Forum",
            "event_neutrality",
            story.retired_at,
        )
        for query in (
            {"beneficiary": "CBD Forum"},
            {"beneficiary": "USCC-1"},
            {"event_ref": "CBD-2024"},
            {"account": "owner"},
        ):
            assert queries.retirements(engine, **query) == [found]
        assert queries.retirements(engine, event_ref="other") == []

    def test_cancellation_by_case_and_reason(self, story: Story, engine: Engine) -> None:
        (found,) = queries.cancellations(engine, case_number="(2023)Y20")
        assert (found.id, found.quantity, found.damage_fen, found.authority) == (
            story.cancellation,
            1019 * TONNE,
            7_034_400,
            "court",
        )
        assert queries.cancellations(engine, reason="export") == []
        assert queries.cancellation(engine, story.cancellation) == found

    def test_unknown_retirement_and_cancellation_have_stable_codes(self, engine: Engine) -> None:
        for lookup, code in (
            (queries.retirement, "unknown_retirement"),
            (queries.cancellation, "unknown_cancellation"),
            (queries.pledge, "unknown_pledge"),
        ):
            with pytest.raises(NotFound) as caught:
                lookup(engine, "RET-999")
            assert caught.value.code == code

    def test_pledges_by_status(self, story: Story, engine: Engine) -> None:
        assert [p.id for p in queries.pledges(engine, status="released")] == [story.pledge]
        (enforced,) = queries.pledges(engine, bank="bank", status="enforced")
        assert (enforced.id, enforced.closed_at) == (story.enforced_pledge, story.enforced_at)


class TestTrades:
    def test_only_priced_transfers_are_announced_with_their_value(
        self, story: Story, engine: Engine
    ) -> None:
        (trade,) = queries.trades(engine)
        assert (trade.index, trade.quantity, trade.price_fen_per_tonne, trade.value_fen) == (
            story.sale,
            1019 * TONNE,
            6_903,
            7_034_157,
        )
        assert (trade.venue, trade.settlement_ref) == ("exchange_agreement", "S-1")

    def test_time_range_is_half_open(self, story: Story, engine: Engine) -> None:
        day1 = START_MS + DAY_MS
        assert len(queries.trades(engine, since_ms=day1, until_ms=day1 + 1)) == 1
        assert queries.trades(engine, since_ms=day1 + 1) == []
        assert queries.trades(engine, until_ms=day1) == []
        assert queries.trades(engine, venue="otc") == []


class TestLog:
    def test_info_and_next_sequence_number(self, world: World, engine: Engine) -> None:
        info = queries.ledger_info(engine)
        assert (info.origin, info.size) == (world.ledger.origin, world.ledger.size)
        assert info.log_vkey == world.signer.verifier().vkey()
        assert queries.next_seq(engine, "owner") == 1
        world.issue(5)
        assert queries.next_seq(engine, "issuer") == world["issuer"].seq + 1
        assert queries.next_seq(engine, "nobody-yet") == 1

    def test_entries_filter_and_page_from_an_index(self, story: Story, engine: Engine) -> None:
        rows = queries.entries(engine, start=story.sale, limit=2)
        assert [(e.index, e.op, e.signer) for e in rows] == [
            (story.sale, "transfer", "owner"),
            (story.sale + 1, "pledge", "owner"),
        ]
        assert [e.index for e in queries.entries(engine, op="retire")] == [story.retired_at]
        assert {e.signer for e in queries.entries(engine, signer="bank")} == {"bank"}

    def test_entry_is_decoded_with_its_signers(self, story: Story, engine: Engine) -> None:
        found = queries.entry(engine, story.pledged_at)
        assert (found.op, found.signer, found.body["bank"]) == ("pledge", "owner", "bank")
        assert [s["signer"] for s in found.signatures] == ["owner", "bank"]
        with pytest.raises(NotFound):
            queries.entry(engine, 10_000)

    def test_checkpoints_newest_first(self, story: Story, world: World, engine: Engine) -> None:
        latest = queries.checkpoint(engine)
        assert latest.size == world.ledger.size
        assert queries.checkpoints(engine, limit=1) == [latest]
        assert latest.note.startswith(f"{world.ledger.origin}\n{latest.size}\n")
        with pytest.raises(NotFound):
            queries.checkpoint(engine, 3)


class TestProofs:
    def test_inclusion_proof_of_every_entry_checks(
        self, story: Story, world: World, engine: Engine
    ) -> None:
        vkey = world.signer.verifier().vkey()
        for index in range(world.ledger.size):
            proof = queries.inclusion_proof(engine, index)
            assert proof.checkpoint is not None
            proof.check(vkey)

    def test_inclusion_at_an_unsealed_size_uses_the_computed_root(
        self, story: Story, world: World, engine: Engine
    ) -> None:
        proof = queries.inclusion_proof(engine, 2, size=5)
        assert proof.checkpoint is None
        assert proof.root == world.ledger.root_at(5)
        proof.check(world.signer.verifier().vkey())

    def test_tampered_inclusion_proofs_fail(
        self, story: Story, world: World, engine: Engine
    ) -> None:
        vkey = world.signer.verifier().vkey()
        proof = queries.inclusion_proof(engine, story.retired_at)
        flipped = bytes([proof.proof[0][0] ^ 1]) + proof.proof[0][1:]
        with pytest.raises(RootMismatch):
            replace(proof, proof=[flipped, *proof.proof[1:]]).check(vkey)
        with pytest.raises(ProofError):
            replace(proof, proof=proof.proof[:-1]).check(vkey)
        with pytest.raises(VerificationError):
            replace(proof, record=proof.record + b" ").check(vkey)
        with pytest.raises(VerificationError):
            proof.check(NoteSigner.generate(world.ledger.origin).verifier().vkey())

    def test_consistency_between_every_pair_of_checkpoints(
        self, story: Story, world: World, engine: Engine
    ) -> None:
        vkey = world.signer.verifier().vkey()
        sizes = sorted(c.size for c in queries.checkpoints(engine))
        assert len(sizes) >= 2
        for size1 in sizes:
            proof = queries.consistency_proof(engine, size1)
            proof.check(vkey)
            assert proof.checkpoint1 is not None and proof.checkpoint2 is not None
        swapped = queries.consistency_proof(engine, sizes[0])
        with pytest.raises(VerificationError):
            replace(swapped, root1=swapped.root2).check(vkey)

    def test_out_of_range_sizes_are_refused(self, world: World, engine: Engine) -> None:
        size = world.ledger.size
        with pytest.raises(NotFound):
            queries.inclusion_proof(engine, 0, size + 1)
        with pytest.raises(NotFound):
            queries.inclusion_proof(engine, 1, 1)
        with pytest.raises(NotFound):
            queries.consistency_proof(engine, 0, size)
