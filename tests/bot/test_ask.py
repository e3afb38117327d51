""""Ask a person" in the chat, as scripts: what she types and what she gets back.

Consent first, then her question, the acknowledgement with its code and answer time,
follow-ups, the limits, bad input (empty, huge, emoji only, control characters), urgent
questions (emergency numbers at once), and deletion of the thread and her address.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.addresses import Address
from bot.conversation import Event
from bot.inbox_models import AddressRow, InboxMessage, InboxThread
from bot.payloads import Head
from tests.bot.conversation_driver import Woman
from tests.bot.test_inbox import add_org
from tests.bot.test_outbox import FakeSender

CHAT = Address("telegram", chat_id="8800123456")


class Asker(Woman):
    """A woman on Telegram: every event carries where an answer can reach her."""

    def __init__(self, engine, user_key: str = "k" * 40, address: Address | None = CHAT) -> None:
        super().__init__(engine, user_key=user_key, channel="telegram")
        self.address = address

    async def says(self, text: str):
        self.replies = (await self.engine.handle(Event(
            self.channel, self.user_key, text=text, reply_to=self.address))).replies
        return self.last

    async def picks(self, label_or_payload: str):
        payload = next((c.payload for c in self.last.choices if c.label == label_or_payload), label_or_payload)
        self.replies = (await self.engine.handle(Event(
            self.channel, self.user_key, payload=payload, reply_to=self.address))).replies
        return self.last


async def _ready(ctx, locale: str = "en", **kw) -> Asker:
    ctx.inbox.outbox.senders.update({"telegram": FakeSender(), "sms": FakeSender()})
    await add_org(ctx, "Kenya CSO", ["KE"], **kw)
    woman = Asker(ctx.engine, **({"address": kw["address"]} if "address" in kw else {}))
    await woman.says("hello")
    await woman.picks(f"l:{locale}")
    await woman.picks("co:KE")  # "I am in Kenya": the question goes to an organisation there
    return woman


async def _threads(ctx) -> list[InboxThread]:
    async with ctx.sessionmaker() as session:
        return list(await session.scalars(select(InboxThread).order_by(InboxThread.id)))


async def test_consent_question_acknowledgement_and_follow_up(ctx) -> None:
    woman = await _ready(ctx)
    await woman.picks("Main menu")
    assert "Ask a person" in woman.labels()
    consent = await woman.picks("Ask a person")
    for words in ("peer educator", "never see your number, your name or this chat",
                  "Do not write your name or your number", "delete your question at any time"):
        assert words in consent.text
    assert woman.labels()[0] == "Write my question"
    await woman.picks("Write my question")
    assert "Write your question" in woman.last.text
    ack = await woman.says("My agency keeps my passport. Call me on +254 712 345678. Is that legal?")
    assert "Your question is sent" in ack.text and "usually within 24 hours" in ack.text
    assert "They work: Sun-Thu 9-17" in ack.text
    [thread] = await _threads(ctx)
    assert thread.code in ack.text and thread.country == "KE" and thread.channel == "telegram"
    assert not thread.urgent
    async with ctx.sessionmaker() as session:
        [message] = (await session.scalars(select(InboxMessage))).all()
    assert "712 345678" not in message.text and "passport" in message.text  # her number is masked
    # after the acknowledgement, her next words are a search again, not part of the question
    assert woman.labels()[0] == "Add to my question"
    await woman.says("passport")
    async with ctx.sessionmaker() as session:
        assert len((await session.scalars(select(InboxMessage))).all()) == 1
    # the menu's "Ask a person" now adds to the open question
    await woman.picks("Main menu")
    again = await woman.picks("Ask a person")
    assert thread.code in again.text and "still open" in again.text
    added = await woman.says("They also took my phone at night.")
    assert "We added this to your question " + thread.code in added.text
    assert len(await _threads(ctx)) == 1


async def test_leaving_the_question_screen_stops_taking_a_question(ctx) -> None:
    woman = await _ready(ctx)
    await woman.picks(Head.ASK)
    await woman.picks("Write my question")
    await woman.picks("Main menu")
    await woman.says("contract")  # a search, not a question
    assert await _threads(ctx) == []


async def test_bad_input_gets_a_clear_reply_and_she_can_try_again(ctx) -> None:
    woman = await _ready(ctx)
    await woman.picks(Head.ASK)
    await woman.picks("Write my question")
    for bad in ("🙏🙏😢", "\u200e\u202e\u0007", "   ", "?!..."):
        reply = await woman.says(bad)
        assert "has no words" in reply.text, bad
    huge = "Is my contract legal? " * 200
    reply = await woman.says(huge)
    assert "too long" in reply.text and "1000 characters" in reply.text
    assert await _threads(ctx) == []
    ok = await woman.says("Is my contract legal?")  # still asked for her question
    assert "Your question is sent" in ok.text


async def test_an_urgent_question_gets_the_emergency_numbers_at_once(ctx) -> None:
    woman = await _ready(ctx)
    await woman.picks(Head.ASK)
    await woman.picks("Write my question")
    replies = (await ctx.engine.handle(Event("telegram", woman.user_key, reply_to=CHAT,
                                             text="My employer locked me in the house and beats me"))).replies
    assert "Emergency numbers in Kenya" in replies[0].text
    assert "Your question is sent" in replies[-1].text
    [thread] = await _threads(ctx)
    assert thread.urgent


async def test_urgent_even_when_no_one_can_answer(ctx) -> None:
    ctx.inbox.outbox.senders.update({"telegram": FakeSender()})
    woman = Asker(ctx.engine)
    await woman.says("hello")
    await woman.picks("English")
    await woman.picks(Head.ASK)
    await woman.picks("Write my question")
    replies = (await ctx.engine.handle(Event("telegram", woman.user_key, reply_to=CHAT,
                                             text="he raped me, what can I do"))).replies
    assert "Emergency numbers in" in replies[0].text  # no country yet: the deployment's or her SIM's
    assert "no one can answer questions" in replies[-1].text


async def test_daily_limit(ctx) -> None:
    woman = await _ready(ctx)
    ctx.inbox.asking._settings = ctx.settings.model_copy(update={"inbox_daily_messages": 2})
    await woman.picks(Head.ASK)
    await woman.picks("Write my question")
    await woman.says("First question about my visa")
    await woman.picks("Add to my question")
    await woman.says("And my contract")
    await woman.picks("Add to my question")
    reply = await woman.says("One more thing")
    assert "many questions today" in reply.text and "Get help now" in woman.labels()
    await woman.picks(Head.ASK)
    replies = (await ctx.engine.handle(Event("telegram", woman.user_key, reply_to=CHAT,
                                             text="My employer beats me"))).replies
    assert "Emergency numbers in Kenya" in replies[0].text and "many questions today" in replies[-1].text


async def test_a_channel_without_an_address_cannot_ask(ctx) -> None:
    woman = Asker(ctx.engine, address=None)
    await woman.says("hello")
    await woman.picks("English")
    reply = await woman.picks(Head.ASK)
    assert "cannot ask a person from here" in reply.text


async def test_nothing_found_offers_a_person(ctx) -> None:
    woman = await _ready(ctx)
    reply = await woman.says("zzqx vrbl")
    assert "I did not find anything" in reply.text and "ask a person" in reply.text
    assert woman.labels()[0] == "Ask a person"
    assert woman.labels().count("Ask a person") == 1


async def test_in_her_language(ctx) -> None:
    woman = await _ready(ctx, "ar")
    consent = await woman.picks(Head.ASK)
    assert "Ask a person" not in consent.text and "peer educator" not in consent.text
    await woman.picks(woman.last.choices[0].payload)
    ack = await woman.says("وكالتي تطلب رسوما أخرى. هل هذا قانوني؟")
    [thread] = await _threads(ctx)
    assert thread.locale == "ar" and thread.code in ack.text and "Thank you" not in ack.text


async def test_deletion_removes_her_thread_and_address(ctx) -> None:
    woman = await _ready(ctx)
    await woman.picks(Head.ASK)
    await woman.picks("Write my question")
    await woman.says("Can my employer keep my passport?")
    async with ctx.sessionmaker() as session:
        assert len((await session.scalars(select(AddressRow))).all()) == 1
    await woman.picks("d:y")
    [thread] = await _threads(ctx)
    assert thread.status == "deleted"
    async with ctx.sessionmaker() as session:
        assert (await session.scalars(select(AddressRow))).all() == []
        assert (await session.scalars(select(InboxMessage))).all() == []


async def test_no_reply_laid_out_once_for_everyone_carries_her_words_or_her_code(ctx) -> None:
    """Shared replies (menus, lists, items) are kept laid out in memory: nothing of hers may be in one."""
    woman = await _ready(ctx)
    seen = []

    async def say(text: str) -> None:
        await woman.says(text)
        seen.extend(woman.replies)

    async def pick(label: str) -> None:
        await woman.picks(label)
        seen.extend(woman.replies)

    await say("zanzibarqx passport")  # a search that finds something, with a word of hers
    await say("zanzibarqx")  # a search that finds nothing
    await pick("Main menu")
    await pick("Ask a person")
    await pick("Write my question")
    await say("zanzibarqx: my agency keeps my passport")
    [thread] = await _threads(ctx)
    await pick("Main menu")
    await pick("Ask a person")
    shared = [r for r in seen if r.shared]
    assert shared and any(thread.code in r.text for r in seen)
    assert not [r for r in shared if "zanzibarqx" in r.text or thread.code in r.text]
