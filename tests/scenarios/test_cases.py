"""The reported cases of domain.md, run through the credit rules with their real figures.

Figures as reported: Zhongshan (May 2023) 70,344 CNY of damage and 1,019 t of PHCER cancelled;
Wuhan Sanzhen (25 Dec 2023) 7,609 t from two PV projects retired as a compliance offset;
Beijing CBD Forum (5 Jun 2024) 138.25 t offset with citizens' donated reductions; Shanghai
(13 Sep 2024) 416 t sold by bidding at 65.88 CNY/t = 27,406.08 CNY. Quantities issued, the
split between projects and donors, and prices the reports do not give are illustrative, and
marked so where they are used.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from ledger.storage import schema
from tests.builders import TONNE, World, lots

# -- Zhongshan, May 2023 -------------------------------------------------------------------------
ZS_DAMAGE_CNY = 70_344
ZS_DAMAGE_FEN = 7_034_400
ZS_CANCELLED = 1_019 * TONNE
ZS_ISSUED = 2_000 * TONNE  # illustrative: the batch the project had issued
ZS_CASE = {
    "authority": "zs-bureau",
    "case_number": "(2023)Yue2071-EDC-001",
    "damage_fen": ZS_DAMAGE_FEN,
    "decision_digest": "5e" * 32,
}


@pytest.fixture
def zhongshan(world: World) -> str:
    """The Liangyi PV batch; the electroplating company has bought 1,019 t of it."""
    world.add_participant("liangyi", name="Zhongshan Liangyi Lighting Co., Ltd.")
    world.add_participant("plating", name="Zhongshan electroplating company")
    world.add_participant(
        "zs-bureau",
        ["authority"],
        kind="government",
        name="Zhongshan Ecology and Environment Bureau",
    )
    world.add_project(
        "ZS-LIANGYI-PV", "liangyi", title="Liangyi Lighting distributed PV", city="Zhongshan"
    )
    batch = world.issue(
        ZS_ISSUED,
        to="liangyi",
        project="ZS-LIANGYI-PV",
        vintage=("2022-01-01", "2022-12-31"),
        origin_ref="GD-PHCER-ZS-0001",
    )
    world.accept(
        "liangyi",
        "transfer",
        {
            "from_account": "liangyi",
            "to_account": "plating",
            "lots": lots(batch, ZS_CANCELLED),
            "venue": "otc",
        },
    )
    return batch


def zs_cancellation(batch: str) -> dict[str, Any]:
    return {
        "account": "plating",
        "lots": lots(batch, ZS_CANCELLED),
        "reason": "ecological_compensation",
        "case": dict(ZS_CASE),
        "note": "alternative repair of unrepairable wastewater damage",
    }


class TestZhongshanCompensation:
    def test_damage_in_fen_is_exact(self) -> None:
        assert ZS_DAMAGE_CNY * 100 == ZS_DAMAGE_FEN

    def test_without_the_authoritys_cosignature_the_cancellation_is_rejected(
        self, world: World, zhongshan: str
    ) -> None:
        assert world.reject("plating", "cancel", zs_cancellation(zhongshan)) == (
            "missing_cosignature"
        )
        assert world.held("plating", zhongshan) == ZS_CANCELLED
        assert world.supply(zhongshan)["cancelled"] == 0

    def test_the_cancellation_records_the_case_and_removes_1019_tonnes(
        self, world: World, zhongshan: str
    ) -> None:
        event = world.accept("plating", "cancel", zs_cancellation(zhongshan), ["zs-bureau"])
        row = world.row(schema.cancellations, id=f"CAN-{event.index}")
        assert row is not None
        assert (
            row["account"],
            row["cancelled_by"],
            row["quantity"],
            row["reason"],
            row["authority"],
            row["case_number"],
            row["damage_fen"],
            row["decision_digest"],
        ) == (
            "plating",
            "plating",
            1_019_000_000,
            "ecological_compensation",
            "zs-bureau",
            "(2023)Yue2071-EDC-001",
            7_034_400,
            "5e" * 32,
        )
        assert orjson.loads(row["lots"]) == [{"batch": zhongshan, "ranges": [[0, 1_019_000_000]]}]
        assert world.supply(zhongshan) == {
            "issued": 2_000_000_000,
            "held": 981_000_000,
            "pledged": 0,
            "retired": 0,
            "cancelled": 1_019_000_000,
        }
        assert world.held("plating") == 0
        assert world.held("liangyi", zhongshan) == 981_000_000

    def test_cancelled_credits_can_never_be_used_again(self, world: World, zhongshan: str) -> None:
        world.accept("plating", "cancel", zs_cancellation(zhongshan), ["zs-bureau"])
        resale = {"from_account": "plating", "to_account": "alice", "lots": lots(zhongshan, 1)}
        assert world.reject("plating", "transfer", resale) == "insufficient_credits"


# -- Wuhan Sanzhen, 25 Dec 2023 -----------------------------------------------------------------
WH_BOUGHT = 7_609 * TONNE
WH_GELINMEI = 4_200 * TONNE  # illustrative split of the 7,609 t between the two projects
WH_RIXIN = 3_409 * TONNE
WH_PRICE_FEN = 3_000  # illustrative: the report gives no price


@pytest.fixture
def wuhan(world: World) -> tuple[str, str]:
    """(Gelinmei batch, Rixin batch), issued under Wuhan's program and listed on the exchange."""
    world.add_participant(
        "wh-bureau", [], kind="government", name="Wuhan Ecology and Environment Bureau"
    )
    world.add_participant("gelinmei", name="Gelinmei (Wuhan) new energy park")
    world.add_participant("rixin", name="Rixin Solar")
    world.add_participant(
        "hbex", ["exchange"], kind="exchange", name="Hubei Environment Resources Exchange"
    )
    world.add_participant("sanzhen", name="Wuhan Sanzhen Industry Holding")
    world.add_program("WHCER", "wh-bureau", region="CN-HB", name="Wuhan carbon inclusion")
    world.grant("WHCER", "issuer", "issuer")
    world.grant("WHCER", "verifier", "verifier")
    world.add_methodology("WHCER", "wh-dpv", scenario="distributed_pv", region="CN-HB")
    world.add_project(
        "WH-GELINMEI-PV",
        "gelinmei",
        program="WHCER",
        methodology="wh-dpv:1",
        title="Gelinmei park PV",
        region="CN-HB",
        city="Wuhan",
    )
    world.add_project(
        "WH-RIXIN-PV",
        "rixin",
        program="WHCER",
        methodology="wh-dpv:1",
        title="Rixin Solar distributed PV",
        region="CN-HB",
        city="Wuhan",
    )
    vintage = ("2022-01-01", "2023-06-30")
    gelinmei = world.issue(5_000 * TONNE, to="gelinmei", project="WH-GELINMEI-PV", vintage=vintage)
    rixin = world.issue(4_000 * TONNE, to="rixin", project="WH-RIXIN-PV", vintage=vintage)
    # Listing: each seller deposits what it sells with the exchange.
    world.accept(
        "gelinmei",
        "transfer",
        {"from_account": "gelinmei", "to_account": "hbex", "lots": lots(gelinmei, WH_GELINMEI)},
    )
    world.accept(
        "rixin",
        "transfer",
        {"from_account": "rixin", "to_account": "hbex", "lots": lots(rixin, WH_RIXIN)},
    )
    return gelinmei, rixin


class TestWuhanSanzhen:
    def test_one_trade_of_two_lots_then_one_compliance_retirement(
        self, world: World, wuhan: tuple[str, str]
    ) -> None:
        gelinmei, rixin = wuhan
        assert (gelinmei, rixin) == ("WHCER-2022-000001", "WHCER-2022-000002")
        trade = world.accept(
            "hbex",
            "transfer",
            {
                "from_account": "hbex",
                "to_account": "sanzhen",
                "lots": [*lots(gelinmei, WH_GELINMEI), *lots(rixin, WH_RIXIN)],
                "price_fen_per_tonne": WH_PRICE_FEN,
                "venue": "exchange_listing",
                "settlement_ref": "HBEX-20231225-0001",
            },
        )
        row = world.row(schema.transfers, idx=trade.index)
        assert row is not None
        assert (row["quantity"], row["price_fen_per_tonne"], row["venue"]) == (
            7_609_000_000,
            WH_PRICE_FEN,
            "exchange_listing",
        )
        assert {
            lot["batch"]: sum(e - s for s, e in lot["ranges"]) for lot in orjson.loads(row["lots"])
        } == {gelinmei: 4_200_000_000, rixin: 3_409_000_000}
        retired = world.accept(
            "sanzhen",
            "retire",
            {
                "account": "sanzhen",
                "lots": [*lots(gelinmei, WH_GELINMEI), *lots(rixin, WH_RIXIN)],
                "beneficiary": {"name": "Wuhan Sanzhen Industry Holding"},
                "purpose": "compliance_offset",
                "jurisdiction": "CN-HB",
                "claim_ref": "HB-ETS-2023-offset",
                "period_start": "2023-01-01",
                "period_end": "2023-12-31",
            },
        )
        record = world.row(schema.retirements, id=f"RET-{retired.index}")
        assert record is not None
        assert (record["quantity"], record["purpose"], record["jurisdiction"]) == (
            WH_BOUGHT,
            "compliance_offset",
            "CN-HB",
        )
        assert world.supply(gelinmei) == {
            "issued": 5_000_000_000,
            "held": 800_000_000,
            "pledged": 0,
            "retired": 4_200_000_000,
            "cancelled": 0,
        }
        assert world.supply(rixin) == {
            "issued": 4_000_000_000,
            "held": 591_000_000,
            "pledged": 0,
            "retired": 3_409_000_000,
            "cancelled": 0,
        }
        assert world.held("sanzhen") == 0 and world.held("hbex") == 0
        assert world.held("gelinmei", gelinmei) == 800_000_000
        assert world.held("rixin", rixin) == 591_000_000

    def test_retiring_more_than_bought_is_rejected(
        self, world: World, wuhan: tuple[str, str]
    ) -> None:
        gelinmei, rixin = wuhan
        world.accept(
            "hbex",
            "transfer",
            {
                "from_account": "hbex",
                "to_account": "sanzhen",
                "lots": [*lots(gelinmei, WH_GELINMEI), *lots(rixin, WH_RIXIN)],
            },
        )
        body = {
            "account": "sanzhen",
            "lots": [*lots(gelinmei, WH_GELINMEI), *lots(rixin, WH_RIXIN + 1)],
            "beneficiary": {"name": "Wuhan Sanzhen"},
            "purpose": "compliance_offset",
            "jurisdiction": "CN-HB",
        }
        assert world.reject("sanzhen", "retire", body) == "insufficient_credits"


# -- Beijing CBD Forum, 5 Jun 2024 --------------------------------------------------------------
FORUM_EMITTED = 138_250_000  # 138.25 t
CITIZENS = 12
DONATIONS = [7_000_000 + 731_457 * i for i in range(CITIZENS - 1)]  # illustrative grams
DONATIONS.append(FORUM_EMITTED - sum(DONATIONS))
KEPT = [1_234 + 17 * i for i in range(CITIZENS)]  # grams each citizen keeps


@pytest.fixture
def forum(world: World) -> list[str]:
    """Personal accounts opened by a platform, each issued its citizen's reductions."""
    world.add_participant(
        "bj-bureau", [], kind="government", name="Beijing Ecology and Environment Bureau"
    )
    world.add_participant("cbd-forum", name="Beijing CBD Forum organising committee")
    world.add_program("BJCER", "bj-bureau", region="CN-BJ", name="Beijing carbon inclusion")
    world.grant("BJCER", "issuer", "issuer")
    world.grant("BJCER", "verifier", "verifier")
    world.add_methodology(
        "BJCER", "bj-green-travel", scenario="personal_green_travel", region="CN-BJ"
    )
    world.add_project(
        "BJ-GREEN-TRAVEL",
        "platform",
        program="BJCER",
        methodology="bj-green-travel:1",
        title="Citizens' green travel",
        region="CN-BJ",
        city="Beijing",
    )
    accounts = [f"bjca-{i:04d}" for i in range(CITIZENS)]
    world.accept_group([world.sign("platform", "open_account", {"id": a}) for a in accounts])
    issuances = []
    for i, account in enumerate(accounts):
        day = f"2024-05-{i + 1:02d}"  # one day's recorded reductions per issuance
        body = world.issue_body(
            DONATIONS[i] + KEPT[i], to=account, project="BJ-GREEN-TRAVEL", vintage=(day, day)
        )
        body["verified_on"] = "2024-06-01"
        issuances.append(world.sign("issuer", "issue", body, ["verifier"]))
    world.accept_group(issuances)
    return accounts


class TestBeijingCbdForum:
    def test_figures_add_up(self) -> None:
        assert 13_825 * TONNE // 100 == FORUM_EMITTED == 138_250_000
        assert sum(DONATIONS) == FORUM_EMITTED and all(d > 0 for d in DONATIONS)

    def test_donations_then_one_retirement_of_exactly_138_25_tonnes(
        self, world: World, forum: list[str]
    ) -> None:
        batches = [row["id"] for row in world.rows(schema.batches, program="BJCER")]
        assert len(batches) == CITIZENS
        donations = [
            world.sign(
                "platform",
                "transfer",
                {
                    "from_account": account,
                    "to_account": "cbd-forum",
                    "lots": lots(batch, grams),
                    "venue": "donation",
                },
            )
            for account, batch, grams in zip(forum, batches, DONATIONS, strict=True)
        ]
        world.accept_group(donations)
        donated = world.rows(schema.transfers, to_account="cbd-forum")
        assert [r["venue"] for r in donated] == ["donation"] * CITIZENS
        assert sum(r["quantity"] for r in donated) == FORUM_EMITTED
        assert world.held("cbd-forum") == FORUM_EMITTED

        event = world.accept(
            "cbd-forum",
            "retire",
            {
                "account": "cbd-forum",
                "lots": [
                    lot
                    for batch, grams in zip(batches, DONATIONS, strict=True)
                    for lot in lots(batch, grams)
                ],
                "beneficiary": {"name": "2024 Beijing CBD Forum"},
                "purpose": "event_neutrality",
                "jurisdiction": "CN-BJ",
                "event_ref": "BJ-CBD-FORUM-2024",
                "period_start": "2024-06-05",
                "period_end": "2024-06-05",
            },
        )
        assert event.data["quantity"] == FORUM_EMITTED
        row = world.row(schema.retirements, id=f"RET-{event.index}")
        assert row is not None
        assert (row["quantity"], row["event_ref"], row["purpose"]) == (
            138_250_000,
            "BJ-CBD-FORUM-2024",
            "event_neutrality",
        )
        assert (
            sum(e - s for lot in orjson.loads(row["lots"]) for s, e in lot["ranges"]) == 138_250_000
        )
        assert world.held("cbd-forum") == 0
        for account, batch, grams, kept in zip(forum, batches, DONATIONS, KEPT, strict=True):
            assert world.supply(batch)["retired"] == grams
            assert world.held(account, batch) == kept
        assert sum(world.supply(b)["retired"] for b in batches) == FORUM_EMITTED

    def test_a_citizen_cannot_donate_more_than_recorded(
        self, world: World, forum: list[str]
    ) -> None:
        batch = world.rows(schema.batches, program="BJCER")[0]["id"]
        body = {
            "from_account": forum[0],
            "to_account": "cbd-forum",
            "lots": lots(batch, DONATIONS[0] + KEPT[0] + 1),
            "venue": "donation",
        }
        assert world.reject("platform", "transfer", body) == "insufficient_credits"


# -- Shanghai, 13 Sep 2024 ----------------------------------------------------------------------
SH_QUANTITY = 416 * TONNE
SH_PRICE_FEN = 6_588  # 65.88 CNY/t
SH_TOTAL_FEN = 2_740_608  # 27,406.08 CNY


class TestShanghaiBidding:
    def test_416_tonnes_at_65_88_yuan_are_recorded_exactly(self, world: World) -> None:
        world.add_participant("sh-bureau", [], kind="government")
        world.add_participant("buyer", name="Shanghai buyer")
        world.add_program("SHCERCIR1", "sh-bureau", region="CN-SH")
        world.grant("SHCERCIR1", "issuer", "issuer")
        world.grant("SHCERCIR1", "verifier", "verifier")
        world.add_methodology("SHCERCIR1", "shcer01010012024i", "2024", region="CN-SH")
        world.add_project(
            "SH-DPV-1",
            "owner",
            program="SHCERCIR1",
            methodology="shcer01010012024i:2024",
            region="CN-SH",
            city="Shanghai",
        )
        batch = world.issue(500 * TONNE, project="SH-DPV-1")
        event = world.accept(
            "owner",
            "transfer",
            {
                "from_account": "owner",
                "to_account": "buyer",
                "lots": lots(batch, SH_QUANTITY),
                "price_fen_per_tonne": SH_PRICE_FEN,
                "venue": "exchange_bidding",
                "settlement_ref": "SEEE-20240913",
            },
        )
        row = world.row(schema.transfers, idx=event.index)
        assert row is not None
        assert (row["quantity"], row["price_fen_per_tonne"], row["venue"]) == (
            416_000_000,
            6_588,
            "exchange_bidding",
        )
        # Integer arithmetic end to end: grams x fen per tonne / grams per tonne.
        total, remainder = divmod(row["quantity"] * row["price_fen_per_tonne"], TONNE)
        assert (total, remainder) == (SH_TOTAL_FEN, 0)
        assert f"{total // 100:,}.{total % 100:02d}" == "27,406.08"
        assert world.held("buyer", batch) == SH_QUANTITY
