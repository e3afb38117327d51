""""Ask a person" end to end on every channel: she asks in the chat, a responder of the organisation
covering her country answers through the admin API, she receives the answer in the same chat.

Telegram runs the real python-telegram-bot client (the chat and the sender) against the local
fake Bot API; Twilio, Africa's Talking and Vonage run their webhooks in process and their send
APIs on the local fake gateway server (Twilio's Messages API included). Also: a restart in the
middle loses nothing and sends nothing twice; no chat id or phone number in the database, the
session store or the logs; STOP and deletion erase her address.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import re
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from admin_api.main import create_admin_app
from bot.app import AppContext
from bot.channels.telegram import TelegramChannel
from bot.inbox_models import AddressRow, InboxThread, OutboxRow
from tests.admin_api.conftest import auth, make_key
from tests.bot.channels.sms_helpers import OUR_NUMBER, language_number, make_rig
from tests.fakes.telegram_api import FakeTelegram, callback_update, message, text_update
from tests.support import store_text

CHAT = 5_550_009_137  # a chat id nothing else could contain by chance
QUESTION = "My agency in Nairobi wants a second fee before I travel. Is that legal?"
ANSWER = "No. Under Kenyan law the employer pays the agency. Keep every receipt."
FAST = dict(outbox_base_delay_seconds=0.05, outbox_max_delay_seconds=0.2, outbox_sweep_seconds=0.05)


async def until(check, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.02)


class Responder:
    """A peer educator of the Kenyan organisation, through the admin API."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_admin_app(ctx)),
                                        base_url="http://admin.test")
        self.h: dict[str, str] = {}

    async def set_up(self) -> None:
        _, admin = await make_key(self.ctx, "kenya cso", "admin", ["KE"])
        _, responder = await make_key(self.ctx, "kenya cso", "responder", ["KE"])
        self.h = auth(responder)
        r = await self.client.put("/inbox/settings", headers=auth(admin), json={
            "languages": [], "answer_time_hours": 24, "working_hours": "Sun-Thu 9-17"})
        assert r.status_code == 200, r.text

    async def answer(self, text: str = ANSWER, items: list[str] | None = None) -> str:
        r = await self.client.get("/inbox/threads", headers=self.h)
        [thread] = r.json()["threads"]
        r = await self.client.post(f"/inbox/threads/{thread['code']}/reply", headers=self.h,
                                   json={"text": text, "items": items or []})
        assert r.status_code == 201, r.text
        return thread["code"]

    async def thread(self, code: str) -> dict[str, Any]:
        return (await self.client.get(f"/inbox/threads/{code}", headers=self.h)).json()

    async def close(self) -> None:
        await self.client.aclose()


async def _everything(ctx: AppContext) -> str:
    from tests.bot.test_addresses import dump_database

    return await dump_database(ctx) + await store_text(ctx.store)


# -- Telegram ------------------------------------------------------------------------------------

@contextlib.asynccontextmanager
async def telegram(settings_for, store, tg: FakeTelegram, deliver: bool = True):
    ctx = AppContext(settings_for(telegram_bot_token=tg.token, telegram_api_base_url=tg.base_url,
                                  telegram_per_chat_interval=0.005, **FAST), store=store)
    await ctx.start(watch=False)
    channel = TelegramChannel(ctx)
    channel.flood.backoff = 0.01
    await channel.start()
    sender = ctx.inbox.outbox.senders["telegram"]
    sender.flood.backoff = 0.01
    if deliver:
        await ctx.inbox.start()
    try:
        yield ctx, channel
    finally:  # like a process that ends: the store (Redis) outlives it
        await channel.stop()
        await ctx.inbox.stop()
        from bot.channels.senders import close_senders

        await close_senders(ctx.inbox.outbox.senders)
        await ctx.content.stop()
        await ctx.db.dispose()


async def _tg(tg: FakeTelegram, channel: TelegramChannel, update: dict[str, Any]) -> list[str]:
    mark = len(tg.calls)
    await channel.wait_update(await tg.push(update))
    return [c.text for c in tg.calls[mark:] if c.method in ("sendMessage", "editMessageText") and c.status == 200]


async def _ask_on_telegram(tg: FakeTelegram, channel: TelegramChannel) -> str:
    await _tg(tg, channel, text_update(CHAT, "hello"))
    await _tg(tg, channel, press("l:en"))
    await _tg(tg, channel, press("co:KE"))
    consent = await _tg(tg, channel, press("q"))
    assert "never see your number" in "\n".join(consent)
    await _tg(tg, channel, press("q:y"))
    ack = "\n".join(await _tg(tg, channel, text_update(CHAT, QUESTION)))
    assert "Your question is sent" in ack and "24 hours" in ack
    return ack


def press(data: str) -> dict[str, Any]:
    """She presses a button of an earlier message of the bot's."""
    return callback_update(CHAT, data, message(CHAT, "menu"))


def _answers(tg: FakeTelegram) -> list[Any]:
    return [c for c in tg.of("sendMessage", CHAT) if c.status == 200 and "Answer to your question" in c.text]


async def test_telegram_she_asks_a_responder_answers_she_receives_it(settings_for, store, caplog) -> None:
    caplog.set_level(logging.INFO)
    async with FakeTelegram() as tg, telegram(settings_for, store, tg) as (ctx, channel):
        responder = Responder(ctx)
        await responder.set_up()
        await _ask_on_telegram(tg, channel)
        item_id = sorted(ctx.content.library.items)[0]
        mark = len(tg.calls)
        code = await responder.answer(items=[item_id])
        await until(lambda: _has(lambda: _answers(tg)))
        await until(lambda: _delivered(responder, code))
        sent = [c for c in tg.calls[mark:] if c.method == "sendMessage" and c.status == 200]
        assert ANSWER in sent[0].text and code in sent[0].text
        title = ctx.content.library.items[item_id].text("en").title
        assert any(title in c.text for c in sent[1:])  # the attached item, rendered for Telegram
        assert [b["callback_data"] for b in sent[-1].buttons] == ["m"]  # the way back to the menu
        assert all(c.chat_id == CHAT for c in sent)
        # no chat id anywhere we keep, nor in the logs
        kept = await _everything(ctx) + caplog.text
        assert str(CHAT) not in kept and str(CHAT).encode().hex() not in kept
        # "delete my data" removes her thread's text and her address
        await _tg(tg, channel, press("d:y"))
        assert (await responder.thread(code))["status"] == "deleted"
        async with ctx.sessionmaker() as session:
            assert (await session.scalars(select(AddressRow))).all() == []
        await responder.close()


async def _has(get) -> bool:
    return bool(get())


async def _delivered(responder: Responder, code: str) -> bool:
    return (await responder.thread(code))["delivery"] == "sent"


async def test_telegram_a_restart_in_the_middle_loses_nothing_and_sends_nothing_twice(settings_for, store) -> None:
    async with FakeTelegram() as tg:
        # 1. she asks and the answer is written, but this process can deliver nothing and stops
        async with telegram(settings_for, store, tg) as (ctx, channel):
            ctx.inbox.outbox.senders.clear()  # as if it died before any delivery
            responder = Responder(ctx)
            await responder.set_up()
            await _ask_on_telegram(tg, channel)
            code = await responder.answer()
            await responder.close()
            headers = responder.h
        assert _answers(tg) == []
        # 2. a new process on the same database and store delivers it, once
        async with telegram(settings_for, store, tg) as (ctx, channel):
            responder = Responder(ctx)
            responder.h = headers
            await until(lambda: _delivered(responder, code))
            assert len(_answers(tg)) == 1
            # 3. it dies after Telegram accepted the answer, before the row was marked: the row is
            # `sending` with a lapsed lease, and the next process sends it with the same key
            async with ctx.sessionmaker() as session, session.begin():
                await session.execute(update(OutboxRow).where(OutboxRow.kind == "message").values(
                    status="sending", lease_until=dt.datetime(2000, 1, 1), payload={"texts": [ANSWER], "locale": "en"}))
            await responder.close()
        async with telegram(settings_for, store, tg) as (ctx, channel):
            async def marked() -> bool:
                async with ctx.sessionmaker() as session:
                    return (await session.scalar(select(OutboxRow.status).where(OutboxRow.kind == "message"))) == "sent"
            await until(marked)
            await asyncio.sleep(0.2)  # a few more sweeps
            assert len(_answers(tg)) == 1


# -- SMS gateways --------------------------------------------------------------------------------

PHONES = {"twilio": "+254711000101", "africastalking": "+254711000202", "vonage": "+254711000303"}


def _number_of(texts: list[str], label: str) -> str:
    found = re.search(rf"(\d+)\W+{re.escape(label)}", "\n".join(texts))
    assert found, (label, texts)
    return found.group(1)


@pytest.mark.parametrize("gateway", ["twilio", "africastalking", "vonage"])
async def test_sms_she_asks_a_responder_answers_she_receives_it(settings_for, store, caplog, gateway) -> None:
    from tests.fakes.sms_gateways import FakeGateways

    caplog.set_level(logging.INFO)
    phone = PHONES[gateway]
    with FakeGateways() as fake:
        rig = await make_rig(settings_for, store, fake, twilio_api_base_url=fake.base_url,
                             twilio_sender=OUR_NUMBER, vonage_sender="SafeMig", **FAST)
        ctx = rig.ctx
        for sender in {id(s): s for s in ctx.inbox.outbox.senders.values()}.values():
            sender.http.retry_base_delay = 0.01
        await ctx.inbox.start()
        responder = Responder(ctx)
        try:
            await responder.set_up()
            await rig.say(gateway, phone, "Hello")  # the greeting, in her number's country's language
            listing = "\n".join(await rig.say(gateway, phone, "LANG"))
            await rig.say(gateway, phone, language_number(rig, listing, "en"))
            await rig.say(gateway, phone, "Kenya")
            menu = await rig.say(gateway, phone, "0")
            consent = await rig.say(gateway, phone, _number_of(menu, "Ask a person"))
            assert "never see your number" in "\n".join(consent)
            await rig.say(gateway, phone, _number_of(consent, "Write my question"))
            ack = "\n".join(await rig.say(gateway, phone, QUESTION))
            assert "Your question is sent" in ack
            before = len(fake.sent)
            code = await responder.answer()
            await until(lambda: _delivered(responder, code))
            out = fake.sent[before:]
            assert out and all(s.gateway == gateway for s in out)
            assert code in out[0].text and "Answer to your question" in out[0].text
            assert "No. Under Kenyan law" in "\n".join(s.text for s in out)
            assert out[0].to.lstrip("+") == phone.lstrip("+")
            if gateway == "twilio":
                assert out[0].form["From"] == OUR_NUMBER
            kept = await rig.database_text() + await rig.store_text() + caplog.text
            for secret in (phone, phone.lstrip("+"), phone[4:]):
                assert secret not in kept
            # STOP: her address goes and a later answer is not sent
            await rig.say(gateway, phone, "STOP")
            async with ctx.sessionmaker() as session:
                assert (await session.scalars(select(AddressRow))).all() == []
            sent = len(fake.sent)
            r = await responder.client.post(f"/inbox/threads/{code}/reply", headers=responder.h, json={"text": "More"})
            assert r.status_code == 201
            await asyncio.sleep(0.3)
            assert len(fake.sent) == sent
            thread = await responder.thread(code)
            assert thread["delivery"] == "opted_out" and "STOP" in thread["status_note"]
        finally:
            await responder.close()
            await ctx.inbox.stop()
            from bot.channels.senders import close_senders

            await close_senders(ctx.inbox.outbox.senders)
            from tests.bot.channels.sms_helpers import close_rig

            await close_rig(rig)


async def test_whatsapp_outside_the_24_hour_window_sends_nothing(settings_for, store) -> None:
    from bot.addresses import Address
    from bot.channels.sms import WHATSAPP_PREFIX
    from tests.fakes.sms_gateways import FakeGateways

    with FakeGateways() as fake:
        rig = await make_rig(settings_for, store, fake, twilio_api_base_url=fake.base_url,
                             twilio_whatsapp_sender=OUR_NUMBER)
        try:
            sender = rig.ctx.inbox.outbox.senders["whatsapp"]
            address = Address("whatsapp", phone="+254711000404", gateway="twilio")
            result = await sender.send(address, ["Hello"], idempotency_key="answer:ABCDEF:1", locale="en")
            assert not result.ok and result.error == "whatsapp_window" and not result.retry
            assert fake.sent == []
            key = rig.ctx.user_keys.key("whatsapp", "+254711000404")
            await rig.ctx.store.set(WHATSAPP_PREFIX + key, {"open": True}, 60)  # she wrote a minute ago
            assert (await sender.send(address, ["Hello"], idempotency_key="answer:ABCDEF:2", locale="en")).ok
            assert fake.sent[-1].form["To"] == "whatsapp:+254711000404" and "Hello" in fake.sent[-1].text
            # the same key again: not sent twice
            assert (await sender.send(address, ["Hello"], idempotency_key="answer:ABCDEF:2", locale="en")).ok
            assert len(fake.sent) == 1
        finally:
            from bot.channels.senders import close_senders
            from tests.bot.channels.sms_helpers import close_rig

            await close_senders(rig.ctx.inbox.outbox.senders)
            await close_rig(rig)


def test_threads_carry_no_address() -> None:
    """The thread row knows the channel kind only."""
    assert {c.name for c in InboxThread.__table__.columns}.isdisjoint({"chat_id", "phone", "address"})
