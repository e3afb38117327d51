"""The durable outbox: same-transaction writes, retries with back-off, exactly once across a crash,
STOP, signed webhooks, and delivery through taskiq (in-process, and Redis streams when available)."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import json

import httpx
import pytest
from sqlalchemy import select

from bot.addresses import Address, AddressBook, AddressCipher, new_key_spec, parse_key
from bot.inbox_models import InboxSettings, OutboxRow
from bot.models import Organisation, utcnow
from bot.outbox import Backoff, DeliveryResult, Outbox, WebhookSender
from bot.worker import Dispatcher, make_broker
from tests.conftest import REDIS_URL


class Killed(BaseException):
    """The worker process dying: not an Exception, so nothing in the outbox catches it."""


class FakeSender:
    """Records what reached her; honours idempotency keys like a real sender must."""

    def __init__(self, script: list[object] | None = None) -> None:
        self.script = list(script or [])  # per call: DeliveryResult, an exception, or "kill-after-send"
        self.calls: list[str] = []
        self.delivered: dict[str, tuple[Address, list[str]]] = {}

    async def send(self, address, texts, *, idempotency_key, locale=None):
        self.calls.append(idempotency_key)
        step = self.script.pop(0) if self.script else None
        if isinstance(step, BaseException):
            raise step
        if isinstance(step, DeliveryResult) and not step.ok:
            return step
        self.delivered.setdefault(idempotency_key, (address, list(texts)))  # a repeat key is not sent again
        if step == "kill-after-send":
            raise Killed()
        return DeliveryResult.sent()


class Clock:
    def __init__(self) -> None:
        self.now = utcnow() + dt.timedelta(seconds=5)  # rows written from now on are due

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


def rig(ctx, sender, clock=None, **kwargs):
    addresses = AddressBook(ctx.sessionmaker, AddressCipher(parse_key(new_key_spec())), b"secret")
    outbox = Outbox(ctx.sessionmaker, addresses, {"telegram": sender}, backoff=kwargs.pop("backoff", Backoff(5, 60, 4)),
                    lease_seconds=30, clock=clock or Clock(), rand=lambda: 1.0, **kwargs)
    return addresses, outbox


async def queue_answer(ctx, addresses, key="answer:1", person_key="her", text="Your answer") -> int:
    person = addresses.person(person_key)
    async with ctx.sessionmaker() as session, session.begin():
        await addresses.remember(session, person, Address("telegram", chat_id="777001"))
        row = Outbox.add(session, kind="message", channel="telegram", person=person, idempotency_key=key,
                         payload={"texts": [text], "locale": "en"})
        await session.flush()
        return row.id


async def status_of(ctx, outbox_id) -> OutboxRow:
    async with ctx.sessionmaker() as session:
        return await session.get(OutboxRow, outbox_id)


async def test_a_row_exists_only_if_its_transaction_commits(ctx) -> None:
    _, outbox = rig(ctx, FakeSender())
    async with ctx.sessionmaker() as session:
        async with session.begin():
            Outbox.add(session, kind="message", channel="telegram", idempotency_key="never", payload={})
            await session.flush()
            await session.rollback()
    async with ctx.sessionmaker() as session:
        assert (await session.scalars(select(OutboxRow))).all() == []


async def test_delivered_once_and_text_dropped_from_the_outbox(ctx) -> None:
    sender = FakeSender()
    addresses, outbox = rig(ctx, sender)
    oid = await queue_answer(ctx, addresses)
    results = await asyncio.gather(outbox.deliver(oid), outbox.deliver(oid))  # a job delivered twice
    assert sorted(results, key=str) == [None, "sent"]
    assert sender.calls == ["answer:1"]
    address, texts = sender.delivered["answer:1"]
    assert address.chat_id == "777001" and texts == ["Your answer"]
    row = await status_of(ctx, oid)
    assert row.status == "sent" and row.payload == {} and row.attempts == 1
    assert await outbox.deliver(oid) is None


async def test_retries_with_exponential_back_off_then_gives_up_visibly(ctx) -> None:
    clock = Clock()
    flaky = DeliveryResult.failed("http_502")
    sender = FakeSender([flaky, ConnectionError("reset"), flaky, flaky])
    addresses, outbox = rig(ctx, sender, clock)
    oid = await queue_answer(ctx, addresses)
    delays = []
    for attempt in range(1, 5):
        status = await outbox.deliver(oid)
        row = await status_of(ctx, oid)
        assert row.attempts == attempt
        if attempt < 4:
            assert status == "pending" and row.last_error in ("http_502", "exception_ConnectionError")
            due = row.next_attempt_at
            due = due.replace(tzinfo=dt.timezone.utc) if due.tzinfo is None else due  # SQLite: naive UTC
            delays.append(round((due - clock.now).total_seconds()))
            assert await outbox.deliver(oid) is None  # not due yet
            assert await outbox.due_ids() == []
            clock.advance(delays[-1])
            assert await outbox.due_ids() == [oid]
    assert delays == [5, 10, 20]  # base 5 s, doubling (jitter pinned to its top)
    assert status == "failed" and (await status_of(ctx, oid)).status == "failed"
    assert sender.delivered == {}


def test_back_off_is_capped_jittered_and_honours_retry_after() -> None:
    backoff = Backoff(base=5, cap=60, max_attempts=8)
    assert backoff.delay(1, 0.0) == 2.5 and backoff.delay(1, 1.0) == 5
    assert backoff.delay(10, 1.0) == 60
    assert backoff.delay(1, 0.0, retry_after=30) == 30


async def test_exactly_once_when_the_worker_dies_after_sending(ctx) -> None:
    clock = Clock()
    sender = FakeSender(["kill-after-send"])
    addresses, outbox = rig(ctx, sender, clock)
    oid = await queue_answer(ctx, addresses)
    with pytest.raises(Killed):
        await outbox.deliver(oid)  # sent, never marked: the process is gone
    assert (await status_of(ctx, oid)).status == "sending"
    assert await outbox.due_ids() == []  # its lease still runs
    # a restarted worker: a new Outbox over the same database finds it once the lease ran out
    _, restarted = rig(ctx, sender, clock)
    restarted._addresses = addresses
    clock.advance(31)
    assert await restarted.due_ids() == [oid]
    assert await restarted.deliver(oid) == "sent"
    assert sender.calls == ["answer:1", "answer:1"]  # tried again with the same key...
    assert len(sender.delivered) == 1  # ...so she got it once


async def test_a_superseded_attempt_cannot_overwrite_the_newer_one(ctx) -> None:
    clock = Clock()
    sender = FakeSender()
    addresses, outbox = rig(ctx, sender, clock)
    oid = await queue_answer(ctx, addresses)
    stale = await outbox._claim(oid)
    clock.advance(31)  # its lease ran out; another worker takes over and succeeds
    assert await outbox.deliver(oid) == "sent"
    assert await outbox._mark(stale, DeliveryResult.failed("late")) is None
    assert (await status_of(ctx, oid)).status == "sent"


async def test_stop_erases_the_address_and_cancels_what_is_queued(ctx) -> None:
    sender = FakeSender([DeliveryResult.stopped()])
    addresses, outbox = rig(ctx, sender)
    first = await queue_answer(ctx, addresses, "answer:1")
    second = await queue_answer(ctx, addresses, "answer:2")
    assert await outbox.deliver(first) == "opted_out"
    assert (await status_of(ctx, second)).status == "opted_out"
    assert await addresses.lookup(addresses.person("her"), "telegram") is None
    assert await outbox.deliver(second) is None and sender.delivered == {}


async def test_no_address_or_no_sender_is_shown_not_dropped(ctx) -> None:
    addresses, outbox = rig(ctx, FakeSender())
    oid = await queue_answer(ctx, addresses)
    await addresses.forget("her")
    assert await outbox.deliver(oid) == "failed"
    assert (await status_of(ctx, oid)).last_error == "no_address"
    outbox.senders.clear()
    other = await queue_answer(ctx, addresses, "answer:2")
    assert await outbox.deliver(other) == "pending"
    assert (await status_of(ctx, other)).last_error == "no_sender_telegram"


async def test_webhook_is_signed_and_carries_no_text(ctx) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204 if len(seen) > 1 else 503)

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    addresses, outbox = rig(ctx, FakeSender(), webhook=WebhookSender(client))
    async with ctx.sessionmaker() as session, session.begin():
        org = Organisation(name="Hook CSO", countries=["KE"])
        session.add(org)
        await session.flush()
        session.add(InboxSettings(org_id=org.id, webhook_url="https://cso.example/hook", webhook_secret="s3cret"))
        row = Outbox.add(session, kind="webhook", channel="webhook", idempotency_key="hook:ABC234", payload={
            "org_id": org.id, "body": {"event": "question.new", "question": "ABC234", "language": "en",
                                       "country": "KE", "urgent": True}})
        await session.flush()
        oid = row.id
    assert await outbox.deliver(oid) == "pending"  # 503: retried
    outbox._clock.advance(10)
    assert await outbox.deliver(oid) == "sent"
    request = seen[-1]
    expected = "sha256=" + hmac.new(b"s3cret", request.content, hashlib.sha256).hexdigest()
    assert request.headers["X-Signature-256"] == expected
    assert request.headers["Idempotency-Key"] == "hook:ABC234"
    assert set(json.loads(request.content)) == {"event", "question", "language", "country", "urgent"}
    await client.aclose()


async def test_in_process_dispatcher_delivers_and_picks_up_rows_left_by_a_restart(ctx) -> None:
    sender = FakeSender()
    addresses, outbox = rig(ctx, sender, clock=utcnow)
    left_over = await queue_answer(ctx, addresses, "answer:before-restart")  # committed, never kicked
    dispatcher = Dispatcher(outbox, make_broker(None), sweep_seconds=0.05)
    await dispatcher.start()
    try:
        fresh = await queue_answer(ctx, addresses, "answer:new")
        await dispatcher.kick(fresh)
        for _ in range(100):
            if len(sender.delivered) == 2:
                break
            await asyncio.sleep(0.05)
    finally:
        await dispatcher.stop()
    assert set(sender.delivered) == {"answer:before-restart", "answer:new"}
    assert sorted(sender.calls) == sorted(set(sender.calls))  # each sent once
    assert (await status_of(ctx, left_over)).status == "sent"


async def test_redis_stream_workers_deliver(ctx, backend) -> None:
    if backend != "postgres-redis":
        pytest.skip("Redis runs with the postgres-redis backend")
    sender = FakeSender()
    addresses, outbox = rig(ctx, sender, clock=utcnow)
    producer = Dispatcher(outbox, make_broker(REDIS_URL), sweep_seconds=60)
    worker = Dispatcher(outbox, make_broker(REDIS_URL), sweep_seconds=60)
    await producer.start()  # the web process: enqueues only
    await worker.start(deliver=True)  # `python -m bot worker`
    try:
        oid = await queue_answer(ctx, addresses, "answer:redis")
        await producer.kick(oid)
        for _ in range(200):
            if sender.delivered:
                break
            await asyncio.sleep(0.05)
    finally:
        await worker.stop()
        await producer.stop()
    assert list(sender.delivered) == ["answer:redis"]
    assert (await status_of(ctx, oid)).status == "sent"


async def test_the_worker_entry_point_needs_a_broker_and_delivers_from_it(ctx, backend, settings_for) -> None:
    from bot.worker import run_worker

    with pytest.raises(SystemExit):
        await run_worker(settings_for(), lambda ctx: {})
    if backend != "postgres-redis":
        return
    sender = FakeSender()
    stop = asyncio.Event()
    settings = settings_for(outbox_broker_url=REDIS_URL, outbox_sweep_seconds=0.05,
                            user_key_secret=ctx.settings.user_key_secret)
    worker = asyncio.create_task(run_worker(settings, lambda _ctx: {"telegram": sender}, stop))
    from bot.inbox import services_for

    addresses = services_for(ctx).addresses  # same data_dir, so the same generated address key
    oid = await queue_answer(ctx, addresses, "answer:worker")  # committed, never kicked: the sweeper finds it
    for _ in range(200):
        if sender.delivered:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(worker, 30)
    assert list(sender.delivered) == ["answer:worker"]
    assert (await status_of(ctx, oid)).status == "sent"
