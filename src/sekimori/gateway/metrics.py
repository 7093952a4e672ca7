"""Prometheus text-format metrics, kept in plain dicts: counters and fixed-bucket histograms."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


def _labels(names: tuple[str, ...], values: tuple[str, ...]) -> str:
    if not names:
        return ""
    escaped = (v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") for v in values)
    return "{" + ",".join(f'{n}="{v}"' for n, v in zip(names, escaped, strict=True)) + "}"


@dataclass
class Counter:
    name: str
    help: str
    labels: tuple[str, ...] = ()
    values: dict[tuple[str, ...], float] = field(default_factory=dict)

    def inc(self, *labels: str, by: float = 1.0) -> None:
        self.values[labels] = self.values.get(labels, 0.0) + by

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} counter"]
        for key, value in sorted(self.values.items()):
            lines.append(f"{self.name}{_labels(self.labels, key)} {value:g}")
        return lines


@dataclass
class Histogram:
    name: str
    help: str
    labels: tuple[str, ...] = ()
    buckets: tuple[float, ...] = LATENCY_BUCKETS
    # per label values: [count per bucket ..., count above the last bucket], sum
    counts: dict[tuple[str, ...], list[int]] = field(default_factory=dict)
    sums: dict[tuple[str, ...], float] = field(default_factory=dict)

    def observe(self, value: float, *labels: str) -> None:
        counts = self.counts.get(labels)
        if counts is None:
            counts = self.counts[labels] = [0] * (len(self.buckets) + 1)
            self.sums[labels] = 0.0
        counts[bisect_left(self.buckets, value)] += 1
        self.sums[labels] += value

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} histogram"]
        for key, counts in sorted(self.counts.items()):
            running = 0
            for bound, count in zip((*self.buckets, float("inf")), counts, strict=True):
                running += count
                le = "+Inf" if bound == float("inf") else f"{bound:g}"
                lines.append(
                    f"{self.name}_bucket{_labels((*self.labels, 'le'), (*key, le))} {running}"
                )
            lines.append(f"{self.name}_sum{_labels(self.labels, key)} {self.sums[key]:.6f}")
            lines.append(f"{self.name}_count{_labels(self.labels, key)} {running}")
        return lines


class Metrics:
    def __init__(self) -> None:
        self.requests = Counter(
            "sekimori_requests_total", "HTTP requests by route and status.", ("route", "status")
        )
        self.latency = Histogram(
            "sekimori_request_duration_seconds", "Time to the end of the response.", ("route",)
        )
        self.upstream_latency = Histogram(
            "sekimori_upstream_duration_seconds",
            "Upstream time to response headers.",
            ("upstream",),
        )
        self.ttfb = Histogram(
            "sekimori_stream_first_byte_seconds",
            "Streaming: time from request to the first byte sent.",
            ("upstream",),
        )
        self.upstream_errors = Counter(
            "sekimori_upstream_errors_total", "Upstream failures by kind.", ("upstream", "kind")
        )
        self.decisions = Counter(
            "sekimori_decisions_total",
            "Screening decisions by stage and action.",
            ("stage", "action"),
        )
        self.screen_refused = Counter(
            "sekimori_screen_refused_total",
            "Requests refused before screening: too_large (413), tenant (429), gateway (503).",
            ("reason",),
        )
        self.rate_limited = Counter(
            "sekimori_rate_limited_total",
            "Requests refused by a rate limit or quota (429), or because the shared limit store "
            "was down and the tenant fails closed (503, measure store_unavailable).",
            ("measure",),
        )
        self.limits_local = Counter(
            "sekimori_limits_local_total",
            "Requests counted in this process because the shared limit store was down.",
            (),
        )
        self.audit_failures: Callable[[], int] = lambda: 0
        self.audit_spooled: Callable[[], int] = lambda: 0
        # The screen's own work (queued, running, done, dropped, abandoned, refused_*).
        self.screen_work: Callable[[], Mapping[str, float]] = dict

    def render(self) -> bytes:
        lines: list[str] = []
        for metric in (
            self.requests,
            self.latency,
            self.upstream_latency,
            self.ttfb,
            self.upstream_errors,
            self.decisions,
            self.screen_refused,
            self.rate_limited,
            self.limits_local,
        ):
            lines.extend(metric.render())
        work = self.screen_work()
        if work:
            lines += [
                "# HELP sekimori_screen_work Classifier work items of the screen by state "
                "(queued, running: now; the others: since start).",
                "# TYPE sekimori_screen_work gauge",
            ]
            lines += [f'sekimori_screen_work{{state="{k}"}} {v:g}' for k, v in sorted(work.items())]
        lines += [
            "# HELP sekimori_audit_write_failures_total Audit records whose write failed.",
            "# TYPE sekimori_audit_write_failures_total counter",
            f"sekimori_audit_write_failures_total {self.audit_failures()}",
            "# HELP sekimori_audit_spooled Audit records waiting on local disk for the store "
            "(PostgreSQL) to take them (docs/store.md).",
            "# TYPE sekimori_audit_spooled gauge",
            f"sekimori_audit_spooled {self.audit_spooled()}",
        ]
        return ("\n".join(lines) + "\n").encode()
