"""Two organisations, each limited to its own countries: nothing one of them can observe says
whether an id of the other's exists (admin_api/ids.py). Every create, update and import
route answers an id that belongs to the other organisation exactly as it answers a free one."""

from __future__ import annotations

import yaml

from bot.content_files import item_yaml
from bot.content_model import Item
from tests.admin_api.conftest import World, item_data, make_key

OTHERS_ITEM, OTHERS_SERVICE = "ph-item", "ph-helpline"  # the Philippine organisation's (PH)
FREE_ITEM, FREE_SERVICE = "no-such-item", "no-such-helpline"


def service_body(service_id: str) -> dict:
    return {"id": service_id, "country": "KE", "name": "Kenyan helpline", "categories": ["emergency"],
            "phone": "+254 800 000", "source": "https://example.org/helpline", "verified": True,
            "description": {"en": "A helpline."}}


def _same(a, b, a_id: str, b_id: str) -> None:
    """The two answers are the same once the requested ids are swapped."""
    assert a.status_code == b.status_code, (a.status_code, b.status_code, a.text, b.text)
    assert a.text.replace(a_id, "ID") == b.text.replace(b_id, "ID")


async def _kenya_editor(world: World) -> dict[str, str]:
    """The Kenyan organisation's editor, beside a Philippine organisation that owns the PH records."""
    await make_key(world.ctx, "philippines cso", "editor", ["PH"])
    return world.h("kenya", "editor")


async def test_creating_an_item_with_the_other_organisations_id_answers_as_for_a_free_one(world: World):
    h = await _kenya_editor(world)
    taken = await world.client.post("/items", json=item_data(OTHERS_ITEM, ["KE"]), headers=h)
    free = await world.client.post("/items", json=item_data(FREE_ITEM, ["KE"]), headers=h)
    assert taken.status_code == 201
    assert taken.json()["id"] != OTHERS_ITEM and taken.json()["id"].startswith(OTHERS_ITEM)
    assert free.json()["id"].startswith(FREE_ITEM)
    assert taken.json()["id"].removeprefix(OTHERS_ITEM) == free.json()["id"].removeprefix(FREE_ITEM)


async def test_creating_a_service_with_the_other_organisations_id_answers_as_for_a_free_one(world: World):
    h = await _kenya_editor(world)
    taken = await world.client.post("/services", json=service_body(OTHERS_SERVICE), headers=h)
    free = await world.client.post("/services", json=service_body(FREE_SERVICE), headers=h)
    assert taken.status_code == free.status_code == 201
    assert taken.json()["id"].removeprefix(OTHERS_SERVICE) == free.json()["id"].removeprefix(FREE_SERVICE)


async def test_updating_the_other_organisations_records_answers_as_for_missing_ones(world: World):
    h = await _kenya_editor(world)
    for path in ("/items/{}", "/items/{}/translations/ar", "/services/{}"):
        for other, free in ((OTHERS_ITEM, FREE_ITEM), (OTHERS_SERVICE, FREE_SERVICE)):
            if ("services" in path) != (other == OTHERS_SERVICE):
                continue
            body = {"version": 1, "title": "x", "body": "x.", "sms": "x."} if "translations" in path else {"version": 1}
            method = world.client.put if "translations" in path else world.client.patch
            a = await method(path.format(other), json=body, headers=h)
            b = await method(path.format(free), json=body, headers=h)
            _same(a, b, other, free)
            assert a.status_code == 404


async def test_importing_the_other_organisations_ids_answers_as_for_free_ones(world: World):
    h = await _kenya_editor(world)

    def files(item_id: str, service_id: str) -> dict[str, str]:
        item = Item.model_validate(item_data(item_id, ["KE"]))
        services = yaml.safe_dump({"country": "KE", "services": [
            {k: v for k, v in service_body(service_id).items() if k != "country"}]})
        return {f"items/{item_id}.yaml": item_yaml(item), "services/ke.yaml": services}

    for dry_run in ("true", "false"):
        taken = await world.client.post(f"/import?dry_run={dry_run}", json={"files": files(OTHERS_ITEM, OTHERS_SERVICE)},
                                        headers=h)
        free = await world.client.post(f"/import?dry_run={dry_run}", json={"files": files(FREE_ITEM, FREE_SERVICE)},
                                       headers=h)
        assert taken.status_code == free.status_code == 200, (taken.text, free.text)
        results = lambda r: sorted((e["kind"], e["result"]) for e in r.json()["entries"])  # noqa: E731
        assert results(taken) == results(free) == [("item", "added"), ("service", "added")]
        assert "outside your organisation" not in taken.text


async def test_the_other_organisations_record_is_untouched(world: World):
    h = await _kenya_editor(world)
    await world.client.post("/items", json=item_data(OTHERS_ITEM, ["KE"]), headers=h)
    mine = await world.client.get(f"/items/{OTHERS_ITEM}", headers=world.h("global", "editor"))
    assert mine.json()["countries"] == ["PH"]


async def test_an_organisation_with_no_country_limit_keeps_bare_ids_but_not_namespaced_ones(world: World):
    h = world.h("global", "editor")
    bare = await world.client.post("/items", json=item_data("global-new", ["PH"]), headers=h)
    assert bare.status_code == 201 and bare.json()["id"] == "global-new"
    reserved = await world.client.post("/items", json=item_data("sneaky-o2", ["PH"]), headers=h)
    assert reserved.status_code == 422 and "id" in reserved.text


async def test_a_limited_organisation_sees_409_only_for_its_own_ids(world: World):
    h = await _kenya_editor(world)
    first = await world.client.post("/items", json=item_data("mine", ["KE"]), headers=h)
    again = await world.client.post("/items", json=item_data(first.json()["id"], ["KE"]), headers=h)
    assert again.status_code == 409
