"""Every error is a JSON body `{"detail": ...}`; validation errors name the field at fault."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

log = logging.getLogger(__name__)


class VersionConflict(Exception):
    """A write based on a stale version: answered 409 with the current version, never applied."""

    def __init__(self, current: int | None, what: str = "record") -> None:
        self.current = current
        self.what = what


def not_found(what: str = "item") -> HTTPException:
    """404 for unknown ids and for other organisations' records alike, so existence does not leak."""
    return HTTPException(status.HTTP_404_NOT_FOUND, f"{what} not found")


def forbidden() -> HTTPException:
    return HTTPException(status.HTTP_403_FORBIDDEN, "your role does not allow this")


def _clean(errors: list[Any]) -> list[dict[str, Any]]:
    """Field, message and type only: the rejected input is not echoed back (it may be large)."""
    out = []
    for err in errors:
        out.append({"loc": [str(p) if not isinstance(p, int) else p for p in err.get("loc", ())],
                    "msg": str(err.get("msg", "")), "type": str(err.get("type", ""))})
    return out


def body_validation_error(exc: ValidationError, prefix: tuple[str | int, ...] = ("body",)) -> RequestValidationError:
    """A pydantic error met while building a model from a request, re-rooted at the request field."""
    errors = []
    for err in exc.errors():
        errors.append({**err, "loc": (*prefix, *err.get("loc", ()))})
    return RequestValidationError(errors)


def field_error(loc: tuple[str | int, ...], msg: str) -> RequestValidationError:
    """A 422 for one field, from a check that pydantic cannot express (e.g. country scope)."""
    return RequestValidationError([{"loc": loc, "msg": msg, "type": "value_error"}])


def install(app: FastAPI) -> None:
    """Register the handlers that keep every answer JSON and every failure free of tracebacks."""

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _clean(list(exc.errors()))},
                            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)

    @app.exception_handler(VersionConflict)
    async def _conflict(request: Request, exc: VersionConflict) -> JSONResponse:
        if exc.current is None:
            detail = f"{exc.what} already exists"
        else:
            detail = (f"{exc.what} was changed by someone else: the current version is "
                      f"{exc.current}; read it again and re-apply your change")
        return JSONResponse({"detail": detail, "current_version": exc.current},
                            status_code=status.HTTP_409_CONFLICT)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
        return JSONResponse({"detail": "internal error"}, status_code=500)
