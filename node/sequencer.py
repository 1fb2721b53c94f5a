"""The sequencer process: ``carbonledger serve`` runs the HTTP API with the single writer.

One worker (the default): this process serves every request and holds the writer. Several
workers: a dedicated writer process, started first on a loopback port, holds the ledger's
writer (and its database lock, ``node.writer_lock``); ``workers`` uvicorn processes share the
public port, serve reads from the database themselves and forward every write to the writer
over loopback HTTP (``api.forwarding``). Exactly one process can write, whatever the number of
workers, so group commit and idempotency keys stay correct; a writer that dies is restarted
(writes meanwhile answer 503 ``writer_unavailable``). With PROMETHEUS_MULTIPROC_DIR shared by
all of them, ``/metrics`` on any worker reports every process.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import socket
import tempfile
import threading
import time
from multiprocessing.process import BaseProcess

import httpx
import uvicorn
from fastapi import FastAPI

from api.app import create_app
from api.metrics import MULTIPROCESS_ENV
from ledger.errors import RuleViolation
from node.config import ServeConfig, worker_settings_from_env

log = logging.getLogger("carbonledger.sequencer")

WRITER_START_S = 120.0
RESTART_DELAY_S = 1.0


def worker_app() -> FastAPI:
    """The app of one API worker, configured from ``CARBONLEDGER_*`` (uvicorn's factory)."""
    return create_app(worker_settings_from_env())


def serve(config: ServeConfig) -> None:
    """Serve until interrupted (SIGINT or SIGTERM)."""
    config.check()
    if config.workers == 1:
        settings = config.settings(writer=config.log_key is not None)
        uvicorn.run(create_app(settings), host=config.host, port=config.port, access_log=False)
        return
    made = None
    if not os.environ.get(MULTIPROCESS_ENV):
        made = tempfile.mkdtemp(prefix="carbonledger-metrics-")
        os.environ[MULTIPROCESS_ENV] = made
    writer: WriterProcess | None = None
    writer_url = config.writer_url
    if config.log_key is not None:
        writer = WriterProcess(config)
        writer.start()
        writer_url = writer.url
    os.environ.update(config.to_env(writer_url=writer_url))
    try:
        uvicorn.run(
            "node.sequencer:worker_app",
            factory=True,
            host=config.host,
            port=config.port,
            workers=config.workers,
            access_log=False,
        )
    finally:
        if writer is not None:
            writer.stop()
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)


def _run_writer(config: ServeConfig, port: int) -> None:
    """The writer process: the app holding the ledger's writer, on a loopback port."""
    app = create_app(config.settings(writer=True))
    uvicorn.run(app, host="127.0.0.1", port=port, access_log=False, log_level="warning")


class WriterProcess:
    """The dedicated writer process, restarted if it dies while the workers serve."""

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: BaseProcess | None = None
        self._stopping = threading.Event()
        self._watch = threading.Thread(target=self._watchdog, name="writer-watchdog", daemon=True)

    def start(self) -> None:
        """Start the writer and wait until it is ready; raise if it exits first."""
        self._spawn()
        self._watch.start()

    def _spawn(self) -> None:
        context = multiprocessing.get_context("spawn")
        process = context.Process(
            target=_run_writer, args=(self.config, self.port), name="carbonledger-writer"
        )
        process.start()
        self._process = process
        deadline = time.monotonic() + WRITER_START_S
        while time.monotonic() < deadline:
            if not process.is_alive():
                raise RuleViolation(
                    f"the writer process exited with status {process.exitcode}",
                    code="writer_failed",
                )
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuleViolation("the writer process did not become ready", code="writer_failed")

    def _watchdog(self) -> None:
        while not self._stopping.wait(RESTART_DELAY_S):
            process = self._process
            if process is not None and not process.is_alive() and not self._stopping.is_set():
                log.error("the writer process exited (%s); restarting it", process.exitcode)
                try:
                    self._spawn()
                except RuleViolation:
                    log.exception("restarting the writer failed")

    def stop(self, timeout: float = 30) -> None:
        """Stop the writer gracefully: it finishes its queue and seals what is unsealed."""
        self._stopping.set()
        process = self._process
        if process is not None and process.is_alive():
            process.terminate()  # SIGTERM: uvicorn runs the app's shutdown
            process.join(timeout)
            if process.is_alive():
                process.kill()
                process.join()


def free_port() -> int:
    """A TCP port free on the loopback interface now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
