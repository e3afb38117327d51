"""The insights dashboard: one self-contained HTML page (inline JS and SVG, no CDN, no framework).

The page itself is public and holds no data: it asks for an API key, keeps it in
sessionStorage only (gone when the tab closes), and calls /feedback/* with it as a Bearer key,
so it shows exactly what that key may read. Its labels (English and Arabic, right-to-left)
live in the page's own small dictionary, not in the bot's catalogs.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from admin_api.pages import locked_page, read_page

router = APIRouter(tags=["dashboard"])
PAGE = read_page("dashboard.html")


@router.get("/dashboard", response_class=HTMLResponse, include_in_schema=False)
async def dashboard() -> HTMLResponse:
    """The page; its inline script and style run under a per-response nonce, nothing else does."""
    return locked_page(PAGE, img_src="'self' data: blob:")  # the charts' CSV downloads are blob: URLs
