"""Twilio: X-Twilio-Signature, TwiML answers, WhatsApp senders, retries, STOP."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from bot.channels.gateways.twilio import twiml_text
from bot.channels.sms import OPTOUT_INDEX, OPTOUT_PREFIX
from bot.models import OptOut
from tests.bot.channels.sms_helpers import BASE_URL, LOCALES, twilio_signature, whole_conversation


def test_signature_matches_twilios_published_example() -> None:
    """The known-answer vector of Twilio's webhook security documentation."""
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "1234",
              "From": "+12349013030", "To": "+18005551212"}
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio_signature(url, params, token="12345") == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    assert RequestValidator("12345").validate(url, params, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")


@pytest.mark.parametrize("texts", [[], [""], ["plain"], ["a & b < c > d \"e\" 'f'\r\n", "", "ع 😀 €"],
                                   ["]]> &amp; <Message>", "\x0b\t"]])
def test_twiml_is_what_twilios_library_prints(texts: list[str]) -> None:
    library = MessagingResponse()
    for text in texts:
        library.message(text)
    assert twiml_text(texts) == str(library)


async def test_forged_missing_and_misaddressed_signatures_get_403_and_nothing_is_kept(rig) -> None:
    params = rig.twilio_params("+447700900001", "hello")
    forged = twilio_signature(BASE_URL + "/sms/twilio", params, token="not-the-token")
    assert (await rig.twilio_post(params, signature=forged)).status_code == 403
    assert (await rig.twilio_post(params, signature="")).status_code == 403
    other_url = twilio_signature("http://127.0.0.1:8080/sms/twilio", params)  # not the public URL
    assert (await rig.twilio_post(params, signature=other_url)).status_code == 403
    tampered = dict(params, Body="something else")
    sig = twilio_signature(BASE_URL + "/sms/twilio", params)
    assert (await rig.twilio_post(tampered, signature=sig)).status_code == 403
    assert await rig.store_text() == ""
    assert "hello" not in await rig.database_text()
    # the genuine request passes, and replaying it is acknowledged without a second answer
    assert (await rig.twilio_post(params)).status_code == 200
    replay = await rig.twilio_post(params)
    assert replay.status_code == 200 and "<Message>" not in replay.text
    # unconfigured: refused, even with a signature that was right a moment ago
    rig.ctx.settings.twilio_auth_token = None
    kept = await rig.store_text()
    assert (await rig.twilio_post(rig.twilio_params("+447700900001", "hello"))).status_code == 403
    assert await rig.store_text() == kept


async def test_whole_conversations_in_every_language(rig) -> None:
    for n, locale in enumerate(LOCALES):
        await whole_conversation(rig, "twilio", locale, f"+4477009001{n:02d}")


async def test_whatsapp_senders_are_their_own_channel_and_retries_are_answered_once(rig) -> None:
    first = await rig.twilio("+447700900200", "hello", sid="SM" + "1" * 32)
    assert first
    assert await rig.twilio("+447700900200", "hello", sid="SM" + "1" * 32) == []
    assert "Reply MENU to start, LANG" in (await rig.twilio("+447700900300", "hi", whatsapp=True))[0]
    await rig.twilio("+447700900300", "LANG", whatsapp=True)
    await rig.twilio("+447700900300", "2", whatsapp=True)  # French on WhatsApp
    sms = await rig.twilio("+447700900300", "hi")  # the same number by SMS starts afresh
    assert "Reply MENU to start, LANG" in sms[0]
    wa_key = rig.ctx.user_keys.key("whatsapp", "+447700900300")
    assert (await rig.ctx.store.get("s:" + wa_key))["locale"] == "fr"
    stop = await rig.twilio("+447700900300", "STOP", whatsapp=True)
    assert stop and stop[0].startswith("Vous ne recevrez plus")  # WhatsApp gets our confirmation
    assert await rig.twilio("+447700900300", "menu please", whatsapp=True) == []


async def test_stop_is_honoured_at_once_and_start_resumes(rig) -> None:
    phone = "+447700900400"
    await rig.twilio(phone, "hello")
    # Twilio's Advanced Opt-Out confirms STOP on SMS itself, so we send nothing back
    assert await rig.twilio(phone, "STOP") == []
    async with rig.ctx.sessionmaker() as session:
        rows = (await session.execute(select(OptOut))).scalars().all()
    assert [r.user_key for r in rows] == [rig.ctx.user_keys.key("sms", phone)]
    assert phone not in await rig.database_text() and phone.lstrip("+") not in await rig.database_text()
    assert await rig.twilio(phone, "1") == []
    assert await rig.twilio(phone, "hello?") == []
    # an emergency word is still answered: a safety service, and carriers require HELP answers
    assert await rig.twilio(phone, "HELP")
    assert await rig.twilio(phone, "1") == []
    resumed = await rig.twilio(phone, "START")
    assert resumed
    async with rig.ctx.sessionmaker() as session:
        assert (await session.execute(select(OptOut))).scalars().all() == []
    assert await rig.twilio(phone, "1")
    # the STOP word of every shipped language
    for n, word in enumerate(["stop", "ARRET", "parar", "توقف", "стоп", "berhenti"]):
        other = f"+44770090050{n}"
        await rig.twilio(other, "hello")
        await rig.twilio(other, word)
        assert await rig.twilio(other, "2") == [], word


def _statements(rig) -> list[str]:
    """Every SQL statement the service sends from now on (the list fills as it runs)."""
    seen: list[str] = []
    event.listen(rig.ctx.db.sync_engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *rest: seen.append(statement))
    return seen


async def test_a_new_womans_first_messages_read_nothing_from_the_database(rig) -> None:
    statements = _statements(rig)
    assert await rig.twilio("+447700900410", "hello")
    assert await rig.twilio("+447700900410", "MENU")
    assert statements == []


async def _stopped_then_copy_lost(rig, phone: str) -> str:
    """She sent STOP, then the store lost its copy of her opt-out and the index mark; her key."""
    await rig.twilio(phone, "hello")
    await rig.twilio(phone, "STOP")
    key = rig.ctx.user_keys.key("sms", phone)
    await rig.ctx.store.delete(OPTOUT_PREFIX + key, OPTOUT_INDEX)
    return key


async def test_stop_is_honoured_from_the_store_copy_made_at_start(rig) -> None:
    phone = "+447700900420"
    await _stopped_then_copy_lost(rig, phone)  # a store that lost everything
    await rig.channel.core.index_opt_outs()  # the next start copies the table again
    statements = _statements(rig)
    assert await rig.twilio(phone, "1") == []
    assert statements == []
    assert await rig.twilio(phone, "HELP")


async def test_without_the_index_mark_her_state_is_read_from_the_database(rig) -> None:
    phone = "+447700900430"
    key = await _stopped_then_copy_lost(rig, phone)  # emptied under a running service
    statements = _statements(rig)
    assert await rig.twilio(phone, "1") == []
    assert any("opt_outs" in s for s in statements)
    assert (await rig.ctx.store.get(OPTOUT_PREFIX + key))["stopped"] is True  # kept for the day
