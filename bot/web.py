"""The HTTP service of `python -m bot serve`: health, channel webhooks and the admin API."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from admin_api.main import create_admin_app
from bot.app import AppContext
from bot.channels import build_channels
from bot.retention import RetentionJob, SpoolReplayJob

log = logging.getLogger(__name__)


def create_app(ctx: AppContext, *, start: bool = True) -> FastAPI:
    """One app for every edge; `start=False` when the caller manages ctx's lifetime (tests)."""
    # background parts with start()/stop(): channels that poll, and periodic jobs
    channels: list = [RetentionJob(ctx), SpoolReplayJob(ctx, ctx.settings.spool_replay_seconds), *build_channels(ctx)]

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if start:
            await ctx.start()
        for channel in channels:
            await channel.start()
        try:
            yield
        finally:
            for channel in reversed(channels):
                await channel.stop()
            if start:
                await ctx.stop()

    app = FastAPI(title="Safe migration information service", lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url=None)
    app.state.ctx = ctx
    app.mount("/api/v1", create_admin_app(ctx))
    for channel in channels:
        if getattr(channel, "router", None) is not None:
            app.include_router(channel.router)

    @app.get("/healthz")
    async def healthz() -> dict:
        """Liveness and readiness: the database answers and content is loaded."""
        async with ctx.sessionmaker() as session:
            await session.execute(text("SELECT 1"))
        return {"status": "ok", "content_revision": ctx.content.library.revision,
                "items": len(ctx.content.library.items)}

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return JSONResponse({"detail": "internal error"}, status_code=500)

    return app
