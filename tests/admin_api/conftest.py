"""Admin API fixtures: the app over the `ctx` service, keys per organisation and role, test records."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
from sqlalchemy import select

from admin_api.api.routes.keys import create_key_row
from admin_api.content_ops import english_hash
from admin_api.main import create_admin_app
from bot.app import AppContext
from bot.content_model import Item, item_to_data
from bot.content_repository import apply_item, bump_revision, publish_row, record_version
from bot.models import ContentItem, Organisation
from bot.models import Service as ServiceRow

ROLES = ("admin", "editor", "reviewer", "analyst")


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def item_data(item_id: str, countries: list[str], **overrides: object) -> dict:
    """A valid item in the content model, in English and Arabic."""
    data = {
        "id": item_id, "section": "rights", "theme": "work", "stages": ["destination"],
        "countries": countries, "related": [], "gcm_objectives": [6],
        "sources": [{"title": "ILO Domestic Workers Convention, 2011 (No. 189)",
                     "url": "https://www.ilo.org/c189"}],
        "translations": {
            "en": {"status": "reviewed", "title": f"Test item {item_id}", "body": "You have the right to rest.",
                   "sms": "You have the right to rest.", "keywords": ["rest"]},
            "ar": {"status": "needs_review", "title": "حقك في الراحة", "body": "لك الحق في الراحة.",
                   "sms": "لك الحق في الراحة.", "keywords": ["راحة"]},
        },
    }
    data.update(overrides)
    return data


async def make_org(ctx: AppContext, name: str, countries: list[str] | None = None) -> int:
    async with ctx.sessionmaker() as session:
        org = await session.scalar(select(Organisation).where(Organisation.name == name))
        if org is None:
            org = Organisation(name=name, countries=countries or [])
            session.add(org)
            await session.commit()
        return org.id


async def make_key(ctx: AppContext, org: str, role: str, countries: list[str] | None = None,
                   expires_days: int | None = None) -> tuple[int, str]:
    """A key for an organisation (created if needed); returns the key id and the key."""
    org_id = await make_org(ctx, org, countries)
    async with ctx.sessionmaker() as session:
        row, key = await create_key_row(session, org_id, role, f"test {role}", expires_days)
        await session.commit()
        return row.id, key


def with_source_hashes(item: Item) -> dict:
    """The item's data with every translation made from its current English, as `content load` stores it."""
    data = item_to_data(item)
    digest = english_hash(data["translations"])
    if digest is not None:
        for tr in data["translations"].values():
            tr.setdefault("source_hash", digest)
    return data


async def add_published_item(ctx: AppContext, item_id: str, countries: list[str]) -> None:
    """A published item straight into the database, as content/ would load it."""
    item = Item.model_validate(item_data(item_id, countries))
    async with ctx.sessionmaker() as session:
        row = ContentItem(id=item_id, version=1, updated_by="test")
        apply_item(row, with_source_hashes(item))
        publish_row(row)
        session.add(row)
        await session.flush()
        record_version(session, row, "test", "created by the test")
        await bump_revision(session)
        await session.commit()
    await ctx.content.refresh()


async def add_service(ctx: AppContext, service_id: str, country: str,
                      last_verified: dt.date | None = None) -> None:
    async with ctx.sessionmaker() as session:
        session.add(ServiceRow(id=service_id, country=country, name=f"Helpline {service_id}",
                               categories=["emergency"], emergency=True, phone="+100", verified=True,
                               last_verified=last_verified, version=1, updated_by="test"))
        await session.commit()


@dataclass
class World:
    """Two organisations (one limited to Kenya), a key per role each, and records in KE and PH."""

    client: httpx.AsyncClient
    ctx: AppContext
    keys: dict[tuple[str, str], str] = field(default_factory=dict)  # (org, role) -> key
    key_ids: dict[tuple[str, str], int] = field(default_factory=dict)

    def h(self, org: str, role: str) -> dict[str, str]:
        return auth(self.keys[(org, role)])

    async def version(self, item_id: str) -> int:
        async with self.ctx.sessionmaker() as session:
            return (await session.get(ContentItem, item_id)).version  # type: ignore[union-attr]


@pytest.fixture
async def client(ctx: AppContext) -> AsyncIterator[httpx.AsyncClient]:
    app = create_admin_app(ctx)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c


@pytest.fixture
async def world(ctx: AppContext, client: httpx.AsyncClient) -> World:
    w = World(client=client, ctx=ctx)
    for org, countries in (("global", []), ("kenya", ["KE"])):
        for role in ROLES:
            key_id, key = await make_key(ctx, f"{org} cso", role, countries)
            w.keys[(org, role)] = key
            w.key_ids[(org, role)] = key_id
        # a spare admin key per organisation, for the expire and revoke routes to act on
        w.key_ids[(org, "spare")], w.keys[(org, "spare")] = await make_key(ctx, f"{org} cso", "editor", countries)
    await add_published_item(ctx, "ke-item", ["KE"])
    await add_published_item(ctx, "ph-item", ["PH"])
    await add_service(ctx, "ke-helpline", "KE")
    await add_service(ctx, "ph-helpline", "PH", dt.date.today())
    return w
