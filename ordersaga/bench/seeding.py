"""A benchmark run's own products and customers, made through the operator's API (the services'
own commands: add a product, open an account), so the seed data is never drawn down and a run
can be repeated any number of times against the same databases."""

import asyncio
import uuid
from dataclasses import dataclass

import httpx

OPERATOR = {"Authorization": "Bearer demo-operator"}
UNITS = 1_000_000
CREDIT_CENTS = 2_000_000_000
PRICE_CENTS = 100


@dataclass(frozen=True)
class Catalog:
    """What the run's orders draw on: SKUs with plenty of stock, one with none (a rejection),
    and customers with credit to spare."""

    skus: list[str]
    customers: list[str]
    empty_sku: str
    payment_method: str = "card-4242"

    def sku(self, n: int) -> str:
        return self.skus[n % len(self.skus)]

    def customer(self, n: int) -> str:
        return self.customers[n % len(self.customers)]


async def seed(http: httpx.AsyncClient, skus: int = 16, customers: int = 16) -> Catalog:
    run = uuid.uuid4().hex[:8]
    catalog = Catalog(
        skus=[f"BENCH-{run.upper()}-{n}" for n in range(skus)],
        customers=[f"bench-{run}-{n}" for n in range(customers)],
        empty_sku=f"BENCH-{run.upper()}-EMPTY",
    )
    products = [(sku, UNITS) for sku in catalog.skus] + [(catalog.empty_sku, 0)]
    await asyncio.gather(
        *(_add_product(http, sku, on_hand) for sku, on_hand in products),
        *(_open_account(http, customer) for customer in catalog.customers),
    )
    return catalog


async def _add_product(http: httpx.AsyncClient, sku: str, on_hand: int) -> None:
    body = {"sku": sku, "name": f"Benchmark item {sku}", "unit_price_cents": PRICE_CENTS,
            "on_hand": on_hand}  # fmt: skip
    _require(await http.post("/products", json=body, headers=OPERATOR))


async def _open_account(http: httpx.AsyncClient, customer: str) -> None:
    body = {"customer_id": customer, "credit_limit_cents": CREDIT_CENTS}
    _require(await http.post("/customers", json=body, headers=OPERATOR))


def _require(answer: httpx.Response) -> None:
    if answer.status_code >= 300:
        raise RuntimeError(f"seeding: {answer.request.method} {answer.request.url.path} "
                           f"answered {answer.status_code} {answer.text[:300]}")  # fmt: skip
