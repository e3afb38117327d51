"""The outbox's ways out: answers from a peer educator, sent later to the chat she asked in.

`build_senders(ctx)` gives one `bot.outbox.Sender` per channel kind; the outbox (bot/outbox.py)
calls `send(address, texts, idempotency_key=..., locale=...)` from a delivery job, in the
serving process (embedded default) or in `python -m bot worker`.

* Telegram: python-telegram-bot's ExtBot behind the same `FloodControl` rate limiter as the
  chat (one message a second to one chat, 30 a second overall, 429s waited out), the answer
  under a localized "Answer to your question X" header, then each attached item, the last
  message with the "Main menu" button. She blocked the bot (403) or the chat is gone: failed
  for good; a 429 beyond the limiter's patience or a network error: tried again later.
* SMS: each gateway's send API (Twilio's Messages API, Africa's Talking, Vonage), rendered by
  bot.channels.sms_render within SMS_MAX_SEGMENTS; what does not fit waits as MORE pages, as in
  the chat. A number that sent STOP gets nothing (`stopped()`).
* WhatsApp (Twilio's WhatsApp senders): a business may write freely only within 24 hours of her
  last message; later it needs a template approved by Meta. We keep no template, so outside
  the window the answer is not sent: failed("whatsapp_window", retry=False), shown on the thread.

Exactly once: before each message the sender checks "sent:<idempotency key>:<part>" in the
session store and sets it right after the gateway accepted, so a job run again after a crash
or a retry skips what already went out. Nothing here logs an address or a text.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ExtBot

from bot.addresses import Address
from bot.channels.gateway import Gateway, GatewayHttp, Inbound
from bot.channels.gateways import gateway_classes
from bot.channels.sms import PAGES_TTL, SMS_PREFIX, WHATSAPP_PREFIX
from bot.channels.sms_render import plan_sms
from bot.channels.telegram import LINK_LABEL, file_base_url, quiet_third_party_loggers
from bot.channels.telegram_flood import FloodControl
from bot.channels.telegram_render import render
from bot.conversation import Choice, Reply
from bot.i18n import N_
from bot.models import OptOut
from bot.outbox import DeliveryResult, Sender
from bot.payloads import Head

if TYPE_CHECKING:
    from bot.app import AppContext

log = logging.getLogger(__name__)

SENT_PREFIX = "sent:"
SENT_TTL = 14 * 86400  # longer than the outbox retries anything (OUTBOX_MAX_ATTEMPTS back-off)
ANSWER_HEADER = N_("Answer to your question {code}:")
MENU_LABEL = N_("Main menu")


def question_code(idempotency_key: str) -> str | None:
    """The question's code from an answer's key ("answer:<code>:<message id>")."""
    kind, _, rest = idempotency_key.partition(":")
    return rest.split(":", 1)[0] or None if kind == "answer" else None


def as_replies(ctx: AppContext, texts: list[str], locale: str | None, idempotency_key: str) -> list[Reply]:
    """The answer under its header, each attached item after it, the menu button on the last."""
    locale = locale or ctx.settings.default_locale
    t = ctx.catalogs.get(locale)
    texts = [text for text in texts if text and text.strip()] or [""]
    code = question_code(idempotency_key)
    if code:
        texts = [t.gettext(ANSWER_HEADER).format(code=code) + "\n\n" + texts[0], *texts[1:]]
    menu = (Choice(t.gettext(MENU_LABEL), Head.MENU),)
    return [Reply(text, locale, menu if n == len(texts) - 1 else ()) for n, text in enumerate(texts)]


class _OncePerKey:
    """Which parts of a message already went out, in the session store."""

    def __init__(self, ctx: AppContext) -> None:
        self._store = ctx.store

    async def done(self, key: str, part: int) -> bool:
        return await self._store.get(f"{SENT_PREFIX}{key}:{part}") is not None

    async def mark(self, key: str, part: int) -> None:
        await self._store.first_time(f"{SENT_PREFIX}{key}:{part}", SENT_TTL)


class TelegramSender:
    def __init__(self, ctx: AppContext) -> None:
        settings = ctx.settings
        quiet_third_party_loggers()
        self.ctx = ctx
        self.flood = FloodControl(settings.telegram_per_chat_interval)
        base = settings.telegram_api_base_url
        self.bot = ExtBot(settings.telegram_bot_token or "", base_url=base, base_file_url=file_base_url(base),
                          rate_limiter=self.flood)
        self._once = _OncePerKey(ctx)
        self._ready = asyncio.Lock()
        self._initialized = False

    async def _bot(self) -> ExtBot:
        async with self._ready:
            if not self._initialized:
                await self.bot.initialize()
                self._initialized = True
        return self.bot

    async def send(self, address: Address, texts: list[str], *, idempotency_key: str,
                   locale: str | None = None) -> DeliveryResult:
        if not address.chat_id:
            return DeliveryResult.failed("no_chat_id", retry=False)
        try:
            bot = await self._bot()
            part = 0
            for reply in as_replies(self.ctx, texts, locale, idempotency_key):
                label = self.ctx.catalogs.get(reply.locale).gettext(LINK_LABEL)
                for kwargs in render(reply, link_label=label):
                    if not await self._once.done(idempotency_key, part):
                        await bot.send_message(chat_id=address.chat_id, **kwargs)
                        await self._once.mark(idempotency_key, part)
                    part += 1
        except Forbidden:  # she blocked the bot or deleted the chat: nothing will get through
            return DeliveryResult.failed("telegram_forbidden", retry=False)
        except RetryAfter as exc:
            after = exc.retry_after
            return DeliveryResult.failed("telegram_429", retry_after=after.total_seconds()
                                         if hasattr(after, "total_seconds") else float(after))
        except BadRequest as exc:  # "chat not found" and the like: our request cannot succeed
            log.warning("telegram answer refused: %s", type(exc).__name__)
            return DeliveryResult.failed("telegram_bad_request", retry=False)
        except (NetworkError, TelegramError) as exc:
            return DeliveryResult.failed(f"telegram_{type(exc).__name__}")
        return DeliveryResult.sent()

    async def close(self) -> None:
        if self._initialized:
            self._initialized = False
            await self.bot.shutdown()


class SmsSender:
    """SMS (and Twilio WhatsApp) through the gateway she wrote to."""

    def __init__(self, ctx: AppContext, http: GatewayHttp, gateways: Mapping[str, Gateway]) -> None:
        self.ctx = ctx
        self.http = http
        self.gateways = gateways
        self._once = _OncePerKey(ctx)

    async def _opted_out(self, user_key: str) -> bool:
        async with self.ctx.sessionmaker() as session:
            return await session.get(OptOut, user_key) is not None

    async def send(self, address: Address, texts: list[str], *, idempotency_key: str,
                   locale: str | None = None) -> DeliveryResult:
        if not address.phone or not address.gateway:
            return DeliveryResult.failed("no_phone", retry=False)
        user_key = self.ctx.user_keys.key(address.channel, address.phone)
        if await self._opted_out(user_key):
            return DeliveryResult.stopped()
        if address.channel == "whatsapp" and await self.ctx.store.get(WHATSAPP_PREFIX + user_key) is None:
            return DeliveryResult.failed("whatsapp_window", retry=False)  # needs an approved template
        gateway = self.gateways.get(address.gateway)
        if gateway is None or not gateway.configured() or not gateway.can_send():
            return DeliveryResult.failed(f"{address.gateway}_not_configured")
        plan = plan_sms(as_replies(self.ctx, texts, locale, idempotency_key), self.ctx.catalogs.get,
                        self.ctx.settings.sms_max_segments)
        to = Inbound(gateway=address.gateway, channel=address.channel, sender=address.phone, text=None)
        for part, text in enumerate(plan.now):
            if await self._once.done(idempotency_key, part):
                continue
            if not await gateway.send(to, [text]):
                return DeliveryResult.failed(f"{address.gateway}_refused")
            await self._once.mark(idempotency_key, part)
        if plan.later:  # MORE continues the answer, as it continues a long reply in the chat
            await self.ctx.store.set(SMS_PREFIX + user_key, {"pages": plan.later}, PAGES_TTL)
        return DeliveryResult.sent()

    async def close(self) -> None:
        await self.http.close()


def build_senders(ctx: AppContext, transport: Any = None) -> Mapping[str, Sender]:
    """channel kind -> Sender: "sms" and "whatsapp" always (each gateway refuses until it is
    configured), "telegram" with a bot token. `transport` (httpx) is for tests."""
    http = GatewayHttp(ctx.settings.gateway_timeout_seconds, transport)
    gateways = {cls.name: cls(ctx.settings, http) for cls in gateway_classes()}
    sms = SmsSender(ctx, http, gateways)
    senders: dict[str, Sender] = {"sms": sms, "whatsapp": sms}
    if ctx.settings.telegram_bot_token:
        senders["telegram"] = TelegramSender(ctx)
    return senders


async def close_senders(senders: Mapping[str, Any]) -> None:
    for sender in {id(s): s for s in senders.values()}.values():
        close = getattr(sender, "close", None)
        if close is not None:
            try:
                await close()
            except Exception as exc:  # closing must not stop the shutdown
                log.warning("closing a sender failed: %s", type(exc).__name__)
