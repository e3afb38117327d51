"""Outbox delivery through taskiq: in-process by default, separate Redis-stream workers when scaled.

Embedded (no OUTBOX_BROKER_URL, `make run`): taskiq's InMemoryBroker runs each delivery job as
a task in the serving process, and a sweeper in the same process re-enqueues every row that
is due (new, retried after back-off, or left `sending` by a crash) at start and every
OUTBOX_SWEEP_SECONDS. Scaled (OUTBOX_BROKER_URL=redis://...): the service only enqueues; `python
-m bot worker` processes consume taskiq-redis's RedisStreamBroker (acknowledged streams: a job
whose worker dies is redelivered) and sweep. Either way the outbox table is the durable record
and `Outbox.deliver` claims a row atomically, so a job run twice sends once.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping

from taskiq import AsyncBroker, InMemoryBroker

from bot.config import Settings, get_settings
from bot.logs import configure_from_settings
from bot.outbox import Outbox, Sender

log = logging.getLogger(__name__)

TASK_NAME = "outbox.deliver"


def make_broker(broker_url: str | None) -> AsyncBroker:
    """InMemoryBroker for the embedded default, else a Redis stream (with acknowledgements)."""
    if not broker_url:
        return InMemoryBroker(max_async_tasks=20)
    from taskiq_redis import RedisStreamBroker

    return RedisStreamBroker(broker_url, queue_name="smb-outbox", consumer_group_name="smb-outbox-workers")


class Dispatcher:
    """Enqueues delivery jobs and, where this process delivers, runs them and the sweeper."""

    def __init__(self, outbox: Outbox, broker: AsyncBroker, *, sweep_seconds: float = 5.0) -> None:
        self.outbox = outbox
        self.broker = broker
        self._sweep_seconds = sweep_seconds
        self._tasks: list[asyncio.Task] = []

        async def deliver_outbox(outbox_id: int) -> str | None:
            return await outbox.deliver(outbox_id)

        self._deliver = broker.register_task(deliver_outbox, task_name=TASK_NAME)

    @property
    def embedded(self) -> bool:
        return isinstance(self.broker, InMemoryBroker)

    async def start(self, *, deliver: bool | None = None) -> None:
        """Start the broker; deliver (receiver + sweeper) here when embedded or asked to."""
        await self.broker.startup()
        if deliver is None:
            deliver = self.embedded
        if not deliver:
            return
        if not self.embedded:
            from taskiq.api import run_receiver_task

            self.broker.is_worker_process = True
            self._tasks.append(asyncio.create_task(run_receiver_task(self.broker, max_async_tasks=20)))
        self._tasks.append(asyncio.create_task(self._sweep_loop()))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        if self.embedded:
            await self.broker.wait_all()  # type: ignore[attr-defined]
        await self.broker.shutdown()

    async def kick(self, *outbox_ids: int) -> None:
        """Enqueue delivery jobs after the rows committed; a failure here only delays them."""
        for outbox_id in outbox_ids:
            try:
                await self._deliver.kiq(outbox_id)
            except Exception as exc:  # the sweeper will find the row
                log.warning("outbox %d: enqueue failed (%s); the sweeper will retry", outbox_id, type(exc).__name__)

    async def sweep_once(self) -> int:
        """Enqueue every row that is due now; returns how many."""
        ids = await self.outbox.due_ids()
        await self.kick(*ids)
        return len(ids)

    async def _sweep_loop(self) -> None:
        while True:
            try:
                await self.sweep_once()
            except Exception:
                log.exception("outbox sweep failed; will retry")
            await asyncio.sleep(self._sweep_seconds)


def build_dispatcher(settings: Settings, outbox: Outbox) -> Dispatcher:
    return Dispatcher(outbox, make_broker(settings.outbox_broker_url), sweep_seconds=settings.outbox_sweep_seconds)


SendersFactory = Callable[..., Mapping[str, Sender]]


async def run_worker(settings: Settings, senders_factory: SendersFactory,
                     stop: asyncio.Event | None = None) -> None:
    """`python -m bot worker`: consume the Redis stream and sweep until stopped."""
    from bot.app import AppContext
    from bot.inbox import services_for

    if not settings.outbox_broker_url:
        raise SystemExit("OUTBOX_BROKER_URL is not set: the service delivers in-process; no worker needed")
    ctx = AppContext(settings)
    services_for(ctx, senders=senders_factory(ctx))
    await ctx.start(watch=False, deliver=True)  # AppContext.start starts the dispatcher, here delivering
    log.info("outbox worker started")
    try:
        await (stop or asyncio.Event()).wait()
    finally:
        await ctx.stop()


def _default_senders(ctx: object) -> Mapping[str, Sender]:
    """The channels' senders; `bot.channels.senders.build_senders(ctx)` once the channels provide it."""
    try:
        from bot.channels.senders import build_senders  # type: ignore[import-not-found]
    except ImportError:
        log.error("bot.channels.senders.build_senders is missing: answers stay queued until it exists")
        return {}
    return build_senders(ctx)


def main(argv: list[str] | None = None) -> int:
    """Entry point for `python -m bot worker` (wired in bot/__main__.py)."""
    parser = argparse.ArgumentParser(prog="python -m bot worker", description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    settings = get_settings()
    configure_from_settings(settings)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_worker(settings, _default_senders))
    return 0
