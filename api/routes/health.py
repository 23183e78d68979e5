"""Liveness and readiness, for the process supervisor and the load balancer."""

from collections.abc import Awaitable, Callable

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import OrdersDep, StockDep

router = APIRouter(prefix="/health", tags=["health"])


@router.get("/live", summary="Liveness")
async def read_liveness() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/ready", summary="Readiness", responses={503: {"description": "not ready"}})
async def read_readiness(orders: OrdersDep, stock: StockDep) -> JSONResponse:
    """Temporal and RabbitMQ answer: the API can take orders. 503 names what does not."""
    checks = {"temporal": await _safely(orders.ready), "rabbitmq": stock.ready()}
    ready = all(checks.values())
    body = {"status": "ok" if ready else "unavailable", "checks": checks}
    if not ready:
        body["detail"] = "not ready: " + ", ".join(name for name, ok in checks.items() if not ok)
    return JSONResponse(body, status_code=200 if ready else 503)


async def _safely(check: Callable[[], Awaitable[bool]]) -> bool:
    try:
        return bool(await check())
    except Exception:
        return False
