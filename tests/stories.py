"""The field's two stories as ledger builders, for scenario, report and certificate tests.

``beijing_cbd_forum``: the Beijing CBD Forum of 5 June 2024 emitted 138.25 t over its
preparation, hosting and closing stages (MEE 2019 guideline); citizens donated reductions
collected in personal carbon accounts that a platform keeps, and the platform retired them
against the registered event until it was covered. ``zhongshan``: in May 2023 an
electroplating company's wastewater caused 70,344 CNY of damage that could not be repaired; it
bought 1,019 t of PHCER from the Zhongshan Liangyi Lighting PV project and cancelled them
against the case the Zhongshan bureau registered. Totals are as reported; the split of the
inventory, the donors and the prices are illustrative.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.builders import TONNE, World, lots

FORUM_NAME = "2024 Beijing CBD Forum"
FORUM_ORGANISER = "Beijing CBD Forum organising committee"
FORUM_EMISSIONS: tuple[tuple[str, str, int, str], ...] = (
    ("preparation", "materials", 12_500_000, "stage and exhibition build, 2.5 t x 5 kg/kg"),
    ("preparation", "purchased_electricity", 8_000_000, "14,028 kWh x 0.5703 kg/kWh"),
    ("hosting", "purchased_electricity", 40_250_000, "70,577 kWh x 0.5703 kg/kWh"),
    ("hosting", "attendee_travel", 45_000_000, "1,500 attendees, metro and taxi, 30 kg each"),
    ("hosting", "catering", 13_000_000, "2,600 meals x 5 kg"),
    ("closing", "waste", 4_500_000, "9 t of waste x 0.5 kg/kg"),
    ("closing", "materials", 15_000_000, "dismantling and transport, 3 t x 5 kg/kg"),
)
FORUM_EMITTED = 138_250_000
DONATIONS: tuple[tuple[str, int], ...] = (
    ("bjca-7f3a9c21", 60_000_000),
    ("bjca-0b81d4e5", 40_000_000),
    ("bjca-c29e6a10", 25_000_000),
    ("bjca-5d0e77b2", 13_000_000),
    ("bjca-e41f0c9a", 250_000),
)
"""Pseudonymous personal accounts and the grams each citizen donates: 138.25 t in all."""

CASE_NUMBER = "ZS-EDC-2023-001"
CASE_DAMAGE_FEN = 7_034_400
CASE_REQUIRED = 1_019 * TONNE
CASE_DECISION = "5e" * 32


@dataclass(frozen=True, slots=True)
class Forum:
    event: str
    batch: str
    retirements: list[str]


@dataclass(frozen=True, slots=True)
class Case:
    case_number: str
    batch: str
    cancellation: str


def forum_body(jurisdiction: str = "CN-BJ") -> dict[str, Any]:
    return {
        "name": FORUM_NAME,
        "start_date": "2024-06-05",
        "end_date": "2024-06-05",
        "place": "Beijing CBD, Chaoyang District",
        "jurisdiction": jurisdiction,
        "emissions": [
            {"stage": stage, "source": source, "quantity": grams, "basis": basis}
            for stage, source, grams, basis in FORUM_EMISSIONS
        ],
    }


def beijing_cbd_forum(world: World, *, donations: int = len(DONATIONS)) -> Forum:
    """The forum registered and offset by the first ``donations`` citizens' donations."""
    world.add_participant("bj-eeb", [], kind="government", name="Beijing Ecology and Environment")
    world.add_participant("bj-registry", ["issuer"], kind="government")
    world.add_program("BJCER", "bj-eeb", region="CN-BJ", name="Beijing carbon-inclusion")
    world.grant("BJCER", "bj-registry", "issuer")
    world.grant("BJCER", "verifier", "verifier")
    methodology = world.add_methodology(
        "BJCER", "BJ-TRAVEL", "2024.1", scenario="green_travel", region="CN-BJ"
    )
    world.add_participant("bj-travel", ["platform"], kind="platform", name="Green travel platform")
    world.add_project(
        "BJ-TRAVEL-2024",
        "bj-travel",
        program="BJCER",
        methodology=methodology,
        title="Green travel in personal carbon accounts",
        region="CN-BJ",
        city="Beijing",
    )
    batch = world.issue(
        150 * TONNE,
        to="bj-travel",
        project="BJ-TRAVEL-2024",
        issuer="bj-registry",
        vintage=("2024-01-01", "2024-04-30"),
        origin_ref="BJCA-2024-01-04",
    )
    world.add_participant("cbd-forum", ["holder"], name=FORUM_ORGANISER)
    event = f"EVT-{world.accept('cbd-forum', 'register_event', forum_body()).index}"
    retirements = []
    for account, grams in DONATIONS[:donations]:
        world.open_account(account, "bj-travel")
        world.accept(
            "bj-travel",
            "transfer",
            {"from_account": "bj-travel", "to_account": account, "lots": lots(batch, grams)},
        )
        result = world.accept("bj-travel", "retire", donation(account, batch, grams, event))
        retirements.append(str(result.data["retirement"]))
    return Forum(event, batch, retirements)


def donation(account: str, batch: str, grams: int, event: str) -> dict[str, Any]:
    """A citizen's donated reductions retired for the forum by the platform keeping the account."""
    return {
        "account": account,
        "lots": lots(batch, grams),
        "beneficiary": {"name": FORUM_ORGANISER},
        "purpose": "event_neutrality",
        "jurisdiction": "CN-BJ",
        "event_ref": event,
        "period_start": "2024-06-05",
        "period_end": "2024-06-05",
        "note": "citizen's donated personal reductions",
    }


def compensation(batch: str, grams: int = CASE_REQUIRED) -> dict[str, Any]:
    return {
        "account": "zs-plating",
        "lots": lots(batch, grams),
        "reason": "ecological_compensation",
        "case": {
            "authority": "zs-eeb",
            "case_number": CASE_NUMBER,
            "damage_fen": CASE_DAMAGE_FEN,
            "decision_digest": CASE_DECISION,
        },
        "note": "alternative repair of wastewater damage that cannot be restored",
    }


def zhongshan(world: World, *, cancel: bool = True) -> Case:
    """The case registered and, with ``cancel``, settled by one cancellation of 1,019 t."""
    world.add_participant("liangyi", ["holder"], name="Zhongshan Liangyi Lighting Co., Ltd.")
    world.add_participant("zs-plating", ["holder"], name="Zhongshan electroplating company")
    world.add_participant("zs-eeb", ["authority"], kind="government", name="Zhongshan bureau")
    world.add_project(
        "GD-ZS-PV-0001",
        "liangyi",
        title="Zhongshan Liangyi Lighting distributed PV",
        city="Zhongshan",
    )
    batch = world.issue(
        1_600 * TONNE,
        to="liangyi",
        project="GD-ZS-PV-0001",
        vintage=("2022-01-01", "2022-10-31"),
        origin_ref="GD-CI-2023-0001",
    )
    world.accept(
        "liangyi",
        "transfer",
        {
            "from_account": "liangyi",
            "to_account": "zs-plating",
            "lots": lots(batch, CASE_REQUIRED),
            "price_fen_per_tonne": 6_903,
            "venue": "exchange_agreement",
            "settlement_ref": "GZ-CI-2023-05-0117",
        },
    )
    world.accept(
        "zs-eeb",
        "register_case",
        {
            "case_number": CASE_NUMBER,
            "liable_party": "zs-plating",
            "damage_fen": CASE_DAMAGE_FEN,
            "decision_digest": CASE_DECISION,
            "required": CASE_REQUIRED,
            "jurisdiction": "CN-GD",
        },
    )
    cancellation = ""
    if cancel:
        result = world.accept("zs-plating", "cancel", compensation(batch), ["zs-eeb"])
        cancellation = str(result.data["cancellation"])
    return Case(CASE_NUMBER, batch, cancellation)
