"""Twilio: `POST /sms/twilio`, form-encoded, answered synchronously with TwiML; later messages
(answers of "Ask a person") through its Messages API.

The X-Twilio-Signature header is checked with the `twilio` package's RequestValidator and
TWILIO_AUTH_TOKEN against the URL Twilio called, which is PUBLIC_BASE_URL + path (+ query):
behind a proxy the URL the app sees is not the one Twilio signed. A forged, missing or
stale signature gets 403 before anything is parsed or stored.

Sending later: `POST {TWILIO_API_BASE_URL}/2010-04-01/Accounts/{sid}/Messages.json` with HTTP
basic auth (account SID, auth token), form fields To, From (TWILIO_SENDER, or
MessagingServiceSid when it starts with MG) and Body, one request per SMS.

Twilio's WhatsApp senders post the same form with `whatsapp:+...` addresses; those
conversations run on the "whatsapp" channel (their own user keys and opt-out).
"""

from __future__ import annotations

import base64
import hmac
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.responses import Response
from twilio.request_validator import RequestValidator, get_signature_algorithm

from bot.channels.gateway import Gateway, Inbound, Refused


def public_url(base: str, request: Request) -> str:
    """PUBLIC_BASE_URL + the path and query Twilio called (from the ASGI scope: building
    Starlette's URL object for it cost more than the signature itself)."""
    scope = request.scope
    url = base.rstrip("/") + scope["path"]
    query = scope.get("query_string", b"")
    return url + "?" + query.decode("latin-1") if query else url


_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
_CDATA = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def twiml_text(texts: list[str]) -> str:
    """What twilio's MessagingResponse prints for these messages, byte for byte (ElementTree
    escapes &, < and > in text; an empty element is written short), without building a tree
    on every webhook."""
    if not texts:
        return _DECLARATION + "<Response />"
    messages = "".join(f"<Message>{text.translate(_CDATA)}</Message>" if text else "<Message />" for text in texts)
    return f"{_DECLARATION}<Response>{messages}</Response>"


def signed(validator: RequestValidator, url: str, params: dict[str, str], signature: str, algorithm: str) -> bool:
    """The twilio package's check, the usual case first: Twilio signed exactly the URL we
    expect. Only when that fails does the library's `validate` try its port variants (it
    always computes two signatures, and this runs on every message)."""
    try:
        if hmac.compare_digest(validator.compute_signature(url, params, algorithm).encode(), signature.encode()):
            return True
    except ValueError:  # an algorithm the library does not know: validate refuses it and says so
        pass
    return validator.validate(url, params, signature, algorithm)


def twiml(texts: list[str]) -> Response:
    return Response(twiml_text(texts), media_type="application/xml")


class Twilio(Gateway):
    name = "twilio"
    paths = ("/sms/twilio",)
    answers_inline = True

    def configured(self) -> bool:
        return bool(self.settings.twilio_auth_token)

    async def receive(self, request: Request, body: bytes) -> Inbound | None:
        try:
            params = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError as exc:
            raise Refused from exc
        signature = request.headers.get("x-twilio-signature", "")
        algorithm = get_signature_algorithm(request.headers.get("x-twilio-webhooks-signature-settings"))
        if not signature or not signed(RequestValidator(self.settings.twilio_auth_token),
                                       public_url(self.settings.public_base_url, request), params, signature, algorithm):
            raise Refused
        sender = params.get("From", "")
        text = params.get("Body")
        media = params.get("NumMedia", "0")
        return Inbound(gateway=self.name, channel="whatsapp" if sender.lower().startswith("whatsapp:") else "sms",
                       sender=sender, text=text, recipient=params.get("To"),
                       message_id=params.get("MessageSid") or params.get("SmsSid"),
                       unsupported="media" if not (text or "").strip() and media not in ("", "0") else None)

    def acknowledge(self, texts: list[str]) -> Response:
        return twiml(texts)

    def can_send(self) -> bool:
        s = self.settings
        return bool(s.twilio_account_sid and (s.twilio_sender or s.twilio_whatsapp_sender))

    async def send(self, to: Inbound, texts: list[str]) -> bool:
        s = self.settings
        whatsapp = to.channel == "whatsapp"
        sender = s.twilio_whatsapp_sender if whatsapp else s.twilio_sender
        if not (s.twilio_account_sid and s.twilio_auth_token and sender):
            return False
        url = f"{s.twilio_api_base_url.rstrip('/')}/2010-04-01/Accounts/{s.twilio_account_sid}/Messages.json"
        auth = base64.b64encode(f"{s.twilio_account_sid}:{s.twilio_auth_token}".encode()).decode()
        prefix = "whatsapp:" if whatsapp else ""
        accepted = True
        for text in texts:
            data = {"To": prefix + to.phone, "Body": text}
            if sender.startswith("MG"):
                data["MessagingServiceSid"] = sender
            else:
                data["From"] = prefix + sender.removeprefix("whatsapp:")
            accepted &= await self.http.post(self.name, url, data=data, headers={
                "Authorization": "Basic " + auth, "Accept": "application/json"})
        return accepted

    def confirms_stop(self, inbound: Inbound) -> bool:
        # Twilio's Advanced Opt-Out answers STOP on SMS itself and blocks our reply
        return inbound.channel == "sms"


GATEWAY = Twilio
