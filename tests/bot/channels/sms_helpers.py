"""What the SMS gateway tests share: a configured service behind the three webhooks, the
fake outbound APIs, and senders that sign requests with each gateway's documented algorithm
(written here independently of bot/channels, so a wrong implementation cannot pass itself).

The `rig` fixture itself lives in tests/bot/channels/conftest.py.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import secrets
import time
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
from fastapi import FastAPI
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from bot.app import AppContext
from bot.channels.sms import SmsChannel
from bot.i18n import language_name
from bot.models import Base
from bot.sms_encoding import GSM7_BASIC, GSM7_EXTENSION, to_gsm
from tests.fakes.sms_gateways import FakeGateways
from tests.support import store_text

BASE_URL = "https://bot.example.org"
TWILIO_TOKEN = "twilio-auth-token-" + "a" * 14
AT_KEY = "at-webhook-key-" + "b" * 24
VONAGE_SECRET = "vonage-signature-secret-" + "c" * 40
OUR_NUMBER = "+15005550006"
LOCALES = ("en", "fr", "es", "ar", "ru", "id")


# -- the gateways' algorithms, as documented ---------------------------------------------

def twilio_signature(url: str, params: dict[str, str], token: str = TWILIO_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


def vonage_sig(params: dict[str, str], secret: str = VONAGE_SECRET, method: str = "md5hash") -> str:
    """Vonage SMS API signed requests: params sorted by name, '&k=v' joined, '&' and '=' in
    values become '_'; md5hash appends the secret and takes MD5, the others are HMACs."""
    joined = "".join("&" + k + "=" + v.replace("&", "_").replace("=", "_")
                     for k, v in sorted(params.items()) if k != "sig")
    if method == "md5hash":
        return hashlib.md5((joined + secret).encode()).hexdigest()
    return hmac.new(secret.encode(), joined.encode(), getattr(hashlib, method)).hexdigest()


def vonage_jwt(body: bytes, secret: str = VONAGE_SECRET, **claims: Any) -> str:
    payload = {"iat": int(time.time()), "jti": secrets.token_hex(8), "iss": "Vonage",
               "payload_hash": hashlib.sha256(body).hexdigest(), "api_key": "abcd1234",
               "application_id": "aaaaaaaa-bbbb-cccc-dddd-0123456789ab"}
    payload.update(claims)
    return jwt.encode({k: v for k, v in payload.items() if v is not None}, secret, algorithm="HS256")


# -- what a carrier bills, counted independently --------------------------------------------

def is_gsm(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def billed_segments(text: str) -> int:
    if is_gsm(text):
        units = sum(2 if c in GSM7_EXTENSION else 1 for c in text)
        return 1 if units <= 160 else math.ceil(units / 153)
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= 70 else math.ceil(units / 67)


def has_non_latin_letter(text: str) -> bool:
    """A letter of another script (Arabic, Cyrillic language names...): UCS-2 is right then."""
    return any(c.isalpha() and not is_gsm(c) and not unicodedata.name(c, "").startswith("LATIN")
               and not unicodedata.normalize("NFKD", c).isascii() for c in text)


# -- the rig ---------------------------------------------------------------------------------

@dataclass
class Rig:
    ctx: AppContext
    channel: SmsChannel
    client: httpx.AsyncClient
    fake: FakeGateways
    _ids: int = 0
    outgoing: list[str] = field(default_factory=list)  # every SMS text the service sent

    def next_id(self, prefix: str) -> str:
        self._ids += 1
        return f"{prefix}{self._ids:06d}{secrets.token_hex(4)}"

    # Twilio: synchronous TwiML
    async def twilio_post(self, params: dict[str, str], *, signature: str | None = None,
                          path: str = "/sms/twilio") -> httpx.Response:
        sig = twilio_signature(BASE_URL + path, params) if signature is None else signature
        return await self.client.post(path, data=params, headers={"X-Twilio-Signature": sig})

    def twilio_params(self, phone: str, text: str, *, sid: str | None = None, whatsapp: bool = False) -> dict[str, str]:
        prefix = "whatsapp:" if whatsapp else ""
        return {"MessageSid": sid or self.next_id("SM"), "AccountSid": "AC" + "0" * 32,
                "From": prefix + phone, "To": prefix + OUR_NUMBER, "Body": text, "NumMedia": "0"}

    async def twilio(self, phone: str, text: str, **kw: Any) -> list[str]:
        response = await self.twilio_post(self.twilio_params(phone, text, **kw))
        assert response.status_code == 200, response.status_code
        texts = [m.text or "" for m in ET.fromstring(response.text).iter("Message")]
        self.outgoing += texts
        return texts

    # Africa's Talking: acknowledged, answered through the fake API
    async def at_post(self, form: dict[str, str], key: str | None = AT_KEY, *, in_query: bool = False) -> httpx.Response:
        if in_query:
            return await self.client.post("/sms/africastalking", params={"key": key}, data=form)
        return await self.client.post(f"/sms/africastalking/{key}", data=form)

    def at_form(self, phone: str, text: str, *, msg_id: str | None = None, link_id: str | None = None) -> dict[str, str]:
        form = {"from": phone, "to": "12345", "text": text, "id": msg_id or self.next_id("at-"),
                "date": "2026-11-23 10:00:00"}
        if link_id:
            form["linkId"] = link_id
        return form

    async def at(self, phone: str, text: str, **kw: Any) -> list[str]:
        before = len(self.fake.sent)
        response = await self.at_post(self.at_form(phone, text, **kw))
        assert response.status_code == 200, response.status_code
        await self.channel.drain()
        texts = [s.text for s in self.fake.sent[before:]]
        self.outgoing += texts
        return texts

    # Vonage: SMS API signed webhooks (JSON by default) and Messages API JWTs
    def vonage_params(self, phone: str, text: str, *, msg_id: str | None = None,
                      method: str = "md5hash", **extra: str) -> dict[str, str]:
        params = {"msisdn": phone.lstrip("+"), "to": OUR_NUMBER.lstrip("+"),
                  "messageId": msg_id or self.next_id("1A00"), "text": text,
                  "type": "unicode" if not is_gsm(text) else "text",
                  "keyword": (text.split() or [""])[0].upper(), "api-key": "abcd1234",
                  "message-timestamp": "2026-11-23 10:00:00", "timestamp": str(int(time.time())),
                  "nonce": secrets.token_hex(8), **extra}
        params["sig"] = vonage_sig(params, method=method)
        return params

    async def vonage_post(self, params: dict[str, str], *, as_json: bool = True) -> httpx.Response:
        if as_json:
            return await self.client.post("/sms/vonage", json=params)
        return await self.client.post("/sms/vonage", data=params)

    async def vonage(self, phone: str, text: str, *, as_json: bool = True, **kw: Any) -> list[str]:
        before = len(self.fake.sent)
        response = await self.vonage_post(self.vonage_params(phone, text, **kw), as_json=as_json)
        assert response.status_code in (200, 204), response.status_code
        await self.channel.drain()
        texts = [s.text for s in self.fake.sent[before:]]
        self.outgoing += texts
        return texts

    async def vonage_messages(self, phone: str, text: str, *, token: str | None = None,
                              body: bytes | None = None) -> httpx.Response:
        body = body or json.dumps({"channel": "sms", "message_uuid": self.next_id("uuid-"),
                                   "to": OUR_NUMBER.lstrip("+"), "from": phone.lstrip("+"),
                                   "timestamp": "2026-11-23T10:00:00Z", "text": text,
                                   "message_type": "text", "sms": {"num_messages": "1"}}).encode()
        token = vonage_jwt(body) if token is None else token
        return await self.client.post("/sms/vonage", content=body, headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json"})

    async def say(self, gateway: str, phone: str, text: str) -> list[str]:
        return await getattr(self, {"twilio": "twilio", "africastalking": "at", "vonage": "vonage"}[gateway])(phone, text)

    # what is kept
    async def database_text(self) -> str:
        """Every row of every table, as text."""
        out = []
        async with self.ctx.sessionmaker() as session:
            for table in Base.metadata.sorted_tables:
                for row in (await session.execute(select(table))).all():
                    out.append(repr(tuple(row)))
        return "\n".join(out)

    async def store_text(self) -> str:
        """Every key and value in the session store, as text."""
        return await store_text(self.ctx.store)


def gateway_settings(fake: FakeGateways, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = dict(
        public_base_url=BASE_URL, twilio_auth_token=TWILIO_TOKEN, twilio_account_sid="AC" + "0" * 32,
        africastalking_username="sandbox", africastalking_api_key="at-api-key",
        africastalking_webhook_key=AT_KEY, africastalking_api_url=fake.at_url,
        vonage_api_key="abcd1234", vonage_api_secret="vonage-api-secret",
        vonage_signature_secret=VONAGE_SECRET, vonage_signature_method="md5hash",
        vonage_api_url=fake.vonage_url, gateway_timeout_seconds=0.3)
    values.update(overrides)
    return values


async def make_rig(settings_for, store, fake: FakeGateways, **overrides: Any):
    ctx = AppContext(settings_for(**gateway_settings(fake, **overrides)), store=store)
    await ctx.start(watch=False)
    channel = SmsChannel(ctx)
    channel.core.http.retry_base_delay = 0.01
    await channel.start()  # as the service does: the opt-outs copied to the store
    app = FastAPI()
    app.include_router(channel.router)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL)
    return Rig(ctx, channel, client, fake)


async def close_rig(rig: Rig) -> None:
    await rig.client.aclose()
    await rig.channel.stop()
    await rig.ctx.content.stop()
    await rig.ctx.db.dispose()


# -- a whole conversation --------------------------------------------------------------------

def check_outgoing(rig: Rig, texts: list[str], locale: str | None) -> None:
    """Every SMS within the segment cap; Latin-script ones GSM-7 unless they carry a letter
    of another script (the language list); Arabic and Russian UCS-2. (locale None: before she
    chose one, only the cap.)"""
    cap = rig.ctx.settings.sms_max_segments
    for text in texts:
        assert text.strip()
        assert billed_segments(text) <= cap, (locale, billed_segments(text), text)
        if locale is None:
            continue
        if locale in ("ar", "ru", "am", "ne", "bn", "si"):
            assert not is_gsm(text) or text.isascii()
        elif not has_non_latin_letter(text):
            assert is_gsm(text), (locale, [c for c in text if not is_gsm(c)], text)


def language_number(rig: Rig, listing: str, locale: str) -> str:
    """Her language's number in an SMS language list, whichever page shows it: the list is the
    language on line 1, then every other offered language in order."""
    first = next((line[2:].strip() for line in listing.splitlines() if line.startswith("1 ")), None)
    top = next((loc for loc in rig.ctx.catalogs.locales if first in (language_name(loc), to_gsm(language_name(loc)))),
               rig.ctx.catalogs.default)
    order = [top] + [loc for loc in rig.ctx.catalogs.locales if loc != top]
    return str(order.index(locale) + 1)


def _start(rig: Rig, locale: str, message: str, n: int = 14) -> str:
    from bot.sms_encoding import to_gsm

    return to_gsm(rig.ctx.catalogs.get(locale).gettext(message))[:n]


async def whole_conversation(rig: Rig, gateway: str, locale: str, phone: str) -> None:
    """What a woman does by SMS, in her language: welcome, language, a topic, an item, MORE to
    the end, 0, MENU, HELP, a wrong number, LANG, DELETE."""
    from bot import keywords


    def kw(kind: str) -> str:
        return keywords.words(kind, locale)[0].upper()

    async def say(text: str, checked_as: str | None = locale) -> str:
        texts = await rig.say(gateway, phone, text)
        assert texts, (gateway, locale, text)
        check_outgoing(rig, texts, checked_as)
        return "\n".join(texts)

    greeting = await say("Hello", None)  # in the language of her number's country, or the default
    assert "LANG" in greeting and "\n1 " not in greeting
    welcome = await say("LANG", None)
    assert "\n1 " in welcome
    menu = await say(language_number(rig, welcome, locale))
    assert _start(rig, locale, "Language saved.") in menu
    assert _start(rig, locale, "Reply with a number:", 8) in menu
    assert "1 " + _start(rig, locale, "Know your rights", 6) in menu
    section = await say("1")
    assert "\n1 " in section and "\n2 " in section
    item = await say("1")
    assert _start(rig, locale, "Reply {more} for the full text.", 5) in item or kw("more") in item
    pages = []
    for _ in range(30):
        page = await say(kw("more"))
        if _start(rig, locale, "There is nothing more to read. Reply 0 for the menu.") in page:
            break
        pages.append(page)
    else:
        raise AssertionError("MORE never ended")
    assert pages, "the full text came in at least one page"
    assert "https://" in "\n".join(pages)  # the source link is in the full text
    assert "1 " in await say("0")
    assert "1 " + _start(rig, locale, "Know your rights", 6) in await say(kw("menu"))
    emergency = await say(keywords.words("help", locale)[0])
    assert _start(rig, locale, "If you are in danger now, call the emergency number of the country you are in.") in emergency
    assert _start(rig, locale, "That number is not in the list. Please choose again, or reply 0 for the menu.") in await say("99")
    languages = await say(kw("lang"))
    assert "\n1 " in languages and "English" in languages
    assert _start(rig, locale, "Language saved.") in await say("1")
    confirm = await say(kw("delete"))
    assert "\n1 " in confirm and "\n2 " in confirm
    done = await say("1")
    assert _start(rig, locale, "Done. We deleted your language, your choices, your answers about you and your questions. To remove this chat from your phone, delete the chat too. Send any message to start again.") in done
