"""The genesis entry: the first entry of every log, naming the log and its operator."""

from __future__ import annotations

import pytest
from sqlalchemy import insert

from ledger.client import Identity
from ledger.entry import parse_entry, parse_record
from ledger.errors import LedgerError, RuleViolation
from ledger.log import Accepted, Ledger, Rejected
from ledger.note import NoteSigner
from ledger.storage import schema
from ledger.storage.engine import make_engine
from ledger.storage.migrate import upgrade
from tests.builders import ORIGIN, World
from tests.databases import snapshot


def bare_ledger(url: str, signer: NoteSigner) -> Ledger:
    """A ledger with its identity recorded but no entry yet: what precedes the genesis."""
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(schema.meta),
            [
                {"key": "origin", "value": ORIGIN},
                {"key": "log_vkey", "value": signer.verifier().vkey()},
                {"key": "format", "value": "1"},
            ],
        )
    return Ledger(engine, signer)


def genesis_body(operator: Identity, *, origin: str = ORIGIN) -> dict[str, str]:
    return {
        "origin": origin,
        "log_key": "unused",
        "operator_id": operator.participant,
        "operator_name": "Operator",
        "operator_key": operator.public_key_b64,
    }


def rejected_on_empty_log(ledger: Ledger, raw: bytes) -> LedgerError:
    """Submit ``raw`` as the first entry; assert it is refused and nothing was stored."""
    before = snapshot(ledger.engine)
    (outcome,) = ledger.submit([raw])
    assert isinstance(outcome, Rejected), outcome
    assert snapshot(ledger.engine) == before
    assert ledger.size == 0
    return outcome.error


class TestGenesisAccepted:
    def test_create_logs_the_genesis_and_makes_the_operator_registrar(self, world: World) -> None:
        entry = parse_entry(parse_record(world.ledger.record(0)).entry_raw)
        assert (entry.op, entry.signer, entry.ledger) == ("genesis", "operator", ORIGIN)
        assert entry.body["operator_key"] == world.operator.public_key_b64
        participant = world.row(schema.participants, id="operator")
        assert participant is not None
        assert (participant["kind"], participant["roles"], participant["registered_at"]) == (
            "operator",
            "registrar",
            0,
        )
        key = world.row(schema.keys, key_id=world.operator.key_id)
        assert key is not None and key["participant"] == "operator" and key["revoked_at"] is None
        account = world.row(schema.accounts, id="operator")
        assert account is not None and account["holder"] == "operator"

    def test_create_seals_the_genesis_in_a_checkpoint(self, world: World) -> None:
        assert world.row(schema.checkpoints, size=1) is not None

    def test_genesis_on_an_empty_log_is_accepted(self, ledger_url: str) -> None:
        signer, operator = NoteSigner.generate(ORIGIN), Identity.generate("op")
        ledger = bare_ledger(ledger_url, signer)
        try:
            (outcome,) = ledger.submit([operator.sign(ORIGIN, "genesis", genesis_body(operator))])
            assert isinstance(outcome, Accepted) and outcome.index == 0
            assert ledger.size == 1
        finally:
            ledger.close()


class TestGenesisRejected:
    def test_a_second_genesis_is_rejected(self, world: World) -> None:
        intruder = Identity.generate("intruder")
        raw = intruder.sign(ORIGIN, "genesis", genesis_body(intruder))
        assert world.reject_raw(raw).code == "invalid_genesis"

    def test_a_second_genesis_by_the_operator_is_rejected(self, world: World) -> None:
        code = world.reject("operator", "genesis", genesis_body(world.operator))
        assert code == "invalid_genesis"

    def test_the_first_entry_must_be_the_genesis(self, ledger_url: str) -> None:
        signer, operator = NoteSigner.generate(ORIGIN), Identity.generate("op")
        ledger = bare_ledger(ledger_url, signer)
        try:
            raw = operator.sign(
                ORIGIN,
                "register_program",
                {"code": "PHCER", "name": "x", "region": "CN-GD", "administrator": "op"},
            )
            assert rejected_on_empty_log(ledger, raw).code == "invalid_genesis"
        finally:
            ledger.close()

    @pytest.mark.parametrize("where", ["body", "envelope"])
    def test_genesis_for_another_log_is_rejected(self, ledger_url: str, where: str) -> None:
        signer, operator = NoteSigner.generate(ORIGIN), Identity.generate("op")
        ledger = bare_ledger(ledger_url, signer)
        try:
            if where == "body":
                raw = operator.sign(ORIGIN, "genesis", genesis_body(operator, origin="other/log"))
            else:
                raw = operator.sign("other/log", "genesis", genesis_body(operator))
            assert rejected_on_empty_log(ledger, raw).code == "wrong_ledger"
        finally:
            ledger.close()

    def test_genesis_signed_by_a_key_other_than_the_named_one_is_rejected(
        self, ledger_url: str
    ) -> None:
        signer, operator = NoteSigner.generate(ORIGIN), Identity.generate("op")
        impostor = Identity.generate("op")
        ledger = bare_ledger(ledger_url, signer)
        try:
            raw = impostor.sign(ORIGIN, "genesis", genesis_body(operator))
            assert rejected_on_empty_log(ledger, raw).code == "bad_signature"
        finally:
            ledger.close()

    def test_genesis_signed_by_someone_other_than_the_named_operator_is_rejected(
        self, ledger_url: str
    ) -> None:
        signer, operator = NoteSigner.generate(ORIGIN), Identity.generate("op")
        other = Identity("someone", operator.key)
        ledger = bare_ledger(ledger_url, signer)
        try:
            raw = other.sign(ORIGIN, "genesis", genesis_body(operator))
            assert rejected_on_empty_log(ledger, raw).code == "bad_signature"
        finally:
            ledger.close()

    def test_genesis_with_a_malformed_operator_key_is_rejected(self, ledger_url: str) -> None:
        signer, operator = NoteSigner.generate(ORIGIN), Identity.generate("op")
        ledger = bare_ledger(ledger_url, signer)
        try:
            body = {**genesis_body(operator), "operator_key": "not base64!"}
            raw = operator.sign(ORIGIN, "genesis", body)
            assert rejected_on_empty_log(ledger, raw).code == "invalid_input"
        finally:
            ledger.close()

    def test_creating_a_ledger_where_one_exists_is_refused(self, world: World) -> None:
        before = world.snapshot()
        with pytest.raises(RuleViolation) as caught:
            Ledger.create(world.url, ORIGIN, Identity.generate("op2"), NoteSigner.generate(ORIGIN))
        assert caught.value.code == "ledger_exists"
        assert world.snapshot() == before
