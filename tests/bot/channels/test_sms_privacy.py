"""After whole SMS conversations over every gateway, her number and what she typed are nowhere:
not in the database, not in the session store, not in the logs (captured at DEBUG)."""

from __future__ import annotations

import logging

from sqlalchemy import select

from bot.models import OptOut


async def test_numbers_and_messages_leave_no_trace(rig, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    phones = {"twilio": "+447700902001", "africastalking": "+254711902002", "vonage": "+14155552003"}
    typed = ["zebraquartz", "Bonjour, je m'appelle Amina", "my boss took my passport yesterday"]
    for gateway, phone in phones.items():
        await rig.say(gateway, phone, "Hello " + typed[0])
        await rig.say(gateway, phone, "2")
        for words in typed:
            await rig.say(gateway, phone, words)
        await rig.say(gateway, phone, "1")
        await rig.say(gateway, phone, "PLUS")
        await rig.say(gateway, phone, "AIDE")
    await rig.twilio("+447700902004", "hi " + typed[0], whatsapp=True)
    await rig.say("vonage", phones["vonage"], "STOP")
    await rig.say("africastalking", phones["africastalking"], "ARRET")
    await rig.channel.drain()

    async with rig.ctx.sessionmaker() as session:
        keys = set((await session.execute(select(OptOut.user_key))).scalars())
    assert keys == {rig.ctx.user_keys.key("sms", phones["vonage"]),
                    rig.ctx.user_keys.key("sms", phones["africastalking"])}

    kept = {"database": await rig.database_text(), "store": await rig.store_text(),
            "logs": "\n".join(r.getMessage() + repr(r.args) for r in caplog.records)}
    assert kept["store"] and caplog.records  # there is something to look at
    for where, text in kept.items():
        for phone in list(phones.values()) + ["+447700902004"]:
            for form in (phone, phone.lstrip("+"), phone[-9:]):
                assert form not in text, (where, "phone")
        for words in typed:
            assert words not in text, (where, words)
            assert words.split()[-1] not in text, (where, words)
