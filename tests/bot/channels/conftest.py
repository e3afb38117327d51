"""Fixtures of the channel tests: `rig`, a configured service behind every SMS gateway's webhook."""

from __future__ import annotations

import logging

import pytest

from tests.bot.channels.sms_helpers import close_rig, make_rig
from tests.fakes.sms_gateways import FakeGateways


@pytest.fixture
async def rig(settings_for, store, caplog):
    caplog.set_level(logging.INFO)
    with FakeGateways() as fake:
        r = await make_rig(settings_for, store, fake)
        try:
            yield r
        finally:
            await close_rig(r)
