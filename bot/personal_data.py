"""Where something about one person is kept, so "delete my data" finds all of it.

Every part that stores anything under a person's keyed hash registers here at start-up:
a key prefix in the session store (the key is prefix + user key), or a hook for data kept
elsewhere (the database). `forget` erases them all at once. Nothing may store per-person
state under a key it has not registered: tests list every key after whole conversations
on every channel and check that deletion leaves none that belongs to her.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.sessions import SessionStore

log = logging.getLogger(__name__)

ForgetHook = Callable[[str], Awaitable[None]]


class PersonalData:
    def __init__(self, store: SessionStore) -> None:
        self._store = store
        self._prefixes: dict[str, str] = {}  # prefix -> who registered it
        self._hooks: list[tuple[str, ForgetHook]] = []

    def register_prefix(self, prefix: str, owner: str) -> str:
        """Claim a store namespace; two parts may not share one."""
        if self._prefixes.get(prefix, owner) != owner:
            raise ValueError(f"store prefix {prefix!r} is already used by {self._prefixes[prefix]}")
        self._prefixes[prefix] = owner
        return prefix

    def register_hook(self, owner: str, hook: ForgetHook) -> None:
        self._hooks.append((owner, hook))

    @property
    def prefixes(self) -> tuple[str, ...]:
        return tuple(self._prefixes)

    def keys(self, user_key: str) -> list[str]:
        return [prefix + user_key for prefix in self._prefixes]

    async def forget(self, user_key: str) -> None:
        """Erase everything registered for this person. Every hook runs even if one fails;
        the first failure is raised after all have been tried, so the caller can say so."""
        await self._store.delete(*self.keys(user_key))
        failed: Exception | None = None
        for owner, hook in self._hooks:
            try:
                await hook(user_key)
            except Exception as exc:
                log.error("forget: %s failed with %s", owner, type(exc).__name__)
                failed = failed or exc
        if failed is not None:
            raise failed
