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

from fastapi import Request
from fastapi.responses import Response

from bot.channels.gateway import Gateway, Inbound, Malformed


def key_ok(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())


class AfricasTalking(Gateway):
    name = "africastalking"
    paths = ("/sms/africastalking/{key}", "/sms/africastalking")

    def configured(self) -> bool:
        s = self.settings
        return bool(s.africastalking_webhook_key and s.africastalking_username and s.africastalking_api_key)

    def admits(self, request: Request) -> bool:
        given = request.path_params.get("key") or request.query_params.get("key")
        return key_ok(self.settings.africastalking_webhook_key or "", given)

    async def receive(self, request: Request, body: bytes) -> Inbound | None:
        try:
            form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError as exc:
            raise Malformed from exc
        if not form.get("from"):
            return None  # not an inbound SMS (e.g. a delivery report)
        return Inbound(gateway=self.name, channel="sms", sender=form["from"], text=form.get("text"),
                       recipient=form.get("to") or None, message_id=form.get("id"),
                       extra={"linkId": form["linkId"]} if form.get("linkId") else {})

    def acknowledge(self, texts: list[str]) -> Response:
        return Response(status_code=200)

    async def send(self, to: Inbound, texts: list[str]) -> bool:
        s = self.settings
        sender = s.africastalking_sender or to.recipient
        accepted = True
        for text in texts:
            data = {"username": s.africastalking_username or "", "to": to.phone, "message": text}
            if sender:
                data["from"] = sender
            if to.extra.get("linkId"):
                data["bulkSMSMode"] = "0"
                data["linkId"] = to.extra["linkId"]
            accepted &= await self.http.post(self.name, s.africastalking_api_url, data=data, headers={
                "apiKey": s.africastalking_api_key or "", "Accept": "application/json"})
        return accepted


GATEWAY = AfricasTalking
