"""CSV of reports: integer grams and fen beside their exact text, one row per item."""

from __future__ import annotations

import csv
import io

from ledger.reports import csv_export
from ledger.reports.issuance_audit import audit_issuance
from ledger.reports.totals import totals
from ledger.reports.trades import trade_announcements
from tests.builders import TONNE, World, lots


def rows(write: object, *args: object) -> list[dict[str, str]]:
    out = io.StringIO()
    write(*args, out)  # type: ignore[operator]
    return list(csv.DictReader(io.StringIO(out.getvalue())))


class TestCsv:
    def test_exact_tonnes_beside_grams(self) -> None:
        assert csv_export.tonnes(5_503_686_000) == "5503.686"
        assert csv_export.tonnes(7) == "0.000007"
        assert csv_export.yuan(2_740_608) == "27406.08"

    def test_audit_rows_carry_supply_and_flags(self, world: World) -> None:
        batch = world.issue(5_503_686_000)
        (row,) = rows(csv_export.write_audit, audit_issuance(world.ledger.engine))
        assert (row["batch"], row["issued_g"], row["issued_t"], row["flags"]) == (
            batch,
            "5503686000",
            "5503.686",
            "",
        )
        assert row["verifier"] == "verifier" and row["issuer"] == "issuer"

    def test_totals_and_trades(self, world: World) -> None:
        batch = world.issue(1_000 * TONNE)
        world.accept("owner", "transfer", {"from_account": "owner", "to_account": "alice",
                                           "lots": lots(batch, 416 * TONNE),
                                           "price_fen_per_tonne": 6_588,
                                           "venue": "exchange_bidding"})  # fmt: skip
        (total,) = rows(csv_export.write_totals, totals(world.ledger.engine, "program"), "program")
        assert (total["program"], total["batches"], total["held_t"]) == ("PHCER", "1", "1000")
        (announced,) = rows(csv_export.write_trades, trade_announcements(world.ledger.engine))
        assert (announced["quantity_t"], announced["price_cny_per_tonne"]) == ("416", "65.88")
        assert (announced["value_fen"], announced["value_cny"]) == ("2740608", "27406.08")
