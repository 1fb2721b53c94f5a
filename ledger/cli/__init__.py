"""The ``carbonledger`` command line: keys, a ledger's creation, signing and submitting entries,
shortcuts for the common operations, queries, proofs, audits and the quick-start demo.

The Typer application is ``ledger.cli.main:app``.
"""

from __future__ import annotations
