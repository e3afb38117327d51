"""Feedback insights over the API: who may read them, validation, disclosure control, CSV,
comments (country scope, expiry), a woman's conversation reaching the aggregate, and privacy."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import logging
import random
from collections import Counter

from sqlalchemy import select

from bot.feedback import DatabaseFeedbackSink
from bot.models import Base, FeedbackRecord
from tests.admin_api.conftest import ROLES, World
from tests.bot.conversation_driver import Woman

K = 5
DAY = dt.date(2026, 3, 4)  # a Wednesday: week 2026-03-02, month 2026-03
READERS = {"admin", "analyst"}

# (count, fields): the standard data set, with one small group (2 non-binary people needing shelter)
STANDARD = [
    (40, dict(kind="need", need="legal_aid", gender="woman", country="KE", stage="destination")),
    (30, dict(kind="need", need="shelter", gender="woman", country="PH", stage="transit")),
    (12, dict(kind="need", need="health", gender="man", country="KE", stage="destination")),
    (9, dict(kind="need", need="shelter", gender="woman", country="KE", stage="destination")),
    (2, dict(kind="need", need="shelter", gender="non_binary", country="KE", stage="destination")),
    (20, dict(kind="rating", rating="yes", theme="work", content_id="ke-item", country="KE")),
    (8, dict(kind="rating", rating="no", theme="work", content_id="ph-item", country="PH")),
    (3, dict(kind="rating", rating="unsure", theme="health", content_id="ke-item", country="KE")),
]


async def seed(ctx, spec=STANDARD, day: dt.date = DAY, seed_: int = 7) -> list[dict]:
    rng = random.Random(seed_)
    rows = []
    for n, fields in spec:
        for _ in range(n):
            row = dict(day=day, channel="telegram", locale="en", rkey=rng.randrange(2**32)) | fields
            rows.append(row)
    async with ctx.sessionmaker() as session:
        session.add_all([FeedbackRecord(**r) for r in rows])
        await session.commit()
    return rows


def truth(rows: list[dict], dims: tuple[str, ...], where=lambda r: True) -> Counter:
    names = {"item": "content_id"}
    return Counter(tuple(r.get(names.get(d, d)) for d in dims) for r in rows if where(r))


def check_published(body: dict, true: Counter, k: int = K) -> None:
    """Every cell: below k suppressed; published ones >= k and within the noise; total too."""
    dims = body["dimensions"]
    assert body["k"] == k
    seen = set()
    for cell in body["cells"]:
        key = tuple(cell[d] for d in dims)
        seen.add(key)
        if true[key] < k:
            assert cell["count"] is None and cell["suppressed"] is True, (key, cell)
        if cell.get("suppressed"):
            assert cell["count"] is None
        else:
            assert "suppressed" not in cell and cell["count"] >= k and abs(cell["count"] - true[key]) <= 2
    assert seen == {key for key, n in true.items() if n}
    n = sum(true.values())
    assert body["total"] is None if n < k else abs(body["total"] - n) <= 2


# --- who may read ---------------------------------------------------------------------------

ROUTES = [("/feedback/aggregate", {"by": "gender,need"}), ("/feedback/timeseries", {"interval": "week"}),
          ("/feedback/helpfulness", {"by": "theme"}), ("/feedback/comments", {}),
          ("/feedback/aggregate", {"by": "need", "format": "csv"})]


async def test_role_by_organisation_matrix(world: World) -> None:
    w = world
    await seed(w.ctx)
    for path, params in ROUTES:
        assert (await w.client.get(path, params=params)).status_code == 401
        bad = await w.client.get(path, params=params, headers={"Authorization": "Bearer smb_nope"})
        assert bad.status_code == 401
        for org, role in itertools.product(("global", "kenya"), ROLES):
            r = await w.client.get(path, params=params, headers=w.h(org, role))
            if role in READERS:
                assert r.status_code == 200, (path, org, role, r.text)
            else:
                assert r.status_code == 403 and r.json()["detail"], (path, org, role)
                # the same answer whatever is asked: no hint about what exists
                r = await w.client.get(path, params={**params, "country": "PH"}, headers=w.h(org, role))
                assert r.status_code == 403
        # an organisation limited to Kenya asking about the Philippines: 422 naming the field
        r = await w.client.get(path, params={**params, "country": "PH"}, headers=w.h("kenya", "analyst"))
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "country"]


async def test_a_limited_organisation_sees_only_its_countries(world: World) -> None:
    w = world
    rows = await seed(w.ctx)
    kenya = (await w.client.get("/feedback/aggregate", params={"by": "country,need"},
                                headers=w.h("kenya", "analyst"))).json()
    assert {c["country"] for c in kenya["cells"]} == {"KE"}
    check_published(kenya, truth(rows, ("country", "need"), lambda r: r["kind"] == "need" and r["country"] == "KE"))
    everyone = (await w.client.get("/feedback/aggregate", params={"by": "country,need"},
                                   headers=w.h("global", "admin"))).json()
    assert {c["country"] for c in everyone["cells"]} == {"KE", "PH"}
    # the same records get the same noise for both organisations: comparing tells nothing new
    ke_global = {c["need"]: c["count"] for c in everyone["cells"] if c["country"] == "KE" and not c.get("suppressed")}
    ke_local = {c["need"]: c["count"] for c in kenya["cells"] if not c.get("suppressed")}
    assert ke_local and all(ke_global[n] == v for n, v in ke_local.items() if n in ke_global)
    # records with no country belong to no limited organisation
    await seed(w.ctx, [(10, dict(kind="need", need="money", gender="woman"))], seed_=8)
    kenya2 = (await w.client.get("/feedback/aggregate", params={"by": "need"}, headers=w.h("kenya", "analyst"))).json()
    assert "money" not in {c["need"] for c in kenya2["cells"]}
    global2 = (await w.client.get("/feedback/aggregate", params={"by": "need"}, headers=w.h("global", "analyst"))).json()
    assert "money" in {c["need"] for c in global2["cells"]}


# --- validation -------------------------------------------------------------------------------

async def test_invalid_queries_are_422_naming_the_field(world: World) -> None:
    w = world
    h = w.h("global", "analyst")
    cases = [
        ("/feedback/aggregate", {}, "by"),
        ("/feedback/aggregate", {"by": ""}, "by"),
        ("/feedback/aggregate", {"by": "name"}, "by"),
        ("/feedback/aggregate", {"by": "phone,gender"}, "by"),
        ("/feedback/aggregate", {"by": "gender,gender"}, "by"),
        ("/feedback/aggregate", {"by": "gender,need,stage,locale"}, "by"),
        ("/feedback/aggregate", {"by": "need,rating"}, "by"),
        ("/feedback/aggregate", {"by": "gender;drop table feedback"}, "by"),
        ("/feedback/aggregate", {"by": "need", "kind": "rating"}, "kind"),
        ("/feedback/aggregate", {"by": "need", "kind": "anything"}, "kind"),
        ("/feedback/aggregate", {"by": "need", "stage": "everywhere"}, "stage"),
        ("/feedback/aggregate", {"by": "need", "country": "ke"}, "country"),
        ("/feedback/aggregate", {"by": "need", "period_from": "yesterday"}, "period_from"),
        ("/feedback/aggregate", {"by": "need", "period_from": "2026-03-05", "period_to": "2026-03-01"}, "period_from"),
        ("/feedback/aggregate", {"by": "need", "format": "xlsx"}, "format"),
        ("/feedback/timeseries", {"interval": "day"}, "interval"),
        ("/feedback/timeseries", {"by": "gender,need,stage"}, "by"),
        ("/feedback/helpfulness", {"by": "gender"}, "by"),
        ("/feedback/comments", {"limit": 0}, "limit"),
    ]
    for path, params, field in cases:
        r = await w.client.get(path, params=params, headers=h)
        assert r.status_code == 422, (path, params, r.text)
        assert r.json()["detail"][0]["loc"] == ["query", field], (path, params, r.json())


# --- disclosure control -----------------------------------------------------------------------

async def test_aggregate_suppresses_small_cells_and_perturbs_the_rest(world: World) -> None:
    w = world
    rows = await seed(w.ctx)
    h = w.h("global", "analyst")
    r = await w.client.get("/feedback/aggregate", params={"by": "gender,need"}, headers=h)
    body = r.json()
    assert body["dimensions"] == ["gender", "need"] and r.headers["cache-control"] == "no-store"
    true = truth(rows, ("gender", "need"), lambda r: r["kind"] == "need")
    check_published(body, true)
    cells = {(c["gender"], c["need"]): c for c in body["cells"]}
    assert cells[("non_binary", "shelter")] == {"gender": "non_binary", "need": "shelter", "count": None, "suppressed": True}
    # the small cell is alone in its row: a secondary cell in its column hides it from the column sum
    assert sum(1 for c in body["cells"] if c["need"] == "shelter" and c.get("suppressed")) >= 2
    # asking again, or in another order, gives the very same numbers: noise cannot be averaged away
    again = (await w.client.get("/feedback/aggregate", params={"by": "gender,need"}, headers=h)).json()
    assert again == body
    swapped = (await w.client.get("/feedback/aggregate", params={"by": "need,gender"}, headers=h)).json()
    assert {(c["gender"], c["need"]): c["count"] for c in swapped["cells"]} == {k: c["count"] for k, c in cells.items()}
    # one dimension, and filters
    by_stage = (await w.client.get("/feedback/aggregate", params={"by": "stage", "country": "KE"}, headers=h)).json()
    # no `kind` and no need or rating dimension: every kind of record counts (ratings have no stage)
    check_published(by_stage, truth(rows, ("stage",), lambda r: r["country"] == "KE"))
    assert {c["stage"] for c in by_stage["cells"]} == {"destination", None}
    needs_only = (await w.client.get("/feedback/aggregate", params={"by": "stage", "kind": "need"}, headers=h)).json()
    check_published(needs_only, truth(rows, ("stage",), lambda r: r["kind"] == "need"))
    ratings = (await w.client.get("/feedback/aggregate", params={"by": "item", "kind": "rating"}, headers=h)).json()
    check_published(ratings, truth(rows, ("item",), lambda r: r["kind"] == "rating"))


async def test_overlapping_queries_perturb_each_set_of_records_consistently(world: World) -> None:
    """'All countries' and 'Kenya only' (or two periods) share cells: a shared cell gets the same
    published value in both, so their difference is a difference of fixed noisy numbers."""
    w = world
    rows = await seed(w.ctx)
    rows += await seed(w.ctx, [(3, dict(kind="need", need="legal_aid", gender="woman", country="KE",
                                        stage="destination"))], day=DAY + dt.timedelta(days=1), seed_=9)
    h = w.h("global", "analyst")
    both = (await w.client.get("/feedback/aggregate", params={"by": "country,need"}, headers=h)).json()
    ke = (await w.client.get("/feedback/aggregate", params={"by": "need", "country": "KE"}, headers=h)).json()
    ke_in_both = {c["need"]: c["count"] for c in both["cells"] if c["country"] == "KE"}
    ke_alone = {c["need"]: c["count"] for c in ke["cells"]}
    assert set(ke_alone) == {"legal_aid", "health", "shelter"} and ke_alone == ke_in_both
    assert None not in ke_alone.values()
    # secondary suppression may differ from table to table; the small group is hidden in both
    by_gender = (await w.client.get("/feedback/aggregate", params={"by": "country,gender", "kind": "need"}, headers=h)).json()
    assert {(c["country"], c["gender"]): c["count"] for c in by_gender["cells"]}[("KE", "non_binary")] is None
    # two periods whose difference is the 3 records of the second day: that day alone is suppressed
    day2 = (await w.client.get("/feedback/aggregate", params={
        "by": "need", "period_from": (DAY + dt.timedelta(days=1)).isoformat()}, headers=h)).json()
    assert day2["cells"] == [{"need": "legal_aid", "count": None, "suppressed": True}] and day2["total"] is None
    first = (await w.client.get("/feedback/aggregate", params={"by": "need", "period_to": DAY.isoformat()}, headers=h)).json()
    whole = (await w.client.get("/feedback/aggregate", params={"by": "need"}, headers=h)).json()
    check_published(first, truth(rows, ("need",), lambda r: r["kind"] == "need" and r["day"] == DAY))
    check_published(whole, truth(rows, ("need",), lambda r: r["kind"] == "need"))


async def test_timeseries_by_week_and_month(world: World) -> None:
    w = world
    rows = []
    for i, day in enumerate((dt.date(2026, 1, 5), dt.date(2026, 1, 11), dt.date(2026, 1, 12), dt.date(2026, 2, 28))):
        rows += await seed(w.ctx, [(6 + i, dict(kind="need", need="shelter", gender="woman", country="KE"))], day=day, seed_=i)
    rows += await seed(w.ctx, [(2, dict(kind="need", need="shelter", gender="man", country="KE"))],
                       day=dt.date(2026, 2, 3), seed_=20)
    h = w.h("kenya", "analyst")
    weeks = (await w.client.get("/feedback/timeseries", params={"interval": "week"}, headers=h)).json()
    assert weeks["dimensions"] == ["period"] and weeks["interval"] == "week"

    def monday(d: dt.date) -> str:
        return (d - dt.timedelta(days=d.weekday())).isoformat()

    check_published(weeks, Counter((monday(r["day"]),) for r in rows))
    assert [c["period"] for c in weeks["cells"]] == ["2026-01-05", "2026-01-12", "2026-02-02", "2026-02-23"]
    months = (await w.client.get("/feedback/timeseries", params={"interval": "month", "by": "gender"}, headers=h)).json()
    assert months["dimensions"] == ["period", "gender"]
    check_published(months, Counter((r["day"].strftime("%Y-%m"), r["gender"]) for r in rows))
    ranged = (await w.client.get("/feedback/timeseries", params={
        "interval": "month", "period_from": "2026-02-01"}, headers=h)).json()
    assert [c["period"] for c in ranged["cells"]] == ["2026-02"]


async def test_helpfulness_by_theme_item_and_locale(world: World) -> None:
    w = world
    rows = await seed(w.ctx)
    h = w.h("global", "analyst")
    for by, field in (("theme", "theme"), ("item", "content_id"), ("locale", "locale")):
        body = (await w.client.get("/feedback/helpfulness", params={"by": by}, headers=h)).json()
        assert body["dimensions"] == [by, "rating"]
        check_published(body, Counter((r[field], r["rating"]) for r in rows if r["kind"] == "rating"))
    body = (await w.client.get("/feedback/helpfulness", params={"by": "theme"}, headers=h)).json()
    cells = {(c["theme"], c["rating"]): c for c in body["cells"]}
    assert cells[("health", "unsure")]["suppressed"] is True  # 3 people


async def test_csv_is_the_same_table(world: World) -> None:
    w = world
    await seed(w.ctx)
    h = w.h("global", "analyst")
    for path, params in (("/feedback/aggregate", {"by": "gender,need"}), ("/feedback/helpfulness", {"by": "theme"}),
                         ("/feedback/timeseries", {"interval": "month", "by": "gender"})):
        body = (await w.client.get(path, params=params, headers=h)).json()
        r = await w.client.get(path, params={**params, "format": "csv"}, headers=h)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        assert "attachment" in r.headers["content-disposition"]
        lines = list(csv.DictReader(io.StringIO(r.text)))
        assert lines[-1]["row"] == "total" and lines[-1]["count"] == str(body["total"])
        dims = body["dimensions"]
        assert list(lines[0]) == ["row", *dims, "count", "suppressed", "k"]
        from_csv = [({d: line[d] or None for d in dims}, line["count"], line["suppressed"]) for line in lines[:-1]]
        from_json = [({d: c[d] for d in dims}, "" if c["count"] is None else str(c["count"]),
                      "true" if c.get("suppressed") else "false") for c in body["cells"]]
        assert from_csv == from_json and all(line["k"] == str(K) for line in lines)
        assert any(s == "true" for _, _, s in from_csv)


# --- comments ---------------------------------------------------------------------------------

async def test_comments_are_scoped_to_the_organisations_countries_and_expire(world: World) -> None:
    w = world
    ctx = w.ctx
    sink = ctx.feedback  # the bot's own sink: scrubs and dates as in production
    await sink.add_comment("ke-item", "en", "sms", "the agency in Nairobi kept my passport, call 0712 345 678", "KE")
    await sink.add_comment("ph-item", "ar", "telegram", "more about wages please", "PH")
    await sink.add_comment("ke-item", "en", "console", "no country given", None)
    old = DatabaseFeedbackSink(ctx.sessionmaker, ctx.settings.comment_retention_days,
                               today=lambda: dt.date.today() - dt.timedelta(days=ctx.settings.comment_retention_days + 3))
    await old.add_comment("ke-item", "en", "sms", "an old comment past its retention", "KE")

    kenya = (await w.client.get("/feedback/comments", headers=w.h("kenya", "analyst"))).json()
    assert kenya["total"] == 1 and [c["country"] for c in kenya["comments"]] == ["KE"]
    [comment] = kenya["comments"]
    assert "0712" not in comment["comment"] and "call [" in comment["comment"]
    assert set(comment) == {"day", "item", "locale", "channel", "country", "comment"}
    for org, role in (("global", "analyst"), ("global", "admin")):
        everyone = (await w.client.get("/feedback/comments", headers=w.h(org, role))).json()
        assert everyone["total"] == 3
        texts = " ".join(c["comment"] for c in everyone["comments"])
        assert "more about wages" in texts and "no country given" in texts and "old comment" not in texts
    assert (await w.client.get("/feedback/comments", headers=w.h("kenya", "admin"))).json()["total"] == 1
    filtered = (await w.client.get("/feedback/comments", params={"locale": "ar"}, headers=w.h("global", "analyst"))).json()
    assert [c["comment"] for c in filtered["comments"]] == ["more about wages please"]
    page = (await w.client.get("/feedback/comments", params={"limit": 1, "offset": 1}, headers=w.h("global", "analyst"))).json()
    assert page["total"] == 3 and len(page["comments"]) == 1
    for role in ("editor", "reviewer"):
        assert (await w.client.get("/feedback/comments", headers=w.h("global", role))).status_code == 403
    # every read is in the audit log (filters and count only, never the text)
    events = (await w.client.get("/audit", params={"target_type": "feedback"}, headers=w.h("kenya", "admin"))).json()["events"]
    assert events and events[0]["action"] == "feedback.comments.read" and events[0]["detail"]["returned"] == 1
    assert "passport" not in str(events)


# --- from the chat to the aggregate -------------------------------------------------------------

async def needs_conversation(ctx, user_key: str, channel: str = "console", country: str = "KE",
                             comment: str | None = None) -> Woman:
    """A whole conversation: language, consent, profile, two needs, a rating, maybe a comment."""
    item_id = "ke-item" if "ke-item" in ctx.content.library.items else next(iter(ctx.content.library.items))
    woman = Woman(ctx.engine, user_key=user_key, channel=channel)
    await woman.says("hello")
    await woman.picks("l:en")
    await woman.picks("fb")
    reply = await woman.picks("Tell us what you need")
    assert "without your name" in reply.text  # the consent line comes first
    await woman.picks("ok:y")
    await woman.picks("pg:woman")
    await woman.picks("pa:25_34")
    await woman.picks("po:NP")
    await woman.picks(f"pn:{country}")
    await woman.picks("ps:destination")
    await woman.picks("nd:legal_aid")
    await woman.picks("nd:work_wages")
    await woman.picks("nd:done")
    await woman.picks("ur:now")
    reply = await woman.picks(f"nc:{country}")
    assert "Thank you" in reply.text
    await woman.picks(f"i:{item_id}")
    reply = await woman.picks(f"r:y:{item_id}")
    assert "Thank you" in reply.text
    if comment:
        await woman.picks(f"cm:{item_id}")
        reply = await woman.says(comment)
        assert "removed any numbers" in reply.text
    return woman


async def test_a_womans_console_conversation_reaches_the_aggregate(world: World) -> None:
    w = world
    ctx = w.ctx
    h = w.h("kenya", "analyst")
    params = {"by": "gender,need", "country": "KE"}
    before = (await w.client.get("/feedback/aggregate", params=params, headers=h)).json()
    assert before["cells"] == [] and before["total"] is None
    await needs_conversation(ctx, ctx.user_keys.key("console", "local-user-1"))
    one = (await w.client.get("/feedback/aggregate", params=params, headers=h)).json()
    # she is there, and she is one person: hidden, never shown as 1
    assert {(c["gender"], c["need"]): c["count"] for c in one["cells"]} == {
        ("woman", "legal_aid"): None, ("woman", "work_wages"): None}
    assert all(c["suppressed"] for c in one["cells"]) and one["total"] is None
    for n in range(2, 8):
        await needs_conversation(ctx, ctx.user_keys.key("console", f"local-user-{n}"))
    seven = (await w.client.get("/feedback/aggregate", params=params, headers=h)).json()
    cells = {(c["gender"], c["need"]): c["count"] for c in seven["cells"]}
    assert set(cells) == {("woman", "legal_aid"), ("woman", "work_wages")}
    assert all(v is not None and K <= v and abs(v - 7) <= 2 for v in cells.values())
    assert abs(seven["total"] - 14) <= 2
    stage = (await w.client.get("/feedback/aggregate", params={"by": "stage,channel"}, headers=h)).json()
    assert [(c["stage"], c["channel"]) for c in stage["cells"]] == [("destination", "console")]
    helpful = (await w.client.get("/feedback/helpfulness", params={"by": "item"}, headers=h)).json()
    assert [(c["item"], c["rating"]) for c in helpful["cells"]] == [("ke-item", "yes")]
    assert helpful["cells"][0]["count"] >= K


async def test_no_identifier_phone_or_raw_comment_in_the_database_or_the_logs(world: World, caplog) -> None:
    w = world
    ctx = w.ctx
    caplog.set_level(logging.DEBUG)
    phone, chat_id = "+254712345678", "987654321"
    raw_comment = ("Call me on +254 712 345 678 or write to amina.wanjiru@example.com, "
                   "the agent kept passport A7654321, see www.badagency.com")
    sms_key = ctx.user_keys.key("sms", phone)
    tg_key = ctx.user_keys.key("telegram", chat_id)
    await needs_conversation(ctx, sms_key, channel="sms", comment=raw_comment)
    await needs_conversation(ctx, tg_key, channel="telegram", comment="Thank you, my number is 0712345678")
    comments = (await w.client.get("/feedback/comments", headers=w.h("kenya", "analyst"))).json()["comments"]
    assert len(comments) == 2

    dump = []
    async with ctx.sessionmaker() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).all():
                dump.append(f"{table.name}: {tuple(row)!r}")
    text = "\n".join(dump)
    assert "feedback:" in text and "the agent kept passport" in text  # the dump has the records
    forbidden = [phone, "254712345678", "712345678", "712 345 678", chat_id, sms_key, tg_key,
                 "amina.wanjiru", "example.com", "A7654321", "badagency", "0712345678", raw_comment]
    for needle in forbidden:
        assert needle not in text, needle
        assert needle not in caplog.text, needle
        assert needle not in str(comments), needle
    async with ctx.sessionmaker() as session:
        records = (await session.scalars(select(FeedbackRecord))).all()
    assert records and all(r.day == dt.datetime.now(dt.timezone.utc).date() for r in records)
