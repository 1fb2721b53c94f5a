"""Reports for regulators, run on their own copy of a ledger.

``replica`` opens that copy (a database URL, e.g. a follower's, or an export bundle replayed
into a temporary SQLite database); ``scope`` selects batches by program, region, methodology,
project or monitoring period; ``issuance_audit`` lists every batch with its verification and
supply and flags what must be looked at (``audit_flags``); ``totals`` sums supply by program,
region, methodology, scenario or vintage over time; ``trades`` lists trade announcements;
``csv_export`` and ``plots`` write them for a report. Amounts stay integer grams and fen.
"""
