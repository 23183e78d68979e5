"""The operator's subcommands (audit, dead-letter redrive and drop, repairs, read-model rebuild,
switch, drop and reconcile) ask for an operator's API key, as the API's operator endpoints do:
ORDERSAGA_API_KEY, checked against ORDERSAGA_API_KEYS (the demo keys outside production)."""

import os

import typer

DEMO_OPERATOR_KEY = "demo-operator"


def require_operator() -> None:
    from ordersaga.access import operator_key_holds
    from ordersaga.settings import ApiSettings

    settings = ApiSettings()
    presented = os.environ.get("ORDERSAGA_API_KEY")
    if presented is None and settings.environment != "production":
        presented = DEMO_OPERATOR_KEY  # `ordersaga dev` works out of the box
    if not operator_key_holds(presented, settings):
        typer.echo("refused: this needs an operator's API key in ORDERSAGA_API_KEY", err=True)
        raise typer.Exit(3)
