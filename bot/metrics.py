"""Prometheus metrics: counts and latencies of requests, turns, deliveries and queues.

No label ever identifies a person: labels are route templates (never raw paths, which can
carry a webhook key), methods, status classes, channel names and outcomes. Served at
`GET /metrics` only with `Authorization: Bearer <METRICS_TOKEN>` (unset: 404). Each process
keeps its own numbers: scrape every replica (as Prometheus does with service discovery).
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Awaitable, Callable
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

REGISTRY = CollectorRegistry(auto_describe=True)
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter("smb_http_requests_total", "HTTP requests answered",
                   ["route", "method", "status"], registry=REGISTRY)
REQUEST_SECONDS = Histogram("smb_http_request_seconds", "HTTP request latency",
                            ["route"], buckets=BUCKETS, registry=REGISTRY)
TURNS = Counter("smb_turns_total", "Inbound messages handled, by channel and outcome",
                ["channel", "outcome"], registry=REGISTRY)
TURN_SECONDS = Histogram("smb_turn_seconds", "Time from an inbound message to its replies",
                         ["channel"], buckets=BUCKETS, registry=REGISTRY)
DELIVERIES = Counter("smb_deliveries_total", "Outbound messages, by channel and outcome (sent, retried, failed)",
                     ["channel", "outcome"], registry=REGISTRY)
DELIVERY_SECONDS = Histogram("smb_delivery_seconds", "Outbound call latency", ["channel"],
                             buckets=BUCKETS, registry=REGISTRY)
QUEUE_EVENTS = Counter("smb_queue_events_total", "Queue events (enqueued, delivered, retried, dead), by queue",
                       ["queue", "event"], registry=REGISTRY)
QUEUE_DEPTH = Gauge("smb_queue_depth", "Items waiting, by queue (as last measured)", ["queue"], registry=REGISTRY)

# request paths that are a channel's webhook: their latency is that channel's turn
CHANNEL_ROUTES = {"/sms/twilio": "twilio", "/sms/vonage": "vonage",
                  "/sms/africastalking/{key}": "africastalking", "/telegram/webhook": "telegram"}


def route_of(scope: dict[str, Any]) -> str:
    """The matched route's template, or a fixed word: never the raw path."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if path:
        return str(path)
    raw = scope.get("path", "")
    if raw.startswith("/api/v1"):
        return "/api/v1"  # the admin API is a mounted app: one series for it
    return "unmatched"


class MetricsMiddleware:
    """Counts and times every HTTP request; webhook requests also count as a channel's turn."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            elapsed = time.perf_counter() - started
            route = route_of(scope)
            if route != "/metrics":
                REQUESTS.labels(route, scope.get("method", ""), f"{status // 100}xx").inc()
                REQUEST_SECONDS.labels(route).observe(elapsed)
                channel = CHANNEL_ROUTES.get(route)
                if channel is not None and channel != "telegram":  # Telegram turns are counted after the update
                    observe_turn(channel, elapsed, "ok" if status < 500 else "error")


def observe_turn(channel: str, seconds: float, outcome: str = "ok") -> None:
    TURNS.labels(channel, outcome).inc()
    TURN_SECONDS.labels(channel).observe(seconds)


def observe_delivery(channel: str, outcome: str, seconds: float | None = None) -> None:
    DELIVERIES.labels(channel, outcome).inc()
    if seconds is not None:
        DELIVERY_SECONDS.labels(channel).observe(seconds)


def authorized(header: str | None, token: str | None) -> bool:
    """Bearer METRICS_TOKEN, compared in constant time; never true when no token is set."""
    if not token or not header or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header[len("Bearer "):].encode(), token.encode())


def exposition() -> tuple[bytes, str]:
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
