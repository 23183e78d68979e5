"""Errors the API turns into answers: the reason for the client, never a stack trace."""

import logging

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path
from temporalio.client import RPCTimeoutOrCancelledError
from temporalio.service import RPCError

from ordersaga.projector.reads import NotServing

log = logging.getLogger("ordersaga.api")


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
    """A parameter the API cannot use: answered 422 in FastAPI's own shape (`detail` is a list
    of errors, each with `loc`, the field, and `msg`, the reason), like any validation error."""

    status_code = 422

    def __init__(self, where: str, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.loc, self.reason = [where, field], reason


def install(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(NotServing, _not_serving)
    app.add_exception_handler(DBAPIError, _read_model_down)
    app.add_exception_handler(RPCError, _rpc_error)
    app.add_exception_handler(RPCTimeoutOrCancelledError, _temporal_down)
    app.add_exception_handler(Exception, _unexpected)


async def _api_error(_request: Request, error: Exception) -> JSONResponse:
    if isinstance(error, BadRequest):
        problem = {"loc": error.loc, "msg": error.reason, "type": "value_error"}
        return JSONResponse({"detail": [problem]}, status_code=422)
    status = error.status_code if isinstance(error, ApiError) else 500
    headers = (
        {"Retry-After": str(error.retry_after_seconds)} if isinstance(error, Unavailable) else None
    )
    return JSONResponse({"detail": str(error)}, status_code=status, headers=headers)


async def _http_error(request: Request, error: Exception) -> Response:
    """Starlette's own answers; a 405 lists in `Allow` every method the path takes, as the
    schema documents them (routers declare one path in several places: POST /orders in one,
    GET /orders in another, and Starlette would name only the first)."""
    assert isinstance(error, StarletteHTTPException)
    if error.status_code != 405:
        return await http_exception_handler(request, error)
    paths: dict[str, dict[str, object]] = request.app.openapi()["paths"]
    methods = sorted(
        {m.upper() for template, operations in paths.items()
         if compile_path(template)[0].match(request.url.path) for m in operations}
    )  # fmt: skip
    return JSONResponse(
        {"detail": "Method Not Allowed"}, status_code=405, headers={"Allow": ", ".join(methods)}
    )


async def _not_serving(_request: Request, error: Exception) -> JSONResponse:
    return await _api_error(_request, Unavailable(str(error)))


async def _read_model_down(request: Request, error: Exception) -> JSONResponse:
    log.warning("the read model failed %s %s: %s", request.method, request.url.path, error)
    return await _api_error(request, Unavailable("the read model is unavailable; retry shortly"))


async def _rpc_error(request: Request, error: Exception) -> JSONResponse:
    """Temporal failed the call (down, overloaded, the RPC cut or cancelled): a dependency
    failure, 503; never a 500 with Temporal's words."""
    return await _temporal_down(request, error)


async def _temporal_down(request: Request, error: Exception) -> JSONResponse:
    log.warning("Temporal did not answer %s %s: %s", request.method, request.url.path, error)
    return JSONResponse(
        {"detail": "Temporal is unavailable"}, status_code=503, headers={"Retry-After": "1"}
    )


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
    return JSONResponse({"detail": "internal error"}, status_code=500)
