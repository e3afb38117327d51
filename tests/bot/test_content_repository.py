"""Loading content/ into the database and serving what is published, refreshed without a restart."""

from __future__ import annotations

import shutil

import yaml
from sqlalchemy import select

from bot.config import ROOT
from bot.content_repository import (
    LibraryHolder,
    bump_revision,
    has_no_emergency_numbers,
    load_emergency_files,
    load_files,
    publish_row,
)
from bot.emergency import read_emergency
from bot.models import ContentItem, ContentVersion, EmergencyCountry


def _copy_content(tmp_path):
    target = tmp_path / "content"
    shutil.copytree(ROOT / "content", target)
    return target


async def test_first_start_loads_and_publishes_everything(ctx):
    from bot.content_files import read_library
    files = read_library(ROOT / "content")
    assert set(ctx.content.library.items) == set(files.items)
    assert {s.id for s in ctx.content.library.services} == set(files.services)


async def test_reload_is_idempotent(ctx):
    report = await load_files(ctx.sessionmaker, ctx.settings.content_dir)
    assert report.added == [] and report.updated == []


async def test_a_later_load_never_overwrites_a_newer_database_edit(ctx, tmp_path):
    content = _copy_content(tmp_path)
    item_id = sorted(ctx.content.library.items)[0]
    async with ctx.sessionmaker() as session, session.begin():
        row = await session.get(ContentItem, item_id)
        translations = dict(row.translations)
        translations["en"] = {**translations["en"], "title": "Edited in the admin API"}
        row.translations = translations
        row.version += 1
        row.updated_by = "editor"
    path = content / "items" / f"{item_id}.yaml"
    data = yaml.safe_load(path.read_text())
    data["translations"]["en"]["title"] = "Changed in the file"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    report = await load_files(ctx.sessionmaker, content)
    assert report.kept_db_edit == [item_id]
    async with ctx.sessionmaker() as session:
        row = await session.get(ContentItem, item_id)
        assert row.translations["en"]["title"] == "Edited in the admin API"


async def test_a_changed_file_updates_an_unedited_item_and_keeps_a_version(ctx, tmp_path):
    content = _copy_content(tmp_path)
    item_id = sorted(ctx.content.library.items)[0]
    path = content / "items" / f"{item_id}.yaml"
    data = yaml.safe_load(path.read_text())
    data["translations"]["en"]["title"] = "A clearer title"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    report = await load_files(ctx.sessionmaker, content)
    assert report.updated == [item_id]
    async with ctx.sessionmaker() as session:
        versions = (await session.scalars(select(ContentVersion.version).where(
            ContentVersion.item_id == item_id).order_by(ContentVersion.version))).all()
    assert versions == [1, 2]


async def test_broken_file_is_reported_and_nothing_half_loaded(ctx, tmp_path):
    content = _copy_content(tmp_path)
    (content / "items" / "broken-item.yaml").write_text("id: broken-item\nsection: nowhere\n")
    report = await load_files(ctx.sessionmaker, content)
    assert any("broken-item.yaml" in e and "section" in e for e in report.errors)
    async with ctx.sessionmaker() as session:
        assert await session.get(ContentItem, "broken-item") is None


async def test_published_change_reaches_a_running_bot_without_restart(ctx):
    watcher = LibraryHolder(ctx.sessionmaker, interval=0.05)
    await watcher.refresh(force=True)
    watcher.start()
    item_id = sorted(watcher.library.items)[0]
    async with ctx.sessionmaker() as session, session.begin():
        row = await session.get(ContentItem, item_id)
        translations = dict(row.translations)
        translations["ar"] = {**translations["ar"], "title": "عنوان جديد"}
        row.translations = translations
        row.version += 1
        publish_row(row)
        await bump_revision(session)
    import asyncio
    for _ in range(100):
        if watcher.library.items[item_id].translations["ar"].title == "عنوان جديد":
            break
        await asyncio.sleep(0.05)
    assert watcher.library.items[item_id].translations["ar"].title == "عنوان جديد"
    await watcher.stop()


async def test_unpublished_draft_is_not_served(ctx):
    item_id = sorted(ctx.content.library.items)[0]
    async with ctx.sessionmaker() as session, session.begin():
        row = await session.get(ContentItem, item_id)
        translations = dict(row.translations)
        translations["en"] = {**translations["en"], "title": "Draft only"}
        row.translations = translations
        row.status = "draft"
        await bump_revision(session)
    await ctx.content.refresh()
    assert ctx.content.library.items[item_id].translations["en"].title != "Draft only"


# -- emergency numbers: content/emergency into the database, edited there, served without a restart

async def test_emergency_numbers_are_loaded_and_served_from_the_database(ctx):
    files, problems = read_emergency(ROOT / "content")
    assert problems == []
    assert set(ctx.content.library.emergency) == set(files)
    assert ctx.content.library.emergency_numbers("PH") == files["PH"].ordered()
    async with ctx.sessionmaker() as session:
        rows = (await session.scalars(select(EmergencyCountry))).all()
    assert len(rows) == len(files) and {r.version for r in rows} == {1} and {r.loaded_version for r in rows} == {1}
    report = await load_files(ctx.sessionmaker, ctx.settings.content_dir)
    assert sum(k.startswith("emergency:") for k in report.unchanged) == len(files)


def _set_police(content, country, number):
    path = content / "emergency" / f"{country}.yaml"
    data = yaml.safe_load(path.read_text())
    data["numbers"][0]["number"] = number
    path.write_text(yaml.safe_dump(data, allow_unicode=True))


async def test_a_changed_emergency_file_updates_but_never_overwrites_a_database_edit(ctx, tmp_path):
    content = _copy_content(tmp_path)
    _set_police(content, "KE", "998")
    _set_police(content, "PH", "912")
    async with ctx.sessionmaker() as session, session.begin():  # PH edited through the admin API
        row = await session.get(EmergencyCountry, "PH")
        row.data = {**row.data, "numbers": [{"kind": "general", "number": "8911"}]}
        row.version += 1
    report = await load_files(ctx.sessionmaker, content)
    assert report.updated == ["emergency:KE"] and report.kept_db_edit == ["emergency:PH"]
    await ctx.content.refresh()
    assert ctx.content.library.emergency_numbers("KE")[0].number == "998"
    assert [n.number for n in ctx.content.library.emergency_numbers("PH")] == ["8911"]


async def test_a_broken_emergency_file_is_reported_and_skipped(ctx, tmp_path):
    content = _copy_content(tmp_path)
    _set_police(content, "KE", "call the police")
    (content / "emergency" / "KM.yaml").write_text("country: KM\nnumbers: []\n")
    report = await load_files(ctx.sessionmaker, content)
    assert any("emergency/KE.yaml" in e and "number" in e for e in report.errors)
    assert any("emergency/KM.yaml" in e for e in report.errors)
    assert "emergency:KE" not in report.updated and report.added == []
    await ctx.content.refresh()
    assert ctx.content.library.emergency_numbers("KE")[0].number == "999"  # the last good numbers stay


async def test_a_database_filled_before_the_table_existed_gets_the_numbers(ctx):
    async with ctx.sessionmaker() as session, session.begin():
        for row in (await session.scalars(select(EmergencyCountry))).all():
            await session.delete(row)
        await bump_revision(session)
    assert await has_no_emergency_numbers(ctx.sessionmaker)
    await ctx.start(watch=False)  # a restart on the upgraded database
    assert ctx.content.library.emergency_numbers("PH")[0].number == "911"
    report = await load_emergency_files(ctx.sessionmaker, ctx.settings.content_dir)
    assert report.added == [] and report.updated == []


async def test_an_edited_number_reaches_a_running_bot_without_restart(ctx):
    watcher = LibraryHolder(ctx.sessionmaker, interval=0.05)
    await watcher.refresh(force=True)
    assert watcher.library.emergency_numbers("KE")[0].number == "999"
    async with ctx.sessionmaker() as session, session.begin():
        row = await session.get(EmergencyCountry, "KE")
        row.data = {**row.data, "numbers": [{"kind": "police", "number": "112"}]}
        row.version += 1
        await bump_revision(session)
    assert await watcher.refresh()
    assert [n.number for n in watcher.library.emergency_numbers("KE")] == ["112"]
