"""The address book: where to send an answer, encrypted, kept only while it is needed.

A channel address (Telegram chat id, or phone number and SMS gateway) is encrypted with
AES-GCM (the `cryptography` package) under ADDRESS_KEY before it reaches the database; the
row carries the key id, so keys can be rotated (ADDRESS_OLD_KEYS stay readable, `rekey`
re-encrypts). Rows are found by `person`, a keyed hash of her user key (which is itself a
keyed hash), and the ciphertext is bound to that hash and the channel, so a ciphertext moved
to another row does not decrypt. Nothing here logs or stores an address in the clear.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.inbox_models import AddressRow
from bot.models import utcnow

log = logging.getLogger(__name__)

KEY_BYTES = 32
NONCE_BYTES = 12
CHANNELS = ("telegram", "sms", "whatsapp", "console")
GATEWAYS = ("twilio", "africastalking", "vonage")


@dataclass(frozen=True)
class Address:
    """Where one person can be reached. Never logged, never stored unencrypted."""

    channel: str  # telegram | sms | whatsapp | console
    chat_id: str | None = None  # Telegram
    phone: str | None = None  # E.164, for SMS and WhatsApp
    gateway: str | None = None  # twilio | africastalking | vonage

    def __post_init__(self) -> None:
        if self.channel not in CHANNELS:
            raise ValueError(f"unknown channel {self.channel!r}")
        if self.gateway is not None and self.gateway not in GATEWAYS:
            raise ValueError(f"unknown gateway {self.gateway!r}")

    def __repr__(self) -> str:  # so an address can never end up in a log line by accident
        return f"Address(channel={self.channel!r}, gateway={self.gateway!r}, ...)"

    __str__ = __repr__


class AddressKeyError(ValueError):
    """ADDRESS_KEY or ADDRESS_OLD_KEYS is not a 32-byte key in urlsafe base64."""


def parse_key(spec: str) -> tuple[str, bytes]:
    """'keyid:base64' or 'base64' (the key id is then derived from the key) -> (key id, key)."""
    spec = spec.strip()
    key_id, _, raw = spec.rpartition(":")
    try:
        key = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except (binascii.Error, ValueError) as exc:
        raise AddressKeyError("an address key must be urlsafe base64 of 32 bytes") from exc
    if len(key) != KEY_BYTES:
        raise AddressKeyError("an address key must be urlsafe base64 of 32 bytes")
    if not key_id:
        key_id = hashlib.sha256(b"address-key-id:" + key).hexdigest()[:8]
    if len(key_id) > 16 or not key_id.replace("-", "").replace("_", "").isalnum():
        raise AddressKeyError("an address key id must be at most 16 letters, digits, - or _")
    return key_id, key


def new_key_spec() -> str:
    """A fresh key, as ADDRESS_KEY takes it: `python -c 'from bot.addresses import new_key_spec; print(new_key_spec())'`."""
    key = secrets.token_bytes(KEY_BYTES)
    key_id = hashlib.sha256(b"address-key-id:" + key).hexdigest()[:8]
    return f"{key_id}:{base64.urlsafe_b64encode(key).decode().rstrip('=')}"


def load_address_keys(settings: Settings) -> "AddressCipher":
    """ADDRESS_KEY (plus ADDRESS_OLD_KEYS), else a key generated once into data_dir/address.key."""
    spec = settings.address_key
    if not spec:
        path = Path(settings.data_dir) / "address.key"
        if path.exists():
            spec = path.read_text().strip()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            spec = new_key_spec()
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(spec + "\n")
            log.warning(
                "ADDRESS_KEY is not set: generated one in %s. Back it up and set ADDRESS_KEY in "
                "production; without it no stored address can be read.", path)
    current = parse_key(spec)
    old = [parse_key(s) for s in settings.address_old_keys.split(",") if s.strip()]
    return AddressCipher(current, old)


class AddressCipher:
    """AES-GCM with a current key (encrypts and decrypts) and earlier ones (decrypt only)."""

    def __init__(self, current: tuple[str, bytes], old: list[tuple[str, bytes]] | None = None) -> None:
        self.current_id = current[0]
        self._keys = {key_id: AESGCM(key) for key_id, key in [*(old or []), current]}

    @staticmethod
    def _aad(person: str, channel: str) -> bytes:
        return f"address:v1:{person}:{channel}".encode()

    def encrypt(self, person: str, address: Address) -> tuple[str, bytes, bytes]:
        """(key id, nonce, ciphertext) for the row of `person` on `address.channel`."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        plain = json.dumps({k: v for k, v in asdict(address).items() if v is not None}).encode()
        blob = self._keys[self.current_id].encrypt(nonce, plain, self._aad(person, address.channel))
        return self.current_id, nonce, blob

    def decrypt(self, person: str, channel: str, key_id: str, nonce: bytes, blob: bytes) -> Address | None:
        """The address, or None when its key is gone or the row was tampered with."""
        aead = self._keys.get(key_id)
        if aead is None:
            log.error("an address is encrypted under key id %s, which is not configured", key_id)
            return None
        try:
            plain = aead.decrypt(nonce, blob, self._aad(person, channel))
        except InvalidTag:
            log.error("an address failed authentication (key id %s): not used", key_id)
            return None
        return Address(**json.loads(plain))


def person_hash(secret: bytes, user_key: str) -> str:
    """The only form of her user key the inbox and the address book store."""
    return hmac.new(secret, f"inbox-person:{user_key}".encode(), hashlib.sha256).hexdigest()


class AddressBook:
    """Store, find and erase addresses; every write can join the caller's transaction."""

    def __init__(self, sessionmaker: async_sessionmaker, cipher: AddressCipher, secret: bytes) -> None:
        self._sessionmaker = sessionmaker
        self.cipher = cipher
        self._secret = secret

    def person(self, user_key: str) -> str:
        return person_hash(self._secret, user_key)

    async def remember(self, session: AsyncSession, person: str, address: Address) -> None:
        """Insert or replace her address on this channel; it stays until erased (no expiry)."""
        key_id, nonce, blob = self.cipher.encrypt(person, address)
        row = await session.scalar(select(AddressRow).where(
            AddressRow.person == person, AddressRow.channel == address.channel))
        if row is None:
            session.add(AddressRow(person=person, channel=address.channel, key_id=key_id,
                                   nonce=nonce, ciphertext=blob))
        else:
            row.key_id, row.nonce, row.ciphertext, row.expires_at = key_id, nonce, blob, None

    async def lookup(self, person: str, channel: str, session: AsyncSession | None = None) -> Address | None:
        """Her address on a channel, decrypted, or None."""
        if session is None:
            async with self._sessionmaker() as own:
                return await self.lookup(person, channel, own)
        row = await session.scalar(select(AddressRow).where(
            AddressRow.person == person, AddressRow.channel == channel))
        if row is None:
            return None
        return self.cipher.decrypt(person, channel, row.key_id, row.nonce, row.ciphertext)

    async def erase(self, session: AsyncSession, person: str) -> int:
        """Every address of this person, on every channel (deletion, STOP)."""
        result = await session.execute(delete(AddressRow).where(AddressRow.person == person))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def forget(self, user_key: str) -> int:
        """Erase her addresses by her user key, in a transaction of its own."""
        async with self._sessionmaker() as session, session.begin():
            return await self.erase(session, self.person(user_key))

    @staticmethod
    async def expire(session: AsyncSession, person: str, at: dt.datetime) -> None:
        """Mark her addresses for erasure at `at` (her last thread closed)."""
        for row in (await session.scalars(select(AddressRow).where(AddressRow.person == person))).all():
            row.expires_at = at

    async def purge_expired(self, now: dt.datetime | None = None) -> int:
        now = now or utcnow()
        async with self._sessionmaker() as session, session.begin():
            result = await session.execute(delete(AddressRow).where(
                AddressRow.expires_at.is_not(None), AddressRow.expires_at <= now))
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def rekey(self, batch: int = 500) -> int:
        """Re-encrypt rows still under an old key with the current one; returns how many."""
        done = 0
        while True:
            async with self._sessionmaker() as session, session.begin():
                rows = (await session.scalars(select(AddressRow).where(
                    AddressRow.key_id != self.cipher.current_id).limit(batch))).all()
                if not rows:
                    return done
                for row in rows:
                    address = self.cipher.decrypt(row.person, row.channel, row.key_id, row.nonce, row.ciphertext)
                    if address is None:  # unreadable: useless and unrecoverable, so erase it
                        await session.delete(row)
                        continue
                    row.key_id, row.nonce, row.ciphertext = self.cipher.encrypt(row.person, address)
                    done += 1
