"""Gas and throughput of anchoring checkpoints, beside a per-credit ERC-1155 registry.

On the in-process EVM (eth-tester on py-evm) and, when ``npm ci`` has installed it, on a local
anvil node started for the run, this deploys ``CheckpointAnchor`` and ``CreditToken1155`` and
measures in the same run:

* anchoring: gas of the first and of later anchors, of a duplicate and of a split view, and
  anchors per second (sequential transactions, each waited for);
* on-chain RFC 9162 inclusion verification, for several tree sizes: gas of ``verifyInclusion``
  sent as a transaction (21,000 base and calldata included), the execution part alone (what a
  contract calling it pays, roughly), and ``eth_call`` calls per second;
* the ledger's operations as one ERC-1155 transaction each: issue (mint a batch), transfer
  (to an account that held none of that batch), retire (burn part of a holding);

then gas per ledger operation when one anchor covers 1,000 or 10,000 entries, against the
ERC-1155 transaction doing the same operation, with the ratios. Run it with
``python scripts/bench_anchor_gas.py``; ``--anchors`` and ``--ops`` set the sample sizes. This is a
measurement, not a test: gas is deterministic, rates depend on the machine.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from web3 import EthereumTesterProvider, HTTPProvider, Web3

from contracts.client import AnchorClient, load_artefact, log_id
from contracts.devnode import NODE_MODULES, AnvilNode, find_anvil, free_port
from contracts.tx import Signer, send
from ledger.merkle.hashing import leaf_hash
from ledger.merkle.proofs import inclusion_proof
from ledger.merkle.verify import root_from_inclusion_proof

CHECKPOINT_INTERVALS = (1_000, 10_000)
VERIFY_TREE_SIZES = (1_000, 10_000, 1_000_000, 1_000_000_000)


@dataclass(frozen=True)
class Chain:
    name: str
    w3: Web3
    signers: list[Signer]


@dataclass
class Measure:
    """Gas of each sample and the wall time of the whole series."""

    gas: list[int] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def mean_gas(self) -> float:
        return statistics.fmean(self.gas)

    @property
    def per_second(self) -> float:
        return len(self.gas) / self.seconds if self.seconds else float("nan")


def timed(samples: int, step: Callable[[int], int]) -> Measure:
    """Run ``step(i)`` for i in range(samples); each returns the gas it used."""
    measure = Measure()
    started = time.perf_counter()
    for i in range(samples):
        measure.gas.append(step(i))
    measure.seconds = time.perf_counter() - started
    return measure


def deploy(chain: Chain, name: str) -> tuple[Any, int]:
    artefact = load_artefact(name)
    factory = chain.w3.eth.contract(abi=artefact["abi"], bytecode=artefact["bytecode"])
    receipt = send(chain.w3, factory.constructor(chain.signers[0].address), chain.signers[0])
    address = receipt["contractAddress"]
    return chain.w3.eth.contract(address=address, abi=artefact["abi"]), int(receipt["gasUsed"])


def calldata_gas(data: bytes) -> int:
    """EIP-2028 calldata cost: 4 gas per zero byte, 16 per other byte."""
    zeros = data.count(0)
    return 4 * zeros + 16 * (len(data) - zeros)


def root_of(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


# -- anchoring ------------------------------------------------------------------------------------


def bench_anchoring(chain: Chain, samples: int) -> dict[str, Any]:
    owner, anchorer_signer = chain.signers[0], chain.signers[1]
    contract, deploy_gas = deploy(chain, "CheckpointAnchor")
    origin = "bench.carbonledger.example/log"
    register = send(
        chain.w3,
        contract.functions.registerLog(log_id(origin), [anchorer_signer.address]),
        owner,
    )
    anchorer = AnchorClient(chain.w3, anchorer_signer).at(contract.address)

    first = anchorer.anchor(origin, 1_000, root_of("1000"))
    assert first.status == "anchored"
    later = timed(
        samples,
        lambda i: anchorer.anchor(origin, 1_000 * (i + 2), root_of(str(1_000 * (i + 2)))).gas_used,
    )
    duplicate = anchorer.anchor(origin, 1_000, root_of("1000"))
    split = anchorer.anchor(origin, 1_000, root_of("forked"))
    assert (duplicate.status, split.status) == ("duplicate", "split_view")

    return {
        "deploy": deploy_gas,
        "register": int(register["gasUsed"]),
        "first": first.gas_used,
        "later": later,
        "duplicate": duplicate.gas_used,
        "split_view": split.gas_used,
        "verify": bench_verification(chain, contract, anchorer, owner, samples),
    }


def synthetic_proof(index: int, size: int) -> tuple[bytes, list[bytes], bytes]:
    """A leaf, a proof of the right shape for (index, size), and the root they lead to.

    Verification gas depends on the proof's length and shape only, so random node hashes stand
    in for a real tree of a million or a billion leaves.
    """
    leaf = leaf_hash(f"entry {index}".encode())
    proof = inclusion_proof(index, size, lambda ids: [os.urandom(32) for _ in ids])
    return leaf, proof, root_from_inclusion_proof(leaf, index, size, proof)


def bench_verification(
    chain: Chain, contract: Any, anchorer: AnchorClient, owner: Signer, samples: int
) -> list[dict[str, Any]]:
    origin = "bench.carbonledger.example/verify"
    send(chain.w3, contract.functions.registerLog(log_id(origin), [anchorer.sender]), owner)
    rows = []
    for size in VERIFY_TREE_SIZES:
        index = size // 3
        leaf, proof, root = synthetic_proof(index, size)
        anchorer.anchor(origin, size, root)
        call = contract.functions.verifyInclusion(log_id(origin), size, index, leaf, proof)
        assert call.call() is True
        # Sent as a real transaction: gasUsed is exact where estimates are padded.
        receipt = send(chain.w3, call, anchorer.signer)
        tx_gas = int(receipt["gasUsed"])
        calldata = bytes(chain.w3.eth.get_transaction(receipt["transactionHash"])["input"])
        started = time.perf_counter()
        for _ in range(samples):
            call.call()
        elapsed = time.perf_counter() - started
        rows.append(
            {
                "size": size,
                "proof": len(proof),
                "gas": tx_gas,
                "execution": tx_gas - 21_000 - calldata_gas(calldata),
                "per_second": samples / elapsed,
            }
        )
    return rows


# -- per-credit ERC-1155 baseline ---------------------------------------------------------------


def bench_erc1155(chain: Chain, samples: int) -> dict[str, Any]:
    registry, holder, recipient = chain.signers[0], chain.signers[1], chain.signers[2]
    token, deploy_gas = deploy(chain, "CreditToken1155")
    w3 = chain.w3

    def issue(i: int) -> int:
        receipt = send(w3, token.functions.issue(holder.address, i + 1, 1_000_000), registry)
        return int(receipt["gasUsed"])

    def transfer(i: int) -> int:
        fn = token.functions.safeTransferFrom(holder.address, recipient.address, i + 1, 1_000, b"")
        return int(send(w3, fn, holder)["gasUsed"])

    def retire(i: int) -> int:
        fn = token.functions.retire(i + 1, 500, root_of(f"beneficiary {i}"))
        return int(send(w3, fn, holder)["gasUsed"])

    return {
        "deploy": deploy_gas,
        "issue": timed(samples, issue),
        "transfer": timed(samples, transfer),
        "retire": timed(samples, retire),
    }


# -- chains ---------------------------------------------------------------------------------------


@contextmanager
def in_process_chain() -> Iterator[Chain]:
    w3 = Web3(EthereumTesterProvider())
    yield Chain(
        "in-process EVM (eth-tester/py-evm)", w3, [Signer.unlocked(a) for a in w3.eth.accounts[:3]]
    )


@contextmanager
def anvil_chain() -> Iterator[Chain]:
    binary = find_anvil()
    if binary is None:
        raise FileNotFoundError("anvil binary not found")
    node = AnvilNode(binary, free_port())
    node.start()
    try:
        w3 = Web3(HTTPProvider(node.rpc_url, request_kwargs={"timeout": 30}))
        version = w3.client_version
        signers = [Signer.from_key(key) for key in node.private_keys[:3]]
        yield Chain(f"anvil ({version}, JSON-RPC, signed locally)", w3, signers)
    finally:
        node.stop()


# -- report ---------------------------------------------------------------------------------------


def report(chain: Chain, anchoring: dict[str, Any], erc: dict[str, Any]) -> None:
    later: Measure = anchoring["later"]
    print(f"\n=== {chain.name}")
    print(
        f"deploy gas: CheckpointAnchor {anchoring['deploy']:,}, CreditToken1155 {erc['deploy']:,}"
    )
    print(f"register log gas: {anchoring['register']:,}\n")

    print(f"{'anchoring':<40}{'gas':>12}{'tx/s':>10}")
    print(f"{'first anchor':<40}{anchoring['first']:>12,}{'':>10}")
    label = f"later anchors (mean of {len(later.gas)})"
    print(f"{label:<40}{later.mean_gas:>12,.0f}{later.per_second:>10.1f}")
    print(f"{'same checkpoint again (no-op)':<40}{anchoring['duplicate']:>12,}")
    print(f"{'conflicting root (split view recorded)':<40}{anchoring['split_view']:>12,}\n")

    print(
        f"{'on-chain inclusion check':<40}{'proof':>6}{'gas (tx)':>10}{'execution':>11}"
        f"{'calls/s':>9}"
    )
    for row in anchoring["verify"]:
        label = f"verifyInclusion, tree of {row['size']:,}"
        print(
            f"{label:<40}{row['proof']:>6}{row['gas']:>10,}{row['execution']:>11,}"
            f"{row['per_second']:>9.1f}"
        )

    print()
    header = f"{'ledger operation':<26}{'ERC-1155 gas/op':>16}{'tx/s':>8}"
    for interval in CHECKPOINT_INTERVALS:
        header += f"{f'anchor/{interval:,} gas/op':>22}{'ratio':>9}"
    print(header)
    for op in ("issue", "transfer", "retire"):
        measure: Measure = erc[op]
        line = f"{op:<26}{measure.mean_gas:>16,.0f}{measure.per_second:>8.1f}"
        for interval in CHECKPOINT_INTERVALS:
            anchored = later.mean_gas / interval
            line += f"{anchored:>22,.2f}{measure.mean_gas / anchored:>8,.0f}x"
        print(line)
    for interval in CHECKPOINT_INTERVALS:
        covered = later.per_second * interval
        print(
            f"anchoring every {interval:,} entries covers {covered:,.0f} ledger ops/s "
            f"at {later.per_second:.1f} anchors/s on this node"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--anchors", type=int, default=30, help="later anchors to time")
    parser.add_argument("--ops", type=int, default=30, help="ERC-1155 transactions per operation")
    parser.add_argument("--no-anvil", action="store_true", help="in-process EVM only")
    args = parser.parse_args()

    chains: list[Callable[[], Any]] = [in_process_chain]
    if args.no_anvil:
        pass
    elif find_anvil() is not None:
        chains.append(anvil_chain)
    else:
        print(f"anvil: skipped, no binary under {NODE_MODULES} (run `npm ci`)")

    for make_chain in chains:
        with make_chain() as chain:
            anchoring = bench_anchoring(chain, args.anchors)
            erc = bench_erc1155(chain, args.ops)
            report(chain, anchoring, erc)


if __name__ == "__main__":
    main()
