"""A tiny driver so conversation tests read as what a woman types and what she gets back."""

from __future__ import annotations

from bot.conversation import Event, Reply
from bot.engine import Engine


class Woman:
    """One person on one channel; `says` types text, `picks` presses a choice by label or payload."""

    def __init__(self, engine: Engine, user_key: str = "u" * 40, channel: str = "console",
                 locale_hint: str | None = None) -> None:
        self.engine = engine
        self.user_key = user_key
        self.channel = channel
        self.locale_hint = locale_hint
        self.replies: list[Reply] = []

    @property
    def last(self) -> Reply:
        return self.replies[-1]

    @property
    def text(self) -> str:
        return "\n".join(r.text for r in self.replies)

    def labels(self) -> list[str]:
        return [c.label for c in self.last.choices]

    async def says(self, text: str) -> Reply:
        self.replies = (await self.engine.handle(
            Event(self.channel, self.user_key, text=text, locale_hint=self.locale_hint))).replies
        return self.last

    async def picks(self, label_or_payload: str) -> Reply:
        payload = next((c.payload for c in self.last.choices if c.label == label_or_payload),
                       label_or_payload)
        self.replies = (await self.engine.handle(Event(self.channel, self.user_key, payload=payload))).replies
        return self.last
