"""Errors the API turns into answers: the reason for the client, never a stack trace."""

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from temporalio.service import RPCError, RPCStatusCode

log = logging.getLogger("ordersaga.api")


class NotFound(Exception):  # noqa: N818
    """What was asked for does not exist."""


class OrderNotFound(NotFound):
    def __init__(self, order_id: str) -> None:
        super().__init__(f"order {order_id} not found")


class Refused(Exception):  # noqa: N818 - a refusal is an answer, not a fault
    """The saga refused what was asked (cancel after the pivot, a reused key...)."""


class Unavailable(Exception):  # noqa: N818
    """A service the request needs did not answer."""


def install(app: FastAPI) -> None:
    app.add_exception_handler(NotFound, _answer(404))
    app.add_exception_handler(Refused, _answer(409))
    app.add_exception_handler(Unavailable, _answer(503))
    app.add_exception_handler(RPCError, _rpc_error)
    app.add_exception_handler(Exception, _unexpected)


def _answer(status: int):  # type: ignore[no-untyped-def]
    async def handler(_request: Request, error: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=status)

    return handler


async def _rpc_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RPCError)
    if error.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
        return JSONResponse({"detail": "Temporal is unavailable"}, status_code=503)
    return await _unexpected(_request, error)


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
    return JSONResponse({"detail": "internal error"}, status_code=500)
