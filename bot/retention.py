"""Periodic jobs: retention (comments, raw records and "ask a person" texts and addresses kept
only for their period) and the replay of feedback spooled while the database was down."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.app import AppContext
from bot.feedback import purge_expired
from bot.locks import make_lease

log = logging.getLogger(__name__)


class PeriodicJob:
    """Runs `tick` now and then every `interval` seconds until stopped; a failed tick is logged
    by its type and tried again next round."""

    name = "periodic job"

    def __init__(self, interval: float) -> None:
        self._interval = interval
        self._task: asyncio.Task | None = None

    async def tick(self) -> object:
        raise NotImplementedError

    async def _loop(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception as exc:
                log.warning("%s failed (%s); will retry", self.name, type(exc).__name__)
            await asyncio.sleep(self._interval)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


class RetentionJob(PeriodicJob):
    """Purges expired comments and records at start-up and then every `interval` seconds, in
    one process of the deployment per interval: each run takes a lease (a Redis lock when
    REDIS_URL is set) that expires just before the next round, so with N processes it runs
    once, and if that process dies another runs it within an interval."""

    name = "retention job"

    def __init__(self, ctx: AppContext, interval: float = 6 * 3600) -> None:
        super().__init__(interval)
        self._ctx = ctx
        # held for (just under) one interval and not released: the other processes skip
        self._lease = make_lease(getattr(ctx, "redis", None), "retention", ttl=interval * 0.9,
                                 prefix=getattr(ctx.store, "prefix", "smb:"))

    async def run_once(self) -> tuple[int, int]:
        blanked, dropped = await purge_expired(self._ctx.sessionmaker,
                                               self._ctx.settings.record_retention_days)
        if blanked or dropped:
            log.info("retention: %d comments blanked, %d records dropped", blanked, dropped)
        threads, addresses = await self._ctx.inbox.asking.purge()
        if threads or addresses:
            log.info("retention: %d question threads purged, %d addresses erased", threads, addresses)
        return blanked, dropped

    async def run_if_ours(self) -> bool:
        """Run now unless another process ran it within this interval; True if it ran here."""
        if not await self._lease.acquire():
            return False
        try:
            await self.run_once()
        except Exception:
            await self._lease.release()  # failed: any process may try again
            raise
        return True

    async def tick(self) -> bool:
        return await self.run_if_ours()


class SpoolReplayJob(PeriodicJob):
    """Writes spooled feedback (bot.spool) back into the database every `interval` seconds."""

    name = "spool replay"

    def __init__(self, ctx: AppContext, interval: float = 5.0) -> None:
        super().__init__(interval)
        self._ctx = ctx

    async def run_once(self) -> int:
        written = await self._ctx.feedback.replay()
        if written:
            log.info("spool: %d feedback entries written to the database", written)
        return written

    async def tick(self) -> int:
        return await self.run_once()
