"""The peer educators' inbox page in a real browser: Debian's chromium, driven by Playwright,
against the service under uvicorn on loopback, with questions asked through bot.inbox.
Phone width, English and Arabic (right to left).

Without /usr/bin/chromium (`make browser` installs it) the browser test skips, or fails under
REQUIRE_SERVICES=1 so CI cannot pass by testing less.
"""

from __future__ import annotations

import httpx
import pytest

from bot.addresses import Address
from bot.inbox import DeliveryResult, services_for
from bot.inbox_models import CannedAnswer, InboxSettings
from bot.web import create_app
from tests.admin_api.conftest import make_key, make_org
from tests.admin_api.test_dashboard import PHONE, need_chromium, png_pixels
from tests.bot.test_outbox import FakeSender
from tests.support import serve_on_loopback

ORG = "lebanon cso"


def assert_screenshot(png: bytes, width: int) -> None:
    w, h, pixels = png_pixels(png)
    assert w == width and h > 300 and len(png) > 10_000
    assert len(set(pixels[::5])) > 20  # text and badges, not a blank page


async def setup(ctx) -> tuple[str, str, FakeSender]:
    org_id = await make_org(ctx, ORG, ["LB"])
    _, responder = await make_key(ctx, ORG, "responder", ["LB"])
    _, analyst = await make_key(ctx, ORG, "analyst", ["LB"])
    async with ctx.sessionmaker() as session:
        session.add(InboxSettings(org_id=org_id, accepting=True, languages=[], answer_time_hours=24,
                                  working_hours="Mon-Fri 9-17"))
        session.add_all([
            CannedAnswer(org_id=org_id, locale="en", title="Fees are not allowed", created_by="test",
                         text="No. An agency may not charge you a second fee. Keep every receipt."),
            CannedAnswer(org_id=org_id, locale="ar", title="الرسوم غير مسموحة", created_by="test",
                         text="لا يحق للوكالة أن تطلب منك رسوماً إضافية. احتفظي بكل الإيصالات.")])
        await session.commit()
    # her Arabic answer fails for good at the gateway: the page must say so, not hide it
    sender = FakeSender([None, DeliveryResult.failed("blocked", retry=False)])
    return responder, analyst, sender


async def test_inbox_page_is_public_holds_no_data_and_locks_scripts_down(ctx) -> None:
    app = create_app(ctx, start=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        r = await c.get("/api/v1/inbox")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    nonce = csp.split("'nonce-")[1].split("'")[0]
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp and "unsafe" not in csp
    assert r.text.count(f'nonce="{nonce}"') == 2 and "__NONCE__" not in r.text
    assert "sessionStorage" in r.text and "localStorage" not in r.text and "cookie" not in r.text.lower()
    assert "http://" not in r.text and "https://" not in r.text and "<link" not in r.text  # no CDN, nothing external
    assert r.headers["cache-control"] == "no-store" and r.headers["referrer-policy"] == "no-referrer"


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite-memory"])  # the browser part is backend-agnostic
async def test_inbox_in_headless_chromium_phone_width_english_and_arabic(ctx, tmp_path) -> None:
    executable = need_chromium()
    from playwright.async_api import async_playwright

    responder, analyst, sender = await setup(ctx)
    services = services_for(ctx, {"telegram": sender})
    await services.start()
    calm = await services.ask("woman-1", Address("telegram", chat_id="111222333"),
                              "My agency wants a second fee before I travel. Is that allowed?",
                              locale="en", channel="telegram", country="LB")
    urgent = await services.ask("woman-2", Address("telegram", chat_id="444555666"),
                                "صاحب العمل أخذ جواز سفري وحبسني في البيت", locale="ar", channel="telegram", country="LB")
    assert calm.outcome == urgent.outcome == "created" and urgent.urgent and not calm.urgent
    item = next(iter(sorted(ctx.content.library.items)))
    try:
        async with serve_on(ctx) as base_url, async_playwright() as p:
            browser = await p.chromium.launch(executable_path=executable)
            try:
                page = await browser.new_page(viewport=PHONE)
                problems: list[str] = []
                page.on("pageerror", lambda e: problems.append(str(e)))
                page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
                url = f"{base_url}/api/v1/inbox"
                await page.goto(url)
                assert await page.get_attribute("body", "data-state") == "login"

                # a wrong key: refused, back at the key form, nothing kept
                await page.fill("#key", "smb_wrong")
                async with page.expect_console_message(lambda m: "401" in m.text):  # logged by the browser
                    await page.click("#login button[type=submit]")
                await page.wait_for_selector("#loginerror:has-text('not accepted')")
                assert await page.evaluate("sessionStorage.length") == 0
                # an analyst's key is a real key, but not for the inbox
                await page.fill("#key", analyst)
                async with page.expect_console_message(lambda m: "403" in m.text):
                    await page.click("#login button[type=submit]")
                await page.wait_for_selector("body[data-state=error]")
                assert "responder" in await page.inner_text("#status")
                await page.click("#logout")
                problems.clear()  # the browser logs the 401 and 403 itself

                await page.fill("#key", responder)
                await page.click("#login button[type=submit]")
                await page.wait_for_selector("body[data-state=ready]", timeout=15000)
                codes = await page.eval_on_selector_all("#threads button", "els => els.map(e => e.dataset.code)")
                assert codes == [urgent.code, calm.code], await page.inner_text("body")  # urgent first
                first = await page.inner_text(f"#threads button[data-code='{urgent.code}']")
                assert "Urgent" in first and "LB" in first and "العربية" in first
                assert "111222333" not in await page.content() and "woman-1" not in await page.content()
                # the key lives in this tab's sessionStorage only
                assert await page.evaluate("sessionStorage.getItem('smb_inbox_key')") == responder
                assert await page.evaluate("localStorage.length") == 0
                assert await page.context.cookies() == []
                assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
                assert_screenshot(await page.screenshot(full_page=True, path=str(tmp_path / "inbox-list-en.png")),
                                  PHONE["width"])

                # filters: Arabic questions only
                await page.select_option("#f-locale", "ar")
                await page.click("#filters button[type=submit]")
                await page.wait_for_selector("body[data-state=ready]")
                assert await page.locator("#threads button").count() == 1
                await page.select_option("#f-locale", "")
                await page.click("#filters button[type=submit]")
                await page.wait_for_selector("body[data-state=ready]")

                # open the English question, claim it, answer with a canned answer and an item, note, close
                await page.click(f"#threads button[data-code='{calm.code}']")
                await page.wait_for_selector("#thread[data-state=ready]")
                assert "second fee" in await page.inner_text("#t-msgs")
                await page.click("#claim")
                await page.wait_for_selector("#t-status:has-text('You took this question')")
                assert await page.is_disabled("#claim")
                await page.select_option("#canned", label="Fees are not allowed")
                assert "second fee" in await page.input_value("#reply")
                await page.fill("#items", item)
                await page.click("#send")
                await page.wait_for_selector(".msg.responder .delivery[data-delivery=sent]", timeout=15000)
                assert "Delivery: sent" in await page.inner_text(".msg.responder")
                assert len(sender.delivered) == 1
                [(address, texts)] = sender.delivered.values()
                assert address.chat_id == "111222333" and texts[0].startswith("No. An agency") and len(texts) == 2
                await page.fill("#notetext", "Referred to the legal aid clinic as well.")
                await page.click("#addnote")
                await page.wait_for_selector(".msg.note")
                await page.select_option("#theme", "money")
                await page.click("#savetheme")
                await page.wait_for_selector("#t-status:has-text('Theme saved')")
                assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
                assert_screenshot(await page.screenshot(full_page=True, path=str(tmp_path / "inbox-thread-en.png")),
                                  PHONE["width"])
                await page.click("#close")
                await page.wait_for_selector("#t-status:has-text('Question closed')")
                assert await page.is_hidden("#replybox") and "Closed" in await page.inner_text("#t-meta")

                # Arabic, right to left: the UI, and her Arabic thread
                await page.click("#lang")
                assert await page.get_attribute("html", "dir") == "rtl"
                assert await page.get_attribute("html", "lang") == "ar"
                assert await page.inner_text("h1") == "صندوق الأسئلة"
                await page.click("#back")
                await page.wait_for_selector("body[data-state=ready]")
                await page.click(f"#threads button[data-code='{urgent.code}']")
                await page.wait_for_selector("#thread[data-state=ready]")
                assert await page.get_attribute(".msg.asker p.text", "dir") == "rtl"
                assert await page.get_attribute("#reply", "dir") == "rtl"
                await page.click("#claim")
                await page.wait_for_selector("#t-status:has-text('استلمتِ')")
                await page.select_option("#canned", label="الرسوم غير مسموحة")
                await page.click("#send")
                # the gateway refused it for good: shown as failed, never silently dropped
                await page.wait_for_selector(".msg.responder .delivery[data-delivery=failed]", timeout=15000)
                assert "فشل الإرسال" in await page.inner_text(".msg.responder")
                assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
                png_ar = await page.screenshot(full_page=True, path=str(tmp_path / "inbox-thread-ar.png"))
                assert_screenshot(png_ar, PHONE["width"])
                await page.click("#close")
                await page.wait_for_selector("#t-status:has-text('أُغلق السؤال')")
                for name in ("inbox-list-en.png", "inbox-thread-en.png", "inbox-thread-ar.png"):
                    assert (tmp_path / name).stat().st_size > 10_000
                assert problems == [], problems

                # forgetting the key clears it
                await page.click("#logout")
                assert await page.evaluate("sessionStorage.getItem('smb_inbox_key')") is None
            finally:
                await browser.close()
    finally:
        await services.stop()


def serve_on(ctx):
    return serve_on_loopback(create_app(ctx, start=False))
