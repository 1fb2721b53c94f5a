"""The signature worker processes end with the process that started them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

CHILD = """
import sys
from ledger.keys import verify_one  # noqa: F401
from ledger.sigcheck import SignatureChecker, WORKER_MIN_BATCH
checker = SignatureChecker(workers=1)
items = [(bytes(32), bytes(64), b"m")] * WORKER_MIN_BATCH
checker.start(items)()
print(*checker._pool._processes, flush=True)
sys.stdin.read()
"""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except FileNotFoundError:
        return False
    return state != "Z"


class TestWorkers:
    def test_a_worker_exits_when_its_parent_is_killed(self) -> None:
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=Path(__file__).resolve().parents[2],
        )
        assert child.stdout is not None
        workers = [int(pid) for pid in child.stdout.readline().split()]
        assert workers and all(alive(pid) for pid in workers)
        os.kill(child.pid, signal.SIGKILL)  # no pool shutdown, no atexit
        child.wait()
        deadline = time.monotonic() + 30
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(alive(pid) for pid in workers)
