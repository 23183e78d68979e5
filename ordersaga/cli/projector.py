"""`ordersaga projector`: run the read model's projector, or look after its builds."""

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from ordersaga.cli.operator import require_operator
from ordersaga.settings import ProjectorSettings

if TYPE_CHECKING:
    from ordersaga.database.engine import Sessions

app = typer.Typer(help=__doc__, add_completion=False, invoke_without_command=True)
T = TypeVar("T")


@app.callback()
def projector(ctx: typer.Context) -> None:
    """Run the projector (no subcommand), or one of the commands below."""
    if ctx.invoked_subcommand is not None:
        return
    from ordersaga.process import run_until_signalled
    from ordersaga.projector.running import run
    from ordersaga.telemetry.prometheus_meter import serving_metrics

    settings = ProjectorSettings()

    async def serve(stop: asyncio.Event) -> None:
        async with serving_metrics(settings):  # /metrics when ORDERSAGA_METRICS_PORT is set
            await run(settings, stop)

    run_until_signalled(serve, settings, "projector")


@app.command()
def status(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Position, head and lag per source and build, dead letters, liveness."""
    from dataclasses import asdict

    from ordersaga.projector.status import status as read_status

    found = _with_sessions(read_status)
    if as_json:
        print(json.dumps(asdict(found), indent=2, default=str))
        return
    print("\n".join(found.lines()))


@app.command()
def rebuild(
    switch: Annotated[bool, typer.Option(help="serve the new build once it caught up")] = True,
) -> None:
    """Fill a new build of the views beside the serving one; the running projector does it."""
    require_operator()
    from ordersaga.projector import catalog

    number = _with_sessions(lambda s: _in_transaction(s, catalog.request_build, switch))
    then = "it serves once it has caught up" if switch else "`switch` makes it serve"
    print(f"build {number} requested: the projector fills it in the background; {then}")


@app.command("switch")
def switch_to(build: int) -> None:
    """Serve another ready build (the previous one stays until dropped)."""
    require_operator()
    from ordersaga.projector import catalog

    _refusable(lambda s: _in_transaction(s, catalog.switch, build))
    print(f"build {build} serves now")


@app.command()
def drop(build: int) -> None:
    """Drop a build that does not serve; the projector removes its tables."""
    require_operator()
    from ordersaga.projector import catalog

    _refusable(lambda s: _in_transaction(s, catalog.drop, build))
    print(f"build {build} dropped")


@app.command()
def reconcile(
    repair: Annotated[
        bool, typer.Option(help="rewrite the rows that differ from the sources")
    ] = False,
    sagas: Annotated[
        bool, typer.Option(help="ask Temporal about orders the view has running")
    ] = True,
) -> None:
    """Compare the serving views with the sources' snapshots (and running orders with their
    sagas); print every difference. Exits 1 while any remains."""
    require_operator()
    from ordersaga import temporal
    from ordersaga.projector.reconcile import reconcile as compare
    from ordersaga.projector.wiring import connected_feeds, saga_ended_in

    settings = ProjectorSettings()

    async def work(sessions: "Sessions") -> list[object]:
        async with connected_feeds(settings, "projector-reconcile") as feeds:
            ended = saga_ended_in(await temporal.connect(settings)) if sagas else None
            return list(await compare(sessions, feeds, ended, repair=repair))

    differences = _refusable(work)
    for difference in differences:
        print(difference)
    if differences:
        print(f"{len(differences)} difference(s) remain")
        raise typer.Exit(1)
    print("the views agree with the sources" + (" (after repair)" if repair else ""))


@app.command("bench")
def bench_command(
    events: Annotated[int, typer.Option(help="backlog the catch-up starts from")] = 100_000,
    rate: Annotated[
        float, typer.Option(help="orders per second while the live lag is measured")
    ] = 20.0,
    live_seconds: Annotated[float, typer.Option(help="how long orders arrive")] = 15.0,
    lost: Annotated[int, typer.Option(help="events lost to the bus, one at a time")] = 20,
    postgres_dsn: Annotated[
        str | None,
        typer.Option(
            help="PostgreSQL instead of SQLite, e.g. postgresql://postgres@127.0.0.1:5432/test"
        ),
    ] = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="also write the figures here")
    ] = None,
) -> None:
    """The read model's figures on scratch services: catch-up events/s, live lag, lost-event
    repair time, rebuild switch-over. Needs RabbitMQ; leaves nothing behind."""
    import logging

    from ordersaga.bench.figures import report
    from ordersaga.bench.read_model import Options, bench

    logging.basicConfig(level="WARNING", format="%(asctime)s %(levelname)s %(name)s %(message)s")
    rabbitmq_url = ProjectorSettings().rabbitmq_url
    options = Options(events=events, rate=rate, live_seconds=live_seconds, lost=lost,
                      postgres_dsn=postgres_dsn, rabbitmq_url=rabbitmq_url)  # fmt: skip
    report(asyncio.run(bench(options)), json_path)


def _refusable(work: Callable[..., Awaitable[T]]) -> T:
    from ordersaga.projector.catalog import Refused

    try:
        return _with_sessions(work)
    except Refused as refused:
        typer.echo(f"refused: {refused}", err=True)
        raise typer.Exit(1) from None


async def _in_transaction(
    sessions: "Sessions", work: Callable[..., Awaitable[T]], *args: object
) -> T:
    async with sessions() as session, session.begin():
        return await work(session, *args)


def _with_sessions(work: Callable[..., Awaitable[T]]) -> T:
    from ordersaga.projector.running import read_model_database

    async def main() -> T:
        async with read_model_database(ProjectorSettings().projector_db_url) as sessions:
            return await work(sessions)

    return asyncio.run(main())
