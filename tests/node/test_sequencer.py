"""``carbonledger serve`` as deployed: real processes on loopback ports.

With ``--workers 2`` a dedicated writer process holds the ledger and two uvicorn workers share
the public port, forwarding writes to it; metrics are summed over every process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from ledger.cli.keyfile import save_log_key
from ledger.cli.main import app
from ledger.note import NoteSigner
from node.sequencer import free_port
from tests.builders import World, build_world

CLI = [sys.executable, "-m", "ledger.cli.main"]


@pytest.fixture
def world(ledger_url: str, tmp_path: Path) -> World:
    built = build_world(ledger_url)
    built.close()
    save_log_key(built.signer, tmp_path / "log.key")
    return built


def wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("the server did not become ready")


class TestServeCommand:
    @pytest.mark.slow
    def test_several_workers_forward_writes_to_one_writer(
        self, world: World, tmp_path: Path
    ) -> None:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        command = [
            *CLI,
            "serve",
            "--db",
            world.url,
            "--log-key",
            str(tmp_path / "log.key"),
            "--port",
            str(port),
            "--workers",
            "2",
            "--seal-ms",
            "50",
        ]
        metrics_dir = tmp_path / "metrics"
        metrics_dir.mkdir()
        env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
        process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE)
        try:
            wait_ready(url, process)
            with httpx.Client(base_url=url, timeout=30) as http:
                raws = [world.sign("platform", "open_account", {"id": f"p-{n}"}) for n in range(6)]
                indexes = [
                    http.post(
                        "/v1/entries", content=raw, headers={"content-type": "application/json"}
                    ).json()["index"]
                    for raw in raws
                ]
                assert indexes == sorted(indexes) and len(set(indexes)) == 6
                assert http.get(f"/v1/entries/{indexes[-1]}").json()["op"] == "open_account"
                metrics = http.get("/metrics").text
            assert "carbonledger_entries_appended_total 6.0" in metrics
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(60)
        # The writer sealed what was unsealed when it stopped.
        info = CliRunner().invoke(app, ["info", "--db", world.url, "--json"])
        assert f'"sealed_size": {indexes[-1] + 1}' in info.stdout

    def test_a_wrong_log_key_is_refused_before_serving(self, world: World, tmp_path: Path) -> None:
        other = tmp_path / "other.key"
        save_log_key(NoteSigner.generate("other.example"), other)
        result = CliRunner().invoke(
            app, ["serve", "--db", world.url, "--log-key", str(other), "--port", "1"]
        )
        assert result.exit_code == 1
        assert "wrong_log_key" in result.stderr

    def test_a_database_without_a_ledger_is_refused(self, tmp_path: Path) -> None:
        result = CliRunner().invoke(app, ["serve", "--db", f"sqlite:///{tmp_path}/none.db"])
        assert result.exit_code == 1
        assert "no_ledger" in result.stderr
