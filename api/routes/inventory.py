"""Stock levels, as inventory reports them."""

from typing import Annotated

from fastapi import APIRouter, Path

from api.auth import AUTH_ERRORS, Caller
from api.deps import StockDep
from api.errors import NotFound
from api.schemas import Problem
from ordersaga.contracts.queries import StockLevel

router = APIRouter(prefix="/inventory", tags=["inventory"])

SkuPath = Annotated[str, Path(pattern=r"^[A-Z0-9][A-Z0-9-]{0,63}$", examples=["SKU-42"])]


@router.get(
    "/{sku}",
    summary="Read a SKU's stock",
    response_model=StockLevel,
    responses={**AUTH_ERRORS, 404: {"model": Problem}, 503: {"model": Problem}},
)
async def read_stock(sku: SkuPath, stock: StockDep, _caller: Caller) -> StockLevel:
    """Ask inventory for a SKU's stock: on hand, reserved, available, and its price."""
    level = await stock.level(sku)
    if not level.found:
        raise NotFound(f"SKU {sku} not found")
    return level
