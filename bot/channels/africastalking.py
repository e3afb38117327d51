"""Africa's Talking: `POST /sms/africastalking/{key}` (or `?key=`), replies via its SMS API.

Its callbacks carry no signature, so the callback URL holds an unguessable per-deployment
key, AFRICASTALKING_WEBHOOK_KEY, compared in constant time; anything else gets 403 with
nothing stored. The callback is acknowledged at once with 200 and the answer goes out through
the messaging API (apiKey header, username, to, message, from) in a background task that
retries with exponential back-off on 5xx and timeouts. Premium (subscription) short codes
send `linkId`, which goes back with bulkSMSMode=0 so the subscriber is billed as agreed.
"""

from __future__ import annotations

import hmac
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import Response

from bot.channels.sms import BodyTooLarge, Inbound, SmsCore, forbidden, read_body, too_large

PATH = "/sms/africastalking"


def _configured(settings) -> bool:
    return bool(settings.africastalking_webhook_key and settings.africastalking_username
                and settings.africastalking_api_key)


def key_ok(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())


async def send(core: SmsCore, inbound: Inbound, texts: list[str]) -> None:
    settings = core.settings
    sender = settings.africastalking_sender or inbound.recipient
    for text in texts:
        data = {"username": settings.africastalking_username or "", "to": inbound.phone,
                "message": text}
        if sender:
            data["from"] = sender
        if inbound.extra.get("linkId"):
            data["bulkSMSMode"] = "0"
            data["linkId"] = inbound.extra["linkId"]
        await core.post_with_retry(
            "africastalking", settings.africastalking_api_url, data=data,
            headers={"apiKey": settings.africastalking_api_key or "", "Accept": "application/json"})


async def answer(core: SmsCore, inbound: Inbound) -> None:
    texts = await core.respond(inbound)
    if texts:
        await send(core, inbound, texts)


def make_router(core: SmsCore) -> APIRouter:
    router = APIRouter()
    settings = core.settings

    async def webhook(request: Request, key: str | None) -> Response:
        if not _configured(settings) or not key_ok(settings.africastalking_webhook_key, key):
            return forbidden()
        try:
            body = await read_body(request, settings.max_body_bytes)
            form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        except BodyTooLarge:
            return too_large()
        except UnicodeDecodeError:
            return Response(status_code=400)
        sender = form.get("from", "")
        if not sender:
            return Response(status_code=200)  # not an inbound SMS (e.g. a delivery report)
        if await core.seen_before("africastalking", form.get("id")):
            return Response(status_code=200)
        inbound = Inbound(gateway="africastalking", channel="sms", sender=sender,
                          text=form.get("text"), recipient=form.get("to") or None,
                          message_id=form.get("id"),
                          extra={"linkId": form["linkId"]} if form.get("linkId") else {})
        core.spawn(answer(core, inbound))
        return Response(status_code=200)

    @router.post(PATH + "/{key}", include_in_schema=False)
    async def africastalking_keyed(key: str, request: Request) -> Response:
        return await webhook(request, key)

    @router.post(PATH, include_in_schema=False)
    async def africastalking_query(request: Request) -> Response:
        return await webhook(request, request.query_params.get("key"))

    return router
