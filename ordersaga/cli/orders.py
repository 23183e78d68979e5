"""`ordersaga order place|show|cancel`: the HTTP API from a terminal."""

import json as jsonlib
from typing import Annotated

import httpx
import typer

app = typer.Typer(help="Place and show orders through the HTTP API.", no_args_is_help=True)

ApiUrl = Annotated[str, typer.Option("--api", envvar="ORDERSAGA_API_URL", help="the API's URL")]
ApiKey = Annotated[
    str,
    typer.Option(
        "--key",
        envvar="ORDERSAGA_API_KEY",
        help="your API key (the demo operator key by default, which `ordersaga dev` accepts)",
    ),
]
DEMO_OPERATOR_KEY = "demo-operator"
DEFAULT_API = "http://127.0.0.1:8000"


@app.command()
def place(
    customer: Annotated[str, typer.Option(help="customer id, e.g. alice")],
    item: Annotated[list[str], typer.Option(help="SKU:QUANTITY, repeatable")],
    payment_method: Annotated[str, typer.Option(help="e.g. card-4242")] = "card-4242",
    key: Annotated[str | None, typer.Option(help="Idempotency-Key: a retry is one order")] = None,
    wait: Annotated[bool, typer.Option(help="wait for the outcome")] = False,
    timeout: Annotated[float | None, typer.Option(help="seconds to wait at most")] = None,
    api: ApiUrl = DEFAULT_API,
    api_key: ApiKey = DEMO_OPERATOR_KEY,
) -> None:
    """Place an order."""
    body = {
        "customer_id": customer,
        "items": [_line(i) for i in item],
        "payment_method": payment_method,
    }
    params: dict[str, str | float] = {"wait": str(wait).lower()}
    if timeout is not None:
        params["timeout"] = timeout
    headers = {"Idempotency-Key": key} if key else {}
    _call(api, api_key, "POST", "/orders", json=body, headers=headers, params=params)


@app.command()
def show(
    order_id: str,
    saga: Annotated[bool, typer.Option(help="the live saga and its step log instead")] = False,
    api: ApiUrl = DEFAULT_API,
    api_key: ApiKey = DEMO_OPERATOR_KEY,
) -> None:
    """Show an order as the read model holds it (with its timeline), or its saga."""
    _call(api, api_key, "GET", f"/orders/{order_id}/saga" if saga else f"/orders/{order_id}")


@app.command()
def cancel(
    order_id: str,
    reason: Annotated[str, typer.Option()] = "cancelled by customer",
    api: ApiUrl = DEFAULT_API,
    api_key: ApiKey = DEMO_OPERATOR_KEY,
) -> None:
    """Cancel an order that is not approved yet."""
    _call(api, api_key, "POST", f"/orders/{order_id}/cancel", json={"reason": reason})


def _line(text: str) -> dict[str, object]:
    sku, _, quantity = text.partition(":")
    if not sku or not quantity.isdigit():
        raise typer.BadParameter(f"{text!r}: expected SKU:QUANTITY, e.g. SKU-42:2")
    return {"sku": sku, "quantity": int(quantity)}


def _call(
    api: str,
    api_key: str,
    method: str,
    path: str,
    json: object = None,
    headers: dict[str, str] | None = None,
    params: dict[str, str | float] | None = None,
) -> None:
    headers = {**(headers or {}), "Authorization": f"Bearer {api_key}"}
    try:
        with httpx.Client(base_url=api, timeout=90) as http:
            response = http.request(method, path, json=json, headers=headers, params=params)
    except httpx.TransportError as error:
        typer.echo(f"cannot reach the API at {api} ({error}); is `ordersaga dev` running?")
        raise typer.Exit(2) from None
    _show(response)


def _show(response: httpx.Response) -> None:
    typer.echo(f"HTTP {response.status_code}")
    try:
        typer.echo(jsonlib.dumps(response.json(), indent=2))
    except ValueError:
        typer.echo(response.text)
    if response.status_code >= 400:
        raise typer.Exit(1)
