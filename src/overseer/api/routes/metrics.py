"""``/metrics`` (outside ``/api/v1``): Prometheus text, read from the store at each scrape by one custom collector.

Each app has its own ``CollectorRegistry`` (kept on ``app.state``), never the process-global one, so several apps in
one process do not clash. Every figure is one aggregate query or a bounded read, so a scrape stays fast with tens of
thousands of tasks: tasks per status come from ``status_counts``, the queue from a ready query cut at ``QUEUE_CAP``,
runs from the newest ``RUN_SCAN`` rows, spending from the ledger's totals.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric

from overseer import __version__
from overseer.api.context import AppContext, context
from overseer.domain import TaskStatus
from overseer.domain.runs import RunStatus

router = APIRouter(tags=["metrics"])
Ctx = Annotated[AppContext, Depends(context)]

QUEUE_CAP = 1000        # the queue depth is counted up to this many ready tasks
RUN_SCAN = 50_000       # run figures cover the newest this many runs
DURATION_BUCKETS = (10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 1800.0, 3600.0, 7200.0)
_lock = threading.Lock()


class OverseerCollector:
    """Reads the figures afresh at every ``collect``; holds nothing between scrapes."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def describe(self) -> list[Metric]:
        return []  # registering must not query the store

    def collect(self) -> Iterator[Metric]:
        started = time.perf_counter()
        info = GaugeMetricFamily("overseer_info", "The Overseer version serving these metrics.", labels=["version"])
        info.add_metric([__version__], 1)
        yield info
        yield from self._tasks()
        yield from self._runs()
        yield from self._spending()
        yield from self._quota()
        yield GaugeMetricFamily("overseer_sse_subscribers", "Clients following the event log (/events/stream).",
                                value=len(self.ctx.broker.subscribers))
        yield GaugeMetricFamily("overseer_scrape_duration_seconds", "How long reading these figures took.",
                                value=time.perf_counter() - started)

    def _tasks(self) -> Iterator[Metric]:
        counts = self.ctx.sup.status_counts()
        tasks = GaugeMetricFamily("overseer_tasks", "Tasks per status (deleted ones left out).", labels=["status"])
        for status in sorted({s.value for s in TaskStatus if s != TaskStatus.DELETED} | set(counts)):
            tasks.add_metric([status], counts.get(status, 0))
        yield tasks
        yield GaugeMetricFamily("overseer_queue_depth", f"Ready tasks waiting for an agent (counted up to {QUEUE_CAP}).",
                                value=len(self.ctx.sup.ready(limit=QUEUE_CAP)))

    def _runs(self) -> Iterator[Metric]:
        runs = self.ctx.runs.list_runs(limit=RUN_SCAN)
        by_status = dict.fromkeys((s.value for s in RunStatus), 0)
        durations: list[float] = []
        for run in runs:
            by_status[run.status.value] += 1
            if run.status.is_final() and run.started_at is not None and run.ended_at is not None:
                durations.append(max(0.0, (run.ended_at - run.started_at).total_seconds()))
        gauge = GaugeMetricFamily("overseer_runs", f"Agent runs per status (the newest {RUN_SCAN}).", labels=["status"])
        for status, n in by_status.items():
            gauge.add_metric([status], n)
        yield gauge
        buckets = [(_le(le), float(sum(1 for d in durations if d <= le))) for le in DURATION_BUCKETS]
        yield HistogramMetricFamily("overseer_run_duration_seconds", "Wall time of ended runs, start to end.",
                                    buckets=[*buckets, ("+Inf", float(len(durations)))], sum_value=sum(durations))

    def _spending(self) -> Iterator[Metric]:
        rows = self.ctx.quota().ledger.cost_totals("provider")
        tokens = CounterMetricFamily("overseer_tokens", "Model tokens used, per provider and direction.", labels=["provider", "direction"])
        cost = CounterMetricFamily("overseer_cost_usd", "Dollars spent, per provider.", labels=["provider"])
        requests = CounterMetricFamily("overseer_provider_requests", "Model requests and agent runs taken from each provider.",
                                       labels=["provider", "kind"])
        for row in rows:
            tokens.add_metric([row.key, "in"], row.tokens_in)
            tokens.add_metric([row.key, "out"], row.tokens_out)
            cost.add_metric([row.key], row.cost_usd)
            requests.add_metric([row.key, "request"], row.requests)
            requests.add_metric([row.key, "run"], row.runs)
        yield from (tokens, cost, requests)

    def _quota(self) -> Iterator[Metric]:
        book = self.ctx.quota()
        percent = GaugeMetricFamily("overseer_quota_used_percent", "Use of each provider's rolling window, in percent of its limit.",
                                    labels=["provider", "window", "unit"])
        parked = GaugeMetricFamily("overseer_provider_parked", "1 while a provider is parked (rate limited or parked by hand).",
                                   labels=["provider"])
        seen: set[str] = set()
        for row in book.status():
            if row.usage is not None:
                percent.add_metric([row.provider, row.usage.window.name, row.usage.window.unit.value], row.usage.percent)
            if row.provider not in seen:
                seen.add(row.provider)
                parked.add_metric([row.provider], 1 if row.parked else 0)
        yield from (percent, parked)


def _le(bound: float) -> str:
    """A finite bucket bound written as prometheus_client writes its own ("60.0")."""
    return repr(float(bound))


def registry(request: Request, ctx: AppContext) -> CollectorRegistry:
    """This app's registry, made on the first scrape."""
    with _lock:
        found = getattr(request.app.state, "metrics_registry", None)
        if not isinstance(found, CollectorRegistry):
            found = CollectorRegistry()
            found.register(OverseerCollector(ctx))
            request.app.state.metrics_registry = found
        return found


@router.get("/metrics", summary="Prometheus metrics: tasks, runs, tokens, cost, quota, queue, parked providers, live clients",
            response_class=Response, responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
def metrics(request: Request, ctx: Ctx) -> Response:
    return Response(generate_latest(registry(request, ctx)), media_type=CONTENT_TYPE_LATEST)
