"""`ordersaga order place|show`: the API from a terminal."""

import json
from typing import Annotated

import httpx
import typer

app = typer.Typer(help="Place and show orders through the HTTP API.", no_args_is_help=True)

ApiUrl = Annotated[str, typer.Option("--api", envvar="ORDERSAGA_API_URL", help="the API's URL")]


@app.command()
def place(
    customer: Annotated[str, typer.Option(help="customer id, e.g. alice")],
    item: Annotated[list[str], typer.Option(help="SKU:QUANTITY, repeatable")],
    payment_method: Annotated[str, typer.Option()] = "card-4242",
    key: Annotated[str | None, typer.Option(help="Idempotency-Key")] = None,
    wait: Annotated[bool, typer.Option(help="wait for the outcome")] = False,
    api: ApiUrl = "http://127.0.0.1:8000",
) -> None:
    """Place an order."""
    body = {
        "customer_id": customer,
        "items": [_line(i) for i in item],
        "payment_method": payment_method,
    }
    headers = {"Idempotency-Key": key} if key else {}
    _show(
        httpx.post(
            f"{api}/orders",
            json=body,
            headers=headers,
            params={"wait": str(wait).lower()},
            timeout=60,
        )
    )


@app.command()
def show(order_id: str, api: ApiUrl = "http://127.0.0.1:8000") -> None:
    """Show an order and its saga's step log."""
    _show(httpx.get(f"{api}/orders/{order_id}", timeout=30))


def _line(text: str) -> dict[str, object]:
    sku, _, quantity = text.partition(":")
    if not quantity.isdigit():
        raise typer.BadParameter(f"{text!r}: expected SKU:QUANTITY, e.g. SKU-42:2")
    return {"sku": sku, "quantity": int(quantity)}


def _show(response: httpx.Response) -> None:
    try:
        payload = response.json()
    except ValueError:
        payload = response.text
    typer.echo(f"HTTP {response.status_code}")
    typer.echo(json.dumps(payload, indent=2) if not isinstance(payload, str) else payload)
    if response.status_code >= 400:
        raise typer.Exit(1)
