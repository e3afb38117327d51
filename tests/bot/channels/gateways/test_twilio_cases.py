"""Twilio's webhook as a table of cases: request in, status and texts out (see gateway_cases)."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from tests.bot.channels.gateway_cases import Case, run_case
from tests.bot.channels.sms_helpers import BASE_URL, TWILIO_TOKEN, twilio_signature

PHONE = "+447700900601"
URL = BASE_URL + "/sms/twilio"


def _signed_elsewhere(rig):
    params = rig.twilio_params(PHONE, "hello")
    return rig.twilio_post(params, signature=twilio_signature("http://127.0.0.1:8080/sms/twilio", params))


def _tampered(rig):
    params = rig.twilio_params(PHONE, "hello")
    return rig.twilio_post(dict(params, Body="other"), signature=twilio_signature(URL, params))


def _signed_with_port(rig):
    """Twilio sometimes signs the URL with its default port: the library's variant is kept."""
    params = rig.twilio_params(PHONE, "hello")
    return rig.twilio_post(params, signature=twilio_signature("https://bot.example.org:443/sms/twilio", params))


def _with_query(rig):
    """A webhook URL configured with a query string: Twilio signs it with the query."""
    params = rig.twilio_params(PHONE, "hello")
    return rig.twilio_post(params, path="/sms/twilio?campaign=a%20b",
                           signature=twilio_signature(URL + "?campaign=a%20b", params))


def _algorithm(name: str, signed_with: str):
    def post(rig):
        params = rig.twilio_params(PHONE, "hello")
        signature = RequestValidator(TWILIO_TOKEN).compute_signature(URL, params, signed_with)
        return rig.client.post("/sms/twilio", data=params, headers={
            "X-Twilio-Signature": signature,
            "X-Twilio-Webhooks-Signature-Settings": f"key=webhooks_sharedkey_1,algorithm={name}"})
    return post


def _unconfigured(rig):
    params = rig.twilio_params(PHONE, "hello")
    rig.ctx.settings.twilio_auth_token = None
    return rig.twilio_post(params, signature=twilio_signature(URL, params))


def _huge(rig):
    return rig.twilio_post(rig.twilio_params(PHONE, "x" * (rig.ctx.settings.max_body_bytes + 1)))


def _media(rig):
    return rig.twilio_post(dict(rig.twilio_params(PHONE, ""), NumMedia="1"))


def _say(text, **kw):
    return lambda rig: rig.twilio_post(rig.twilio_params(PHONE, text, **kw))


CASES = [
    Case("a first message gets the short greeting", _say("hello"), 200, "Reply MENU to start, LANG"),
    Case("a forged signature is refused", lambda r: r.twilio_post(r.twilio_params(PHONE, "hi"), signature="Zm9yZ2Vk"),
         403, keeps_nothing=True),
    Case("a missing signature is refused", lambda r: r.twilio_post(r.twilio_params(PHONE, "hi"), signature=""),
         403, keeps_nothing=True),
    Case("a signature over another URL is refused", _signed_elsewhere, 403, keeps_nothing=True),
    Case("a signature over the URL with its default port is accepted", _signed_with_port, 200, "Reply MENU"),
    Case("a signature over the URL with its query string is accepted", _with_query, 200, "Reply MENU"),
    Case("an HMAC-SHA256 signature named in the settings header is accepted",
         _algorithm("HMAC_SHA256", "HMAC_SHA256"), 200, "Reply MENU"),
    Case("an algorithm Twilio's library does not know is refused", _algorithm("HMAC_MD4", "HMAC_SHA1"), 403,
         keeps_nothing=True),
    Case("a signature with non-ASCII characters is refused, not an error",
         lambda r: r.client.post("/sms/twilio", data=r.twilio_params(PHONE, "hi"),
                                 headers={"X-Twilio-Signature": "Zm9y\u00e9ZWQ=".encode("latin-1")}),
         403, keeps_nothing=True),
    Case("a changed body is refused", _tampered, 403, keeps_nothing=True),
    Case("an unconfigured gateway refuses everything", _unconfigured, 403, keeps_nothing=True),
    Case("a body over the limit is refused", _huge, 413, keeps_nothing=True),
    Case("no sender: acknowledged, nothing answered",
         lambda r: r.twilio_post(dict(r.twilio_params(PHONE, "hi"), From="")), 200),
    Case("a retry of an answered message is not answered again", _say("hello", sid="SM" + "7" * 32), 200,
         before=(_say("hello", sid="SM" + "7" * 32),)),
    Case("a photo without text gets the text-only note", _media, 200, "only read text"),
    Case("STOP by SMS: Twilio confirms it itself, we send nothing", _say("STOP"), 200, before=(_say("hello"),)),
    Case("STOP on WhatsApp gets our confirmation", _say("STOP", whatsapp=True), 200, "no more messages",
         before=(_say("hello", whatsapp=True),)),
    Case("HELP after STOP still gets the emergency contacts", _say("HELP"), 200, "emergency",
         before=(_say("hello"), _say("STOP"))),
    Case("anything else after STOP gets nothing", _say("1"), 200, before=(_say("hello"), _say("STOP"))),
    Case("START after STOP resumes", _say("START"), 200, "1 Know your rights", before=(_say("hello"), _say("STOP"))),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.label)
async def test_twilio(rig, case: Case) -> None:
    await run_case(rig, case)
