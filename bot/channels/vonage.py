"""Vonage: `POST /sms/vonage` (also GET, which Vonage can be set to use), replies via its SMS API.

Two ways Vonage signs an inbound message, both checked with VONAGE_SIGNATURE_SECRET:

- SMS API signed webhooks: a `sig` parameter over every other parameter, sorted by name and
  joined as `&name=value` with any `&` or `=` inside a value replaced by `_`. With
  VONAGE_SIGNATURE_METHOD=md5hash (Vonage's default) sig = md5(joined + secret); with md5,
  sha1, sha256 or sha512 it is the HMAC of the joined string keyed with the secret. The
  signed `timestamp` must be within a day (Vonage retries for 24 hours); together with the
  48-hour message-id memory a captured request cannot be replayed.
- Messages API signed webhooks: `Authorization: Bearer <JWT>`, HS256 with the same secret;
  when the token carries `payload_hash`, it must be the SHA-256 of the body as received.

Anything else, or an unconfigured gateway, gets 403 with nothing stored. Long messages come
in parts (concat-ref / concat-total / concat-part), in any order: each part waits in the
store under the sender's keyed hash for at most an hour and the parts are deleted as soon as
the whole text is reassembled for the engine. Vonage resends until it gets 200 or 204, so the
webhook answers 204 at once and the reply goes out through the SMS API in the background,
retrying with exponential back-off on 5xx, timeouts and Vonage's "throttled" status.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from urllib.parse import parse_qsl

import jwt
from fastapi import APIRouter, Request
from fastapi.responses import Response

from bot.channels.sms import BodyTooLarge, Inbound, SmsCore, forbidden, read_body, too_large
from bot.sms_encoding import encoding_of

log = logging.getLogger(__name__)

PATH = "/sms/vonage"
HMAC_METHODS = {"md5": hashlib.md5, "sha1": hashlib.sha1, "sha256": hashlib.sha256,
                "sha512": hashlib.sha512}
MAX_AGE_SECONDS = 25 * 3600  # Vonage retries for 24 hours
MAX_FUTURE_SECONDS = 300
CONCAT_PREFIX = "smscat:"
CONCAT_TTL = 3600
MAX_PARTS = 16


def signature(params: dict[str, str], secret: str, method: str = "md5hash") -> str:
    """Vonage's SMS API request signature, lower-case hex (see the module docstring)."""
    method = method.lower().removeprefix("hmac-").removeprefix("hmac_")
    joined = "".join(f"&{k}={str(v).replace('&', '_').replace('=', '_')}"
                     for k, v in sorted(params.items()) if k != "sig")
    if method == "md5hash":
        return hashlib.md5((joined + secret).encode()).hexdigest()
    digest = HMAC_METHODS.get(method)
    if digest is None:
        raise ValueError(f"unknown VONAGE_SIGNATURE_METHOD {method!r}")
    return hmac.new(secret.encode(), joined.encode(), digest).hexdigest()


def check_signature(params: dict[str, str], secret: str, method: str, now: float | None = None) -> bool:
    given = params.get("sig", "")
    if not given:
        return False
    try:
        expected = signature(params, secret, method)
    except ValueError:
        log.error("VONAGE_SIGNATURE_METHOD is not one of md5hash, md5, sha1, sha256, sha512")
        return False
    if not hmac.compare_digest(given.lower().encode(), expected.encode()):
        return False
    try:
        stamp = int(params.get("timestamp", ""))
    except ValueError:
        return False
    age = (time.time() if now is None else now) - stamp
    return -MAX_FUTURE_SECONDS <= age <= MAX_AGE_SECONDS


def check_jwt(authorization: str, body: bytes, secret: str) -> bool:
    token = authorization[7:].strip() if authorization[:7].lower() == "bearer " else ""
    if not token:
        return False
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["iat"]},
                            leeway=MAX_FUTURE_SECONDS)
    except jwt.PyJWTError:
        return False
    if not isinstance(claims.get("iat"), (int, float)) or time.time() - claims["iat"] > MAX_AGE_SECONDS:
        return False
    expected_hash = claims.get("payload_hash")
    if expected_hash is not None:
        actual = hashlib.sha256(body).hexdigest()
        if not hmac.compare_digest(str(expected_hash).lower().encode(), actual.encode()):
            return False
    return True


def _configured(settings) -> bool:
    return bool(settings.vonage_signature_secret and settings.vonage_api_key and settings.vonage_api_secret)


def _parse(request: Request, body: bytes) -> dict[str, str] | None:
    """The SMS API parameters from the query (GET), a JSON body or a form body."""
    if request.method == "GET":
        return dict(request.query_params)
    content_type = request.headers.get("content-type", "")
    try:
        if "json" in content_type or body[:1] == b"{":
            data = json.loads(body or b"{}")
            if not isinstance(data, dict):
                return None
            return {k: v if isinstance(v, str) else json.dumps(v) if isinstance(v, (dict, list))
                    else str(v).lower() if isinstance(v, bool) else str(v)
                    for k, v in data.items() if v is not None}
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except (ValueError, UnicodeDecodeError):
        return None


def _number(value: object) -> str:
    if isinstance(value, dict):
        return str(value.get("number") or value.get("id") or "")
    return str(value or "")


async def send(core: SmsCore, inbound: Inbound, texts: list[str]) -> None:
    settings = core.settings
    sender = settings.vonage_sender or inbound.recipient or ""

    def throttled(response) -> bool:
        try:
            statuses = [m.get("status") for m in response.json().get("messages", [])]
        except (ValueError, AttributeError):
            return False
        bad = [s for s in statuses if s not in ("0", 0)]
        if bad and not all(s in ("1", 1) for s in bad):
            log.error("Vonage refused the message: status %s", ",".join(str(s) for s in bad))
        return any(s in ("1", 1) for s in bad)  # 1 = throttled: try again later

    for text in texts:
        data = {"api_key": settings.vonage_api_key or "", "api_secret": settings.vonage_api_secret or "",
                "from": sender, "to": inbound.phone.lstrip("+"), "text": text,
                "type": "unicode" if encoding_of(text) == "UCS-2" else "text"}
        await core.post_with_retry("vonage", settings.vonage_api_url, data=data,
                                   headers={"Accept": "application/json"}, retry_on=throttled)


async def answer(core: SmsCore, inbound: Inbound) -> None:
    texts = await core.respond(inbound)
    if texts:
        await send(core, inbound, texts)


async def reassemble(core: SmsCore, inbound: Inbound, params: dict[str, str]) -> str | None:
    """Keep one part; the whole text once every part is in (any order), else None."""
    try:
        total = int(params.get("concat-total", ""))
        part = int(params.get("concat-part", ""))
    except ValueError:
        return inbound.text
    ref = params.get("concat-ref", "")
    if not (1 <= part <= total <= MAX_PARTS) or not ref:
        return inbound.text
    ref_hash = hashlib.sha256(ref.encode()).hexdigest()[:16]
    base = f"{CONCAT_PREFIX}{core.user_key(inbound)}:{ref_hash}:"
    await core.store.set(f"{base}{part}", {"t": inbound.text or ""}, CONCAT_TTL)
    if await core.store.incr(base + "n", CONCAT_TTL) < total:
        return None
    keys = [f"{base}{n}" for n in range(1, total + 1)]
    parts = [await core.store.get(k) for k in keys]
    if any(p is None for p in parts):
        return None
    await core.store.delete(*keys, base + "n")
    return "".join(p["t"] for p in parts)


def make_router(core: SmsCore) -> APIRouter:
    router = APIRouter()
    settings = core.settings

    async def webhook(request: Request) -> Response:
        if not _configured(settings):
            return forbidden()
        try:
            body = await read_body(request, settings.max_body_bytes)
        except BodyTooLarge:
            return too_large()
        secret = settings.vonage_signature_secret
        authorization = request.headers.get("authorization", "")
        if authorization:
            if request.method != "POST" or not check_jwt(authorization, body, secret):
                return forbidden()
            try:
                data = json.loads(body)
            except ValueError:
                return Response(status_code=400)
            if not isinstance(data, dict) or data.get("channel", "sms") != "sms":
                return Response(status_code=204)  # only SMS is answered here
            inbound = Inbound(gateway="vonage", channel="sms", sender=_number(data.get("from")),
                              text=data.get("text") if isinstance(data.get("text"), str) else None,
                              recipient=_number(data.get("to")) or None,
                              message_id=str(data.get("message_uuid") or "") or None,
                              unsupported=None if data.get("message_type", "text") == "text" else "media")
            params: dict[str, str] = {}
        else:
            params = _parse(request, body)
            if params is None or not check_signature(params, secret, settings.vonage_signature_method):
                return forbidden()
            inbound = Inbound(gateway="vonage", channel="sms", sender=params.get("msisdn", ""),
                              text=params.get("text"), recipient=params.get("to") or None,
                              message_id=params.get("messageId") or None,
                              unsupported="binary" if params.get("type") == "binary" else None)
        if not inbound.sender or ("status" in params and "text" not in params):
            return Response(status_code=204)  # a delivery receipt, or nothing to answer
        if await core.seen_before("vonage", inbound.message_id):
            return Response(status_code=204)
        if params.get("concat-total"):
            whole = await reassemble(core, inbound, params)
            if whole is None:
                return Response(status_code=204)  # waiting for the other parts
            inbound.text = whole
        core.spawn(answer(core, inbound))
        return Response(status_code=204)

    router.add_api_route(PATH, webhook, methods=["POST", "GET"], include_in_schema=False)
    return router
