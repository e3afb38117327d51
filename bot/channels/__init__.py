"""Thin adapters between a channel (console, Telegram, SMS gateways) and the engine.

A channel that `python -m bot serve` runs has `start()`, `stop()` and `router` (its webhook
routes, an APIRouter); `build_channels` decides from the settings which ones run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from fastapi import APIRouter

if TYPE_CHECKING:
    from bot.app import AppContext


class Channel(Protocol):
    router: APIRouter

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def build_channels(ctx: "AppContext") -> list[Channel]:
    """SMS gateways are always mounted (each refuses requests until configured); Telegram runs with a token."""
    from bot.channels.sms import SmsChannel
    from bot.channels.telegram import TelegramChannel

    channels: list[Channel] = [SmsChannel(ctx)]
    if ctx.settings.telegram_bot_token:
        channels.append(TelegramChannel(ctx))
    return channels
