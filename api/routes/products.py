"""Products with their stock, and customers with their money, as the read model holds them."""

from typing import Annotated

from fastapi import APIRouter, Path

from api.auth import Caller
from api.consistency import CaughtUp
from api.deps import ReadModelDep
from api.errors import NotFound
from api.routes.order_views import READ_ERRORS
from ordersaga.contracts.views import CustomerView, ProductAnswer, ProductPage

router = APIRouter(tags=["products and customers"])

SkuPath = Annotated[str, Path(pattern=r"^[A-Z0-9][A-Z0-9-]{0,63}$", examples=["SKU-42"])]
CustomerPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]{1,64}$", examples=["alice"])]


@router.get("/products", summary="List products", response_model=ProductPage, responses=READ_ERRORS)
async def list_products(read_model: ReadModelDep, _caller: Caller, _: CaughtUp) -> ProductPage:
    """Every product: on hand, reserved and available, as of the view's positions."""
    return await read_model.products()


@router.get(
    "/products/{sku}", summary="Read a product", response_model=ProductAnswer, responses=READ_ERRORS
)
async def read_product(
    sku: SkuPath, read_model: ReadModelDep, _caller: Caller, _: CaughtUp
) -> ProductAnswer:
    """A product's stock (on hand, reserved, available) as of the view's positions."""
    found = await read_model.product(sku)
    if found is None:
        raise NotFound(f"product {sku} not found")
    return found


@router.get(
    "/customers/{customer_id}",
    summary="Read a customer",
    response_model=CustomerView,
    responses=READ_ERRORS,
)
async def read_customer(
    customer_id: CustomerPath, read_model: ReadModelDep, caller: Caller, _: CaughtUp
) -> CustomerView:
    """How many orders a customer placed, and the money held and captured (a customer's key
    reads its own only)."""
    found = await read_model.customer(customer_id) if caller.may_see(customer_id) else None
    if found is None:
        raise NotFound(f"customer {customer_id} not found")
    return found
