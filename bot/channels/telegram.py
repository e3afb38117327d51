"""Telegram, on python-telegram-bot (v22): long polling by default, a webhook when configured.

(A little over 400 lines: the handlers of every kind of update stay together with the wiring
that routes them; sending limits and update ordering live in telegram_flood / telegram_updates.)

How an update travels:

1. In: `getUpdates` long polling (TELEGRAM_BOT_TOKEN set, no TELEGRAM_WEBHOOK_URL), or
   `POST /telegram/webhook` (TELEGRAM_WEBHOOK_URL set). The webhook compares the
   `X-Telegram-Bot-Api-Secret-Token` header with the secret in constant time before it
   reads the body; anything else gets 403 and nothing is processed.
   Exactly once: Telegram is told an update is done only after she was answered. The webhook
   answers 200 after the turn (a process killed mid-turn drops the connection, so Telegram
   sends the update again); polling confirms an update's offset only after its turn
   (bot.channels.telegram_polling, not PTB's Updater, which confirms on fetch). A turn that
   fails still answers her (the fallback, from memory) and counts as done; the update id is
   marked done in the store only after a turn went through, so a redelivery after a kill is
   handled, and one after success is not.
2. `PerChatUpdates` runs updates of different chats concurrently and updates of one chat
   in order, so two quick taps cannot race on one session.
3. Handlers, wired in `_wire` only: group chats, supergroups and channels are dropped before
   anything is stored; then each `update_id` is claimed once in the session store (Telegram
   redelivers after errors and timeouts); then one handler per user action turns the update
   into an `Event` keyed by `ctx.user_keys.key("telegram", chat_id)` and sends the engine's
   replies, rendered by bot.channels.telegram_render.
4. Out: `FloodControl` (the bot's rate limiter) spaces messages to one chat at least
   TELEGRAM_PER_CHAT_INTERVAL apart and all messages at 30 a second, waits out a 429's
   retry_after and tries again (never dropping the message), and retries 5xx and network
   errors with exponential back-off.

Decisions:
* Edited messages get a short note ("send it again as a new message") with the menu: acting
  on an edit would run a command twice, and silence looks broken.
* Non-text messages (stickers, photos, voice notes, locations, contacts, ...) get the
  engine's "I can only read text" reply in her language; captions are not read.
* Pressed buttons are always acknowledged (answerCallbackQuery) first; a navigation reply
  (`Reply.replaces_menu`) edits the message whose button was pressed instead of adding one.
* Privacy: the chat id lives only in the update being handled and, for the per-chat
  pacing, in memory for about a second; the store sees the keyed hash and the update id.
  No message text, chat id or name is logged: logs carry the first 12 characters of the
  keyed hash at most. python-telegram-bot's debug log (request parameters) and httpx's
  (the token is in the URL) are held at INFO/WARNING.
* The webhook is not deleted on stop: with several instances or a rolling restart, another
  process still serves it, and Telegram keeps updates while none does.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import random
import traceback
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.responses import Response
from telegram import BotCommand, Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, NetworkError, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.addresses import Address
from bot.channels.telegram_flood import make_flood_control
from bot.channels.telegram_polling import ConfirmingPoller
from bot.channels.telegram_render import render
from bot.channels.telegram_updates import PerChatUpdates
from bot.commands import COMMANDS
from bot.conversation import Event, Reply
from bot.http_body import BodyTooLarge, read_body
from bot.i18n import N_
from bot.locks import Leader, make_lease
from bot.payloads import Head

if TYPE_CHECKING:
    from bot.app import AppContext

log = logging.getLogger(__name__)

CHANNEL = "telegram"
WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
UPDATE_PREFIX = "tgu:"  # + bot id + update id: claimed once
UPDATE_TTL = 2 * 86400  # Telegram keeps an undelivered update for 24 hours
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
POLL_TIMEOUT = 25  # seconds a getUpdates long poll may hang

LINK_LABEL = N_("Open the source")
EDITED_NOTE = N_("I only read new messages, not edited ones. Please send it again as a new message, or choose from the menu.")

# what a person can send that is not text, in the order they are checked
NON_TEXT_KINDS = ("sticker", "animation", "photo", "voice", "video_note", "video", "audio",
                  "document", "venue", "location", "contact", "poll", "dice", "game", "story",
                  "invoice", "paid_media", "checklist", "passport_data")


def quiet_third_party_loggers() -> None:
    """PTB logs request parameters (chat ids, texts) at DEBUG; httpx logs URLs with the token."""
    for name, level in (("telegram", logging.INFO), ("httpx", logging.WARNING), ("httpcore", logging.WARNING)):
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < level or logger.level == logging.NOTSET:
            logger.setLevel(level)


def webhook_secret(ctx: AppContext) -> str:
    """TELEGRAM_WEBHOOK_SECRET, else one derived from the user-key secret and the token: the
    same in every process of a deployment, unguessable without both, in Telegram's alphabet."""
    settings = ctx.settings
    if settings.telegram_webhook_secret:
        return settings.telegram_webhook_secret
    return ctx.user_keys.key("telegram-webhook-secret", settings.telegram_bot_token or "")


def file_base_url(base_url: str) -> str:
    """https://api.telegram.org/bot -> https://api.telegram.org/file/bot, likewise for a local server."""
    return base_url[: -len("/bot")] + "/file/bot" if base_url.endswith("/bot") else base_url


# -- the channel ---------------------------------------------------------------------------------

class TelegramChannel:
    """The Telegram edge of `python -m bot serve`: `start()`, `stop()` and the webhook `router`."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.settings = ctx.settings
        if not self.settings.telegram_bot_token:
            raise ValueError("TelegramChannel needs TELEGRAM_BOT_TOKEN")
        quiet_third_party_loggers()  # before the Bot exists: it logs its URL, token included
        self.webhook_mode = bool(self.settings.telegram_webhook_url)
        self.secret = webhook_secret(ctx) if self.webhook_mode else None
        self.stats: Counter[str] = Counter()
        self._tick = asyncio.Event()
        self._recent: deque[int] = deque(maxlen=1024)  # update ids lately handled
        self._done = 0
        self._started = False
        self._retry_start: asyncio.Task | None = None
        self._unanswered: set[int] = set()  # update ids whose fallback answer failed too
        self.flood = make_flood_control(ctx)
        self.application = self._build()
        self.polling = ConfirmingPoller(self.application.bot, self.handle, timeout=POLL_TIMEOUT,
                                        allowed_updates=ALLOWED_UPDATES)
        # long polling with Redis (several processes): only the holder of this lease polls;
        # every process still sends (answers, the outbox) through the same global limits
        self.poller: Leader | None = None
        if not self.webhook_mode and getattr(ctx, "redis", None) is not None:
            lease = make_lease(ctx.redis, "telegram-poller", self.settings.lock_ttl_seconds,
                               prefix=getattr(ctx.store, "prefix", "smb:"))
            self.poller = Leader(lease, self.polling.start, self.polling.stop)
        self._wire(self.application)
        self.router = APIRouter()
        self.router.add_api_route(WEBHOOK_PATH, self.webhook, methods=["POST"], include_in_schema=False)

    def _build(self) -> Application:
        base = self.settings.telegram_api_base_url
        builder = (Application.builder()
                   .token(self.settings.telegram_bot_token)
                   .base_url(base)
                   .base_file_url(file_base_url(base))
                   .rate_limiter(self.flood)
                   .concurrent_updates(PerChatUpdates(on_done=self._update_done))
                   .job_queue(None)
                   .connection_pool_size(64)
                   .pool_timeout(10.0)
                   .get_updates_read_timeout(POLL_TIMEOUT + 10)
                   .updater(None))  # polling is ConfirmingPoller's
        return builder.build()

    def _wire(self, app: Application) -> None:
        """Every handler, in one place. Negative groups run first and can stop an update."""
        only_new = filters.UpdateType.MESSAGE  # an edited "/delete" is not a second command
        app.add_handler(TypeHandler(Update, self.only_private_chats), group=-2)
        app.add_handler(TypeHandler(Update, self.only_once), group=-1)
        for command in COMMANDS:
            app.add_handler(CommandHandler(command.name, self.on_command(command.head), filters=only_new))
        app.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT, self.on_text))
        app.add_handler(CallbackQueryHandler(self.on_button))
        app.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE, self.on_edited))
        app.add_handler(MessageHandler(filters.UpdateType.MESSAGE & ~filters.StatusUpdate.ALL, self.on_non_text))
        app.add_error_handler(self.on_error)

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect; if Telegram cannot be reached now, keep trying in the background so the
        rest of the service (SMS, admin API) runs meanwhile."""
        quiet_third_party_loggers()
        try:
            await self._connect()
        except (NetworkError, TelegramError) as exc:
            if isinstance(exc, BadRequest) or not isinstance(exc, NetworkError):
                raise  # a wrong token or webhook URL: fail loudly at start-up
            log.error("telegram: cannot reach the Bot API (%s); retrying in the background", type(exc).__name__)
            self._retry_start = asyncio.create_task(self._connect_later())

    async def _connect(self) -> None:
        app = self.application
        if not app._initialized:  # noqa: SLF001 (PTB has no public flag)
            await app.initialize()  # getMe
        await self.set_commands()
        if self.webhook_mode:
            await app.bot.set_webhook(self.settings.telegram_webhook_url, secret_token=self.secret,
                                      allowed_updates=ALLOWED_UPDATES, max_connections=40)
        else:
            await app.bot.delete_webhook()  # getUpdates is refused while a webhook is set
            if self.poller is None:
                await self.polling.start()
        await app.start()
        if self.poller is not None:  # several processes: only the lease holder polls
            await self.poller.start()
        self._started = True
        log.info("telegram: running in %s mode", "webhook" if self.webhook_mode else "polling")

    async def _connect_later(self) -> None:
        delay = 1.0
        while not self._started:
            await asyncio.sleep(delay * (0.5 + random.random() / 2))
            delay = min(delay * 2, 60.0)
            try:
                await self._connect()
            except NetworkError as exc:
                log.error("telegram: still cannot reach the Bot API (%s)", type(exc).__name__)
            except Exception:
                log.exception("telegram: start-up failed")
                return

    async def stop(self) -> None:
        if self._retry_start is not None:
            self._retry_start.cancel()
            self._retry_start = None
        app = self.application
        if self.poller is not None:
            await self.poller.stop()
        await self.polling.stop()
        if app.running:
            await app.stop()
        if app._initialized:  # noqa: SLF001
            await app.shutdown()
        self._started = False

    async def set_commands(self) -> None:
        """/start /menu /language /help /delete, described in every shipped language; the
        default list (no language_code) is English for everyone else."""
        async def one(locale: str | None) -> None:
            t = self.ctx.catalogs.get(locale or "en")
            commands = [BotCommand(c.name, t.gettext(c.description)[:256]) for c in COMMANDS]
            await self.application.bot.set_my_commands(commands, language_code=locale)
        await asyncio.gather(one(None), *(one(loc) for loc in self.ctx.catalogs.locales))

    # -- webhook ---------------------------------------------------------------------------

    async def webhook(self, request: Request) -> Response:
        """Telegram's POST: the secret first (constant time), then the turn; 200 once she was
        answered, 503 when nothing could be sent (Telegram sends the update again later)."""
        if not self.webhook_mode or self.secret is None:
            return Response(status_code=404)
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode("utf-8", "replace"), self.secret.encode()):
            self.stats["forbidden"] += 1
            return Response(status_code=403)
        if not self.application.running:
            return Response(status_code=503)  # Telegram tries again later
        try:
            body = await read_body(request, self.settings.max_body_bytes)
        except BodyTooLarge:
            return Response(status_code=413)
        try:
            data = json.loads(body)
            update = Update.de_json(data, self.application.bot) if isinstance(data, dict) else None
        except (ValueError, TypeError, KeyError):
            update = None
        if update is None:
            return Response(status_code=400)
        return Response(status_code=200 if await self.handle(update) else 503)

    async def handle(self, update: Update) -> bool:
        """One update through the handlers, in its chat's order (PerChatUpdates). True once
        she was answered: by the turn, or by the fallback when the turn failed."""
        app = self.application
        await app.update_processor.process_update(update, app.process_update(update))
        if update.update_id in self._unanswered:
            self._unanswered.discard(update.update_id)
            return False
        return True

    # -- progress (tests, benchmark) ---------------------------------------------------------

    def _update_done(self, update: object) -> None:
        self._done += 1
        self.stats["updates"] += 1
        if isinstance(update, Update):
            self._recent.append(update.update_id)  # ids only: nothing about who sent what
        self._tick.set()

    @property
    def updates_done(self) -> int:
        return self._done

    async def wait_updates(self, n: int, timeout: float = 10.0) -> None:
        """Wait until n updates in all have been handled (processed or dropped)."""
        async def enough() -> None:
            while self._done < n:
                self._tick.clear()
                await self._tick.wait()
        await asyncio.wait_for(enough(), timeout)

    async def wait_update(self, update_id: int, timeout: float = 10.0) -> None:
        """Wait until the update with this id has been handled (processed or dropped)."""
        async def handled() -> None:
            while update_id not in self._recent:
                self._tick.clear()
                await self._tick.wait()
        await asyncio.wait_for(handled(), timeout)

    # -- gatekeepers -----------------------------------------------------------------------

    async def only_private_chats(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Groups, supergroups and channels: ignored entirely, nothing stored, nothing sent."""
        chat = update.effective_chat
        if chat is None or chat.type != ChatType.PRIVATE:
            self.stats["ignored"] += 1
            raise ApplicationHandlerStop

    async def only_once(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Telegram redelivers after errors and timeouts: an update_id marked done (after its
        answer went out, in `_turn`) is not handled again; a failed one is."""
        if isinstance(await self.ctx.store.get(self._update_key(context, update)), dict):
            self.stats["duplicates"] += 1
            raise ApplicationHandlerStop

    @staticmethod
    def _update_key(context: ContextTypes.DEFAULT_TYPE, update: Update) -> str:
        return f"{UPDATE_PREFIX}{context.bot.id}:{update.update_id}"

    # -- one handler per user action ---------------------------------------------------------

    def on_command(self, head: Head) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]:
        """The handler of one command of bot.commands.COMMANDS: the same payload as its button."""
        async def on_this_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            await self._turn(update, context, payload=head)
        return on_this_command

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Typed text, including commands we do not have (the engine shows the menu)."""
        await self._turn(update, context, text=update.effective_message.text)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A pressed inline button: acknowledged at once, then the engine's answer, editing the
        pressed menu in place when the answer is a navigation step."""
        query = update.callback_query
        try:
            await query.answer()
        except TelegramError as exc:  # too old to answer: still act on the press
            log.info("telegram: answerCallbackQuery failed (%s)", type(exc).__name__)
        if not query.data:
            return
        menu = query.message if query.message is not None and query.message.is_accessible else None
        await self._turn(update, context, payload=query.data, edit=menu)  # type: ignore[arg-type]

    async def on_edited(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._turn(update, context, unsupported="edited_message", note=EDITED_NOTE)

    async def on_non_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        kind = next((k for k in NON_TEXT_KINDS if getattr(message, k, None)), "other")
        await self._turn(update, context, unsupported=kind)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Errors leave a type and a stack, never an exception message (it may quote her text)."""
        error = context.error
        who = ""
        if isinstance(update, Update) and update.effective_chat is not None:
            who = self.ctx.user_keys.key(CHANNEL, update.effective_chat.id)[:12]
        stack = "".join(traceback.format_tb(error.__traceback__)) if error is not None else ""
        log.error("telegram: update failed with %s for user %s\n%s", type(error).__name__, who or "-", stack)
        if isinstance(update, Update) and update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE:
            if not await self._answer_from_memory(context, update):
                self._unanswered.add(update.update_id)

    async def _answer_from_memory(self, context: ContextTypes.DEFAULT_TYPE, update: Update) -> bool:
        """Whatever failed, she gets an answer: emergency numbers for an emergency word."""
        typed = update.message.text if update.message is not None else None  # not a pressed button's message
        user = update.effective_user
        reply = self.ctx.fallback.reply(typed,
                                        locale_hint=user.language_code if user else None)
        try:
            for kwargs in render(reply, link_label=""):
                await context.bot.send_message(chat_id=update.effective_chat.id, **kwargs)
        except TelegramError as exc:
            log.error("telegram: the fallback answer failed too (%s)", type(exc).__name__)
            return False
        return True

    # -- the turn ----------------------------------------------------------------------------

    async def _turn(self, update: Update, context: ContextTypes.DEFAULT_TYPE, *, text: str | None = None,
                    payload: str | None = None, unsupported: str | None = None,
                    edit: Message | None = None, note: str | None = None) -> None:
        chat = update.effective_chat
        sender = update.effective_user
        if chat is None:
            return
        key = self.ctx.user_keys.key(CHANNEL, chat.id)
        event = Event(CHANNEL, key, text=text, payload=payload,
                      locale_hint=sender.language_code if sender else None, unsupported=unsupported,
                      event_id=self.ctx.user_keys.key("event", f"telegram:{context.bot.id}:{update.update_id}"),
                      reply_to=Address(CHANNEL, chat_id=str(chat.id)))
        replies = (await self.ctx.engine.handle(event)).replies
        if note and replies:
            first = replies[0]
            replies[0] = Reply(self.ctx.catalogs.get(first.locale).gettext(note), first.locale,
                               first.choices, replaces_menu=first.replaces_menu)
        await self.send(context, chat.id, replies, edit=edit, who=key[:12])
        await self.ctx.store.set(self._update_key(context, update), {"done": 1}, UPDATE_TTL)

    async def send(self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, replies: list[Reply], *,
                   edit: Message | None = None, who: str = "-") -> None:
        bot = context.bot
        for n, reply in enumerate(replies):
            label = self.ctx.catalogs.get(reply.locale).gettext(LINK_LABEL)
            messages = render(reply, link_label=label)
            if n == 0 and edit is not None and reply.replaces_menu and len(messages) == 1:
                try:
                    await bot.edit_message_text(chat_id=chat_id, message_id=edit.message_id, **messages[0])
                    self.stats["edited"] += 1
                    continue
                except BadRequest as exc:
                    if "not modified" in str(exc).lower():
                        continue  # she pressed what she is looking at: nothing to change
                    log.info("telegram: menu not editable for user %s, sending anew", who)
            for kwargs in messages:
                try:
                    await bot.send_message(chat_id=chat_id, **kwargs)
                except BadRequest:
                    if reply.link and "reply_markup" in kwargs:
                        # Telegram refused the link button: the link goes into the text instead
                        retry = render(reply, link_label=label, link_button=False)[-1]
                        await bot.send_message(chat_id=chat_id, **retry)
                    else:
                        raise
                self.stats["sent"] += 1
