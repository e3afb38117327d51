"""Logs cannot link a person to what she said, at any level (bot/logs.py).

The main test runs whole conversations on every channel (the engine itself with feedback,
profile answers and a comment; Telegram in polling and webhook mode; SMS over all three
gateways) with logging configured as `python -m bot serve` does it at LOG_LEVEL=DEBUG, the
database drivers' loggers even forced to DEBUG, then searches everything that was written.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot import logs
from bot.models import FeedbackRecord
from tests.bot.channels import test_telegram as tg
from tests.bot.channels.sms_helpers import close_rig, make_rig
from tests.bot.conversation_driver import Woman
from tests.fakes import telegram_api
from tests.fakes.sms_gateways import FakeGateways
from tests.support import store_keys

NAME, SURNAME, USERNAME = "Sentinelia", "Quarterhouse", "sentinel_handle_q"
COMMENT = "quokka sentinel comment about my employer"
TYPED = "zebraquartz"
PHONES = {"twilio": "+447700903101", "africastalking": "+254711903102", "vonage": "+14155553103"}
CHAT_IDS = (5_550_071_001, 5_550_071_002)
CONSOLE_ID = "console-sentinel-id-8812"


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """Logging exactly as at start-up with LOG_LEVEL=DEBUG, into a buffer; the drivers' and HTTP
    clients' loggers then set to DEBUG by hand, as an operator chasing a bug might."""
    buffer = io.StringIO()
    setup = logs.configure("DEBUG", "text", stream=buffer)
    forced = {name: logging.getLogger(name).level for name in
              ("sqlalchemy.engine", "sqlalchemy.pool", "aiosqlite", "asyncpg", "httpx", "httpcore", "telegram")}
    for name in forced:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        for name, level in forced.items():
            logging.getLogger(name).setLevel(level)
        setup.restore()


@pytest.fixture
def sentinel_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """Telegram users carry a sentinel first name, last name and username."""
    def user(chat_id: int, language_code: str | None = "en") -> dict:
        u = {"id": chat_id, "is_bot": False, "first_name": NAME, "last_name": SURNAME, "username": USERNAME}
        if language_code:
            u["language_code"] = language_code
        return u
    monkeypatch.setattr(telegram_api, "user", user)


async def engine_conversation(ctx) -> None:
    """Rating with consent and a profile, a comment, needs, a search: every feedback path."""
    item_id = next(iter(ctx.content.library.items))
    woman = Woman(ctx.engine, user_key=ctx.user_keys.key("console", CONSOLE_ID))
    await woman.says("hi")
    await woman.picks("l:en")
    await woman.picks(f"i:{item_id}")
    await woman.picks(f"r:u:{item_id}")
    await woman.picks("ok:y")
    await woman.picks("pg:woman")
    await woman.picks("pa:25_34")
    await woman.picks("po:-")
    await woman.picks("pn:-")
    await woman.picks("ps:destination")
    await woman.picks(f"i:{item_id}")
    await woman.picks(f"cm:{item_id}")
    await woman.says(COMMENT)
    await woman.picks("fb")
    await woman.picks("Tell us what you need")
    await woman.picks("nd:legal_aid")
    await woman.picks("nd:done")
    await woman.picks("ur:now")
    await woman.picks(f"nc:{ctx.content.library.countries()[0]}")
    await woman.says(f"passport {TYPED}")


async def sms_conversations(settings_for, store) -> list[str]:
    """Whole SMS conversations over the three gateways; returns the keyed hashes they used."""
    with FakeGateways() as fake:
        rig = await make_rig(settings_for, store, fake)
        try:
            for gateway, phone in PHONES.items():
                for text in ("Hello", "2", "1", TYPED, f"my name is {NAME}", "MORE", "HELP", "3", "0"):
                    await rig.say(gateway, phone, text)
            await rig.say("vonage", PHONES["vonage"], "STOP")
            await rig.channel.drain()
            return [rig.ctx.user_keys.key("sms", phone) for phone in PHONES.values()]
        finally:
            await close_rig(rig)


async def telegram_conversations(settings_for, store, mode: str, chat_id: int, locale: str) -> str:
    # each fake Bot API server numbers its updates from 1: forget the last one's claimed ids
    await store.delete(*[k for k in await store_keys(store) if k.startswith("tgu:")])
    async with tg.RIGS[mode](settings_for, store) as rig:
        await tg.whole_conversation(rig, locale, chat_id)
        woman = tg.Person(rig, chat_id, locale)
        await woman.says(f"{TYPED} {NAME}")
        return rig.ctx.user_keys.key("telegram", chat_id)


async def test_whole_conversations_at_debug_leave_nothing_linkable_in_the_log(
        ctx, settings_for, store, debug_log: io.StringIO, sentinel_names: None) -> None:
    await engine_conversation(ctx)
    async with ctx.sessionmaker() as session:
        kinds = {r.kind for r in (await session.scalars(select(FeedbackRecord))).all()}
    assert {"rating", "comment", "need"} <= kinds  # the feedback really was written
    hashes = [ctx.user_keys.key("console", CONSOLE_ID)]
    hashes += await sms_conversations(settings_for, store)
    for mode, chat_id, locale in zip(("polling", "webhook"), CHAT_IDS, ("en", "fr"), strict=True):
        hashes.append(await telegram_conversations(settings_for, store, mode, chat_id, locale))

    log = debug_log.getvalue()
    assert log.count("\n") > 10 and " DEBUG " in log, "something was logged, at DEBUG too"
    sentinels = [COMMENT, "quokka", TYPED, NAME, SURNAME, USERNAME, CONSOLE_ID]
    sentinels += [str(c) for c in CHAT_IDS]
    for phone in PHONES.values():
        sentinels += [phone, phone.lstrip("+"), phone[-9:]]
    for sentinel in sentinels:
        assert sentinel not in log, sentinel
    for full in hashes:
        assert full not in log and full[:13] not in log, "a keyed hash longer than 12 characters"
    assert not re.search(r"[0-9a-f]{13,}", log), "a hex run longer than 12 characters"
    # no statement, parameter or record from the database drivers, so no feedback record can
    # sit next to an identifier
    for sql in ("INSERT INTO", "SELECT ", "feedback_records", "UPDATE ", "[parameters", "[generated in"):
        assert sql not in log, sql
    assert "api.telegram.org" not in log and "/bot" not in log  # no Bot API URL (it holds the token)


def test_redaction_rules() -> None:
    hash40 = "3f9a0c1d2e4b5a6978695a4b3c2d1e0f9a8b7c6d"
    assert logs.redact(f"session {hash40} saved") == "session 3f9a0c1d2e4b… saved"
    assert logs.redact(f"key smb:s:{hash40}") == "key smb:s:3f9a0c1d2e4b…"
    assert logs.redact("from +63 917 123 4567 and 5550071001") == "from [number] and [number]"
    assert logs.redact("bot 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw9/getMe") == "bot [token]/getMe"
    assert logs.redact("/sms/africastalking/Xk2_fj39dk-2kdk29ddk2kd9") == "/sms/africastalking/[secret]"
    # what operators need stays readable
    for kept in ("took 23.8 s", "attempt 3 of 4", "revision 12 loaded", "on 2026-12-01", "outbox 1234: sent",
                 "tgu ab12cd34ef56"):
        assert logs.redact(kept) == kept


def test_library_loggers_are_capped_even_when_set_to_debug() -> None:
    buffer = io.StringIO()
    setup = logs.configure("DEBUG", "text", stream=buffer)
    try:
        for name in ("sqlalchemy.engine.Engine", "aiosqlite", "asyncpg.pool", "httpx", "httpcore.http11", "telegram.ext.ExtBot"):
            logging.getLogger(name).setLevel(logging.DEBUG)
            logging.getLogger(name).debug("INSERT INTO feedback_records VALUES (%s)", "secret comment")
        logging.getLogger("sqlalchemy.engine.Engine").info("SELECT 1")
        logging.getLogger("httpx").info("HTTP Request: POST https://api.telegram.org/bot123:abc/sendMessage")
        logging.getLogger("bot.test").debug("ours at debug")
        logging.getLogger("sqlalchemy.pool").warning("pool warning passes")
    finally:
        for name in ("sqlalchemy.engine.Engine", "aiosqlite", "asyncpg.pool", "httpx", "httpcore.http11", "telegram.ext.ExtBot"):
            logging.getLogger(name).setLevel(logging.NOTSET)
        setup.restore()
    text = buffer.getvalue()
    assert "secret comment" not in text and "SELECT 1" not in text and "api.telegram.org" not in text
    assert "ours at debug" in text and "pool warning passes" in text


def test_json_format_and_redacted_tracebacks() -> None:
    buffer = io.StringIO()
    setup = logs.configure("INFO", "json", stream=buffer)
    try:
        try:
            raise ValueError("bad number +447700903101 for 3f9a0c1d2e4b5a6978695a4b3c2d1e0f9a8b7c6d")
        except ValueError:
            logging.getLogger("bot.test").exception("failed for %s", "5550071001")
    finally:
        setup.restore()
    [line] = buffer.getvalue().splitlines()
    record = json.loads(line)
    assert record["level"] == "ERROR" and record["logger"] == "bot.test"
    assert record["message"] == "failed for [number]"
    assert "ValueError" in record["exc"] and "+447700903101" not in record["exc"]
    assert "3f9a0c1d2e4b…" in record["exc"] and "3f9a0c1d2e4b5" not in record["exc"]
