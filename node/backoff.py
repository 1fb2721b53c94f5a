"""Exponential backoff with jitter, capped: how long to wait before the next try.

After the n-th consecutive failure (n >= 1) the delay is drawn uniformly from
``[d / 2, d]`` with ``d = min(cap, base * 2 ** (n - 1))`` ("equal jitter"): it grows
exponentially, never exceeds ``cap``, never drops to zero, and processes that failed together do
not retry in step. A success resets the count.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from ledger.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class BackoffPolicy:
    """Delays in seconds: the first ``base``, doubling up to ``cap``."""

    base: float = 1.0
    cap: float = 300.0

    def __post_init__(self) -> None:
        if not 0 < self.base <= self.cap:
            raise InvalidInput(
                f"backoff base {self.base} s and cap {self.cap} s, want 0 < base <= cap"
            )

    def ceiling(self, failures: int) -> float:
        """The largest delay after ``failures`` consecutive failures. Requires failures >= 1."""
        if failures < 1:
            raise InvalidInput(f"failures {failures}, want 1 or more")
        # Capped before it can overflow: 2 ** 60 * base is beyond any sensible cap.
        return min(self.cap, self.base * (1 << min(failures - 1, 60)))


@dataclass(slots=True)
class Backoff:
    """Consecutive failures so far and the delay before the next try."""

    policy: BackoffPolicy = field(default_factory=BackoffPolicy)
    random: Callable[[], float] = random.random
    failures: int = 0

    def failed(self) -> float:
        """Count one more failure; the seconds to wait before trying again."""
        self.failures += 1
        ceiling = self.policy.ceiling(self.failures)
        return ceiling / 2 + self.random() * ceiling / 2

    def succeeded(self) -> None:
        self.failures = 0
