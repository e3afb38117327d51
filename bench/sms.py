"""SMS cost and webhook speed.

    python -m bench.sms [--requests 2000]

(a) Over the whole content library in every shipped language: each item as the SMS reply
    the bot sends (short form + choices, then the MORE pages of the full text), with and
    without the GSM-7 look-alike replacement: mean and maximum segments per SMS, billed
    segments per item, and the share of SMS sent as GSM-7 vs UCS-2.
(b) POST /sms/twilio through the whole app (signature check, idempotency, opt-out lookup,
    engine turn, rendering, TwiML) beside a bare FastAPI endpoint returning fixed TwiML, both
    in-process over httpx's ASGI transport on one core: requests per second, p50/p99.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import Response
from twilio.request_validator import RequestValidator

from bench.common import summary, table
from bot.app import AppContext
from bot.channels import sms_render
from bot.channels.sms import SmsChannel
from bot.config import ROOT, Settings
from bot.content_files import read_library
from bot.engine import render_item
from bot.i18n import catalogs_for
from bot.languages import shipped_locales
from bot.library import Library
from bot.sms_encoding import analyse, to_gsm

BASE = "https://bot.example.org"
TOKEN = "bench-twilio-token"


def cost_table(max_segments: int = 3) -> str:
    files = read_library(ROOT / "content")
    lib = Library(items=files.items, services=list(files.services.values()))
    catalogs = catalogs_for(str(ROOT / "locales"))
    identity = lambda text: text  # noqa: E731
    rows = ["| locale | replacement | SMS | mean segments / SMS | max | segments / item (all pages) | GSM-7 | UCS-2 |",
            "|---|---|---:|---:|---:|---:|---:|---:|"]
    for locale in shipped_locales():
        t = catalogs.get(locale)
        for label, fn in (("without", identity), ("with to_gsm", None)):
            original = sms_render.gsm
            sms_render._plan_shared.cache_clear()  # items laid out with the other setting
            if fn is not None:
                sms_render.gsm = fn  # render exactly as the bot does, minus the replacement
            try:
                per_item, segs, gsm7 = [], [], 0
                for item in lib.items.values():
                    pages = sms_render.render_sms(render_item(item, t, lib), t, max_segments)
                    infos = [analyse(p) for p in pages]
                    segs += [i.segments for i in infos]
                    per_item.append(sum(i.segments for i in infos))
                    gsm7 += sum(i.encoding == "GSM-7" for i in infos)
            finally:
                sms_render.gsm = original
                sms_render._plan_shared.cache_clear()
            n = len(segs)
            rows.append(f"| {locale} | {label} | {n} | {statistics.fmean(segs):.2f} | {max(segs)} | "
                        f"{statistics.fmean(per_item):.1f} | {gsm7 / n:.0%} | {(n - gsm7) / n:.0%} |")
    return "\n".join(rows)


def raw_text_table() -> str:
    """The item texts alone, unpaged: what the replacement saves before any cutting."""
    files = read_library(ROOT / "content")
    rows = ["| locale | text | mean segments without | with to_gsm | GSM-7 without | with |",
            "|---|---|---:|---:|---:|---:|"]
    for locale in shipped_locales():
        for field in ("sms", "body"):
            texts = [getattr(i.text(locale), field) for i in files.items.values()]
            before = [analyse(x) for x in texts]
            after = [analyse(to_gsm(x)) for x in texts]
            rows.append(f"| {locale} | {field} | {statistics.fmean(b.segments for b in before):.2f} | "
                        f"{statistics.fmean(a.segments for a in after):.2f} | "
                        f"{sum(b.encoding == 'GSM-7' for b in before) / len(texts):.0%} | "
                        f"{sum(a.encoding == 'GSM-7' for a in after) / len(texts):.0%} |")
    return "\n".join(rows)


async def webhook_table(requests: int) -> str:
    tmp = Path(tempfile.mkdtemp(prefix="bench-sms-"))
    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp / 'b.sqlite3'}",
                        data_dir=tmp, user_key_secret="bench", public_base_url=BASE,
                        twilio_auth_token=TOKEN, log_level="WARNING")
    ctx = AppContext(settings)
    await ctx.start(watch=False)
    channel = SmsChannel(ctx)
    await channel.start()  # as the service does: the opt-outs copied to the store
    app = FastAPI()
    app.include_router(channel.router)

    bare = FastAPI()
    fixed = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Hello</Message></Response>'

    @bare.post("/sms/twilio")
    async def bare_twilio(request: Request) -> Response:
        await request.body()
        return Response(fixed, media_type="application/xml")

    validator = RequestValidator(TOKEN)
    script = ["hi", "MENU", "1", "1", "MORE", "0", "2", "help", "menu", "3"]

    def signed(i: int) -> tuple[dict, dict]:
        params = {"MessageSid": f"SM{i:032d}", "From": f"+4477009{i % 200:05d}", "To": "+15005550006",
                  "Body": script[(i // 200) % len(script)], "NumMedia": "0"}
        return params, {"X-Twilio-Signature": validator.compute_signature(BASE + "/sms/twilio", params)}

    prepared = [signed(i) for i in range(requests + 200)]
    rows = []
    for name, target in (("bare FastAPI, fixed TwiML", bare), ("/sms/twilio through the app", app)):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=target), base_url=BASE) as client:
            offset = 0 if target is bare else 0
            for params, headers in prepared[:200]:  # warm-up
                await client.post("/sms/twilio", data=params, headers=headers)
            latencies = []
            start = time.perf_counter()
            for params, headers in prepared[200 + offset: 200 + requests]:
                t0 = time.perf_counter()
                response = await client.post("/sms/twilio", data=params, headers=headers)
                latencies.append(time.perf_counter() - t0)
                assert response.status_code == 200
            rows.append(summary(name, latencies, time.perf_counter() - start))
    await channel.stop()
    await ctx.stop()
    return table(rows, baseline="bare FastAPI, fixed TwiML")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
    print("## SMS replies over the whole content library (SMS_MAX_SEGMENTS=3)\n")
    print(cost_table())
    print("\n## Item texts alone, before paging\n")
    print(raw_text_table())
    print("\n## Twilio webhook on loopback (in-process ASGI, one core)\n")
    print(asyncio.run(webhook_table(args.requests)))


if __name__ == "__main__":
    main()
