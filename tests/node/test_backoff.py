"""Backoff after failures: exponential, jittered within [d/2, d], capped, reset by a success."""

from __future__ import annotations

import pytest

from ledger.errors import InvalidInput
from node.backoff import Backoff, BackoffPolicy


class TestDelays:
    def test_the_ceiling_doubles_up_to_the_cap(self) -> None:
        policy = BackoffPolicy(base=1.0, cap=10.0)
        assert [policy.ceiling(n) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]
        assert policy.ceiling(10_000) == 10.0

    @pytest.mark.parametrize(("draw", "want"), [(0.0, [0.5, 1, 2, 4, 5]), (1.0, [1, 2, 4, 8, 10])])
    def test_jitter_keeps_each_delay_between_half_and_all_of_its_ceiling(
        self, draw: float, want: list[float]
    ) -> None:
        backoff = Backoff(BackoffPolicy(1.0, 10.0), lambda: draw)
        assert [backoff.failed() for _ in range(5)] == want

    def test_a_success_starts_again_from_the_base(self) -> None:
        backoff = Backoff(BackoffPolicy(1.0, 10.0), lambda: 1.0)
        for _ in range(4):
            backoff.failed()
        backoff.succeeded()
        assert backoff.failures == 0
        assert backoff.failed() == 1.0


class TestPolicy:
    @pytest.mark.parametrize(("base", "cap"), [(0.0, 1.0), (-1.0, 1.0), (2.0, 1.0)])
    def test_a_base_not_above_zero_or_above_the_cap_is_refused(
        self, base: float, cap: float
    ) -> None:
        with pytest.raises(InvalidInput):
            BackoffPolicy(base, cap)

    def test_a_ceiling_before_any_failure_is_refused(self) -> None:
        with pytest.raises(InvalidInput):
            BackoffPolicy().ceiling(0)
