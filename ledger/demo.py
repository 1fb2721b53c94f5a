"""The quick-start demo: a whole credit lifecycle on an embedded SQLite ledger, in seconds.

``run_demo`` recreates a ledger in a directory and walks the cases of the domain brief: a
Guangdong PHCER program run by its bureau with an accredited issuer and verifier, a
distributed-PV methodology whose grid emission factor travels with its source, the Zhongshan
Liangyi Lighting PV project, a verifier-co-signed issuance, a trade, the Zhongshan 1,019 t
ecological-compensation cancellation (authority co-signed, 70,344 CNY of damage), a Wuhan
compliance offset of 7,609 t bought on the exchange from two PV projects, a pledge to a bank
and its release, a 138.25 t event retirement (Beijing CBD Forum style) from personal reductions
donated through a platform's personal carbon accounts, and a correction. Two refused entries
show the rules at work. It then seals, proves a retirement's inclusion and the log's
consistency, and runs the invariant check and the full replay verification.

Case figures (1,019 t, 70,344 CNY, 7,609 t, 138.25 t) are as reported; prices, meter readings,
emission factors, case numbers and the split between projects are illustrative.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger import audit, queries
from ledger.cli.keyfile import save_identity, save_log_key
from ledger.client import Identity
from ledger.errors import LedgerError
from ledger.log import Ledger, Rejected
from ledger.note import NoteSigner
from ledger.ops import Event
from ledger.storage.engine import make_engine

ORIGIN = "demo.carbonledger.example/log"
DEFAULT_DIR = Path("var/demo")
DB_FILE = "ledger.db"
CASE_NUMBER = "ZS-EDC-2023-001"
EVENT_REF = "2024 Beijing CBD Forum"
PHCER_EF_MILLIGRAMS = 527_100  # 0.5271 kg CO2/kWh, in mg/kWh so that grams stay integers
WHCER_EF_MILLIGRAMS = 525_700  # 0.5257 kg CO2/kWh

# id, name, kind, global roles
PARTICIPANTS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("gd-eeb", "Department of Ecology and Environment of Guangdong Province", "government", ()),
    ("gd-ci-registry", "Guangdong carbon-inclusion registry office", "government", ("issuer",)),
    ("cqc", "China Quality Certification Centre (CQC)", "certification_body", ("verifier",)),
    ("liangyi", "Zhongshan Liangyi Lighting Co., Ltd.", "enterprise", ("holder",)),
    ("zs-plating", "Zhongshan electroplating company (liable party)", "enterprise", ("holder",)),
    (
        "zs-eeb",
        "Zhongshan Municipal Bureau of Ecology and Environment",
        "government",
        ("authority",),
    ),
    ("zs-bank", "Zhongshan green-finance bank branch", "financial_institution", ("bank",)),
    ("wh-eeb", "Wuhan Municipal Bureau of Ecology and Environment", "government", ("issuer",)),
    ("cti", "Centre Testing International (CTI)", "certification_body", ("verifier",)),
    ("gelinmei", "Gelinmei park PV project company", "enterprise", ("holder",)),
    ("rixin", "Rixin Solar distributed PV", "enterprise", ("holder",)),
    ("wh-sanzhen", "Wuhan Sanzhen (compliance emitter)", "enterprise", ("holder",)),
    ("wh-carbon-account", "Wuhan distributed carbon account platform", "platform", ("platform",)),
    ("cbd-forum", "Beijing CBD Forum organising committee", "enterprise", ("holder",)),
)
PERSONAL_ACCOUNTS = (("whca-7f3a9c21", 12_500), ("whca-0b81d4e5", 3_860), ("whca-c29e6a10", 760))
"""Pseudonymous personal accounts kept by the platform, and the grams each user donates."""


def _digest(text: str) -> str:
    """Stands in for the SHA-256 of a report or decision document."""
    return hashlib.sha256(text.encode()).hexdigest()


def _pv_grams(kwh: int, ef_milligrams: int) -> int:
    """Reductions of ``kwh`` of PV generation at ``ef_milligrams`` per kWh, in whole grams."""
    return kwh * ef_milligrams // 1000


@dataclass(frozen=True, slots=True)
class DemoResult:
    """What the demo did and what its checks found."""

    url: str
    directory: str
    origin: str
    log_vkey: str
    size: int
    checkpoint: str
    steps: list[str]
    refused: list[dict[str, str]]
    """Entries the rules refused on purpose: what was tried and the error code."""
    batches: list[queries.BatchView]
    supply: queries.Supply
    cancelled_for_case: int
    retired_for_event: int
    retired_for_compliance: int
    retirements: list[queries.RetirementView]
    event_retirement: queries.RetirementView
    inclusion: queries.InclusionProof
    consistency: queries.ConsistencyProof
    problems: list[dict[str, str]]
    verification: dict[str, Any]


class _Script:
    """Signs and submits the demo's entries, narrating each one."""

    def __init__(self, ledger: Ledger, say: Callable[[str], None]) -> None:
        self.ledger = ledger
        self.say = say
        self.steps: list[str] = []
        self.refused: list[dict[str, str]] = []

    def _sign(
        self, who: Identity, op: str, body: dict[str, Any], cosigners: Sequence[Identity]
    ) -> bytes:
        seq = queries.next_seq(self.ledger.engine, who.participant)
        return who.sign(self.ledger.origin, op, body, cosigners, seq=seq)

    def do(
        self,
        who: Identity,
        op: str,
        body: dict[str, Any],
        says: str,
        cosigners: Sequence[Identity] = (),
    ) -> Event:
        (outcome,) = self.ledger.submit([self._sign(who, op, body, cosigners)])
        if isinstance(outcome, Rejected):
            raise outcome.error
        assert outcome.event is not None
        line = f"[{outcome.index:>3}] {says}"
        self.steps.append(line)
        self.say(line)
        return outcome.event

    def refuse(
        self,
        who: Identity,
        op: str,
        body: dict[str, Any],
        says: str,
        code: str,
        cosigners: Sequence[Identity] = (),
    ) -> None:
        """Submit an entry the rules must refuse with ``code``; nothing of it is written."""
        (outcome,) = self.ledger.submit([self._sign(who, op, body, cosigners)])
        if not isinstance(outcome, Rejected) or outcome.error.code != code:
            raise LedgerError(
                f"demo expected {op} to be refused with {code}, got {outcome}", code="demo_failed"
            )
        self.refused.append({"tried": says, "code": code, "message": outcome.error.message})
        self.say(f"[  -] refused: {says}: {code}")


def _reset(directory: Path) -> None:
    """Remove what an earlier run created, and nothing else."""
    for name in (DB_FILE, f"{DB_FILE}-wal", f"{DB_FILE}-shm", "log.key"):
        (directory / name).unlink(missing_ok=True)
    keys = directory / "keys"
    for pid in ("operator", *(p[0] for p in PARTICIPANTS)):
        (keys / f"{pid}.json").unlink(missing_ok=True)


def run_demo(
    directory: Path = DEFAULT_DIR, *, say: Callable[[str], None] = lambda _line: None
) -> DemoResult:
    """Recreate the demo ledger in ``directory`` and run the whole lifecycle; ``say`` receives
    one line per accepted or refused entry. Key files are left in ``directory/keys`` and the
    log key in ``directory/log.key`` so the command line can carry on from there."""
    directory.mkdir(parents=True, exist_ok=True)
    _reset(directory)
    (directory / "keys").mkdir(exist_ok=True)
    url = f"sqlite:///{directory / DB_FILE}"
    operator = Identity.generate("operator")
    log_key = NoteSigner.generate(ORIGIN)
    ids = {pid: Identity.generate(pid) for pid, *_ in PARTICIPANTS}
    for identity in (operator, *ids.values()):
        save_identity(identity, directory / "keys" / f"{identity.participant}.json")
    save_log_key(log_key, directory / "log.key")

    ledger = Ledger.create(
        url, ORIGIN, operator, log_key, operator_name="Carbon-inclusion ledger operator (demo)"
    )
    say(f"[  0] genesis: ledger {ORIGIN}, checkpoint key {ledger.log_vkey}")
    try:
        script = _Script(ledger, say)
        _register(script, operator, ids)
        setup_size = ledger.size
        ledger.seal()
        _guangdong(script, ids)
        _wuhan(script, ids)
        event_rid = _donations(script, ids)
        ledger.seal()
    finally:
        ledger.close()
    return _summarise(url, directory, script, setup_size, event_rid)


def _register(s: _Script, operator: Identity, ids: dict[str, Identity]) -> None:
    for pid, name, kind, roles in PARTICIPANTS:
        s.do(
            operator,
            "register_participant",
            {
                "id": pid,
                "name": name,
                "kind": kind,
                "roles": list(roles),
                "keys": [ids[pid].public_key_b64],
            },
            f"register {pid}: {name}",
        )
    gd, wh = ids["gd-eeb"], ids["wh-eeb"]
    s.do(
        operator,
        "register_program",
        {
            "code": "PHCER",
            "name": "Guangdong carbon-inclusion certified emission reductions",
            "region": "CN-GD",
            "administrator": "gd-eeb",
        },
        "program PHCER, administered by gd-eeb",
    )
    s.do(
        gd,
        "set_program_role",
        {"program": "PHCER", "participant": "gd-ci-registry", "role": "issuer"},
        "PHCER accredits gd-ci-registry as issuer",
    )
    s.do(
        gd,
        "set_program_role",
        {"program": "PHCER", "participant": "cqc", "role": "verifier"},
        "PHCER accredits cqc as verifier",
    )
    s.do(
        gd,
        "register_methodology",
        {
            "program": "PHCER",
            "code": "GD-CI-PV",
            "version": "2022.1",
            "title": "Distributed photovoltaic generation",
            "scenario": "distributed_pv",
            "region": "CN-GD",
            "parameters": [
                {
                    "name": "grid_emission_factor",
                    "value": "0.5271",
                    "unit": "kgCO2/kWh",
                    "source": "South China regional grid factor (demo value)",
                }
            ],
        },
        "methodology GD-CI-PV:2022.1, grid factor 0.5271 kgCO2/kWh with its source",
    )
    s.do(
        gd,
        "register_project",
        {
            "id": "GD-ZS-PV-0001",
            "program": "PHCER",
            "owner": "liangyi",
            "methodology": "GD-CI-PV:2022.1",
            "title": "Zhongshan Liangyi Lighting distributed PV",
            "region": "CN-GD",
            "city": "Zhongshan",
            "approval_ref": "GD-CI-P-2023-0001",
        },
        "project GD-ZS-PV-0001: Zhongshan Liangyi Lighting distributed PV",
    )
    s.do(
        operator,
        "register_program",
        {
            "code": "WHCER",
            "name": "Wuhan carbon-inclusion reductions",
            "region": "CN-HB",
            "administrator": "wh-eeb",
        },
        "program WHCER, administered by wh-eeb",
    )
    s.do(
        wh,
        "set_program_role",
        {"program": "WHCER", "participant": "wh-eeb", "role": "issuer"},
        "WHCER: wh-eeb issues itself",
    )
    s.do(
        wh,
        "set_program_role",
        {"program": "WHCER", "participant": "cti", "role": "verifier"},
        "WHCER accredits cti as verifier",
    )
    s.do(
        wh,
        "register_methodology",
        {
            "program": "WHCER",
            "code": "WH-CI-PV",
            "version": "2023.1",
            "title": "Distributed photovoltaic generation",
            "scenario": "distributed_pv",
            "region": "CN-HB",
            "parameters": [
                {
                    "name": "grid_emission_factor",
                    "value": "0.5257",
                    "unit": "kgCO2/kWh",
                    "source": "Central China regional grid factor (demo value)",
                }
            ],
        },
        "methodology WH-CI-PV:2023.1",
    )
    s.do(
        wh,
        "register_methodology",
        {
            "program": "WHCER",
            "code": "WH-CI-TRAVEL",
            "version": "2024.1",
            "title": "Green travel in personal carbon accounts",
            "scenario": "green_travel",
            "region": "CN-HB",
            "parameters": [
                {
                    "name": "baseline_car_factor",
                    "value": "0.171",
                    "unit": "kgCO2/km",
                    "source": "private petrol car baseline (demo value)",
                }
            ],
        },
        "methodology WH-CI-TRAVEL:2024.1 (personal green travel)",
    )
    for pid, owner, methodology, title in (
        ("WH-PV-GLM", "gelinmei", "WH-CI-PV:2023.1", "Gelinmei park PV"),
        ("WH-PV-RX", "rixin", "WH-CI-PV:2023.1", "Rixin Solar distributed PV"),
        (
            "WH-TRAVEL-2024",
            "wh-carbon-account",
            "WH-CI-TRAVEL:2024.1",
            "Distributed carbon accounts: green travel",
        ),
    ):
        s.do(
            wh,
            "register_project",
            {
                "id": pid,
                "program": "WHCER",
                "owner": owner,
                "methodology": methodology,
                "title": title,
                "region": "CN-HB",
                "city": "Wuhan",
            },
            f"project {pid}: {title}",
        )


def _issue_pv(
    s: _Script,
    issuer: Identity,
    verifier: Identity,
    project: str,
    year: int,
    kwh: int,
    ef_milligrams: int,
    to: str,
    origin_ref: str,
) -> tuple[str, int]:
    grams = _pv_grams(kwh, ef_milligrams)
    ef = f"0.{ef_milligrams // 100:04d}"
    event = s.do(
        issuer,
        "issue",
        {
            "project": project,
            "vintage_start": f"{year}-01-01",
            "vintage_end": f"{year}-10-31",
            "quantity": grams,
            "to_account": to,
            "verifier": verifier.participant,
            "report_digest": _digest(f"verification report {project} {year}"),
            "verified_on": f"{year}-11-30",
            "origin_ref": origin_ref,
            "parameters": [
                {
                    "name": "generation",
                    "value": str(kwh),
                    "unit": "kWh",
                    "source": "grid company settlement meter readings",
                },
                {
                    "name": "grid_emission_factor",
                    "value": ef,
                    "unit": "kgCO2/kWh",
                    "source": "methodology parameter",
                },
            ],
        },
        f"issue {queries.format_tonnes(grams)} to {to} ({kwh:,} kWh x {ef} kg/kWh), "
        f"co-signed by verifier {verifier.participant}",
        cosigners=[verifier],
    )
    return str(event.data["batch"]), grams


def _guangdong(s: _Script, ids: dict[str, Identity]) -> None:
    liangyi, plating, bank = ids["liangyi"], ids["zs-plating"], ids["zs-bank"]
    issue_args = (
        s,
        ids["gd-ci-registry"],
        ids["cqc"],
        "GD-ZS-PV-0001",
        2022,
        3_035_500,
        PHCER_EF_MILLIGRAMS,
        "liangyi",
        "GD-CI-2023-0001",
    )
    batch, _ = _issue_pv(*issue_args)
    s.refuse(
        ids["gd-ci-registry"],
        "issue",
        {
            "project": "GD-ZS-PV-0001",
            "vintage_start": "2022-01-01",
            "vintage_end": "2022-10-31",
            "quantity": 1_000_000,
            "to_account": "liangyi",
            "verifier": "cqc",
            "report_digest": _digest("copy"),
            "verified_on": "2022-11-30",
            "origin_ref": "GD-CI-2023-0001",
        },
        "issuing the same origin reference twice",
        "duplicate_issuance",
        cosigners=[ids["cqc"]],
    )
    case_t = 1_019_000_000
    s.do(
        liangyi,
        "transfer",
        {
            "from_account": "liangyi",
            "to_account": "zs-plating",
            "lots": [{"batch": batch, "quantity": case_t}],
            "price_fen_per_tonne": 6_903,
            "venue": "exchange_agreement",
            "settlement_ref": "GZ-CI-2023-05-0117",
        },
        f"trade: liangyi -> zs-plating {queries.format_tonnes(case_t)} at 69.03 CNY/t",
    )
    s.do(
        plating,
        "cancel",
        {
            "account": "zs-plating",
            "lots": [{"batch": batch, "quantity": case_t}],
            "reason": "ecological_compensation",
            "case": {
                "authority": "zs-eeb",
                "case_number": CASE_NUMBER,
                "damage_fen": 7_034_400,
                "decision_digest": _digest(f"compensation agreement {CASE_NUMBER}"),
            },
            "note": "alternative repair for wastewater damage that cannot be restored",
        },
        f"cancel {queries.format_tonnes(case_t)} for case {CASE_NUMBER} "
        f"({queries.format_cny(7_034_400)} of damage), co-signed by zs-eeb",
        cosigners=[ids["zs-eeb"]],
    )
    pledged = 300_000_000
    event = s.do(
        liangyi,
        "pledge",
        {
            "account": "liangyi",
            "lots": [{"batch": batch, "quantity": pledged}],
            "bank": "zs-bank",
            "contract_ref": "ZSB-GREEN-LOAN-2023-017",
        },
        f"pledge {queries.format_tonnes(pledged)} to zs-bank, co-signed by the bank",
        cosigners=[bank],
    )
    s.refuse(
        liangyi,
        "transfer",
        {
            "from_account": "liangyi",
            "to_account": "zs-plating",
            "lots": [{"batch": batch, "quantity": 400_000_000}],
        },
        "transferring 400 t while 300 t of the holding is pledged",
        "insufficient_credits",
    )
    s.do(
        bank,
        "release_pledge",
        {"pledge": event.data["pledge"]},
        f"zs-bank releases {event.data['pledge']} (loan repaid)",
    )


def _wuhan(s: _Script, ids: dict[str, Identity]) -> None:
    wh, cti, sanzhen = ids["wh-eeb"], ids["cti"], ids["wh-sanzhen"]
    glm, _ = _issue_pv(
        s, wh, cti, "WH-PV-GLM", 2023, 8_500_000, WHCER_EF_MILLIGRAMS, "gelinmei", "WH-CI-2023-0042"
    )
    rx, _ = _issue_pv(
        s, wh, cti, "WH-PV-RX", 2023, 6_200_000, WHCER_EF_MILLIGRAMS, "rixin", "WH-CI-2023-0043"
    )
    bought = ((ids["gelinmei"], glm, 4_400_000_000), (ids["rixin"], rx, 3_209_000_000))
    for seller, batch, grams in bought:
        s.do(
            seller,
            "transfer",
            {
                "from_account": seller.participant,
                "to_account": "wh-sanzhen",
                "lots": [{"batch": batch, "quantity": grams}],
                "price_fen_per_tonne": 4_500,
                "venue": "exchange_listing",
                "settlement_ref": f"HBEX-20231225-{batch[-4:]}",
            },
            f"trade on the Hubei exchange: {seller.participant} -> wh-sanzhen "
            f"{queries.format_tonnes(grams)} at 45.00 CNY/t",
        )
    total = sum(g for *_, g in bought)
    s.do(
        sanzhen,
        "retire",
        {
            "account": "wh-sanzhen",
            "lots": [{"batch": batch, "quantity": grams} for _, batch, grams in bought],
            "beneficiary": {"name": "Wuhan Sanzhen"},
            "purpose": "compliance_offset",
            "jurisdiction": "CN-HB",
            "claim_ref": "Hubei ETS 2023 compliance (offset part)",
            "period_start": "2023-01-01",
            "period_end": "2023-12-31",
        },
        f"wh-sanzhen retires {queries.format_tonnes(total)} as a compliance offset",
    )


def _donations(s: _Script, ids: dict[str, Identity]) -> str:
    platform, forum = ids["wh-carbon-account"], ids["cbd-forum"]
    km, car_milligrams = 891_137, 171_000  # baseline 0.171 kg CO2/km
    collected = km * car_milligrams // 1000
    event = s.do(
        ids["wh-eeb"],
        "issue",
        {
            "project": "WH-TRAVEL-2024",
            "vintage_start": "2024-01-01",
            "vintage_end": "2024-04-30",
            "quantity": collected,
            "to_account": "wh-carbon-account",
            "verifier": "cti",
            "report_digest": _digest("green travel reductions 2024-01..04"),
            "verified_on": "2024-05-15",
            "origin_ref": "WHCA-2024-01-04",
            "parameters": [
                {
                    "name": "trip_distance",
                    "value": str(km),
                    "unit": "km",
                    "source": "platform trip records, reconciled",
                },
                {
                    "name": "baseline_car_factor",
                    "value": "0.171",
                    "unit": "kgCO2/km",
                    "source": "methodology parameter",
                },
            ],
        },
        f"issue {queries.format_tonnes(collected)} of collected personal reductions to the "
        "platform, co-signed by cti",
        cosigners=[ids["cti"]],
    )
    batch = str(event.data["batch"])
    for account, grams in PERSONAL_ACCOUNTS:
        s.do(
            platform, "open_account", {"id": account}, f"platform opens personal account {account}"
        )
        s.do(
            platform,
            "transfer",
            {
                "from_account": "wh-carbon-account",
                "to_account": account,
                "lots": [{"batch": batch, "quantity": grams}],
                "settlement_ref": "allocation",
            },
            f"platform credits {account} with {grams:,} g",
        )
    for account, grams in PERSONAL_ACCOUNTS:
        s.do(
            platform,
            "transfer",
            {
                "from_account": account,
                "to_account": "cbd-forum",
                "lots": [{"batch": batch, "quantity": grams}],
                "venue": "donation",
            },
            f"{account} donates {grams:,} g to the forum (signed by its custodian)",
        )
    target = 138_250_000
    pooled = target - sum(g for _, g in PERSONAL_ACCOUNTS)
    s.do(
        platform,
        "transfer",
        {
            "from_account": "wh-carbon-account",
            "to_account": "cbd-forum",
            "lots": [{"batch": batch, "quantity": pooled}],
            "venue": "donation",
            "settlement_ref": "pooled donations of platform users, May 2024",
        },
        f"platform passes on {pooled:,} g of pooled user donations",
    )
    retired = s.do(
        forum,
        "retire",
        {
            "account": "cbd-forum",
            "lots": [{"batch": batch, "quantity": target}],
            "beneficiary": {"name": "Bejing CBD Forum organising committee"},
            "purpose": "event_neutrality",
            "jurisdiction": "CN-BJ",
            "event_ref": EVENT_REF,
            "period_start": "2024-06-05",
            "period_end": "2024-06-05",
            "note": "preparation, hosting and closing; citizens' donated reductions",
        },
        f"cbd-forum retires {queries.format_tonnes(target)} for {EVENT_REF}",
    )
    rid = str(retired.data["retirement"])
    s.do(
        forum,
        "correct",
        {
            "corrects": retired.index,
            "action": "amend_retirement",
            "retirement": rid,
            "reason": "beneficiary name misspelt on the certificate",
            "beneficiary": {"name": "Beijing CBD Forum organising committee"},
        },
        f"correction of {rid}: beneficiary name misspelt (the original stays in the log)",
    )
    return rid


def _summarise(
    url: str, directory: Path, script: _Script, setup_size: int, event_rid: str
) -> DemoResult:
    engine = make_engine(url)
    try:
        info = queries.ledger_info(engine)
        event_retirement = queries.retirement(engine, event_rid)
        inclusion = queries.inclusion_proof(engine, event_retirement.index)
        inclusion.check(info.log_vkey)
        consistency = queries.consistency_proof(engine, setup_size)
        consistency.check(info.log_vkey)
        problems = audit.check_invariants(engine)
        latest = queries.checkpoint(engine)
        result = DemoResult(
            url=url,
            directory=str(directory),
            origin=info.origin,
            log_vkey=info.log_vkey,
            size=info.size,
            checkpoint=latest.note,
            steps=script.steps,
            refused=script.refused,
            batches=queries.batches(engine),
            supply=queries.supply(engine),
            cancelled_for_case=sum(
                c.quantity for c in queries.cancellations(engine, case_number=CASE_NUMBER)
            ),
            retired_for_event=sum(
                r.quantity for r in queries.retirements(engine, event_ref=EVENT_REF)
            ),
            retired_for_compliance=sum(
                r.quantity for r in queries.retirements(engine, purpose="compliance_offset")
            ),
            retirements=queries.retirements(engine),
            event_retirement=event_retirement,
            inclusion=inclusion,
            consistency=consistency,
            problems=[p.to_json() for p in problems],
            verification=audit.verify_ledger(url, log_vkey=info.log_vkey).to_json(),
        )
    finally:
        engine.dispose()
    return result
