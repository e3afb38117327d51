"""Africa's Talking: the secret callback key, acknowledgement first, replies via its API with
retries on 5xx and timeouts."""

from __future__ import annotations

from tests.bot.channels.sms_helpers import AT_KEY, LOCALES, whole_conversation


async def test_wrong_missing_or_unconfigured_key_gets_403_and_nothing_is_kept(rig) -> None:
    form = rig.at_form("+254711000001", "hello")
    assert (await rig.at_post(form, key="not-the-key")).status_code == 403
    assert (await rig.at_post(form, key=AT_KEY[:-1])).status_code == 403
    assert (await rig.at_post(form, key=AT_KEY + "x")).status_code == 403
    assert (await rig.client.post("/sms/africastalking", data=form)).status_code == 403
    await rig.channel.drain()
    assert rig.fake.sent == [] and await rig.store_text() == ""
    assert "hello" not in await rig.database_text()
    # the key in the query string works as well as in the path
    assert (await rig.at_post(form, in_query=True)).status_code == 200
    await rig.channel.drain()
    assert len(rig.fake.sent) == 1
    sent = rig.fake.sent[0]
    assert sent.headers.get("apiKey") == "at-api-key"
    assert sent.form["username"] == "sandbox" and sent.form["to"] == "+254711000001"
    assert sent.form["from"] == "12345" and "LANG" in sent.text  # the greeting, in her number's language
    # a retried callback (same id) is acknowledged and not answered again
    assert (await rig.at_post(form)).status_code == 200
    await rig.channel.drain()
    assert len(rig.fake.sent) == 1
    # unconfigured: refused
    rig.ctx.settings.africastalking_webhook_key = None
    assert (await rig.at_post(rig.at_form("+254711000001", "hi"), key="None")).status_code == 403


async def test_whole_conversations_in_every_language(rig) -> None:
    for n, locale in enumerate(LOCALES):
        await whole_conversation(rig, "africastalking", locale, f"+2547110002{n:02d}")


async def test_outbound_retries_on_5xx_and_timeouts_and_premium_link_ids(rig) -> None:
    rig.fake.fail_next(2, status=503)
    texts = await rig.at("+254711000301", "hello")
    assert len(texts) == 1 and "LANG" in texts[0]  # a greeting in the language of her number's country
    assert rig.fake.calls == 3  # two 503s, then accepted
    rig.fake.hang_next(1, seconds=1.0)  # longer than GATEWAY_TIMEOUT_SECONDS (0.3 s here)
    rig.fake.fail_next(1, status=500)
    texts = await rig.at("+254711000301", "MENU")
    assert len(texts) == 1 and "\n1 " in texts[0]
    assert rig.fake.calls == 6
    # a gateway that keeps failing: the webhook was acknowledged, we give up after N tries
    rig.fake.fail_next(rig.channel.core.http.max_attempts, status=500)
    response = await rig.at_post(rig.at_form("+254711000301", "0"))
    assert response.status_code == 200
    await rig.channel.drain()
    assert rig.fake.calls == 6 + rig.channel.core.http.max_attempts
    assert len(rig.fake.sent) == 2
    # premium short codes: the linkId goes back, with bulk mode off
    await rig.at("+254711000401", "hello", link_id="SampleLinkId123")
    sent = rig.fake.sent[-1]
    assert sent.form["linkId"] == "SampleLinkId123" and sent.form["bulkSMSMode"] == "0"
    await rig.at("+254711000402", "hello")
    assert "linkId" not in rig.fake.sent[-1].form
