"""A platform recording personal reductions, on top of ``tests.builders.build_world``.

``enable_recording`` makes the world's ``platform`` a platform recorder of PHCER with its own
recording project ``PX`` (methodology ``pv:1``); ``record`` submits a ``record_reductions``
entry co-signed by the world's verifier. Rows are ``[account, scenario, methodology, grams,
time_ms, evidence_digest]``; ``row`` makes one with a digest derived from a number, so tests can
plant duplicates on purpose.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from ledger.ops import Event
from tests.builders import DIGEST, METHODOLOGY, PROGRAM, World

PLATFORM = "platform"
PROJECT = "PX"
TODAY = datetime.now(UTC).date().isoformat()
NOW_MS = int(time.time() * 1000) - 60_000
"""A moment of today (UTC) before the tests' entries are sequenced."""
if datetime.fromtimestamp(NOW_MS / 1000, UTC).date().isoformat() != TODAY:  # just after midnight
    NOW_MS = int(datetime.fromisoformat(TODAY).replace(tzinfo=UTC).timestamp() * 1000)


def digest(n: int) -> str:
    """A distinct, well-formed evidence digest for each ``n``."""
    return hashlib.sha256(f"evidence-{n}".encode()).hexdigest()


def row(
    account: str,
    grams: int,
    n: int,
    *,
    scenario: str = "metro_ride",
    methodology: str = METHODOLOGY,
    time_ms: int | None = None,
) -> list[Any]:
    return [
        account,
        scenario,
        methodology,
        grams,
        NOW_MS if time_ms is None else time_ms,
        digest(n),
    ]


def enable_recording(world: World, platform: str = PLATFORM, project: str = PROJECT) -> None:
    """Accredit ``platform`` as a recorder of PHCER and register its recording project."""
    world.grant(PROGRAM, platform, "platform_recorder")
    world.add_project(project, platform)


def open_accounts(world: World, ids: Sequence[str], platform: str = PLATFORM) -> None:
    for start in range(0, len(ids), 20_000):
        world.accept(platform, "open_accounts", {"ids": list(ids[start : start + 20_000])})


def record_body(rows: Sequence[Sequence[Any]], project: str = PROJECT) -> dict[str, Any]:
    return {
        "project": project,
        "period_start": TODAY,
        "period_end": TODAY,
        "verifier": "verifier",
        "report_digest": DIGEST,
        "verified_on": TODAY,
        "rows": [list(r) for r in rows],
    }


def record(
    world: World, rows: Sequence[Sequence[Any]], platform: str = PLATFORM, project: str = PROJECT
) -> Event:
    """Record ``rows`` as ``platform``, co-signed by the verifier; the accepted event."""
    return world.accept(platform, "record_reductions", record_body(rows, project), ["verifier"])


def sign_record(
    world: World, rows: Sequence[Sequence[Any]], platform: str = PLATFORM, project: str = PROJECT
) -> bytes:
    return world.sign(platform, "record_reductions", record_body(rows, project), ["verifier"])
