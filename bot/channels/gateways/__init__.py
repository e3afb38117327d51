"""The SMS gateways: every module here defines `GATEWAY`, a bot.channels.gateway.Gateway subclass."""

from __future__ import annotations

import importlib
import pkgutil

from bot.channels.gateway import Gateway


def gateway_classes() -> list[type[Gateway]]:
    """Every gateway module of this package, in name order."""
    found = []
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        found.append(importlib.import_module(f"{__name__}.{module.name}").GATEWAY)
    return found
