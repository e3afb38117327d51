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
in parts (concat-ref / concat-total / concat-part), in any order: each part waits in
bot.channels.gateway.Parts under the sender's keyed hash for at most an hour and the parts
are deleted as soon as the whole text is reassembled for the engine. Vonage resends until it gets 200 or 204, so the
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

import httpx
import jwt
from fastapi import Request
from fastapi.responses import Response

from bot.channels.gateway import Gateway, Inbound, Malformed, Parts, Refused
from bot.sms_encoding import encoding_of

log = logging.getLogger(__name__)

HMAC_METHODS = {"md5": hashlib.md5, "sha1": hashlib.sha1, "sha256": hashlib.sha256,
                "sha512": hashlib.sha512}
MAX_AGE_SECONDS = 25 * 3600  # Vonage retries for 24 hours
MAX_FUTURE_SECONDS = 300


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


def _as_text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value).lower() if isinstance(value, bool) else str(value)


def parse_params(request: Request, body: bytes) -> dict[str, str] | None:
    """The SMS API parameters from the query (GET), a JSON body or a form body."""
    if request.method == "GET":
        return dict(request.query_params)
    content_type = request.headers.get("content-type", "")
    try:
        if "json" in content_type or body[:1] == b"{":
            data = json.loads(body or b"{}")
            if not isinstance(data, dict):
                return None
            return {k: _as_text(v) for k, v in data.items() if v is not None}
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except (ValueError, UnicodeDecodeError):
        return None


def _number(value: object) -> str:
    if isinstance(value, dict):
        return str(value.get("number") or value.get("id") or "")
    return str(value or "")


def throttled(response: httpx.Response) -> bool:
    """Vonage answers 200 with a status per message; 1 means throttled: try again later."""
    try:
        statuses = [m.get("status") for m in response.json().get("messages", [])]
    except (ValueError, AttributeError):
        return False
    bad = [s for s in statuses if s not in ("0", 0)]
    if bad and not all(s in ("1", 1) for s in bad):
        log.error("Vonage refused the message: status %s", ",".join(str(s) for s in bad))
    return any(s in ("1", 1) for s in bad)


class Vonage(Gateway):
    name = "vonage"
    paths = ("/sms/vonage",)
    methods = ("POST", "GET")

    def configured(self) -> bool:
        s = self.settings
        return bool(s.vonage_signature_secret and s.vonage_api_key and s.vonage_api_secret)

    async def receive(self, request: Request, body: bytes) -> Inbound | None:
        authorization = request.headers.get("authorization", "")
        if authorization:
            return self._messages_api(request, authorization, body)
        return self._sms_api(request, body)

    def _messages_api(self, request: Request, authorization: str, body: bytes) -> Inbound | None:
        """Messages API: a JWT over the body; only SMS is answered here."""
        if request.method != "POST" or not check_jwt(authorization, body, self.settings.vonage_signature_secret or ""):
            raise Refused
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise Malformed from exc
        if not isinstance(data, dict) or data.get("channel", "sms") != "sms":
            return None
        return Inbound(gateway=self.name, channel="sms", sender=_number(data.get("from")),
                       text=data.get("text") if isinstance(data.get("text"), str) else None,
                       recipient=_number(data.get("to")) or None,
                       message_id=str(data.get("message_uuid") or "") or None,
                       unsupported=None if data.get("message_type", "text") == "text" else "media")

    def _sms_api(self, request: Request, body: bytes) -> Inbound | None:
        """SMS API: a `sig` over the parameters; delivery receipts need no answer."""
        params = parse_params(request, body)
        s = self.settings
        if params is None or not check_signature(params, s.vonage_signature_secret or "", s.vonage_signature_method):
            raise Refused
        if "status" in params and "text" not in params:
            return None
        concat = {k: params[k] for k in ("concat-ref", "concat-total", "concat-part") if params.get(k)}
        return Inbound(gateway=self.name, channel="sms", sender=params.get("msisdn", ""),
                       text=params.get("text"), recipient=params.get("to") or None,
                       message_id=params.get("messageId") or None,
                       unsupported="binary" if params.get("type") == "binary" else None, extra=concat)

    def acknowledge(self, texts: list[str]) -> Response:
        return Response(status_code=204)  # Vonage resends until it gets 200 or 204

    async def assemble(self, inbound: Inbound, parts: Parts) -> Inbound | None:
        try:
            total = int(inbound.extra.get("concat-total", ""))
            part = int(inbound.extra.get("concat-part", ""))
        except ValueError:
            return inbound
        ref = inbound.extra.get("concat-ref", "")
        if not (1 <= part <= total <= Parts.MAX) or not ref:
            return inbound
        whole = await parts.whole(ref, part, total, inbound.text or "")
        if whole is None:
            return None  # waiting for the other parts
        inbound.text = whole
        return inbound

    def can_send(self) -> bool:
        return bool(self.settings.vonage_sender)  # later, there is no number she wrote to

    async def send(self, to: Inbound, texts: list[str]) -> bool:
        s = self.settings
        sender = s.vonage_sender or to.recipient or ""
        accepted = True
        for text in texts:
            data = {"api_key": s.vonage_api_key or "", "api_secret": s.vonage_api_secret or "",
                    "from": sender, "to": to.phone.lstrip("+"), "text": text,
                    "type": "unicode" if encoding_of(text) == "UCS-2" else "text"}
            accepted &= await self.http.post(self.name, s.vonage_api_url, data=data,
                                             headers={"Accept": "application/json"}, retry_on=throttled)
        return accepted


GATEWAY = Vonage
