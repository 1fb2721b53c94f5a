// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title CreditToken1155
/// @notice A minimal on-chain credit registry, one ERC-1155 token id per credit batch.
/// @dev Exists only as the baseline of scripts/bench_anchor_gas.py: it prices the ledger's
///      operations (issue, transfer, retire) as one transaction each, to compare with
///      anchoring one checkpoint for many ledger entries. Not used by the ledger itself.
contract CreditToken1155 is ERC1155, Ownable {
    /// @notice Credits of `batchId` burnt by `holder` as a retirement on behalf of `beneficiary`.
    event Retired(
        address indexed holder, uint256 indexed batchId, uint256 amount, bytes32 beneficiary
    );

    constructor(address initialOwner) ERC1155("") Ownable(initialOwner) {}

    /// @notice Issues `amount` credits of batch `batchId` to `to` (the registry mints).
    function issue(address to, uint256 batchId, uint256 amount) external onlyOwner {
        _mint(to, batchId, amount, "");
    }

    /// @notice Retires `amount` of the caller's credits of `batchId` by burning them.
    function retire(uint256 batchId, uint256 amount, bytes32 beneficiary) external {
        _burn(msg.sender, batchId, amount);
        emit Retired(msg.sender, batchId, amount, beneficiary);
    }
}
