"""Liveness and readiness, for the process supervisor and the load balancer."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import SagasDep, StockDep

router = APIRouter(prefix="/health", tags=["health"])


@router.get("/live")
async def read_liveness() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/ready")
async def read_readiness(sagas: SagasDep, stock: StockDep) -> JSONResponse:
    """Temporal and RabbitMQ answer: the API can take orders."""
    checks = {"temporal": await _safely(sagas.ready), "rabbitmq": stock.ready()}
    ready = all(checks.values())
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)


async def _safely(check) -> bool:  # type: ignore[no-untyped-def]
    try:
        return bool(await check())
    except Exception:
        return False
