"""Command line: `python -m admin_api create-key --org NAME --role ROLE [...]` and `serve`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import sys

from sqlalchemy import select

from bot.config import Settings, get_settings

ROLES = ("admin", "editor", "reviewer", "analyst", "responder")


def parse_countries(raw: str | None) -> list[str]:
    """`XX,YY` into ISO codes; an empty list means every country."""
    if not raw:
        return []
    codes = [c.strip().upper() for c in raw.split(",") if c.strip()]
    for code in codes:
        if not re.fullmatch(r"[A-Z]{2}", code):
            raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code")
    return sorted(set(codes))


async def create_key(settings: Settings, org: str, role: str, countries: list[str] | None = None,
                     label: str = "", expires_days: int | None = None) -> str:
    """Make (or reuse) the organisation and a key for it; returns the key, which is shown only once."""
    from admin_api.api.routes.keys import create_key_row
    from admin_api.audit import audit
    from bot.db import make_engine, make_sessionmaker, migrate
    from bot.models import Organisation

    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    await migrate(settings)
    engine = make_engine(settings)
    try:
        async with make_sessionmaker(engine)() as session:
            organisation = await session.scalar(select(Organisation).where(Organisation.name == org))
            if organisation is None:
                organisation = Organisation(name=org, countries=countries or [])
                session.add(organisation)
                await session.flush()
                audit(session, None, "org.create", "organisation", organisation.id,
                      {"countries": organisation.countries}, org_id=organisation.id, actor_name="cli")
            elif countries is not None and countries and sorted(organisation.countries or []) != countries:
                audit(session, None, "org.countries", "organisation", organisation.id,
                      {"before": organisation.countries, "after": countries},
                      org_id=organisation.id, actor_name="cli")
                organisation.countries = countries
            row, key = await create_key_row(session, organisation.id, role, label, expires_days)
            audit(session, None, "key.create", "api_key", row.id,
                  {"prefix": row.prefix, "role": role,
                   "expires_at": row.expires_at.isoformat() if row.expires_at else None},
                  org_id=organisation.id, actor_name="cli")
            await session.commit()
    finally:
        await engine.dispose()
    return key


def serve(settings: Settings, host: str, port: int) -> None:
    """The admin API alone, at /api/v1, for a production deployment separate from the bot."""
    import uvicorn
    from fastapi import FastAPI

    from admin_api.main import create_admin_app
    from bot.app import AppContext

    ctx = AppContext(settings)
    api = create_admin_app(ctx, manage_ctx=True)
    root = FastAPI(lifespan=api.router.lifespan_context, docs_url=None, redoc_url=None, openapi_url=None)
    root.mount("/api/v1", api)
    uvicorn.run(root, host=host, port=port, log_level=settings.log_level.lower(), access_log=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m admin_api", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_key = sub.add_parser("create-key", help="create an organisation if needed and a key for it")
    p_key.add_argument("--org", required=True, help="organisation name")
    p_key.add_argument("--role", required=True, choices=ROLES)
    p_key.add_argument("--countries", help="limit a new organisation to these countries, e.g. PH,LB")
    p_key.add_argument("--label", default="", help="who or what the key is for")
    p_key.add_argument("--expires-days", type=int, help="the key stops working after this many days")
    p_serve = sub.add_parser("serve", help="run the admin API alone, at /api/v1")
    p_serve.add_argument("--host")
    p_serve.add_argument("--port", type=int)
    args = parser.parse_args(argv)

    settings = get_settings()
    logging.basicConfig(level=settings.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if args.command == "create-key":
        try:
            countries = parse_countries(args.countries)
            if not args.org.strip() or len(args.org) > 120:
                raise ValueError("--org must be 1 to 120 characters")
            if args.expires_days is not None and not 1 <= args.expires_days <= 3650:
                raise ValueError("--expires-days must be 1 to 3650")
        except ValueError as exc:
            parser.error(str(exc))
        key = asyncio.run(create_key(settings, args.org.strip(), args.role, countries or None,
                                     args.label[:80], args.expires_days))
        print(key)
        return 0
    serve(settings, args.host or settings.host, args.port or settings.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
