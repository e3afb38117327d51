"""The session store contract, on the in-process store and on Redis."""

import pytest

from bot.sessions import MemoryStore


async def test_get_set_delete(store):
    assert await store.get("a") is None
    await store.set("a", {"locale": "ar", "choices": ["m"]}, ttl=60)
    assert await store.get("a") == {"locale": "ar", "choices": ["m"]}
    await store.delete("a", "missing")
    assert await store.get("a") is None


async def test_first_time_is_true_once(store):
    assert await store.first_time("upd:1", ttl=60) is True
    assert await store.first_time("upd:1", ttl=60) is False
    assert await store.first_time("upd:2", ttl=60) is True


async def test_incr_counts(store):
    assert [await store.incr("c", ttl=60) for _ in range(3)] == [1, 2, 3]


async def test_claim_and_get_claims_once_and_reads_alongside(store):
    await store.set("s:a", {"locale": "fr"}, ttl=60)
    assert await store.claim_and_get("m:1", 60, "s:a", "s:none") == (True, [{"locale": "fr"}, None])
    assert await store.claim_and_get("m:1", 60, "s:a") == (False, [{"locale": "fr"}])
    assert await store.claim_and_get(None, 60, "s:none") == (True, [None])
    assert await store.claim_and_get(None, 60) == (True, [])


async def test_write_sets_and_deletes_in_order(store):
    await store.set("gone", {"x": 1}, ttl=60)
    await store.write([("a", {"x": 1}, 60), ("gone", None, 0), ("b", {"y": 2}, 60), ("b", None, 0),
                       ("c", None, 0), ("c", {"z": 3}, 60)])
    assert [await store.get(k) for k in ("a", "gone", "b", "c")] == [{"x": 1}, None, None, {"z": 3}]
    await store.write([])


async def test_memory_store_expires():
    now = [1000.0]
    store = MemoryStore(clock=lambda: now[0])
    await store.set("a", {"x": 1}, ttl=10)
    assert await store.first_time("b", ttl=10)
    now[0] += 11
    assert await store.get("a") is None
    assert await store.first_time("b", ttl=10)


@pytest.mark.parametrize("backend", ["postgres-redis"], indirect=True)
async def test_redis_store_expires(store):
    await store.set("short", {"x": 1}, ttl=1)
    assert await store._redis.ttl(store._prefix + "short") in (0, 1)


async def test_redis_claims_and_writes_expire_as_asked(store):
    if isinstance(store, MemoryStore):
        pytest.skip("Redis only: the in-process store's expiry is tested above")
    await store.claim_and_get("m:9", 30, "s:x")
    await store.write([("s:x", {"a": 1}, 90), ("s:y", {"b": 2}, 7)])
    ttl = store._redis.ttl
    assert 0 < await ttl(store._prefix + "m:9") <= 30
    assert 30 < await ttl(store._prefix + "s:x") <= 90 and 0 < await ttl(store._prefix + "s:y") <= 7
    await store._redis.script_flush()  # a Redis restarted without its scripts: loaded again
    assert await store.claim_and_get("m:9", 30, "s:x") == (False, [{"a": 1}])
    await store.write([("s:x", None, 0)])
    assert await store.get("s:x") is None


async def test_memory_store_sweeps_expired_keys_a_step_at_a_time():
    now = [1000.0]
    store = MemoryStore(clock=lambda: now[0])
    for n in range(3000):
        await store.set(f"old:{n}", {"x": n}, ttl=10)
    now[0] += 20  # all of them expired, none read again
    for n in range(3000):
        await store.set(f"new:{n}", {"x": n}, ttl=60)
    assert not [key for key in store._data if key.startswith("old:")]
    assert len(store._data) == 3000
