"""Session state behind one interface: in-process by default, Redis when REDIS_URL is set.

Keys are always keyed hashes (see bot.privacy); values are small JSON documents.
"""

from __future__ import annotations

import json
import time
from typing import Any, Protocol

import redis.asyncio as aioredis


class SessionStore(Protocol):
    async def get(self, key: str) -> dict[str, Any] | None: ...
    async def set(self, key: str, value: dict[str, Any], ttl: int) -> None: ...
    async def delete(self, *keys: str) -> None: ...
    async def first_time(self, key: str, ttl: int) -> bool:
        """True once per key within ttl: makes redelivered updates and retried webhooks idempotent."""
        ...
    async def incr(self, key: str, ttl: int) -> int:
        """Counter with expiry, for per-person caps that need no identity."""
        ...
    async def close(self) -> None: ...


class MemoryStore:
    """A dict with expiry: the embedded default, lost on restart by design."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        self._data: dict[str, tuple[float, str]] = {}
        self._clock = clock
        self._writes = 0

    def _live(self, key: str) -> str | None:
        item = self._data.get(key)
        if item is None:
            return None
        if item[0] <= self._clock():
            del self._data[key]
            return None
        return item[1]

    def _put(self, key: str, raw: str, ttl: int) -> None:
        self._data[key] = (self._clock() + ttl, raw)
        self._writes += 1
        if self._writes % 1024 == 0:
            self._sweep()

    def _sweep(self) -> None:
        now = self._clock()
        for k in [k for k, (exp, _) in self._data.items() if exp <= now]:
            del self._data[k]

    async def get(self, key: str) -> dict[str, Any] | None:
        raw = self._live(key)
        return None if raw is None else json.loads(raw)

    async def set(self, key: str, value: dict[str, Any], ttl: int) -> None:
        self._put(key, json.dumps(value, separators=(",", ":")), ttl)

    async def delete(self, *keys: str) -> None:
        for key in keys:
            self._data.pop(key, None)

    async def first_time(self, key: str, ttl: int) -> bool:
        if self._live(key) is not None:
            return False
        self._put(key, "1", ttl)
        return True

    async def incr(self, key: str, ttl: int) -> int:
        raw = self._live(key)
        value = (int(raw) if raw else 0) + 1
        if raw is None:
            self._put(key, str(value), ttl)
        else:
            self._data[key] = (self._data[key][0], str(value))
        return value

    async def close(self) -> None:
        self._data.clear()


class RedisStore:
    """The same interface on Redis, for several processes or a restart-proof state."""

    def __init__(self, url: str, prefix: str = "smb:") -> None:
        self._redis = aioredis.from_url(url, decode_responses=True)
        self._prefix = prefix

    async def get(self, key: str) -> dict[str, Any] | None:
        raw = await self._redis.get(self._prefix + key)
        return None if raw is None else json.loads(raw)

    async def set(self, key: str, value: dict[str, Any], ttl: int) -> None:
        await self._redis.set(self._prefix + key, json.dumps(value, separators=(",", ":")), ex=ttl)

    async def delete(self, *keys: str) -> None:
        if keys:
            await self._redis.delete(*(self._prefix + k for k in keys))

    async def first_time(self, key: str, ttl: int) -> bool:
        return bool(await self._redis.set(self._prefix + key, "1", ex=ttl, nx=True))

    async def incr(self, key: str, ttl: int) -> int:
        pipe = self._redis.pipeline(transaction=True)
        pipe.incr(self._prefix + key)
        pipe.expire(self._prefix + key, ttl, nx=True)
        value, _ = await pipe.execute()
        return int(value)

    async def ping(self) -> bool:
        return bool(await self._redis.ping())

    async def close(self) -> None:
        await self._redis.aclose()


def make_store(redis_url: str | None, prefix: str = "smb:") -> SessionStore:
    return RedisStore(redis_url, prefix) if redis_url else MemoryStore()
