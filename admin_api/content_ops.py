"""Content operations the routes share: views of a row, translation state, diffs, edits."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from bot.content_model import Item, Translation, item_to_data, source_hash
from bot.languages import shipped_locales
from bot.models import ContentItem

WorkflowStatus = Literal["draft", "in_review", "published", "archived"]
TranslationState = Literal["missing", "needs_review", "reviewed"]


def working_data(row: ContentItem) -> dict[str, Any]:
    """The working copy as stored data (translations keep their source hashes)."""
    return {"id": row.id, "section": row.section, "theme": row.theme, "stages": list(row.stages or []),
            "countries": list(row.countries or []), "related": list(row.related or []),
            "gcm_objectives": list(row.gcm_objectives or []), "sources": list(row.sources or []),
            "last_reviewed": row.last_reviewed.isoformat() if isinstance(row.last_reviewed, dt.date)
            else row.last_reviewed,
            "translations": {k: dict(v) for k, v in (row.translations or {}).items()}}


def is_live(row: ContentItem) -> bool:
    """Whether the bot serves a published version of this item (archived ones it does not)."""
    return row.published_version is not None and row.status != "archived"


def english_hash(translations: dict[str, Any]) -> str | None:
    en = translations.get("en")
    return source_hash(en) if en else None


def translation_states(row_translations: dict[str, Any]) -> list[dict[str, Any]]:
    """Per shipped locale (and any other it has): missing, needs review or reviewed, and
    outdated once English changed."""
    current = english_hash(row_translations)
    out = []
    for locale in dict.fromkeys((*shipped_locales(), *row_translations)):
        tr = row_translations.get(locale)
        if tr is None:
            out.append({"locale": locale, "state": "missing", "outdated": False})
            continue
        outdated = locale != "en" and current is not None and tr.get("source_hash") != current
        out.append({"locale": locale, "state": tr.get("status", "needs_review"), "outdated": outdated})
    return out


def stamp_new_item(item: Item) -> dict[str, Any]:
    """A new item's data: every text needs review and was made from the current English."""
    data = item_to_data(item)
    digest = english_hash(data["translations"])
    for tr in data["translations"].values():
        tr["status"] = "needs_review"
        tr["source_hash"] = digest
    return data


def put_translation(translations: dict[str, Any], locale: str, new: Translation) -> dict[str, Any]:
    """Replace one locale; it needs review again and counts as made from the current English."""
    out = {k: dict(v) for k, v in translations.items()}
    data = new.model_dump(mode="json", exclude_none=True)
    data["status"] = "needs_review"
    if locale == "en":
        data["source_hash"] = source_hash(data)
    else:
        data["source_hash"] = english_hash(out)
    out[locale] = data
    return out


def merge_import(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Translations from a file: unchanged texts keep their state; changed ones need review again."""
    old_tr = old.get("translations", {})
    new_tr = {k: dict(v) for k, v in new.get("translations", {}).items()}
    digest = english_hash(new_tr)
    for locale, tr in new_tr.items():
        before = old_tr.get(locale)
        if before is not None and _texts(before) == _texts(tr):
            tr["status"] = before.get("status", "needs_review")
            tr["source_hash"] = digest if locale == "en" else before.get("source_hash")
        else:
            tr["status"] = "needs_review"
            tr["source_hash"] = digest
    return {**new, "translations": new_tr}


def _texts(tr: dict[str, Any] | None) -> tuple[Any, ...] | None:
    if tr is None:
        return None
    return (tr.get("title"), tr.get("body"), tr.get("sms"), tuple(tr.get("keywords") or ()))


def comparable(data: dict[str, Any]) -> dict[str, Any]:
    """Item data without bookkeeping (status, source hashes), for 'did the content change?'."""
    out = {k: v for k, v in data.items() if k not in ("status",)}
    out["translations"] = {loc: {k: v for k, v in tr.items() if k != "source_hash"}
                           for loc, tr in (data.get("translations") or {}).items()}
    return Item.model_validate(out).model_dump(mode="json", exclude_none=True)


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, dict) and (not prefix or prefix.startswith("translations")):
        out: dict[str, Any] = {}
        for k, v in data.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: data}


def diff(before: dict[str, Any] | None, after: dict[str, Any]) -> list[dict[str, Any]]:
    """Field-level changes, translations down to each locale's title, body, SMS and keywords."""
    a = _flatten(before or {})
    b = _flatten(after)
    changes = []
    for path in sorted(set(a) | set(b)):
        if path.endswith("source_hash"):
            continue
        if a.get(path) != b.get(path):
            changes.append({"field": path, "before": a.get(path), "after": b.get(path)})
    return changes
