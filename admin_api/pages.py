"""Serving the admin API's self-contained pages (dashboard, inbox): one HTML file each, whose
inline script and style run under a per-response nonce, and nothing else does."""

from __future__ import annotations

import secrets
from pathlib import Path

from fastapi.responses import HTMLResponse

PAGES_DIR = Path(__file__).resolve().parent


def read_page(name: str) -> str:
    return (PAGES_DIR / name).read_text(encoding="utf-8")


def locked_page(page: str, img_src: str = "'self' data:") -> HTMLResponse:
    """The page with a fresh nonce, a CSP that allows only it and same-origin calls, no caching,
    no referrer and no framing."""
    nonce = secrets.token_urlsafe(16)
    csp = ("default-src 'none'; "
           f"script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
           f"connect-src 'self'; img-src {img_src}; "
           "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
    return HTMLResponse(page.replace("__NONCE__", nonce), headers={
        "Content-Security-Policy": csp, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"})
