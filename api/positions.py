"""Consistency tokens for write answers: each source's head, asked over request/reply once the
write has taken effect. A read that sends the token back sees at least that much."""

import asyncio
import uuid
from typing import Protocol

from fastapi import Response

from ordersaga.contracts.snapshots import GetHead, Head
from ordersaga.projector.consistency import Token
from ordersaga.rabbitmq.request_reply import RequestClient
from ordersaga.rabbitmq.topology import SOURCES, Topology

HEAD_TIMEOUT_SECONDS = 1.0
TOKEN_HEADER = "X-Consistency-Token"


class PositionsGateway(Protocol):
    async def token(self) -> str | None:
        """The token of everything committed so far; None if no source answered."""
        ...


class SourceHeads:
    def __init__(self, client: RequestClient, topology: Topology) -> None:
        self._client, self._topology = client, topology

    async def token(self) -> str | None:
        answers = await asyncio.gather(*(self._head(s) for s in SOURCES), return_exceptions=True)
        positions = {
            source: answer for source, answer in zip(SOURCES, answers, strict=True)
            if isinstance(answer, int)
        }  # fmt: skip
        return str(Token(positions)) if positions else None

    async def _head(self, source: str) -> int:
        raw = await self._client.request(
            self._topology.query_queue(source), GetHead(), uuid.uuid4().hex, HEAD_TIMEOUT_SECONDS
        )
        return Head.model_validate_json(raw).seq


class NoPositions:
    """For an app whose request client is faked: write answers carry no token."""

    async def token(self) -> str | None:
        return None


async def stamp(response: Response, positions: PositionsGateway) -> str | None:
    """The token of everything committed so far, this write included, also set as the answer's
    X-Consistency-Token header; None (and no header) if no source answered."""
    token = await positions.token()
    if token is not None:
        response.headers[TOKEN_HEADER] = token
    return token
