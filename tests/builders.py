"""A ready-made ledger world for tests: the cast, a program, a methodology and a project.

``build_world`` creates a ledger with its operator (the registrar, from the genesis entry) and
registers, in one group, everyone the credit rules need: the program administrator
(``regulator``), an issuer and a verifier accredited under the program, three holders (``owner``
owns the project; ``alice``, ``bob``), an authority (``court``), a bank and a platform. Then it
registers program ``PHCER``, an active methodology ``pv:1`` and project ``P1``.

``World`` signs entries for any member of the cast and submits them: ``submit`` returns the
outcome, ``accept`` asserts acceptance and returns the event, ``reject`` asserts rejection AND
that no database table changed, and returns the error's stable code. Readers (``supply``,
``holdings``, ``held``, ``row``) go to the database, not to the sequencer's cache.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from sqlalchemy import Table, select

from ledger.client import Identity
from ledger.entry import ENTRY_DOMAIN
from ledger.errors import LedgerError
from ledger.log import Accepted, Ledger, Outcome, Rejected
from ledger.note import NoteSigner
from ledger.ops import Event
from ledger.storage import schema
from ledger.types import GRAMS_PER_TONNE
from tests.databases import Snapshot, changed_tables, snapshot

ORIGIN = "carbonledger.test/log"
PROGRAM = "PHCER"
REGION = "CN-GD"
METHODOLOGY = "pv:1"
PROJECT = "P1"
DIGEST = "ab" * 32
"""A well-formed SHA-256 hex digest for verification reports and decisions."""
TONNE = GRAMS_PER_TONNE
FIRST_YEAR = 2001
"""Issuances without an explicit vintage get one calendar year each, from this one on."""

CAST: dict[str, tuple[str, tuple[str, ...]]] = {
    "regulator": ("government", ()),
    "issuer": ("government", ("issuer",)),
    "verifier": ("certification_body", ("verifier",)),
    "owner": ("enterprise", ("holder",)),
    "alice": ("enterprise", ("holder",)),
    "bob": ("household", ("holder",)),
    "court": ("government", ("authority",)),
    "bank": ("financial_institution", ("bank",)),
    "platform": ("platform", ("platform",)),
}
"""Participant id to (kind, global roles) of everyone ``build_world`` registers."""

Who = Identity | str


def lots(batch: str, quantity: int) -> list[dict[str, Any]]:
    """One lot of ``quantity`` grams of ``batch`` (lowest serials first)."""
    return [{"batch": batch, "quantity": quantity}]


def serials(batch: str, start: int, end: int) -> list[dict[str, Any]]:
    """One lot naming the exact serial range ``[start, end)`` of ``batch``."""
    return [{"batch": batch, "serial_start": start, "serial_end": end}]


def sign_any_json(
    ledger_origin: str, op: str, signer: Identity, body_json: bytes, seq: int | None = None
) -> bytes:
    """A correctly signed entry whose body is ``body_json`` spliced in verbatim.

    For bodies the client refuses to build (floats, non-canonical spellings): the payload is
    encoded by hand with sorted keys, so the signature is valid and only the body is wrong.
    """
    if seq is None:
        signer.seq += 1
        seq = signer.seq
    head = orjson.dumps(
        {"ledger": ledger_origin, "op": op, "seq": seq, "signer": signer.participant},
        option=orjson.OPT_SORT_KEYS,
    )
    # "body" sorts before every other payload key.
    payload = b'{"body":' + body_json + b"," + head[1:]
    sig = signer.key.sign(ENTRY_DOMAIN + payload)
    sigs = orjson.dumps(
        [
            {
                "key": signer.key_id,
                "sig": base64.b64encode(sig).decode(),
                "signer": signer.participant,
            }
        ]
    )
    return b'{"payload":' + payload + b',"sigs":' + sigs + b"}"


class Clock:
    """A stand-in for the ``time`` module used by ``ledger.log``, moved by hand.

    Install with ``monkeypatch.setattr(ledger.log, "time", clock)``. It starts at the real
    time: the sequencer never lets time go backwards, so an earlier start would be ignored.
    """

    def __init__(self, start_ms: int | None = None) -> None:
        self.ms = int(time.time() * 1000) if start_ms is None else start_ms

    def time(self) -> float:
        return self.ms / 1000

    def advance(self, ms: int) -> None:
        self.ms += ms


class World:
    """A ledger and the identities that sign for its participants."""

    def __init__(self, url: str, ledger: Ledger, signer: NoteSigner, operator: Identity) -> None:
        self.url = url
        self.ledger = ledger
        self.signer = signer
        self.ids: dict[str, Identity] = {operator.participant: operator}
        self.administrators: dict[str, str] = {}
        self._next_year: dict[str, int] = {}

    def __getitem__(self, pid: str) -> Identity:
        return self.ids[pid]

    @property
    def operator(self) -> Identity:
        return self.ids["operator"]

    # -- lifecycle -------------------------------------------------------------------------------
    def close(self) -> None:
        self.ledger.close()

    def reopen(self) -> Ledger:
        """Close the ledger and open it again from the database, as after a restart."""
        self.ledger.close()
        self.ledger = Ledger.open(self.url, self.signer)
        return self.ledger

    # -- signing and submitting ------------------------------------------------------------------
    def identity(self, who: Who) -> Identity:
        return who if isinstance(who, Identity) else self.ids[who]

    def sign(self, who: Who, op: str, body: dict[str, Any], cosigners: Sequence[Who] = ()) -> bytes:
        """Entry bytes for ``op`` signed by ``who`` with its next sequence number."""
        return self.identity(who).sign(
            self.ledger.origin, op, body, [self.identity(c) for c in cosigners]
        )

    def submit(
        self, who: Who, op: str, body: dict[str, Any], cosigners: Sequence[Who] = ()
    ) -> Outcome:
        (outcome,) = self.ledger.submit([self.sign(who, op, body, cosigners)])
        return outcome

    def accept(
        self, who: Who, op: str, body: dict[str, Any], cosigners: Sequence[Who] = ()
    ) -> Event:
        """Submit and assert the entry was accepted as new; its event."""
        return self.accept_raw(self.sign(who, op, body, cosigners))

    def accept_raw(self, raw: bytes) -> Event:
        (outcome,) = self.ledger.submit([raw])
        return accepted(outcome)

    def accept_group(self, raws: Sequence[bytes]) -> list[Event]:
        """Submit ``raws`` as one group and assert every one was accepted."""
        return [accepted(outcome) for outcome in self.ledger.submit(raws)]

    def reject(self, who: Who, op: str, body: dict[str, Any], cosigners: Sequence[Who] = ()) -> str:
        """Submit, assert rejection and that nothing changed; the error's stable code."""
        return self.reject_raw(self.sign(who, op, body, cosigners)).code

    def reject_raw(self, raw: bytes) -> LedgerError:
        """Submit ``raw``, assert it is rejected and that no table changed; the error."""
        before, size = self.snapshot(), self.ledger.size
        (outcome,) = self.ledger.submit([raw])
        assert isinstance(outcome, Rejected), f"expected a rejection, got {outcome}"
        after = self.snapshot()
        assert changed_tables(before, after) == [], "a rejected entry changed the database"
        assert after == before
        assert self.ledger.size == size
        return outcome.error

    def snapshot(self) -> Snapshot:
        return snapshot(self.ledger.engine)

    # -- setting the scene -----------------------------------------------------------------------
    def add_participant(
        self,
        pid: str,
        roles: Iterable[str] = ("holder",),
        *,
        kind: str = "enterprise",
        name: str | None = None,
    ) -> Identity:
        """Register ``pid`` (signed by the operator) with a fresh key."""
        self.accept(
            "operator", "register_participant", self.participant_body(pid, roles, kind, name)
        )
        return self.ids[pid]

    def participant_body(
        self, pid: str, roles: Iterable[str], kind: str, name: str | None = None
    ) -> dict[str, Any]:
        """The body registering ``pid``; makes (or reuses) its identity."""
        identity = self.ids.setdefault(pid, Identity.generate(pid))
        return {
            "id": pid,
            "name": name or pid,
            "kind": kind,
            "roles": list(roles),
            "keys": [identity.public_key_b64],
        }

    def add_program(
        self, code: str, administrator: str, *, region: str = REGION, name: str | None = None
    ) -> None:
        self.accept(
            "operator", "register_program", self.program_body(code, administrator, region, name)
        )

    def program_body(
        self, code: str, administrator: str, region: str, name: str | None = None
    ) -> dict[str, Any]:
        self.administrators[code] = administrator
        return {
            "code": code,
            "name": name or code,
            "region": region,
            "administrator": administrator,
        }

    def grant(self, program: str, pid: str, role: str, *, granted: bool = True) -> None:
        self.accept(
            self.administrators[program],
            "set_program_role",
            {"program": program, "participant": pid, "role": role, "granted": granted},
        )

    def add_methodology(
        self,
        program: str,
        code: str,
        version: str = "1",
        *,
        scenario: str = "distributed_pv",
        region: str = REGION,
        status: str = "active",
        parameters: Sequence[dict[str, str]] = (),
    ) -> str:
        self.accept(
            self.administrators[program],
            "register_methodology",
            self.methodology_body(program, code, version, scenario, region, status, parameters),
        )
        return f"{code}:{version}"

    @staticmethod
    def methodology_body(
        program: str,
        code: str,
        version: str,
        scenario: str = "distributed_pv",
        region: str = REGION,
        status: str = "active",
        parameters: Sequence[dict[str, str]] = (),
    ) -> dict[str, Any]:
        return {
            "program": program,
            "code": code,
            "version": version,
            "title": f"{code} {version}",
            "scenario": scenario,
            "region": region,
            "status": status,
            "parameters": list(parameters),
        }

    def add_project(
        self,
        pid: str,
        owner: str,
        *,
        program: str = PROGRAM,
        methodology: str = METHODOLOGY,
        title: str | None = None,
        region: str = REGION,
        city: str | None = None,
    ) -> None:
        self.accept(
            self.administrators[program],
            "register_project",
            self.project_body(pid, owner, program, methodology, title, region, city),
        )

    @staticmethod
    def project_body(
        pid: str,
        owner: str,
        program: str = PROGRAM,
        methodology: str = METHODOLOGY,
        title: str | None = None,
        region: str = REGION,
        city: str | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": pid,
            "program": program,
            "owner": owner,
            "methodology": methodology,
            "title": title or pid,
            "region": region,
        }
        if city is not None:
            body["city"] = city
        return body

    def open_account(self, aid: str, platform: str = "platform") -> None:
        self.accept(platform, "open_account", {"id": aid})

    # -- issuance --------------------------------------------------------------------------------
    def issue_body(
        self,
        quantity: int,
        *,
        to: str = "owner",
        project: str = PROJECT,
        verifier: str = "verifier",
        vintage: tuple[str, str] | None = None,
        origin_ref: str | None = None,
        parameters: Sequence[dict[str, str]] = (),
    ) -> dict[str, Any]:
        """An issuance body; without ``vintage``, the project's next unused calendar year."""
        if vintage is None:
            year = self._next_year.get(project, FIRST_YEAR)
            self._next_year[project] = year + 1
            vintage = (f"{year}-01-01", f"{year}-12-31")
        body: dict[str, Any] = {
            "project": project,
            "vintage_start": vintage[0],
            "vintage_end": vintage[1],
            "quantity": quantity,
            "to_account": to,
            "verifier": verifier,
            "report_digest": DIGEST,
            "verified_on": f"{int(vintage[1][:4]) + 1}-03-01",
            "parameters": list(parameters),
        }
        if origin_ref is not None:
            body["origin_ref"] = origin_ref
        return body

    def issue(
        self,
        quantity: int,
        *,
        to: str = "owner",
        project: str = PROJECT,
        issuer: str = "issuer",
        verifier: str = "verifier",
        vintage: tuple[str, str] | None = None,
        origin_ref: str | None = None,
        parameters: Sequence[dict[str, str]] = (),
    ) -> str:
        """Issue ``quantity`` grams to ``to``, co-signed by the verifier; the new batch id."""
        body = self.issue_body(
            quantity,
            to=to,
            project=project,
            verifier=verifier,
            vintage=vintage,
            origin_ref=origin_ref,
            parameters=parameters,
        )
        event = self.accept(issuer, "issue", body, [verifier])
        return str(event.data["batch"])

    # -- reading the database --------------------------------------------------------------------
    def rows(self, table: Table, **where: Any) -> list[dict[str, Any]]:
        """Rows of ``table`` matching ``where`` (column = value), in primary-key order."""
        query = select(table).order_by(*table.primary_key.columns)
        for column, value in where.items():
            query = query.where(table.c[column] == value)
        with self.ledger.engine.connect() as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    def row(self, table: Table, **where: Any) -> dict[str, Any] | None:
        found = self.rows(table, **where)
        assert len(found) <= 1, f"{len(found)} rows of {table.name} match {where}"
        return found[0] if found else None

    def supply(self, batch: str) -> dict[str, int]:
        """The batch's supply counters as stored."""
        found = self.row(schema.batches, id=batch)
        assert found is not None, f"batch {batch} is not stored"
        return {k: found[k] for k in ("issued", "held", "pledged", "retired", "cancelled")}

    def holdings(self, batch: str) -> list[tuple[int, int, str, str, str | None]]:
        """(start, end, account, status, ref) of every stored range of ``batch``."""
        return [
            (r["serial_start"], r["serial_end"], r["account"], r["status"], r["ref"])
            for r in self.rows(schema.holdings, batch=batch)
        ]

    def held(self, account: str, batch: str | None = None) -> int:
        """Grams ``account`` holds (not pledged, retired or cancelled), per the holdings table."""
        where: dict[str, Any] = {"account": account, "status": "held"}
        if batch is not None:
            where["batch"] = batch
        return sum(r["serial_end"] - r["serial_start"] for r in self.rows(schema.holdings, **where))

    def records(self) -> list[bytes]:
        """Every record of the log, in order."""
        return [self.ledger.record(i) for i in range(self.ledger.size)]


def accepted(outcome: Outcome) -> Event:
    """The event of an outcome that must be a fresh acceptance."""
    assert isinstance(outcome, Accepted), f"expected acceptance, got {outcome}"
    assert not outcome.duplicate, f"entry {outcome.index} was already in the log"
    assert outcome.event is not None
    return outcome.event


def build_world(url: str, *, seal_every: int = 1000) -> World:
    """A new ledger at ``url`` with the whole cast, program PHCER, methodology pv:1, project P1."""
    operator = Identity.generate("operator")
    signer = NoteSigner.generate(ORIGIN)
    ledger = Ledger.create(
        url, ORIGIN, operator, signer, operator_name="Test operator", seal_every=seal_every
    )
    world = World(url, ledger, signer, operator)
    sign = world.sign
    raws = [
        sign("operator", "register_participant", world.participant_body(pid, roles, kind))
        for pid, (kind, roles) in CAST.items()
    ]
    raws.append(
        sign(
            "operator",
            "register_program",
            world.program_body(PROGRAM, "regulator", REGION, "Guangdong PHCER"),
        )
    )
    raws += [
        sign(
            "regulator",
            "set_program_role",
            {"program": PROGRAM, "participant": "issuer", "role": "issuer"},
        ),
        sign(
            "regulator",
            "set_program_role",
            {"program": PROGRAM, "participant": "verifier", "role": "verifier"},
        ),
        sign(
            "regulator",
            "register_methodology",
            world.methodology_body(
                PROGRAM,
                "pv",
                "1",
                parameters=[
                    {
                        "name": "grid_emission_factor",
                        "value": "0.5271",
                        "unit": "kgCO2/kWh",
                        "source": "MEE 2022 provincial grid factor",
                    }
                ],
            ),
        ),
        sign(
            "regulator",
            "register_project",
            world.project_body(PROJECT, "owner", title="Rooftop PV", city="Zhongshan"),
        ),
    ]
    world.accept_group(raws)
    return world
