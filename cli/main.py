"""`ordersaga`: run a process, the whole system (`dev`), or place and show orders."""

import typer
import uvicorn

from cli import orders, repair, replay
from settings.api import ApiSettings
from settings.participant import InventorySettings, PaymentSettings

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False)
app.add_typer(orders.app, name="order")
app.add_typer(replay.app, name="replay")
app.add_typer(repair.app, name="repair")


@app.command()
def api() -> None:
    """Run the HTTP API."""
    from api.main import create_app

    settings = ApiSettings()
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
    )


@app.command()
def worker() -> None:
    """Run the Temporal worker: the OrderSaga workflow and its activities."""
    import worker as worker_process

    worker_process.main()


@app.command()
def inventory() -> None:
    """Run the inventory service."""
    import inventory.service
    from cli.signals import run_until_signalled

    settings = InventorySettings()
    run_until_signalled(lambda stop: inventory.service.run(settings, stop), settings.log_level)


@app.command()
def payment() -> None:
    """Run the payment service."""
    import payment.service
    from cli.signals import run_until_signalled

    settings = PaymentSettings()
    run_until_signalled(lambda stop: payment.service.run(settings, stop), settings.log_level)


@app.command()
def dev() -> None:
    """Run everything: Temporal dev server (UI on :8233), services, worker and API."""
    from cli.dev import run_dev

    raise typer.Exit(run_dev())


def main() -> None:
    app()
