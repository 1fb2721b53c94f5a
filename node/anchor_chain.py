"""Which chain anchors a ledger, and connecting to it: the embedded chain or a JSON-RPC node.

``ChainSettings`` come from command-line options or the environment:

- ``CARBONLEDGER_CHAIN``: ``in-process`` (the embedded default: eth-tester in this process,
  kept in a journal, ``contracts.inprocess``) or the URL of a JSON-RPC node;
- ``CARBONLEDGER_CHAIN_STATE``: the in-process chain's journal; by default
  ``<database file>.evm.jsonl`` beside a SQLite ledger (a PostgreSQL ledger must name one);
- ``CARBONLEDGER_ANCHOR_KEY``: for a JSON-RPC chain, the hex private key of one of the log's
  anchoring keys (read from the environment only, so that it never shows in a process list);
- ``CARBONLEDGER_ANCHOR_CONTRACT``: for a JSON-RPC chain, the ``CheckpointAnchor`` address.

The contract address used on a chain is remembered in ``ledger_meta`` (``anchor_contract:<chain
id>``), so it need be given once. On the in-process chain the anchorer deploys the contract
and registers the log, with its own development key as anchoring key, the first time; on a
public chain the contract's owner does that (``carbonledger anchor --deploy`` on a development
chain).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from contracts.client import AnchorClient
from contracts.errors import AnchorNotConfigured, AnchorUnavailable
from contracts.inprocess import InProcessChain
from ledger.errors import InvalidInput
from ledger.storage.anchors import remember_contract, remembered_contract

IN_PROCESS = "in-process"
CHAIN_ENV = "CARBONLEDGER_CHAIN"
STATE_ENV = "CARBONLEDGER_CHAIN_STATE"
KEY_ENV = "CARBONLEDGER_ANCHOR_KEY"
CONTRACT_ENV = "CARBONLEDGER_ANCHOR_CONTRACT"
JOURNAL_SUFFIX = ".evm.jsonl"


@dataclass(frozen=True, slots=True)
class ChainSettings:
    """Where to anchor; ``check`` says what a valid combination is."""

    chain: str = IN_PROCESS
    """``in-process`` or a JSON-RPC URL (``http://``, ``https://``)."""
    journal: Path | None = None
    """The in-process chain's journal; None keeps that chain in memory only (tests)."""
    private_key: str | None = field(default=None, repr=False)
    """Hex private key that signs anchoring transactions on a JSON-RPC chain."""
    contract: str | None = None
    """``CheckpointAnchor`` address on a JSON-RPC chain (default: the remembered one)."""
    timeout: float = 30.0
    """Seconds to wait for a node's answer or a transaction's receipt."""
    confirmations: int = 0
    """Blocks on top of an anchoring transaction before its receipt is recorded as final."""

    @property
    def in_process(self) -> bool:
        return self.chain == IN_PROCESS

    def check(self) -> None:
        """Raise InvalidInput unless the settings make sense together."""
        if not self.in_process and not self.chain.startswith(("http://", "https://")):
            raise InvalidInput(
                f"chain {self.chain!r}, want {IN_PROCESS!r} or an http(s):// JSON-RPC URL"
            )
        if self.in_process and (self.private_key or self.contract):
            raise InvalidInput(
                "the in-process chain deploys its own contract and signs with its own "
                f"development key: do not set {KEY_ENV} or {CONTRACT_ENV} with it"
            )
        if self.timeout <= 0:
            raise InvalidInput(f"timeout {self.timeout} s, want more than 0")
        if self.confirmations < 0:
            raise InvalidInput(f"confirmations {self.confirmations}, want 0 or more")

    @classmethod
    def resolve(
        cls,
        chain: str | None,
        db_url: str,
        *,
        journal: Path | None = None,
        contract: str | None = None,
        confirmations: int = 0,
        timeout: float = 30.0,
    ) -> ChainSettings:
        """Settings from options given (None: not given), then the environment, then defaults.

        The in-process journal defaults to ``<database file>.evm.jsonl`` for a SQLite file.
        """
        chain = chain or os.environ.get(CHAIN_ENV) or IN_PROCESS
        if journal is None and os.environ.get(STATE_ENV):
            journal = Path(os.environ[STATE_ENV])
        if chain == IN_PROCESS and journal is None:
            journal = default_journal(db_url)
            if journal is None:
                raise AnchorNotConfigured(
                    "the in-process chain keeps its state in a journal file: give "
                    f"--chain-state or {STATE_ENV} (only a SQLite ledger has a default)"
                )
        settings = cls(
            chain=chain,
            journal=journal if chain == IN_PROCESS else None,
            private_key=None if chain == IN_PROCESS else os.environ.get(KEY_ENV) or None,
            # A contract given for the in-process chain is refused by ``check``; the environment's
            # JSON-RPC key and contract are simply not for it.
            contract=contract or (None if chain == IN_PROCESS else os.environ.get(CONTRACT_ENV)),
            timeout=timeout,
            confirmations=confirmations,
        )
        settings.check()
        return settings


def default_journal(db_url: str) -> Path | None:
    """``<database file>.evm.jsonl`` for a SQLite ledger file; None for other databases."""
    url = make_url(db_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database + JOURNAL_SUFFIX)


class ChainConnection:
    """An open chain: a client not yet bound to a contract, and what to release after."""

    def __init__(self, client: AnchorClient, embedded: InProcessChain | None) -> None:
        self.client = client
        self.embedded = embedded

    @classmethod
    def open(cls, settings: ChainSettings, *, read_only: bool = False) -> ChainConnection:
        """Connect to the chain of ``settings``; ``read_only`` needs no key and sends nothing.

        Raises ``AnchorUnavailable`` if a JSON-RPC node does not answer, ``ChainJournalBusy``
        if another process writes the in-process journal, ``AnchorNotConfigured`` without a key.
        """
        settings.check()
        if settings.in_process:
            embedded = InProcessChain.open(settings.journal, read_only=read_only)
            return cls(embedded.client(), embedded)
        if settings.private_key is None and not read_only:
            raise AnchorNotConfigured(
                f"no key to sign anchoring transactions on {settings.chain}: set {KEY_ENV}"
            )
        key = None if read_only else settings.private_key
        return cls(AnchorClient.connect_rpc(settings.chain, key, timeout=settings.timeout), None)

    def close(self) -> None:
        if self.embedded is not None:
            self.embedded.close()

    def __enter__(self) -> ChainConnection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def anchor_contract(
    connection: ChainConnection,
    settings: ChainSettings,
    engine: Engine,
    origin: str,
    *,
    deploy: bool = False,
) -> AnchorClient:
    """The client bound to this ledger's anchor contract on the connected chain.

    The in-process chain gets its contract deployed and the log registered (with the client's
    key as anchoring key) if the remembered address holds none. On a JSON-RPC chain ``deploy``
    does that (the sender becomes owner and anchoring key); otherwise the address comes from
    the settings or ``ledger_meta``. The address used is remembered in ``ledger_meta``.
    """
    client = connection.client
    chain_id = client.chain_id
    address = settings.contract or remembered_contract(engine, chain_id)
    bound: AnchorClient | None = None
    if address is not None and not (deploy and not settings.in_process):
        try:
            bound = client.at(address)
        except AnchorUnavailable:
            if not settings.in_process:
                raise
    if bound is None:
        if not settings.in_process and not deploy:
            raise AnchorNotConfigured(
                f"no anchor contract known on chain {chain_id}: set {CONTRACT_ENV} (the "
                "contract's owner deploys it and registers this log's anchoring key)"
            )
        client.deploy()
        client.register_log(origin, [client.sender])
        bound = client
    if address != bound.address:
        remember_contract(engine, chain_id, bound.address)
    return bound
