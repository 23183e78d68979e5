"""Errors the API turns into answers: the reason for the client, never a stack trace."""

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from temporalio.client import RPCTimeoutOrCancelledError
from temporalio.service import RPCError, RPCStatusCode

from ordersaga.projector.reads import NotServing

log = logging.getLogger("ordersaga.api")

TEMPORAL_DOWN = (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED)


class ApiError(Exception):
    """An answer other than success; its message is the `detail` the client reads."""

    status_code = 500


class NotFound(ApiError):  # noqa: N818
    """What was asked for does not exist."""

    status_code = 404


class OrderNotFound(NotFound):
    def __init__(self, order_id: str) -> None:
        super().__init__(f"order {order_id} not found")


class Refused(ApiError):  # noqa: N818 - a refusal is an answer, not a fault
    """The saga refused what was asked (cancel after the pivot, a reused key...)."""

    status_code = 409


class Unavailable(ApiError):  # noqa: N818
    """A service the request needs did not answer; the client may retry after a while."""

    status_code = 503
    retry_after_seconds = 1


class BadRequest(ApiError):
    """A parameter the API cannot use; the message names it and says why."""

    status_code = 422


def install(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(NotServing, _not_serving)
    app.add_exception_handler(RPCError, _rpc_error)
    app.add_exception_handler(RPCTimeoutOrCancelledError, _temporal_down)
    app.add_exception_handler(Exception, _unexpected)


async def _api_error(_request: Request, error: Exception) -> JSONResponse:
    status = error.status_code if isinstance(error, ApiError) else 500
    headers = (
        {"Retry-After": str(error.retry_after_seconds)} if isinstance(error, Unavailable) else None
    )
    return JSONResponse({"detail": str(error)}, status_code=status, headers=headers)


async def _not_serving(_request: Request, error: Exception) -> JSONResponse:
    return await _api_error(_request, Unavailable(str(error)))


async def _rpc_error(request: Request, error: Exception) -> JSONResponse:
    if isinstance(error, RPCError) and error.status in TEMPORAL_DOWN:
        return await _temporal_down(request, error)
    return await _unexpected(request, error)


async def _temporal_down(request: Request, error: Exception) -> JSONResponse:
    log.warning("Temporal did not answer %s %s: %s", request.method, request.url.path, error)
    return JSONResponse(
        {"detail": "Temporal is unavailable"}, status_code=503, headers={"Retry-After": "1"}
    )


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
    return JSONResponse({"detail": "internal error"}, status_code=500)
