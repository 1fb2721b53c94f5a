"""Tests of public checkpoint anchoring: the contract, its client, the build."""
