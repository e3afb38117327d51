"""Liveness, readiness, waiting for services at start, and the metrics endpoint."""

from __future__ import annotations

import asyncio
import logging
import shutil
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from bot.app import AppContext
from bot.db import make_engine
from bot.readiness import wait_for_services
from bot.sessions import RedisOptions, RedisStore, redis_client
from bot.web import create_app
from tests.own_redis import OwnRedis

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")

FAST = RedisOptions(connect_timeout=0.3, socket_timeout=0.3, retries=1, backoff_base=0.01, backoff_cap=0.05)


def client(ctx: AppContext) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(ctx, start=False)),
                             base_url="http://test")


async def test_healthz_is_liveness_and_readyz_reports_each_part(ctx: AppContext) -> None:
    async with client(ctx) as c:
        assert (await c.get("/healthz")).json() == {"status": "ok"}
        ready = await c.get("/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ready" and body["database"] == "ok" and body["content"] == "ok"
    assert body["items"] > 0
    assert ("redis" in body) == (ctx.redis is not None)


async def test_readyz_answers_503_while_redis_is_down_and_200_when_it_is_back(ctx: AppContext, tmp_path: Path) -> None:
    redis = OwnRedis(tmp_path / "redis").start()
    store = RedisStore(redis.url, prefix="t:", options=FAST)
    ctx.redis = store.client
    try:
        async with client(ctx) as c:
            assert (await c.get("/readyz")).status_code == 200
            redis.stop()
            down = await c.get("/readyz")
            assert down.status_code == 503
            assert down.json()["redis"].startswith("error: ") and down.json()["database"] == "ok"
            assert (await c.get("/healthz")).status_code == 200  # alive all the same
            redis = OwnRedis(tmp_path / "redis", port=redis.port).start()
            for _ in range(50):  # the client reconnects by itself (health checks, retries)
                if (await c.get("/readyz")).status_code == 200:
                    break
                await asyncio.sleep(0.1)
            else:
                pytest.fail("readyz did not recover after Redis came back")
    finally:
        await store.close()
        redis.stop()


async def test_start_waits_for_redis_with_back_off_instead_of_exiting(settings_for, tmp_path: Path,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    redis = OwnRedis(tmp_path / "redis")  # not started yet
    engine = make_engine(settings_for())
    client_ = redis_client(redis.url, FAST)
    loop = asyncio.get_running_loop()
    loop.call_later(1.0, redis.start)
    try:
        with caplog.at_level(logging.WARNING, logger="bot.readiness"):
            await asyncio.wait_for(wait_for_services(engine, client_, max_wait=30, first_delay=0.2, max_delay=0.5), 20)
        assert await client_.ping()
        assert any("waiting for redis" in r.getMessage() for r in caplog.records)
    finally:
        await client_.aclose()
        await engine.dispose()
        redis.stop()


async def test_start_gives_up_after_the_configured_wait(settings_for, tmp_path: Path) -> None:
    redis = OwnRedis(tmp_path / "redis")  # never started
    engine = make_engine(settings_for())
    client_ = redis_client(redis.url, FAST)
    try:
        with pytest.raises(Exception):  # noqa: B017 (a connection error of redis-py's)
            await wait_for_services(engine, client_, max_wait=0.5, first_delay=0.1)
    finally:
        await client_.aclose()
        await engine.dispose()


async def test_postgres_connections_carry_statement_and_lock_timeouts(settings_for, backend: str) -> None:
    if backend != "postgres-redis":
        pytest.skip("PostgreSQL only")
    engine = make_engine(settings_for(db_statement_timeout_ms=1234, db_lock_timeout_ms=567))
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("SHOW statement_timeout"))).scalar() == "1234ms"
            assert (await conn.execute(text("SHOW lock_timeout"))).scalar() == "567ms"
            with pytest.raises(Exception, match="statement timeout|canceling statement"):
                await conn.execute(text("SELECT pg_sleep(3)"))
    finally:
        await engine.dispose()


async def test_metrics_need_the_token_and_carry_no_raw_path(ctx: AppContext) -> None:
    async with client(ctx) as c:
        assert (await c.get("/metrics")).status_code == 404  # no token configured
        ctx.settings.metrics_token = "t0ken-for-tests"
        await c.post("/sms/africastalking/secret-webhook-key-123", data={"text": "x"})
        await c.post("/sms/twilio", data={"Body": "x"})
        assert (await c.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 404
        page = await c.get("/metrics", headers={"Authorization": "Bearer t0ken-for-tests"})
    assert page.status_code == 200
    assert "smb_http_requests_total" in page.text and "smb_http_request_seconds_bucket" in page.text
    assert "secret-webhook-key-123" not in page.text
    assert 'route="/sms/africastalking/{key}"' in page.text or 'route="unmatched"' in page.text
    # a webhook's series is its route template, and its requests count as that channel's turns
    assert 'route="/sms/twilio"' in page.text and 'smb_turns_total{channel="twilio"' in page.text
