"""An operator's commands: add a product, restock it, open a customer's account. Each sends the
service's own command over RabbitMQ (api/catalog.py) and answers with what the service did, and
a consistency token (X-Consistency-Token, `consistency_token`): a read that sends it back sees
the change.

- Operators only: no key or an unknown one 401, a customer's key 403.
- An Idempotency-Key names one command for good: a retry (after a 503, say) is the same command,
  answered from the service's stored reply; the key reused for a different request is 409.
  Without a key every request is a new command.
- Refusals: a SKU or an account that exists with other data 409; a restock of an unknown SKU 404;
  a restock past the most a SKU holds 422 naming `body.quantity`; a bad body 422 naming the field.
"""

import uuid
from collections.abc import Awaitable
from typing import Any, TypeVar

from fastapi import APIRouter, Response

from api.auth import AUTH_ERRORS, Operator
from api.catalog import CatalogDep
from api.deps import PositionsDep
from api.errors import BadRequest, NotFound, Refused
from api.positions import stamp
from api.routes.orders import UNREADABLE, IdempotencyKey
from api.routes.products import SkuPath
from api.schemas import (
    AccountCreate,
    AccountPublic,
    Problem,
    ProductCreate,
    ProductPublic,
    RestockCreate,
    RestockPublic,
)
from ordersaga.catalog import CatalogRefused
from ordersaga.contracts.commands import AddProduct, OpenAccount, Restock
from ordersaga.contracts.rejections import RejectionCode

router = APIRouter(tags=["operators: products and accounts"])

# Fixed, so an Idempotency-Key maps to the same command id in every API process, forever.
COMMAND_NAMESPACE = uuid.UUID("3b0f6c1e-8a4d-4f57-b1c9-6e2d7a90f4a3")

T = TypeVar("T")

WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **AUTH_ERRORS,
    400: UNREADABLE,
    409: {"model": Problem, "description": "it exists with other data, or the key was reused"},
    413: {"model": Problem},
    503: {"model": Problem, "description": "the service did not answer; retry with the key"},
}
UNCHANGED = "it was there already with the same data: nothing changed"


def command_id(kind: str, idempotency_key: str | None) -> str:
    """The command's id: from the Idempotency-Key (the same key, the same command), else new."""
    if idempotency_key is None:
        return f"api:{kind}:{uuid.uuid4().hex}"
    return f"api:{kind}:{uuid.uuid5(COMMAND_NAMESPACE, f'{kind}:{idempotency_key}').hex}"


@router.post(
    "/products",
    summary="Add a product",
    operation_id="addProduct",
    status_code=201,
    response_model=ProductPublic,
    responses={201: {"description": "added"},
               200: {"model": ProductPublic, "description": UNCHANGED}, **WRITE_ERRORS},
)  # fmt: skip
async def add_product(
    product: ProductCreate,
    response: Response,
    catalog: CatalogDep,
    positions: PositionsDep,
    _: Operator,
    idempotency_key: IdempotencyKey = None,
) -> ProductPublic:
    """Operator: add a SKU to inventory with its name, price and first stock (201). Adding it
    again with the same name and price changes nothing (200); with another, 409."""
    command = AddProduct(
        command_id=command_id("add-product", idempotency_key), **product.model_dump()
    )
    added = await _answered(catalog.add_product(command))
    asked = (product.sku, product.name, product.unit_price_cents)
    if (added.sku, added.name, added.unit_price_cents) != asked or (
        not added.existed and added.on_hand != product.on_hand
    ):
        raise _key_reused()
    response.status_code = 200 if added.existed else 201
    response.headers["Location"] = f"/products/{added.sku}"
    token = await stamp(response, positions)
    return ProductPublic(**added.model_dump(exclude={"kind"}), consistency_token=token)


@router.post(
    "/products/{sku}/restock",
    summary="Restock a product",
    operation_id="restockProduct",
    response_model=RestockPublic,
    responses={**WRITE_ERRORS, 404: {"model": Problem, "description": "no such SKU"}},
)
async def restock_product(
    sku: SkuPath,
    restock: RestockCreate,
    response: Response,
    catalog: CatalogDep,
    positions: PositionsDep,
    _: Operator,
    idempotency_key: IdempotencyKey = None,
) -> RestockPublic:
    """Operator: put `quantity` more units of a SKU on hand; answers its stock right after."""
    command = Restock(
        command_id=command_id("restock", idempotency_key), sku=sku, quantity=restock.quantity
    )
    restocked = await _answered(catalog.restock(command))
    if (restocked.sku, restocked.quantity) != (sku, restock.quantity):
        raise _key_reused()
    token = await stamp(response, positions)
    return RestockPublic(**restocked.model_dump(exclude={"kind"}), consistency_token=token)


@router.post(
    "/customers",
    summary="Open a customer's account",
    operation_id="openAccount",
    status_code=201,
    response_model=AccountPublic,
    responses={201: {"description": "opened"},
               200: {"model": AccountPublic, "description": UNCHANGED}, **WRITE_ERRORS},
)  # fmt: skip
async def open_account(
    account: AccountCreate,
    response: Response,
    catalog: CatalogDep,
    positions: PositionsDep,
    _: Operator,
    idempotency_key: IdempotencyKey = None,
) -> AccountPublic:
    """Operator: open a customer's account with its credit limit (201); a blocked account
    declines every card. Opening it again with the same limit and blocking changes nothing
    (200); otherwise 409."""
    command = OpenAccount(
        command_id=command_id("open-account", idempotency_key), **account.model_dump()
    )
    opened = await _answered(catalog.open_account(command))
    asked = (account.customer_id, account.credit_limit_cents, account.blocked)
    if (opened.customer_id, opened.credit_limit_cents, opened.blocked) != asked:
        raise _key_reused()
    response.status_code = 200 if opened.existed else 201
    response.headers["Location"] = f"/customers/{opened.customer_id}"
    token = await stamp(response, positions)
    return AccountPublic(**opened.model_dump(exclude={"kind"}), consistency_token=token)


async def _answered(sent: Awaitable[T]) -> T:
    """The service's event; its refusal as the answer that says why."""
    try:
        return await sent
    except CatalogRefused as refusal:
        if refusal.code == RejectionCode.UNKNOWN_SKU:
            raise NotFound(refusal.reason) from None
        if refusal.code == RejectionCode.INVALID_QUANTITY:
            raise BadRequest("body", "quantity", refusal.reason) from None
        raise Refused(refusal.reason) from None


def _key_reused() -> Refused:
    return Refused("this Idempotency-Key was used for a different request")
