"""Who is calling the API: the key it presents (`Authorization: Bearer demo-alice`) names a
customer or an operator (ordersaga/access.py). No key or an unknown one is a 401; a customer at
an operator's endpoint a 403; another customer's order is not found."""

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import ApiError, BadRequest
from api.schemas import Problem
from ordersaga.access import Credentials, Principal


class Unauthenticated(ApiError):  # noqa: N818
    status_code = 401


class Forbidden(ApiError):  # noqa: N818
    status_code = 403


_bearer = HTTPBearer(auto_error=False, description="an API key: `Authorization: Bearer <key>`")


async def _caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise Unauthenticated("an API key is required: Authorization: Bearer <key>")
    keys: Credentials = request.app.state.credentials
    found = keys.principal(credentials.credentials)
    if found is None:
        raise Unauthenticated("this API key is not known")
    return found


async def _operator(caller: Annotated[Principal, Depends(_caller)]) -> Principal:
    if not caller.is_operator:
        raise Forbidden("this needs an operator's API key")
    return caller


def customer_of(caller: Principal, named: str | None) -> str:
    """The customer an order is for: the caller's own; an operator names one."""
    if caller.is_operator:
        if named is None:
            raise BadRequest("body", "customer_id", "an operator names the customer")
        return named
    assert caller.customer_id is not None
    if named is not None and named != caller.customer_id:
        raise Forbidden(f"this API key places orders for {caller.customer_id} only")
    return caller.customer_id


AUTH_ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": Problem}, 403: {"model": Problem}}
Caller = Annotated[Principal, Depends(_caller)]
Operator = Annotated[Principal, Depends(_operator)]
