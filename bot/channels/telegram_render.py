"""Engine replies as Telegram messages: pure functions, no network, no state.

* Choices become an inline keyboard, one button per row (labels in every language stay
  readable on a narrow phone), `callback_data` = the choice's payload (Telegram allows
  1-64 bytes; the engine keeps payloads under 40).
* The reply's link becomes a URL button under the text when it is an http(s) address
  Telegram accepts, else it is appended to the text.
* Texts longer than Telegram's 4,096 characters (counted in UTF-16 code units, as Telegram
  counts them) are split at a paragraph break, else a line break, else a space, and only
  as a last resort inside a word; the keyboard rides on the last part.
* Plain text (no parse mode): nothing in the content can break Markdown or HTML parsing.
  Right-to-left text (Arabic) needs nothing: Telegram lays it out from its characters.
* Link previews are off: they cost data on a cheap phone and fetch third-party pages.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions

from bot.conversation import Choice, Reply

log = logging.getLogger(__name__)

TEXT_LIMIT = 4096  # sendMessage / editMessageText, in UTF-16 code units
CALLBACK_DATA_LIMIT = 64  # bytes
BUTTON_URL_LIMIT = 2048
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: characters outside the BMP (most emoji) count twice."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _fit(text: str, limit: int) -> int:
    """The largest number of characters from the start of text within limit UTF-16 units."""
    used = 0
    for i, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > limit:
            return i
    return len(text)


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Cut text into parts of at most `limit` UTF-16 units at the cleanest boundary.

    Whitespace at a cut is dropped; nothing else is lost or reordered, and no part is empty.
    """
    if limit < 2:
        raise ValueError("limit too small")
    text = text.strip()
    parts: list[str] = []
    while utf16_len(text) > limit:
        hard = _fit(text, limit)
        window = text[:hard + 1]  # a break right after the window's last character still fits
        cut = -1
        for sep in ("\n\n", "\n", " "):
            at = window.rfind(sep)
            # a boundary in the first fifth would leave a tiny part: look for a finer one
            if at > hard // 5:
                cut = at
                break
        if cut <= 0:
            cut = hard
            # never cut between a base character and its combining mark or joiner
            while cut > 1 and (_attaches(text[cut]) or text[cut - 1] == "\u200d"):
                cut -= 1
        head, text = text[:cut].rstrip(), text[cut:].lstrip()
        if head:
            parts.append(head)
    if text:
        parts.append(text)
    return parts or [""]


def _attaches(ch: str) -> bool:
    """A character that belongs to the one before it: a combining mark, a variation selector,
    an emoji skin tone, a zero-width joiner."""
    return (unicodedata.category(ch) in ("Mn", "Mc", "Me") or ch in "\u200d\ufe0f\ufe0e"
            or "\U0001f3fb" <= ch <= "\U0001f3ff")


def is_button_url(url: str | None) -> bool:
    """Whether Telegram takes this as a URL button (else it goes into the text)."""
    return bool(url) and len(url) <= BUTTON_URL_LIMIT and bool(_URL.match(url))  # type: ignore[arg-type]


def callback_data_ok(payload: str) -> bool:
    return 1 <= len(payload.encode("utf-8")) <= CALLBACK_DATA_LIMIT


def keyboard(choices: tuple[Choice, ...] | list[Choice], link: str | None = None,
             link_label: str = "Open the source") -> InlineKeyboardMarkup | None:
    """One button per row: the link first (it belongs to the text above), then the choices."""
    rows: list[list[InlineKeyboardButton]] = []
    if link and is_button_url(link):
        rows.append([InlineKeyboardButton(text=link_label, url=link)])
    for choice in choices:
        if not callback_data_ok(choice.payload):
            # a programming error in the engine: drop the button rather than the whole message
            log.warning("callback data over %d bytes dropped", CALLBACK_DATA_LIMIT)
            continue
        rows.append([InlineKeyboardButton(text=choice.label.strip() or "…", callback_data=choice.payload)])
    return InlineKeyboardMarkup(rows) if rows else None


def render(reply: Reply, *, link_label: str = "Open the source", link_button: bool = True,
           limit: int = TEXT_LIMIT) -> list[dict[str, Any]]:
    """The keyword arguments of each sendMessage for one reply (chat_id is the caller's).

    The same dicts work for editMessageText. `link_button=False` puts the link into the
    text even when it is a valid URL (the fallback if Telegram refuses the button).
    """
    text = reply.text
    as_button = link_button and is_button_url(reply.link)
    if reply.link and not as_button:
        text = f"{text}\n\n{reply.link}" if text.strip() else reply.link
    parts = split_text(text, limit)
    if parts == [""]:
        parts = ["…"]  # Telegram refuses empty messages; the engine never sends one
    markup = keyboard(reply.choices, reply.link if as_button else None, link_label)
    messages: list[dict[str, Any]] = [{"text": part, "link_preview_options": NO_PREVIEW} for part in parts]
    if markup is not None:
        messages[-1]["reply_markup"] = markup
    return messages


def as_bot_api(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same messages as the JSON parameters Telegram's Bot API receives (for previews)."""
    return [{name: value.to_dict() if hasattr(value, "to_dict") else value
             for name, value in message.items()} for message in messages]
