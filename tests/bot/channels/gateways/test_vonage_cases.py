"""Vonage's webhook as a table of cases: request in, status and texts out."""

from __future__ import annotations

import json
import time

import pytest

from tests.bot.channels.gateway_cases import Case, run_case
from tests.bot.channels.sms_helpers import OUR_NUMBER, vonage_jwt, vonage_sig

PHONE = "+447700900602"


def _say(text, **kw):
    return lambda rig: rig.vonage_post(rig.vonage_params(PHONE, text, **kw))


def _forged(rig):
    return rig.vonage_post(dict(rig.vonage_params(PHONE, "hello"), sig="0" * 32))


def _stale(rig):
    params = rig.vonage_params(PHONE, "hello", timestamp=str(int(time.time()) - 3 * 86400))
    params["sig"] = vonage_sig(params)
    return rig.vonage_post(params)


def _get(rig):
    return rig.client.get("/sms/vonage", params=rig.vonage_params(PHONE, "hello"))


def _receipt(rig):
    params = {"msisdn": PHONE.lstrip("+"), "to": OUR_NUMBER.lstrip("+"), "messageId": "0A01",
              "status": "delivered", "timestamp": str(int(time.time()))}
    params["sig"] = vonage_sig(params)
    return rig.vonage_post(params)


def _messages_api(token_secret=None, payload_hash=None, channel="sms"):
    def send(rig):
        body = json.dumps({"channel": channel, "message_uuid": rig.next_id("uuid-"), "to": OUR_NUMBER.lstrip("+"),
                           "from": PHONE.lstrip("+"), "text": "hello", "message_type": "text"}).encode()
        claims = {} if payload_hash is None else {"payload_hash": payload_hash}
        token = vonage_jwt(body, **claims) if token_secret is None else vonage_jwt(body, secret=token_secret)
        return rig.vonage_messages(PHONE, "hello", token=token, body=body)
    return send


def _part(n, text):
    return _say(text, **{"concat": "true", "concat-ref": "9", "concat-total": "2", "concat-part": str(n)})


CASES = [
    Case("a signed JSON message is answered through the API", _say("hello"), 204, "Reply MENU to start, LANG"),
    Case("a signed form message too", lambda r: r.vonage_post(r.vonage_params(PHONE, "hello"), as_json=False), 204,
         "Reply MENU to start, LANG"),
    Case("a signed GET too", _get, 204, "Reply MENU to start, LANG"),
    Case("an HMAC-SHA256 signature when configured so", _say("hello", method="sha256"), 204, "Reply MENU to start, LANG",
         before=(lambda r: _set(r, vonage_signature_method="sha256"),)),
    Case("a forged signature is refused", _forged, 403, keeps_nothing=True),
    Case("a signature older than a day is refused", _stale, 403, keeps_nothing=True),
    Case("a delivery receipt needs no answer", _receipt, 204),
    Case("a retry of an answered message is not answered again", _say("hello", msg_id="1A-retry"), 204,
         before=(_say("hello", msg_id="1A-retry"),)),
    Case("a Messages API JWT is accepted", _messages_api(), 204, "Reply MENU to start, LANG"),
    Case("a JWT with another secret is refused", _messages_api(token_secret="x" * 40), 403, keeps_nothing=True),
    Case("a JWT over another body is refused", _messages_api(payload_hash="0" * 64), 403, keeps_nothing=True),
    Case("a Messages API message on another channel is not answered here", _messages_api(channel="whatsapp"), 204),
    Case("the first part of a long message waits for the rest", _part(1, "hel"), 204),
    Case("the last part brings the whole message", _part(1, "hel"), 204, "Reply MENU to start, LANG", before=(_part(2, "lo"),)),
    Case("a body over the limit is refused",
         lambda r: r.vonage_post(r.vonage_params(PHONE, "x" * (r.ctx.settings.max_body_bytes + 1))), 413,
         keeps_nothing=True),
]


async def _set(rig, **values) -> None:
    for name, value in values.items():
        setattr(rig.ctx.settings, name, value)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.label)
async def test_vonage(rig, case: Case) -> None:
    await run_case(rig, case)
