"""Content in the database: loading content/ into it, and the published snapshot the bot serves."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.content_files import read_library
from bot.content_model import Item, Service, data_hash, item_to_data, source_hash
from bot.emergency import EmergencyNumbers, read_emergency
from bot.languages import read_table
from bot.library import Library, PublishedUi
from bot.models import ContentItem, ContentRevision, ContentVersion, EmergencyCountry, UiCatalog, utcnow
from bot.models import Service as ServiceRow
from bot.ui_strings import read_file_catalog

log = logging.getLogger(__name__)

ITEM_FIELDS = ("section", "theme", "stages", "countries", "related", "gcm_objectives", "sources",
               "last_reviewed", "translations")
SERVICE_FIELDS = ("country", "name", "categories", "emergency", "phone", "url", "hours",
                  "languages", "women_only", "lgbtiq_friendly", "verified", "source",
                  "last_verified", "description")


@dataclass
class LoadReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_db_edit: list[str] = field(default_factory=list)  # edited in the database: not overwritten
    errors: list[str] = field(default_factory=list)


def item_from_row(row: ContentItem) -> Item:
    """The working copy of a row as the content model."""
    return Item.model_validate({"id": row.id, **{f: getattr(row, f) for f in ITEM_FIELDS}})


def service_from_row(row: ServiceRow) -> Service:
    return Service.model_validate({"id": row.id, **{f: getattr(row, f) for f in SERVICE_FIELDS}})


def with_source_hashes(item: Item) -> dict:
    """Stamp every translation with the English text it matches, for outdated-translation lists."""
    data = item_to_data(item)
    en = data["translations"].get("en")
    if en is not None:
        digest = source_hash(en)
        for tr in data["translations"].values():
            tr.setdefault("source_hash", digest)
    return data


def apply_item(row: ContentItem, data: dict) -> None:
    for f in ITEM_FIELDS:
        value = data.get(f)
        if f == "last_reviewed" and isinstance(value, str):
            import datetime as dt
            value = dt.date.fromisoformat(value)
        setattr(row, f, value if value is not None else ([] if f != "last_reviewed" else None))


def record_version(session: AsyncSession, row: ContentItem, author: str, summary: str) -> None:
    """Keep the state just saved, so it can be compared and restored later."""
    snapshot = item_to_data(item_from_row(row))
    snapshot["status"] = row.status
    session.add(ContentVersion(item_id=row.id, version=row.version, snapshot=snapshot,
                               author=author, summary=summary[:200]))


async def bump_revision(session: AsyncSession) -> None:
    """Tell every running bot that the published library changed."""
    result = await session.execute(
        update(ContentRevision).where(ContentRevision.id == 1)
        .values(revision=ContentRevision.revision + 1))
    if result.rowcount == 0:  # type: ignore[attr-defined]
        session.add(ContentRevision(id=1, revision=1))


def publish_row(row: ContentItem) -> None:
    row.status = "published"
    row.published = item_to_data(item_from_row(row))
    row.published_version = row.version


def _file_not_applied(row: ContentItem | ServiceRow | EmergencyCountry | UiCatalog | None, digest: str) -> str | None:
    """Why a file is not loaded over its row ("unchanged", or "kept_db_edit": the row was
    edited in the database since its last load), or None when it is to be loaded."""
    if row is not None and row.file_hash == digest:
        return "unchanged"
    if row is not None and row.loaded_version != row.version:
        return "kept_db_edit"
    return None


Row = TypeVar("Row", ServiceRow, EmergencyCountry, UiCatalog)


def _mark_loaded(row: ServiceRow | EmergencyCountry | UiCatalog, digest: str, author: str) -> None:
    """A new version of the row, as loaded from its file now."""
    row.version += 1
    row.file_hash, row.loaded_version = digest, row.version
    row.updated_by, row.updated_at = author, utcnow()


async def _load_item(session: AsyncSession, row: ContentItem | None, item: Item, digest: str, author: str) -> str:
    """Add or update one item from its file; the LoadReport list it belongs in."""
    skipped = _file_not_applied(row, digest)
    if skipped:
        return skipped
    if row is None:
        row = ContentItem(id=item.id, version=1, updated_by=author, updated_at=utcnow())
        apply_item(row, with_source_hashes(item))
        publish_row(row)
        row.file_hash, row.loaded_version = digest, 1
        session.add(row)
        await session.flush()
        record_version(session, row, author, "loaded from content/")
        return "added"
    apply_item(row, with_source_hashes(item))
    row.version += 1
    row.updated_by, row.updated_at = author, utcnow()
    publish_row(row)
    row.file_hash, row.loaded_version = digest, row.version
    record_version(session, row, author, "reloaded from content/")
    return "updated"


def emergency_data(numbers: EmergencyNumbers) -> dict:
    """One country's numbers as stored in emergency_numbers.data (JSON: dates as ISO text)."""
    return numbers.model_dump(mode="json", exclude_none=True)


def _file_row(session: AsyncSession, row: Row | None, digest: str, key: str, report: LoadReport,
              new_row: Callable[[], Row]) -> Row | None:
    """The row a file goes into, added or to be updated (and reported so); None when the file
    is not applied (unchanged, or the row was edited in the database since)."""
    skipped = _file_not_applied(row, digest)
    if skipped:
        getattr(report, skipped).append(key)
        return None
    if row is None:
        row = new_row()
        session.add(row)
        report.added.append(key)
    else:
        report.updated.append(key)
    return row


async def _load_emergency(session: AsyncSession, content_dir: Path, author: str, report: LoadReport) -> bool:
    """content/emergency into its table, like services: a broken file is reported and skipped,
    a country edited in the database since its last load is kept. True when something changed."""
    found, problems = read_emergency(content_dir)
    report.errors.extend(problems)
    rows = {r.country: r for r in (await session.scalars(select(EmergencyCountry))).all()}
    changed = False
    for country, numbers in sorted(found.items()):
        data = emergency_data(numbers)
        digest = data_hash(data)
        row = _file_row(session, rows.get(country), digest, "emergency:" + country, report,
                        lambda country=country: EmergencyCountry(country=country, version=0))
        if row is None:
            continue
        row.data = data
        _mark_loaded(row, digest, author)
        changed = True
    return changed


def publish_ui(row: UiCatalog) -> None:
    row.status = "published"
    row.published = {"name": row.name, "messages": dict(row.messages)}
    row.published_version = row.version


async def _load_ui_catalogs(session: AsyncSession, locales_dir: Path, author: str, report: LoadReport) -> bool:
    """locales/<code>/LC_MESSAGES/messages.po of every shipped language into ui_catalogs,
    published (they are the reviewed defaults); a catalog edited through the API is kept."""
    table = read_table(locales_dir)
    rows = {r.locale: r for r in (await session.scalars(select(UiCatalog))).all()}
    changed = False
    for locale in table.shipped:
        path = locales_dir / locale / "LC_MESSAGES" / "messages.po"
        if not path.exists():
            report.errors.append(f"locales/{locale}: no messages.po for a shipped language")
            continue
        try:
            messages = read_file_catalog(locales_dir, locale)
        except Exception as exc:  # noqa: BLE001 - a broken PO file is reported, the others load
            report.errors.append(f"locales/{locale}/LC_MESSAGES/messages.po: {type(exc).__name__}: {exc}")
            continue
        name = table.names.get(locale)
        digest = data_hash([name, messages])
        row = _file_row(session, rows.get(locale), digest, "ui:" + locale, report,
                        lambda locale=locale: UiCatalog(locale=locale, version=0))
        if row is None:
            continue
        row.name, row.messages = name, messages
        _mark_loaded(row, digest, author)
        publish_ui(row)
        changed = True
    return changed


async def load_ui_files(sessionmaker: async_sessionmaker, locales_dir: Path,
                        author: str = "content-load") -> LoadReport:
    """Only the UI catalogs (a database that had content before they moved into it)."""
    report = LoadReport()
    async with sessionmaker() as session, session.begin():
        if await _load_ui_catalogs(session, locales_dir, author, report):
            await bump_revision(session)
    return report


async def load_emergency_files(sessionmaker: async_sessionmaker, content_dir: Path,
                               author: str = "content-load") -> LoadReport:
    """Only content/emergency (a database that had content before the table existed)."""
    report = LoadReport()
    async with sessionmaker() as session, session.begin():
        if await _load_emergency(session, content_dir, author, report):
            await bump_revision(session)
    return report


async def load_files(sessionmaker: async_sessionmaker, content_dir: Path,
                     author: str = "content-load", locales_dir: Path | None = None) -> LoadReport:
    """Load content/ (and the shipped UI catalogs of locales_dir) into the database, publishing
    it; never overwrite a newer database edit. Emergency numbers appear in the report as
    `emergency:<CC>`, UI catalogs as `ui:<code>`."""
    files = read_library(content_dir)
    report = LoadReport(errors=list(files.errors))
    changed = False
    async with sessionmaker() as session, session.begin():
        changed = await _load_emergency(session, content_dir, author, report)
        if locales_dir is not None:
            changed = await _load_ui_catalogs(session, locales_dir, author, report) or changed
        rows = {r.id: r for r in (await session.scalars(select(ContentItem))).all()}
        for item_id, item in files.items.items():
            outcome = await _load_item(session, rows.get(item_id), item, files.hashes[item_id], author)
            getattr(report, outcome).append(item_id)
            changed = changed or outcome in ("added", "updated")
        srows = {r.id: r for r in (await session.scalars(select(ServiceRow))).all()}
        for sid, service in files.services.items():
            digest = files.hashes["service:" + sid]
            srow = _file_row(session, srows.get(sid), digest, sid, report,
                             lambda sid=sid: ServiceRow(id=sid, version=0))
            if srow is None:
                continue
            for f in SERVICE_FIELDS:
                setattr(srow, f, getattr(service, f))
            _mark_loaded(srow, digest, author)
            changed = True
        if changed:
            await bump_revision(session)
    return report


async def is_empty(sessionmaker: async_sessionmaker) -> bool:
    async with sessionmaker() as session:
        return (await session.scalar(select(ContentItem.id).limit(1))) is None


async def has_no_emergency_numbers(sessionmaker: async_sessionmaker) -> bool:
    async with sessionmaker() as session:
        return (await session.scalar(select(EmergencyCountry.country).limit(1))) is None


async def has_no_ui_catalogs(sessionmaker: async_sessionmaker) -> bool:
    async with sessionmaker() as session:
        return (await session.scalar(select(UiCatalog.locale).limit(1))) is None


async def current_revision(sessionmaker: async_sessionmaker) -> int:
    async with sessionmaker() as session:
        return int(await session.scalar(select(ContentRevision.revision).where(ContentRevision.id == 1)) or 0)


async def build_library(sessionmaker: async_sessionmaker, previous: Library | None = None) -> Library:
    """Everything published and not archived, read into memory. With the previous snapshot,
    an item, a country's numbers or a language's strings whose row has not changed since
    (same version, same time of last change) is taken over instead of read and checked
    again: a publish re-reads one row, not all 13 languages of every item."""
    stamps = previous.stamps if previous is not None else {}
    new_stamps: dict[str, tuple] = {}
    async with sessionmaker() as session:
        revision = int(await session.scalar(
            select(ContentRevision.revision).where(ContentRevision.id == 1)) or 0)
        item_data = await _changed_rows(
            session, "item", stamps, new_stamps, ContentItem.id, ContentItem.published,
            (ContentItem.published_version, ContentItem.updated_at),
            (ContentItem.published.is_not(None), ContentItem.status != "archived"))
        srows = (await session.scalars(select(ServiceRow).where(ServiceRow.active.is_(True)))).all()
        emergency_data = await _changed_rows(
            session, "emergency", stamps, new_stamps, EmergencyCountry.country, EmergencyCountry.data,
            (EmergencyCountry.version, EmergencyCountry.updated_at), ())
        ui_data = await _changed_rows(
            session, "ui", stamps, new_stamps, UiCatalog.locale, UiCatalog.published,
            (UiCatalog.published_version, UiCatalog.updated_at),
            (UiCatalog.published.is_not(None), UiCatalog.status != "archived"))
    items = _validated("item", item_data, previous.items if previous else {}, new_stamps,
                       lambda data, _: Item.model_validate(data))
    services = []
    for srow in srows:
        try:
            services.append(service_from_row(srow))
        except ValueError:
            log.error("service %s is invalid; not served", srow.id)
    emergency = _validated("emergency", emergency_data, previous.emergency if previous else {}, new_stamps,
                           lambda data, _: EmergencyNumbers.model_validate(data))
    ui = _validated("ui", ui_data, previous.ui if previous else {}, new_stamps,
                    lambda data, locale: PublishedUi(locale, new_stamps["ui:" + locale][0] or 0, data.get("name"),
                                                     dict(data.get("messages") or {})))
    return Library(items=items, services=services, revision=revision, emergency=emergency, ui=ui,
                   stamps=new_stamps)


def _validated(kind: str, found: dict[str, Any], previous: dict[str, Any], new_stamps: dict[str, tuple],
               make: Callable[..., Any]) -> dict[str, Any]:
    """Each changed row made into its model by make(data, key) (an invalid one is logged and
    left out, to be read again next time); an unchanged one (None) taken from the previous
    snapshot."""
    out: dict[str, Any] = {}
    for key, data in found.items():
        if data is None:
            out[key] = previous[key]
            continue
        try:
            out[key] = make(data, key)
        except ValueError:
            log.error("%s %s is invalid; not served", kind, key)
            new_stamps.pop(f"{kind}:{key}", None)
    return out


async def _changed_rows(session: AsyncSession, kind: str, stamps: dict[str, tuple], new_stamps: dict[str, tuple],
                        key, value, stamp_columns: tuple, where: tuple) -> dict[str, Any]:
    """key -> the value column's data for rows whose stamp changed, None for the unchanged
    (taken over from the previous snapshot). Fills new_stamps, under "<kind>:<key>"."""
    prefix = kind + ":"
    out: dict[str, Any] = {}
    changed = []
    for row in (await session.execute(select(key, *stamp_columns).where(*where))).all():
        stamp = tuple(row[1:])
        new_stamps[prefix + row[0]] = stamp
        if stamps.get(prefix + row[0]) == stamp:
            out[row[0]] = None
        else:
            changed.append(row[0])
    for start in range(0, len(changed), 500):
        for k, data in (await session.execute(select(key, value).where(key.in_(changed[start:start + 500])))).all():
            out[k] = data
    for k in changed:
        if k not in out:  # gone between the two reads: the next refresh sees it
            new_stamps.pop(prefix + k, None)
    return out


class LibraryHolder:
    """Holds the current Library and swaps in a new one when the revision counter moves."""

    def __init__(self, sessionmaker: async_sessionmaker, interval: float = 2.0,
                 on_swap: Callable[[Library], None] | None = None) -> None:
        self._sessionmaker = sessionmaker
        self._interval = interval
        self._on_swap = on_swap
        self.library = Library()
        self._task: asyncio.Task | None = None

    async def refresh(self, force: bool = False) -> bool:
        """Rebuild if the revision changed; True when a new snapshot was swapped in."""
        revision = await current_revision(self._sessionmaker)
        if not force and revision == self.library.revision and self.library.items:
            return False
        library = await build_library(self._sessionmaker, self.library)
        if self._on_swap is not None:
            self._on_swap(library)
        self.library = library
        return True

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                if await self.refresh():
                    log.info("content revision %s loaded", self.library.revision)
            except Exception:  # a database hiccup must not stop the bot: keep serving the old one
                log.exception("content refresh failed; serving the previous snapshot")

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._watch())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
