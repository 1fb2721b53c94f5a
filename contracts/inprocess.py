"""The embedded chain: eth-tester (py-evm) in this process, kept across runs in a journal.

eth-tester holds its chain in memory, so on its own a chain lasts as long as the process. So
that the embedded default works across commands (``carbonledger anchor`` today, ``carbonledger
prove entry`` next week), ``InProcessChain`` can journal every transaction it mines: one JSON
line per transaction, appended and fsync'd before the sender learns the transaction hash, with
the raw signed transaction, its hash, and the number and timestamp of the block that mined it.
Opening the chain again starts eth-tester from the journal's genesis time and mines the same
raw transactions into blocks of the same numbers and timestamps: transaction hashes, contract
addresses, storage, and so every anchored checkpoint and its block come out identical, and are
checked as they replay (a journal that does not replay exactly is refused). Block hashes differ
(post-merge blocks carry a random ``prevrandao``); nothing in anchoring refers to them.

Only raw transactions can be journaled, so a journaled chain refuses ``eth_sendTransaction``:
sign with a key (``dev_key(n)`` is eth-tester's n-th funded development account). One process
at a time writes a journal (an exclusive ``flock`` on it, released if the process dies);
others may open it read-only, which replays what it holds and refuses to send. Every block's
timestamp is the wall clock when its transaction was sent (eth-tester would otherwise stamp a
block with the time the previous one was mined).

The journal's first line is ``{"format": "carbonledger-evm-journal/1", "genesis_time": T,
"chain_id": N}``; each further line ``{"block": n, "time": t, "hash": "0x..", "raw": "0x.."}``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from pathlib import Path
from typing import IO, Any

from eth_tester import EthereumTester, PyEVMBackend
from eth_utils.conversions import to_bytes
from web3 import EthereumTesterProvider, Web3
from web3.types import RPCEndpoint, RPCResponse

from contracts.client import AnchorClient
from contracts.errors import AnchorError, ChainJournalBusy, ChainJournalInvalid
from contracts.tx import Signer

FORMAT = "carbonledger-evm-journal/1"
DEV_ACCOUNTS = 10
"""eth-tester's funded development accounts; account n (1-based) has the private key n."""

_SEND_RAW = "eth_sendRawTransaction"
_SEND_UNLOCKED = "eth_sendTransaction"


def dev_key(number: int) -> str:
    """The private key (hex) of eth-tester's development account ``number``, 1 to 10."""
    if not 1 <= number <= DEV_ACCOUNTS:
        raise AnchorError(f"development account {number} out of range, want 1 to {DEV_ACCOUNTS}")
    return "0x" + number.to_bytes(32, "big").hex()


class _JournalingProvider(EthereumTesterProvider):
    """eth-tester's provider, stamping blocks with the wall clock and reporting each mined
    transaction to ``chain`` before its hash is returned."""

    def __init__(self, tester: EthereumTester, chain: InProcessChain) -> None:
        super().__init__(tester)
        self._chain = chain

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        if method not in (_SEND_RAW, _SEND_UNLOCKED):
            return super().make_request(method, params)
        self._chain.before_send(method)
        response = super().make_request(method, params)
        if "result" in response and response.get("error") is None:
            raw = _hex(params[0]) if method == _SEND_RAW else None
            self._chain.after_send(_hex(response["result"]), raw)
        return response


class InProcessChain:
    """An eth-tester chain in this process, journaled to ``path`` when one is given.

    ``open`` replays an existing journal (or starts one); ``read_only`` replays without taking
    the journal's lock and refuses to send. ``close`` releases the lock.
    """

    def __init__(self, path: Path | None, *, read_only: bool = False) -> None:
        self.path = path
        self.read_only = read_only
        self._file: IO[bytes] | None = None
        self._replaying = False
        entries: list[dict[str, Any]] = []
        genesis_time = int(time.time())
        try:
            # A writer locks before reading, so that nobody appends to what it replays.
            if path is not None and not read_only:
                self._file = _open_locked(path)
            if path is not None:
                header, entries = self._load(path)
                if header is not None:
                    genesis_time = _int(header, "genesis_time", 1)
            self._backend = PyEVMBackend(
                genesis_parameters=PyEVMBackend.generate_genesis_params(
                    overrides={"timestamp": genesis_time}
                )
            )
            self._tester = EthereumTester(self._backend)
            self.w3 = Web3(_JournalingProvider(self._tester, self))
            self.chain_id = int(self.w3.eth.chain_id)
            self._replay(entries)
            if self._file is not None and self._file.tell() == 0:
                header = {"format": FORMAT, "genesis_time": genesis_time, "chain_id": self.chain_id}
                self._append(header)
        except BaseException:
            self.close()
            raise

    @classmethod
    def open(cls, path: Path | None = None, *, read_only: bool = False) -> InProcessChain:
        """The chain journaled at ``path`` (a fresh, unjournaled one if None)."""
        return cls(path, read_only=read_only)

    def client(self, account: int = 1) -> AnchorClient:
        """A client sending from development account ``account`` (1 to 10), signing locally."""
        return AnchorClient(self.w3, Signer.from_key(dev_key(account)))

    def close(self) -> None:
        """Release the journal (idempotent); the chain stays readable in this process."""
        if self._file is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def __enter__(self) -> InProcessChain:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- called by the provider around every transaction ---------------------------------------

    def before_send(self, method: str) -> None:
        """Refuse a send this chain cannot journal; stamp the next block with the wall clock."""
        if self._replaying:
            return
        if self.read_only:
            raise AnchorError(f"the in-process chain at {self.path} is open read-only")
        if self.path is not None and method != _SEND_RAW:
            raise AnchorError(
                "a journaled in-process chain records raw transactions only: sign with a key "
                "(contracts.inprocess.dev_key)"
            )
        latest = self._backend.chain.get_canonical_head()
        stamp = max(int(latest.timestamp) + 1, int(time.time()))
        self._stamp_next_block(stamp)

    def after_send(self, tx_hash: str, raw: str | None) -> None:
        """Journal the transaction just mined (fsync'd) before its hash goes back to the sender."""
        if self._replaying or self.path is None:
            return
        assert raw is not None  # before_send refused unlocked sends on a journaled chain
        block = self._mined_in(tx_hash)
        self._append({"block": block, "time": self._block_time(block), "hash": tx_hash, "raw": raw})

    # -- the journal ----------------------------------------------------------------------------

    @staticmethod
    def _load(path: Path) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """The header and transactions of the journal at ``path`` (none if it does not exist).

        A last line without its newline was being written when its writer stopped: that
        transaction was never reported to anyone, and is ignored.
        """
        try:
            text = path.read_bytes().decode("utf-8")
        except FileNotFoundError:
            return None, []
        except UnicodeDecodeError as exc:
            raise ChainJournalInvalid(f"{path} is not a UTF-8 chain journal") from exc
        lines = text.split("\n")[:-1]
        if not lines:
            return None, []
        try:
            records = [json.loads(line) for line in lines]
        except json.JSONDecodeError as exc:
            raise ChainJournalInvalid(f"{path}: line {exc.lineno} is not JSON") from exc
        header, *entries = records
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise ChainJournalInvalid(f"{path} is not a {FORMAT} journal")
        for position, entry in enumerate(entries, start=2):
            if not isinstance(entry, dict):
                raise ChainJournalInvalid(f"{path}: line {position} is not an object")
        return header, entries

    def _replay(self, entries: list[dict[str, Any]]) -> None:
        """Mine ``entries`` again, checking that each lands where the journal says."""
        self._replaying = True
        try:
            for position, entry in enumerate(entries, start=2):
                where = f"{self.path}: line {position}"
                block, stamp = _int(entry, "block", position), _int(entry, "time", position)
                raw, want = entry.get("raw"), entry.get("hash")
                if not isinstance(raw, str) or not isinstance(want, str):
                    raise ChainJournalInvalid(f"{where} lacks the raw transaction or its hash")
                self._stamp_next_block(stamp)
                try:
                    got = self.w3.eth.send_raw_transaction(to_bytes(hexstr=raw))
                except Exception as exc:
                    raise ChainJournalInvalid(f"{where} does not replay: {exc}") from exc
                mined_in = self._mined_in(got.to_0x_hex())
                if got.to_0x_hex() != want.lower() or mined_in != block:
                    raise ChainJournalInvalid(
                        f"{where} replays as transaction {got.to_0x_hex()} in block {mined_in}, "
                        f"want {want} in block {block}"
                    )
        finally:
            self._replaying = False

    def _append(self, record: dict[str, Any]) -> None:
        assert self._file is not None
        self._file.write(json.dumps(record, separators=(",", ":")).encode() + b"\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def _stamp_next_block(self, stamp: int) -> None:
        chain = self._backend.chain
        chain.header = chain.header.copy(timestamp=stamp)

    def _mined_in(self, tx_hash: str) -> int:
        receipt = self._tester.get_transaction_receipt(tx_hash)
        return int(receipt["block_number"])

    def _block_time(self, block: int) -> int:
        return int(self._tester.get_block_by_number(block)["timestamp"])


def _open_locked(path: Path) -> IO[bytes]:
    """``path`` opened for appending under an exclusive lock, a torn last line cut off."""
    path.parent.mkdir(parents=True, exist_ok=True)
    file = open(path, "a+b")  # noqa: SIM115 -- held until InProcessChain.close()
    try:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        file.close()
        raise ChainJournalBusy(
            f"another writer holds the in-process chain journal {path}; stop it, or share a "
            "chain through a JSON-RPC node"
        ) from exc
    os.set_inheritable(file.fileno(), False)
    file.seek(0)
    data = file.read()
    if data and not data.endswith(b"\n"):
        file.truncate(data.rfind(b"\n") + 1)
    file.seek(0, os.SEEK_END)
    return file


def _hex(value: Any) -> str:
    """``0x``-prefixed lowercase hex of bytes or of hex text."""
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    text = str(value).lower()
    return text if text.startswith("0x") else "0x" + text


def _int(record: dict[str, Any], key: str, position: int) -> int:
    value = record.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ChainJournalInvalid(f"chain journal line {position}: {key} is {value!r}, want an int")
    return value
