"""Reading a request body with a limit: shared by every webhook (SMS gateways, Telegram)."""

from __future__ import annotations

from fastapi import Request


class BodyTooLarge(Exception):
    pass


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refused past `limit` bytes (webhooks are a few hundred bytes)."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit:
        raise BodyTooLarge
    body = await request.body()
    if len(body) > limit:
        raise BodyTooLarge
    return body
