"""The address book: AES-GCM round trip, no plaintext in the database, key rotation, erasure."""

from __future__ import annotations

import base64
import logging

import pytest
from sqlalchemy import select, text, update

from bot.addresses import (
    Address,
    AddressBook,
    AddressCipher,
    AddressKeyError,
    load_address_keys,
    new_key_spec,
    parse_key,
)
from bot.inbox_models import AddressRow
from bot.models import Base
from tests.conftest import make_settings

CHAT_ID = "5550012345"
PHONE = "+254711900123"


async def dump_database(ctx) -> str:
    """Every row of every table, as text (bytes included), to search for a leak."""
    out = []
    async with ctx.sessionmaker() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(text(f'SELECT * FROM "{table.name}"'))).all():
                for value in row:
                    out.append(value.hex() + repr(bytes(value)) if isinstance(value, (bytes, memoryview)) else str(value))
    return "\n".join(out)


def book(ctx, spec: str | None = None, old: str = "") -> AddressBook:
    settings = ctx.settings.model_copy(update={"address_key": spec or ctx.settings.address_key,
                                               "address_old_keys": old})
    return AddressBook(ctx.sessionmaker, load_address_keys(settings), b"test-secret")


def test_keys_parse_generate_and_refuse_bad_ones() -> None:
    spec = new_key_spec()
    key_id, key = parse_key(spec)
    assert len(key) == 32 and spec.startswith(key_id + ":")
    raw = base64.urlsafe_b64encode(key).decode()
    assert parse_key(raw) == (key_id, key)  # the id is derived when not given
    for bad in ("", "short", "kid:" + base64.urlsafe_b64encode(b"x" * 16).decode(), "bad id!:" + raw):
        with pytest.raises(AddressKeyError):
            parse_key(bad)


def test_a_missing_key_is_generated_once_with_a_warning(tmp_path, caplog) -> None:
    settings = make_settings(tmp_path, "sqlite+aiosqlite:///:memory:")
    caplog.set_level(logging.WARNING)
    first = load_address_keys(settings)
    assert "ADDRESS_KEY is not set" in caplog.text
    assert (tmp_path / "var" / "address.key").stat().st_mode & 0o777 == 0o600
    assert load_address_keys(settings).current_id == first.current_id


def test_round_trip_and_tampering() -> None:
    cipher = AddressCipher(parse_key(new_key_spec()))
    address = Address("sms", phone=PHONE, gateway="twilio")
    key_id, nonce, blob = cipher.encrypt("person-a", address)
    assert PHONE.encode() not in blob
    assert cipher.decrypt("person-a", "sms", key_id, nonce, blob) == address
    assert cipher.decrypt("person-b", "sms", key_id, nonce, blob) is None  # moved to another row
    assert cipher.decrypt("person-a", "telegram", key_id, nonce, blob) is None
    assert cipher.decrypt("person-a", "sms", key_id, nonce, blob[:-1] + bytes([blob[-1] ^ 1])) is None
    assert cipher.decrypt("person-a", "sms", "unknown", nonce, blob) is None
    assert PHONE not in repr(address) and PHONE not in str(address)
    with pytest.raises(ValueError):
        Address("pigeon")


async def test_stored_encrypted_found_by_keyed_hash_and_erased(ctx) -> None:
    addresses = book(ctx)
    person = addresses.person("user-key-1")
    assert person != "user-key-1" and len(person) == 64
    async with ctx.sessionmaker() as session, session.begin():
        await addresses.remember(session, person, Address("telegram", chat_id=CHAT_ID))
        await addresses.remember(session, person, Address("sms", phone=PHONE, gateway="vonage"))
    assert await addresses.lookup(person, "telegram") == Address("telegram", chat_id=CHAT_ID)
    assert (await addresses.lookup(person, "sms")).phone == PHONE
    dump = await dump_database(ctx)
    for secret in (CHAT_ID, PHONE, PHONE.lstrip("+"), "user-key-1"):
        assert secret not in dump
        assert secret.encode().hex() not in dump
    async with ctx.sessionmaker() as session, session.begin():  # a new address replaces the old one
        await addresses.remember(session, person, Address("telegram", chat_id="42"))
    assert (await addresses.lookup(person, "telegram")).chat_id == "42"
    assert await addresses.forget("user-key-1") == 2
    assert await addresses.lookup(person, "telegram") is None


async def test_key_rotation_keeps_old_rows_readable_then_rekeys(ctx) -> None:
    old_spec, new_spec = new_key_spec(), new_key_spec()
    before = book(ctx, old_spec)
    person = before.person("user-key-2")
    async with ctx.sessionmaker() as session, session.begin():
        await before.remember(session, person, Address("sms", phone=PHONE, gateway="africastalking"))
    rotated = book(ctx, new_spec, old=old_spec)
    assert (await rotated.lookup(person, "sms")).phone == PHONE
    assert await rotated.rekey() == 1
    async with ctx.sessionmaker() as session:
        assert (await session.scalar(select(AddressRow.key_id))) == parse_key(new_spec)[0]
    assert (await book(ctx, new_spec).lookup(person, "sms")).phone == PHONE  # old key no longer needed
    assert await book(ctx, old_spec).lookup(person, "sms") is None  # and the old key alone cannot read it


async def test_expired_addresses_are_purged(ctx) -> None:
    from bot.models import utcnow

    addresses = book(ctx)
    person = addresses.person("user-key-3")
    async with ctx.sessionmaker() as session, session.begin():
        await addresses.remember(session, person, Address("telegram", chat_id=CHAT_ID))
    assert await addresses.purge_expired() == 0
    async with ctx.sessionmaker() as session, session.begin():
        await session.execute(update(AddressRow).values(expires_at=utcnow()))
    assert await addresses.purge_expired() == 1
