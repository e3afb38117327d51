"""One interface for SMS gateways, in the manner of nyaruka/courier's handlers.

A gateway says only: how it is configured, who may call its webhook, how a request becomes
an `Inbound` (or nothing to answer), how the webhook is acknowledged, and how texts reach
her (in the acknowledgement itself, like TwiML, or later through its API). Everything else
(body limits, dedupe of retries, STOP, MORE, the engine turn) is `SmsCore`'s, run once for all.

A new gateway is one module in bot/channels/gateways/ defining `GATEWAY`, a subclass of
`Gateway`, plus its table of test cases; it is found at start-up.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import random
import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

import httpx
import phonenumbers
from fastapi import Request
from fastapi.responses import Response

from bot.config import Settings
from bot.countries import country_from_phone
from bot.sessions import SessionStore

log = logging.getLogger(__name__)


class Refused(Exception):
    """Not the gateway (bad signature, key or token): 403 and nothing stored."""


class Malformed(Exception):
    """The gateway's request cannot be read: 400."""


def normalise_phone(raw: str) -> str:
    """E.164 for anything that parses as an international number, so '+44 7700 900000',
    '447700900000' and 'whatsapp:+447700900000' are one person; short codes and sender names
    are kept as their digits or text."""
    raw = (raw or "").strip()
    for prefix in ("whatsapp:", "sms:", "tel:"):
        if raw.lower().startswith(prefix):
            raw = raw[len(prefix):]
    digits = re.sub(r"\D", "", raw)
    if digits:
        try:
            number = phonenumbers.parse("+" + digits, None)
            if phonenumbers.is_possible_number(number):
                return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        except phonenumbers.NumberParseException:
            pass
        return digits
    return raw.casefold()


@dataclass
class Inbound:
    """One incoming SMS, as every gateway parses it. Lives only for one request or task."""

    gateway: str  # the gateway's name
    channel: str  # sms | whatsapp
    sender: str  # her number: never stored, never logged
    text: str | None
    recipient: str | None = None  # our number or short code she wrote to
    message_id: str | None = None
    unsupported: str | None = None
    extra: dict[str, str] = field(default_factory=dict)  # linkId, concat parts...

    @functools.cached_property
    def phone(self) -> str:
        """Her number in E.164, parsed once per message (phonenumbers is not cheap)."""
        return normalise_phone(self.sender)

    @functools.cached_property
    def country(self) -> str | None:
        """The country of her SIM, a suggestion only (bot.countries.country_from_phone)."""
        return country_from_phone(self.phone)


class GatewayHttp:
    """Outbound HTTP for gateways' APIs: one client (its transport injectable for tests),
    retries with exponential back-off and jitter on timeouts, connection errors, 429 and 5xx."""

    def __init__(self, timeout: float, transport: httpx.AsyncBaseTransport | None = None,
                 max_attempts: int = 4, retry_base_delay: float = 0.5) -> None:
        self._timeout = timeout
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self.max_attempts = max_attempts
        self.retry_base_delay = retry_base_delay

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout, transport=self._transport)
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def post(self, gateway: str, url: str, *, data: dict[str, str],
                   headers: dict[str, str] | None = None,
                   retry_on: Callable[[httpx.Response], bool] | None = None) -> bool:
        """POST a form; True once the gateway accepted it, False when it refused or we gave up."""
        for attempt in range(1, self.max_attempts + 1):
            outcome = await self._attempt(gateway, attempt, url, data, headers or {}, retry_on)
            if outcome is not None:
                return outcome
            if attempt < self.max_attempts:
                delay = self.retry_base_delay * (2 ** (attempt - 1))
                await asyncio.sleep(delay * (1 + random.random() / 4))
        log.error("%s API: giving up after %d attempts", gateway, self.max_attempts)
        return False

    async def _attempt(self, gateway: str, attempt: int, url: str, data: dict[str, str],
                       headers: dict[str, str], retry_on: Callable[[httpx.Response], bool] | None) -> bool | None:
        """True accepted, False refused for good, None: try again."""
        try:
            response = await self.client.post(url, data=data, headers=headers)
        except httpx.TransportError as exc:  # timeouts included
            log.warning("%s API attempt %d: %s", gateway, attempt, type(exc).__name__)
            return None
        if response.status_code >= 500 or response.status_code == 429:
            log.warning("%s API attempt %d: HTTP %d", gateway, attempt, response.status_code)
            return None
        if response.status_code >= 400:
            log.error("%s API refused the message: HTTP %d", gateway, response.status_code)
            return False
        if retry_on is not None and retry_on(response):
            log.warning("%s API attempt %d: asked to retry", gateway, attempt)
            return None
        return True


class Gateway(ABC):
    """One SMS gateway. Subclasses set the class attributes and implement the abstract methods."""

    name: ClassVar[str]
    paths: ClassVar[tuple[str, ...]]  # webhook routes; may hold path parameters
    methods: ClassVar[tuple[str, ...]] = ("POST",)
    answers_inline: ClassVar[bool] = False  # texts go back in the webhook's response (TwiML)

    def __init__(self, settings: Settings, http: GatewayHttp) -> None:
        self.settings = settings
        self.http = http

    @abstractmethod
    def configured(self) -> bool:
        """Every setting it needs is there; an unconfigured gateway refuses every request."""

    def admits(self, request: Request) -> bool:
        """A check before the body is read (a key in the URL); the default admits all."""
        return True

    @abstractmethod
    async def receive(self, request: Request, body: bytes) -> Inbound | None:
        """Authenticate and parse: an Inbound, or None for a valid request with nothing to
        answer (a delivery report). Raises Refused or Malformed."""

    @abstractmethod
    def acknowledge(self, texts: list[str]) -> Response:
        """The webhook's response; carries `texts` only when `answers_inline`."""

    async def send(self, to: Inbound, texts: list[str]) -> bool:
        """Deliver texts through the gateway's API; True when the gateway accepted every one."""
        raise NotImplementedError(f"{self.name} cannot send through an API")

    def can_send(self) -> bool:
        """Configured to send a message later, outside a webhook (answers of "Ask a person")."""
        return True

    def busy(self) -> Response:
        """Another attempt at this message is being processed: ask the gateway to retry later
        (a gateway answering inline gets an empty answer: the other attempt answers her)."""
        return self.acknowledge([]) if self.answers_inline else Response(status_code=503, headers={"Retry-After": "30"})

    def confirms_stop(self, inbound: Inbound) -> bool:
        """True where the gateway itself confirms STOP and blocks our confirmation."""
        return False

    async def assemble(self, inbound: Inbound, parts: Parts) -> Inbound | None:
        """A multipart message's whole text, or None while parts are missing (default: no parts)."""
        return inbound


class Parts:
    """Pieces of one person's multipart messages, kept under "smscat:" + her keyed hash (a
    namespace registered with bot.personal_data, so "delete my data" erases them) for at most
    PARTS_TTL, and deleted as soon as the whole text is put together."""

    PREFIX = "smscat:"
    TTL = 3600
    MAX = 16

    def __init__(self, store: SessionStore, user_key: str) -> None:
        self._store = store
        self._key = self.PREFIX + user_key

    async def whole(self, ref: str, part: int, total: int, text: str) -> str | None:
        """Keep this part; the whole text once every part is in (any order), exactly once."""
        ref = hashlib.sha256(ref.encode()).hexdigest()[:16]
        await self._store.hset_once(self._key, f"{ref}:{part}", text, self.TTL)
        kept = await self._store.hgetall(self._key)
        names = [f"{ref}:{n}" for n in range(1, total + 1)]
        if any(name not in kept for name in names):
            return None
        if not await self._store.hset_once(self._key, f"{ref}:done", "1", self.TTL):
            return None  # a concurrent request is putting it together
        await self._store.hdel(self._key, *names, f"{ref}:done")
        return "".join(kept[name] for name in names)
