"""Donating personal reductions to an event's neutrality: the custodian retires them from the
person's account naming the event, and they count toward it (the Beijing CBD Forum case)."""

from __future__ import annotations

from ledger.storage import schema
from tests.builders import World
from tests.ledger.personal.scene import PLATFORM, enable_recording, open_accounts, record, row


class TestDonation:
    def test_donated_personal_reductions_count_toward_the_event(self, world: World) -> None:
        enable_recording(world)
        open_accounts(world, ["citizen-1", "citizen-2"])
        batch = str(
            record(world, [row("citizen-1", 700, 1), row("citizen-2", 600, 2)]).data["batch"]
        )
        event = world.accept(
            "alice",
            "register_event",
            {
                "name": "CBD Forum",
                "start_date": "2024-06-05",
                "end_date": "2024-06-05",
                "place": "Beijing",
                "jurisdiction": "CN-BJ",
                "emissions": [
                    {
                        "stage": "hosting",
                        "source": "purchased_electricity",
                        "quantity": 1_000,
                        "basis": "metered",
                    }
                ],
            },
        )
        eid = f"EVT-{event.index}"
        for citizen, grams in (("citizen-1", 700), ("citizen-2", 300)):
            world.accept(
                PLATFORM,
                "retire",
                {
                    "account": citizen,
                    "lots": [{"batch": batch, "quantity": grams}],
                    "beneficiary": {"name": "CBD Forum"},
                    "purpose": "event_neutrality",
                    "jurisdiction": "CN-BJ",
                    "event_ref": eid,
                    "note": "donated by the person",
                },
            )
        stored = world.row(schema.events, id=eid)
        assert stored is not None and (stored["covered"], stored["emitted"]) == (1_000, 1_000)
        assert stored["neutral_at"] is not None
        assert world.supply(batch)["retired"] == 1_000
        custody = world.row(schema.custody_totals, platform=PLATFORM)
        assert custody is not None and custody["held"] == 300
