"""After a whole conversation on every SMS gateway, "delete my data" leaves no key of hers."""

from __future__ import annotations

import pytest

from tests.support import personal_keys

GATEWAYS = ("twilio", "africastalking", "vonage")


async def _everything(rig, gateway: str, phone: str) -> None:
    """Welcome, English, a topic, an item, MORE pages, a rating with consent."""
    for text in ("hello", "1", "1", "1", "MORE"):
        assert await rig.say(gateway, phone, text), text
    for text in ("0", "FEEDBACK"):
        await rig.say(gateway, phone, text)


@pytest.mark.parametrize("gateway", GATEWAYS)
async def test_delete_leaves_no_key_of_hers_after_a_whole_conversation(rig, gateway):
    phone = "+447700900901"
    await _everything(rig, gateway, phone)
    assert await personal_keys(rig.ctx.store)  # a session and MORE pages at least
    assert await rig.say(gateway, phone, "DELETE")
    assert await rig.say(gateway, phone, "1")
    assert await personal_keys(rig.ctx.store) == []


async def test_delete_on_whatsapp_leaves_no_key_of_hers(rig):
    """Her 24-hour window is written with the rest of the turn: deleting must not write it back."""
    phone = "+447700900903"
    for text in ("hello", "1", "DELETE"):
        assert await rig.twilio(phone, text, whatsapp=True), text
    assert await rig.twilio(phone, "1", whatsapp=True)
    assert await personal_keys(rig.ctx.store) == []


async def test_delete_erases_the_parts_of_a_long_message_still_waiting_for_the_rest(rig):
    phone = "+447700900902"
    await rig.vonage(phone, "hello")
    waiting = await rig.vonage(phone, "first half of a long message about my passport",
                               **{"concat": "true", "concat-ref": "42", "concat-total": "2", "concat-part": "1"})
    assert waiting == []  # nothing to answer until the second part comes
    assert await rig.vonage(phone, "DELETE")
    assert await rig.vonage(phone, "1")
    assert await personal_keys(rig.ctx.store) == []
    assert "passport" not in await rig.store_text()
