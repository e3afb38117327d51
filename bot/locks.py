"""Leases: "only one process does this" across every process of a deployment.

With REDIS_URL set, a lease is redis-py's `Lock` (a key with an owner token and an expiry,
released or renewed only by its owner); without Redis, an in-process lease with the same
behaviour (one process is the whole deployment then). A holder that dies stops renewing, the
key expires, and another process takes over within the lease's time to live.

Used by: the Telegram poller (only one process calls getUpdates), the retention job (one run
per interval in the whole deployment). Content refresh stays per process on purpose.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from redis.exceptions import LockError, RedisError

log = logging.getLogger(__name__)


class Lease(Protocol):
    name: str

    async def acquire(self) -> bool:
        """Take the lease if nobody holds it; never waits."""
        ...

    async def renew(self) -> bool:
        """Extend our lease to a full time to live; False if it is no longer ours."""
        ...

    async def release(self) -> None: ...


class LocalLease:
    """The in-process lease (embedded default): same semantics, one dict per process."""

    _held: dict[str, tuple[str, float]] = {}

    def __init__(self, name: str, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.name, self.ttl, self._clock = name, ttl, clock
        self._token = uuid.uuid4().hex

    def _owner(self) -> str | None:
        held = self._held.get(self.name)
        if held is None or held[1] <= self._clock():
            return None
        return held[0]

    async def acquire(self) -> bool:
        if self._owner() not in (None, self._token):
            return False
        self._held[self.name] = (self._token, self._clock() + self.ttl)
        return True

    async def renew(self) -> bool:
        if self._owner() != self._token:
            return False
        self._held[self.name] = (self._token, self._clock() + self.ttl)
        return True

    async def release(self) -> None:
        if self._owner() == self._token:
            del self._held[self.name]


class RedisLease:
    """redis-py's Lock: SET NX PX with a random token; renew and release check the token."""

    def __init__(self, redis: Any, name: str, ttl: float, prefix: str = "smb:") -> None:
        self.name, self.ttl = name, ttl
        # "lock:" + the store's prefix: beside the store's namespace, not in it
        self._lock = redis.lock("lock:" + prefix + name, timeout=ttl, blocking=False,
                                thread_local=False, raise_on_release_error=False)

    async def acquire(self) -> bool:
        return bool(await self._lock.acquire(blocking=False))

    async def renew(self) -> bool:
        try:
            return bool(await self._lock.reacquire())
        except LockError:  # expired, or taken by another process meanwhile
            return False

    async def release(self) -> None:
        with contextlib.suppress(LockError, RedisError):
            await self._lock.release()


def make_lease(redis: Any | None, name: str, ttl: float, prefix: str = "smb:") -> Lease:
    return RedisLease(redis, name, ttl, prefix) if redis is not None else LocalLease(name, ttl)


Callback = Callable[[], Awaitable[None]]


class Leader:
    """Keeps trying to hold `lease`; runs `on_acquire` when it gets it and `on_lose` when it
    loses it (not renewed in time, Redis unreachable for most of a time to live) or stops.
    Tries and renews every ttl / 3."""

    def __init__(self, lease: Lease, on_acquire: Callback, on_lose: Callback, *, interval: float | None = None) -> None:
        self.lease = lease
        self._on_acquire, self._on_lose = on_acquire, on_lose
        self.interval = interval if interval is not None else max(0.05, getattr(lease, "ttl", 30.0) / 3)
        self.held = False
        self._renewed = 0.0
        self._task: asyncio.Task | None = None

    async def _lose(self, why: str) -> None:
        self.held = False
        log.warning("lease %s lost (%s): stopping here", self.lease.name, why)
        try:
            await self._on_lose()
        except Exception:
            log.exception("lease %s: stopping after the loss failed", self.lease.name)

    async def step(self) -> None:
        """One round: renew what we hold, or try to take it."""
        ttl = getattr(self.lease, "ttl", 30.0)
        try:
            if self.held:
                if await self.lease.renew():
                    self._renewed = time.monotonic()
                else:
                    await self._lose("taken or expired")
                return
            if await self.lease.acquire():
                self.held, self._renewed = True, time.monotonic()
                log.info("lease %s acquired: running it in this process", self.lease.name)
                try:
                    await self._on_acquire()
                except Exception:
                    log.exception("lease %s: start failed; letting another process try", self.lease.name)
                    self.held = False
                    await self.lease.release()
        except (RedisError, OSError) as exc:
            if self.held and time.monotonic() - self._renewed > ttl * 0.8:
                await self._lose(type(exc).__name__)  # it may have expired: another may hold it now
            else:
                log.warning("lease %s: %s; trying again", self.lease.name, type(exc).__name__)

    async def _loop(self) -> None:
        while True:
            await self.step()
            await asyncio.sleep(self.interval)

    async def start(self) -> None:
        await self.step()  # take it now if free, so a single process starts at once
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.held:
            self.held = False
            with contextlib.suppress(Exception):
                await self._on_lose()
            await self.lease.release()
