"""`ordersaga bench`: the saga against Temporal's own floor on this machine, in one run."""

import asyncio
import json
import logging
from pathlib import Path
from typing import Annotated, Literal

import typer


def bench(
    orders: Annotated[int, typer.Option(help="orders (and floor runs) started at once")] = 200,
    sequential: Annotated[int, typer.Option(help="runs one after another, per kind")] = 30,
    concurrency: Annotated[int, typer.Option(help="runs in flight at once")] = 40,
    via: Annotated[
        Literal["client", "api"],
        typer.Option(help="start sagas with a Temporal client as the API does, or over HTTP"),
    ] = "client",
    reject_share: Annotated[float, typer.Option(min=0, max=1, help="share out of stock")] = 0.1,
    cancel_share: Annotated[float, typer.Option(min=0, max=1, help="share cancelled")] = 0.1,
    open_loop_seconds: Annotated[
        float, typer.Option(help="POST /orders at 80 % of the saga's peak for this long")
    ] = 10.0,
    catch_up_events: Annotated[int, typer.Option(help="the read model's backlog")] = 20_000,
    soak_orders: Annotated[
        int, typer.Option(help="then this many more orders, for the worker's memory (0: off)")
    ] = 0,
    hops: Annotated[int, typer.Option(help="round trips per kind of hop, one at a time")] = 200,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="also write the figures here")
    ] = None,
    quiet: Annotated[bool, typer.Option(help="no progress bar")] = False,
) -> None:
    """Floor B (five no-op local activities, eager start), floor A (the saga's shape, no-op
    steps) and the saga through the full system, in one run against one Temporal server, the
    real RabbitMQ and databases; then the API under load, one hop of a step alone and the read
    model's catch-up. Starts
    its own system (`ordersaga dev` in a scratch folder, free ports) and seeds its own products
    and customers; leaves nothing behind."""
    from ordersaga.bench.progress import Progress
    from ordersaga.bench.report import summary
    from ordersaga.bench.run import Options
    from ordersaga.bench.run import bench as run_bench
    from ordersaga.settings import ProcessSettings

    if soak_orders and soak_orders <= 1000:
        raise typer.BadParameter("a soak is more than 1,000 orders", param_hint="--soak-orders")
    logging.basicConfig(level="WARNING", format="%(asctime)s %(levelname)s %(name)s %(message)s")
    options = Options(
        orders=orders, sequential=sequential, concurrency=concurrency, via=via,
        reject_share=reject_share, cancel_share=cancel_share,
        open_loop_seconds=open_loop_seconds, catch_up_events=catch_up_events,
        soak_orders=soak_orders, hops=hops, rabbitmq_url=ProcessSettings().rabbitmq_url,
    )  # fmt: skip
    with Progress(quiet) as progress:
        figures = asyncio.run(run_bench(options, progress))
    print(summary(figures))
    if json_path is not None:
        json_path.write_text(json.dumps(figures, indent=2))
        print(f"written to {json_path}")
