"""Witness key files: the private key string round-trips; anything else is refused clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.cosignature import CosignatureSigner
from ledger.errors import InvalidInput
from ledger.note import NoteSigner
from node.witness_key import (
    create_witness_key,
    load_witness_key,
    parse_witness_skey,
    parse_witness_vkey,
    witness_skey,
)


class TestKeyFiles:
    def test_a_created_key_loads_back_with_the_same_verifier_key(self, tmp_path: Path) -> None:
        made = create_witness_key("witness.test/w1", tmp_path / "w.key")
        loaded = load_witness_key(tmp_path / "w.key")
        assert loaded.verifier().vkey() == made.verifier().vkey()
        assert (tmp_path / "w.key").stat().st_mode & 0o777 == 0o600

    def test_an_existing_file_is_never_overwritten(self, tmp_path: Path) -> None:
        create_witness_key("witness.test/w1", tmp_path / "w.key")
        with pytest.raises(InvalidInput) as caught:
            create_witness_key("witness.test/w1", tmp_path / "w.key")
        assert caught.value.code == "file_exists"

    def test_the_verifier_key_parses_as_a_cosignature_key(self) -> None:
        signer = CosignatureSigner.generate("witness.test/w1")
        assert parse_witness_vkey(signer.verifier().vkey()) == signer.verifier()


class TestRefusals:
    def test_a_log_key_is_not_a_witness_key(self) -> None:
        with pytest.raises(InvalidInput):
            parse_witness_skey(NoteSigner.generate("log.test").skey())

    def test_a_key_hash_that_does_not_match_is_refused(self) -> None:
        text = witness_skey(CosignatureSigner.generate("witness.test/w1"))
        name, key_hash, key = text.removeprefix("PRIVATE+KEY+").split("+", 2)
        forged = f"PRIVATE+KEY+{name}+{'0' * 8 if key_hash != '0' * 8 else '1' * 8}+{key}"
        with pytest.raises(InvalidInput):
            parse_witness_skey(forged)

    def test_a_log_verifier_key_is_not_a_witness_verifier_key(self) -> None:
        with pytest.raises(InvalidInput):
            parse_witness_vkey(NoteSigner.generate("log.test").verifier().vkey())

    def test_an_unreadable_file_is_a_bad_key_file(self, tmp_path: Path) -> None:
        (tmp_path / "w.key").write_text("not a key\n")
        with pytest.raises(InvalidInput) as caught:
            load_witness_key(tmp_path / "w.key")
        assert caught.value.code == "bad_key_file"
