"""Ids without existence oracles: what an organisation creates lives in its own namespace.

With one global id space, a create that fails with "already exists" for another
organisation's id tells the caller the id exists. So an organisation limited to some
countries never claims a bare id: its new items and services get its namespace suffix
(`fees` -> `fees-o12`), whether or not `fees` exists elsewhere. The answer is the same for an
id that is free and for one that belongs to someone else: a 201 under its own namespace.
Only an id it can already see (and so may read) gets 409, and updates of ids it cannot see are
404, like ids that do not exist. Imports map ids the same way. Organisations with no country
limit see everything, so they keep bare ids; the suffix pattern is reserved for namespaces.
"""

from __future__ import annotations

import re

from admin_api.errors import field_error
from admin_api.roles import Actor

NAMESPACE = re.compile(r"-o\d+$")


def suffix(actor: Actor) -> str:
    return f"-o{actor.org_id}"


def own_id(actor: Actor, requested: str, *, visible: bool, max_length: int, where: tuple[str, ...]) -> str:
    """The id a create or an import uses for `requested`: bare for an organisation with no
    country limit, or when the caller can already see that record; else in its namespace."""
    if not actor.countries:
        if NAMESPACE.search(requested):
            raise field_error(where, "ids ending in -o<number> are reserved for organisations' namespaces")
        return requested
    if visible or requested.endswith(suffix(actor)):
        return requested
    namespaced = NAMESPACE.sub("", requested) + suffix(actor)
    if len(namespaced) > max_length:
        raise field_error(where, f"at most {max_length - len(suffix(actor))} characters for your organisation's ids")
    return namespaced
