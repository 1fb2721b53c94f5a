"""A local anvil node for tests and benchmarks, run from the npm package ``@foundry-rs/anvil``.

``npm ci`` installs the native anvil binary as the platform package
``@foundry-rs/anvil-<os>-<arch>`` (an optional dependency of ``@foundry-rs/anvil``), under
``node_modules/@foundry-rs/anvil-<os>-<arch>/bin/anvil``; nothing is downloaded at run time and
no install script needs to run (the package's postinstall only downloads the binary when that
platform package is missing). ``node_modules/.bin/anvil`` is a Node wrapper around it, used
only as a fallback: the node is started in its own process group so that stopping or killing
it reaches the real binary either way.

State: with ``state_path``, anvil loads the chain from that file at start, dumps it there every
``state_interval`` seconds and on a clean exit (SIGTERM/SIGINT). A SIGKILL loses what happened
since the last periodic dump; ``AnchorClient.resume`` re-anchors whatever is missing.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from contracts.errors import AnchorUnavailable

REPO_ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = REPO_ROOT / "node_modules"

_PLATFORMS = {"linux": "linux", "darwin": "darwin", "win32": "win32"}
_ARCHES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def find_anvil(node_modules: Path = NODE_MODULES) -> Path | None:
    """The anvil executable installed by npm, or None if ``npm ci`` has not been run."""
    system = _PLATFORMS.get(sys.platform, sys.platform)
    arch = _ARCHES.get(platform.machine().lower(), platform.machine().lower())
    name = "anvil.exe" if system == "win32" else "anvil"
    candidates = (
        node_modules / "@foundry-rs" / f"anvil-{system}-{arch}" / "bin" / name,
        # Where the package's postinstall script puts a binary it had to download itself.
        node_modules / "@foundry-rs" / "anvil" / name,
        node_modules / ".bin" / "anvil",
    )
    return next((path for path in candidates if path.is_file()), None)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class AnvilNode:
    """One anvil process on 127.0.0.1:``port``; restartable on the same port and state file."""

    def __init__(
        self,
        binary: Path,
        port: int,
        *,
        state_path: Path | None = None,
        state_interval: int = 1,
        workdir: Path | None = None,
    ) -> None:
        self.binary = binary
        self.port = port
        self.state_path = state_path
        self.state_interval = state_interval
        self._workdir = workdir or Path(tempfile.mkdtemp(prefix="anvil-"))
        self._config_path = self._workdir / f"anvil-{port}.json"
        self._log_path = self._workdir / f"anvil-{port}.log"
        self._process: subprocess.Popen[bytes] | None = None
        self.private_keys: list[str] = []
        self.accounts: list[str] = []

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 30.0) -> None:
        """Start anvil and wait until it answers JSON-RPC; raises ``AnchorUnavailable`` if not."""
        if self.running:
            return
        self._config_path.unlink(missing_ok=True)
        args = [
            str(self.binary),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--config-out",
            str(self._config_path),
        ]
        if self.state_path is not None:
            args += ["--state", str(self.state_path)]
            args += ["--state-interval", str(self.state_interval)]
        log = self._log_path.open("ab")
        try:
            self._process = subprocess.Popen(
                args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        finally:
            log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise AnchorUnavailable(
                    f"anvil exited with {self._process.returncode}: {self.log_tail()}"
                )
            if self._config_path.is_file() and self._answers():
                config: dict[str, Any] = json.loads(self._config_path.read_text("utf-8"))
                self.private_keys = list(config["private_keys"])
                self.accounts = list(config["available_accounts"])
                return
            time.sleep(0.05)
        self.kill()
        raise AnchorUnavailable(f"anvil did not answer on {self.rpc_url} in {timeout}s")

    def stop(self, timeout: float = 15.0) -> None:
        """Stop anvil cleanly (SIGTERM), letting it dump its state."""
        self._signal(signal.SIGTERM, timeout)

    def kill(self) -> None:
        """Kill anvil at once (SIGKILL), as a crash would: no final state dump."""
        self._signal(signal.SIGKILL, 15.0)

    def wait_for_state_dump(self, after: float, timeout: float = 10.0) -> None:
        """Wait until the state file has been rewritten after the time ``after``."""
        if self.state_path is None:
            raise AnchorUnavailable("anvil runs without a state file")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.state_path.stat().st_mtime > after:
                    return
            except FileNotFoundError:
                pass
            time.sleep(0.1)
        raise AnchorUnavailable(f"anvil did not dump its state to {self.state_path}")

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self._log_path.read_text("utf-8", "replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""

    def _signal(self, signum: signal.Signals, timeout: float) -> None:
        process = self._process
        if process is None or process.poll() is not None:
            self._process = None
            return
        # The node runs in its own process group: this reaches the binary even when it was
        # started through the Node wrapper.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signum)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout)
        self._process = None

    def _answers(self) -> bool:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []})
        request = urllib.request.Request(
            self.rpc_url, data=body.encode(), headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=1) as response:
                return b"result" in response.read()
        except (urllib.error.URLError, OSError):
            return False

    def __enter__(self) -> AnvilNode:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
