"""Reads that wait for a write: the `X-Consistency-Token` header (or `consistent_with=`)."""

from typing import Annotated

from fastapi import Depends, Header, Query, Request

from api.errors import BadRequest, Unavailable
from ordersaga.projector.consistency import BadToken, Token
from ordersaga.projector.reads import ReadModel
from ordersaga.settings import ApiSettings

TokenHeader = Annotated[
    str | None,
    Header(max_length=500, description="a write answer's token: wait until the view has it"),
]
TokenQuery = Annotated[
    str | None, Query(max_length=500, description="the same as the X-Consistency-Token header")
]


async def _caught_up(
    request: Request,
    x_consistency_token: TokenHeader = None,
    consistent_with: TokenQuery = None,
) -> None:
    text = x_consistency_token or consistent_with
    if not text:
        return
    try:
        token = Token.parse(text)
    except BadToken as error:
        where, field = (
            ("header", "x-consistency-token")
            if x_consistency_token
            else ("query", "consistent_with")
        )
        raise BadRequest(where, field, f"not a consistency token: {error}") from None
    read_model: ReadModel = request.app.state.read_model
    settings: ApiSettings = request.app.state.settings
    if not await read_model.wait_for(token, settings.read_wait_seconds):
        raise Unavailable("the read model has not caught up with that write yet; retry shortly")


CaughtUp = Annotated[None, Depends(_caught_up)]
"""Depend on this before reading: returns once the view reflects the caller's token."""
