"""The insights dashboard: one self-contained HTML page (inline JS and SVG, no CDN, no framework).

The page itself is public and holds no data: it asks for an API key, keeps it in
sessionStorage only (gone when the tab closes), and calls /feedback/* with it as a Bearer key,
so it shows exactly what that key may read. Its labels (English and Arabic, right-to-left)
live in the page's own small dictionary, not in the bot's catalogs.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(tags=["dashboard"])
PAGE = (Path(__file__).resolve().parent.parent.parent / "dashboard.html").read_text(encoding="utf-8")


@router.get("/dashboard", response_class=HTMLResponse, include_in_schema=False)
async def dashboard() -> HTMLResponse:
    """The page; its inline script and style run under a per-response nonce, nothing else does."""
    nonce = secrets.token_urlsafe(16)
    csp = ("default-src 'none'; "
           f"script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
           "connect-src 'self'; img-src 'self' data: blob:; "
           "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
    return HTMLResponse(PAGE.replace("__NONCE__", nonce), headers={
        "Content-Security-Policy": csp, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"})
