"""The sequencer's configuration: command-line options, or ``CARBONLEDGER_*`` environment
variables (how worker processes receive it), turned into the API's ``Settings``.

- ``CARBONLEDGER_DB`` (``--db``): the database URL;
- ``CARBONLEDGER_LOG_KEY`` (``--log-key``): the log's checkpoint key file (the writer holds it);
- ``CARBONLEDGER_HOST``, ``CARBONLEDGER_PORT`` (``--host``, ``--port``): where to listen;
- ``CARBONLEDGER_SEAL_EVERY``, ``CARBONLEDGER_SEAL_MS`` (``--seal-every``, ``--seal-ms``);
- ``CARBONLEDGER_MAX_GROUP``, ``CARBONLEDGER_MAX_GROUP_BYTES`` (``--max-group``,
  ``--max-group-bytes``): how much the writer gathers into one group commit;
- ``CARBONLEDGER_WORKERS`` (``--workers``): API worker processes;
- ``CARBONLEDGER_WITNESSES`` (``--witness``): trusted witnesses, ``"<vkey> [<url>]"``, comma
  separated;
- ``CARBONLEDGER_WRITER_URL`` (``--writer-url``): forward writes there, hold no writer.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from api.settings import Settings, WitnessConfig
from ledger.cli.keyfile import load_log_key
from ledger.errors import InvalidInput
from ledger.storage.engine import DEFAULT_URL
from node.writer import MAX_GROUP, MAX_GROUP_BYTES

ENV_PREFIX = "CARBONLEDGER_"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080


@dataclass(frozen=True, slots=True)
class ServeConfig:
    """Everything ``carbonledger serve`` needs to start the sequencer's processes."""

    db: str = DEFAULT_URL
    log_key: Path | None = None
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    seal_every: int = 1000
    seal_ms: int = 1000
    max_group: int = MAX_GROUP
    max_group_bytes: int = MAX_GROUP_BYTES
    workers: int = 1
    witnesses: tuple[WitnessConfig, ...] = field(default=())
    writer_url: str | None = None

    def check(self) -> None:
        """Raise InvalidInput unless the configuration can be served."""
        if self.workers < 1:
            raise InvalidInput(f"workers must be at least 1, got {self.workers}")
        if not 0 < self.port < 65536:
            raise InvalidInput(f"port {self.port} is not a TCP port")
        if self.log_key is not None and self.writer_url is not None:
            raise InvalidInput("give --log-key (hold the writer) or --writer-url, not both")
        self.settings(writer=self.log_key is not None).check()

    def settings(self, *, writer: bool, writer_url: str | None = None) -> Settings:
        """The settings of one process: the writer's (with the log key) or a worker's."""
        signer = load_log_key(self.log_key) if writer and self.log_key is not None else None
        return Settings(
            db=self.db,
            log_signer=signer,
            writer_url=None if writer else (writer_url or self.writer_url),
            seal_every=self.seal_every,
            seal_ms=self.seal_ms,
            max_group=self.max_group,
            max_group_bytes=self.max_group_bytes,
            witnesses=self.witnesses,
        )

    def to_env(self, *, writer_url: str | None) -> dict[str, str]:
        """Environment variables from which a worker rebuilds its settings (no log key)."""
        env = {
            "DB": self.db,
            "SEAL_EVERY": str(self.seal_every),
            "SEAL_MS": str(self.seal_ms),
            "WITNESSES": ",".join(str(w) for w in self.witnesses),
        }
        if writer_url is not None:
            env["WRITER_URL"] = writer_url
        return {ENV_PREFIX + name: value for name, value in env.items()}


def worker_settings_from_env(env: Mapping[str, str] | None = None) -> Settings:
    """A worker's settings from ``CARBONLEDGER_*`` variables (``ServeConfig.to_env``)."""
    env = os.environ if env is None else env

    def get(name: str, default: str) -> str:
        return env.get(ENV_PREFIX + name) or default

    try:
        seal_every, seal_ms = int(get("SEAL_EVERY", "1000")), int(get("SEAL_MS", "1000"))
    except ValueError as exc:
        raise InvalidInput(f"{ENV_PREFIX}SEAL_EVERY and SEAL_MS must be integers") from exc
    settings = Settings(
        db=get("DB", DEFAULT_URL),
        writer_url=env.get(ENV_PREFIX + "WRITER_URL") or None,
        seal_every=seal_every,
        seal_ms=seal_ms,
        witnesses=parse_witnesses(get("WITNESSES", "")),
    )
    settings.check()
    return settings


def parse_witnesses(text: str) -> tuple[WitnessConfig, ...]:
    """Witnesses from ``"<vkey> [<url>], ..."`` (the environment's form)."""
    return tuple(WitnessConfig.parse(part) for part in text.split(",") if part.strip())
