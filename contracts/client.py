"""Python client of the ``CheckpointAnchor`` contract (web3.py v7+).

``AnchorClient`` deploys the contract, registers logs and their anchoring keys, anchors
checkpoints and reads them back, and runs the contract's RFC 9162 inclusion verifier. It talks
to an in-process chain (``connect_in_process``: eth-tester on py-evm, the embedded default) or
to any JSON-RPC node (``connect_rpc``: anvil, geth, a hosted endpoint) with a local key.

Logs are named by their C2SP checkpoint origin; on chain a log is ``sha256(origin)``. Roots
and hashes are 32-byte ``bytes``. Reverts become errors of ``contracts.errors`` (or
``ledger.errors.ProofError`` for malformed proofs); a lost connection is ``AnchorUnavailable``.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal, TypeVar

import requests
from eth_typing import ChecksumAddress
from hexbytes import HexBytes
from web3 import EthereumTesterProvider, HTTPProvider, Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import (
    ProviderConnectionError,
    TimeExhausted,
    TransactionNotFound,
    Web3RPCError,
)
from web3.logs import DISCARD
from web3.types import TxReceipt

from contracts import tx
from contracts.errors import AnchorError, AnchorReverted, AnchorUnavailable
from contracts.reverts import decode_revert, revert_payload, to_error
from contracts.tx import Signer
from ledger.errors import InvalidInput, LedgerError

__all__ = [
    "AnchorClient",
    "AnchorReceipt",
    "AnchorStatus",
    "AnchorTransaction",
    "AnchoredCheckpoint",
    "LogInfo",
    "load_artefact",
    "log_id",
]

AnchorStatus = Literal["anchored", "duplicate", "split_view"]
"""``anchored``: a new checkpoint; ``duplicate``: the same (size, root) was already anchored;
``split_view``: another root is anchored for that size; the contract kept it and recorded the
conflict (``SplitViewDetected``)."""

_HASH_SIZE = 32
_ZERO_ADDRESS = "0x" + "00" * 20
_UINT64_MAX = 2**64 - 1
_T = TypeVar("_T")

# What a dropped or refused connection looks like through web3's HTTP provider.
_CONNECTION_ERRORS = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    ProviderConnectionError,
    TimeExhausted,
    ConnectionError,
)


def log_id(origin: str) -> bytes:
    """The on-chain name of a log: SHA-256 of its checkpoint origin line, UTF-8."""
    if not origin or "\n" in origin:
        raise InvalidInput(f"bad checkpoint origin {origin!r}, want one non-empty line")
    return hashlib.sha256(origin.encode("utf-8")).digest()


def load_artefact(name: str) -> dict[str, Any]:
    """The compiled artefact ``contracts/build/<name>.json`` (ABI, bytecode, compiler)."""
    text = resources.files("contracts").joinpath("build", f"{name}.json").read_text("utf-8")
    artefact: dict[str, Any] = json.loads(text)
    return artefact


@dataclass(frozen=True)
class AnchorReceipt:
    """What one ``anchor`` transaction did, and where to find it."""

    chain_id: int
    contract: ChecksumAddress
    tx_hash: bytes
    block_number: int
    gas_used: int
    status: AnchorStatus


@dataclass(frozen=True)
class AnchoredCheckpoint:
    """A checkpoint as anchored on chain, with the block that anchored it."""

    size: int
    root: bytes
    block_number: int
    timestamp: int


@dataclass(frozen=True)
class AnchorTransaction:
    """A mined transaction to the anchor contract, as the chain holds it now.

    ``anchored`` lists the (log id, size, root) of its ``CheckpointAnchored`` events and
    ``split_views`` the (log id, size, anchored root, conflicting root) of its
    ``SplitViewDetected`` events, both emitted by this client's contract only.
    """

    tx_hash: bytes
    block_number: int
    block_time: int
    succeeded: bool
    to: str | None
    anchored: tuple[tuple[bytes, int, bytes], ...]
    split_views: tuple[tuple[bytes, int, bytes, bytes], ...]


@dataclass(frozen=True)
class LogInfo:
    """Registration and counters of one log in the contract."""

    registered: bool
    latest_size: int
    anchored_count: int
    split_view_count: int


class AnchorClient:
    """A connection to a chain, a sending account, and (once known) the anchor contract.

    Transactions come from ``signer`` (see ``contracts.tx``): signed locally when the client
    holds the private key, otherwise by the node (eth-tester's and anvil's unlocked development
    accounts). Every transaction is simulated first, so a call the contract would refuse raises
    before anything is sent.
    """

    def __init__(
        self,
        w3: Web3,
        signer: Signer,
        *,
        address: ChecksumAddress | None = None,
        timeout: float = 30.0,
    ) -> None:
        self._w3 = w3
        self._signer = signer
        self._timeout = timeout
        self._artefact = load_artefact("CheckpointAnchor")
        self._abi: list[dict[str, Any]] = self._artefact["abi"]
        self._address = address
        self._contract: Contract | None = None
        self._chain_id: int | None = None
        if address is not None:
            self._contract = w3.eth.contract(address=address, abi=self._abi)

    # -- connecting ---------------------------------------------------------------------------

    @classmethod
    def connect_in_process(cls) -> AnchorClient:
        """A fresh in-process chain (eth-tester, py-evm) sending from its first funded account."""
        w3 = Web3(EthereumTesterProvider())
        return cls(w3, Signer.unlocked(w3.eth.accounts[0]))

    @classmethod
    def connect_rpc(
        cls, url: str, private_key: bytes | str | None, *, timeout: float = 30.0
    ) -> AnchorClient:
        """A JSON-RPC node at ``url``, sending transactions signed with ``private_key``.

        With no key the client only reads (what a regulator checking an anchor needs); a
        transaction it tried to send would come from the zero address and be refused.
        Raises ``AnchorUnavailable`` if the node does not answer.
        """
        w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": timeout}))
        signer = (
            Signer.unlocked(_ZERO_ADDRESS) if private_key is None else Signer.from_key(private_key)
        )
        client = cls(w3, signer, timeout=timeout)
        client.chain_id  # noqa: B018 - fail now, not at the first anchor, if the node is down
        return client

    def with_sender(
        self, account: str | None = None, *, private_key: bytes | str | None = None
    ) -> AnchorClient:
        """The same chain and contract, sending from another account.

        Give ``account`` for a node-held (unlocked) account, or ``private_key`` to sign locally.
        """
        if private_key is not None and account is None:
            signer = Signer.from_key(private_key)
        elif account is not None and private_key is None:
            signer = Signer.unlocked(self._checksum(account))
        else:
            raise InvalidInput("give exactly one of account and private_key")
        return AnchorClient(self._w3, signer, address=self._address, timeout=self._timeout)

    def at(self, address: str) -> AnchorClient:
        """The same chain and sender, bound to the contract deployed at ``address``.

        Raises ``AnchorUnavailable`` if the chain holds no code there (for instance a dev chain
        restarted without its state: re-deploy, re-register and ``resume``).
        """
        checksum = self._checksum(address)
        code = self._rpc(lambda: self._w3.eth.get_code(checksum), "eth_getCode")
        if not code:
            raise AnchorUnavailable(f"no contract at {checksum} on chain {self.chain_id}")
        return AnchorClient(self._w3, self._signer, address=checksum, timeout=self._timeout)

    @property
    def w3(self) -> Web3:
        return self._w3

    @property
    def sender(self) -> ChecksumAddress:
        return self._signer.address

    @property
    def signer(self) -> Signer:
        return self._signer

    @property
    def address(self) -> ChecksumAddress:
        """Address of the anchor contract; raises ``AnchorError`` before ``deploy``/``at``."""
        if self._address is None:
            raise AnchorError("no anchor contract: call deploy() or at(address) first")
        return self._address

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = self._rpc(lambda: int(self._w3.eth.chain_id), "eth_chainId")
        return self._chain_id

    def funded_accounts(self) -> list[ChecksumAddress]:
        """Accounts the node holds keys for (eth-tester and anvil development accounts)."""
        return list(self._rpc(lambda: self._w3.eth.accounts, "eth_accounts"))

    # -- administration -----------------------------------------------------------------------

    def deploy(self, owner: str | None = None) -> ChecksumAddress:
        """Deploy a new anchor contract owned by ``owner`` (default: the sender); bind to it."""
        factory = self._w3.eth.contract(abi=self._abi, bytecode=self._artefact["bytecode"])
        owner_address = self._checksum(owner) if owner else self.sender
        receipt = self._transact(factory.constructor(owner_address), "deploy")
        address = receipt["contractAddress"]
        if address is None:
            raise AnchorReverted("deployment receipt names no contract address")
        self._address = address
        self._contract = self._w3.eth.contract(address=address, abi=self._abi)
        return address

    def register_log(self, origin: str, anchorers: Sequence[str]) -> bytes:
        """Register the log ``origin`` with its anchoring keys; owner only. Returns its log id."""
        lid = log_id(origin)
        keys = [self._checksum(a) for a in anchorers]
        self._transact(self._functions().registerLog(lid, keys), "registerLog")
        return lid

    def add_anchorer(self, origin: str, anchorer: str) -> None:
        """Authorise ``anchorer`` to anchor for ``origin``; owner only."""
        fn = self._functions().addAnchorer(log_id(origin), self._checksum(anchorer))
        self._transact(fn, "addAnchorer")

    def remove_anchorer(self, origin: str, anchorer: str) -> None:
        """Withdraw ``anchorer``'s authorisation for ``origin``; owner only."""
        fn = self._functions().removeAnchorer(log_id(origin), self._checksum(anchorer))
        self._transact(fn, "removeAnchorer")

    def is_anchorer(self, origin: str, account: str) -> bool:
        fn = self._functions().isAnchorer(log_id(origin), self._checksum(account))
        return bool(self._call(fn, "isAnchorer"))

    # -- anchoring ------------------------------------------------------------------------------

    def anchor(self, origin: str, size: int, root: bytes) -> AnchorReceipt:
        """Anchor the checkpoint (``size``, ``root``) of ``origin``.

        Requires ``0 < size < 2**64`` and a 32-byte root. Raises ``AnchorUnauthorized`` if the
        sender is not an anchoring key of the log and ``AnchorSizeRegression`` for a size below
        the latest that was never anchored. A conflicting root for an anchored size does not
        raise: the receipt's status is ``split_view`` and the anchored root is unchanged.
        """
        _check_size(size)
        _check_hash("root", root)
        lid = log_id(origin)
        receipt = self._transact(self._functions().anchor(lid, size, root), "anchor")
        contract = self._require_contract()
        anchored = contract.events.CheckpointAnchored().process_receipt(receipt, errors=DISCARD)
        split = contract.events.SplitViewDetected().process_receipt(receipt, errors=DISCARD)
        status: AnchorStatus = "duplicate"
        if any(e["address"] == self.address and e["args"]["logId"] == lid for e in anchored):
            status = "anchored"
        elif any(e["address"] == self.address and e["args"]["logId"] == lid for e in split):
            status = "split_view"
        return AnchorReceipt(
            chain_id=self.chain_id,
            contract=self.address,
            tx_hash=bytes(receipt["transactionHash"]),
            block_number=int(receipt["blockNumber"]),
            gas_used=int(receipt["gasUsed"]),
            status=status,
        )

    def resume(self, origin: str, checkpoints: Iterable[tuple[int, bytes]]) -> list[AnchorReceipt]:
        """Bring the chain up to date with the log's own checkpoints after an outage.

        ``checkpoints`` are (size, root) pairs the log has published. Each one already anchored
        with the same root is skipped; one above the latest anchored size is anchored; one
        anchored with another root is submitted again so that the contract records the split
        view. Sizes below the latest anchored size that were never anchored cannot be anchored
        any more (the later checkpoint commits to them) and are skipped. Idempotent: a second
        call sends nothing. Returns the receipts of the transactions sent.
        """
        receipts: list[AnchorReceipt] = []
        for size, root in sorted(checkpoints):
            onchain = self.checkpoint_at(origin, size)
            if onchain is not None and onchain.root == root:
                continue
            latest = self.latest(origin)
            if onchain is None and latest is not None and size < latest.size:
                continue
            receipts.append(self.anchor(origin, size, root))
        return receipts

    # -- reading --------------------------------------------------------------------------------

    def log_info(self, origin: str) -> LogInfo:
        registered, latest_size, count, splits = self._call(
            self._functions().logInfo(log_id(origin)), "logInfo"
        )
        return LogInfo(bool(registered), int(latest_size), int(count), int(splits))

    def latest(self, origin: str) -> AnchoredCheckpoint | None:
        """The latest anchored checkpoint of ``origin``; None if none."""
        size, root, block, timestamp = self._call(
            self._functions().latest(log_id(origin)), "latest"
        )
        if int(size) == 0:
            return None
        return AnchoredCheckpoint(int(size), bytes(root), int(block), int(timestamp))

    def checkpoint_at(self, origin: str, size: int) -> AnchoredCheckpoint | None:
        """The checkpoint anchored for ``size``; None if that size was never anchored."""
        _check_size(size)
        root, block, timestamp = self._call(
            self._functions().checkpointAt(log_id(origin), size), "checkpointAt"
        )
        if bytes(root) == bytes(_HASH_SIZE):
            return None
        return AnchoredCheckpoint(size, bytes(root), int(block), int(timestamp))

    def find_anchor(self, origin: str, size: int) -> AnchorTransaction | None:
        """The transaction that anchored ``size`` for ``origin`` (found from its
        ``CheckpointAnchored`` event in the anchoring block); None if the size is not anchored."""
        onchain = self.checkpoint_at(origin, size)
        if onchain is None:
            return None
        event = self._require_contract().events.CheckpointAnchored()
        block = onchain.block_number
        logs = self._rpc(
            lambda: list(
                event.get_logs(
                    argument_filters={"logId": log_id(origin), "size": size},
                    from_block=block,
                    to_block=block,
                )
            ),
            "eth_getLogs",
        )
        for entry in logs:
            if bytes(entry["args"]["root"]) == onchain.root:
                return self.transaction(bytes(entry["transactionHash"]))
        return None

    def transaction(self, tx_hash: bytes) -> AnchorTransaction | None:
        """The mined transaction ``tx_hash`` and the anchor events it emitted; None if the chain
        does not hold it (never sent, still pending, or lost in a reorganisation)."""
        _check_hash("transaction hash", tx_hash)
        contract = self._require_contract()

        def fetch() -> TxReceipt | None:
            try:
                return self._w3.eth.get_transaction_receipt(HexBytes(tx_hash))
            except TransactionNotFound:
                return None

        receipt = self._rpc(fetch, "eth_getTransactionReceipt")
        if receipt is None or receipt.get("blockNumber") is None:
            return None
        ours = [log for log in receipt["logs"] if log["address"] == self.address]
        scoped: TxReceipt = {**receipt, "logs": ours}
        anchored = contract.events.CheckpointAnchored().process_receipt(scoped, errors=DISCARD)
        splits = contract.events.SplitViewDetected().process_receipt(scoped, errors=DISCARD)
        block_number = int(receipt["blockNumber"])
        return AnchorTransaction(
            tx_hash=bytes(receipt["transactionHash"]),
            block_number=block_number,
            block_time=self.block_time(block_number),
            succeeded=receipt["status"] == 1,
            to=receipt.get("to"),
            anchored=tuple(
                (bytes(e["args"]["logId"]), int(e["args"]["size"]), bytes(e["args"]["root"]))
                for e in anchored
            ),
            split_views=tuple(
                (
                    bytes(e["args"]["logId"]),
                    int(e["args"]["size"]),
                    bytes(e["args"]["anchoredRoot"]),
                    bytes(e["args"]["conflictingRoot"]),
                )
                for e in splits
            ),
        )

    def confirm(
        self, tx_hash: bytes, confirmations: int, *, timeout: float | None = None
    ) -> AnchorTransaction:
        """Wait until ``tx_hash`` is ``confirmations`` blocks deep, then read it again.

        Requires ``confirmations >= 0``. Raises ``AnchorUnavailable`` if it is not that deep
        within ``timeout`` seconds (default: the client's) or the chain no longer holds it.
        """
        if confirmations < 0:
            raise InvalidInput(f"confirmations {confirmations}, want 0 or more")
        deadline = time.monotonic() + (self._timeout if timeout is None else timeout)
        while True:
            found = self.transaction(tx_hash)
            if found is None:
                raise AnchorUnavailable(f"transaction {tx_hash.hex()} is not on chain (any more)")
            head = self._rpc(lambda: int(self._w3.eth.block_number), "eth_blockNumber")
            if head >= found.block_number + confirmations:
                return found
            if time.monotonic() >= deadline:
                raise AnchorUnavailable(
                    f"transaction {tx_hash.hex()} is {head - found.block_number} blocks deep "
                    f"after {timeout or self._timeout} s, want {confirmations}"
                )
            time.sleep(0.5)

    def block_time(self, block_number: int) -> int:
        """Timestamp of block ``block_number``, Unix seconds."""
        block = self._rpc(lambda: self._w3.eth.get_block(block_number), "eth_getBlockByNumber")
        return int(block["timestamp"])

    # -- inclusion proofs -----------------------------------------------------------------------

    def verify_inclusion_onchain(
        self, origin: str, size: int, index: int, leaf_hash: bytes, proof: Sequence[bytes]
    ) -> bool:
        """Whether the contract accepts ``proof`` for leaf ``index`` against the root anchored
        for ``size``. False for a size never anchored, a malformed proof or a wrong one."""
        _check_size(size)
        _check_uint64("leaf index", index)
        _check_hash("leaf hash", leaf_hash)
        for position, node in enumerate(proof):
            _check_hash(f"proof hash {position}", node)
        fn = self._functions().verifyInclusion(log_id(origin), size, index, leaf_hash, list(proof))
        return bool(self._call(fn, "verifyInclusion"))

    def root_from_inclusion_proof_onchain(
        self, leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]
    ) -> bytes:
        """The root the contract computes from ``proof``; arguments in the order of
        ``ledger.merkle.verify.root_from_inclusion_proof``.

        Raises ``ProofError`` if ``index >= size`` or the proof has the wrong length.
        """
        _check_uint64("tree size", size)
        _check_uint64("leaf index", index)
        _check_hash("leaf hash", leaf_hash)
        for position, node in enumerate(proof):
            _check_hash(f"proof hash {position}", node)
        fn = self._functions().rootFromInclusionProof(index, size, leaf_hash, list(proof))
        return bytes(self._call(fn, "rootFromInclusionProof"))

    def leaf_hash_onchain(self, data: bytes) -> bytes:
        """RFC 9162 leaf hash as the contract computes it: SHA-256(0x00 || data)."""
        return bytes(self._call(self._functions().leafHash(data), "leafHash"))

    # -- plumbing ---------------------------------------------------------------------------------

    def _require_contract(self) -> Contract:
        if self._contract is None:
            raise AnchorError("no anchor contract: call deploy() or at(address) first")
        return self._contract

    def _functions(self) -> Any:
        # web3 builds contract functions from the ABI at run time; they have no static type.
        return self._require_contract().functions

    def _checksum(self, address: str) -> ChecksumAddress:
        if not Web3.is_address(address):
            raise InvalidInput(f"bad account address {address!r}, want 20 bytes in hex")
        return Web3.to_checksum_address(address)

    def _rpc(self, request: Callable[[], _T], what: str) -> _T:
        """Run one node request, turning connection failures into ``AnchorUnavailable``."""
        try:
            return request()
        except _CONNECTION_ERRORS as exc:
            raise AnchorUnavailable(f"{what}: node unreachable: {exc}") from exc

    def _call(self, fn: ContractFunction, what: str) -> Any:
        try:
            return self._rpc(fn.call, what)
        except AnchorUnavailable:
            raise
        except Exception as exc:
            error = self._revert_error(exc, what)
            if error is None:
                raise
            raise error from exc

    def _transact(self, fn: Any, what: str) -> TxReceipt:
        """Send ``fn`` (a contract function or constructor) and wait for its receipt."""

        def send() -> TxReceipt:
            return tx.send(self._w3, fn, self._signer, timeout=self._timeout)

        try:
            receipt = self._rpc(send, what)
        except AnchorUnavailable:
            raise
        except Exception as exc:
            error = self._revert_error(exc, what)
            if error is None:
                raise
            raise error from exc
        if receipt["status"] != 1:
            raise AnchorReverted(
                f"{what}: transaction {bytes(receipt['transactionHash']).hex()} failed on chain",
                tx_hash=bytes(receipt["transactionHash"]).hex(),
            )
        return receipt

    def _revert_error(self, exc: Exception, what: str) -> LedgerError | None:
        """The ledger error for a failed request, or None if ``exc`` is not the node's refusal."""
        payload = revert_payload(exc)
        if payload is not None:
            return to_error(decode_revert(self._abi, payload), what)
        if isinstance(exc, Web3RPCError):
            return AnchorReverted(f"{what}: node refused the request: {exc}")
        return None


def _check_hash(name: str, digest: bytes) -> None:
    if not isinstance(digest, bytes | bytearray) or len(digest) != _HASH_SIZE:
        got = len(digest) if isinstance(digest, bytes | bytearray) else type(digest).__name__
        raise InvalidInput(f"{name} is {got} bytes, want {_HASH_SIZE}")


def _check_uint64(name: str, value: int) -> None:
    if not 0 <= value <= _UINT64_MAX:
        raise InvalidInput(f"{name} {value} out of range, want 0 <= {name} < 2**64")


def _check_size(size: int) -> None:
    if not 0 < size <= _UINT64_MAX:
        raise InvalidInput(f"tree size {size} out of range, want 0 < size < 2**64")
