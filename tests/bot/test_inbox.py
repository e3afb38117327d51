"""Her side of "ask a person": routing, urgency, limits, bad input, masking, follow-ups, deletion,
STOP, retention, and no plaintext address anywhere after whole threads."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import pytest
from sqlalchemy import select, update

from bot.addresses import Address
from bot.inbox import responding, services_for
from bot.inbox import text as qtext
from bot.inbox_models import AddressRow, InboxAsker, InboxMessage, InboxSettings, InboxThread, OutboxRow
from bot.models import Organisation
from tests.bot.test_addresses import dump_database
from tests.bot.test_outbox import FakeSender
from tests.support import store_text

CHAT_ID = "8800123456"
PHONE = "+9613123456"
TELEGRAM = Address("telegram", chat_id=CHAT_ID)


async def add_org(ctx, name, countries, languages=(), accepting=True, settings=True, **extra) -> int:
    async with ctx.sessionmaker() as session, session.begin():
        org = Organisation(name=name, countries=list(countries))
        session.add(org)
        await session.flush()
        if settings:
            session.add(InboxSettings(org_id=org.id, languages=list(languages), accepting=accepting,
                                      answer_time_hours=extra.get("hours", 24), working_hours="Sun-Thu 9-17",
                                      webhook_url=extra.get("webhook")))
        return org.id


@pytest.fixture
async def inbox(ctx):
    services = services_for(ctx, {"telegram": FakeSender(), "sms": FakeSender()})
    yield services
    await services.stop()


async def ask(inbox, who="her", text="My agency wants another fee. Is that legal?", **kw):
    kw.setdefault("locale", "en")
    kw.setdefault("channel", "telegram")
    kw.setdefault("country", "KE")
    return await inbox.ask(who, kw.pop("address", TELEGRAM), text, **kw)


async def thread(ctx, code) -> InboxThread:
    async with ctx.sessionmaker() as session:
        return await session.scalar(select(InboxThread).where(InboxThread.code == code))


async def test_routing_by_country_then_language_then_default(ctx, inbox) -> None:
    kenya = await add_org(ctx, "Kenya CSO", ["KE"], ["en", "ar"])
    world = await add_org(ctx, "World CSO", [], [])
    await add_org(ctx, "Closed CSO", ["KE"], [], accepting=False)
    await add_org(ctx, "Silent CSO", ["KE"], [], settings=False)  # never opted in
    result = await ask(inbox, "a")
    assert result.outcome == "created" and result.organisation == "Kenya CSO"
    assert result.answer_time_hours == 24 and result.working_hours == "Sun-Thu 9-17"
    assert len(result.code) == 6 and (await thread(ctx, result.code)).org_id == kenya
    assert (await ask(inbox, "b", locale="ru")).organisation == "World CSO"  # Kenya CSO has no Russian
    assert (await ask(inbox, "c", country="PH")).organisation == "World CSO"
    assert (await ask(inbox, "d", country=None)).organisation == "World CSO"
    async with ctx.sessionmaker() as session, session.begin():
        await session.execute(update(InboxSettings).where(InboxSettings.org_id == world).values(accepting=False))
    assert (await ask(inbox, "e", country="PH")).outcome == "unavailable"
    await add_org(ctx, "Default CSO", ["LB"], settings=False)
    inbox.asking._settings = ctx.settings.model_copy(update={"inbox_default_organisation": "Default CSO"})
    result = await ask(inbox, "f", country="PH")
    assert result.outcome == "created" and result.organisation == "Default CSO" and result.answer_time_hours == 48


async def test_two_organisations_share_the_load(ctx, inbox) -> None:
    await add_org(ctx, "First", ["KE"])
    await add_org(ctx, "Second", ["KE"])
    names = [(await ask(inbox, f"p{i}")).organisation for i in range(4)]
    assert sorted(names) == ["First", "First", "Second", "Second"]


@pytest.mark.parametrize("words", ["My employer beats me and took my phone", "Mon patron me frappe",
                                   "Me tiene encerrada en la casa", "صاحب العمل يضربني", "Меня заперли в квартире",
                                   "Majikan memukul saya", "SOS", "ayuda", "tolong"])
def test_danger_words_in_every_language(words) -> None:
    assert qtext.is_urgent(words)


@pytest.mark.parametrize("words", ["Can you help me understand my contract?", "How much can an agency charge?",
                                   "¿Necesito visa para trabajar?", "هل أحتاج إلى تأشيرة؟", "Dangerous jobs list?"])
def test_ordinary_questions_are_not_urgent(words) -> None:
    assert not qtext.is_urgent(words)


async def test_urgent_questions_are_marked_and_said_so(ctx, inbox) -> None:
    await add_org(ctx, "Kenya CSO", ["KE"])
    result = await ask(inbox, text="He locked me in the house and hits me")
    assert result.urgent and (await thread(ctx, result.code)).urgent
    follow = await ask(inbox, "other", text="Is this contract fair?")
    assert not follow.urgent and not (await thread(ctx, follow.code)).urgent


@pytest.mark.parametrize("text,outcome", [("", "empty"), ("   \n ", "empty"), ("😀🙏😀", "empty"), ("\x00\x07\x1b", "empty"),
                                          ("?!...", "empty"), ("a" * 1001, "too_long")])
async def test_bad_questions_get_a_reason_and_store_nothing(ctx, inbox, text, outcome) -> None:
    await add_org(ctx, "Kenya CSO", ["KE"])
    assert (await ask(inbox, text=text)).outcome == outcome
    async with ctx.sessionmaker() as session:
        assert (await session.scalars(select(InboxThread))).all() == []
        assert (await session.scalars(select(AddressRow))).all() == []


async def test_control_characters_are_dropped_and_numbers_masked(ctx, inbox) -> None:
    await add_org(ctx, "Kenya CSO", ["KE"])
    result = await ask(inbox, text="Call me on +254 711 900 123\x07 or amina@example.org, passport P1234567")
    async with ctx.sessionmaker() as session:
        stored = await session.scalar(select(InboxMessage.text))
    assert "711" not in stored and "amina" not in stored and "1234567" not in stored and "\x07" not in stored
    assert "[phone]" in stored and "[email]" in stored and result.outcome == "created"


async def test_follow_ups_join_her_live_thread_and_reopen_it(ctx, inbox) -> None:
    await add_org(ctx, "Kenya CSO", ["KE"])
    first = await ask(inbox)
    async with ctx.sessionmaker() as session, session.begin():
        row = await session.scalar(select(InboxThread).where(InboxThread.code == first.code))
        responding.claim(row, "smb_resp1")
        await responding.reply(session, row, "smb_resp1", "No, that is not legal.", ["No, that is not legal."], [])
    assert (await thread(ctx, first.code)).status == "answered"
    again = await ask(inbox, text="Thank you. What can I do?")
    assert again.outcome == "added" and again.code == first.code
    assert (await thread(ctx, first.code)).status == "claimed"
    assert await inbox.asking.live_thread("her") == first.code
    assert await inbox.asking.live_thread("someone else") is None


async def test_daily_limits(ctx, inbox) -> None:
    await add_org(ctx, "Kenya CSO", ["KE"])
    inbox.asking._settings = ctx.settings.model_copy(update={"inbox_daily_questions": 1, "inbox_daily_messages": 3})
    first = await ask(inbox)
    async with ctx.sessionmaker() as session, session.begin():
        await responding.close(session, await session.scalar(select(InboxThread)), inbox.addresses, 7)
    assert (await ask(inbox)).outcome == "limit"  # a second new question today
    assert (await ask(inbox, "another woman")).outcome == "created"  # limits are per person
    await ask(inbox, "third")
    await ask(inbox, "third", text="more")
    assert (await ask(inbox, "third", text="and more")).outcome == "added"
    assert (await ask(inbox, "third", text="once more")).outcome == "limit"  # 3 messages a day
    assert first.outcome == "created"


async def test_forget_deletes_threads_texts_link_address_and_queued_answers(ctx, inbox) -> None:
    await add_org(ctx, "Kenya CSO", ["KE"])
    mine = await ask(inbox)
    other = await ask(inbox, "someone else")
    async with ctx.sessionmaker() as session, session.begin():
        row = await session.scalar(select(InboxThread).where(InboxThread.code == mine.code))
        _, outbox_row = await responding.reply(session, row, "smb_r", "An answer", ["An answer"], [])
    assert await inbox.asking.forget("her") == 1
    gone = await thread(ctx, mine.code)
    assert gone.status == "deleted"
    async with ctx.sessionmaker() as session:
        assert (await session.scalars(select(InboxMessage).where(InboxMessage.thread_id == gone.id))).all() == []
        assert await session.scalar(select(InboxAsker).where(InboxAsker.thread_id == gone.id)) is None
        queued = await session.get(OutboxRow, outbox_row.id)
        assert queued.status == "cancelled" and queued.payload == {}
    assert await inbox.addresses.lookup(inbox.addresses.person("her"), "telegram") is None
    assert (await thread(ctx, other.code)).status == "open"
    assert await inbox.outbox.deliver(outbox_row.id) is None
    async with ctx.sessionmaker() as session, session.begin():
        row = await session.get(InboxThread, gone.id)
        with pytest.raises(responding.ThreadConflict) as err:
            await responding.reply(session, row, "smb_r", "Hello?", ["Hello?"], [])
        assert err.value.reason == "deleted"


async def test_stop_erases_the_address_and_shows_opted_out(ctx, inbox) -> None:
    await add_org(ctx, "Kenya CSO", ["KE"])
    result = await ask(inbox, address=Address("sms", phone=PHONE, gateway="twilio"), channel="sms")
    await inbox.asking.stopped("her")
    assert (await thread(ctx, result.code)).delivery == "opted_out"
    assert await inbox.addresses.lookup(inbox.addresses.person("her"), "sms") is None
    async with ctx.sessionmaker() as session, session.begin():
        row = await session.scalar(select(InboxThread))
        _, outbox_row = await responding.reply(session, row, "smb_r", "An answer", ["An answer"], [])
    assert outbox_row is None  # nothing is queued for someone who said STOP


async def test_retention_purges_texts_and_then_the_address(ctx, inbox) -> None:
    await add_org(ctx, "Kenya CSO", ["KE"])
    result = await ask(inbox)
    now = dt.datetime.now(dt.timezone.utc)
    assert await inbox.asking.purge(now) == (0, 0)
    later = now + dt.timedelta(days=ctx.settings.inbox_retention_days + 1)
    assert await inbox.asking.purge(later) == (1, 1)
    purged = await thread(ctx, result.code)
    assert purged.status == "closed" and purged.purged_at is not None
    async with ctx.sessionmaker() as session:
        assert await session.scalar(select(InboxMessage.text)) is None
        assert (await session.scalars(select(InboxAsker))).all() == []
        assert (await session.scalars(select(AddressRow))).all() == []


async def test_close_expires_the_address_after_the_retention_period(ctx, inbox) -> None:
    await add_org(ctx, "Kenya CSO", ["KE"])
    await ask(inbox)
    async with ctx.sessionmaker() as session, session.begin():
        await responding.close(session, await session.scalar(select(InboxThread)), inbox.addresses, 7)
    assert await inbox.addresses.purge_expired() == 0
    soon = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=8)
    assert await inbox.addresses.purge_expired(soon) == 1


async def test_whole_threads_leave_no_plaintext_address_or_key(ctx, inbox, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    await add_org(ctx, "Kenya CSO", ["KE"], webhook="https://cso.example/hook")
    await inbox.start()
    sms = Address("sms", phone=PHONE, gateway="vonage")
    first = await ask(inbox, "tg-user-key", text="My boss took my passport, call +9613123456")
    second = await ask(inbox, "sms-user-key", address=sms, channel="sms", text="Is my contract legal?")
    for code in (first.code, second.code):
        async with ctx.sessionmaker() as session, session.begin():
            row = await session.scalar(select(InboxThread).where(InboxThread.code == code))
            _, out = await responding.reply(session, row, "smb_r", "Here is what you can do.", ["Here is what you can do."], [])
        await inbox.dispatcher.kick(out.id)
    for _ in range(100):
        if len(inbox.outbox.senders["telegram"].delivered) and len(inbox.outbox.senders["sms"].delivered):
            break
        await asyncio.sleep(0.05)
    assert (await thread(ctx, first.code)).delivery == "sent"
    dump = await dump_database(ctx) + await store_text(ctx.store) + caplog.text
    for secret in (CHAT_ID, PHONE, PHONE.lstrip("+"), "tg-user-key", "sms-user-key"):
        assert secret not in dump and secret.encode().hex() not in dump


async def test_the_webhook_says_new_question_language_country_urgent_never_the_text(ctx, inbox) -> None:
    await add_org(ctx, "Kenya CSO", ["KE"], webhook="https://cso.example/hook")
    result = await ask(inbox, text="He hits me. My number is +254711900123")
    async with ctx.sessionmaker() as session:
        row = await session.get(OutboxRow, result.webhook_outbox_id)
    assert row.kind == "webhook" and row.person is None
    assert row.payload["body"] == {"event": "question.new", "question": result.code, "language": "en",
                                   "country": "KE", "urgent": True, "at": row.payload["body"]["at"]}
    assert "hits" not in str(row.payload) and "711" not in str(row.payload)
