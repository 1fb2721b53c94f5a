"""The wording of a certificate: its claims laid out as titled facts and tables for people.

One view serves the HTML and the PDF, so that both say the same thing. Amounts are printed as
exact tonnes beside their grams (integer arithmetic, ``ledger.queries.formatting``), money as
yuan, times as UTC. Long lists (an event offset by thousands of donations) are cut to the
first ``MAX_ROWS`` with a line saying how many more the proof bundle holds.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ledger.queries.formatting import format_cny, format_tonnes

MAX_ROWS = 40


@dataclass(frozen=True, slots=True)
class Facts:
    title: str
    rows: list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Grid:
    title: str
    header: list[str]
    rows: list[list[str]]
    numeric: frozenset[int] = frozenset()
    """Columns holding amounts, right-aligned."""
    more: str | None = None
    """A closing line when rows were left out."""


@dataclass(frozen=True, slots=True)
class CertificateView:
    kind: str
    id: str
    title: str
    headline: str
    statement: str
    status: str | None
    """NEUTRAL, CLOSED, or a sentence saying what is still missing; None when not applicable."""
    facts: list[Facts] = field(default_factory=list)
    grids: list[Grid] = field(default_factory=list)
    proof: Facts = field(default_factory=lambda: Facts("Proof", []))
    verification: str = ""
    digest: str = ""


def amount(grams: int) -> str:
    """``138.25 t (138,250,000 g)``."""
    return f"{format_tonnes(grams)} ({grams:,} g)"


def utc(time_ms: int) -> str:
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=time_ms)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def ranges_text(ranges: Sequence[Sequence[int]]) -> str:
    """Half-open serial ranges as ``[0, 1,019,000,000)``; more than three are summarised."""
    shown = [f"[{s:,}, {e:,})" for s, e in ranges[:3]]
    if len(ranges) > 3:
        shown.append(f"and {len(ranges) - 3} more")
    return " ".join(shown)


def merged(ranges: Sequence[Sequence[int]]) -> list[list[int]]:
    """Ranges sorted, adjacent ones joined: [0, 5) and [5, 9) read as [0, 9)."""
    out: list[list[int]] = []
    for start, end in sorted((int(s), int(e)) for s, e in ranges):
        if out and out[-1][1] == start:
            out[-1][1] = end
        else:
            out.append([start, end])
    return out


def certificate_view(claims: dict[str, Any], *, digest: str, verification: str) -> CertificateView:
    """The view of verified (or freshly computed) ``claims``."""
    view = _retirement(claims) if claims["kind"] == "retirement" else _cancellation(claims)
    checkpoint = claims["checkpoint"]
    proof = Facts(
        "Proof",
        [
            ("ledger", checkpoint["origin"]),
            ("checkpoint", f"tree size {checkpoint['size']:,}, root {checkpoint['root']}"),
            ("proof bundle SHA-256", digest),
            ("verify offline", verification),
        ],
    )
    return dataclasses.replace(
        view,
        grids=[*view.grids, _batches(claims), _projects(claims)],
        proof=proof,
        verification=verification,
        digest=digest,
    )


def _beneficiaries(items: list[dict[str, Any]]) -> str:
    names = sorted({i["beneficiary"]["name"] for i in items})
    return names[0] if len(names) == 1 else f"{len(names)} beneficiaries (listed below)"


def _retirement(claims: dict[str, Any]) -> CertificateView:
    items, event = claims["retirements"], claims.get("event")
    total = claims["quantity"]
    beneficiary = _beneficiaries(items)
    donated = sum(1 for i in items if i["account"] != i["retired_by"])
    facts: list[Facts] = []
    grids: list[Grid] = []
    status = None
    if event is not None:
        title = "Carbon Neutrality Certificate"
        headline = f"{format_tonnes(total)} CO2e retired for {event['name']}"
        stages = ", ".join(f"{s} {format_tonnes(g)}" for s, g in event["by_stage"].items())
        rows = [
            ("event", f"{event['name']} ({event['id']})"),
            ("organiser", event["organiser"]),
            ("dates", f"{event['start_date']} to {event['end_date']}"),
            ("place", f"{event['place']} ({event['jurisdiction']})"),
            ("emitted", amount(event["emitted"])),
            ("by stage", stages),
            ("covered by this certificate", amount(event["covered"])),
        ]
        if event["verifier"]:
            rows.append(
                ("inventory verified by", f"{event['verifier']} ({event['report_digest']})")
            )
        if event["amendments"]:
            rows.append(("inventory amended by entries", ", ".join(map(str, event["amendments"]))))
        facts.append(Facts("Event (MEE 2019 guideline: preparation, hosting, closing)", rows))
        inventory = [
            [stage, source.replace("_", " "), amount(g)] for stage, source, g in event["emissions"]
        ]
        grids.append(
            Grid(
                "Emissions inventory by stage and source",
                ["stage", "source", "emitted"],
                inventory,
                frozenset({2}),
            )
        )
        if event["neutral"] is not None:
            missing = event["emitted"] - event["covered"]
            status = (
                "CARBON NEUTRAL"
                if missing <= 0
                else f"NOT YET NEUTRAL: {amount(missing)} uncovered"
            )
        statement = (
            f"{amount(total)} of certified emission reductions were retired for good on "
            f"behalf of {beneficiary}, purpose event neutrality, against the event's emissions "
            f"of {amount(event['emitted'])}."
        )
    else:
        title = "Retirement Certificate"
        item = items[0]
        headline = f"{format_tonnes(total)} CO2e retired on behalf of {beneficiary}"
        statement = (
            f"{amount(total)} of certified emission reductions were retired for good on "
            f"behalf of {beneficiary}, purpose {item['purpose'].replace('_', ' ')}, "
            f"jurisdiction {item['jurisdiction']}."
        )
        rows = [
            ("purpose", item["purpose"].replace("_", " ")),
            ("jurisdiction", item["jurisdiction"]),
        ]
        for label, key in (("event", "event_ref"), ("claim", "claim_ref"), ("note", "note")):
            if item.get(key):
                rows.append((label, str(item[key])))
        if item["period"][0]:
            rows.append(("consumption period", f"{item['period'][0]} to {item['period'][1]}"))
        facts.append(Facts("Claim", rows))
    if donated == len(items) == 1:
        statement += (
            " It was retired by a platform from a personal account in its custody (donated "
            "personal reductions)."
        )
    elif donated:
        statement += (
            f" {donated} of the {len(items)} retirements were made by a platform from personal "
            "accounts in its custody (donated personal reductions)."
        )
    grid = Grid(
        "Retirements (each a ledger entry)",
        ["id", "entry", "time", "beneficiary", "account", "retired by", "quantity"],
        [
            [
                i["id"],
                f"{i['index']:,}",
                utc(i["time_ms"]),
                i["beneficiary"]["name"]
                + (
                    f" ({i['beneficiary']['identifier']})" if i["beneficiary"]["identifier"] else ""
                ),
                i["account"],
                i["retired_by"]
                + (
                    f"; corrected by {', '.join(map(str, i['corrected_by']))}"
                    if i["corrected_by"]
                    else ""
                ),
                amount(i["quantity"]),
            ]
            for i in items[:MAX_ROWS]
        ],
        frozenset({1, 6}),
        _more(items),
    )
    return CertificateView(
        "retirement", claims["id"], title, headline, statement, status, facts, [*grids, grid]
    )


def _cancellation(claims: dict[str, Any]) -> CertificateView:
    items, case = claims["cancellations"], claims.get("case")
    total = claims["quantity"]
    facts: list[Facts] = []
    status = None
    if case is not None:
        title = "Ecological Compensation Certificate"
        headline = f"{format_tonnes(total)} CO2e cancelled for case {case['case_number']}"
        statement = (
            f"{amount(total)} of certified emission reductions were cancelled for good by "
            f"{case['liable_party']} as alternative repair of ecological damage appraised at "
            f"{format_cny(case['damage_fen'])}, approved by {case['authority']}."
        )
        facts.append(
            Facts(
                "Case",
                [
                    ("case number", case["case_number"]),
                    ("authority", case["authority"]),
                    ("liable party", case["liable_party"]),
                    ("appraised damage", format_cny(case["damage_fen"])),
                    ("decision (SHA-256)", case["decision_digest"]),
                    ("jurisdiction", case["jurisdiction"]),
                    ("required", amount(case["required"])),
                    ("cancelled (this certificate)", amount(case["cancelled"])),
                ],
            )
        )
        if case["closed"] is not None:
            missing = case["required"] - case["cancelled"]
            status = "CASE SATISFIED" if missing <= 0 else f"OPEN: {amount(missing)} outstanding"
    else:
        item = items[0]
        title = "Cancellation Certificate"
        headline = f"{format_tonnes(total)} CO2e cancelled ({item['reason'].replace('_', ' ')})"
        statement = f"{amount(total)} of certified emission reductions were cancelled for good."
        rows = [("reason", item["reason"].replace("_", " "))]
        if item.get("case"):
            rows.append(("case", f"{item['case']['case_number']} ({item['case']['authority']})"))
        if item.get("destination"):
            rows.append(("exported to", item["destination"]))
        facts.append(Facts("Cancellation", rows))
    grid = Grid(
        "Cancellations (each a ledger entry)",
        ["id", "entry", "time", "account", "cancelled by", "approved by", "quantity"],
        [
            [
                i["id"],
                f"{i['index']:,}",
                utc(i["time_ms"]),
                i["account"],
                i["cancelled_by"],
                ", ".join(i["approved_by"]) or "-",
                amount(i["quantity"]),
            ]
            for i in items[:MAX_ROWS]
        ],
        frozenset({1, 6}),
        _more(items),
    )
    return CertificateView(
        "cancellation", claims["id"], title, headline, statement, status, facts, [grid]
    )


def _more(items: list[Any]) -> str | None:
    if len(items) <= MAX_ROWS:
        return None
    return f"and {len(items) - MAX_ROWS:,} more, all in the proof bundle"


def _batches(claims: dict[str, Any]) -> Grid:
    key = "retirements" if claims["kind"] == "retirement" else "cancellations"
    ranges: dict[str, list[list[int]]] = {}
    for item in claims[key]:
        for lot in item["lots"]:
            ranges.setdefault(lot["batch"], []).extend(lot["ranges"])
    ranges = {batch: merged(found) for batch, found in ranges.items()}
    return Grid(
        "Batches and serial ranges (one serial is one gram)",
        ["batch", "project", "vintage", "verifier (report SHA-256)", "serials", "quantity"],
        [
            [
                b["batch"],
                b["project"],
                f"{b['vintage_start']} to {b['vintage_end']}",
                f"{b['verifier']} ({b['report_digest'][:12]}...)",
                ranges_text(ranges[b["batch"]]),
                amount(b["certified"]),
            ]
            for b in claims["batches"][:MAX_ROWS]
        ],
        frozenset({5}),
        _more(claims["batches"]),
    )


def _projects(claims: dict[str, Any]) -> Grid:
    return Grid(
        "Projects",
        ["project", "title", "program", "methodology", "owner", "region"],
        [
            [
                p["id"],
                p["title"],
                p["program"],
                p["methodology"],
                p["owner"],
                p["region"] + (f", {p['city']}" if p["city"] else ""),
            ]
            for p in claims["projects"][:MAX_ROWS]
        ],
        more=_more(claims["projects"]),
    )
