"""The durable outbox: every message the service sends later (answers, webhooks, later alerts).

A row is written in the same transaction as what caused it (an answer, a new question), with
an idempotency key. Delivering it is one job, `Outbox.deliver(id)`:

1. claim: one atomic UPDATE moves the row to `sending` with a lease and bumps `attempts`
   (the fencing token); a second worker, or the same job delivered twice, claims nothing;
2. send through the channel's `Sender`, with the row's idempotency key;
3. mark: `sent`, `opted_out`, or back to `pending` with exponential back-off and jitter, or
   `failed` after OUTBOX_MAX_ATTEMPTS. The mark names the attempt it claimed, so a stale worker
   cannot overwrite a newer attempt.

A worker killed between 2 and 3 leaves a `sending` row whose lease runs out; the sweeper picks
it up again and sends it with the *same* idempotency key, so a sender that honours the key
(see `Sender`) delivers it once. Nothing is kept only in memory or in Redis: the table is the
record, and on start every undelivered row is picked up again (bot/worker.py runs the jobs
through taskiq: in-process by default, Redis-stream workers when OUTBOX_BROKER_URL is set).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.addresses import Address, AddressBook
from bot.inbox_models import InboxSettings, InboxThread, OutboxRow
from bot.models import utcnow

log = logging.getLogger(__name__)

FINAL = ("sent", "failed", "opted_out", "cancelled")


@dataclass(frozen=True)
class DeliveryResult:
    """What a sender says about one attempt. `error` is a short code, never message text."""

    ok: bool
    retry: bool = True  # when not ok: worth trying again later
    opted_out: bool = False  # she sent STOP (or the gateway says the number opted out)
    error: str | None = None
    retry_after: float | None = None  # seconds the gateway asked us to wait

    @classmethod
    def sent(cls) -> "DeliveryResult":
        return cls(ok=True)

    @classmethod
    def failed(cls, error: str, *, retry: bool = True, retry_after: float | None = None) -> "DeliveryResult":
        return cls(ok=False, retry=retry, error=error[:80], retry_after=retry_after)

    @classmethod
    def stopped(cls) -> "DeliveryResult":
        return cls(ok=False, retry=False, opted_out=True, error="opted_out")


class Sender(Protocol):
    """One channel's way out (Telegram, an SMS gateway). Implemented per channel.

    Must not deliver the same `idempotency_key` twice: pass it to the gateway where it takes
    one, else remember keys already sent (e.g. `SessionStore.first_time("sent:" + key, ...)`
    right after the gateway accepted). Must not log the address or the texts.
    """

    async def send(self, address: Address, texts: list[str], *, idempotency_key: str,
                   locale: str | None = None) -> DeliveryResult: ...


class WebhookSender:
    """POSTs an organisation's webhook, signed: `X-Signature-256: sha256=<HMAC-SHA256 of body>`."""

    def __init__(self, client: httpx.AsyncClient | None = None, timeout: float = 10.0) -> None:
        self._client = client
        self._timeout = timeout

    @staticmethod
    def signature(secret: str, body: bytes) -> str:
        return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()

    async def post(self, url: str, secret: str | None, body: dict[str, Any], idempotency_key: str) -> DeliveryResult:
        raw = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": idempotency_key}
        if secret:
            headers["X-Signature-256"] = self.signature(secret, raw)
        client = self._client or httpx.AsyncClient(timeout=self._timeout)
        try:
            response = await client.post(url, content=raw, headers=headers)
        except httpx.HTTPError as exc:
            return DeliveryResult.failed(f"webhook_{type(exc).__name__}")
        finally:
            if self._client is None:
                await client.aclose()
        if response.is_success:
            return DeliveryResult.sent()
        permanent = 400 <= response.status_code < 500 and response.status_code not in (408, 429)
        return DeliveryResult.failed(f"webhook_http_{response.status_code}", retry=not permanent)


@dataclass(frozen=True)
class Backoff:
    base: float = 5.0
    cap: float = 3600.0
    max_attempts: int = 8

    def delay(self, attempt: int, rand: float, retry_after: float | None = None) -> float:
        """Exponential with equal jitter: half fixed, half random, never under retry_after."""
        full = min(self.cap, self.base * 2 ** max(0, attempt - 1))
        return max(full / 2 + rand * full / 2, retry_after or 0.0)


class Outbox:
    """Writes outbox rows into a caller's transaction, and delivers one row per job."""

    def __init__(self, sessionmaker: async_sessionmaker, addresses: AddressBook,
                 senders: Mapping[str, Sender], *, webhook: WebhookSender | None = None,
                 backoff: Backoff | None = None, lease_seconds: float = 120.0,
                 clock: Callable[[], dt.datetime] = utcnow, rand: Callable[[], float] = random.random) -> None:
        self._sessionmaker = sessionmaker
        self._addresses = addresses
        self.senders = dict(senders)
        self._webhook = webhook or WebhookSender()
        self.backoff = backoff or Backoff()
        self._lease = dt.timedelta(seconds=lease_seconds)
        self._clock = clock
        self._rand = rand

    # -- writing ------------------------------------------------------------------------

    @staticmethod
    def add(session: AsyncSession, *, kind: str, channel: str, idempotency_key: str,
            payload: dict[str, Any], person: str | None = None, thread_id: int | None = None) -> OutboxRow:
        """A row in the caller's transaction: it exists exactly when what caused it commits."""
        row = OutboxRow(kind=kind, channel=channel, idempotency_key=idempotency_key[:64], payload=payload,
                        person=person, thread_id=thread_id, status="pending", attempts=0,
                        next_attempt_at=utcnow())
        session.add(row)
        return row

    @staticmethod
    async def cancel_for(session: AsyncSession, person: str, status: str = "cancelled") -> None:
        """Her undelivered messages are not sent (deletion, STOP); their text is dropped."""
        await session.execute(update(OutboxRow).where(
            OutboxRow.person == person, OutboxRow.status.in_(("pending", "sending")))
            .values(status=status, payload={}, lease_until=None, last_error=status))

    # -- delivering ---------------------------------------------------------------------

    async def due_ids(self, limit: int = 200) -> list[int]:
        """Rows to (re)try now: pending and due, or sending with a lease that ran out."""
        now = self._clock()
        async with self._sessionmaker() as session:
            rows = await session.scalars(select(OutboxRow.id).where(or_(
                (OutboxRow.status == "pending") & (OutboxRow.next_attempt_at <= now),
                (OutboxRow.status == "sending") & (OutboxRow.lease_until <= now),
            )).order_by(OutboxRow.next_attempt_at).limit(limit))
            return list(rows)

    async def _claim(self, outbox_id: int) -> OutboxRow | None:
        now = self._clock()
        async with self._sessionmaker() as session, session.begin():
            result = await session.execute(
                update(OutboxRow).where(OutboxRow.id == outbox_id, or_(
                    (OutboxRow.status == "pending") & (OutboxRow.next_attempt_at <= now),
                    (OutboxRow.status == "sending") & (OutboxRow.lease_until <= now)))
                .values(status="sending", attempts=OutboxRow.attempts + 1, lease_until=now + self._lease)
                .execution_options(synchronize_session=False))
            if result.rowcount != 1:  # type: ignore[attr-defined]
                return None
            return await session.get(OutboxRow, outbox_id, populate_existing=True)

    async def deliver(self, outbox_id: int) -> str | None:
        """One delivery job. Returns the row's status after it, or None when nothing was claimed."""
        row = await self._claim(outbox_id)
        if row is None:
            return None
        try:
            result = await self._send(row)
        except Exception as exc:  # a sender bug or a network error: retried, never dropped
            log.warning("outbox %d: sender raised %s", row.id, type(exc).__name__)
            result = DeliveryResult.failed(f"exception_{type(exc).__name__}")
        return await self._mark(row, result)

    async def _send(self, row: OutboxRow) -> DeliveryResult:
        if row.kind == "webhook":
            async with self._sessionmaker() as session:
                settings = await session.get(InboxSettings, row.payload.get("org_id"))
            if settings is None or not settings.webhook_url:
                return DeliveryResult.failed("no_webhook", retry=False)
            return await self._webhook.post(settings.webhook_url, settings.webhook_secret,
                                            row.payload.get("body", {}), row.idempotency_key)
        address = await self._addresses.lookup(row.person, row.channel) if row.person else None
        if address is None:
            return DeliveryResult.failed("no_address", retry=False)
        sender = self.senders.get(row.channel)
        if sender is None:
            return DeliveryResult.failed(f"no_sender_{row.channel}")
        return await sender.send(address, list(row.payload.get("texts", [])),
                                 idempotency_key=row.idempotency_key, locale=row.payload.get("locale"))

    async def _mark(self, row: OutboxRow, result: DeliveryResult) -> str | None:
        now = self._clock()
        values: dict[str, Any] = {"lease_until": None, "last_error": result.error}
        if result.ok:  # the text stays in the thread (until purged), not in the outbox
            values.update(status="sent", sent_at=now, last_error=None, payload={})
        elif result.opted_out:
            values.update(status="opted_out", payload={})
        elif result.retry and row.attempts < self.backoff.max_attempts:
            delay = self.backoff.delay(row.attempts, self._rand(), result.retry_after)
            values.update(status="pending", next_attempt_at=now + dt.timedelta(seconds=delay))
        else:
            values.update(status="failed", payload={})
        async with self._sessionmaker() as session, session.begin():
            done = await session.execute(update(OutboxRow).where(
                OutboxRow.id == row.id, OutboxRow.status == "sending", OutboxRow.attempts == row.attempts)
                .values(**values).execution_options(synchronize_session=False))
            if done.rowcount != 1:  # type: ignore[attr-defined]
                log.warning("outbox %d: attempt %d was superseded; not marked", row.id, row.attempts)
                return None
            status = values["status"]
            if row.thread_id is not None and row.kind == "message":
                await session.execute(update(InboxThread).where(InboxThread.id == row.thread_id)
                                      .values(delivery="retrying" if status == "pending" else status))
            if status == "opted_out" and row.person:
                await self._addresses.erase(session, row.person)
                await self.cancel_for(session, row.person, "opted_out")
        if status != "sent":
            log.info("outbox %d: %s after attempt %d (%s)", row.id, status, row.attempts, result.error)
        return status
