"""Session state behind one interface: in-process by default, Redis when REDIS_URL is set.

Keys are always keyed hashes (see bot.privacy); values are small JSON documents.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError
from redis.exceptions import TimeoutError as RedisTimeoutError

if TYPE_CHECKING:
    from bot.config import Settings


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
    async def claim_and_get(self, key: str | None, ttl: int, *keys: str) -> tuple[bool, list[dict[str, Any] | None]]:
        """first_time(key, ttl) (True without a key) and the values of `keys` as they are right
        after it: one round trip on Redis for what a webhook reads before its turn."""
        ...
    async def write(self, ops: Sequence[tuple[str, dict[str, Any] | None, int]]) -> None:
        """(key, value, ttl) sets and (key, None, _) deletes, in order: one round trip on Redis
        (MULTI/EXEC, all or nothing) for what a webhook writes after its turn."""
        ...
    async def hexists(self, key: str, field: str) -> bool: ...
    async def hdel(self, key: str, *fields: str) -> None: ...
    async def close(self) -> None: ...


SWEEP_EVERY = 256  # writes between two steps of the in-process store's sweep
SWEEP_STEP = 1024  # keys one step looks at: a pause of well under a millisecond, not a pass over all


class MemoryStore:
    """A dict with expiry: the embedded default, lost on restart by design. Expired keys are
    dropped when read, and a sweep walks every key a step at a time (a whole pass over
    60,000 keys held the event loop for 6 ms)."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        self._data: dict[str, tuple[float, str]] = {}
        self._clock = clock
        self._writes = 0
        self._unswept: list[str] = []

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
        if self._writes % SWEEP_EVERY == 0:
            self._sweep()

    def _sweep(self) -> None:
        if not self._unswept:
            self._unswept = list(self._data)  # the next pass
        now, pending = self._clock(), self._unswept
        for _ in range(min(SWEEP_STEP, len(pending))):
            key = pending.pop()
            item = self._data.get(key)
            if item is not None and item[0] <= now:
                del self._data[key]

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

    async def claim_and_get(self, key: str | None, ttl: int, *keys: str) -> tuple[bool, list[dict[str, Any] | None]]:
        claimed = True if key is None else await self.first_time(key, ttl)
        return claimed, [await self.get(k) for k in keys]

    async def write(self, ops: Sequence[tuple[str, dict[str, Any] | None, int]]) -> None:
        for key, value, ttl in ops:
            if value is None:
                await self.delete(key)
            else:
                await self.set(key, value, ttl)

    def keys(self) -> list[str]:
        """Every live key (tests: what is kept about whom)."""
        return [k for k in list(self._data) if self._live(k) is not None]

    async def close(self) -> None:
        self._data.clear()


@dataclass(frozen=True)
class RedisOptions:
    """How the Redis client waits and retries (REDIS_* settings). A command that fails on a
    connection error or a timeout is retried with exponential back-off on a fresh connection,
    and a pooled connection idle for `health_check_interval` is PINGed before use, so a Redis
    restart costs a retry, not a burst of errors from stale connections."""

    connect_timeout: float = 2.0
    socket_timeout: float = 2.0
    retries: int = 3
    backoff_base: float = 0.05
    backoff_cap: float = 1.0
    health_check_interval: int = 10

    @classmethod
    def from_settings(cls, settings: Settings) -> RedisOptions:
        return cls(connect_timeout=settings.redis_connect_timeout_seconds,
                   socket_timeout=settings.redis_socket_timeout_seconds,
                   retries=settings.redis_retries,
                   backoff_base=settings.redis_backoff_base_seconds,
                   backoff_cap=settings.redis_backoff_cap_seconds,
                   health_check_interval=settings.redis_health_check_interval)


def redis_client(url: str, options: RedisOptions | None = None, *, decode_responses: bool = True) -> aioredis.Redis:
    """A redis.asyncio client with bounded waits, retries and health checks."""
    o = options or RedisOptions()
    return aioredis.from_url(
        url, decode_responses=decode_responses,
        socket_connect_timeout=o.connect_timeout, socket_timeout=o.socket_timeout,
        health_check_interval=o.health_check_interval,
        retry=Retry(ExponentialBackoff(cap=o.backoff_cap, base=o.backoff_base), o.retries),
        retry_on_error=[RedisConnectionError, RedisTimeoutError])


# A webhook's two round trips, each one Lua script (run atomically by Redis, like MULTI/EXEC,
# but one command and one reply to parse instead of one per command plus MULTI and EXEC:
# redis-py's pipeline parsing was a fifth of an SMS turn on Redis).
# KEYS[1] the claim (ARGV[1] its ttl), KEYS[2..] what to read: {claimed, {values}}
_CLAIM_AND_GET = """
local claimed = redis.call('SET', KEYS[1], '1', 'EX', ARGV[1], 'NX') and 1 or 0
local values = {}
for i = 2, #KEYS do values[i - 1] = redis.call('GET', KEYS[i]) end
return {claimed, values}
"""
# KEYS[i] set to ARGV[2i] for ARGV[2i-1] seconds, or deleted when ARGV[2i-1] is '-'; in order
_WRITE = """
for i = 1, #KEYS do
  if ARGV[2 * i - 1] == '-' then redis.call('DEL', KEYS[i])
  else redis.call('SET', KEYS[i], ARGV[2 * i], 'EX', ARGV[2 * i - 1]) end
end
return #KEYS
"""


class RedisStore:
    """The same interface on Redis, for several processes and a state that survives a
    restart (of this service; of Redis too when it runs with AOF, as in docker-compose.yml)."""

    def __init__(self, url: str, prefix: str = "smb:", options: RedisOptions | None = None) -> None:
        self._redis = redis_client(url, options)
        self._prefix = prefix
        self._claim_and_get = self._redis.register_script(_CLAIM_AND_GET)
        self._write = self._redis.register_script(_WRITE)

    async def _run(self, script: AsyncScript, keys: list[str], args: list[str | int]) -> Any:
        """EVALSHA straight through the client (redis-py's Script call adds a layer of
        argument checks on every message); a Redis without the script gets it loaded."""
        try:
            return await self._redis.execute_command("EVALSHA", script.sha, len(keys), *keys, *args)
        except NoScriptError:
            return await script(keys=keys, args=args)

    @property
    def client(self) -> aioredis.Redis:
        """The client itself, shared with the locks and the global rate limits."""
        return self._redis

    @property
    def prefix(self) -> str:
        return self._prefix

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

    async def claim_and_get(self, key: str | None, ttl: int, *keys: str) -> tuple[bool, list[dict[str, Any] | None]]:
        if key is None and not keys:
            return True, []
        names = [self._prefix + k for k in keys]
        if key is None:
            claimed, raws = 1, await self._redis.mget(names)
        else:
            claimed, raws = await self._run(self._claim_and_get, [self._prefix + key, *names], [ttl])
        return bool(claimed), [None if raw is None else json.loads(raw) for raw in raws]

    async def write(self, ops: Sequence[tuple[str, dict[str, Any] | None, int]]) -> None:
        if not ops:
            return
        args: list[str | int] = []
        for _, value, ttl in ops:
            args += ["-", ""] if value is None else [ttl, json.dumps(value, separators=(",", ":"))]
        await self._run(self._write, [self._prefix + key for key, _, _ in ops], args)

    async def ping(self) -> bool:
        return bool(await self._redis.ping())

    async def close(self) -> None:
        await self._redis.aclose()


def make_store(redis_url: str | None, prefix: str = "smb:", options: RedisOptions | None = None) -> SessionStore:
    return RedisStore(redis_url, prefix, options) if redis_url else MemoryStore()
