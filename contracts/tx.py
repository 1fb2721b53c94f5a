"""Sending one contract transaction and waiting for its receipt.

The sender is either an account the node holds the key of (eth-tester's and anvil's unlocked
development accounts: ``eth_sendTransaction``) or a local private key (the transaction is
signed here and sent raw, which works with any node). Either way the node simulates the call
first (gas estimation), so a call the contract would refuse raises before anything is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_typing import ChecksumAddress
from web3 import Web3
from web3.types import TxParams, TxReceipt


@dataclass(frozen=True)
class Signer:
    """Who sends: an address, with its private key when the client signs locally."""

    address: ChecksumAddress
    private_key: bytes | None = None

    @classmethod
    def from_key(cls, private_key: bytes | str) -> Signer:
        account = Account.from_key(private_key)
        return cls(account.address, bytes(account.key))

    @classmethod
    def unlocked(cls, address: str) -> Signer:
        return cls(Web3.to_checksum_address(address))


def send(w3: Web3, fn: Any, signer: Signer, *, timeout: float = 30.0) -> TxReceipt:
    """Send ``fn`` (a bound contract function or constructor) from ``signer``; wait for it.

    Returns the receipt whatever its status; reverts found by simulation propagate as web3 or
    eth-tester raised them (``contracts.reverts`` decodes them).
    """
    params: TxParams = {"from": signer.address}
    if signer.private_key is None:
        tx_hash = fn.transact(params)
    else:
        params["nonce"] = w3.eth.get_transaction_count(signer.address, "pending")
        tx = fn.build_transaction(params)
        signed = w3.eth.account.sign_transaction(tx, signer.private_key)
        tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    return w3.eth.wait_for_transaction_receipt(tx_hash, timeout=timeout)
