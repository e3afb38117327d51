"""API keys: generated once, shown once, stored only as a SHA-256 digest."""

from __future__ import annotations

import hashlib
import secrets

KEY_PREFIX = "smb_"
PREFIX_LENGTH = 12


def new_key() -> str:
    """A fresh bearer key; 256 bits of randomness, so a fast hash is enough to store it."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """The stored form; the digest is also the lookup key, so no comparison leaks timing."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def key_prefix(key: str) -> str:
    """What people see to tell keys apart (and what the audit log names as the actor)."""
    return key[:PREFIX_LENGTH]
