""""Ask a person": anonymous questions answered by CSO peer educators.

`services_for(ctx)` builds (once per AppContext) the address book, the outbox, its taskiq
dispatcher and the asking side; the engine and channels use `.asking`, the admin API uses
`bot.inbox.responding` with `.addresses` and `.dispatcher`. Call `await services.start()` at
start-up (delivers in-process unless OUTBOX_BROKER_URL is set) and `await services.stop()`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.addresses import Address, AddressBook, load_address_keys
from bot.inbox.asking import Asking, AskResult
from bot.outbox import Backoff, DeliveryResult, Outbox, Sender
from bot.privacy import load_secret
from bot.worker import Dispatcher, build_dispatcher

__all__ = ["Address", "AskResult", "Asking", "DeliveryResult", "InboxServices", "Sender", "services_for"]

_ATTR = "_inbox_services"


@dataclass
class InboxServices:
    addresses: AddressBook
    outbox: Outbox
    dispatcher: Dispatcher
    asking: Asking
    _started: bool = False

    async def start(self, *, deliver: bool | None = None) -> None:
        if not self._started:
            await self.dispatcher.start(deliver=deliver)
            self._started = True

    async def stop(self) -> None:
        if self._started:
            await self.dispatcher.stop()
            self._started = False

    async def ask(self, user_key: str, address: Address, text: str, **kwargs: Any) -> AskResult:
        """`Asking.ask`, then the organisation's webhook (if any) is enqueued."""
        result = await self.asking.ask(user_key, address, text, **kwargs)
        if result.webhook_outbox_id is not None:
            await self.dispatcher.kick(result.webhook_outbox_id)
        return result


def services_for(ctx: Any, senders: Mapping[str, Sender] | None = None, *,
                 start_dispatcher: bool = True) -> InboxServices:
    """The inbox services of this running service, built on first use and kept on ctx.

    `senders` (channel kind -> Sender) may be given on first use or added later to
    `services.outbox.senders`; `start_dispatcher` is informational (start with `start()`).
    """
    existing = getattr(ctx, _ATTR, None)
    if existing is not None:
        if senders:
            existing.outbox.senders.update(senders)
        return existing
    settings = ctx.settings
    addresses = AddressBook(ctx.sessionmaker, load_address_keys(settings), load_secret(settings))
    outbox = Outbox(ctx.sessionmaker, addresses, senders or {},
                    backoff=Backoff(settings.outbox_base_delay_seconds, settings.outbox_max_delay_seconds,
                                    settings.outbox_max_attempts),
                    lease_seconds=settings.outbox_lease_seconds)
    services = InboxServices(addresses=addresses, outbox=outbox, dispatcher=build_dispatcher(settings, outbox),
                             asking=Asking(ctx.sessionmaker, settings, addresses))
    setattr(ctx, _ATTR, services)
    return services
