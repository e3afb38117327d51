"""The peer educators' inbox page: one self-contained HTML page (inline JS, no CDN, no framework).

Like the dashboard, the page is public and holds no data: it asks for a responder key, keeps it
in sessionStorage only (gone when the tab closes), and calls /inbox/* with it as a Bearer key,
so it shows exactly the threads that key's organisation may read. Its labels (English and
Arabic, right to left) live in the page; her messages and the answer box run right to left
when her language does.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(tags=["inbox"])
PAGE = (Path(__file__).resolve().parent.parent.parent / "inbox.html").read_text(encoding="utf-8")


@router.get("/inbox", response_class=HTMLResponse, include_in_schema=False)
async def inbox_page() -> HTMLResponse:
    """The page; its inline script and style run under a per-response nonce, nothing else does."""
    nonce = secrets.token_urlsafe(16)
    csp = ("default-src 'none'; "
           f"script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
           "connect-src 'self'; img-src 'self' data:; "
           "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
    return HTMLResponse(PAGE.replace("__NONCE__", nonce), headers={
        "Content-Security-Policy": csp, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"})
