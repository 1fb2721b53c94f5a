"""register_case: an ecological-damage case, registered by the authority that decided it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest

from ledger.storage import schema
from tests.builders import TONNE, World, sign_any_json

Body = dict[str, Any]
DECISION = "cd" * 32
CASE = "(2023)Yue2071Minchu1234"


def zhongshan(**extra: Any) -> Body:
    """Zhongshan, May 2023: 70,344 CNY of damage, 1,019 t to cancel."""
    return {
        "case_number": CASE,
        "liable_party": "alice",
        "damage_fen": 7_034_400,
        "decision_digest": DECISION,
        "required": 1_019 * TONNE,
        "jurisdiction": "CN-GD",
        **extra,
    }


class TestRegisterCase:
    def test_authority_registers_an_open_case(self, world: World) -> None:
        event = world.accept("court", "register_case", zhongshan(note="wastewater"))
        assert event.data == {"case": CASE, "required": 1_019_000_000}
        row = world.row(schema.compensation_cases, case_number=CASE)
        assert row == {
            "case_number": CASE,
            "idx": event.index,
            "authority": "court",
            "liable_party": "alice",
            "damage_fen": 7_034_400,
            "decision_digest": DECISION,
            "required": 1_019_000_000,
            "cancelled": 0,
            "status": "open",
            "jurisdiction": "CN-GD",
            "closed_at": None,
            "note": "wastewater",
        }


class TestRegisterCaseRejected:
    @pytest.mark.parametrize("signer", ["alice", "regulator", "operator"])
    def test_only_an_authority_registers_cases(self, world: World, signer: str) -> None:
        assert world.reject(signer, "register_case", zhongshan()) == "not_authorised"

    def test_a_case_number_is_registered_once(self, world: World) -> None:
        world.accept("court", "register_case", zhongshan())
        assert world.reject("court", "register_case", zhongshan()) == "duplicate_case"

    def test_liable_party_must_be_registered(self, world: World) -> None:
        body = zhongshan(liable_party="ghost")
        assert world.reject("court", "register_case", body) == "unknown_participant"

    def test_float_tonnage_is_invalid_input(self, world: World) -> None:
        body = orjson.dumps(zhongshan(required=1019.0), option=orjson.OPT_SORT_KEYS)
        raw = sign_any_json(world.ledger.origin, "register_case", world["court"], body)
        assert world.reject_raw(raw).code == "invalid_input"

    def test_authority_is_not_its_own_liable_party(self, world: World) -> None:
        assert world.reject("court", "register_case", zhongshan(liable_party="court")) == (
            "rule_violation"
        )


MALFORMED: dict[str, Callable[[Body], None]] = {
    "zero-required": lambda b: b.update(required=0),
    "negative-damage": lambda b: b.update(damage_fen=-1),
    "damage-in-yuan-text": lambda b: b.update(damage_fen="70344.00"),
    "short-digest": lambda b: b.update(decision_digest="cd" * 16),
    "missing-case-number": lambda b: b.pop("case_number"),
    "bad-jurisdiction": lambda b: b.update(jurisdiction="Guangdong"),
    "unknown-field": lambda b: b.update(judge="x"),
}


@pytest.mark.parametrize("mutation", sorted(MALFORMED))
def test_malformed_case_is_invalid_input(world: World, mutation: str) -> None:
    body = zhongshan()
    MALFORMED[mutation](body)
    assert world.reject("court", "register_case", body) == "invalid_input"
