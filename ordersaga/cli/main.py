"""`ordersaga`: run a process, the whole system (`dev`), or place and show orders."""

from typing import TYPE_CHECKING

import typer

from ordersaga.cli import audit, bench, catalog, dead_letters, orders, projector, repair, replay

if TYPE_CHECKING:
    from ordersaga.services.host.service import Service

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False)
app.add_typer(orders.app, name="order")
app.add_typer(replay.app, name="replay")
app.add_typer(repair.app, name="repair")
app.add_typer(projector.app, name="projector")
app.add_typer(dead_letters.app, name="dead-letters")
app.add_typer(catalog.app, name="catalog")
app.command()(audit.audit)
app.command()(bench.bench)


@app.command()
def api() -> None:
    """Run the HTTP API."""
    import uvicorn

    from api.main import create_app
    from ordersaga.settings import ApiSettings
    from ordersaga.telemetry.logs import configure_logging
    from ordersaga.telemetry.tracing import setup_tracing

    settings = ApiSettings()
    level = settings.log_level.lower()
    configure_logging(settings, "api")  # uvicorn's lines too: log_config=None leaves them to it
    setup_tracing(settings, "api")
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=level,
        log_config=None,
    )


@app.command()
def worker() -> None:
    """Run the Temporal worker: the OrderSaga workflow and its activities."""
    import worker as worker_process

    worker_process.main()


@app.command("codec-server")
def codec_server() -> None:
    """Serve /encode and /decode of encrypted payloads to the Temporal UI and CLI (:8234)."""
    from ordersaga.codec_server import main as serve

    serve()


@app.command()
def inventory() -> None:
    """Run the inventory service."""
    from ordersaga.services.inventory.service import INVENTORY

    _serve(INVENTORY)


@app.command()
def payment() -> None:
    """Run the payment service."""
    from ordersaga.services.payment.service import PAYMENT

    _serve(PAYMENT)


@app.command()
def dev() -> None:
    """Run everything: Temporal dev server (UI on :8233), services, worker and API."""
    from ordersaga.cli.dev import run_dev

    raise typer.Exit(run_dev())


def _serve(service: "Service") -> None:
    from ordersaga.process import run_until_signalled
    from ordersaga.services.host.hosting import serve
    from ordersaga.settings import ServiceSettings

    settings = ServiceSettings()
    run_until_signalled(lambda stop: serve(service, settings, stop), settings, service.name)


def main() -> None:
    app()
