"""Is the service up? Waiting for PostgreSQL and Redis at start, and the readiness report.

`/healthz` is liveness only (the process answers). `/readyz` asks the database, Redis (when
configured) and the content library, each within a short timeout, and answers 503 when one is
not ready, as compose healthchecks, load balancers and Kubernetes readiness probes expect.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

CHECK_TIMEOUT = 2.0  # seconds one readiness check may take


async def check_database(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


async def check_redis(client: Any) -> None:
    if not await client.ping():
        raise ConnectionError("no PONG")


def _checks(engine: AsyncEngine, redis: Any | None) -> list[tuple[str, Callable[[], Awaitable[None]]]]:
    checks: list[tuple[str, Callable[[], Awaitable[None]]]] = [("database", lambda: check_database(engine))]
    if redis is not None:
        checks.append(("redis", lambda: check_redis(redis)))
    return checks


async def wait_for_services(engine: AsyncEngine, redis: Any | None, *, max_wait: float,
                            sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                            first_delay: float = 0.5, max_delay: float = 15.0) -> None:
    """Return when the database (and Redis) answer; until then log and retry with exponential
    back-off. Gives up (raises the last error) after `max_wait` seconds; 0 waits forever."""
    started = time.monotonic()
    delay = first_delay
    for name, check in _checks(engine, redis):
        while True:
            try:
                await asyncio.wait_for(check(), timeout=max(CHECK_TIMEOUT, 5.0))
                break
            except Exception as exc:
                waited = time.monotonic() - started
                if max_wait and waited + delay > max_wait:
                    log.error("start-up: %s is still not reachable after %.0f s (%s); giving up",
                              name, waited, type(exc).__name__)
                    raise
                log.warning("start-up: waiting for %s (%s); trying again in %.1f s",
                            name, type(exc).__name__, delay)
                await sleep(delay)
                delay = min(delay * 2, max_delay)


async def _timed(check: Callable[[], Awaitable[None]]) -> str:
    try:
        await asyncio.wait_for(check(), timeout=CHECK_TIMEOUT)
        return "ok"
    except Exception as exc:
        return f"error: {type(exc).__name__}"


async def readiness(engine: AsyncEngine, redis: Any | None, content: Any) -> tuple[bool, dict[str, Any]]:
    """Each part's state ("ok" or "error: <type>"); no detail that could help an attacker."""
    names_checks = _checks(engine, redis)
    results = await asyncio.gather(*(_timed(check) for _, check in names_checks))
    report: dict[str, Any] = dict(zip((name for name, _ in names_checks), results, strict=True))
    library = getattr(content, "library", None)
    items = len(getattr(library, "items", ()) or ())
    report["content"] = "ok" if items else "error: no content loaded"
    ready = all(value == "ok" for value in report.values())
    report["status"] = "ready" if ready else "not ready"
    if items:
        report["content_revision"] = library.revision
        report["items"] = items
    return ready, report
