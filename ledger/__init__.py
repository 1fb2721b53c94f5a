"""carbonledger: a permissioned, verifiable ledger for carbon-inclusion reduction credits.

The package is organised by concept: ``merkle`` (RFC 9162 hashing and proofs), ``note`` and
``checkpoint`` (C2SP signed notes), ``canonical`` (the byte encoding of entries), ``entry``
(signed envelopes), ``ops`` (one module per ledger operation), ``state`` (the rules' view of
the world), ``storage`` (SQLAlchemy tables), ``log`` (the sequencer's append path) and
``verifier`` (database-free checking of exported bundles).
"""
