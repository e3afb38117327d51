"""Twilio: `POST /sms/twilio`, form-encoded, answered synchronously with TwiML.

The X-Twilio-Signature header is checked with the `twilio` package's RequestValidator and
TWILIO_AUTH_TOKEN against the URL Twilio called, which is PUBLIC_BASE_URL + path (+ query):
behind a proxy the URL the app sees is not the one Twilio signed. A forged, missing or
stale signature gets 403 before anything is parsed or stored.

Twilio's WhatsApp senders post the same form with `whatsapp:+...` addresses; those
conversations run on the "whatsapp" channel (their own user keys and opt-out).
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import Response
from twilio.request_validator import RequestValidator, get_signature_algorithm
from twilio.twiml.messaging_response import MessagingResponse

from bot.channels.sms import BodyTooLarge, Inbound, SmsCore, forbidden, read_body, too_large

PATH = "/sms/twilio"


def public_url(base: str, request: Request) -> str:
    url = base.rstrip("/") + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    return url


def twiml(texts: list[str]) -> Response:
    response = MessagingResponse()
    for text in texts:
        response.message(text)
    return Response(str(response), media_type="application/xml")


def make_router(core: SmsCore) -> APIRouter:
    router = APIRouter()
    settings = core.settings

    @router.post(PATH, include_in_schema=False)
    async def twilio_webhook(request: Request) -> Response:
        token = settings.twilio_auth_token
        if not token:
            return forbidden()
        try:
            body = await read_body(request, settings.max_body_bytes)
        except BodyTooLarge:
            return too_large()
        try:
            params = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            return forbidden()
        signature = request.headers.get("x-twilio-signature", "")
        algorithm = get_signature_algorithm(request.headers.get("x-twilio-webhooks-signature-settings"))
        if not signature or not RequestValidator(token).validate(
                public_url(settings.public_base_url, request), params, signature, algorithm):
            return forbidden()
        sender = params.get("From", "")
        if not sender:
            return twiml([])
        if await core.seen_before("twilio", params.get("MessageSid") or params.get("SmsSid")):
            return twiml([])  # Twilio retried: the first request was answered
        whatsapp = sender.lower().startswith("whatsapp:")
        text = params.get("Body")
        media = params.get("NumMedia", "0")
        unsupported = "media" if not (text or "").strip() and media not in ("", "0") else None
        inbound = Inbound(gateway="twilio", channel="whatsapp" if whatsapp else "sms",
                          sender=sender, text=text, recipient=params.get("To"),
                          message_id=params.get("MessageSid"), unsupported=unsupported)
        # Twilio's Advanced Opt-Out answers STOP on SMS itself and blocks our reply
        texts = await core.respond(inbound, gateway_confirms_stop=not whatsapp)
        return twiml(texts)

    return router
