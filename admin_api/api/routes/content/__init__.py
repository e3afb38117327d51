"""Content items: search, read, create, edit per locale, workflow, versions, translation status.

Writes name the version they were based on (`version` in the body or If-Match); a stale write
is refused with 409 and the current version. Every write records a ContentVersion and an
audit event in the same transaction (admin_api/api/writes.py). Publishing bumps the content
revision, so every running bot swaps in the new library within `CONTENT_REFRESH_SECONDS`;
this process does at once.

    items.py         list and search, read, the published text, create, edit metadata
    translations.py  write one locale, mark it reviewed, translation status, what to translate next
    workflow.py      submit, approve (publish), reject, archive
    versions.py      history, one version, diff, restore
    shared.py        loading an item within the caller's countries, the checks every write makes
"""

from fastapi import APIRouter

from admin_api.api.routes.content import items, translations, versions, workflow

router = APIRouter(tags=["content"])
for _module in (items, translations, workflow, versions):
    router.include_router(_module.router)
