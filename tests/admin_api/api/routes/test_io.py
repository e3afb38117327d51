"""Import and export in the content/ file format, with a dry-run diff and no silent overwrite."""

from __future__ import annotations

import io
import zipfile

import yaml

from tests.admin_api.conftest import World


async def _export(w: World, org: str = "global", **params: str) -> dict[str, str]:
    r = await w.client.get("/export", params=params, headers=w.h(org, "editor"))
    assert r.status_code == 200
    return r.json()["files"]


def _edit(text: str, locale: str, body: str) -> str:
    data = yaml.safe_load(text)
    data["translations"][locale]["body"] = body
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


async def test_export_round_trips_unchanged(world: World) -> None:
    w = world
    files = await _export(w)
    assert "items/ke-item.yaml" in files and "versions.json" in files and "services/ke.yaml" in files
    r = await w.client.post("/import", headers=w.h("global", "editor"), json={"files": files})
    report = r.json()
    assert r.status_code == 200 and report["dry_run"] and not report["applied"]
    assert set(report["counts"]) == {"unchanged"}, report["counts"]


async def test_dry_run_shows_the_diff_and_writes_nothing(world: World) -> None:
    w = world
    h = w.h("global", "editor")
    files = await _export(w)
    files["items/ph-item.yaml"] = _edit(files["items/ph-item.yaml"], "ar", "نص من الملف.")
    before = (await w.client.get("/items/ph-item", headers=h)).json()
    report = (await w.client.post("/import", headers=h, json={"files": files})).json()
    entry = next(e for e in report["entries"] if e["id"] == "ph-item")
    assert entry["result"] == "changed"
    assert [c["field"] for c in entry["changes"]] == ["translations.ar.body"]
    assert entry["changes"][0]["after"] == "نص من الملف."
    assert (await w.client.get("/items/ph-item", headers=h)).json() == before
    # applied: a draft for review, with a new version and the bot still serving the old text
    report = (await w.client.post("/import", params={"dry_run": "false"}, headers=h, json={"files": files})).json()
    assert report["applied"] and report["counts"]["changed"] == 1
    after = (await w.client.get("/items/ph-item", headers=h)).json()
    assert after["translations"]["ar"]["body"] == "نص من الملف." and after["status"] == "draft"
    assert after["version"] == before["version"] + 1 and after["translations"]["ar"]["status"] == "needs_review"
    assert after["translations"]["en"]["status"] == before["translations"]["en"]["status"]
    assert w.ctx.content.library.items["ph-item"].translations["ar"].body != "نص من الملف."
    versions = (await w.client.get("/items/ph-item/versions", headers=h)).json()
    assert versions[0]["summary"] == "imported from files"


async def test_a_newer_database_edit_is_a_conflict_never_overwritten(world: World) -> None:
    w = world
    h = w.h("global", "editor")
    files = await _export(w)
    v = (await w.client.get("/items/ph-item", headers=h)).json()["version"]
    await w.client.put("/items/ph-item/translations/ar", headers=h,
                       json={"title": "عنوان", "body": "تعديل في قاعدة البيانات.", "sms": "تعديل.", "version": v})
    files["items/ph-item.yaml"] = _edit(files["items/ph-item.yaml"], "ar", "نص قديم من الملف.")
    for dry_run in ("true", "false"):
        report = (await w.client.post("/import", params={"dry_run": dry_run}, headers=h, json={"files": files})).json()
        entry = next(e for e in report["entries"] if e["id"] == "ph-item")
        assert entry["result"] == "conflict" and "export" in entry["message"]
    assert (await w.client.get("/items/ph-item", headers=h)).json()["translations"]["ar"]["body"] == "تعديل في قاعدة البيانات."
    # without versions.json, an item edited in the database is a conflict too
    del files["versions.json"]
    report = (await w.client.post("/import", params={"dry_run": "false"}, headers=h, json={"files": files})).json()
    assert next(e for e in report["entries"] if e["id"] == "ph-item")["result"] == "conflict"


async def test_new_items_and_services_and_bad_files(world: World) -> None:
    w = world
    h = w.h("global", "editor")
    files = await _export(w)
    new = yaml.safe_load(files["items/ph-item.yaml"])
    new["id"] = "from-a-file"
    payload = {
        "items/from-a-file.yaml": yaml.safe_dump(new, allow_unicode=True),
        "items/broken.yaml": "id: broken\nsection: [unclosed",
        "items/bomb.yaml": "a: &a [x, x]\nb: [*a, *a]\n",
        "items/wrong-name.yaml": files["items/ph-item.yaml"],
        "services/ph.yaml": yaml.safe_dump({"country": "PH", "services": [
            {"id": "ph-new", "name": "Shelter", "categories": ["shelter"]}]}),
        "notes.txt": "hello",
    }
    report = (await w.client.post("/import", params={"dry_run": "false"}, headers=h, json={"files": payload})).json()
    results = {e["id"]: e["result"] for e in report["entries"]}
    assert results["from-a-file"] == "added" and results["ph-new"] == "added"
    assert results["broken"] == "error" and results["bomb"] == "error" and results["wrong-name"] == "error"
    assert any("notes.txt" in e for e in report["errors"])
    created = (await w.client.get("/items/from-a-file", headers=h)).json()
    assert created["status"] == "draft" and created["version"] == 1
    assert any(s.id == "ph-new" for s in w.ctx.content.library.services)


async def test_zip_export_and_import(world: World) -> None:
    w = world
    h = w.h("kenya", "editor")
    r = await w.client.get("/export", params={"format": "zip"}, headers=h)
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    assert "items/ke-item.yaml" in names and "items/ph-item.yaml" not in names
    report = await w.client.post("/import/zip", headers={**h, "Content-Type": "application/zip"}, content=r.content)
    assert report.status_code == 200 and set(report.json()["counts"]) == {"unchanged"}
    bad = await w.client.post("/import/zip", headers={**h, "Content-Type": "application/zip"}, content=b"not a zip")
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body"]


async def test_a_limited_organisation_cannot_import_outside_its_countries(world: World) -> None:
    w = world
    files = await _export(w, "global")
    report = (await w.client.post("/import", params={"dry_run": "false"}, headers=w.h("kenya", "editor"),
                                  json={"files": {"items/ph-item.yaml": _edit(files["items/ph-item.yaml"], "ar", "x")}})).json()
    assert report["entries"][0]["result"] == "error" and "countries" in report["entries"][0]["message"]
    assert not report["applied"]


async def test_published_export_is_what_the_bot_serves(world: World) -> None:
    w = world
    h = w.h("global", "editor")
    v = (await w.client.get("/items/ph-item", headers=h)).json()["version"]
    await w.client.put("/items/ph-item/translations/ar", headers=h,
                       json={"title": "مسودة", "body": "مسودة.", "sms": "مسودة.", "version": v})
    working = yaml.safe_load((await _export(w))["items/ph-item.yaml"])
    published = yaml.safe_load((await _export(w, source="published"))["items/ph-item.yaml"])
    assert working["translations"]["ar"]["body"] == "مسودة."
    assert published["translations"]["ar"]["body"] == w.ctx.content.library.items["ph-item"].translations["ar"].body
