"""The app's edges: body size limit, JSON errors everywhere, rate limit per key, docs, the mount."""

from __future__ import annotations

import httpx

from admin_api.main import create_admin_app
from bot.app import AppContext
from bot.web import create_app
from tests.admin_api.conftest import World, make_key


async def test_oversized_bodies_are_413_json_by_length_and_by_stream(world: World) -> None:
    w = world
    limit = w.ctx.settings.max_body_bytes
    h = w.h("global", "editor")
    r = await w.client.post("/items", headers=h, content=b"x" * (limit + 1))
    assert r.status_code == 413 and "detail" in r.json()

    async def chunks():  # no Content-Length: the limit must hold on the streamed bytes too
        for _ in range(limit // 1000 + 2):
            yield b"x" * 1000

    r = await w.client.post("/items", headers=h, content=chunks())
    assert r.status_code == 413 and "detail" in r.json()
    r = await w.client.post("/items", headers={**h, "Content-Type": "application/json"}, content=b"[]")
    assert r.status_code == 422


async def test_unknown_routes_and_methods_are_json(world: World) -> None:
    w = world
    r = await w.client.get("/nothing-here", headers=w.h("global", "editor"))
    assert r.status_code == 404 and r.json()["detail"]
    r = await w.client.delete("/items", headers=w.h("global", "editor"))
    assert r.status_code == 405 and r.json()["detail"]


async def test_rate_limit_per_key(settings_for, store) -> None:
    ctx = AppContext(settings_for(admin_rate_limit_per_minute=3), store=store)
    await ctx.start(watch=False)
    try:
        _, key = await make_key(ctx, "busy cso", "editor")
        _, other = await make_key(ctx, "busy cso", "reviewer")
        app = create_admin_app(ctx)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
            codes = [(await c.get("/me", headers={"Authorization": f"Bearer {key}"})).status_code for _ in range(5)]
            limited = await c.get("/me", headers={"Authorization": f"Bearer {key}"})
            assert codes[:3] == [200, 200, 200] and 429 in codes[3:]
            assert limited.status_code == 429 and 1 <= int(limited.headers["retry-after"]) <= 60
            assert limited.json()["detail"]
            # another key has its own budget
            assert (await c.get("/me", headers={"Authorization": f"Bearer {other}"})).status_code == 200
    finally:
        await ctx.content.stop()
        await ctx.db.dispose()


async def test_docs_and_schema_and_the_mount_under_the_service(ctx) -> None:
    app = create_app(ctx, start=False)
    _, key = await make_key(ctx, "mounted cso", "editor")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        schema = (await c.get("/api/v1/openapi.json")).json()
        assert schema["info"]["title"] == "Safe migration admin API" and "/items" in schema["paths"]
        assert "HTTPBearer" in schema["components"]["securitySchemes"]
        docs = await c.get("/api/v1/docs")
        assert docs.status_code == 200 and "swagger" in docs.text.lower()
        assert (await c.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"})).status_code == 200
        assert (await c.get("/healthz")).status_code == 200
