"""Supply totals by program, region, methodology, scenario or vintage, per period."""

from __future__ import annotations

import pytest

from ledger.errors import InvalidInput
from ledger.reports.scope import Scope
from ledger.reports.totals import grand_total, period_of, totals
from tests.builders import TONNE, World, lots


@pytest.fixture
def ledger(world: World) -> World:
    """P1 (PHCER, CN-GD, pv) with batches of vintage 2022 and 2023; P2 (CN-HB, wind) 2023."""
    world.add_methodology("PHCER", "wind", "1", scenario="wind")
    world.add_project("P2", "alice", methodology="wind:1", region="CN-HB")
    first = world.issue(5 * TONNE, vintage=("2022-01-01", "2022-12-31"))
    world.issue(3 * TONNE, vintage=("2023-01-01", "2023-06-30"))
    world.issue(2_500_001, to="alice", project="P2", vintage=("2023-01-01", "2023-12-31"))
    world.accept("owner", "cancel", {"account": "owner", "lots": lots(first, 7),
                                     "reason": "export", "destination": "Verra"})  # fmt: skip
    return world


class TestTotals:
    @pytest.mark.parametrize(
        ("by", "want"),
        [
            ("program", {"PHCER": (3, 10_500_001)}),
            ("region", {"CN-GD": (2, 8 * TONNE), "CN-HB": (1, 2_500_001)}),
            ("methodology", {"pv:1": (2, 8 * TONNE), "wind:1": (1, 2_500_001)}),
            ("scenario", {"distributed_pv": (2, 8 * TONNE), "wind": (1, 2_500_001)}),
            ("vintage", {"2022": (1, 5 * TONNE), "2023": (2, 5_500_001)}),
        ],
    )
    def test_groups_sum_exactly(
        self, ledger: World, by: str, want: dict[str, tuple[int, int]]
    ) -> None:
        rows = totals(ledger.ledger.engine, by, every="all")
        assert {r.key: (r.batches, r.supply.issued) for r in rows} == want
        assert {r.period for r in rows} == {"all"}

    def test_used_supply_is_in_its_group(self, ledger: World) -> None:
        rows = totals(ledger.ledger.engine, "vintage", every="all")
        by_key = {r.key: r.supply for r in rows}
        assert (by_key["2022"].cancelled, by_key["2022"].held) == (7, 5 * TONNE - 7)

    def test_periods_are_the_utc_year_or_month_of_issuance(self, ledger: World) -> None:
        years = totals(ledger.ledger.engine, "program", every="year")
        months = totals(ledger.ledger.engine, "program", every="month")
        assert len(years) == len(months) == 1
        assert months[0].period.startswith(years[0].period + "-")
        assert period_of(0, "month") == "1970-01" and period_of(None, "year") == "(unknown)"

    def test_scope_and_grand_total(self, ledger: World) -> None:
        rows = totals(ledger.ledger.engine, "region", every="all", scope=Scope(region="CN-GD"))
        assert [r.key for r in rows] == ["CN-GD"]
        assert grand_total(totals(ledger.ledger.engine, "region")).issued == 10_500_001

    @pytest.mark.parametrize(("by", "every"), [("colour", "year"), ("program", "week")])
    def test_unknown_grouping_is_refused(self, ledger: World, by: str, every: str) -> None:
        with pytest.raises(InvalidInput):
            totals(ledger.ledger.engine, by, every=every)
