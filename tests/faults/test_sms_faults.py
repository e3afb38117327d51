"""Never silent, never lost, on SMS: Redis and PostgreSQL fail under a Twilio conversation.

Each test owns its servers (tests/faults/servers.py): it stops, freezes and restarts them.
Exactly-once is shown by retrying the very same signed request (same MessageSid) after each
failure, and by counting feedback records.
"""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import func, select

from bot.models import FeedbackRecord
from tests.faults.conftest import Service

SAUDI = "+966501234567"  # her SIM suggests Saudi Arabia: HELP gives Saudi numbers from memory
SAUDI_NUMBERS = ("911", "999", "997")


async def _feedback_count(rig) -> int:
    async with rig.ctx.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(FeedbackRecord)))


async def test_help_during_a_redis_outage_gets_her_countrys_numbers(service_settings, servers, fake):
    redis, _ = servers
    async with Service(service_settings(), fake) as rig:
        redis.stop()
        try:
            for word in ("HELP", "AYUDA", "مساعدة"):
                texts = await rig.twilio(SAUDI, word)
                assert texts and any(n in texts[0] for n in SAUDI_NUMBERS), (word, texts)
            other = await rig.twilio(SAUDI, "hello")
            assert other and "try again" in other[0]
        finally:
            redis.start()


async def test_help_during_a_database_outage_gets_her_countrys_numbers(service_settings, servers, fake):
    _, pg = servers
    async with Service(service_settings(), fake) as rig:
        await rig.twilio(SAUDI, "hello")
        pg.stop()
        try:
            texts = await rig.twilio(SAUDI, "HELP")
            assert texts and any(n in texts[0] for n in SAUDI_NUMBERS), texts
        finally:
            pg.start()


async def test_help_with_redis_frozen_still_answers_in_time(service_settings, servers, fake):
    redis, _ = servers
    async with Service(service_settings(redis_socket_timeout_seconds=1.0), fake) as rig:
        redis.freeze()
        try:
            started = time.monotonic()
            texts = await rig.twilio(SAUDI, "HELP")
            assert texts and "911" in texts[0]
            assert time.monotonic() - started < 15  # inside Twilio's webhook timeout
        finally:
            redis.thaw()


async def test_a_retry_after_a_redis_outage_is_processed_once(service_settings, servers, fake):
    redis, _ = servers
    async with Service(service_settings(), fake) as rig:
        phone = "+447700900801"
        await rig.twilio(phone, "hello", sid="SM" + "a" * 32)  # the greeting
        await rig.twilio(phone, "MENU", sid="SM" + "d" * 32)
        redis.stop()
        try:
            failed = await rig.twilio(phone, "1", sid="SM" + "b" * 32)
            assert failed and "try again" in failed[0]
        finally:
            redis.start()
        await _recovered(rig, phone)
        retried = await rig.twilio(phone, "1", sid="SM" + "b" * 32)  # Twilio's retry of the failed one
        assert retried and retried[0].startswith("Know your rights")
        assert await rig.twilio(phone, "1", sid="SM" + "b" * 32) == []  # and only once


async def test_ratings_given_while_the_database_is_down_are_kept_and_written_once(service_settings, servers, fake):
    _, pg = servers
    async with Service(service_settings(), fake) as rig:
        phone = "+447700900802"
        for text in ("hello", "LANG", "1", "1", "1", "1", "1"):  # up to the consent question, agreed
            await rig.twilio(phone, text)
        pg.stop()
        try:
            profile_skip = await rig.twilio(phone, "6")  # "skip these questions" (the profile's last choice)
            assert profile_skip
        finally:
            pg.start()
        await _eventually(lambda: _feedback_count(rig), 1)
        await asyncio.sleep(0.5)  # replays more than once would add more
        assert await _feedback_count(rig) == 1


async def test_a_process_killed_mid_request_lets_the_retry_through_once(service_settings, servers, fake):
    phone = "+447700900803"
    sid = "SM" + "c" * 32
    async with Service(service_settings(), fake) as first:
        await first.twilio(phone, "hello")
        await first.twilio(phone, "LANG")
        # "killed" after claiming the message: the claim stays, nothing is marked done
        await first.channel.core.claim("twilio", sid)
    async with Service(service_settings(), fake) as second:  # the restarted process
        await asyncio.sleep(1.1)  # the claim of the dead attempt expires (SMS_CLAIM_SECONDS=1 here)
        retried = await second.twilio(phone, "1", sid=sid)
        assert retried and "Language saved" in retried[0]
        assert await second.twilio(phone, "1", sid=sid) == []


async def test_service_recovers_within_seconds_of_a_redis_restart(service_settings, servers, fake):
    redis, _ = servers
    async with Service(service_settings(), fake) as rig:
        phone = "+447700900804"
        await rig.twilio(phone, "hello")
        redis.stop()
        redis.start()
        started = time.monotonic()
        await _recovered(rig, phone)
        assert time.monotonic() - started < 5


async def _recovered(rig, phone: str, timeout: float = 10.0) -> None:
    """Until an ordinary message gets an ordinary answer again."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        texts = await rig.twilio(phone, "MENU")
        if texts and "try again" not in texts[0] and "wrong" not in texts[0]:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("no recovery")


async def _eventually(read, expected, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if await asyncio.wait_for(read(), 5) == expected:
                return
        except Exception:  # the database still coming back, or a read that hangs: try again
            pass
        await asyncio.sleep(0.1)
    raise AssertionError(f"never reached {expected}")
