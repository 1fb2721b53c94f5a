"""Decoding of contract reverts into the errors of ``contracts.errors``.

A revert reaches the client in one of two shapes:

* from a JSON-RPC node (anvil, geth...): web3's ``ContractLogicError`` (or its subclass
  ``ContractCustomError``) whose ``data`` is the hex revert payload;
* from the in-process eth-tester chain: ``eth_tester.exceptions.TransactionFailed`` whose
  message is ``"execution reverted: b'...'"``, the payload as a Python bytes literal, because
  web3's tester provider only decodes ``Error(string)`` payloads.

Both are reduced to the raw payload, decoded against the contract ABI's custom errors, and
mapped to one error class with a stable code.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_abi.abi import decode, encode
from eth_utils.conversions import to_bytes
from eth_utils.crypto import keccak
from web3.exceptions import ContractLogicError

from contracts.errors import (
    AnchorInvalidCheckpoint,
    AnchorLogExists,
    AnchorReverted,
    AnchorSizeRegression,
    AnchorUnauthorized,
    AnchorUnknownLog,
)
from ledger.errors import LedgerError, ProofError

_ErrorSignature = tuple[str, tuple[str, ...], tuple[str, ...]]
"""An ABI error: name, argument types, argument names."""

_ERROR_STRING: _ErrorSignature = ("Error", ("string",), ("message",))
_PANIC: _ErrorSignature = ("Panic", ("uint256",), ("code",))
_TESTER_PREFIX = "execution reverted: "


@dataclass(frozen=True)
class Revert:
    """A decoded revert: the Solidity error name and its arguments by parameter name."""

    name: str
    args: Mapping[str, Any] = field(default_factory=dict)


def _signatures(abi: Sequence[Mapping[str, Any]]) -> dict[bytes, _ErrorSignature]:
    """4-byte selector -> error signature, for the ABI's errors and the built-in ones."""
    table: dict[bytes, _ErrorSignature] = {
        keccak(text="Error(string)")[:4]: _ERROR_STRING,
        keccak(text="Panic(uint256)")[:4]: _PANIC,
    }
    for entry in abi:
        if entry.get("type") != "error":
            continue
        types = tuple(str(arg["type"]) for arg in entry["inputs"])
        names = tuple(str(arg["name"]) for arg in entry["inputs"])
        selector = keccak(text=f"{entry['name']}({','.join(types)})")[:4]
        table[selector] = (str(entry["name"]), types, names)
    return table


def revert_payload(exc: BaseException) -> bytes | None:
    """The raw revert payload carried by ``exc``, or None if it is not a revert."""
    if isinstance(exc, ContractLogicError):
        data = exc.data
        if isinstance(data, str) and data.startswith("0x"):
            return to_bytes(hexstr=data)
        if isinstance(data, bytes):
            return data
        return b""
    if type(exc).__name__ == "TransactionFailed" and exc.args:
        message = exc.args[0]
        if isinstance(message, Exception) and message.args:
            message = message.args[0]
        if isinstance(message, bytes):
            return message
        if isinstance(message, str) and message.startswith(_TESTER_PREFIX):
            literal = message[len(_TESTER_PREFIX) :]
            if literal.startswith(("b'", 'b"')):
                payload = ast.literal_eval(literal)
                if isinstance(payload, bytes):
                    return payload
            # Error(string) reasons arrive already decoded.
            return keccak(text="Error(string)")[:4] + encode(["string"], [literal])
        return b""
    return None


def decode_revert(abi: Sequence[Mapping[str, Any]], payload: bytes) -> Revert | None:
    """The ABI error ``payload`` encodes, or None if its selector is unknown or it is empty."""
    if len(payload) < 4:
        return None
    known = _signatures(abi).get(payload[:4])
    if known is None:
        return None
    name, types, names = known
    try:
        values = decode(list(types), payload[4:])
    except Exception:  # a payload that does not match its selector is as good as unknown
        return None
    return Revert(name=name, args=dict(zip(names, values, strict=True)))


def to_error(revert: Revert | None, context: str) -> LedgerError:
    """The ledger error for ``revert``; ``context`` says which call reverted."""
    if revert is None:
        return AnchorReverted(f"{context} reverted without a known reason")
    args = revert.args
    match revert.name:
        case "NotAnchorer":
            return AnchorUnauthorized(
                f"{context}: {args['account']} is not an anchoring key of log "
                f"{args['logId'].hex()}",
                log_id=args["logId"].hex(),
                account=args["account"],
            )
        case "OwnableUnauthorizedAccount":
            return AnchorUnauthorized(
                f"{context}: {args['account']} is not the contract owner", account=args["account"]
            )
        case "SizeRegression":
            return AnchorSizeRegression(
                f"{context}: size {args['size']} was never anchored and is below the latest "
                f"anchored size {args['latestSize']}; want a size above {args['latestSize']}",
                log_id=args["logId"].hex(),
                size=args["size"],
                latest_size=args["latestSize"],
            )
        case "UnknownLog":
            return AnchorUnknownLog(
                f"{context}: log {args['logId'].hex()} is not registered",
                log_id=args["logId"].hex(),
            )
        case "LogAlreadyRegistered":
            return AnchorLogExists(
                f"{context}: log {args['logId'].hex()} is already registered",
                log_id=args["logId"].hex(),
            )
        case "InvalidCheckpoint":
            return AnchorInvalidCheckpoint(
                f"{context}: refused checkpoint size {args['size']} root {args['root'].hex()}, "
                "want size > 0 and a non-zero root",
                size=args["size"],
                root=args["root"].hex(),
            )
        case "InclusionIndexOutOfRange":
            return ProofError(
                f"{context}: leaf index {args['index']} out of range for tree size "
                f"{args['size']}, want 0 <= index < size"
            )
        case "InclusionProofWrongLength":
            return ProofError(
                f"{context}: inclusion proof of {args['proofLength']} hashes does not fit leaf "
                f"{args['index']} of a tree of size {args['size']}"
            )
    detail = ", ".join(f"{k}={v!r}" for k, v in args.items())
    return AnchorReverted(f"{context} reverted with {revert.name}({detail})", error=revert.name)
