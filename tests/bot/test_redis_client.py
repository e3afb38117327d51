"""The Redis client rides out a Redis restart: retries with back-off, health checks on idle
connections (bot.sessions.redis_client), against a redis-server of the test's own."""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.sessions import RedisOptions, RedisStore
from tests.own_redis import OwnRedis

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")


async def test_a_restart_costs_a_retry_not_an_error(tmp_path: Path) -> None:
    redis = OwnRedis(tmp_path / "r").start()
    options = RedisOptions(connect_timeout=0.5, socket_timeout=0.5, retries=6, backoff_base=0.05,
                           backoff_cap=0.5, health_check_interval=1)
    store = RedisStore(redis.url, prefix="t:", options=options)
    try:
        for n in range(8):  # a pool of connections, all of which go stale
            await store.set(f"k{n}", {"n": n}, 60)
        redis.stop()
        redis = OwnRedis(tmp_path / "r", port=redis.port).start()  # a restart (no persistence here)
        started = time.monotonic()
        await asyncio.gather(*(store.set(f"k{n}", {"n": n}, 60) for n in range(8)))  # no error
        assert await store.get("k3") == {"n": 3}
        assert time.monotonic() - started < 3
    finally:
        await store.close()
        redis.stop()


async def test_an_outage_longer_than_the_retries_fails_fast_and_bounded(tmp_path: Path) -> None:
    redis = OwnRedis(tmp_path / "r").start()
    options = RedisOptions(connect_timeout=0.2, socket_timeout=0.2, retries=2, backoff_base=0.05, backoff_cap=0.1)
    store = RedisStore(redis.url, prefix="t:", options=options)
    try:
        await store.set("k", {"x": 1}, 60)
        redis.stop()
        started = time.monotonic()
        with pytest.raises(RedisConnectionError):
            await store.get("k")
        assert time.monotonic() - started < 2, "the caller gets an error in time to answer her anyway"
    finally:
        await store.close()
        redis.stop()
