"""Proving an entry end to end: every step passes on a good ledger, and each alteration is
caught at the step it belongs to (the record, the proof, the checkpoint, the receipt, the
chain's root), on the in-process chain and on anvil, with the ledger on either database."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import ColumnElement, Table, update

from contracts.devnode import AnvilNode, free_port
from contracts.prove import Evidence, Trust, gather, prove_entry
from ledger.checkpoint import Checkpoint
from ledger.cosignature import CosignatureSigner, cosign
from ledger.errors import InvalidInput, NotFound
from ledger.note import Note, NoteSigner, b64encode
from ledger.queries.anchors import ANCHORED
from ledger.storage import schema
from ledger.storage.cosignatures import add_cosignatures
from node.anchor_chain import ChainConnection
from node.anchoring import anchor_latest
from tests.builders import World
from tests.contracts.chains import CHAINS, TestChain
from tests.contracts.conftest import anvil_binary

ENTRY = 5
ALL_STEPS = ["record", "checkpoint", "inclusion", "receipt", "chain_root", "chain_inclusion"]


@pytest.fixture(scope="module")
def anvil_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilNode]:
    node = AnvilNode(anvil_binary(), free_port(), workdir=tmp_path_factory.mktemp("anvil"))
    node.start()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(params=CHAINS)
def chain(request: pytest.FixtureRequest, world: World, tmp_path: Path) -> TestChain:
    if request.param == "in_process":
        made = TestChain.in_process(tmp_path)
    else:
        made = TestChain.anvil(request.getfixturevalue("anvil_node"))
    made.deploy(world.ledger.engine, world.ledger.origin)
    return made


@pytest.fixture
def anchored(world: World, chain: TestChain) -> World:
    """The world sealed and its checkpoint anchored."""
    world.ledger.seal()
    outcome = anchor_latest(world.url, chain.settings)
    assert outcome.receipt.status == ANCHORED
    return world


class Prover:
    """Gathers the evidence from the ledger and checks it against the chain."""

    def __init__(self, world: World, chain: TestChain) -> None:
        self.world = world
        self.chain = chain
        self.trust = Trust(world.ledger.log_vkey)

    def evidence(self, index: int = ENTRY) -> Evidence:
        with ChainConnection.open(self.chain.settings, read_only=True) as connection:
            return gather(self.world.ledger.engine, index, connection.client.chain_id)

    def check(self, evidence: Evidence | None = None, trust: Trust | None = None) -> list[str]:
        """The names of the steps that failed."""
        evidence = evidence or self.evidence()
        with ChainConnection.open(self.chain.settings, read_only=True) as connection:
            report = prove_entry(evidence, connection.client, trust or self.trust)
        assert report.index == evidence.index and report.size == evidence.receipt.size
        return report.failed


@pytest.fixture
def prover(anchored: World, chain: TestChain) -> Prover:
    return Prover(anchored, chain)


def alter(world: World, table: Table, where: ColumnElement[bool], **values: object) -> None:
    """Change stored rows behind the ledger's back, as a tampering operator would."""
    with world.ledger.engine.begin() as conn:
        conn.execute(update(table).where(where).values(**values))


class TestAGoodLedger:
    def test_every_step_checks_out(self, prover: Prover) -> None:
        with ChainConnection.open(prover.chain.settings, read_only=True) as connection:
            report = prove_entry(prover.evidence(), connection.client, prover.trust)
        assert report.ok, report.steps
        assert [step.name for step in report.steps] == ALL_STEPS
        assert report.first_failure is None

    def test_every_entry_under_the_anchored_checkpoint_is_proved(self, prover: Prover) -> None:
        size = prover.evidence().receipt.size
        for index in (0, size // 2, size - 1):
            assert prover.check(prover.evidence(index)) == []

    def test_an_entry_after_the_newest_anchor_is_not_anchored_yet(self, prover: Prover) -> None:
        prover.world.add_participant("late")
        prover.world.ledger.seal()
        with pytest.raises(NotFound) as caught:
            prover.evidence(prover.world.ledger.size - 1)
        assert caught.value.code == "not_anchored_yet"

    def test_a_ledger_never_anchored_on_that_chain_has_nothing_to_prove(
        self, world: World, chain: TestChain
    ) -> None:
        with pytest.raises(NotFound) as caught:
            Prover(world, chain).evidence()
        assert caught.value.code == "unknown_anchor"


class TestAlterations:
    def test_an_altered_record_fails_the_inclusion_here_and_on_chain(self, prover: Prover) -> None:
        e = schema.entries
        record = prover.evidence().record
        # Still a canonical record of entry ENTRY, one digit of its time changed.
        altered = record.replace(b'"time":1', b'"time":2', 1)
        assert altered != record
        alter(prover.world, e, e.c.idx == ENTRY, record=altered)
        assert prover.check() == ["inclusion", "chain_inclusion"]

    @pytest.mark.parametrize("mutation", ["flipped-hash", "truncated-proof", "extra-hash"])
    def test_an_altered_proof_fails_the_inclusion_here_and_on_chain(
        self, prover: Prover, mutation: str
    ) -> None:
        good = prover.evidence()
        proof = list(good.proof)
        if mutation == "flipped-hash":
            proof[0] = bytes([proof[0][0] ^ 1]) + proof[0][1:]
        elif mutation == "truncated-proof":
            proof.pop()
        else:
            proof.append(bytes(32))
        assert prover.check(dataclasses.replace(good, proof=tuple(proof))) == [
            "inclusion",
            "chain_inclusion",
        ]

    def test_an_altered_checkpoint_fails_its_signature_first(self, prover: Prover) -> None:
        good = prover.evidence()
        note = Note.parse(good.note)
        claimed = Checkpoint.from_text(note.text)
        forged = note.text.replace(b64encode(claimed.root), b64encode(bytes(32)))
        c = schema.checkpoints
        alter(
            prover.world,
            c,
            c.c.size == claimed.size,
            note=Note(forged, note.signatures).to_bytes(),
        )
        failed = prover.check()
        assert failed[0] == "checkpoint"
        assert failed == ["checkpoint", "inclusion", "receipt", "chain_root"]

    def test_a_checkpoint_under_another_log_key_fails_the_checkpoint_only(
        self, prover: Prover
    ) -> None:
        other = NoteSigner.generate(prover.world.ledger.origin).verifier().vkey()
        assert prover.check(trust=Trust(other)) == ["checkpoint"]

    def test_an_altered_receipt_fails_the_receipt_only(self, prover: Prover) -> None:
        a = schema.anchors
        alter(prover.world, a, a.c.status == ANCHORED, block_number=a.c.block_number + 1)
        assert prover.check() == ["receipt"]

    def test_a_chain_whose_root_was_replaced_fails_receipt_and_root(
        self, world: World, chain: TestChain
    ) -> None:
        world.ledger.seal()
        before = chain.mark()
        receipt = anchor_latest(world.url, chain.settings).receipt
        # The chain's history is rewritten: the anchoring block is gone, and another root is
        # anchored for that size in its place.
        chain.rewind(before)
        with chain.clients() as clients:
            clients.owner.add_anchorer(world.ledger.origin, clients.rogue.sender)
            clients.rogue.anchor(world.ledger.origin, receipt.size, bytes.fromhex("ee" * 32))
        failed = Prover(world, chain).check()
        assert failed == ["receipt", "chain_root", "chain_inclusion"]


class TestWitnesses:
    @pytest.fixture
    def witnessed(self, prover: Prover) -> tuple[Prover, list[CosignatureSigner]]:
        """Three witnesses, two of whom cosigned the anchored checkpoint."""
        witnesses = [CosignatureSigner.generate(f"witness-{n}.example") for n in range(3)]
        evidence = prover.evidence()
        checkpoint = Checkpoint.from_text(Note.parse(evidence.note).text)
        lines = "".join(cosign(checkpoint, w, int(time.time())).format() for w in witnesses[:2])
        added = add_cosignatures(
            prover.world.ledger.engine,
            checkpoint.size,
            lines,
            [w.verifier() for w in witnesses],
        )
        assert added == 2
        return prover, witnesses

    def test_k_of_n_cosignatures_are_enough(
        self, witnessed: tuple[Prover, list[CosignatureSigner]]
    ) -> None:
        prover, witnesses = witnessed
        trust = Trust(prover.trust.log_vkey, tuple(w.verifier().vkey() for w in witnesses), 2)
        assert prover.check(trust=trust) == []

    def test_fewer_cosignatures_than_required_fail_the_witnesses_only(
        self, witnessed: tuple[Prover, list[CosignatureSigner]]
    ) -> None:
        prover, witnesses = witnessed
        trust = Trust(prover.trust.log_vkey, tuple(w.verifier().vkey() for w in witnesses))
        assert trust.quorum == 3
        assert prover.check(trust=trust) == ["witnesses"]

    def test_a_quorum_without_witnesses_or_above_their_number_is_refused(self) -> None:
        with pytest.raises(InvalidInput):
            Trust("key", (), 1)
        with pytest.raises(InvalidInput):
            Trust("key", ("w1", "w2"), 3)
