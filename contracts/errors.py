"""Errors of public checkpoint anchoring, in the ledger's hierarchy with stable codes.

Each contract revert the client can meet maps to one class here (see ``contracts.reverts``);
the HTTP API and the command line return ``code`` unchanged. A split view is not an error of
the anchoring call: the contract records it and the client reports it as a receipt status.
"""

from __future__ import annotations

from ledger.errors import LedgerError


class AnchorError(LedgerError):
    """Base of every anchoring failure."""

    code = "anchor_error"


class AnchorUnavailable(AnchorError):
    """The chain cannot be reached, timed out, or has no anchor contract at the address."""

    code = "anchor_unavailable"


class AnchorUnauthorized(AnchorError):
    """The sender is not an anchoring key of the log, or not the contract owner."""

    code = "anchor_unauthorized"


class AnchorSizeRegression(AnchorError):
    """A checkpoint smaller than the latest anchored one, for a size never anchored."""

    code = "anchor_size_regression"


class AnchorUnknownLog(AnchorError):
    """The log (``sha256(origin)``) is not registered with the contract."""

    code = "anchor_unknown_log"


class AnchorLogExists(AnchorError):
    """The log is already registered."""

    code = "anchor_log_exists"


class AnchorInvalidCheckpoint(AnchorError):
    """A checkpoint the contract refuses outright: size 0 or an all-zero root."""

    code = "anchor_invalid_checkpoint"


class AnchorReverted(AnchorError):
    """A revert with no more specific meaning (unknown error, panic, failed transaction)."""

    code = "anchor_reverted"


class AnchorSplitView(AnchorError):
    """The chain holds another root for a size the ledger signed: a split view, recorded as
    evidence (an ``anchors`` row with status ``split_view``) and raised as an alarm."""

    code = "anchor_split_view"


class AnchorNotConfigured(AnchorError):
    """The chain settings are incomplete: no key to sign with, no contract address, no journal."""

    code = "anchor_not_configured"


class ChainJournalInvalid(AnchorError):
    """An in-process chain journal that is malformed or does not replay to what it recorded."""

    code = "chain_journal_invalid"


class ChainJournalBusy(AnchorError):
    """Another process holds the in-process chain journal for writing."""

    code = "chain_journal_busy"
