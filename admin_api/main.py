"""The admin API app: mounted by `python -m bot serve` at /api/v1, or run alone (`python -m admin_api serve`)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from admin_api import errors
from admin_api.api.routes import (
    audit,
    canned,
    content,
    dashboard,
    emergency,
    feedback,
    inbox,
    inbox_insights,
    inbox_page,
    io,
    keys,
    me,
    preview,
    services,
    ui_strings,
)
from admin_api.middleware import BodyLimit
from bot.app import AppContext

API_VERSION = "1.0.0"
IMPORT_LIMIT_FACTOR = 16  # a whole library in one import is bigger than an ordinary request

DESCRIPTION = """
For civil-society organisations keeping the bot's content true.

Authenticate with `Authorization: Bearer <key>` (create the first key with
`python -m admin_api create-key --org NAME --role admin`). Roles: **admin** (keys of its
organisation, audit log, read), **editor** (draft content, translations, services, emergency numbers, import),
**reviewer** (submit, approve and publish, reject, archive, restore, mark translations
reviewed), **analyst** (aggregated feedback only). An organisation limited to some countries
sees and edits only items whose countries are all among them, and services and emergency numbers
of those countries.

Writes send the version they read (`version` in the body, or `If-Match` with the ETag); a
stale write gets 409 with the current version. Errors are JSON: `{"detail": ...}`.
"""


def create_admin_app(ctx: AppContext, *, manage_ctx: bool = False) -> FastAPI:
    """The API over one running service; `manage_ctx` starts and stops ctx (standalone production)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if manage_ctx:
            await ctx.start()
        try:
            yield
        finally:
            if manage_ctx:
                await ctx.stop()

    app = FastAPI(title="Safe migration admin API", version=API_VERSION, description=DESCRIPTION,
                  openapi_url="/openapi.json", docs_url="/docs", redoc_url=None, lifespan=lifespan)
    app.state.ctx = ctx
    errors.install(app)
    limit = ctx.settings.max_body_bytes
    app.add_middleware(BodyLimit, limit=limit, import_limit=limit * IMPORT_LIMIT_FACTOR)
    for module in (me, keys, content, services, preview, io, audit, feedback, dashboard, canned, inbox_insights, inbox,
                   inbox_page, ui_strings):
        app.include_router(module.router)
    app.include_router(emergency.router)
    return app
