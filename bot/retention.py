"""The retention job: comments, raw feedback records and "ask a person" texts and addresses are
kept only for their period."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.app import AppContext
from bot.feedback import purge_expired

log = logging.getLogger(__name__)


class RetentionJob:
    """Purges expired comments and records at start-up and then every `interval` seconds."""

    def __init__(self, ctx: AppContext, interval: float = 6 * 3600) -> None:
        self._ctx = ctx
        self._interval = interval
        self._task: asyncio.Task | None = None

    async def run_once(self) -> tuple[int, int]:
        blanked, dropped = await purge_expired(self._ctx.sessionmaker,
                                               self._ctx.settings.record_retention_days)
        if blanked or dropped:
            log.info("retention: %d comments blanked, %d records dropped", blanked, dropped)
        threads, addresses = await self._ctx.inbox.asking.purge()
        if threads or addresses:
            log.info("retention: %d question threads purged, %d addresses erased", threads, addresses)
        return blanked, dropped

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:
                log.exception("retention job failed; will retry")
            await asyncio.sleep(self._interval)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
