"""Audit events: who did what to which record; never key values, message text or personal data."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from admin_api.roles import Actor
from bot.models import AuditEvent


def audit(session: AsyncSession, actor: Actor | None, action: str, target_type: str,
          target_id: str | int, detail: dict[str, Any] | None = None, *,
          org_id: int | None = None, actor_name: str | None = None) -> None:
    """Add an event to the caller's transaction, so the change and its record commit together."""
    session.add(AuditEvent(
        org_id=actor.org_id if actor else org_id,
        actor=actor.prefix if actor else (actor_name or "system"),
        action=action, target_type=target_type, target_id=str(target_id)[:80],
        detail=detail or {}))
