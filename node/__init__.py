"""The ledger's processes: the sequencer, followers, witnesses (and their clients)."""
