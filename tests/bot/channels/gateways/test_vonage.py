"""Vonage: SMS API signed webhooks (md5hash and HMACs), Messages API JWTs, concatenated
messages, replies through the SMS API with retries."""

from __future__ import annotations

import json
import time

import jwt
import pytest

from bot.channels.gateways import vonage
from bot.languages import shipped_locales
from tests.bot.channels.sms_helpers import LOCALES, VONAGE_SECRET, vonage_jwt, vonage_sig, whole_conversation


def test_signature_matches_vonages_known_answer() -> None:
    """The vector of Vonage's own client library tests: a=1, b=2, a timestamp, secret 'secret'."""
    params = {"a": "1", "b": "2", "timestamp": "1461605396"}
    assert vonage_sig(params, "secret") == "6af838ef94998832dbfc29020b564830"
    assert vonage.signature(params, "secret", "md5hash") == "6af838ef94998832dbfc29020b564830"
    signed = dict(params, sig="6af838ef94998832dbfc29020b564830")
    assert vonage.check_signature(signed, "secret", "md5hash", now=1461605396 + 60)
    assert not vonage.check_signature(signed, "secret", "md5hash", now=1461605396 + 3 * 86400)
    assert not vonage.check_signature(signed, "other", "md5hash", now=1461605396)


@pytest.mark.parametrize("method", ["md5hash", "md5", "sha1", "sha256", "sha512"])
def test_every_signature_method_agrees_with_the_documented_algorithm(method) -> None:
    params = {"msisdn": "447700900000", "text": "a&b=c é ع", "timestamp": str(int(time.time())),
              "concat-ref": "7", "message-timestamp": "2026-11-23 10:00:00"}
    sig = vonage_sig(params, VONAGE_SECRET, method)
    assert vonage.signature(params, VONAGE_SECRET, method) == sig
    assert vonage.check_signature(dict(params, sig=sig.upper()), VONAGE_SECRET, method)
    assert not vonage.check_signature(dict(params, sig=sig, text="a&b=d"), VONAGE_SECRET, method)


async def test_forged_stale_and_replayed_requests_get_403_and_nothing_is_kept(rig) -> None:
    phone = "+447700900900"
    good = rig.vonage_params(phone, "hello")
    forged = dict(good, sig=vonage_sig(good, "w" * 64))
    tampered = dict(good, text="hello there")
    unsigned = {k: v for k, v in good.items() if k != "sig"}
    stale = rig.vonage_params(phone, "hello", timestamp=str(int(time.time()) - 2 * 86400))
    for params in (forged, tampered, unsigned, stale):
        assert (await rig.vonage_post(params)).status_code == 403
        assert (await rig.vonage_post(params, as_json=False)).status_code == 403
    body = json.dumps({"channel": "sms", "message_uuid": "u-1", "from": "447700900900",
                       "to": "15005550006", "text": "hello", "message_type": "text"}).encode()
    bad_tokens = [vonage_jwt(body, secret="w" * 64),
                  vonage_jwt(body, payload_hash="0" * 64),
                  vonage_jwt(body, iat=int(time.time()) - 3 * 86400),
                  jwt.encode({"iat": int(time.time())}, VONAGE_SECRET, algorithm="HS512"),
                  jwt.encode({"iat": int(time.time())}, None, algorithm="none"),
                  "not-a-jwt"]
    for token in bad_tokens:
        assert (await rig.vonage_messages(phone, "hello", token=token, body=body)).status_code == 403
    await rig.channel.drain()
    assert rig.fake.sent == [] and await rig.store_text() == ""
    assert "hello" not in await rig.database_text()
    # the genuine request: acknowledged at once, answered through the SMS API, once
    assert (await rig.vonage_post(good)).status_code == 204
    await rig.channel.drain()
    assert len(rig.fake.sent) == 1
    sent = rig.fake.sent[0].form
    assert sent["to"] == "447700900900" and sent["from"] == "15005550006"
    assert sent["api_key"] == "abcd1234" and sent["api_secret"] == "vonage-api-secret"
    assert (await rig.vonage_post(good)).status_code == 204  # Vonage's retry
    await rig.channel.drain()
    assert len(rig.fake.sent) == 1
    # a Messages API webhook with a valid JWT (and its payload hash) is answered too
    assert (await rig.vonage_messages("+447700900901", "hello")).status_code == 204
    await rig.channel.drain()
    assert len(rig.fake.sent) == 2 and rig.fake.sent[1].form["to"] == "447700900901"
    # an HMAC method configured: its signatures pass, md5hash ones no longer do
    rig.ctx.settings.vonage_signature_method = "sha256"
    assert (await rig.vonage_post(rig.vonage_params(phone, "1", method="sha256"))).status_code == 204
    assert (await rig.vonage_post(rig.vonage_params(phone, "1"))).status_code == 403
    # unconfigured: refused
    rig.ctx.settings.vonage_signature_secret = None
    assert (await rig.vonage_post(rig.vonage_params(phone, "2", method="sha256"))).status_code == 403
    await rig.channel.drain()


async def test_whole_conversations_in_every_language(rig) -> None:
    for n, locale in enumerate(LOCALES):
        await whole_conversation(rig, "vonage", locale, f"+4477009010{n:02d}")


async def test_long_messages_are_reassembled_in_any_order_and_replies_retried(rig) -> None:
    phone = "+447700901100"
    await rig.vonage(phone, "hello")
    await rig.vonage(phone, "LANG")
    await rig.vonage(phone, str(shipped_locales().index("ar") + 1))  # Arabic
    rig.fake.clear()
    ref = "0A1B"
    parts = {1: "حذ", 2: "ف"}  # "حذف": DELETE, sent as two parts
    for part in (2, 1):
        texts = await rig.vonage(phone, parts[part], **{"concat": "true", "concat-ref": ref,
                                                       "concat-total": "2", "concat-part": str(part)})
        if part == 2:
            assert texts == []  # waiting for part 1
    assert len(rig.fake.sent) == 1
    confirm = rig.fake.sent[0]
    assert "\n1 " in confirm.text and confirm.form["type"] == "unicode"
    assert "smscat:" not in await rig.store_text()
    assert "حذ" not in await rig.store_text()
    # outbound: retried on 5xx and on a hang past the timeout, then sent
    rig.fake.fail_next(2, status=502)
    calls = rig.fake.calls
    texts = await rig.vonage("+447700901200", "hello")
    assert len(texts) == 1 and rig.fake.calls == calls + 3
    assert rig.fake.sent[-1].form["type"] == "text"  # the English greeting: GSM-7
    rig.fake.hang_next(1, seconds=1.0)
    texts = await rig.vonage("+447700901200", "MENU")
    assert len(texts) == 1 and rig.fake.calls == calls + 5
    assert rig.fake.sent[-1].form["type"] == "text"  # English menu: GSM-7
