"""The insights dashboard: one self-contained HTML page (inline JS and SVG, no CDN, no framework).

The page itself is public and holds no data: it asks for an API key, keeps it in
sessionStorage only (gone when the tab closes), and calls /feedback/* with it as a Bearer key,
so it shows exactly what that key may read. Its words come from the bot's catalogs
(`GET /dashboard/labels?lang=xx`, admin_api/dashboard_labels.py), in every offered language,
right-to-left where the language is.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from admin_api.api.deps import CtxDep
from admin_api.dashboard_labels import labels
from admin_api.pages import locked_page, read_page

router = APIRouter(tags=["dashboard"])
PAGE = read_page("dashboard.html")


@router.get("/dashboard", response_class=HTMLResponse, include_in_schema=False)
async def dashboard() -> HTMLResponse:
    """The page; its inline script and style run under a per-response nonce, nothing else does."""
    return locked_page(PAGE, img_src="'self' data: blob:")  # the charts' CSV downloads are blob: URLs


@router.get("/dashboard/labels", include_in_schema=False)
async def dashboard_labels(ctx: CtxDep, lang: Annotated[str | None, Query(max_length=35)] = None) -> dict[str, Any]:
    """The page's words in the offered language nearest to `lang` (public: words, no data)."""
    return labels(ctx.catalogs, lang)
