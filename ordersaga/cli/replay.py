"""`ordersaga replay file|recent`: check this build's workflow code against histories, before
deploying it. (Recording the histories of a new version is test tooling:
`python -m tests.replay.record`, see docs/versioning.md.)"""

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from ordersaga.replay import DEFAULT_QUERY, ReplayReport, replay_files, replay_recent_of
from ordersaga.settings import TemporalSettings

app = typer.Typer(help="Replay OrderSaga histories against this build.", no_args_is_help=True)


@app.command()
def file(paths: Annotated[list[Path], typer.Argument(help="JSON histories or folders")]) -> None:
    """Replay exported histories (ours, `temporal workflow show -o json`, UI downloads);
    encrypted ones with the keys of ORDERSAGA_PAYLOAD_KEYS."""
    _report(asyncio.run(replay_files(paths, TemporalSettings())))


@app.command()
def recent(
    query: Annotated[str, typer.Option(help="a visibility query")] = DEFAULT_QUERY,
    limit: Annotated[int, typer.Option(min=1)] = 50,
) -> None:
    """Replay the newest executions on a Temporal server (ORDERSAGA_TEMPORAL_ADDRESS)."""
    _report(asyncio.run(replay_recent_of(TemporalSettings(), query, limit)))


def _report(report: ReplayReport) -> None:
    typer.echo(report.summary())
    if not report.ok:
        raise typer.Exit(1)
