"""Inbox insights over HTTP: questions per week by country, language and theme; first-answer
times (p50, p90); small counts suppressed; each organisation sees only its own threads."""

from __future__ import annotations

import datetime as dt

from admin_api.inbox_insights import percentile, period_of, thread_rkey
from bot.inbox_models import InboxThread
from tests.admin_api.conftest import auth, make_key, make_org

MONDAY = dt.datetime(2026, 3, 2, 9, tzinfo=dt.timezone.utc)  # a Monday


async def seed(ctx) -> dict[str, int]:
    orgs = {"kenya": await make_org(ctx, "kenya cso", ["KE"]), "lebanon": await make_org(ctx, "lebanon cso", ["LB"])}
    rows = []
    n = 0

    def thread(org: str, created: dt.datetime, answer_hours: float | None = None, **kw) -> None:
        nonlocal n
        n += 1
        kw.setdefault("locale", "en")
        kw.setdefault("country", "KE")
        rows.append(InboxThread(code=f"T{n:05d}", org_id=orgs[org], channel="telegram", status="answered"
                                if answer_hours is not None else "open", created_at=created, last_message_at=created,
                                answered_at=created + dt.timedelta(hours=answer_hours) if answer_hours is not None
                                else None, **kw))

    # Kenya, week 1: 20 English (answered after 1..20 hours), 12 Arabic tagged "money", 2 in Amharic-less French
    for i in range(20):
        thread("kenya", MONDAY + dt.timedelta(hours=i), answer_hours=i + 1, theme="work")
    for i in range(12):
        thread("kenya", MONDAY + dt.timedelta(days=2, hours=i), locale="ar", theme="money")
    for i in range(2):
        thread("kenya", MONDAY + dt.timedelta(days=3, hours=i), locale="fr")
    # Kenya, week 2: 9 English
    for i in range(9):
        thread("kenya", MONDAY + dt.timedelta(days=7, hours=i))
    # Lebanon: 3 answered threads only (fewer than k)
    for i in range(3):
        thread("lebanon", MONDAY + dt.timedelta(hours=i), answer_hours=50, country="LB")
    async with ctx.sessionmaker() as session:
        session.add_all(rows)
        await session.commit()
    return orgs


async def test_questions_per_week_by_language_country_and_theme_with_small_cells_suppressed(client, ctx) -> None:
    await seed(ctx)
    _, analyst = await make_key(ctx, "kenya cso", "analyst", ["KE"])
    r = await client.get("/inbox/insights/questions?by=language&interval=week", headers=auth(analyst))
    assert r.status_code == 200, r.text
    table = r.json()
    assert table["k"] == 5 and table["dimensions"] == ["period", "language"] and table["interval"] == "week"
    cells = {(c["period"], c["language"]): c for c in table["cells"]}
    assert set(cells) == {("2026-03-02", "en"), ("2026-03-02", "ar"), ("2026-03-02", "fr"), ("2026-03-09", "en")}
    fr = cells[("2026-03-02", "fr")]
    assert fr["count"] is None and fr["suppressed"] is True  # 2 < k
    # and enough others that the 2 cannot be worked out from the week's other cells
    assert sum(1 for c in table["cells"] if c.get("suppressed")) >= 2
    en2 = cells[("2026-03-09", "en")]
    assert "suppressed" not in en2 and abs(en2["count"] - 9) <= 2
    assert abs(table["total"] - 43) <= 2  # Lebanon's threads are not Kenya's

    # the same question twice: the same noise (cell keys), so repetition averages nothing away
    again = (await client.get("/inbox/insights/questions?by=language&interval=week", headers=auth(analyst))).json()
    assert again == table

    theme = (await client.get("/inbox/insights/questions?by=theme", headers=auth(analyst))).json()
    themes = {c["theme"]: c for c in theme["cells"] if c["period"] == "2026-03-02"}
    assert abs(themes["work"]["count"] - 20) <= 2
    assert themes[None]["suppressed"] is True  # 2 untagged; "money" (12) may hide with them as cover
    month = (await client.get("/inbox/insights/questions?by=country&interval=month", headers=auth(analyst))).json()
    assert [(c["period"], c["country"]) for c in month["cells"]] == [("2026-03", "KE")]

    narrow = (await client.get("/inbox/insights/questions?by=language&period_from=2026-03-09",
                               headers=auth(analyst))).json()
    assert [(c["period"], c["language"]) for c in narrow["cells"]] == [("2026-03-09", "en")]


async def test_answer_times_p50_p90_per_organisation_and_suppressed_under_k(client, ctx) -> None:
    await seed(ctx)
    _, kenya = await make_key(ctx, "kenya cso", "admin", ["KE"])
    _, lebanon = await make_key(ctx, "lebanon cso", "analyst", ["LB"])
    body = (await client.get("/inbox/insights/answer-times", headers=auth(kenya))).json()
    [row] = body["organisations"]
    assert row["organisation"] == "kenya cso" and row["times_suppressed"] is False
    assert row["p50_hours"] == 10.0 and row["p90_hours"] == 18.0  # nearest rank of 1..20 hours
    assert abs(row["answered"] - 20) <= 2 and abs(row["not_answered"] - 23) <= 2

    small = (await client.get("/inbox/insights/answer-times", headers=auth(lebanon))).json()
    [row] = small["organisations"]
    assert row["organisation"] == "lebanon cso"  # its own threads only
    assert row["times_suppressed"] is True and row["p50_hours"] is None and row["p90_hours"] is None
    assert row["answered"] is None and small["total"] is None  # 3 < k


async def test_insights_are_for_analysts_and_admins_and_check_their_input(client, ctx) -> None:
    await seed(ctx)
    for role in ("responder", "editor", "reviewer"):
        _, key = await make_key(ctx, "kenya cso", role, ["KE"])
        for path in ("/inbox/insights/questions", "/inbox/insights/answer-times"):
            assert (await client.get(path, headers=auth(key))).status_code == 403, (role, path)
    assert (await client.get("/inbox/insights/questions")).status_code == 401
    _, analyst = await make_key(ctx, "kenya cso", "analyst", ["KE"])
    for bad in ("by=name", "interval=day", "period_from=2026-03-09&period_to=2026-03-01"):
        r = await client.get("/inbox/insights/questions?" + bad, headers=auth(analyst))
        assert r.status_code == 422, (bad, r.text)


def test_helpers() -> None:
    assert period_of(dt.datetime(2026, 3, 8, 23, 59), "week") == "2026-03-02"  # a Sunday: its Monday
    assert period_of(dt.datetime(2026, 3, 9, tzinfo=dt.timezone.utc), "week") == "2026-03-09"
    assert period_of(dt.datetime(2026, 3, 9), "month") == "2026-03"
    assert percentile([1.0], 90) == 1.0 and percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0
    key = thread_rkey(b"secret", 7)
    assert key == thread_rkey(b"secret", 7) != thread_rkey(b"other", 7) and 0 <= key < 2**32
