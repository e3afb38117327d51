"""Comments and raw records are purged after their retention period."""

import datetime as dt

from sqlalchemy import select

from bot.feedback import DatabaseFeedbackSink, Feedback, purge_expired
from bot.models import FeedbackRecord


async def test_comments_expire_and_old_records_are_dropped(ctx):
    day = [dt.date(2026, 1, 1)]
    sink = DatabaseFeedbackSink(ctx.sessionmaker, comment_retention_days=30, today=lambda: day[0])
    await sink.add([Feedback(kind="need", channel="sms", locale="en", need="shelter")])
    await sink.add_comment("some-item", "en", "sms", "more about wages please", "PH")
    day[0] = dt.date(2026, 1, 20)
    await sink.add([Feedback(kind="rating", channel="sms", locale="en", rating="yes")])

    assert await purge_expired(ctx.sessionmaker, 365, today=dt.date(2026, 1, 15)) == (0, 0)
    blanked, _ = await purge_expired(ctx.sessionmaker, 365, today=dt.date(2026, 2, 1))
    assert blanked == 1
    async with ctx.sessionmaker() as s:
        rows = (await s.scalars(select(FeedbackRecord))).all()
    assert all(r.comment is None for r in rows)
    assert sorted(r.kind for r in rows) == ["need", "rating"]  # the emptied comment record is gone

    _, dropped = await purge_expired(ctx.sessionmaker, 10, today=dt.date(2026, 1, 25))
    assert dropped == 1
