"""Logs that cannot link a person to what she said, at any level.

Configured once at start-up (`configure`, from `bot/__main__.py`):

* a redaction step on every record (installed as the log-record factory, so every handler
  sees it, and as a filter on the root logger and its handler): the message is formatted
  once and then
  - a keyed hash (any run of 13 or more hex digits) is cut to its first 12 characters,
  - a Telegram bot token becomes `[token]`, a long mixed letters-and-digits run (webhook keys,
    secrets) `[secret]`,
  - anything that looks like a phone number, and any run of 7 or more digits, `[number]`;
  a traceback goes through the same redaction;
* database-driver (sqlalchemy, aiosqlite, asyncpg, alembic) and HTTP-client (httpx, httpcore,
  telegram, hpack) loggers are capped: below WARNING (INFO for telegram and alembic) their
  records are dropped whatever level anyone sets, so statements, bound parameters (a comment, a
  keyed hash) and URLs (the bot token) never reach a log, even at LOG_LEVEL=DEBUG;
* `LOG_FORMAT=json`: one JSON object per line (time, level, logger, message, exc).

Our own code never logs message text, comments or whole records in the first place; this
is the net under it.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import IO, Any

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"

# logger name prefix -> the lowest level that may pass
CAPS: dict[str, int] = {
    "sqlalchemy": logging.WARNING, "aiosqlite": logging.WARNING, "asyncpg": logging.WARNING,
    "alembic": logging.INFO, "httpx": logging.WARNING, "httpcore": logging.WARNING,
    "hpack": logging.WARNING, "telegram": logging.INFO, "uvicorn.access": logging.WARNING,
    "multipart": logging.WARNING, "python_multipart": logging.WARNING, "taskiq": logging.INFO,
}

_TOKEN = re.compile(r"\b\d{5,12}:[A-Za-z0-9_-]{30,}")
_HEX = re.compile(r"(?<![0-9A-Za-z_-])([0-9a-fA-F]{12})[0-9a-fA-F]+(?![0-9A-Za-z_-])")
_HEX_IN_WORD = re.compile(r"([0-9a-f]{12})[0-9a-f]{28,}")  # a 40-hex keyed hash glued to other text
_SECRET = re.compile(r"(?<![A-Za-z0-9_-])(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])"
                     r"[A-Za-z0-9_-]{24,}(?![A-Za-z0-9_-])")
_PHONE = re.compile(r"(?<![\w+])\+?\d(?:[\s().-]{0,2}\d){6,}(?!\w)")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _phone(match: re.Match[str]) -> str:
    return match.group(0) if _DATE.fullmatch(match.group(0)) else "[number]"


def redact(text: str) -> str:
    """The message with tokens, secrets, phone-like numbers cut and keyed hashes shortened."""
    if not text:
        return text
    text = _TOKEN.sub("[token]", text)
    text = _HEX.sub(r"\1…", text)
    text = _HEX_IN_WORD.sub(r"\1…", text)
    text = _SECRET.sub("[secret]", text)
    return _PHONE.sub(_phone, text)


def capped(record: logging.LogRecord) -> bool:
    """True when the record comes from a capped library logger below its cap."""
    name = record.name
    for prefix, level in CAPS.items():
        if (name == prefix or name.startswith(prefix + ".")) and record.levelno < level:
            return True
    return False


def _redact_record(record: logging.LogRecord) -> None:
    if getattr(record, "_redacted", False):
        return
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: keep the template only
        message = str(record.msg)
    record.msg = redact(message)
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
        record.exc_info = None  # formatters now print the redacted exc_text
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    record._redacted = True  # type: ignore[attr-defined]


class RedactionFilter(logging.Filter):
    """Drops capped library records and redacts the rest (idempotent)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if capped(record):
            return False
        _redact_record(record)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            out["exc"] = record.exc_text
        return json.dumps(out, ensure_ascii=False)


class Logging:
    """What `configure` changed, so `restore` can undo it (tests)."""

    def __init__(self, handler: logging.Handler, old_factory: Any, old_level: int,
                 old_levels: dict[str, int]) -> None:
        self.handler = handler
        self.old_factory = old_factory
        self.old_level = old_level
        self.old_levels = old_levels
        self.filter = RedactionFilter()

    def restore(self) -> None:
        root = logging.getLogger()
        root.removeHandler(self.handler)
        root.removeFilter(self.filter)
        root.setLevel(self.old_level)
        logging.setLogRecordFactory(self.old_factory)
        for name, level in self.old_levels.items():
            logging.getLogger(name).setLevel(level)


def configure(level: str = "INFO", fmt: str = "text", stream: IO[str] | None = None) -> Logging:
    """Install one handler on the root logger (stderr, or `stream`), the redaction everywhere,
    the library caps, and the level. Calling it again replaces the earlier set-up."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_smb", False)]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._smb = True  # type: ignore[attr-defined]
    handler.setFormatter(JsonFormatter() if fmt.lower() == "json" else logging.Formatter(TEXT_FORMAT))
    old_factory = logging.getLogRecordFactory()
    setup = Logging(handler, old_factory, root.level,
                    {name: logging.getLogger(name).level for name in CAPS})
    handler.addFilter(setup.filter)
    root.addFilter(setup.filter)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name, cap in CAPS.items():  # also saves formatting what would be dropped
        logger = logging.getLogger(name)
        if logger.level < cap:
            logger.setLevel(cap)
    base = old_factory if not getattr(old_factory, "_smb", False) else old_factory.base  # type: ignore[attr-defined]

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = base(*args, **kwargs)
        if not capped(record):
            _redact_record(record)
        return record

    factory._smb = True  # type: ignore[attr-defined]
    factory.base = base  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
    return setup


def configure_from_settings(settings: Any, stream: IO[str] | None = None) -> Logging:
    return configure(settings.log_level, getattr(settings, "log_format", "text"), stream)
