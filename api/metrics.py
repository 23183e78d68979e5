"""The API's request metrics: every HTTP request counted by method, route template and status,
and timed by method and route template. The route is the template (`/orders/{order_id}`), never
the path, so an order id is never a label; a request no route matched is `unmatched`.

Recorded in the process's prometheus_client registry, which `create_app` serves on
ORDERSAGA_METRICS_PORT (not on the API's own port: /metrics is not for the API's callers).
"""

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ordersaga.telemetry.metrics import HTTP_REQUESTS, HTTP_SECONDS
from ordersaga.telemetry.prometheus_meter import PROMETHEUS


class RequestMetrics:
    """Pure ASGI middleware: it does not touch the request or the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # what the client gets if the app raises before it answers
        began = time.perf_counter()

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope["method"]
            PROMETHEUS.count(HTTP_REQUESTS, method=method, route=route, status=str(status))
            PROMETHEUS.observe(
                HTTP_SECONDS, time.perf_counter() - began, method=method, route=route
            )
