"""add_key: a participant (or the registrar) adds a signing key."""

from __future__ import annotations

from ledger.client import Identity
from ledger.storage import schema
from tests.builders import World


def second_key(world: World, pid: str) -> Identity:
    """A new identity for ``pid`` that continues its sequence numbers."""
    return Identity(pid, Identity.generate(pid).key, seq=world[pid].seq)


class TestAddKeyAccepted:
    def test_participant_adds_its_own_key_and_signs_with_it(self, world: World) -> None:
        new = second_key(world, "alice")
        event = world.accept(
            "alice", "add_key", {"participant": "alice", "public_key": new.public_key_b64}
        )
        assert event.data == {"participant": "alice", "key_id": new.key_id}
        row = world.row(schema.keys, key_id=new.key_id)
        assert row is not None and row["participant"] == "alice"
        assert row["added_at"] == event.index and row["revoked_at"] is None
        batch = world.issue(100, to="alice")
        new.seq = world["alice"].seq
        world.accept(
            new,
            "transfer",
            {
                "from_account": "alice",
                "to_account": "bob",
                "lots": [{"batch": batch, "quantity": 10}],
            },
        )
        assert world.held("bob", batch) == 10

    def test_registrar_adds_a_key_for_a_participant(self, world: World) -> None:
        new = second_key(world, "bob")
        world.accept(
            "operator", "add_key", {"participant": "bob", "public_key": new.public_key_b64}
        )
        row = world.row(schema.keys, key_id=new.key_id)
        assert row is not None and row["participant"] == "bob"


class TestAddKeyRejected:
    def test_adding_a_key_for_someone_else_is_rejected(self, world: World) -> None:
        new = second_key(world, "bob")
        code = world.reject(
            "alice", "add_key", {"participant": "bob", "public_key": new.public_key_b64}
        )
        assert code == "not_authorised"

    def test_adding_a_key_for_an_unknown_participant_is_rejected(self, world: World) -> None:
        new = Identity.generate("ghost")
        code = world.reject(
            "operator", "add_key", {"participant": "ghost", "public_key": new.public_key_b64}
        )
        assert code == "unknown_participant"

    def test_adding_a_key_registered_to_another_participant_is_rejected(self, world: World) -> None:
        code = world.reject(
            "alice", "add_key", {"participant": "alice", "public_key": world["bob"].public_key_b64}
        )
        assert code == "duplicate_key"

    def test_adding_an_own_key_again_is_rejected(self, world: World) -> None:
        code = world.reject(
            "alice",
            "add_key",
            {"participant": "alice", "public_key": world["alice"].public_key_b64},
        )
        assert code == "duplicate_key"

    def test_malformed_public_key_is_invalid_input(self, world: World) -> None:
        code = world.reject("alice", "add_key", {"participant": "alice", "public_key": "AAAA"})
        assert code == "invalid_input"

    def test_unknown_field_is_invalid_input(self, world: World) -> None:
        new = second_key(world, "alice")
        code = world.reject(
            "alice",
            "add_key",
            {"participant": "alice", "public_key": new.public_key_b64, "label": "laptop"},
        )
        assert code == "invalid_input"
