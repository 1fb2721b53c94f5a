"""Public anchoring from the command line: ``anchor`` (now), ``anchorer`` (the loop), ``anchors``.

The chain is ``in-process`` (the embedded default: eth-tester, kept in ``<db>.evm.jsonl``) or
a JSON-RPC URL, with the anchoring key in ``CARBONLEDGER_ANCHOR_KEY`` and the contract in
``CARBONLEDGER_ANCHOR_CONTRACT`` (``node.anchor_chain``). ``carbonledger serve --anchor`` runs
the same loop as ``anchorer`` beside the sequencer (``start_anchorer``).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ledger import queries
from ledger.cli.output import (
    DEFAULT_DB,
    DbOption,
    JsonOption,
    LimitOption,
    OffsetOption,
    command,
    open_engine,
    print_json,
    show_fields,
    show_table,
    when,
)
from ledger.errors import InvalidInput
from ledger.queries.anchors import SPLIT_VIEW, AnchorView
from ledger.queries.anchors import anchors as list_anchors

if TYPE_CHECKING:
    from node.anchor_chain import ChainSettings
    from node.anchorer import Anchorer, RoundReport

# The chain stack (web3) takes seconds to import: commands import it when they run, so that
# the rest of the command line stays quick.

EVERY_CHECKPOINTS_ENV = "CARBONLEDGER_ANCHOR_EVERY_CHECKPOINTS"
EVERY_SECONDS_ENV = "CARBONLEDGER_ANCHOR_EVERY_SECONDS"
CONFIRMATIONS_ENV = "CARBONLEDGER_ANCHOR_CONFIRMATIONS"

ChainOption = Annotated[
    str | None,
    typer.Option(
        "--chain",
        help="'in-process' (the default) or a JSON-RPC URL. Env CARBONLEDGER_CHAIN; on a "
        "JSON-RPC chain the anchoring key comes from CARBONLEDGER_ANCHOR_KEY.",
    ),
]
ChainStateOption = Annotated[
    Path | None,
    typer.Option(
        "--chain-state",
        help="The in-process chain's journal (default: <database file>.evm.jsonl). Env "
        "CARBONLEDGER_CHAIN_STATE.",
    ),
]
ContractOption = Annotated[
    str | None,
    typer.Option(
        "--contract",
        help="CheckpointAnchor address on a JSON-RPC chain (default: the one this ledger "
        "used there before). Env CARBONLEDGER_ANCHOR_CONTRACT.",
    ),
]
ConfirmationsOption = Annotated[
    int,
    typer.Option(
        "--confirmations",
        min=0,
        envvar=CONFIRMATIONS_ENV,
        help="Blocks on top of an anchoring transaction before its receipt is recorded.",
    ),
]


def chain_settings(
    db: str,
    chain: str | None,
    chain_state: Path | None,
    contract: str | None = None,
    confirmations: int = 0,
) -> ChainSettings:
    """The chain settings of a command's options, completed from the environment."""
    from node.anchor_chain import ChainSettings

    return ChainSettings.resolve(
        chain, db, journal=chain_state, contract=contract, confirmations=confirmations
    )


def receipt_fields(receipt: AnchorView) -> list[tuple[str, Any]]:
    """A receipt's fields for people."""
    fields: list[tuple[str, Any]] = [
        ("status", receipt.status),
        ("tree size", receipt.size),
        ("root (signed by the log)", receipt.root.hex()),
        ("chain id", receipt.chain_id),
        ("contract", receipt.contract),
        ("transaction", "0x" + receipt.tx_hash.hex()),
        ("block", f"{receipt.block_number} ({when(receipt.block_time * 1000)})"),
    ]
    if receipt.status == SPLIT_VIEW:
        fields.append(("root the chain holds", receipt.chain_root.hex()))
    return fields


@command
def anchor(
    db: DbOption = DEFAULT_DB,
    chain: ChainOption = None,
    chain_state: ChainStateOption = None,
    contract: ContractOption = None,
    confirmations: ConfirmationsOption = 0,
    deploy: Annotated[
        bool,
        typer.Option(
            "--deploy",
            help="On a JSON-RPC chain: deploy a new CheckpointAnchor first, owned by the key, "
            "and register this log with the key as its anchoring key (development chains).",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Anchor the newest sealed checkpoint now, and print its receipt."""
    from contracts.errors import AnchorSplitView
    from node.anchoring import anchor_latest

    open_engine(db).dispose()
    settings = chain_settings(db, chain, chain_state, contract, confirmations)
    outcome = anchor_latest(db, settings, deploy=deploy)
    receipt = outcome.receipt
    if as_json:
        print_json({"receipt": receipt, "sent": outcome.sent})
    else:
        title = (
            f"Checkpoint {receipt.size} anchored"
            if outcome.sent
            else f"Checkpoint {receipt.size} was already anchored"
        )
        show_fields(title, receipt_fields(receipt))
    if outcome.split_view:
        raise AnchorSplitView(
            f"SPLIT VIEW: the chain holds root {receipt.chain_root.hex()} for size "
            f"{receipt.size}, this ledger signed {receipt.root.hex()}; the attempt is recorded "
            "as evidence",
            size=receipt.size,
            tx_hash=receipt.tx_hash.hex(),
        )


@command
def anchorer(
    db: DbOption = DEFAULT_DB,
    chain: ChainOption = None,
    chain_state: ChainStateOption = None,
    contract: ContractOption = None,
    confirmations: ConfirmationsOption = 0,
    every_checkpoints: Annotated[
        int,
        typer.Option(
            "--every-checkpoints",
            min=1,
            envvar=EVERY_CHECKPOINTS_ENV,
            help="Anchor once this many checkpoints are unanchored (K) ...",
        ),
    ] = 10,
    every_seconds: Annotated[
        float,
        typer.Option(
            "--every-seconds",
            min=0.001,
            envvar=EVERY_SECONDS_ENV,
            help="... or once the oldest unanchored checkpoint is this old (T).",
        ),
    ] = 600.0,
    poll_seconds: Annotated[
        float, typer.Option("--poll-seconds", min=0.001, help="How often to look for checkpoints.")
    ] = 1.0,
    backoff_base: Annotated[
        float, typer.Option("--backoff-base", min=0.001, help="First wait after a failure, s.")
    ] = 1.0,
    backoff_cap: Annotated[
        float, typer.Option("--backoff-cap", min=0.001, help="Longest wait after failures, s.")
    ] = 300.0,
    as_json: JsonOption = False,
) -> None:
    """Anchor the newest checkpoint every K checkpoints or T seconds, until interrupted."""
    from node.anchorer import Anchorer, AnchorPolicy
    from node.backoff import BackoffPolicy

    open_engine(db).dispose()
    settings = chain_settings(db, chain, chain_state, contract, confirmations)
    policy = AnchorPolicy(
        every_checkpoints=every_checkpoints,
        every_seconds=every_seconds,
        poll_seconds=poll_seconds,
        backoff=BackoffPolicy(backoff_base, backoff_cap),
    )
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    on_report = _print_report if as_json else None
    worker = Anchorer(db, settings, policy, on_report=on_report)
    stop = threading.Event()

    def interrupted(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, interrupted)
    typer.echo(f"anchoring {worker.origin} on {settings.chain}; stop with Ctrl-C", err=True)
    try:
        worker.run(stop)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        worker.close()


def _print_report(report: RoundReport) -> None:
    if report.kind == "idle" and not report.orphaned:
        return
    data: dict[str, Any] = {"kind": report.kind, "receipt": report.receipt}
    if report.error is not None:
        data["error"] = report.error.to_dict()
        data["retry_in"] = report.retry_in
    if report.orphaned:
        data["orphaned"] = list(report.orphaned)
    typer.echo(_one_line(queries.as_json(data)))


def _one_line(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


@command
def anchors(
    db: DbOption = DEFAULT_DB,
    status: Annotated[
        str | None,
        typer.Option(
            "--status", help="Only receipts with this status: anchored, split_view, orphaned."
        ),
    ] = None,
    limit: LimitOption = queries.DEFAULT_LIMIT,
    offset: OffsetOption = 0,
    as_json: JsonOption = False,
) -> None:
    """Anchor receipts, largest tree size first."""
    engine = open_engine(db)
    try:
        found = list_anchors(engine, status=status, limit=limit, offset=offset)
    finally:
        engine.dispose()
    if as_json:
        print_json(found)
        return
    show_table(
        "Anchor receipts (full hashes with --json)",
        ["size", "status", "chain", "block", "block time", "transaction", "root"],
        [
            (
                r.size,
                r.status,
                r.chain_id,
                r.block_number,
                when(r.block_time * 1000),
                f"0x{r.tx_hash.hex()[:16]}…",
                f"{r.root.hex()[:16]}…",
            )
            for r in found
        ],
        right=["size", "block"],
    )


def start_anchorer(db: str, echo: Callable[[str], None]) -> Anchorer:
    """An anchorer for ``carbonledger serve --anchor``, configured from the environment
    (``CARBONLEDGER_CHAIN``... and ``CARBONLEDGER_ANCHOR_EVERY_*``), started on its thread."""
    from node.anchorer import FAILED, Anchorer, AnchorPolicy

    try:
        every_checkpoints = int(os.environ.get(EVERY_CHECKPOINTS_ENV, "10"))
        every_seconds = float(os.environ.get(EVERY_SECONDS_ENV, "600"))
        confirmations = int(os.environ.get(CONFIRMATIONS_ENV, "0"))
    except ValueError as exc:
        raise InvalidInput(
            f"{EVERY_CHECKPOINTS_ENV}, {EVERY_SECONDS_ENV} and {CONFIRMATIONS_ENV} must be numbers"
        ) from exc
    settings = chain_settings(db, None, None, confirmations=confirmations)
    policy = AnchorPolicy(every_checkpoints=every_checkpoints, every_seconds=every_seconds)

    def report(round_report: RoundReport) -> None:
        if round_report.kind == FAILED and round_report.error is not None:
            echo(f"anchorer: {round_report.error.code}: {round_report.error.message}")
        elif round_report.receipt is not None:
            r = round_report.receipt
            echo(f"anchorer: {r.status} size {r.size} in block {r.block_number}")

    worker = Anchorer(db, settings, policy, on_report=report)
    worker.start()
    echo(
        f"anchoring on {settings.chain} every {every_checkpoints} checkpoints or {every_seconds} s"
    )
    return worker
