"""UI strings: a language's words for menus, buttons and messages, managed like content.

A CSO adds or corrects a language without a release: it writes the strings (JSON, or a PO file
from its translators' own tools), a reviewer approves them, and every running bot compiles the
published strings within seconds. Which languages the bot offers follows the rule in
bot.i18n.Catalogs (all strings translated and published, enough published items in it, and
the deployment's LANGUAGES setting); `GET /ui-strings` and `GET /translations/todo` show it.

UI strings are shared by every organisation (they are the bot's words, not anyone's data):
editors write drafts, reviewers publish, archive (withdraw) or delete them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Response, status
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admin_api.api.common import Versioned, send_etag
from admin_api.api.deps import CtxDep, Editor, IfMatch, LocalePath, Reader, Reviewer, SessionDep, Submitter
from admin_api.api.writes import Edit, Target, WriterDep
from admin_api.audit import audit
from admin_api.errors import field_error, not_found
from admin_api.roles import Actor
from bot.content_repository import bump_revision, publish_ui
from bot.i18n import SOURCE_LOCALE, Catalogs, LanguageState
from bot.models import UiCatalog
from bot.ui_strings import PLURAL_FORMS, Messages, missing, parse_po, problems, to_po, translated_count

router = APIRouter(prefix="/ui-strings", tags=["languages"])
WHAT = "UI strings"
Text = str | list[str]


class LanguageOut(BaseModel):
    locale: str
    name: str
    status: str | None = Field(description="draft, in_review, published or archived; null: English, the source")
    version: int | None
    published_version: int | None
    translated: int = Field(description="strings of the template with a text in the working copy")
    total: int
    offered: bool = Field(description="whether the running bot offers it now")
    needs: list[str] = Field(description="what it still needs before the bot offers it")


class TemplateString(BaseModel):
    msgid: str
    plural: str | None


class UiStringsIn(Versioned):
    """A language's strings, whole: msgid -> text (a list of plural forms for plural strings)."""

    name: str | None = Field(default=None, min_length=1, max_length=80,
                             description="the language's name as its speakers write it")
    plural_forms: str | None = Field(default=None, max_length=200,
                                     description='the PO Plural-Forms rule, e.g. "nplurals=2; plural=(n != 1);"; '
                                                 "default: CLDR's")
    messages: dict[Annotated[str, Field(max_length=4000)], Text] = Field(max_length=2000)


class UiStringsOut(BaseModel):
    locale: str
    name: str | None
    status: str
    version: int
    published_version: int | None
    plural_forms: str | None
    messages: dict[str, Text]
    missing: list[str] = Field(description="template strings with no text yet")


def _out(row: UiCatalog, ctx_template: dict) -> UiStringsOut:
    messages = dict(row.messages or {})
    rule = messages.pop(PLURAL_FORMS, None)
    return UiStringsOut(locale=row.locale, name=row.name, status=row.status, version=row.version,
                        published_version=row.published_version, plural_forms=rule,  # type: ignore[arg-type]
                        messages=messages, missing=missing(row.messages or {}, ctx_template))


async def load_catalog(session: AsyncSession, actor: Actor, locale: str) -> UiCatalog:
    row = await session.get(UiCatalog, locale)
    if row is None:
        raise not_found(WHAT)
    return row


UI = Target(name="ui strings", model=UiCatalog, load=load_catalog, keeps_versions=False)


def _audit(row: UiCatalog) -> dict:
    return {"version": row.version, "status": row.status, "strings": len(row.messages or {})}


def _checked(locale: str, messages: Messages, template: dict, where: tuple[str, ...]) -> Messages:
    if locale == SOURCE_LOCALE:
        raise field_error(("path", "locale"), "English is the source language: change the code's strings")
    found = problems(messages, locale, template)
    if found:
        msgid, problem = next(iter(found.items()))
        raise field_error((*where, msgid), f"{problem} ({len(found)} string(s) with a problem)")
    return messages


async def _write(locale: str, messages: Messages, name: str | None, version: int | None, if_match: str | None,
                 actor: Actor, writer: WriterDep, response: Response, template: dict) -> UiStringsOut:
    """Create the language's working copy (201) or replace it (a new draft)."""
    existing = await writer.session.get(UiCatalog, locale)
    if existing is None:
        if version is not None or if_match is not None:
            raise not_found(WHAT)
        row = UiCatalog(locale=locale, name=name, messages=messages, status="draft", version=1)
        row = await writer.create(actor, UI, row, Edit("ui_strings.create", _audit))
        response.status_code = status.HTTP_201_CREATED
        return _out(row, template)

    async def plan(row: UiCatalog) -> Edit[UiCatalog]:
        def apply(row: UiCatalog) -> None:
            row.messages, row.status = messages, "draft"
            if name is not None:
                row.name = name

        return Edit("ui_strings.update", _audit, apply=apply)

    return _out(await writer.edit(actor, UI, locale, version, if_match, plan), template)


@router.get("", response_model=list[LanguageOut])
async def list_languages(actor: Reader, session: SessionDep, ctx: CtxDep) -> list[LanguageOut]:
    """Every language with UI strings, where it stands, and whether the bot offers it now."""
    return await language_overview(session, ctx.catalogs)


async def language_overview(session: AsyncSession, catalogs: Catalogs) -> list[LanguageOut]:
    """The running bot's view (offered or not, and why) joined with the working copies."""
    states: dict[str, LanguageState] = {s.locale: s for s in catalogs.states}
    rows = {r.locale: r for r in (await session.scalars(select(UiCatalog).order_by(UiCatalog.locale))).all()}
    order = [s.locale for s in catalogs.states] + [loc for loc in rows if loc not in states]
    out = []
    for loc in dict.fromkeys(order):
        row, state = rows.get(loc), states.get(loc)
        total = len(catalogs.template)
        translated = total if loc == SOURCE_LOCALE else (translated_count(row.messages or {}, catalogs.template) if row else 0)
        needs = state.missing if state else ["its UI strings are not published"]
        if row is not None and row.status != "published" and loc != SOURCE_LOCALE:
            needs = [f"its working copy is {row.status.replace('_', ' ')}", *needs]
        out.append(LanguageOut(locale=loc, name=(row.name if row and row.name else catalogs.name(loc)),
                               status=None if loc == SOURCE_LOCALE else (row.status if row else None),
                               version=row.version if row else None,
                               published_version=row.published_version if row else None,
                               translated=translated, total=total, offered=loc in catalogs.locales,
                               needs=[] if loc in catalogs.locales else needs))
    return out


@router.get("/template", response_model=list[TemplateString])
async def template(actor: Reader, ctx: CtxDep) -> list[TemplateString]:
    """Every string the bot uses (msgid, and msgid_plural for plural strings), in English."""
    return [TemplateString(msgid=e.msgid, plural=e.plural) for e in ctx.catalogs.template.values()]


@router.get("/{locale}", response_model=UiStringsOut)
async def get_ui_strings(locale: LocalePath, actor: Reader, session: SessionDep, ctx: CtxDep,
                         response: Response) -> UiStringsOut:
    """A language's working copy; the ETag is the version to send back on a write."""
    row = await load_catalog(session, actor, locale)
    send_etag(response, row.version)
    return _out(row, ctx.catalogs.template)


@router.put("/{locale}", response_model=UiStringsOut,
            responses={status.HTTP_201_CREATED: {"description": "a language that had no UI strings"}})
async def put_ui_strings(locale: LocalePath, body: UiStringsIn, actor: Editor, writer: WriterDep, ctx: CtxDep,
                         response: Response, if_match: IfMatch = None) -> UiStringsOut:
    """Write a language's strings, whole (a new draft: the bot keeps serving the published ones)."""
    messages: Messages = dict(body.messages)
    if body.plural_forms:
        messages[PLURAL_FORMS] = body.plural_forms
    _checked(locale, messages, ctx.catalogs.template, ("body", "messages"))
    return await _write(locale, messages, body.name, body.version, if_match, actor, writer, response,
                        ctx.catalogs.template)


@router.get("/{locale}/po", response_class=PlainTextResponse)
async def export_po(locale: LocalePath, actor: Reader, session: SessionDep, ctx: CtxDep) -> Response:
    """The working copy as a PO file over the whole template (untranslated strings empty)."""
    row = await load_catalog(session, actor, locale)
    data = to_po(row.messages or {}, locale, ctx.catalogs.template, row.name or "")
    return Response(data, media_type="text/x-gettext-translation; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{locale}.po"', "ETag": f'"{row.version}"'})


@router.put("/{locale}/po", response_model=UiStringsOut,
            responses={status.HTTP_201_CREATED: {"description": "a language that had no UI strings"}})
async def import_po(locale: LocalePath, actor: Editor, writer: WriterDep, ctx: CtxDep, response: Response,
                    po: Annotated[bytes, Body(media_type="text/x-gettext-translation")],
                    if_match: IfMatch = None) -> UiStringsOut:
    """Replace a language's strings from a PO file (fuzzy and empty entries are left out).
    An existing language needs `If-Match` with the version read."""
    try:
        messages = parse_po(po, locale)
    except Exception:  # noqa: BLE001 - Babel raises several kinds on a broken file
        raise field_error(("body",), "not a PO file Babel can read") from None
    messages = {k: v for k, v in messages.items() if k == PLURAL_FORMS or k in ctx.catalogs.template}
    _checked(locale, messages, ctx.catalogs.template, ("body",))
    return await _write(locale, messages, None, None, if_match, actor, writer, response, ctx.catalogs.template)


# action -> (the statuses it may start from, the status it leads to)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "submit": (("draft",), "in_review"),
    "approve": (("in_review",), "published"),
    "reject": (("in_review",), "draft"),
    "archive": (("draft", "in_review", "published"), "archived"),
}


async def _transition(action: str, locale: str, actor: Actor, writer: WriterDep, ctx: CtxDep,
                      body: Versioned | None, if_match: str | None) -> UiStringsOut:
    sources, target = TRANSITIONS[action]

    async def plan(row: UiCatalog) -> Edit[UiCatalog]:
        if row.status not in sources:
            raise HTTPException(status.HTTP_409_CONFLICT,
                                f"cannot {action} UI strings that are {row.status.replace('_', ' ')}; "
                                f"only from: {', '.join(s.replace('_', ' ') for s in sources)}")
        if target == "published":
            _checked(locale, dict(row.messages or {}), ctx.catalogs.template, ("messages",))

        def apply(row: UiCatalog) -> None:
            if target == "published":
                publish_ui(row)
            else:
                row.status = target

        return Edit(f"ui_strings.{action}", _audit, apply=apply, live=target in ("published", "archived"))

    return _out(await writer.edit(actor, UI, locale, body.version if body else None, if_match, plan),
                ctx.catalogs.template)


@router.post("/{locale}/submit", response_model=UiStringsOut)
async def submit_ui_strings(locale: LocalePath, actor: Submitter, writer: WriterDep, ctx: CtxDep,
                            body: Versioned | None = None, if_match: IfMatch = None) -> UiStringsOut:
    """Draft -> in review: ask a reviewer to check it."""
    return await _transition("submit", locale, actor, writer, ctx, body, if_match)


@router.post("/{locale}/approve", response_model=UiStringsOut)
async def approve_ui_strings(locale: LocalePath, actor: Reviewer, writer: WriterDep, ctx: CtxDep,
                             body: Versioned | None = None, if_match: IfMatch = None) -> UiStringsOut:
    """In review -> published: every bot compiles these strings within seconds (no restart)."""
    return await _transition("approve", locale, actor, writer, ctx, body, if_match)


@router.post("/{locale}/reject", response_model=UiStringsOut)
async def reject_ui_strings(locale: LocalePath, actor: Reviewer, writer: WriterDep, ctx: CtxDep,
                            body: Versioned | None = None, if_match: IfMatch = None) -> UiStringsOut:
    """In review -> draft: back to the translators; the bot keeps what it serves."""
    return await _transition("reject", locale, actor, writer, ctx, body, if_match)


@router.post("/{locale}/archive", response_model=UiStringsOut)
async def archive_ui_strings(locale: LocalePath, actor: Reviewer, writer: WriterDep, ctx: CtxDep,
                             body: Versioned | None = None, if_match: IfMatch = None) -> UiStringsOut:
    """Withdraw the language: the bot stops offering it at once; its strings stay, to publish again."""
    return await _transition("archive", locale, actor, writer, ctx, body, if_match)


@router.delete("/{locale}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_ui_strings(locale: LocalePath, actor: Reviewer, session: SessionDep, ctx: CtxDep) -> Response:
    """Delete a language's strings: the bot withdraws it at once (204 also when there were none:
    deleting is idempotent). A shipped language comes back from locales/ with `content load`;
    archive it to keep it withdrawn."""
    row = await session.get(UiCatalog, locale)
    if row is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    audit(session, actor, "ui_strings.delete", WHAT, locale, {"version": row.version})
    await session.delete(row)
    await bump_revision(session)
    await session.commit()
    await ctx.content.refresh()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
