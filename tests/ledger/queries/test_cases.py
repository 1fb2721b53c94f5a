"""Reading cases: required versus cancelled, and the cancellations counted toward each."""

from __future__ import annotations

import pytest

from ledger.errors import NotFound
from ledger.queries import cases
from tests.builders import World
from tests.stories import CASE_NUMBER, CASE_REQUIRED, zhongshan


class TestCase:
    def test_open_case_has_its_requirement_outstanding(self, world: World) -> None:
        zhongshan(world, cancel=False)
        found = cases.case(world.ledger.engine, CASE_NUMBER)
        assert (found.status, found.outstanding, found.cancellations) == (
            "open",
            CASE_REQUIRED,
            [],
        )

    def test_closed_case_lists_its_cancellation(self, world: World) -> None:
        case = zhongshan(world)
        found = cases.case(world.ledger.engine, CASE_NUMBER)
        assert (found.status, found.outstanding) == ("closed", 0)
        assert [c.id for c in found.cancellations] == [case.cancellation]

    def test_lists_filter_by_status_and_liable_party(self, world: World) -> None:
        zhongshan(world)
        engine = world.ledger.engine
        assert [c.case_number for c in cases.cases(engine, status="closed")] == [CASE_NUMBER]
        assert cases.cases(engine, status="open") == []
        assert [c.case_number for c in cases.cases(engine, liable_party="zs-plating")] == [
            CASE_NUMBER
        ]

    def test_unknown_case_is_not_found(self, world: World) -> None:
        with pytest.raises(NotFound) as caught:
            cases.case(world.ledger.engine, "nope")
        assert caught.value.code == "unknown_case"
