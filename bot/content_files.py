"""Reading and writing the reviewable YAML files in content/."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from bot.content_model import Item, Service, ServicesFile

M = TypeVar("M", bound=BaseModel)


@dataclass
class FileLibrary:
    """What content/ holds, plus every problem met while reading it."""

    items: dict[str, Item] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)  # item or service id -> file fingerprint
    errors: list[str] = field(default_factory=list)


def _fingerprint(data: object) -> str:
    return hashlib.sha256(yaml.safe_dump(data, sort_keys=True, allow_unicode=True).encode()).hexdigest()


def _format_error(path: Path, exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        out.append(f"{path}: {where}: {err['msg']}")
    return out


def _parse(path: Path, model: type[M], errors: list[str]) -> tuple[Any, M | None]:
    """One file's YAML and its validated model; (data, None) with the errors noted if it is broken."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        errors.append(f"{path}: not valid YAML: {exc}")
        return None, None
    try:
        return data, model.model_validate(data)
    except ValidationError as exc:
        errors.extend(_format_error(path, exc))
        return data, None


def files_signature(*folders: Path) -> tuple[tuple[str, int, int], ...]:
    """Name, size and modification time of every YAML file below the folders: a changed
    signature means the files changed, so parsed results can be reused until it does."""
    out = []
    for folder in folders:
        for path in sorted(folder.glob("*.yaml")):
            st = path.stat()
            out.append((str(path), st.st_size, st.st_mtime_ns))
    return tuple(out)


_PARSED: dict[tuple, FileLibrary] = {}


def read_library(content_dir: Path) -> FileLibrary:
    """Parse every file; a broken file is reported precisely and skipped, never half-loaded.
    Parsing 60 items in 6 languages takes about a second, so the result is reused (callers
    must not change it) while no file changed: every start and every test context needs it."""
    signature = files_signature(content_dir / "items", content_dir / "services")
    if signature not in _PARSED:
        _PARSED.clear()
        _PARSED[signature] = _read_library(content_dir)
    return _PARSED[signature]


def _read_library(content_dir: Path) -> FileLibrary:
    lib = FileLibrary()
    for path in sorted((content_dir / "items").glob("*.yaml")):
        data, item = _parse(path, Item, lib.errors)
        if item is None:
            continue
        if path.stem != item.id:
            lib.errors.append(f"{path}: file name must be the id ({item.id}.yaml)")
        if item.id in lib.items:
            lib.errors.append(f"{path}: duplicate item id {item.id}")
            continue
        lib.items[item.id] = item
        lib.hashes[item.id] = _fingerprint(data)
    for path in sorted((content_dir / "services").glob("*.yaml")):
        _, parsed = _parse(path, ServicesFile, lib.errors)
        if parsed is None:
            continue
        for entry in parsed.services:
            if entry.id in lib.services:
                lib.errors.append(f"{path}: duplicate service id {entry.id}")
                continue
            service = Service(country=parsed.country, **entry.model_dump())
            lib.services[entry.id] = service
            lib.hashes["service:" + entry.id] = _fingerprint(entry.model_dump(mode="json"))
    return lib


def item_yaml(item: Item) -> str:
    """The file form of an item, in the field order people expect to read."""
    data = item.model_dump(mode="json", exclude_none=True)
    for tr in data.get("translations", {}).values():
        tr.pop("source_hash", None)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def services_yaml(country: str, services: list[Service]) -> str:
    entries = []
    for s in services:
        data = s.model_dump(mode="json", exclude_none=True)
        data.pop("country", None)
        entries.append(data)
    return yaml.safe_dump({"country": country, "services": entries}, sort_keys=False,
                          allow_unicode=True, width=100)
