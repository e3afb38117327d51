"""SMS gateways: Twilio (and its WhatsApp numbers), Africa's Talking and Vonage.

Each gateway (bot/channels/gateways/: twilio, africastalking, vonage, against the interface
in bot/channels/gateway.py) only checks the gateway's signature or secret, parses its
request and sends the answer its way. Everything else is shared here, in `SmsCore`, which
runs the webhook skeleton once for all of them (configured? -> body within the limit ->
authenticate and parse -> seen before? -> parts assembled -> answer inline or in the
background), so every gateway behaves the same:

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
   The store mirrors the table: at start every opt-out row gets its entry, then the index
   mark is set (`index_opt_outs`); while the mark is there, no entry means no opt-out, so
   even her first message of the day reads nothing from the database. Without the mark (a
   Redis emptied under a running service) each woman's state is read from the database once
   a day, as before. A START racing that start-up copy can leave her opted out: the safe side.
4. MORE: a reply longer than SMS_MAX_SEGMENTS, and the full text of an item after its short
   SMS form, are kept as pages under "sms:" + user key (a namespace registered with
   bot.personal_data, so "delete my data" erases it) and sent one per MORE.
5. The engine turn, rendered by bot.channels.sms_render.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Coroutine
from enum import Enum
from typing import TYPE_CHECKING, Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import delete as sql_delete
from sqlalchemy import select

from bot import keywords
from bot.addresses import Address
from bot.channels.gateway import Gateway, GatewayHttp, Inbound, Malformed, Parts, Refused
from bot.channels.gateways import gateway_classes
from bot.channels.sms_render import gsm, keyword, plan_sms
from bot.conversation import Event
from bot.engine import SESSION_PREFIX
from bot.http_body import BodyTooLarge, read_body
from bot.models import OptOut
from bot.payloads import Head
from bot.sms_encoding import paginate

if TYPE_CHECKING:
    from bot.app import AppContext

log = logging.getLogger(__name__)

SMS_PREFIX = "sms:"  # MORE pages, registered with bot.personal_data
OPTOUT_PREFIX = "optout:"  # the store's copy of her opt-out state, registered too
OPTOUT_CACHE_TTL = 86400  # a reading of the database, when the store has no index mark
OPTOUT_INDEX = "optout-index"  # set once every opt-out row has its entry in the store
OPTOUT_KEEP = 10 * 365 * 86400  # an opt-out's entry lives as long as its row: no expiry in practice
SEEN_PREFIX = "smsid:"
WHATSAPP_PREFIX = "wa24:"  # she wrote on WhatsApp within 24 hours: we may still write to her
WHATSAPP_WINDOW = 24 * 3600 - 15 * 60  # WhatsApp's customer-service window, with a margin
IDEMPOTENCY_TTL = 2 * 86400  # longer than any gateway keeps retrying (Vonage: 24 hours)
PAGES_TTL = 86400
RESUME_WORDS = frozenset({"start", "unstop", "yes", "resume"})


class Claim(Enum):
    NEW = "new"
    BUSY = "busy"
    DONE = "done"


def reply_address(inbound: Inbound) -> Address | None:
    """Where an answer to "Ask a person" reaches her: lives only in the event."""
    try:
        return Address(inbound.channel, phone=inbound.phone, gateway=inbound.gateway)
    except ValueError:
        return None


def message_key(gateway: str, message_id: str) -> str:
    return SEEN_PREFIX + gateway + ":" + hashlib.sha256(message_id.encode()).hexdigest()[:32]


class Visit:
    """One incoming message's dealings with the store: what was read with the claim (her
    opt-out state, session and MORE pages) and what to write when the answer is ready."""

    def __init__(self, user_key: str) -> None:
        self.user_key = user_key
        self.known: dict[str, dict[str, Any] | None] = {}
        self.writes: list[tuple[str, dict[str, Any] | None, int]] = []

    def reads(self) -> tuple[str, ...]:
        return (OPTOUT_PREFIX + self.user_key, SESSION_PREFIX + self.user_key, SMS_PREFIX + self.user_key,
                OPTOUT_INDEX)


class SmsCore:
    """What every SMS gateway shares: the webhook skeleton, idempotency, opt-out, MORE paging
    and the engine turn."""

    def __init__(self, ctx: AppContext, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.ctx = ctx
        self.settings = ctx.settings
        self.store = ctx.store
        self.http = GatewayHttp(ctx.settings.gateway_timeout_seconds, transport)
        ctx.personal.register_prefix(SMS_PREFIX, "sms: MORE pages")
        ctx.personal.register_prefix(Parts.PREFIX, "sms: parts of long messages")
        ctx.personal.register_prefix(OPTOUT_PREFIX, "sms: opt-out state")
        ctx.personal.register_prefix(WHATSAPP_PREFIX, "whatsapp: 24-hour window")
        self._tasks: set[asyncio.Task] = set()

    # -- lifecycle --------------------------------------------------------------------

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
        await self.http.close()

    # -- the webhook, for every gateway ------------------------------------------------

    async def webhook(self, gateway: Gateway, request: Request) -> Response:
        if not gateway.configured() or not gateway.admits(request):
            return Response(status_code=403)
        try:
            body = await read_body(request, self.settings.max_body_bytes)
            inbound = await gateway.receive(request, body)
        except BodyTooLarge:
            return Response(status_code=413)
        except Refused:
            return Response(status_code=403)
        except Malformed:
            return Response(status_code=400)
        if inbound is None or not inbound.sender:
            return gateway.acknowledge([])  # nothing to answer (a delivery report)
        try:
            return await self._process(gateway, inbound)
        except Exception as exc:  # whatever failed, she gets an answer; the log gets its type only
            log.error("sms %s: answered from memory after %s", gateway.name, type(exc).__name__)
            return self._deliver(gateway, inbound, self._fallback(inbound))

    async def _process(self, gateway: Gateway, inbound: Inbound) -> Response:
        """Claim the message, answer it, and mark it done only once the answer is ready: a
        failed attempt releases the claim, so the gateway's retry is processed exactly once.

        Two store round trips on an ordinary message: the claim together with her opt-out
        state, session and MORE pages; then her new session, pages and the 'done' mark in one
        all-or-nothing write."""
        visit = Visit(self.user_key(inbound))
        claim = await self._claim(gateway.name, inbound.message_id, visit)
        if claim is not Claim.NEW:
            return gateway.acknowledge([]) if claim is Claim.DONE else gateway.busy()
        try:
            whole = await gateway.assemble(inbound, Parts(self.store, visit.user_key))
            texts = [] if whole is None else await self.respond(
                whole, gateway_confirms_stop=gateway.confirms_stop(whole), visit=visit)
        except BaseException:
            await self.release(gateway.name, inbound.message_id)
            raise
        if inbound.message_id:
            visit.writes.append((message_key(gateway.name, inbound.message_id), {"done": 1}, IDEMPOTENCY_TTL))
        await self.store.write(visit.writes)
        return self._deliver(gateway, inbound, texts)

    def _deliver(self, gateway: Gateway, inbound: Inbound, texts: list[str]) -> Response:
        """Texts in the webhook's response (TwiML), or through the gateway's API afterwards."""
        if gateway.answers_inline:
            return gateway.acknowledge(texts)
        if texts:
            self.spawn(gateway.send(inbound, texts))
        return gateway.acknowledge([])

    def _fallback(self, inbound: Inbound) -> list[str]:
        """From memory: emergency numbers for an emergency word, else a short 'try again'."""
        reply = self.ctx.fallback.reply(inbound.text, country=inbound.country)
        return plan_sms([reply], self.ctx.catalogs.get, self.settings.sms_max_segments).now

    # -- exactly once ------------------------------------------------------------------

    async def claim(self, gateway: str, message_id: str | None) -> Claim:
        """NEW: ours to process; BUSY: another attempt is processing it; DONE: answered."""
        return await self._claim(gateway, message_id, None)

    async def _claim(self, gateway: str, message_id: str | None, visit: Visit | None) -> Claim:
        """The claim, and with it (same round trip) what the turn reads about her."""
        key = message_key(gateway, message_id) if message_id else None
        reads = visit.reads() if visit is not None else ()
        claimed, values = await self.store.claim_and_get(key, self.settings.sms_claim_seconds, *reads)
        if visit is not None:
            visit.known = dict(zip(reads, values, strict=True))
        if claimed or key is None:
            return Claim.NEW
        return Claim.DONE if isinstance(await self.store.get(key), dict) else Claim.BUSY

    async def done(self, gateway: str, message_id: str | None) -> None:
        if message_id:
            await self.store.set(message_key(gateway, message_id), {"done": 1}, IDEMPOTENCY_TTL)

    async def release(self, gateway: str, message_id: str | None) -> None:
        """Let the gateway's retry in; best effort (the store may be what failed)."""
        if message_id:
            try:
                await self.store.delete(message_key(gateway, message_id))
            except Exception as exc:
                log.warning("sms %s: could not release a claim (%s); it expires by itself", gateway, type(exc).__name__)

    # -- shared steps -----------------------------------------------------------------

    def user_key(self, inbound: Inbound) -> str:
        return self.ctx.user_keys.key(inbound.channel, inbound.phone)

    async def index_opt_outs(self) -> None:
        """Every opt-out row into the store, then the index mark (once per store: a second
        process finds the mark). Best effort: without it, states are read from the database."""
        try:
            if await self.store.get(OPTOUT_INDEX) is not None:
                return
            async with self.ctx.sessionmaker() as session:
                keys = list(await session.scalars(select(OptOut.user_key)))
            for start in range(0, len(keys), 1000):
                await self.store.write([(OPTOUT_PREFIX + k, {"stopped": True}, OPTOUT_KEEP)
                                        for k in keys[start:start + 1000]])
            await self.store.set(OPTOUT_INDEX, {"rows": len(keys)}, OPTOUT_KEEP)
            log.info("sms: %d opt-outs copied to the store", len(keys))
        except Exception as exc:
            log.warning("sms: opt-outs not copied to the store (%s); read from the database instead",
                        type(exc).__name__)

    async def is_opted_out(self, visit: Visit) -> bool:
        """From what the visit read with the claim: her entry, or none while the index mark
        is set. Only without the mark is the database read (and its answer kept for a day)."""
        key = OPTOUT_PREFIX + visit.user_key
        cached = visit.known.get(key)
        if isinstance(cached, dict):
            return bool(cached.get("stopped"))
        if visit.known.get(OPTOUT_INDEX) is not None:
            return False
        async with self.ctx.sessionmaker() as session:
            stopped = await session.get(OptOut, visit.user_key) is not None
        # written now, not with the visit's writes: a STOP or START of hers processed meanwhile
        # must not be overwritten by this older reading
        await self.store.set(key, {"stopped": stopped}, OPTOUT_CACHE_TTL)
        return stopped

    async def opt_out(self, user_key: str) -> None:
        async with self.ctx.sessionmaker() as session:
            if await session.get(OptOut, user_key) is None:
                session.add(OptOut(user_key=user_key))
                try:
                    await session.commit()
                except Exception:  # a concurrent STOP won the insert: same outcome
                    await session.rollback()
        await self.store.set(OPTOUT_PREFIX + user_key, {"stopped": True}, OPTOUT_KEEP)

    async def opt_in(self, user_key: str) -> None:
        async with self.ctx.sessionmaker() as session:
            await session.execute(sql_delete(OptOut).where(OptOut.user_key == user_key))
            await session.commit()
        await self.store.set(OPTOUT_PREFIX + user_key, {"stopped": False}, OPTOUT_CACHE_TTL)

    async def _locale(self, user_key: str, fallback: str | None = None) -> str:
        return await self.ctx.engine.locale_of(user_key) or fallback or self.settings.default_locale

    def _short_text(self, text: str) -> list[str]:
        """A channel message of our own (opt-out, nothing more), within the budget."""
        return [paginate(gsm(text), self.settings.sms_max_segments)[0]]

    # -- one incoming message ---------------------------------------------------------

    async def respond(self, inbound: Inbound, *, gateway_confirms_stop: bool = False,
                      visit: Visit | None = None) -> list[str]:
        """The SMS texts to send back to one incoming message (possibly none). With a `visit`,
        what it has read is used and what is to be written is added to it; without, the
        store is read and written here."""
        if visit is None:
            visit = Visit(self.user_key(inbound))
            _, values = await self.store.claim_and_get(None, 0, *visit.reads())
            visit.known = dict(zip(visit.reads(), values, strict=True))
            texts = await self.respond(inbound, gateway_confirms_stop=gateway_confirms_stop, visit=visit)
            await self.store.write(visit.writes)
            return texts
        user_key = visit.user_key
        text = (inbound.text or "").strip()
        stop_locale = keywords.match("stop", text) if text else None
        if stop_locale:
            return await self._stop(inbound, user_key, stop_locale, gateway_confirms_stop)
        if inbound.channel == "whatsapp":
            visit.writes.append((WHATSAPP_PREFIX + user_key, {"open": True}, WHATSAPP_WINDOW))
        event_id = self.ctx.user_keys.key("event", f"{inbound.gateway}:{inbound.message_id}") if inbound.message_id else None
        # her SIM's country is looked up on her first message only: it cannot change for one
        # number, and libphonenumber's lookup is not cheap (a number in no region's plan is
        # checked against every region sharing its country code)
        first = visit.known.get(self.ctx.engine.session_key(user_key)) is None
        country_hint = inbound.country if first else None
        event = Event(inbound.channel, user_key, text=inbound.text, unsupported=inbound.unsupported,
                      country_hint=country_hint, event_id=event_id, reply_to=reply_address(inbound))
        if await self.is_opted_out(visit):
            folded = " ".join(text.casefold().split())
            if folded in RESUME_WORDS or keywords.match("menu", text):
                await self.opt_in(user_key)
                log.info("sms opt-in on %s", inbound.gateway)
                event = Event(inbound.channel, user_key, payload=Head.START, event_id=event_id)
            elif not (text and keywords.emergency(text)):
                return []  # emergency contacts are answered even after STOP; nothing else is
        elif text and keywords.match("more", text):
            return await self._more(visit)
        return await self._turn(event, visit)

    async def _stop(self, inbound: Inbound, user_key: str, stop_locale: str, gateway_confirms: bool) -> list[str]:
        await self.opt_out(user_key)
        await self.store.delete(SMS_PREFIX + user_key, WHATSAPP_PREFIX + user_key)
        inbox = getattr(self.ctx, "inbox", None)
        if inbox is not None:  # no answer is sent to her any more; her stored address goes
            await inbox.asking.stopped(user_key)
        log.info("sms opt-out recorded on %s", inbound.gateway)
        if gateway_confirms:
            return []
        locale = await self._locale(user_key, stop_locale)
        t = self.ctx.catalogs.get(locale)
        message = t.gettext("You will get no more messages from us. To start again, send {start}.").format(
            start=keyword("menu", locale) if locale != "en" else "START")
        return self._short_text(message)

    async def _more(self, visit: Visit) -> list[str]:
        key = SMS_PREFIX + visit.user_key
        pages = list((visit.known.get(key) or {}).get("pages") or [])
        if not pages:
            session = visit.known.get(self.ctx.engine.session_key(visit.user_key)) or {}
            t = self.ctx.catalogs.get(session.get("locale") or self.settings.default_locale)
            return self._short_text(t.gettext("There is nothing more to read. Reply 0 for the menu."))
        page, rest = pages[0], pages[1:]
        visit.writes.append((key, {"pages": rest} if rest else None, PAGES_TTL))
        return [page]

    async def _turn(self, event: Event, visit: Visit) -> list[str]:
        result = await self.ctx.engine.handle(
            event, session_data=visit.known.get(self.ctx.engine.session_key(visit.user_key)), writes=visit.writes)
        if result.forgotten:  # she just deleted her data: nothing queued may write it back
            visit.writes.clear()
        if not result.replies:
            return []
        plan = plan_sms(result.replies, self.ctx.catalogs.get, self.settings.sms_max_segments)
        # nothing to page, or she just deleted her data: keep nothing under her key
        keep = plan.later and not result.forgotten
        visit.writes.append((SMS_PREFIX + event.user_key, {"pages": plan.later} if keep else None, PAGES_TTL))
        return plan.now


class SmsChannel:
    """The SMS channel `python -m bot serve` mounts: every gateway of bot/channels/gateways on one core."""

    def __init__(self, ctx: AppContext, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.ctx = ctx
        self.core = SmsCore(ctx, transport)
        self.gateways = {cls.name: cls(ctx.settings, self.core.http) for cls in gateway_classes()}
        self.router = APIRouter()
        for gateway in self.gateways.values():
            self._mount(gateway)

    def _mount(self, gateway: Gateway) -> None:
        for path in gateway.paths:
            self._route(gateway, path)

    def _route(self, gateway: Gateway, path: str) -> None:
        """A plain route: the webhook reads its own body and answers its own Response, so
        FastAPI's parameter solving would only cost time on every message."""
        async def webhook(request: Request) -> Response:
            # the route template the metrics label by (FastAPI sets it for its own routes only)
            request.scope["route"] = route
            return await self.core.webhook(gateway, request)

        webhook.__name__ = f"{gateway.name}_webhook"
        self.router.add_route(path, webhook, methods=list(gateway.methods), include_in_schema=False)
        route = self.router.routes[-1]

    async def start(self) -> None:
        await self.core.index_opt_outs()

    async def stop(self) -> None:
        await self.core.close()

    async def drain(self) -> None:
        await self.core.drain()
