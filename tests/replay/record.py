"""Record one real history per saga path, for the replay tests. From the repository's root:

    .venv/bin/python -m tests.replay.record                # every path of the current VERSION
    .venv/bin/python -m tests.replay.record --path happy-path --overwrite

starts a Temporal dev server (the venv's `temporal` binary), the real worker and the real
services in-process (SQLite in a temporary folder, a bus prefix of its own on the local
RabbitMQ), drives every path of `tests/replay/scenarios.py`, checks how each ended, replays
each history against the current code, and only then writes `<VERSION>-<path>.json` files.
It refuses to overwrite histories that exist (`--overwrite` re-records the current version on
purpose): committed histories are the record of what running workflows did, not test fixtures.
"""

import asyncio
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from temporalio.client import WorkflowHistory

from ordersaga.replay import make_replayer
from tests.replay.scenarios import SCENARIOS, VERSION, history_name
from tests.support.dev_server import dev_server
from tests.support.system import recording_system

log = logging.getLogger("ordersaga.replay.record")

DEFAULT_OUT = Path("tests/replay/histories")

_CLOSED = {
    "workflow_execution_completed_event_attributes",
    "workflow_execution_failed_event_attributes",
    "workflow_execution_canceled_event_attributes",
    "workflow_execution_timed_out_event_attributes",
    "workflow_execution_terminated_event_attributes",
}


async def record(
    out: Path = DEFAULT_OUT, paths: Sequence[str] | None = None, overwrite: bool = False
) -> list[Path]:
    """Record the given paths (all by default) of the current code; returns the files written."""
    chosen = list(paths or SCENARIOS)
    unknown = sorted(set(chosen) - set(SCENARIOS))
    if unknown:
        raise ValueError(f"unknown paths {unknown}; known: {sorted(SCENARIOS)}")
    targets = {path: out / history_name(VERSION, path) for path in chosen}
    existing = [str(target) for target in targets.values() if target.exists()]
    if existing and not overwrite:
        raise FileExistsError(f"histories exist (bump VERSION or pass --overwrite): {existing}")

    histories: dict[str, WorkflowHistory] = {}
    async with dev_server() as env, recording_system(env.client) as system:
        for path in chosen:
            began = time.monotonic()
            handle = await SCENARIOS[path](system, f"{VERSION}-{path}")
            histories[path] = await handle.fetch_history()
            _require_closed(path, histories[path])
            log.info("%s recorded in %.1fs", path, time.monotonic() - began)

    replayer = make_replayer()
    for history in histories.values():
        await replayer.replay_workflow(history)  # raises if the code cannot replay its own
    out.mkdir(parents=True, exist_ok=True)
    for path, history in histories.items():
        targets[path].write_text(history.to_json() + "\n")
    return list(targets.values())


def _require_closed(path: str, history: WorkflowHistory) -> None:
    if history.events[-1].WhichOneof("attributes") not in _CLOSED:
        raise RuntimeError(f"{path}: the workflow is still open, its history is incomplete")


def main(
    path: Annotated[list[str] | None, typer.Option(help="record only this path")] = None,
    overwrite: Annotated[bool, typer.Option(help="replace existing histories")] = False,
    out: Annotated[Path, typer.Option(help="folder of the histories")] = DEFAULT_OUT,
) -> None:
    """Record the histories of the current workflow code (see the module's docstring)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # The scenarios fail steps on purpose; the SDK's warnings about those are noise here.
    for noisy in ("temporalio", "alembic"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    began = time.monotonic()
    try:
        written = asyncio.run(record(out, path, overwrite))
    except (FileExistsError, ValueError) as refused:
        log.error("%s", refused)
        raise typer.Exit(2) from None
    for target in written:
        typer.echo(str(target))
    log.info("%d histories of %s in %.1fs", len(written), VERSION, time.monotonic() - began)


if __name__ == "__main__":
    typer.run(main)
