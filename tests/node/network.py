"""Real processes on loopback for the end-to-end network tests: start, wait, kill, read.

Each ``Service`` is one ``carbonledger`` command run as a child process in its own session,
with its output in a log file in the test's directory. Every wait is bounded and, when it runs
out, fails with the tail of the process's log. ``Services.close`` (the fixture's finalizer)
kills whatever is still running, process group and all.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

STARTUP_S = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(what: str, check: Callable[[], bool], timeout: float, log: str = "") -> None:
    """Poll ``check`` until it is true; fail after ``timeout`` seconds naming ``what``."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{log}")
        time.sleep(0.05)


class Service:
    """One ``carbonledger`` process listening on ``port``."""

    def __init__(self, name: str, args: list[str], port: int, ready: str, directory: Path) -> None:
        self.name, self.args, self.port, self.ready = name, args, port, ready
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = directory / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.groups: list[int] = []
        """Process groups of every start: a killed process's children may outlive it."""

    def start(self) -> Service:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CARBONLEDGER_")}
        env["PYTHONUNBUFFERED"] = "1"
        with self.log_path.open("ab") as log:
            log.write(f"--- start: {' '.join(self.args)}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "ledger.cli.main", *self.args],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
        self.groups.append(self.process.pid)
        return self

    def wait_ready(self, timeout: float = STARTUP_S) -> Service:
        def up() -> bool:
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(
                    f"{self.name} exited with {self.process.returncode}\n{self.log_tail()}"
                )
            try:
                return httpx.get(self.url + self.ready, timeout=2).status_code in (200, 503)
            except httpx.HTTPError:
                return False

        wait_for(f"{self.name} to answer", up, timeout, self.log_tail())
        return self

    def get(self, path: str, **params: Any) -> httpx.Response:
        return httpx.get(self.url + path, params=params, timeout=30)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` to the main process only and wait for it to die."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL to the whole process group if it lingers."""
        process = self.process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        if process is not None:
            process.wait(timeout=30)
        self.process = None
        for group in self.groups:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return f"--- {self.name} log ---\n" + "\n".join(text.splitlines()[-lines:])

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


class Services:
    """Every service a test started; ``close`` kills them all."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.started: list[Service] = []

    def add(self, name: str, args: list[str], ready: str) -> Service:
        port = free_port()
        service = Service(name, [*args, "--port", str(port)], port, ready, self.directory)
        self.started.append(service)
        return service

    def close(self) -> None:
        for service in reversed(self.started):
            with contextlib.suppress(Exception):  # a finalizer must try every process
                service.stop()
