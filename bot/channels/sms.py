"""SMS gateways: Twilio (and its WhatsApp numbers), Africa's Talking and Vonage.

Each gateway module (twilio.py, africastalking.py, vonage.py) only checks the gateway's
signature or secret, parses its request and sends the answer its way. Everything else is
shared here, in `SmsCore`, so every gateway behaves the same:

1. Idempotency: gateways resend on timeouts; a message id seen in the last 48 hours is
   acknowledged and not answered again (`seen_before`).
2. Privacy: the sender's number is normalised to E.164 (phonenumbers) and at once turned
   into the keyed hash `ctx.user_keys.key(channel, number)`. Neither the number nor the
   message text is stored or logged; logs name the gateway and a hash prefix at most.
3. Opt-out (carrier norms, as Twilio, Africa's Talking and Vonage apply them): STOP and its
   equivalents in every shipped language record an `OptOut` row by user key and get one
   confirmation (except on Twilio SMS, whose Advanced Opt-Out sends its own and blocks ours).
   After that we send nothing, with two exceptions: START (or UNSTOP, or a MENU word) opts back
   in and shows the menu, and an emergency word (HELP, AYUDA, ...) still gets the emergency
   contacts, because this is a safety service and carriers require HELP to be answered.
4. MORE: a reply longer than SMS_MAX_SEGMENTS, and the full text of an item after its short
   SMS form, are kept as pages under "sms:" + user key (a namespace the engine's `forget`
   erases) and sent one per MORE.
5. The engine turn, rendered by bot.channels.sms_render.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import re
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import httpx
import phonenumbers
from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import delete as sql_delete

from bot import keywords
from bot.channels.sms_render import gsm, keyword, plan_sms
from bot.conversation import Event
from bot.models import OptOut
from bot.sms_encoding import paginate

log = logging.getLogger(__name__)

SMS_PREFIX = "sms:"  # one of bot.engine.USER_NAMESPACES: erased by "delete my data"
SEEN_PREFIX = "smsid:"
IDEMPOTENCY_TTL = 2 * 86400  # longer than any gateway keeps retrying (Vonage: 24 hours)
PAGES_TTL = 86400
RESUME_WORDS = frozenset({"start", "unstop", "yes", "resume"})


class BodyTooLarge(Exception):
    pass


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refused past MAX_BODY_BYTES (SMS webhooks are a few hundred bytes)."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit:
        raise BodyTooLarge
    body = await request.body()
    if len(body) > limit:
        raise BodyTooLarge
    return body


def forbidden() -> Response:
    return Response(status_code=403)


def too_large() -> Response:
    return Response(status_code=413)


def normalise_phone(raw: str) -> str:
    """E.164 for anything that parses as an international number, so '+44 7700 900000',
    '447700900000' and 'whatsapp:+447700900000' are one person; short codes and sender names
    are kept as their digits or text."""
    raw = (raw or "").strip()
    for prefix in ("whatsapp:", "sms:", "tel:"):
        if raw.lower().startswith(prefix):
            raw = raw[len(prefix):]
    digits = re.sub(r"\D", "", raw)
    if digits:
        try:
            number = phonenumbers.parse("+" + digits, None)
            if phonenumbers.is_possible_number(number):
                return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        except phonenumbers.NumberParseException:
            pass
        return digits
    return raw.casefold()


def message_key(gateway: str, message_id: str) -> str:
    return SEEN_PREFIX + gateway + ":" + hashlib.sha256(message_id.encode()).hexdigest()[:32]


@dataclass
class Inbound:
    """One incoming SMS, as every gateway parses it. Lives only for one request or task."""

    gateway: str  # twilio | africastalking | vonage
    channel: str  # sms | whatsapp
    sender: str  # her number: never stored, never logged
    text: str | None
    recipient: str | None = None  # our number or short code she wrote to
    message_id: str | None = None
    unsupported: str | None = None
    extra: dict[str, str] = field(default_factory=dict)  # linkId...

    @property
    def phone(self) -> str:
        return normalise_phone(self.sender)


class SmsCore:
    """What every SMS gateway shares: idempotency, opt-out, MORE paging and the engine turn."""

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        self.settings = ctx.settings
        self.store = ctx.store
        self._tasks: set[asyncio.Task] = set()
        self._client: httpx.AsyncClient | None = None
        # outbound retries: attempts and the first back-off (doubles each time, with jitter)
        self.max_attempts = 4
        self.retry_base_delay = 0.5

    # -- lifecycle --------------------------------------------------------------------

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.settings.gateway_timeout_seconds)
        return self._client

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run after the webhook has been acknowledged; errors are logged, never raised."""
        task = asyncio.get_running_loop().create_task(self._guarded(coro))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _guarded(coro: Awaitable[Any]) -> None:
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the exception text could hold a number: log its type only
            log.error("sms background task failed: %s", type(exc).__name__)

    async def drain(self, timeout: float | None = None) -> None:
        """Wait for every background reply (tests, shutdown)."""
        while self._tasks:
            done, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
            if pending and timeout is not None:
                return

    async def close(self) -> None:
        await self.drain(timeout=self.settings.gateway_timeout_seconds)
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # -- shared steps -----------------------------------------------------------------

    async def seen_before(self, gateway: str, message_id: str | None) -> bool:
        """True for a gateway's retry of a message we already took."""
        if not message_id:
            return False
        return not await self.store.first_time(message_key(gateway, message_id), IDEMPOTENCY_TTL)

    def user_key(self, inbound: Inbound) -> str:
        return self.ctx.user_keys.key(inbound.channel, inbound.phone)

    async def is_opted_out(self, user_key: str) -> bool:
        async with self.ctx.sessionmaker() as session:
            return await session.get(OptOut, user_key) is not None

    async def opt_out(self, user_key: str) -> None:
        async with self.ctx.sessionmaker() as session:
            if await session.get(OptOut, user_key) is None:
                session.add(OptOut(user_key=user_key))
                try:
                    await session.commit()
                except Exception:  # a concurrent STOP won the insert: same outcome
                    await session.rollback()

    async def opt_in(self, user_key: str) -> None:
        async with self.ctx.sessionmaker() as session:
            await session.execute(sql_delete(OptOut).where(OptOut.user_key == user_key))
            await session.commit()

    async def _locale(self, user_key: str, fallback: str | None = None) -> str:
        session = await self.store.get("s:" + user_key)
        return (session or {}).get("locale") or fallback or self.settings.default_locale

    def _short_text(self, text: str, locale: str) -> list[str]:
        """A channel message of our own (opt-out, nothing more), within the budget."""
        return [paginate(gsm(text), self.settings.sms_max_segments)[0]]

    # -- one incoming message ---------------------------------------------------------

    async def respond(self, inbound: Inbound, *, gateway_confirms_stop: bool = False) -> list[str]:
        """The SMS texts to send back to one incoming message (possibly none)."""
        user_key = self.user_key(inbound)
        text = (inbound.text or "").strip()
        stop_locale = keywords.match("stop", text) if text else None
        if stop_locale:
            await self.opt_out(user_key)
            await self.store.delete(SMS_PREFIX + user_key)
            log.info("sms opt-out recorded on %s", inbound.gateway)
            if gateway_confirms_stop:
                return []
            locale = await self._locale(user_key, stop_locale)
            t = self.ctx.catalogs.get(locale)
            message = t.gettext("You will get no more messages from us. To start again, send {start}.").format(
                start=keyword("menu", locale) if locale != "en" else "START")
            return self._short_text(message, locale)
        event = Event(inbound.channel, user_key, text=inbound.text, unsupported=inbound.unsupported)
        if await self.is_opted_out(user_key):
            folded = " ".join(text.casefold().split())
            if folded in RESUME_WORDS or keywords.match("menu", text):
                await self.opt_in(user_key)
                log.info("sms opt-in on %s", inbound.gateway)
                event = Event(inbound.channel, user_key, payload="start")
            elif text and keywords.emergency(text):
                pass  # emergency contacts are answered even after STOP
            else:
                return []
        elif text and keywords.match("more", text):
            return await self._more(user_key)
        return await self._turn(event)

    async def _more(self, user_key: str) -> list[str]:
        state = await self.store.get(SMS_PREFIX + user_key) or {}
        pages = list(state.get("pages") or [])
        if not pages:
            locale = await self._locale(user_key)
            t = self.ctx.catalogs.get(locale)
            return self._short_text(t.gettext("There is nothing more to read. Reply 0 for the menu."), locale)
        page, rest = pages[0], pages[1:]
        if rest:
            await self.store.set(SMS_PREFIX + user_key, {"pages": rest}, PAGES_TTL)
        else:
            await self.store.delete(SMS_PREFIX + user_key)
        return [page]

    async def _turn(self, event: Event) -> list[str]:
        replies = await self.ctx.engine.handle(event)
        if not replies:
            return []
        plan = plan_sms(replies, self.ctx.catalogs.get, self.settings.sms_max_segments)
        key = SMS_PREFIX + event.user_key
        if plan.later and await self.store.get("s:" + event.user_key) is not None:
            await self.store.set(key, {"pages": plan.later}, PAGES_TTL)
        else:
            # nothing to page, or she just deleted her data: keep nothing under her key
            await self.store.delete(key)
        return plan.now

    # -- outbound HTTP ----------------------------------------------------------------

    async def post_with_retry(self, gateway: str, url: str, *, data: dict[str, str],
                              headers: dict[str, str] | None = None,
                              retry_on: Callable[[httpx.Response], bool] | None = None) -> bool:
        """POST a form to a gateway's API, retrying with exponential back-off on timeouts,
        connection errors, 429 and 5xx (and whatever `retry_on` adds). True once accepted."""
        for attempt in range(1, self.max_attempts + 1):
            retry = False
            try:
                response = await self.client.post(url, data=data, headers=headers or {})
            except httpx.TransportError as exc:  # timeouts included
                log.warning("%s API attempt %d: %s", gateway, attempt, type(exc).__name__)
                retry = True
            else:
                if response.status_code >= 500 or response.status_code == 429:
                    log.warning("%s API attempt %d: HTTP %d", gateway, attempt, response.status_code)
                    retry = True
                elif response.status_code >= 400:
                    log.error("%s API refused the message: HTTP %d", gateway, response.status_code)
                    return False
                elif retry_on is not None and retry_on(response):
                    log.warning("%s API attempt %d: asked to retry", gateway, attempt)
                    retry = True
                else:
                    return True
            if retry and attempt < self.max_attempts:
                delay = self.retry_base_delay * (2 ** (attempt - 1))
                await asyncio.sleep(delay * (1 + random.random() / 4))
        log.error("%s API: giving up after %d attempts", gateway, self.max_attempts)
        return False


class SmsChannel:
    """The SMS channel `python -m bot serve` mounts: the three gateways on one core."""

    def __init__(self, ctx: Any) -> None:
        from bot.channels import africastalking, twilio, vonage

        self.ctx = ctx
        self.core = SmsCore(ctx)
        self.router = APIRouter()
        self.router.include_router(twilio.make_router(self.core))
        self.router.include_router(africastalking.make_router(self.core))
        self.router.include_router(vonage.make_router(self.core))

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        await self.core.close()

    async def drain(self) -> None:
        await self.core.drain()
