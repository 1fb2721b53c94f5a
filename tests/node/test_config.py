"""The sequencer's configuration: options and environment variables to settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.settings import WitnessConfig
from ledger.cli.keyfile import save_log_key
from ledger.cosignature import CosignatureSigner
from ledger.errors import InvalidInput
from ledger.note import NoteSigner
from node.config import ServeConfig, parse_witnesses, worker_settings_from_env


class TestServeConfig:
    def test_a_worker_rebuilds_its_settings_from_the_environment(self) -> None:
        witness = CosignatureSigner.generate("w.example").verifier().vkey()
        config = ServeConfig(
            db="sqlite:////tmp/x.db",
            seal_every=7,
            seal_ms=9,
            workers=3,
            witnesses=(WitnessConfig(witness, "http://127.0.0.1:9/w"), WitnessConfig(witness)),
        )
        settings = worker_settings_from_env(config.to_env(writer_url="http://127.0.0.1:5/"))
        assert settings.db == "sqlite:////tmp/x.db"
        assert (settings.seal_every, settings.seal_ms) == (7, 9)
        assert settings.writer_url == "http://127.0.0.1:5/"
        assert settings.log_signer is None
        assert settings.witnesses == config.witnesses

    def test_the_writer_gathers_as_configured(self) -> None:
        settings = ServeConfig(max_group=64, max_group_bytes=1 << 20).settings(writer=True)
        assert (settings.max_group, settings.max_group_bytes) == (64, 1 << 20)

    def test_only_the_writer_gets_the_log_key(self, tmp_path: Path) -> None:
        key = tmp_path / "log.key"
        signer = NoteSigner.generate("log.example")
        save_log_key(signer, key)
        config = ServeConfig(log_key=key, workers=2)
        assert config.settings(writer=True).log_signer is not None
        worker = config.settings(writer=False, writer_url="http://127.0.0.1:1")
        assert worker.log_signer is None and worker.writer_url == "http://127.0.0.1:1"

    @pytest.mark.parametrize(
        "config",
        [
            ServeConfig(workers=0),
            ServeConfig(port=70000),
            ServeConfig(seal_ms=-1),
            ServeConfig(max_group=0),
            ServeConfig(max_group_bytes=0),
            ServeConfig(log_key=Path("k"), writer_url="http://127.0.0.1:1"),
        ],
        ids=[
            "no-workers",
            "bad-port",
            "negative-seal-ms",
            "empty-group",
            "empty-group-bytes",
            "writer-and-forwarder",
        ],
    )
    def test_impossible_configurations_are_refused(self, config: ServeConfig) -> None:
        with pytest.raises(InvalidInput):
            config.check()

    def test_a_witness_without_a_valid_key_is_refused(self) -> None:
        with pytest.raises(InvalidInput):
            parse_witnesses("not-a-key http://127.0.0.1:1")
