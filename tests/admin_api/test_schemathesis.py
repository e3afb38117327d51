"""Schemathesis over the whole OpenAPI schema: no input, valid or not, may give a server error.

The app runs under uvicorn on loopback in the test's event loop, over the `ctx` service (both
backends); schemathesis's blocking client runs in a worker thread. Each operation is called with
a key whose role may use it, and also with real ids in the path, so the fuzzer reaches the
handlers rather than stopping at 403 or 404.
"""

from __future__ import annotations

import asyncio
import traceback

import requests
import schemathesis
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation.hypothesis.examples import generate_many
from schemathesis.generation.modes import GenerationMode

from admin_api.library_io import zip_files
from admin_api.main import create_admin_app
from tests.admin_api.conftest import World, make_key
from tests.support import serve_on_loopback

MAX_EXAMPLES = 60
REAL_IDS = {"item_id": "ke-item", "service_id": "ke-helpline", "locale": "ar", "number": 1}

# POST /import/zip takes raw bytes: random ones, and zips of files whose names and text are random
schemathesis.openapi.media_type("application/zip", st.one_of(
    st.binary(max_size=4096),
    st.dictionaries(st.text(min_size=1, max_size=40), st.text(max_size=400), max_size=4).map(zip_files),
))


def _role_for(path: str) -> str:
    if path.startswith(("/keys", "/audit", "/inbox/settings")):
        return "admin"
    if path.startswith(("/feedback", "/inbox/insights")):
        return "analyst"
    if path.startswith("/inbox"):
        return "responder"
    if path.endswith(("/approve", "/reject", "/archive", "/review")):
        return "reviewer"
    return "editor"


def _fuzz(base_url: str, keys: dict[str, str]) -> list[str]:
    """Every operation, positive and negative cases, generated and real path ids; the failures."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    failures: list[str] = []
    session = requests.Session()
    for result in schema.get_all_operations():
        operation = result.ok()
        headers = {"Authorization": f"Bearer {keys[_role_for(operation.path)]}"}
        names = {p.name for p in operation.path_parameters}
        fixed_ids = {k: v for k, v in REAL_IDS.items() if k in names}
        variants = [(mode, None) for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]
        if fixed_ids:
            variants.append((GenerationMode.POSITIVE, fixed_ids))
        for mode, path_parameters in variants:
            strategy = operation.as_strategy(generation_mode=mode, headers=headers,
                                             path_parameters=path_parameters)
            try:
                cases = generate_many(strategy, MAX_EXAMPLES)
            except Unsatisfiable:  # e.g. no input that could be made invalid (GET /me, negative)
                continue
            for case in cases:
                try:
                    response = case.call(base_url=base_url, session=session, timeout=30)
                    case.validate_response(response, checks=[not_a_server_error])
                    kind = response.headers.get("content-type", "")
                    kind = kind[0] if isinstance(kind, list) else kind  # schemathesis 4 gives lists
                    assert kind.startswith(("application/json", "application/zip", "text/csv", "text/x-gettext-translation")) or operation.path == "/docs", \
                        f"{response.status_code} not JSON: {response.text[:200]}"
                except Exception:
                    failures.append(f"{operation.method.upper()} {operation.path} [{mode}]\n"
                                    + traceback.format_exc(limit=2)[-2000:])
                    break
    return failures


async def test_no_server_error_for_any_input(world: World) -> None:
    ctx = world.ctx
    ctx.settings.admin_rate_limit_per_minute = 10**9  # the fuzzer sends thousands a minute on purpose
    keys = {role: world.keys[("global", role)] for role in ("admin", "editor", "reviewer", "analyst")}
    keys["responder"] = world.keys.get(("global", "responder")) or (await make_key(ctx, "global cso", "responder"))[1]
    async with serve_on_loopback(create_admin_app(ctx)) as base_url:
        failures = await asyncio.to_thread(_fuzz, base_url, keys)
    assert not failures, "\n\n".join(failures)
