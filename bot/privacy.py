"""Privacy helpers: keyed-hash user keys, the secret behind them, and comment scrubbing.

The women using this service may be undocumented, trafficked or living with an abuser. No
raw chat id or phone number ever leaves the channel adapter: it becomes `user_key(...)`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import unicodedata
from pathlib import Path

import phonenumbers

from bot.config import Settings

log = logging.getLogger(__name__)


def load_secret(settings: Settings) -> bytes:
    """The HMAC secret: from USER_KEY_SECRET, else generated once into data_dir and kept."""
    if settings.user_key_secret:
        return settings.user_key_secret.encode()
    path = Path(settings.data_dir) / "secret.key"
    if path.exists():
        return path.read_text().strip().encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32)
    path.write_text(value + "\n")
    path.chmod(0o600)
    log.warning(
        "USER_KEY_SECRET is not set: generated one in %s. Back it up and set USER_KEY_SECRET "
        "in production; if it changes, every session and opt-out is forgotten.", path)
    return value.encode()


class UserKeys:
    """Turns a channel's raw identifier into the only key the rest of the service sees."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def key(self, channel: str, raw_id: str | int) -> str:
        """Same person on the same channel -> same key; unlinkable without the secret."""
        msg = f"{channel}:{raw_id}".encode()
        return hmac.new(self._secret, msg, hashlib.sha256).hexdigest()[:40]


# --- scrubbing -------------------------------------------------------------------------

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_URL = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+\.(?:com|org|net|info|io|me|ly|co|gov)\b\S*",
                  re.IGNORECASE)
# passport, ID card, visa, account numbers: a run of 6+ digits, possibly with letters
# mixed in (e.g. P1234567, AB 123 456 7), or any 7+ digit run once separators are ignored
_ID_LIKE = re.compile(r"\b(?:[A-Za-z]{1,3}[ \-]?)?\d(?:[ \-]?\d){5,}[A-Za-z]?\b")
_DIGITS_RUN = re.compile(r"\d(?:[\s\-.()]*\d){6,}")


def _fold_digits(text: str) -> str:
    """Arabic-Indic and other script digits count as digits too."""
    return "".join(str(unicodedata.digit(ch)) if ch.isdigit() and not ch.isascii() else ch
                   for ch in text)


def scrub(text: str) -> str:
    """Remove phone numbers, e-mail addresses, URLs and ID-like numbers from a comment."""
    text = _fold_digits(text)
    text = _EMAIL.sub("[email]", text)
    text = _URL.sub("[link]", text)
    for match in reversed(list(phonenumbers.PhoneNumberMatcher(text, "ZZ", leniency=phonenumbers.Leniency.POSSIBLE))):
        text = text[: match.start] + "[phone]" + text[match.end :]
    text = _ID_LIKE.sub("[number]", text)
    text = _DIGITS_RUN.sub("[number]", text)
    return text
