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
    async def incr(self, key: str, ttl: int, amount: int = 1) -> int:
        """Counter with expiry (set on first increment), for per-person caps."""
        ...
    async def hset_once(self, key: str, field: str, value: str, ttl: int) -> bool:
        """Set one field of a small hash unless it is there; True if it was set now."""
        ...
    async def hgetall(self, key: str) -> dict[str, str]: ...
    async def hexists(self, key: str, field: str) -> bool: ...
    async def hdel(self, key: str, *fields: str) -> None: ...
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

    async def incr(self, key: str, ttl: int, amount: int = 1) -> int:
        raw = self._live(key)
        value = (int(raw) if raw else 0) + amount
        if raw is None:
            self._put(key, str(value), ttl)
        else:
            self._data[key] = (self._data[key][0], str(value))
        return value

    def _hash(self, key: str) -> dict[str, str]:
        raw = self._live(key)
        return json.loads(raw) if raw else {}

    async def hset_once(self, key: str, field: str, value: str, ttl: int) -> bool:
        fields = self._hash(key)
        if field in fields:
            return False
        fields[field] = value
        expiry = self._data[key][0] if key in self._data else self._clock() + ttl
        self._data[key] = (expiry, json.dumps(fields))
        return True

    async def hgetall(self, key: str) -> dict[str, str]:
        return self._hash(key)

    async def hexists(self, key: str, field: str) -> bool:
        return field in self._hash(key)

    async def hdel(self, key: str, *fields: str) -> None:
        data = self._hash(key)
        for field in fields:
            data.pop(field, None)
        if data:
            self._data[key] = (self._data[key][0], json.dumps(data))
        else:
            self._data.pop(key, None)

    def keys(self) -> list[str]:
        """Every live key (tests: what is kept about whom)."""
        return [k for k in list(self._data) if self._live(k) is not None]

    async def close(self) -> None:
        self._data.clear()


class RedisStore:
    """The same interface on Redis, for several processes or a restart-proof state."""

    def __init__(self, url: str, prefix: str = "smb:", socket_timeout: float | None = None) -> None:
        self._redis = aioredis.from_url(url, decode_responses=True, socket_timeout=socket_timeout,
                                        socket_connect_timeout=socket_timeout)
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

    async def incr(self, key: str, ttl: int, amount: int = 1) -> int:
        pipe = self._redis.pipeline(transaction=True)
        pipe.incrby(self._prefix + key, amount)
        pipe.expire(self._prefix + key, ttl, nx=True)
        value, _ = await pipe.execute()
        return int(value)

    async def hset_once(self, key: str, field: str, value: str, ttl: int) -> bool:
        pipe = self._redis.pipeline(transaction=True)
        pipe.hsetnx(self._prefix + key, field, value)
        pipe.expire(self._prefix + key, ttl, nx=True)
        added, _ = await pipe.execute()
        return bool(added)

    async def hgetall(self, key: str) -> dict[str, str]:
        return await self._redis.hgetall(self._prefix + key)

    async def hexists(self, key: str, field: str) -> bool:
        return bool(await self._redis.hexists(self._prefix + key, field))

    async def hdel(self, key: str, *fields: str) -> None:
        if fields:
            await self._redis.hdel(self._prefix + key, *fields)

    @property
    def client(self) -> aioredis.Redis:
        return self._redis

    @property
    def prefix(self) -> str:
        return self._prefix

    async def ping(self) -> bool:
        return bool(await self._redis.ping())

    async def close(self) -> None:
        await self._redis.aclose()


def make_store(redis_url: str | None, prefix: str = "smb:", socket_timeout: float | None = None) -> SessionStore:
    return RedisStore(redis_url, prefix, socket_timeout) if redis_url else MemoryStore()
