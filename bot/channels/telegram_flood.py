"""Sending to Telegram within its flood limits: per-chat pacing, the overall 30 a second,
429s waited out and 5xx retried (FloodControl); with Redis, the same limits held for every
process of a deployment (RedisPacer, RedisFloodControl)."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import (
    AIORateLimiter,
)

from bot import metrics

if TYPE_CHECKING:
    from bot.app import AppContext

log = logging.getLogger(__name__)

CHANNEL = "telegram"


# endpoints that put a message into a chat: paced per chat and counted in the overall limit
PACE_PREFIX = "tgpace:"  # + a keyed hash of the chat for pacing only: when her next message may go
PACED_ENDPOINTS = frozenset({"sendMessage", "editMessageText", "editMessageReplyMarkup",
                             "sendPhoto", "sendDocument", "sendLocation", "sendContact"})


# -- sending: per-chat pacing, overall limit, 429 and 5xx -----------------------------------------

class PerChatPacer:
    """At most one message per `interval` to each chat, in order of asking.

    Chat ids are kept in memory only while their next slot is in the future, only to time
    the wait: never logged, never stored, swept as soon as their slot has passed.
    """

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.interval = max(0.0, interval)
        self._clock = clock
        self._sleep = sleep
        self._next: dict[int | str, float] = {}

    def __len__(self) -> int:
        return len(self._next)

    async def wait(self, chat_id: int | str) -> None:
        if not self.interval:
            return
        now = self._clock()
        if len(self._next) > 256:
            for key in [k for k, t in self._next.items() if t <= now]:
                del self._next[key]
        slot = max(now, self._next.get(chat_id, now))
        self._next[chat_id] = slot + self.interval
        if slot > now:
            await self._sleep(slot - now)


def _count(counted: bool, outcome: str) -> None:
    if counted:
        metrics.observe_delivery(CHANNEL, outcome)


class FloodControl(AIORateLimiter):
    """The bot's rate limiter: Telegram's flood limits, and retries that never drop a message.

    * python-telegram-bot's AIORateLimiter: 30 messages a second overall (and 20 a minute per
      group, unused here); on a 429 it holds back *every* request for retry_after + 0.1 s
      and sends this one again, up to `max_retries` times;
    * plus what it lacks: about one message a second to one chat (`PerChatPacer`), waiting
      out further 429s while their total stays under `retry_after_budget` (an hour), and
      5xx / network errors (NetworkError, TimedOut, but not BadRequest) tried up to
      `network_attempts` times with exponential back-off and jitter.
    """

    def __init__(self, per_chat_interval: float, *, overall_per_second: float = 30,
                 max_retries: int = 10, network_attempts: int = 6, backoff: float = 0.5,
                 max_backoff: float = 30.0, retry_after_budget: float = 3600.0) -> None:
        super().__init__(overall_max_rate=overall_per_second, overall_time_period=1,
                         max_retries=max_retries)
        self.pacer = PerChatPacer(per_chat_interval)
        self._overall_rate = overall_per_second
        self.network_attempts = network_attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.retry_after_budget = retry_after_budget
        self.stats: Counter[str] = Counter()

    @property
    def overall_per_second(self) -> float:
        return self._overall_rate

    @overall_per_second.setter
    def overall_per_second(self, rate: float) -> None:
        """Telegram's limit is 30; tests and benchmarks on a local server lift it."""
        from aiolimiter import AsyncLimiter

        self._overall_rate = rate
        self._base_limiter = AsyncLimiter(max_rate=rate, time_period=1) if rate else None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat_id = data.get("chat_id")
        if chat_id is not None and endpoint in PACED_ENDPOINTS:
            await self.pacer.wait(chat_id)
        started, attempt, delay = time.monotonic(), 0, self.backoff
        counted = endpoint in PACED_ENDPOINTS
        while True:
            try:
                result = await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
                if counted:
                    metrics.observe_delivery(CHANNEL, "sent", time.monotonic() - started)
                return result
            except RetryAfter:
                # AIORateLimiter waited max_retries times already; keep waiting, within reason
                if time.monotonic() - started > self.retry_after_budget:
                    _count(counted, "failed")
                    raise
                self.stats["retry_after"] += 1
                _count(counted, "retried")
            except BadRequest:
                _count(counted, "failed")
                raise  # our request is wrong: sending it again cannot help
            except NetworkError as exc:  # 5xx, timeouts, connection errors
                attempt += 1
                if attempt >= self.network_attempts:
                    _count(counted, "failed")
                    raise
                _count(counted, "retried")
                self.stats["network_retry"] += 1
                sleep = min(delay, self.max_backoff) * (0.5 + random.random() / 2)
                log.warning("telegram %s: %s, attempt %d, trying again in %.2f s", endpoint,
                            type(exc).__name__, attempt, sleep)
                await asyncio.sleep(sleep)
                delay *= 2


# Reserve the next send slot on a shared clock (Redis TIME): returns how long to wait. The key
# holds the time the slot after this one opens and expires then, so it lives no longer than the
# in-memory pacer's entry: at most one interval after her last message.
_RESERVE_SLOT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local spacing = tonumber(ARGV[1])
local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
if slot < now then slot = now end
redis.call('SET', KEYS[1], string.format('%.6f', slot + spacing), 'PX', math.max(1, math.ceil((slot - now + spacing) * 1000)))
return string.format('%.6f', slot - now)
"""


class RedisPacer:
    """PerChatPacer and the overall limit for several processes: both held in Redis.

    Each message to a chat reserves that chat's next slot (`interval` apart) and then a slot
    in the deployment-wide sequence (1/rate apart), on Redis's clock, so N processes together
    send at most `rate` messages a second and one chat gets at most one every `interval`.
    A chat's slot is kept under a keyed hash of its own (`tgpace:` + the chat id hashed for
    pacing only, never the chat id, and not her session's key, so it links to nothing of
    hers) and lives about `interval` seconds. It is not "her data" to delete: the answer to
    "delete my data" is itself paced and would write it again. If Redis fails, this process
    falls back to its own in-memory pacing for that message: a message is delayed, never dropped.
    """

    def __init__(self, redis: Any, interval: float, rate: float, chat_key: Callable[[int | str], str],
                 prefix: str = "smb:") -> None:
        self.interval = max(0.0, interval)
        self.rate = rate
        self._chat_key = chat_key
        self._prefix = prefix
        self._script = redis.register_script(_RESERVE_SLOT)
        self._local = PerChatPacer(interval)

    def __len__(self) -> int:
        return len(self._local)

    async def _reserve(self, key: str, spacing: float) -> None:
        wait = float(await self._script(keys=[self._prefix + key], args=[f"{spacing:.6f}"]))
        if wait > 0:
            await asyncio.sleep(wait)

    async def wait(self, chat_id: int | str) -> None:
        try:
            if self.interval:
                await self._reserve(PACE_PREFIX + self._chat_key(chat_id), self.interval)
            if self.rate:
                await self._reserve("tgrate", 1.0 / self.rate)
        except Exception as exc:  # Redis unreachable: pace in this process rather than not at all
            log.warning("telegram pacing: Redis failed (%s); pacing in this process", type(exc).__name__)
            await self._local.wait(chat_id)


class RedisFloodControl(FloodControl):
    """FloodControl whose per-chat pacing and 30-a-second limit are global (RedisPacer)."""

    def __init__(self, per_chat_interval: float, pacer: RedisPacer, **kwargs: Any) -> None:
        super().__init__(per_chat_interval, **kwargs)
        self.pacer = pacer  # type: ignore[assignment]
        self._base_limiter = None  # the overall limit is the pacer's, shared by every process

    @property
    def overall_per_second(self) -> float:
        return self.pacer.rate  # type: ignore[union-attr]

    @overall_per_second.setter
    def overall_per_second(self, rate: float) -> None:
        self.pacer.rate = rate  # type: ignore[union-attr]


def make_flood_control(ctx: AppContext) -> FloodControl:
    """In-process limits by default; global ones in Redis when REDIS_URL is set."""
    interval = ctx.settings.telegram_per_chat_interval
    redis = getattr(ctx, "redis", None)
    if redis is None:
        return FloodControl(interval)
    pacer = RedisPacer(redis, interval, 30, lambda chat_id: ctx.user_keys.key("telegram-pacing", chat_id),
                       prefix=getattr(ctx.store, "prefix", "smb:"))
    return RedisFloodControl(interval, pacer)
