"""revoke_key and key rotation: a revoked key signs nothing from then on; a new key does."""

from __future__ import annotations

from ledger.client import Identity
from ledger.log import Accepted, Rejected
from ledger.storage import schema
from tests.builders import World, lots


def rotate(world: World, pid: str) -> Identity:
    """Add a new key for ``pid`` and revoke the old one; the identity with the new key."""
    old = world[pid]
    new = Identity(pid, Identity.generate(pid).key)
    world.accept(old, "add_key", {"participant": pid, "public_key": new.public_key_b64})
    world.accept(old, "revoke_key", {"participant": pid, "key_id": old.key_id})
    new.seq = old.seq
    return new


class TestKeyRotation:
    def test_revoked_key_is_rejected_from_then_on_and_the_new_key_works(self, world: World) -> None:
        batch = world.issue(1000, to="alice")
        old = world["alice"]
        new = rotate(world, "alice")
        row = world.row(schema.keys, key_id=old.key_id)
        assert row is not None and row["revoked_at"] == world.ledger.size - 1
        move = {"from_account": "alice", "to_account": "bob", "lots": lots(batch, 10)}
        assert world.reject(old, "transfer", move) == "key_revoked"
        new.seq = old.seq
        world.accept(new, "transfer", move)
        assert world.reject(old, "transfer", move) == "key_revoked"
        assert (world.held("alice", batch), world.held("bob", batch)) == (990, 10)

    def test_entries_signed_before_the_revocation_stay_in_the_log(self, world: World) -> None:
        batch = world.issue(1000, to="alice")
        world.accept(
            "alice",
            "transfer",
            {"from_account": "alice", "to_account": "bob", "lots": lots(batch, 5)},
        )
        size = world.ledger.size
        rotate(world, "alice")
        assert world.ledger.size == size + 2
        assert world.held("bob", batch) == 5

    def test_key_revoked_earlier_in_the_same_group_is_rejected(self, world: World) -> None:
        batch = world.issue(1000, to="alice")
        alice = world["alice"]
        new = Identity("alice", Identity.generate("alice").key)
        world.accept(alice, "add_key", {"participant": "alice", "public_key": new.public_key_b64})
        revoke = world.sign(alice, "revoke_key", {"participant": "alice", "key_id": alice.key_id})
        move = world.sign(
            alice,
            "transfer",
            {"from_account": "alice", "to_account": "bob", "lots": lots(batch, 1)},
        )
        first, second = world.ledger.submit([revoke, move])
        assert isinstance(first, Accepted)
        assert isinstance(second, Rejected) and second.error.code == "key_revoked"
        assert world.held("alice", batch) == 1000

    def test_cosignature_with_a_revoked_key_is_rejected(self, world: World) -> None:
        rotate(world, "verifier")
        body = world.issue_body(1000)
        assert world.reject("issuer", "issue", body, ["verifier"]) == "key_revoked"

    def test_registrar_may_revoke_a_participants_key(self, world: World) -> None:
        bob = world["bob"]
        world.accept("operator", "revoke_key", {"participant": "bob", "key_id": bob.key_id})
        batch = world.issue(10, to="bob")
        move = {"from_account": "bob", "to_account": "alice", "lots": lots(batch, 1)}
        assert world.reject(bob, "transfer", move) == "key_revoked"


class TestRevokeKeyRejected:
    def test_revoking_someone_elses_key_is_rejected(self, world: World) -> None:
        code = world.reject(
            "alice", "revoke_key", {"participant": "bob", "key_id": world["bob"].key_id}
        )
        assert code == "not_authorised"

    def test_revoking_a_key_of_another_participant_under_own_name_is_rejected(
        self, world: World
    ) -> None:
        code = world.reject(
            "alice", "revoke_key", {"participant": "alice", "key_id": world["bob"].key_id}
        )
        assert code == "unknown_key"

    def test_revoking_an_unregistered_key_is_rejected(self, world: World) -> None:
        code = world.reject(
            "alice", "revoke_key", {"participant": "alice", "key_id": "0123456789abcdef"}
        )
        assert code == "unknown_key"

    def test_revoking_a_revoked_key_again_is_rejected(self, world: World) -> None:
        old = world["alice"]
        rotate(world, "alice")
        code = world.reject(
            "operator", "revoke_key", {"participant": "alice", "key_id": old.key_id}
        )
        assert code == "key_revoked"

    def test_malformed_key_id_is_invalid_input(self, world: World) -> None:
        code = world.reject(
            "alice",
            "revoke_key",
            {"participant": "alice", "key_id": "Z" + world["alice"].key_id[1:]},
        )
        assert code == "invalid_input"
