"""Prometheus metrics of one API process, and the middleware that times every request.

Each app gets its own registry, so that several apps (tests) can live in one process. When
``PROMETHEUS_MULTIPROC_DIR`` is set (``carbonledger serve --workers N`` sets it), values go to
files shared by every worker and by the writer process, and ``/metrics`` on any worker reports
the sums over all of them.
"""

from __future__ import annotations

import os
import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from node.writer import GroupReport

CONTENT_TYPE = CONTENT_TYPE_LATEST
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
GROUP_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """The counters and histograms the API and its writer report."""

    def __init__(self) -> None:
        self.multiprocess = bool(os.environ.get(MULTIPROCESS_ENV))
        # In multiprocess mode values live in files; the registry only serves exposition.
        self.registry = CollectorRegistry()
        own = None if self.multiprocess else self.registry
        self.entries_appended = Counter(
            "carbonledger_entries_appended",
            "Entries appended to the log (acknowledged after their group commit).",
            registry=own,
        )
        self.entries_duplicate = Counter(
            "carbonledger_entries_duplicate",
            "Submitted entries that were already in the log, acknowledged again.",
            registry=own,
        )
        self.rejections = Counter(
            "carbonledger_rejections",
            "Refused entries and requests, by stable error code.",
            ["code"],
            registry=own,
        )
        self.checkpoints_sealed = Counter(
            "carbonledger_checkpoints_sealed", "Checkpoints sealed and signed.", registry=own
        )
        self.group_size = Histogram(
            "carbonledger_group_size",
            "Entries per group commit (one transaction, one fsync).",
            buckets=GROUP_BUCKETS,
            registry=own,
        )
        self.request_latency = Histogram(
            "carbonledger_request_seconds",
            "HTTP request latency, by method, route template and status.",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=own,
        )
        self.problems = Counter(
            "carbonledger_problems",
            "Problem responses of the API, by stable error code and HTTP status.",
            ["code", "status"],
            registry=own,
        )
        self.idempotent_replays = Counter(
            "carbonledger_idempotent_replays",
            "Write requests answered with the stored response of an earlier request.",
            registry=own,
        )

    def record_group(self, report: GroupReport) -> None:
        """Count one group commit (or a time-based seal: a report with no entries)."""
        if report.entries:
            self.group_size.observe(report.entries)
        if report.appended:
            self.entries_appended.inc(report.appended)
        if report.duplicates:
            self.entries_duplicate.inc(report.duplicates)
        for code, count in report.rejected.items():
            self.rejections.labels(code).inc(count)
        if report.sealed:
            self.checkpoints_sealed.inc(report.sealed)

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric (of every process, if shared)."""
        if self.multiprocess:
            registry = CollectorRegistry()
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return generate_latest(registry)
        return generate_latest(self.registry)


class LatencyMiddleware:
    """Times each HTTP request into ``Metrics.request_latency`` by its route template."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = [500]

        async def send_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            template = route.path if isinstance(route, BaseRoute) and hasattr(route, "path") else ""
            self.metrics.request_latency.labels(
                scope["method"], template or "unmatched", str(status[0])
            ).observe(time.perf_counter() - start)
