"""Telegram end to end: the real python-telegram-bot client against a local Bot API server.

Polling: the channel long-polls tests.fakes.telegram_api. Webhook: `bot.web.create_app`
served by uvicorn on 127.0.0.1, the fake server POSTing updates to it with the secret it was
given by setWebhook, exactly as Telegram does; the client still talks to the fake over HTTP.
Everything runs on both backends (SQLite + memory, PostgreSQL + Redis).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import select

from bot import keywords
from bot.app import AppContext
from bot.channels.telegram import EDITED_NOTE, LINK_LABEL, WEBHOOK_PATH, TelegramChannel
from bot.channels.telegram_flood import PerChatPacer
from bot.commands import COMMANDS
from bot.conversation import Choice, Reply
from bot.i18n import language_name
from bot.languages import shipped_locales
from bot.models import FeedbackRecord
from bot.web import create_app
from tests.fakes.telegram_api import NON_TEXT, Call, FakeTelegram, callback_update, message, text_update
from tests.support import personal_keys, store_text

SECRET = "wh-secret_0123456789abcdef"
CHAT_BASE = 5_550_001_000  # chat ids no hash, update id or message id could contain by chance
OUT = ("sendMessage", "editMessageText")
TYPED = "zqx-marker-7731"  # something she types that must never be kept or logged


# -- the rig -------------------------------------------------------------------------------------

class Rig:
    def __init__(self, ctx: AppContext, channel: TelegramChannel, tg: FakeTelegram, mode: str) -> None:
        self.ctx, self.channel, self.tg, self.mode = ctx, channel, tg, mode

    async def deliver(self, update: dict[str, Any]) -> list[Call]:
        """Hand the bot one update and wait until it is handled; the messages it caused
        (to any chat: callers talking concurrently filter by their chat)."""
        mark = len(self.tg.calls)
        update_id = await self.tg.push(update)
        await self.channel.wait_update(update_id)
        return [c for c in self.tg.calls[mark:] if c.method in OUT and c.status == 200]

    async def store_text(self) -> str:
        """Every key and value in the session store, as text."""
        return await store_text(self.ctx.store)


def _settings(tg: FakeTelegram, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = dict(telegram_bot_token=tg.token, telegram_api_base_url=tg.base_url,
                                  telegram_per_chat_interval=0.005)
    values.update(overrides)
    return values


def _fast(channel: TelegramChannel) -> None:
    """Short back-off, and no 30-a-second cap: six conversations at once would hit it."""
    channel.flood.backoff = 0.01
    channel.flood.overall_per_second = 0


@contextlib.asynccontextmanager
async def polling_rig(settings_for, store, **overrides: Any):
    async with FakeTelegram() as tg:
        ctx = AppContext(settings_for(**_settings(tg, **overrides)), store=store)
        await ctx.start(watch=False)
        channel = TelegramChannel(ctx)
        _fast(channel)
        await channel.start()
        try:
            yield Rig(ctx, channel, tg, "polling")
        finally:
            await channel.stop()
            await ctx.content.stop()
            await ctx.db.dispose()


@contextlib.asynccontextmanager
async def webhook_rig(settings_for, store, **overrides: Any):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}{WEBHOOK_PATH}"
    async with FakeTelegram() as tg:
        ctx = AppContext(settings_for(**_settings(tg, telegram_webhook_url=url,
                                                  telegram_webhook_secret=SECRET, **overrides)), store=store)
        await ctx.start(watch=False)
        app = create_app(ctx, start=False)
        channel = _channel_of(app)
        _fast(channel)
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False,
                                               timeout_graceful_shutdown=1))
        server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.005)
        rig = Rig(ctx, channel, tg, "webhook")
        rig.url = url  # type: ignore[attr-defined]
        try:
            yield rig
        finally:
            server.should_exit = True
            await task
            sock.close()
            await ctx.content.stop()
            await ctx.db.dispose()


def _channel_of(app: Any) -> TelegramChannel:
    """The TelegramChannel behind the app's webhook route (FastAPI may wrap included routers)."""
    routes = list(app.routes)
    while routes:
        route = routes.pop()
        if getattr(route, "path", None) == WEBHOOK_PATH:
            return route.endpoint.__self__
        inner = getattr(route, "original_router", None)
        routes.extend(getattr(inner, "routes", []))
    raise AssertionError("no Telegram webhook route in the app")


RIGS = {"polling": polling_rig, "webhook": webhook_rig}


@pytest.fixture(params=["polling", "webhook"])
def mode(request: pytest.FixtureRequest) -> str:
    return request.param


# -- a person on Telegram ------------------------------------------------------------------------

class Person:
    def __init__(self, rig: Rig, chat_id: int, language_code: str | None) -> None:
        self.rig, self.chat_id, self.lang = rig, chat_id, language_code
        self.out: list[Call] = []
        self.pressed = 0

    @property
    def text(self) -> str:
        return "\n".join(c.text for c in self.out)

    def current_keyboard(self) -> dict[str, Any]:
        """The newest message in this chat that has buttons, as it is now (after edits)."""
        ours = [m for (c, _), m in sorted(self.rig.tg.messages.items()) if c == self.chat_id and m.get("reply_markup")]
        assert ours, "no message with buttons"
        return ours[-1]

    def buttons(self) -> list[dict[str, Any]]:
        return [b for row in self.current_keyboard()["reply_markup"]["inline_keyboard"] for b in row]

    async def says(self, text: str) -> str:
        out = await self.rig.deliver(text_update(self.chat_id, text, language_code=self.lang))
        self.out = [c for c in out if c.chat_id == self.chat_id]
        assert self.out, text
        self._check()
        return self.text

    async def presses(self, label_or_data: str) -> str:
        msg = self.current_keyboard()
        data = next((b["callback_data"] for b in self.buttons()
                     if label_or_data in (b["text"], b.get("callback_data"))), None)
        assert data is not None, (label_or_data, [b["text"] for b in self.buttons()])
        update = callback_update(self.chat_id, data, msg, language_code=self.lang)
        out = await self.rig.deliver(update)
        self.out = [c for c in out if c.chat_id == self.chat_id]
        self.pressed += 1
        query_id = update["callback_query"]["id"]
        assert [c.params["callback_query_id"] for c in self.rig.tg.of("answerCallbackQuery")].count(query_id) == 1, \
            "every press is acknowledged, once"
        assert self.out, data
        self._check()
        return self.text

    def _check(self) -> None:
        for call in self.out:
            assert call.chat_id == self.chat_id
            assert 0 < len(call.text.encode("utf-16-le")) // 2 <= 4096
            for b in call.buttons:
                assert b["text"].strip()
                assert "url" in b or 1 <= len(b["callback_data"].encode()) <= 64


def _capture_everything_but_sql(caplog: pytest.LogCaptureFixture) -> None:
    """Every log record at DEBUG, python-telegram-bot's included; the database drivers' SQL
    tracing (slow to format, and it never sees a chat) stays at INFO."""
    caplog.set_level(logging.DEBUG)
    for name in ("aiosqlite", "sqlalchemy", "asyncpg", "alembic"):
        caplog.set_level(logging.INFO, logger=name)


# -- whole conversations -------------------------------------------------------------------------

async def whole_conversation(rig: Rig, locale: str, chat_id: int) -> None:
    """Language choice, every menu, a content item with its link, feedback with consent and a
    rating, the emergency word, the commands, and delete, in her language throughout."""
    t = rig.ctx.catalogs.get(locale)
    _ = t.gettext
    woman = Person(rig, chat_id, locale)

    welcome = await woman.says("/start")
    assert _("Please choose your language.") in welcome
    labels = [b["text"] for b in woman.buttons()]
    assert labels[0] == language_name(locale) and set(labels) == {language_name(loc) for loc in shipped_locales()}
    edits = rig.tg.count("editMessageText", chat_id)
    menu = await woman.presses(language_name(locale))
    assert _("Language saved.") in menu
    assert rig.tg.count("editMessageText", chat_id) == edits + 1, "the language menu became the main menu in place"
    assert woman.out[0].method == "editMessageText"
    top = [b["callback_data"] for b in woman.buttons()]
    assert top == ["s:rights", "s:risks", "s:before_you_go", "h", "sv", "q", "fb", "me", "lang", "d"]

    # every menu, then back
    for section in ("s:rights", "s:risks", "s:before_you_go"):
        assert await woman.presses(section)
        assert any(b["callback_data"].startswith("i:") for b in woman.buttons())
        await woman.presses("m")
    help_now = await woman.presses("h")
    assert _("If you are in danger now, call the emergency number of the country you are in.") in help_now
    await woman.presses("m")
    await woman.presses("sv")
    country = next(b["callback_data"] for b in woman.buttons() if b["callback_data"].startswith("sv:") and b["callback_data"] != "sv:-")
    services = await woman.presses(country)
    assert _("Services in {country}:").format(country=t.country(country[3:])) in services
    await woman.presses("m")
    assert _("Your feedback shapes this service. What would you like to do?") in await woman.presses("fb")
    await woman.presses("m")
    await woman.presses("me")
    await woman.presses("st:-")
    assert _("Saved. The menus now show what fits your situation.") in await woman.presses("co:-")
    assert _("Choose your language.") in await woman.presses("lang")
    await woman.presses(f"l:{locale}")
    await woman.presses("d")
    assert _("Nothing was deleted.") in await woman.presses("d:n")

    # a content item, its source as a button, and a rating with consent
    await woman.presses("s:rights")
    item_data = next(b["callback_data"] for b in woman.buttons() if b["callback_data"].startswith("i:"))
    item = rig.ctx.content.library.items[item_data[2:]]
    text = await woman.presses(item_data)
    assert item.text(locale).title in text
    link_buttons = [b for b in woman.buttons() if "url" in b]
    if any(s.url for s in item.sources):
        assert link_buttons and link_buttons[0]["text"] == _(LINK_LABEL)
    consent = await woman.presses(f"r:y:{item.id}")
    assert _("Yes, I agree") in [b["text"] for b in woman.buttons()], consent
    await woman.presses("ok:y")
    skip_all = woman.buttons()[-1]["callback_data"]
    assert skip_all.startswith("px")
    thanks = await woman.presses(skip_all)
    assert _("Thank you. Your answer helps us improve.") in thanks
    async with rig.ctx.sessionmaker() as session:
        rows = (await session.execute(select(FeedbackRecord).where(FeedbackRecord.content_id == item.id,
                                                                   FeedbackRecord.locale == locale))).scalars().all()
    assert [(r.channel, r.rating) for r in rows] == [("telegram", "yes")]

    # typed words: the emergency word, a search, a number, commands
    emergency = await woman.says(keywords.words("help", locale)[0])
    assert _("If you are in danger now, call the emergency number of the country you are in.") in emergency
    assert _("Choose your language.") in await woman.says("/language")
    assert _("If you are in danger now, call the emergency number of the country you are in.") in await woman.says("/help")
    assert _("What would you like to know? Choose a topic, or type a few words.") in await woman.says("/menu")
    assert _("What would you like to know? Choose a topic, or type a few words.") in await woman.says("/nonsense")
    assert await woman.says(f"passport {TYPED}")

    # delete: everything under her key goes
    key = rig.ctx.user_keys.key("telegram", chat_id)
    assert await rig.ctx.store.get("s:" + key)
    assert _("Delete everything we keep about you (language, choices, answers about you, your questions to a person)? Feedback you already gave stays, but it cannot be linked to you.") in await woman.says("/delete")
    done = await woman.presses("d:y")
    assert _("Done. We deleted your language, your choices, your answers about you and your questions. To remove this chat from your phone, delete the chat too. Send any message to start again.") in done
    assert await rig.ctx.store.get("s:" + key) is None
    assert key not in await rig.store_text()


async def test_whole_conversations_in_every_language(settings_for, store, mode, caplog) -> None:
    _capture_everything_but_sql(caplog)
    async with RIGS[mode](settings_for, store) as rig:
        # six women at once: chats run concurrently, each one's updates in order
        await asyncio.gather(*(whole_conversation(rig, locale, CHAT_BASE + n)
                               for n, locale in enumerate(shipped_locales())))
        # each deleted her data at the end: nothing of theirs is left (ratings, caps, sessions)
        assert await personal_keys(rig.ctx.store) == []
        # privacy: neither a chat id nor anything typed is kept or logged
        kept = await rig.store_text()
        logged = caplog.text
        for n in range(len(shipped_locales())):
            assert str(CHAT_BASE + n) not in kept
            assert str(CHAT_BASE + n) not in logged
        assert TYPED not in kept and TYPED not in logged and "/nonsense" not in logged
        assert "Amina" not in kept and "Amina" not in logged
        assert rig.tg.token not in logged
        # the mode's own plumbing
        methods = {c.method for c in rig.tg.calls}
        if mode == "polling":
            assert "getUpdates" in methods and "deleteWebhook" in methods and "setWebhook" not in methods
        else:
            assert "getUpdates" not in methods
            hook = rig.tg.of("setWebhook")[-1].params
            assert hook["url"] == rig.url and hook["secret_token"] == SECRET  # type: ignore[attr-defined]
            assert set(hook["allowed_updates"]) == {"message", "edited_message", "callback_query"}
            assert rig.tg.webhook_responses and set(rig.tg.webhook_responses) == {200}


async def test_commands_are_registered_in_every_language(settings_for, store) -> None:
    async with polling_rig(settings_for, store) as rig:
        calls = rig.tg.of("setMyCommands")
        by_lang = {c.params.get("language_code"): c.params["commands"] for c in calls}
        assert set(by_lang) == {None, *shipped_locales()}
        for locale in shipped_locales():
            t = rig.ctx.catalogs.get(locale)
            assert [(c["command"], c["description"]) for c in by_lang[locale]] == [
                (c.name, t.gettext(c.description)) for c in COMMANDS]
        assert [c["command"] for c in by_lang[None]] == ["start", "menu", "language", "help", "delete"]
        fr = {c["command"]: c["description"] for c in by_lang["fr"]}
        assert fr["menu"] != "Main menu" and fr["delete"] != "Delete my data"
        # polling mode: no webhook route to knock on
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app_with(rig.channel))) as client:
            response = await client.post("http://test" + WEBHOOK_PATH, json={"update_id": 1},
                                         headers={"X-Telegram-Bot-Api-Secret-Token": "anything"})
        assert response.status_code == 404
    # Telegram's limits are the defaults (the rigs lift the overall one)
    default = TelegramChannel(SimpleNamespace(settings=rig.ctx.settings, user_keys=rig.ctx.user_keys))
    assert default.flood.overall_per_second == 30 and default.flood.pacer.interval == rig.ctx.settings.telegram_per_chat_interval


# -- exactly once -------------------------------------------------------------------------------

async def test_a_redelivered_update_is_handled_once(settings_for, store, mode) -> None:
    async with RIGS[mode](settings_for, store) as rig:
        update = dict(text_update(CHAT_BASE + 50, "/start"), update_id=424242)
        if mode == "polling":  # fetched twice in one poll: the poller hands it over once
            await rig.tg.push_many([update, update])
            await rig.channel.wait_update(424242)
        else:  # Telegram retries a webhook it thinks failed: the store's marker drops it
            await rig.deliver(update)
            done = rig.channel.updates_done
            await rig.tg.push(update)
            await rig.channel.wait_updates(done + 1)
            assert rig.channel.stats["duplicates"] == 1
        assert rig.tg.count("sendMessage", CHAT_BASE + 50) == 1
        # a new update from her is answered as usual
        assert await rig.deliver(text_update(CHAT_BASE + 50, "/menu"))


# -- flood limits and server errors ------------------------------------------------------------

async def test_429_is_waited_out_and_the_message_still_delivered(settings_for, store) -> None:
    """Sending is the same code in both modes: polling is enough here."""
    async with polling_rig(settings_for, store) as rig:
        rig.tg.fail_next("sendMessage", 1, retry_after=1)
        started = time.monotonic()
        out = await rig.deliver(text_update(CHAT_BASE + 60, "/start", language_code="ar"))
        assert time.monotonic() - started >= 1.0, "retry_after was respected"
        assert [c.status for c in rig.tg.attempts("sendMessage")] == [429, 200]
        assert len(out) == 1 and "العربية" in [b["text"] for b in out[0].buttons]


async def test_5xx_and_network_errors_are_retried_with_back_off(settings_for, store) -> None:
    async with polling_rig(settings_for, store) as rig:
        woman = Person(rig, CHAT_BASE + 70, "ru")
        rig.tg.fail_next("sendMessage", 2, status=502)
        rig.tg.fail_next("sendMessage", 1, status=500)
        await woman.says("/start")
        assert [c.status for c in rig.tg.attempts("sendMessage")] == [502, 502, 500, 200]
        rig.tg.fail_next("answerCallbackQuery", 1, status=503)
        rig.tg.fail_next("editMessageText", 1, status=500)
        menu = await woman.presses("l:ru")
        assert rig.ctx.catalogs.get("ru").gettext("Language saved.") in menu
        assert [c.status for c in rig.tg.attempts("editMessageText")] == [500, 200]
        assert rig.channel.flood.stats["network_retry"] == 5


async def test_a_long_reply_is_split_and_paced_and_other_chats_do_not_wait(settings_for, store) -> None:
    async with polling_rig(settings_for, store, telegram_per_chat_interval=0.5) as rig:
        text = "\n\n".join(" ".join(["مرحبا بكم"] * 80) for _ in range(12))  # Arabic, ~9,700 characters
        long = Reply(text, "ar", (Choice("القائمة", "m"),), link="https://example.org/a")
        context = SimpleNamespace(bot=rig.channel.application.bot)
        await asyncio.gather(rig.channel.send(context, CHAT_BASE + 80, [long]),
                             rig.channel.send(context, CHAT_BASE + 81, [Reply("hi", "en")]))
        sent = rig.tg.of("sendMessage", CHAT_BASE + 80)
        other = rig.tg.of("sendMessage", CHAT_BASE + 81)
        # split at paragraph breaks, under the limit, the buttons (link first) on the last part
        assert len(sent) == 3 and len(other) == 1
        assert all(len(c.text) <= 4096 and c.text == c.text.strip() and c.text.startswith("مرحبا") for c in sent)
        assert "\n\n".join(c.text for c in sent) == text
        assert not sent[0].buttons and not sent[1].buttons
        assert [b.get("url") for b in sent[-1].buttons] == ["https://example.org/a", None]
        assert sent[-1].buttons[0]["text"] == rig.ctx.catalogs.get("ar").gettext(LINK_LABEL)
        assert all(c.params["link_preview_options"] == {"is_disabled": True} for c in sent)
        # her parts are paced (the pacer's own test times them); another chat does not queue behind hers
        assert other[0].at < sent[1].at


def test_pacer_spaces_one_chats_messages_and_lets_other_chats_through() -> None:
    now, slept = [0.0], []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = PerChatPacer(1.0, clock=lambda: now[0], sleep=sleep)

    async def run() -> None:
        for chat_id in ("her", "her", "her", "another"):
            await pacer.wait(chat_id)
    asyncio.run(run())
    assert slept == [1.0, 1.0]  # her 2nd and 3rd message wait a slot each; the other chat does not wait


def test_pacer_forgets_chats_whose_slot_has_passed() -> None:
    now = [0.0]
    pacer = PerChatPacer(1.0, clock=lambda: now[0])

    async def run() -> None:
        for chat_id in range(300):
            await pacer.wait(chat_id)
        now[0] = 5.0
        await pacer.wait("next")
    asyncio.run(run())
    assert len(pacer) == 1


# -- the webhook's door ------------------------------------------------------------------------

async def test_forged_or_missing_webhook_secret_gets_403_and_nothing_happens(settings_for, store) -> None:
    async with webhook_rig(settings_for, store) as rig:
        body = text_update(CHAT_BASE + 90, "hello")
        body["update_id"] = 777
        sent_before = rig.tg.count("sendMessage")
        async with httpx.AsyncClient() as client:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"},
                            {"X-Telegram-Bot-Api-Secret-Token": SECRET.upper()},
                            {"X-Telegram-Bot-Api-Secret-Token": SECRET + "x"},
                            {"X-Telegram-Bot-Api-Secret-Token": ""}):
                response = await client.post(rig.url, json=body, headers=headers)  # type: ignore[attr-defined]
                assert response.status_code == 403, headers
            await asyncio.sleep(0.1)
            assert rig.channel.updates_done == 0
            assert rig.tg.count("sendMessage") == sent_before
            assert await rig.store_text() == ""
            # the right secret, with a broken body: refused without harm
            bad = await client.post(rig.url, content=b"{not json", headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})  # type: ignore[attr-defined]
            assert bad.status_code == 400
            # and the genuine request works
            ok = await client.post(rig.url, json=body, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})  # type: ignore[attr-defined]
            assert ok.status_code == 200
        await rig.channel.wait_updates(1)
        assert rig.tg.count("sendMessage", CHAT_BASE + 90) == 1


def _app_with(channel: TelegramChannel):
    from fastapi import FastAPI

    app = FastAPI()
    app.include_router(channel.router)
    return app


# -- what is not a text message ------------------------------------------------------------------

async def test_every_non_text_message_gets_a_polite_answer_in_her_language(settings_for, store, mode, caplog) -> None:
    _capture_everything_but_sql(caplog)
    async with RIGS[mode](settings_for, store) as rig:
        chat_id = CHAT_BASE + 100
        es = rig.ctx.catalogs.get("es").gettext
        for kind, content in NON_TEXT.items():
            out = await rig.deliver({"message": message(chat_id, language_code="es", **content)})
            assert len(out) == 1, kind
            assert es("I can only read text messages. Please type a word, or choose from the menu.") in out[0].text, kind
            assert out[0].buttons, kind
        # an edited message: a note, the menu, and the edit is not acted on
        woman = Person(rig, chat_id, "es")
        await woman.says("/start")
        await woman.presses("l:es")
        edited = message(chat_id, "/delete", language_code="es", edit_date=int(time.time()))
        out = await rig.deliver({"edited_message": edited})
        assert len(out) == 1 and out[0].text == es(EDITED_NOTE)
        assert [b["callback_data"] for b in out[0].buttons][0] == "s:rights"
        assert await rig.ctx.store.get("s:" + rig.ctx.user_keys.key("telegram", chat_id))
        kept, logged = await rig.store_text(), caplog.text
        for secret in ("QX998877", "+971500000001", "contract.pdf", "AgAD-file", "25.2048", str(chat_id)):
            assert secret not in kept and secret not in logged and secret not in rig.tg.all_text().replace(f'"chat_id": "{chat_id}"', "")


async def test_group_and_channel_chats_are_ignored_entirely(settings_for, store, mode) -> None:
    async with RIGS[mode](settings_for, store) as rig:
        updates = [
            {"message": message(-100123, "/start", chat_type="group")},
            {"message": message(-100124, "help", chat_type="supergroup")},
            {"message": message(-100125, None, chat_type="supergroup", **NON_TEXT["sticker"])},
            {"edited_message": message(-100124, "help!", chat_type="supergroup", edit_date=1)},
            {"channel_post": message(-100126, "hello", chat_type="channel")},
            {"callback_query": {"id": "cq-g", "from": {"id": 1, "is_bot": False, "first_name": "A"},
                                "chat_instance": "g", "data": "m",
                                "message": message(-100123, "menu", chat_type="group")}},
        ]
        for n, update in enumerate(updates):
            assert await rig.deliver(update) == [], n
        assert rig.tg.count("sendMessage") == 0 and rig.tg.count("answerCallbackQuery") == 0
        assert await rig.store_text() == ""
        assert rig.channel.stats["ignored"] == len(updates)
