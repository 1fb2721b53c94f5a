// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";

/// @title CheckpointAnchor
/// @notice Public anchoring of carbonledger checkpoints (tree size and RFC 9162 root) per log,
///         with evidence of split views and an on-chain RFC 9162 inclusion verifier.
/// @dev A log is named by `logId = sha256(origin)`, where `origin` is the first line of its
///      C2SP signed checkpoint. The owner registers logs and their anchoring keys; only those
///      keys may anchor for the log. Anchored sizes strictly grow. A second, different root for a
///      size already anchored is a split view: it is recorded and announced, never stored as
///      the checkpoint, and the call does not revert (a revert would erase the evidence).
///      Hashing follows RFC 9162 section 2.1.1: leaf = SHA-256(0x00 || entry),
///      node = SHA-256(0x01 || left || right), computed with the SHA-256 precompile.
contract CheckpointAnchor is Ownable2Step {
    /// @notice One anchored checkpoint. `root == 0` means "not anchored".
    struct Checkpoint {
        bytes32 root;
        uint64 blockNumber;
        uint64 timestamp;
    }

    /// @notice Per-log bookkeeping, packed in one storage slot.
    struct LogState {
        bool registered;
        uint64 latestSize;
        uint64 anchoredCount;
        uint64 splitViewCount;
    }

    mapping(bytes32 logId => LogState) private _logs;
    mapping(bytes32 logId => mapping(uint64 size => Checkpoint)) private _checkpoints;
    mapping(bytes32 logId => mapping(address account => bool)) private _anchorers;

    event LogRegistered(bytes32 indexed logId);
    event AnchorerAdded(bytes32 indexed logId, address indexed anchorer);
    event AnchorerRemoved(bytes32 indexed logId, address indexed anchorer);
    event CheckpointAnchored(
        bytes32 indexed logId, uint64 indexed size, bytes32 root, uint64 blockNumber
    );
    event SplitViewDetected(
        bytes32 indexed logId,
        uint64 indexed size,
        bytes32 anchoredRoot,
        bytes32 conflictingRoot,
        address indexed submitter
    );

    error UnknownLog(bytes32 logId);
    error LogAlreadyRegistered(bytes32 logId);
    error ZeroAnchorer();
    error NotAnchorer(bytes32 logId, address account);
    error InvalidCheckpoint(uint64 size, bytes32 root);
    error SizeRegression(bytes32 logId, uint64 size, uint64 latestSize);
    error InclusionIndexOutOfRange(uint64 index, uint64 size);
    error InclusionProofWrongLength(uint64 index, uint64 size, uint256 proofLength);

    /// @dev Outcome of walking an inclusion proof, so that the pure variant can revert with a
    ///      reason while `verifyInclusion` simply answers false.
    enum ProofStatus {
        Ok,
        IndexOutOfRange,
        WrongLength
    }

    constructor(address initialOwner) Ownable(initialOwner) {}

    // ----------------------------------------------------------------------------------------
    // Administration
    // ----------------------------------------------------------------------------------------

    /// @notice Registers a log and its initial anchoring keys.
    function registerLog(bytes32 logId, address[] calldata anchorers) external onlyOwner {
        LogState storage log = _logs[logId];
        if (log.registered) revert LogAlreadyRegistered(logId);
        log.registered = true;
        emit LogRegistered(logId);
        for (uint256 i = 0; i < anchorers.length; ++i) {
            _addAnchorer(logId, anchorers[i]);
        }
    }

    /// @notice Authorises `anchorer` to anchor checkpoints of `logId`.
    function addAnchorer(bytes32 logId, address anchorer) external onlyOwner {
        _requireRegistered(logId);
        _addAnchorer(logId, anchorer);
    }

    /// @notice Withdraws the authorisation of `anchorer` for `logId`.
    function removeAnchorer(bytes32 logId, address anchorer) external onlyOwner {
        _requireRegistered(logId);
        if (_anchorers[logId][anchorer]) {
            _anchorers[logId][anchorer] = false;
            emit AnchorerRemoved(logId, anchorer);
        }
    }

    // ----------------------------------------------------------------------------------------
    // Anchoring
    // ----------------------------------------------------------------------------------------

    /// @notice Anchors the checkpoint (`size`, `root`) of `logId`.
    /// @dev Requires a registered log, a registered anchoring key as sender, `size > 0` and a
    ///      non-zero root. Outcomes:
    ///      - `size` above the latest anchored size: stored, `CheckpointAnchored`, returns true;
    ///      - same (`size`, `root`) as already anchored: no-op, returns true;
    ///      - `size` anchored with another root: `SplitViewDetected`, count incremented,
    ///        anchored checkpoint unchanged, returns false;
    ///      - `size` below the latest and never anchored: reverts `SizeRegression`.
    function anchor(bytes32 logId, uint64 size, bytes32 root) external returns (bool) {
        LogState storage log = _logs[logId];
        if (!log.registered) revert UnknownLog(logId);
        if (!_anchorers[logId][msg.sender]) revert NotAnchorer(logId, msg.sender);
        if (size == 0 || root == bytes32(0)) revert InvalidCheckpoint(size, root);

        if (size > log.latestSize) {
            _checkpoints[logId][size] = Checkpoint({
                root: root, blockNumber: uint64(block.number), timestamp: uint64(block.timestamp)
            });
            log.latestSize = size;
            log.anchoredCount += 1;
            emit CheckpointAnchored(logId, size, root, uint64(block.number));
            return true;
        }

        bytes32 anchoredRoot = _checkpoints[logId][size].root;
        if (anchoredRoot == bytes32(0)) revert SizeRegression(logId, size, log.latestSize);
        if (anchoredRoot == root) return true;

        log.splitViewCount += 1;
        emit SplitViewDetected(logId, size, anchoredRoot, root, msg.sender);
        return false;
    }

    // ----------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------

    /// @notice Registration and counters of `logId`.
    function logInfo(bytes32 logId)
        external
        view
        returns (bool registered, uint64 latestSize, uint64 anchoredCount, uint64 splitViewCount)
    {
        LogState storage log = _logs[logId];
        return (log.registered, log.latestSize, log.anchoredCount, log.splitViewCount);
    }

    /// @notice Whether `account` may anchor for `logId`.
    function isAnchorer(bytes32 logId, address account) external view returns (bool) {
        return _anchorers[logId][account];
    }

    /// @notice The latest anchored checkpoint of `logId`; all zero if none.
    function latest(bytes32 logId)
        external
        view
        returns (uint64 size, bytes32 root, uint64 blockNumber, uint64 timestamp)
    {
        size = _logs[logId].latestSize;
        Checkpoint storage cp = _checkpoints[logId][size];
        return (size, cp.root, cp.blockNumber, cp.timestamp);
    }

    /// @notice The checkpoint anchored for `size`; all zero if that size was never anchored.
    function checkpointAt(bytes32 logId, uint64 size)
        external
        view
        returns (bytes32 root, uint64 blockNumber, uint64 timestamp)
    {
        Checkpoint storage cp = _checkpoints[logId][size];
        return (cp.root, cp.blockNumber, cp.timestamp);
    }

    // ----------------------------------------------------------------------------------------
    // RFC 9162 hashing and inclusion proofs
    // ----------------------------------------------------------------------------------------

    /// @notice RFC 9162 leaf hash: SHA-256(0x00 || data).
    function leafHash(bytes calldata data) external pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x00), data));
    }

    /// @notice RFC 9162 interior node hash: SHA-256(0x01 || left || right).
    function nodeHash(bytes32 left, bytes32 right) public pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x01), left, right));
    }

    /// @notice Whether `proof` shows the leaf `leafHash_` at `index` in the tree of `size`
    ///         leaves anchored for `logId`. False if that size was never anchored or the proof
    ///         is malformed or leads to another root.
    function verifyInclusion(
        bytes32 logId,
        uint64 size,
        uint64 index,
        bytes32 leafHash_,
        bytes32[] calldata proof
    ) external view returns (bool) {
        bytes32 anchoredRoot = _checkpoints[logId][size].root;
        if (anchoredRoot == bytes32(0)) return false;
        (ProofStatus status, bytes32 root) = _rootFromInclusionProof(index, size, leafHash_, proof);
        return status == ProofStatus.Ok && root == anchoredRoot;
    }

    /// @notice The root that `proof` leads to from `leafHash_` at `index` in a tree of `size`.
    /// @dev Requires `index < size` and a proof of exactly the path length; reverts otherwise.
    function rootFromInclusionProof(
        uint64 index,
        uint64 size,
        bytes32 leafHash_,
        bytes32[] calldata proof
    ) external pure returns (bytes32) {
        (ProofStatus status, bytes32 root) = _rootFromInclusionProof(index, size, leafHash_, proof);
        if (status == ProofStatus.IndexOutOfRange) revert InclusionIndexOutOfRange(index, size);
        if (status == ProofStatus.WrongLength) {
            revert InclusionProofWrongLength(index, size, proof.length);
        }
        return root;
    }

    /// @dev RFC 9162 section 2.1.3.2, step by step; `fn` and `sn` are the RFC's names.
    function _rootFromInclusionProof(
        uint64 index,
        uint64 size,
        bytes32 leafHash_,
        bytes32[] calldata proof
    ) private pure returns (ProofStatus, bytes32) {
        // 1. leaf_index must be below tree_size.
        if (index >= size) return (ProofStatus.IndexOutOfRange, bytes32(0));
        // 2. fn = leaf_index, sn = tree_size - 1.
        uint64 fn = index;
        uint64 sn = size - 1;
        // 3. r = hash.
        bytes32 r = leafHash_;
        // 4. For each p in the inclusion path:
        for (uint256 i = 0; i < proof.length; ++i) {
            // a. sn == 0 with path left over: the proof is too long.
            if (sn == 0) return (ProofStatus.WrongLength, bytes32(0));
            bytes32 p = proof[i];
            if (fn & 1 == 1 || fn == sn) {
                // b.i. r = HASH(0x01 || p || r).
                r = nodeHash(p, r);
                // b.ii. On the right edge of the tree, skip the levels where this node has no
                // sibling: shift until LSB(fn) is set or fn is 0.
                while (fn & 1 == 0 && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
            } else {
                // b. otherwise r = HASH(0x01 || r || p).
                r = nodeHash(r, p);
            }
            // c. Move one level up.
            fn >>= 1;
            sn >>= 1;
        }
        // 5. The path must reach the root exactly; otherwise the proof is too short.
        if (sn != 0) return (ProofStatus.WrongLength, bytes32(0));
        return (ProofStatus.Ok, r);
    }

    // ----------------------------------------------------------------------------------------
    // Internals
    // ----------------------------------------------------------------------------------------

    function _requireRegistered(bytes32 logId) private view {
        if (!_logs[logId].registered) revert UnknownLog(logId);
    }

    function _addAnchorer(bytes32 logId, address anchorer) private {
        if (anchorer == address(0)) revert ZeroAnchorer();
        if (!_anchorers[logId][anchorer]) {
            _anchorers[logId][anchorer] = true;
            emit AnchorerAdded(logId, anchorer);
        }
    }
}
