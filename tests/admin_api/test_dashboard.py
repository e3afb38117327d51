"""The insights dashboard in a real browser: Debian's chromium, driven by Playwright, against the
service under uvicorn on loopback, with seeded feedback. Phone width, English and Arabic (RTL).

Without /usr/bin/chromium (`make browser` installs it) the browser test skips, or fails under
REQUIRE_SERVICES=1 so CI cannot pass by testing less.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
import struct
import zlib
from pathlib import Path

import httpx
import pytest

from bot.models import FeedbackRecord
from bot.web import create_app
from tests.admin_api.conftest import make_key
from tests.conftest import REQUIRE_SERVICES
from tests.support import serve_on_loopback

CHROMIUM = Path("/usr/bin/chromium")
PHONE = {"width": 360, "height": 740}


def need_chromium() -> str:
    path = str(CHROMIUM) if CHROMIUM.exists() else shutil.which("chromium")
    if path:
        return path
    message = "chromium is not installed (make browser)"
    if REQUIRE_SERVICES:
        pytest.fail(message + " and REQUIRE_SERVICES=1", pytrace=False)
    pytest.skip(message)


def png_pixels(data: bytes) -> tuple[int, int, list[tuple[int, ...]]]:
    """A small PNG decoder (8-bit RGB/RGBA, not interlaced: what Chromium writes), so the test
    needs no imaging library. Returns width, height and every pixel."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header  # type: ignore[misc]
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    pixels = []
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        pixels.extend(tuple(line[i:i + 3]) for i in range(0, stride, bpp))
        prev = line
    return width, height, pixels


def assert_not_blank(png: bytes, width: int) -> None:
    w, h, pixels = png_pixels(png)
    assert w == width and h > 400
    colours = {p for p in pixels[::7]}
    background = sum(1 for p in pixels if p in ((250, 250, 252), (255, 255, 255))) / len(pixels)
    assert len(colours) > 30, len(colours)  # text, bars in several colours, hatching
    assert background < 0.97, background
    # the chart colours themselves are there (Okabe-Ito blue and green, the hatching grey)
    assert {(0, 114, 178), (0, 158, 115), (85, 85, 85)} & colours


async def seed(ctx) -> None:
    rng = random.Random(3)
    rows = []
    start = dt.date(2026, 1, 5)
    spec = [(120, dict(kind="need", need="legal_aid", gender="woman", stage="destination", country="KE")),
            (60, dict(kind="need", need="shelter", gender="woman", stage="transit", country="KE")),
            (25, dict(kind="need", need="health", gender="man", stage="destination", country="KE")),
            (2, dict(kind="need", need="gbv_support", gender="non_binary", stage="transit", country="KE")),
            (30, dict(kind="need", need="legal_aid", gender="woman", stage="transit", country="KE")),
            (20, dict(kind="need", need="shelter", gender="man", stage="destination", country="KE")),
            (9, dict(kind="need", need="gbv_support", gender="woman", stage="transit", country="KE")),
            (30, dict(kind="rating", rating="yes", theme="health", content_id="ke-item", country="KE")),
            (10, dict(kind="rating", rating="no", theme="health", content_id="ke-item", country="KE")),
            (22, dict(kind="rating", rating="yes", theme="gbv", content_id="ke-item", country="KE")),
            (7, dict(kind="rating", rating="unsure", theme="work", content_id="ke-item", country="KE")),
            (40, dict(kind="rating", rating="yes", theme="work", content_id="ke-item", country="KE")),
            (15, dict(kind="rating", rating="no", theme="work", content_id="ke-item", country="KE")),
            (3, dict(kind="rating", rating="unsure", theme="health", content_id="ke-item", country="KE"))]
    for n, fields in spec:
        for _ in range(n):
            rows.append(FeedbackRecord(day=start + dt.timedelta(days=rng.randrange(70)), channel="telegram",
                                       locale="en", rkey=rng.randrange(2**32), **fields))
    async with ctx.sessionmaker() as session:
        session.add_all(rows)
        await session.commit()


async def test_dashboard_page_is_public_holds_no_data_and_locks_scripts_down(ctx) -> None:
    await seed(ctx)
    app = create_app(ctx, start=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        r = await c.get("/api/v1/dashboard")
        words = {lang: (await c.get("/api/v1/dashboard/labels", params={"lang": lang})).json()
                 for lang in ("en", "ar", "fr-CA", "xx")}
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    nonce = csp.split("'nonce-")[1].split("'")[0]
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp and "unsafe" not in csp
    assert r.text.count(f'nonce="{nonce}"') == 2 and "__NONCE__" not in r.text
    assert "sessionStorage" in r.text and "localStorage" not in r.text and "http://" not in r.text.replace(
        "http://www.w3.org/2000/svg", "")
    assert 'dir="ltr"' in r.text and "Legal advice" not in r.text  # no words, no figures: they are fetched
    assert r.headers["cache-control"] == "no-store" and r.headers["referrer-policy"] == "no-referrer"
    # the words come from the bot's catalogs, in the offered language nearest to the one asked for
    assert words["en"]["labels"]["need"]["legal_aid"] == "Legal advice" and words["en"]["dir"] == "ltr"
    assert words["ar"]["dir"] == "rtl" and words["ar"]["ui"]["title"] == "رؤى من الملاحظات"
    assert words["fr-CA"]["lang"] == "fr" and words["fr-CA"]["ui"]["apply"] == "Appliquer"
    assert words["xx"]["lang"] == "en"
    assert set(words["en"]["languages"]) == set(ctx.catalogs.locales)



@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite-memory"])  # the browser part is backend-agnostic
async def test_dashboard_in_headless_chromium_phone_width_english_and_arabic(ctx, tmp_path) -> None:
    executable = need_chromium()
    from playwright.async_api import async_playwright

    await seed(ctx)
    _, analyst = await make_key(ctx, "dash cso", "analyst", ["KE"])
    _, editor = await make_key(ctx, "dash cso", "editor", ["KE"])
    async with serve_on_loopback(create_app(ctx, start=False)) as base_url:
        url = f"{base_url}/api/v1/dashboard"
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=executable)
            try:
                page = await browser.new_page(viewport=PHONE)
                problems: list[str] = []
                page.on("pageerror", lambda e: problems.append(str(e)))
                page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
                await page.goto(url)
                assert await page.get_attribute("body", "data-state") == "login"

                # a wrong key: refused, back at the key form
                await page.fill("#key", "smb_wrong")
                # the browser logs the 401 itself, sometimes after the page shows the error: wait for both
                async with page.expect_console_message(lambda m: "401" in m.text):
                    await page.click("#login button[type=submit]")
                await page.wait_for_selector("#loginerror:has-text('not accepted')")
                assert await page.evaluate("sessionStorage.length") == 0
                problems.clear()

                await page.fill("#key", analyst)
                await page.click("#login button[type=submit]")
                await page.wait_for_selector("body[data-state=ready]", timeout=15000)
                bars = await page.locator("svg rect.bar").count()
                hidden = await page.locator("svg rect.bar.suppressed").count()
                assert bars >= 20 and hidden >= 2, (bars, hidden)
                assert await page.locator("#c-gender rect.suppressed").count() >= 1  # 2 non-binary
                assert await page.locator("#c-help rect.suppressed").count() >= 1  # 3 "not sure"
                fills = await page.eval_on_selector_all("rect.suppressed", "els => els.map(e => e.getAttribute('fill'))")
                assert all(f.startswith("url(#hatch") for f in fills)
                assert "fewer than 5" in await page.inner_text("#legend")
                assert "hidden" in await page.inner_text("#c-gender")
                assert "Needs recorded: " in await page.inner_text("#status")
                # the key lives in this tab's sessionStorage only
                assert await page.evaluate("sessionStorage.getItem('smb_dashboard_key')") == analyst
                assert await page.evaluate("localStorage.length") == 0
                assert await page.context.cookies() == []
                # readable on a phone: nothing wider than the screen
                assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
                png = await page.screenshot(full_page=True, path=str(tmp_path / "dashboard-en.png"))
                assert_not_blank(png, PHONE["width"])
                assert len(png) > 20_000

                # filters: a stage narrows the tables
                await page.select_option("#f-stage", "transit")
                await page.select_option("#f-interval", "week")
                await page.click("#filters button[type=submit]")
                await page.wait_for_selector("body[data-state=ready]")
                stage_rows = await page.inner_text("#c-stage")
                assert "On the way" in stage_rows and "In the country of work" not in stage_rows
                assert await page.locator("#c-trend rect.bar").count() >= 8  # weeks

                # Arabic, right to left
                assert set(await page.eval_on_selector_all("#lang option", "os => os.map(o => o.value)")) >= {"en", "ar", "fr"}
                await page.select_option("#lang", "ar")
                await page.wait_for_selector("html[dir=rtl]")
                assert await page.get_attribute("html", "dir") == "rtl"
                assert await page.get_attribute("html", "lang") == "ar"
                assert await page.inner_text("h1") == "رؤى من الملاحظات"
                assert "أقل من" in await page.inner_text("#legend")
                assert "الاحتياجات المسجّلة" in await page.inner_text("#status")
                assert await page.locator("svg rect.bar").count() >= 10
                assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
                png_ar = await page.screenshot(full_page=True, path=str(tmp_path / "dashboard-ar.png"))
                assert_not_blank(png_ar, PHONE["width"])
                assert png_ar != png
                # bars grow from the right in RTL: each bar's right edge is at the chart's right
                edges = await page.eval_on_selector_all(
                    "#c-gender rect.bar", "els => els.map(e => [+e.getAttribute('x') + +e.getAttribute('width'),"
                    " e.ownerSVGElement.viewBox.baseVal.width])")
                assert edges and all(abs(right - width) < 0.5 for right, width in edges)

                # a fresh page asked for in Arabic opens right to left, with the key still in the tab
                await page.goto(url + "?lang=ar")
                await page.wait_for_selector("body[data-state=ready]", timeout=15000)
                assert await page.get_attribute("html", "dir") == "rtl"
                assert problems == [], problems

                # forgetting the key clears it
                await page.click("#logout")
                assert await page.evaluate("sessionStorage.getItem('smb_dashboard_key')") is None

                # an editor's key is a real key, but not for feedback
                await page.goto(url)
                await page.fill("#key", editor)
                await page.click("#login button[type=submit]")
                await page.wait_for_selector("body[data-state=error]")
                assert "تحليل" in await page.inner_text("#status") or "محلل" in await page.inner_text("#status")
            finally:
                await browser.close()
