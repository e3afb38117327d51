"""Export the library to the content/ file format, and plan or apply an import from it.

An import never overwrites a newer database edit: an item or service that changed in the
database since the files were exported (the `versions.json` written by export says from which
version) is reported as a conflict and left alone. Imported items become drafts for review.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

import yaml
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from admin_api.content_ops import comparable, diff, merge_import, working_data
from admin_api.ids import own_id
from admin_api.roles import Actor
from bot.content_files import item_yaml, services_yaml
from bot.content_model import Item, Service, ServicesFile, item_to_data
from bot.content_repository import SERVICE_FIELDS
from bot.models import ContentItem
from bot.models import Service as ServiceRow

MANIFEST = "versions.json"
ITEM_PATH = re.compile(r"^items/([a-z0-9][a-z0-9-]{1,39})\.yaml$")
SERVICES_PATH = re.compile(r"^services/([A-Za-z0-9_-]{1,40})\.yaml$")
MAX_FILES = 10_000


class _NoAliasLoader(yaml.SafeLoader):
    """YAML without anchors and aliases: content files never need them, and they allow bombs."""

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            raise yaml.YAMLError("aliases (*name) are not allowed in content files")
        return super().compose_node(parent, index)


def parse_yaml(text: str) -> Any:
    """Parse one file's text; any failure is a message for the report, never an exception."""
    return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass


def _errors(exc: ValidationError) -> list[str]:
    return [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors(include_input=False)]


# -- export ------------------------------------------------------------------------------

def export_files(actor: Actor, rows: list[ContentItem], services: list[ServiceRow],
                 published: bool) -> dict[str, str]:
    """The library as content/ files (path -> text), plus versions.json for a later import."""
    files: dict[str, str] = {}
    versions: dict[str, dict[str, int]] = {"items": {}, "services": {}}
    for row in rows:
        if not actor.may_touch_countries(row.countries or []):
            continue
        if published:
            if row.published is None or row.status == "archived":
                continue
            item = Item.model_validate(row.published)
            versions["items"][row.id] = row.published_version or row.version
        else:
            item = Item.model_validate(working_data(row))
            versions["items"][row.id] = row.version
        files[f"items/{row.id}.yaml"] = item_yaml(item)
    by_country: dict[str, list[Service]] = {}
    for srow in services:
        if not actor.may_touch_country(srow.country) or not srow.active:
            continue
        by_country.setdefault(srow.country, []).append(
            Service.model_validate({"id": srow.id, **{f: getattr(srow, f) for f in SERVICE_FIELDS}}))
        versions["services"][srow.id] = srow.version
    for country, entries in sorted(by_country.items()):
        files[f"services/{country.lower()}.yaml"] = services_yaml(country, entries)
    files[MANIFEST] = json.dumps(versions, indent=2, sort_keys=True) + "\n"
    return files


def zip_files(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, text in sorted(files.items()):
            zf.writestr(path, text)
    return buffer.getvalue()


def unzip_files(data: bytes, max_total: int) -> dict[str, str]:
    """The text files of a zip (an optional leading content/ is dropped); refuses zip bombs."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = [i for i in zf.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise ValueError(f"not a zip file: {exc}") from None
    if len(infos) > MAX_FILES:
        raise ValueError(f"more than {MAX_FILES} files")
    if sum(i.file_size for i in infos) > max_total:
        raise ValueError(f"the files are larger than {max_total} bytes uncompressed")
    files: dict[str, str] = {}
    for info in infos:
        name = info.filename.lstrip("/")
        if name.startswith("content/"):
            name = name[len("content/"):]
        try:
            with zf.open(info) as fh:
                raw = fh.read(max_total + 1)
            files[name] = raw.decode("utf-8")
        except (zipfile.BadZipFile, UnicodeDecodeError, NotImplementedError, ValueError, OSError, EOFError,
                RuntimeError) as exc:
            raise ValueError(f"{name}: cannot be read as UTF-8 text ({type(exc).__name__})") from None
    return files


# -- import ------------------------------------------------------------------------------

@dataclass
class Entry:
    """The plan for one item or service: added, changed, unchanged, conflict or error."""

    id: str
    kind: str  # item | service
    result: str
    path: str
    message: str = ""
    changes: list[dict[str, Any]] = field(default_factory=list)
    data: dict[str, Any] | None = None  # what to write, for added and changed

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "result": self.result, "path": self.path,
                "message": self.message, "changes": self.changes}


@dataclass
class Plan:
    entries: list[Entry] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _base_versions(files: dict[str, str], plan: Plan) -> dict[str, dict[str, int]]:
    raw = files.get(MANIFEST)
    if raw is None:
        return {"items": {}, "services": {}}
    try:
        data = json.loads(raw)
        out = {kind: {str(k): int(v) for k, v in (data.get(kind) or {}).items() if isinstance(v, int)}
               for kind in ("items", "services")}
        return out
    except (ValueError, AttributeError, TypeError):
        plan.errors.append(f"{MANIFEST}: not the JSON written by export; ignored")
        return {"items": {}, "services": {}}


def _may_overwrite(row_version: int, loaded_version: int | None, base: int | None) -> str | None:
    """None when the file may replace the database copy, else why not."""
    if base is not None:
        if base == row_version:
            return None
        return (f"changed in the database since the export (exported version {base}, now "
                f"{row_version}): export again, merge your change, import again")
    if loaded_version == row_version:
        return None
    return (f"edited in the database (version {row_version}) and the import names no base version "
            f"in {MANIFEST}: export first, merge, import again")


def plan_import(actor: Actor, files: dict[str, str], rows: dict[str, ContentItem],
                services: dict[str, ServiceRow]) -> Plan:
    """Compare the files with the database, per item and service, without writing anything."""
    plan = Plan()
    base = _base_versions(files, plan)
    for path in sorted(files):
        if path == MANIFEST:
            continue
        if m := ITEM_PATH.match(path):
            plan.entries.append(_plan_item(actor, path, m.group(1), files[path], rows,
                                           base["items"].get(m.group(1))))
        elif SERVICES_PATH.match(path):
            plan.entries.extend(_plan_services(actor, path, files[path], services, base["services"], plan))
        else:
            plan.errors.append(f"{path}: not a content file (items/<id>.yaml, services/<country>.yaml, {MANIFEST})")
    seen: set[tuple[str, str]] = set()
    for entry in plan.entries:
        if entry.result != "error" and (entry.kind, entry.id) in seen:
            entry.result, entry.message, entry.data = "error", f"duplicate {entry.kind} id {entry.id}", None
        seen.add((entry.kind, entry.id))
    return plan


def _plan_item(actor: Actor, path: str, stem: str, text: str, rows: dict[str, ContentItem],
               base: int | None) -> Entry:
    try:
        data = parse_yaml(text)
        item = Item.model_validate(data)
    except ValidationError as exc:
        return Entry(stem, "item", "error", path, "; ".join(_errors(exc))[:2000])
    except Exception as exc:  # YAML errors, recursion on absurd nesting: a report line, not a 500
        return Entry(stem, "item", "error", path, f"not valid YAML: {str(exc)[:300]}")
    if item.id != stem:
        return Entry(stem, "item", "error", path, f"file name must be the id ({item.id}.yaml)")
    if "en" not in item.translations:
        return Entry(item.id, "item", "error", path, "an item needs an English text")
    if not actor.may_touch_countries(item.countries):
        return Entry(item.id, "item", "error", path, "outside your organisation's countries")
    try:
        item, row = _mapped_item(actor, item, rows)
    except RequestValidationError as exc:
        return Entry(item.id, "item", "error", path, exc.errors()[0]["msg"][:300])
    new = item_to_data(item)
    if row is None:
        return Entry(item.id, "item", "added", path, data=merge_import({}, new),
                     changes=diff(None, comparable(new)))
    current = working_data(row)
    before, after = comparable(current), comparable(new)
    if before == after:
        return Entry(item.id, "item", "unchanged", path)
    changes = diff(before, after)
    reason = _may_overwrite(row.version, row.loaded_version, base)
    if reason:
        return Entry(item.id, "item", "conflict", path, reason, changes)
    return Entry(item.id, "item", "changed", path, data=merge_import(current, new), changes=changes)


def _mapped_item(actor: Actor, item: Item, rows: dict[str, ContentItem]) -> tuple[Item, ContentItem | None]:
    """The item under the id the caller may use (admin_api.ids), and the row behind it, if any
    the caller can see: another organisation's row is never seen, only a new namespaced id."""
    row = rows.get(item.id)
    visible = row is not None and actor.may_touch_countries(row.countries or [])
    item_id = own_id(actor, item.id, visible=visible, max_length=40, where=("body", "id"))
    if item_id != item.id:
        item = item.model_copy(update={"id": item_id})
        row = rows.get(item_id)
        visible = row is not None and actor.may_touch_countries(row.countries or [])
    return item, row if visible else None


def _plan_services(actor: Actor, path: str, text: str, services: dict[str, ServiceRow],
                   base: dict[str, int], plan: Plan) -> list[Entry]:
    try:
        parsed = ServicesFile.model_validate(parse_yaml(text))
    except ValidationError as exc:
        return [Entry(path, "service", "error", path, "; ".join(_errors(exc))[:2000])]
    except Exception as exc:
        return [Entry(path, "service", "error", path, f"not valid YAML: {str(exc)[:300]}")]
    out = []
    for entry in parsed.services:
        service = Service(country=parsed.country, **entry.model_dump())
        if not actor.may_touch_country(service.country):
            out.append(Entry(service.id, "service", "error", path, "outside your organisation's countries"))
            continue
        row = services.get(service.id)
        visible = row is not None and actor.may_touch_country(row.country)
        try:
            mapped = own_id(actor, service.id, visible=visible, max_length=60, where=("body", "id"))
        except RequestValidationError as exc:
            out.append(Entry(service.id, "service", "error", path, exc.errors()[0]["msg"][:300]))
            continue
        service = service.model_copy(update={"id": mapped})
        row = services.get(service.id)
        row = row if row is not None and actor.may_touch_country(row.country) else None
        new = service.model_dump(mode="json")
        if row is None:
            out.append(Entry(service.id, "service", "added", path, data=new, changes=diff(None, new)))
            continue
        current = Service.model_validate({"id": row.id, **{f: getattr(row, f) for f in SERVICE_FIELDS}}
                                         ).model_dump(mode="json")
        if current == new:
            out.append(Entry(service.id, "service", "unchanged", path))
            continue
        changes = [c for c in diff(current, new)]
        reason = _may_overwrite(row.version, row.loaded_version, base.get(service.id))
        if reason:
            out.append(Entry(service.id, "service", "conflict", path, reason, changes))
        else:
            out.append(Entry(service.id, "service", "changed", path, data=new, changes=changes))
    return out
