"""`python -m admin_api create-key`: creates the organisation, prints only the key, audits as cli."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
from sqlalchemy import select

from admin_api.__main__ import create_key
from admin_api.main import create_admin_app
from bot.config import ROOT
from bot.models import AuditEvent, Organisation


def _run(settings, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": settings.database_url, "DATA_DIR": str(settings.data_dir),
           "USER_KEY_SECRET": "cli-test", "LOG_LEVEL": "INFO"}
    return subprocess.run([sys.executable, "-m", "admin_api", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)


async def test_create_key_prints_only_the_key_and_it_works(ctx) -> None:
    done = _run(ctx.settings, "create-key", "--org", "Migrant Women Kenya", "--role", "editor",
                "--countries", "ke,UG", "--label", "desk")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("smb_") and len(lines[0]) > 40
    key = lines[0]
    app = create_admin_app(ctx)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        me = (await c.get("/me", headers={"Authorization": f"Bearer {key}"})).json()
    assert me == {"organisation": "Migrant Women Kenya", "role": "editor", "key_prefix": key[:12],
                  "countries": ["KE", "UG"]}
    async with ctx.sessionmaker() as session:
        events = (await session.scalars(select(AuditEvent).order_by(AuditEvent.id))).all()
    assert [(e.actor, e.action) for e in events] == [("cli", "org.create"), ("cli", "key.create")]
    assert key not in str([e.detail for e in events]) and key not in done.stderr


async def test_a_second_key_reuses_the_organisation(ctx) -> None:
    first = await create_key(ctx.settings, "Same CSO", "admin")
    second = await create_key(ctx.settings, "Same CSO", "reviewer")
    assert first != second
    async with ctx.sessionmaker() as session:
        orgs = (await session.scalars(select(Organisation).where(Organisation.name == "Same CSO"))).all()
    assert len(orgs) == 1


async def test_bad_arguments_fail_without_printing_a_key(ctx) -> None:
    for args in (("--org", "X", "--role", "owner"), ("--org", "X", "--role", "editor", "--countries", "Kenya")):
        done = _run(ctx.settings, "create-key", *args)
        assert done.returncode == 2 and done.stdout == ""
