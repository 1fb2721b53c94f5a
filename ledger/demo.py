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
consistency, runs the invariant check and the full replay verification, and anchors the final
checkpoint on the in-process EVM chain (journaled beside the ledger, so that ``carbonledger
prove entry`` can check any entry against it afterwards).

Case figures (1,019 t, 70,344 CNY, 7,609 t, 138.25 t) are as reported; prices, meter readings,
emission factors, case numbers and the split between projects are illustrative.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ledger import audit, queries
from ledger.cli.keyfile import save_identity, save_log_key
from ledger.client import Identity
from ledger.errors import LedgerError
from ledger.log import Ledger, Rejected
from ledger.note import NoteSigner
from ledger.ops import Event
from ledger.queries.anchors import AnchorView
from ledger.storage.engine import make_engine
from ledger.types import GRAMS_PER_TONNE

ORIGIN = "demo.carbonledger.example/log"
DEFAULT_DIR = Path("var/demo")
DB_FILE = "ledger.db"
CHAIN_JOURNAL = f"{DB_FILE}.evm.jsonl"
"""The in-process chain's journal: ``node.anchor_chain``'s default beside the database."""
CASE_NUMBER = "ZS-EDC-2023-001"
EVENT_REF = "2024 Beijing CBD Forum"
T = GRAMS_PER_TONNE
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

# code, name, region, administrator, accredited issuer, accredited verifier
PROGRAMS = (
    ("PHCER", "Guangdong carbon-inclusion certified emission reductions", "CN-GD", "gd-eeb",
     "gd-ci-registry", "cqc"),
    ("WHCER", "Wuhan carbon-inclusion reductions", "CN-HB", "wh-eeb", "wh-eeb", "cti"),
)  # fmt: skip
# program, code, version, title, scenario, (parameter name, value, unit, source)
METHODOLOGIES = (
    ("PHCER", "GD-CI-PV", "2022.1", "Distributed photovoltaic generation", "distributed_pv",
     ("grid_emission_factor", "0.5271", "kgCO2/kWh", "South China grid factor (demo value)")),
    ("WHCER", "WH-CI-PV", "2023.1", "Distributed photovoltaic generation", "distributed_pv",
     ("grid_emission_factor", "0.5257", "kgCO2/kWh", "Central China grid factor (demo value)")),
    ("WHCER", "WH-CI-TRAVEL", "2024.1", "Green travel in personal carbon accounts",
     "green_travel", ("baseline_car_factor", "0.171", "kgCO2/km", "petrol car (demo value)")),
)  # fmt: skip
# id, program, owner, methodology, title, city
PROJECTS = (
    ("GD-ZS-PV-0001", "PHCER", "liangyi", "GD-CI-PV:2022.1",
     "Zhongshan Liangyi Lighting distributed PV", "Zhongshan"),
    ("WH-PV-GLM", "WHCER", "gelinmei", "WH-CI-PV:2023.1", "Gelinmei park PV", "Wuhan"),
    ("WH-PV-RX", "WHCER", "rixin", "WH-CI-PV:2023.1", "Rixin Solar distributed PV", "Wuhan"),
    ("WH-TRAVEL-2024", "WHCER", "wh-carbon-account", "WH-CI-TRAVEL:2024.1",
     "Distributed carbon accounts: green travel", "Wuhan"),
)  # fmt: skip


def _digest(text: str) -> str:
    """Stands in for the SHA-256 of a report or decision document."""
    return hashlib.sha256(text.encode()).hexdigest()


def _param(name: str, value: str, unit: str, source: str) -> dict[str, str]:
    return {"name": name, "value": value, "unit": unit, "source": source}


def _lots(batch: str, grams: int) -> list[dict[str, Any]]:
    return [{"batch": batch, "quantity": grams}]


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
    anchor: AnchorView | None = None
    """The receipt of the final checkpoint, anchored on the in-process EVM chain."""


class _Script:
    """Signs and submits the demo's entries, narrating each one."""

    def __init__(self, ledger: Ledger, say: Callable[[str], None]) -> None:
        self.ledger = ledger
        self.say = say
        self.steps: list[str] = []
        self.refused: list[dict[str, str]] = []
        self.last_body: dict[str, Any] = {}

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
        self.last_body = body
        assert outcome.event is not None
        line = f"[{outcome.index:>3}] {says}"
        self.steps.append(line)
        self.say(line)
        return outcome.event

    def transfer(
        self, who: Identity, src: str, dst: str, batch: str, grams: int, says: str, **extra: Any
    ) -> Event:
        body = {"from_account": src, "to_account": dst, "lots": _lots(batch, grams), **extra}
        return self.do(who, "transfer", body, says)

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
    for name in (DB_FILE, f"{DB_FILE}-wal", f"{DB_FILE}-shm", "log.key", CHAIN_JOURNAL):
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
    result = _summarise(url, directory, script, setup_size, event_rid)
    return replace(result, anchor=_anchor(url, directory / CHAIN_JOURNAL))


def _anchor(url: str, journal: Path) -> AnchorView:
    """Anchor the final checkpoint on the in-process EVM chain, journaled beside the ledger."""
    from node.anchor_chain import ChainSettings
    from node.anchoring import anchor_latest

    return anchor_latest(url, ChainSettings(journal=journal)).receipt


def _register(s: _Script, operator: Identity, ids: dict[str, Identity]) -> None:
    body: dict[str, Any]
    for pid, name, kind, roles in PARTICIPANTS:
        key = ids[pid].public_key_b64
        body = {"id": pid, "name": name, "kind": kind, "roles": list(roles), "keys": [key]}
        s.do(operator, "register_participant", body, f"register {pid}: {name}")
    for code, name, region, admin, issuer, verifier in PROGRAMS:
        body = {"code": code, "name": name, "region": region, "administrator": admin}
        s.do(operator, "register_program", body, f"program {code}, administered by {admin}")
        for pid, role in ((issuer, "issuer"), (verifier, "verifier")):
            body = {"program": code, "participant": pid, "role": role}
            s.do(ids[admin], "set_program_role", body, f"{code} accredits {pid} as {role}")
    administrators = {code: ids[admin] for code, _, _, admin, *_ in PROGRAMS}
    regions = {code: region for code, _, region, *_ in PROGRAMS}
    for program, code, version, title, scenario, parameter in METHODOLOGIES:
        body = {
            "program": program,
            "code": code,
            "version": version,
            "title": title,
            "scenario": scenario,
            "region": regions[program],
            "parameters": [_param(*parameter)],
        }
        name, value, unit, source = parameter
        says = f"methodology {code}:{version}, {name} {value} {unit} ({source})"
        s.do(administrators[program], "register_methodology", body, says)
    for pid, program, owner, methodology, title, city in PROJECTS:
        body = {
            "id": pid,
            "program": program,
            "owner": owner,
            "methodology": methodology,
            "title": title,
            "region": regions[program],
            "city": city,
        }
        s.do(administrators[program], "register_project", body, f"project {pid}: {title}")


def _issue(
    s: _Script,
    issuer: Identity,
    verifier: Identity,
    project: str,
    period: tuple[str, str],
    grams: int,
    to: str,
    origin_ref: str,
    parameters: list[dict[str, str]],
    says: str,
) -> str:
    """Issue ``grams`` for ``project``'s monitoring ``period``; the new batch id."""
    body: dict[str, Any] = {
        "project": project,
        "vintage_start": period[0],
        "vintage_end": period[1],
        "quantity": grams,
        "to_account": to,
        "verifier": verifier.participant,
        "report_digest": _digest(f"verification report {project} {period}"),
        "verified_on": f"{period[1][:4]}-11-30",
        "origin_ref": origin_ref,
        "parameters": parameters,
    }
    says += f", co-signed by verifier {verifier.participant}"
    return str(s.do(issuer, "issue", body, says, cosigners=[verifier]).data["batch"])


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
) -> str:
    grams = _pv_grams(kwh, ef_milligrams)
    ef = f"0.{ef_milligrams // 100:04d}"
    parameters = [
        _param("generation", str(kwh), "kWh", "grid company settlement meter readings"),
        _param("grid_emission_factor", ef, "kgCO2/kWh", "methodology parameter"),
    ]
    says = f"issue {queries.format_tonnes(grams)} to {to} ({kwh:,} kWh x {ef} kg/kWh)"
    period = (f"{year}-01-01", f"{year}-10-31")
    return _issue(s, issuer, verifier, project, period, grams, to, origin_ref, parameters, says)


def _guangdong(s: _Script, ids: dict[str, Identity]) -> None:
    liangyi, plating, bank = ids["liangyi"], ids["zs-plating"], ids["zs-bank"]
    registry, cqc = ids["gd-ci-registry"], ids["cqc"]
    origin_ref = "GD-CI-2023-0001"
    batch = _issue_pv(
        s,
        registry,
        cqc,
        "GD-ZS-PV-0001",
        2022,
        3_035_500,
        PHCER_EF_MILLIGRAMS,
        "liangyi",
        origin_ref,
    )
    again = s.last_body | {"quantity": 1_000_000}
    s.refuse(
        registry,
        "issue",
        again,
        "issuing the same origin reference twice",
        "duplicate_issuance",
        cosigners=[cqc],
    )
    case_t = 1_019 * T
    s.transfer(
        liangyi,
        "liangyi",
        "zs-plating",
        batch,
        case_t,
        f"trade: liangyi -> zs-plating {queries.format_tonnes(case_t)} at 69.03 CNY/t",
        price_fen_per_tonne=6_903,
        venue="exchange_agreement",
        settlement_ref="GZ-CI-2023-05-0117",
    )
    body: dict[str, Any] = {
        "account": "zs-plating",
        "lots": _lots(batch, case_t),
        "reason": "ecological_compensation",
        "case": {
            "authority": "zs-eeb",
            "case_number": CASE_NUMBER,
            "damage_fen": 7_034_400,
            "decision_digest": _digest(f"compensation agreement {CASE_NUMBER}"),
        },
        "note": "alternative repair for wastewater damage that cannot be restored",
    }
    says = f"cancel {queries.format_tonnes(case_t)} for case {CASE_NUMBER} "
    says += f"({queries.format_cny(7_034_400)} of damage), co-signed by zs-eeb"
    s.do(plating, "cancel", body, says, cosigners=[ids["zs-eeb"]])
    pledged = 300 * T
    body = {
        "account": "liangyi",
        "lots": _lots(batch, pledged),
        "bank": "zs-bank",
        "contract_ref": "ZSB-GREEN-LOAN-2023-017",
    }
    says = f"pledge {queries.format_tonnes(pledged)} to zs-bank, co-signed by the bank"
    pledge = str(s.do(liangyi, "pledge", body, says, cosigners=[bank]).data["pledge"])
    body = {"from_account": "liangyi", "to_account": "zs-plating", "lots": _lots(batch, 400 * T)}
    s.refuse(
        liangyi,
        "transfer",
        body,
        "transferring 400 t while 300 t of the holding is pledged",
        "insufficient_credits",
    )
    s.do(bank, "release_pledge", {"pledge": pledge}, f"zs-bank releases {pledge} (loan repaid)")


def _wuhan(s: _Script, ids: dict[str, Identity]) -> None:
    wh, cti = ids["wh-eeb"], ids["cti"]
    glm = _issue_pv(
        s, wh, cti, "WH-PV-GLM", 2023, 8_500_000, WHCER_EF_MILLIGRAMS, "gelinmei", "WH-CI-2023-0042"
    )
    rx = _issue_pv(
        s, wh, cti, "WH-PV-RX", 2023, 6_200_000, WHCER_EF_MILLIGRAMS, "rixin", "WH-CI-2023-0043"
    )
    bought = (("gelinmei", glm, 4_400 * T), ("rixin", rx, 3_209 * T))
    for seller, batch, grams in bought:
        says = f"trade on the Hubei exchange: {seller} -> wh-sanzhen "
        says += f"{queries.format_tonnes(grams)} at 45.00 CNY/t"
        s.transfer(
            ids[seller],
            seller,
            "wh-sanzhen",
            batch,
            grams,
            says,
            price_fen_per_tonne=4_500,
            venue="exchange_listing",
            settlement_ref=f"HBEX-20231225-{batch[-4:]}",
        )
    total = sum(grams for *_, grams in bought)
    body: dict[str, Any] = {
        "account": "wh-sanzhen",
        "lots": [lot for _, batch, grams in bought for lot in _lots(batch, grams)],
        "beneficiary": {"name": "Wuhan Sanzhen"},
        "purpose": "compliance_offset",
        "jurisdiction": "CN-HB",
        "claim_ref": "Hubei ETS 2023 compliance (offset part)",
        "period_start": "2023-01-01",
        "period_end": "2023-12-31",
    }
    says = f"wh-sanzhen retires {queries.format_tonnes(total)} as a compliance offset"
    s.do(ids["wh-sanzhen"], "retire", body, says)


def _donations(s: _Script, ids: dict[str, Identity]) -> str:
    platform, forum = ids["wh-carbon-account"], ids["cbd-forum"]
    km, car_milligrams = 891_137, 171_000  # baseline 0.171 kg CO2/km
    collected = km * car_milligrams // 1000
    parameters = [
        _param("trip_distance", str(km), "km", "platform trip records, reconciled"),
        _param("baseline_car_factor", "0.171", "kgCO2/km", "methodology parameter"),
    ]
    says = f"issue {queries.format_tonnes(collected)} of collected personal reductions to "
    says += "the platform"
    batch = _issue(
        s,
        ids["wh-eeb"],
        ids["cti"],
        "WH-TRAVEL-2024",
        ("2024-01-01", "2024-04-30"),
        collected,
        "wh-carbon-account",
        "WHCA-2024-01-04",
        parameters,
        says,
    )
    for account, grams in PERSONAL_ACCOUNTS:
        says = f"platform opens personal account {account}"
        s.do(platform, "open_account", {"id": account}, says)
        s.transfer(
            platform,
            "wh-carbon-account",
            account,
            batch,
            grams,
            f"platform credits {account} with {grams:,} g",
            settlement_ref="allocation",
        )
    for account, grams in PERSONAL_ACCOUNTS:
        says = f"{account} donates {grams:,} g to the forum (signed by its custodian)"
        s.transfer(platform, account, "cbd-forum", batch, grams, says, venue="donation")
    target = 138_250_000
    pooled = target - sum(grams for _, grams in PERSONAL_ACCOUNTS)
    s.transfer(
        platform,
        "wh-carbon-account",
        "cbd-forum",
        batch,
        pooled,
        f"platform passes on {pooled:,} g of pooled user donations",
        venue="donation",
        settlement_ref="pooled donations of platform users, May 2024",
    )
    body: dict[str, Any] = {
        "account": "cbd-forum",
        "lots": _lots(batch, target),
        # Misspelt on purpose: the correction below amends it.
        "beneficiary": {"name": "Bejing CBD Forum organising committee"},
        "purpose": "event_neutrality",
        "jurisdiction": "CN-BJ",
        "event_ref": EVENT_REF,
        "period_start": "2024-06-05",
        "period_end": "2024-06-05",
        "note": "preparation, hosting and closing; citizens' donated reductions",
    }
    says = f"cbd-forum retires {queries.format_tonnes(target)} for {EVENT_REF}"
    retired = s.do(forum, "retire", body, says)
    rid = str(retired.data["retirement"])
    body = {
        "corrects": retired.index,
        "action": "amend_retirement",
        "retirement": rid,
        "reason": "beneficiary name misspelt on the certificate",
        "beneficiary": {"name": "Beijing CBD Forum organising committee"},
    }
    says = f"correction of {rid}: beneficiary name misspelt (the original stays in the log)"
    s.do(forum, "correct", body, says)
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
