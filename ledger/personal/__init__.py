"""Personal carbon accounts kept by platforms, off the write path: balances read in account
order, reconciliation of a platform's own balance file against the ledger, and the Merkle sum
tree commitments that let each person check their balance (``docs/personal.md``).

``balances`` reads a platform's balances, ``extsort`` sorts more rows than memory holds,
``balance_file`` reads a platform's CSV or JSON Lines file, ``reconcile`` compares the two,
``commitments`` builds, stores and serves the sum trees, ``proof`` is the portable balance
proof and its offline check, ``invariants`` checks the custody totals for ``check``.
"""

from __future__ import annotations
