"""`ordersaga replay file|recent|record`: check workflow code against recorded histories."""

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from replay.replayer import DEFAULT_QUERY, ReplayReport

app = typer.Typer(help="Replay OrderSaga histories against this build.", no_args_is_help=True)


@app.command()
def file(paths: Annotated[list[Path], typer.Argument(help="JSON histories or folders")]) -> None:
    """Replay exported histories (ours, `temporal workflow show -o json`, UI downloads)."""
    from replay.check import check_files

    _report(asyncio.run(check_files(paths)))


@app.command()
def recent(
    query: Annotated[str, typer.Option(help="a visibility query")] = DEFAULT_QUERY,
    limit: Annotated[int, typer.Option(min=1)] = 50,
) -> None:
    """Replay the newest executions on a Temporal server (ORDERSAGA_TEMPORAL_ADDRESS)."""
    from replay.check import check_recent

    _report(asyncio.run(check_recent(query, limit)))


@app.command()
def record(
    out: Annotated[Path, typer.Option(help="where the histories go")] = Path(
        "tests/replay/histories"
    ),
    overwrite: Annotated[bool, typer.Option(help="re-record the current version")] = False,
) -> None:
    """Run every saga path on a fresh dev server and export the histories of this version."""
    from replay.record import main as record_main

    raise typer.Exit(record_main(["--out", str(out), *(["--overwrite"] if overwrite else [])]))


def _report(report: ReplayReport) -> None:
    typer.echo(report.summary())
    if not report.ok:
        raise typer.Exit(1)
