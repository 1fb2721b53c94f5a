"""register_participant: the registrar admits a participant with its roles and keys."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ledger.client import Identity
from ledger.storage import schema
from tests.builders import World

Body = dict[str, Any]


def new_body(world: World, pid: str = "carol", roles: tuple[str, ...] = ("holder",)) -> Body:
    return world.participant_body(pid, roles, "enterprise", name="Carol Ltd")


class TestRegisterParticipantAccepted:
    def test_registrar_registers_participant_with_key_and_own_account(self, world: World) -> None:
        body = {**new_body(world, roles=("holder", "platform")), "identifier": "91440000MA4X"}
        event = world.accept("operator", "register_participant", body)
        carol = world["carol"]
        assert event.data == {"participant": "carol", "keys": [carol.key_id]}
        row = world.row(schema.participants, id="carol")
        assert row is not None
        assert (row["name"], row["kind"], row["roles"], row["identifier"]) == (
            "Carol Ltd",
            "enterprise",
            "holder platform",
            "91440000MA4X",
        )
        key = world.row(schema.keys, key_id=carol.key_id)
        assert key is not None and key["participant"] == "carol"
        assert key["public_key"] == carol.key.verifying_key.to_bytes()
        account = world.row(schema.accounts, id="carol")
        assert account is not None
        assert (account["holder"], account["custodian"], account["kind"]) == (
            "carol",
            None,
            "participant",
        )

    def test_the_new_participant_can_sign_with_its_key(self, world: World) -> None:
        world.accept("operator", "register_participant", new_body(world, roles=("platform",)))
        world.accept("carol", "open_account", {"id": "u-1"})

    def test_participant_with_two_keys_signs_with_either(self, world: World) -> None:
        body = new_body(world, roles=("platform",))
        second = Identity.generate("carol")
        body["keys"].append(second.public_key_b64)
        event = world.accept("operator", "register_participant", body)
        assert len(event.data["keys"]) == 2
        world.accept("carol", "open_account", {"id": "u-1"})
        second.seq = world["carol"].seq
        world.accept(second, "open_account", {"id": "u-2"})


class TestRegisterParticipantRejected:
    def test_registration_by_a_non_registrar_is_rejected(self, world: World) -> None:
        assert world.reject("regulator", "register_participant", new_body(world)) == (
            "not_authorised"
        )

    def test_duplicate_participant_id_is_rejected(self, world: World) -> None:
        body = {**new_body(world), "id": "alice"}
        assert world.reject("operator", "register_participant", body) == "duplicate_participant"

    def test_id_of_an_existing_personal_account_is_rejected(self, world: World) -> None:
        world.open_account("u-1")
        body = {**new_body(world), "id": "u-1"}
        assert world.reject("operator", "register_participant", body) == "duplicate_participant"

    def test_key_registered_to_another_participant_is_rejected(self, world: World) -> None:
        body = {**new_body(world), "keys": [world["alice"].public_key_b64]}
        assert world.reject("operator", "register_participant", body) == "duplicate_key"

    def test_same_key_twice_is_rejected(self, world: World) -> None:
        body = new_body(world)
        body["keys"] = body["keys"] * 2
        assert world.reject("operator", "register_participant", body) == "duplicate_key"


MALFORMED: dict[str, Callable[[Body], None]] = {
    "unknown-role": lambda b: b.update(roles=["king"]),
    "unknown-kind": lambda b: b.update(kind="person"),
    "no-keys": lambda b: b.update(keys=[]),
    "key-not-base64": lambda b: b.update(keys=["x" * 44]),
    "key-wrong-length": lambda b: b.update(keys=["AAAA"]),
    "id-with-space": lambda b: b.update(id="carol smith"),
    "empty-name": lambda b: b.update(name=""),
    "unknown-field": lambda b: b.update(phone="13800000000"),
    "roles-not-a-list": lambda b: b.update(roles="holder"),
    "missing-kind": lambda b: b.pop("kind"),
}


def test_every_malformed_registration_is_invalid_input(world: World) -> None:
    """Each named mutation of a valid body is refused, and changes nothing."""
    for mutation, mutate in MALFORMED.items():
        body = new_body(world)
        mutate(body)
        assert world.reject("operator", "register_participant", body) == "invalid_input", mutation
