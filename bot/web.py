"""The HTTP service of `python -m bot serve`: health, channel webhooks and the admin API."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from admin_api.main import create_admin_app
from bot import metrics
from bot.app import AppContext
from bot.channels import build_channels
from bot.readiness import readiness
from bot.retention import RetentionJob, SpoolReplayJob

log = logging.getLogger(__name__)


def create_app(ctx: AppContext, *, start: bool = True, freeze_heap: bool = False) -> FastAPI:
    """One app for every edge; `start=False` when the caller manages ctx's lifetime (tests).

    `freeze_heap` (the `serve` command): once started, everything loaded so far (content in
    every language, search indexes, catalogs: some 330,000 objects) is moved out of the
    garbage collector's reach with `gc.freeze()`. A full collection then walks only what
    requests created, instead of stopping the process for 100-200 ms every few thousand
    requests (the slowest 1% of webhook answers were those pauses)."""
    # background parts with start()/stop(): channels that poll, and periodic jobs
    channels: list = [RetentionJob(ctx), SpoolReplayJob(ctx, ctx.settings.spool_replay_seconds), *build_channels(ctx)]

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if start:
            await ctx.start()
        for channel in channels:
            await channel.start()
        if freeze_heap:
            gc.collect()  # what start-up left as garbage is freed, not frozen
            gc.freeze()
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

    app.add_middleware(metrics.MetricsMiddleware)
    _health_routes(app, ctx)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        route = request.scope.get("route")  # the template, never the path (it may carry a webhook key)
        log.error("unhandled %s on %s", type(exc).__name__, getattr(route, "path", "an unknown route"))
        return JSONResponse({"detail": "internal error"}, status_code=500)

    return app


def _health_routes(app: FastAPI, ctx: AppContext) -> None:
    """/healthz (liveness), /readyz (readiness) and /metrics (Prometheus, behind METRICS_TOKEN)."""

    @app.get("/healthz")
    async def healthz() -> dict:
        """Liveness only: the process answers. Readiness (database, Redis, content) is /readyz."""
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        """200 when the database, Redis (if configured) and the content library are ready, else 503."""
        ready, report = await readiness(ctx.db, ctx.redis, ctx.content)
        return JSONResponse(report, status_code=200 if ready else 503)

    @app.get("/metrics", include_in_schema=False)
    async def prometheus(request: Request) -> Response:
        """Prometheus text format, only with `Authorization: Bearer <METRICS_TOKEN>`; else 404."""
        if not metrics.authorized(request.headers.get("authorization"), ctx.settings.metrics_token):
            return JSONResponse({"detail": "Not Found"}, status_code=404)
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)
