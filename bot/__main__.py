"""Command line: `python -m bot chat | serve | worker | content load | content check`."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.config import Settings, get_settings


def _logging(settings: Settings) -> None:
    """Once, at start: one handler, redaction of every record, library loggers capped (bot/logs.py)."""
    from bot.logs import configure_from_settings

    configure_from_settings(settings)


async def _chat(settings: Settings, lang: str | None) -> None:
    from bot.app import AppContext
    from bot.channels.console import chat

    ctx = AppContext(settings)
    await ctx.start(watch=False)
    try:
        await chat(ctx, lang)
    finally:
        await ctx.stop()


def _serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from bot.app import AppContext
    from bot.web import create_app

    app = create_app(AppContext(settings), freeze_heap=True)
    # log_config=None: uvicorn's loggers go through the root handler and its redaction;
    # no access log (it would carry gateway query strings and webhook keys)
    uvicorn.run(app, host=host, port=port, log_level=settings.log_level.lower(),
                access_log=False, log_config=None)


async def _content_load(settings: Settings) -> int:
    from bot.content_repository import load_files
    from bot.db import make_engine, make_sessionmaker, migrate

    await migrate(settings)
    engine = make_engine(settings)
    report = await load_files(make_sessionmaker(engine), settings.content_dir, locales_dir=settings.locales_dir)
    await engine.dispose()
    print(f"added {len(report.added)}, updated {len(report.updated)}, unchanged {len(report.unchanged)}")
    for item_id in report.kept_db_edit:
        hint = ("copy the edit from GET /api/v1/emergency/{CC} into the file" if item_id.startswith("emergency:")
                else "export it first")
        print(f"kept database edit of {item_id}: the file is older than the edit; {hint}")
    for error in report.errors:
        print(f"error: {error}", file=sys.stderr)
    return 1 if report.errors else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_chat = sub.add_parser("chat", help="talk to the bot in this terminal")
    p_chat.add_argument("--lang", help="language code, e.g. fr")
    p_serve = sub.add_parser("serve", help="run the HTTP service (webhooks, admin API, Telegram)")
    p_serve.add_argument("--host")
    p_serve.add_argument("--port", type=int)
    p_content = sub.add_parser("content", help="the content library in content/")
    p_content.add_argument("action", choices=["load", "check"])
    sub.add_parser("worker", help="deliver the outbox (answers) from OUTBOX_BROKER_URL's queue", add_help=False)
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["worker"]:
        from bot.worker import main as worker_main

        return worker_main(argv[1:])
    args = parser.parse_args(argv)

    settings = get_settings()
    _logging(settings)
    if args.command == "chat":
        asyncio.run(_chat(settings, args.lang))
        return 0
    if args.command == "serve":
        _serve(settings, args.host or settings.host, args.port or settings.port)
        return 0
    if args.action == "load":
        return asyncio.run(_content_load(settings))
    from bot.content_check import main as check_main
    return check_main(settings)


if __name__ == "__main__":
    sys.exit(main())
