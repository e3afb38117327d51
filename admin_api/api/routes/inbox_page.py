"""The peer educators' inbox page: one self-contained HTML page (inline JS, no CDN, no framework).

Like the dashboard, the page is public and holds no data: it asks for a responder key, keeps it
in sessionStorage only (gone when the tab closes), and calls /inbox/* with it as a Bearer key,
so it shows exactly the threads that key's organisation may read. Its labels (English and
Arabic, right to left) live in the page; her messages and the answer box run right to left
when her language does.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from admin_api.pages import locked_page, read_page

router = APIRouter(tags=["inbox"])
PAGE = read_page("inbox.html")


@router.get("/inbox", response_class=HTMLResponse, include_in_schema=False)
async def inbox_page() -> HTMLResponse:
    """The page; its inline script and style run under a per-response nonce, nothing else does."""
    return locked_page(PAGE)
