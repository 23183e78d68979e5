"""Replaying recorded histories against the current workflow code.

A history replays cleanly when the code, fed the same events, issues the same commands in the
same order. When it does not, a worker running that code would fail the workflow tasks of every
execution still open with that history: `NondeterminismError`. Replay before deploying.

`make_replayer()` is the one Replayer everything uses (tests, `ordersaga replay`, the history
recorder): the worker's workflows and data converter, and no interceptors, as the worker has none.
Given settings with payload keys it also reads encrypted histories (docs/payload-encryption.md);
plain histories replay either way.
"""

from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from temporalio.client import Client, WorkflowHistory
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

import worker
from ordersaga import temporal
from ordersaga.settings import TemporalSettings

DEFAULT_QUERY = 'WorkflowType="OrderSaga"'


@dataclass(frozen=True)
class ReplayFailure:
    workflow_id: str
    run_id: str
    nondeterminism: bool
    """True for a NondeterminismError; False for any other failure of a workflow task."""
    message: str


@dataclass
class ReplayReport:
    replayed: int = 0
    failures: list[ReplayFailure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        lines = [f"replayed {self.replayed} histories, {len(self.failures)} failed"]
        for failure in self.failures:
            kind = "nondeterminism" if failure.nondeterminism else "error"
            lines.append(f"  {failure.workflow_id} ({failure.run_id}): {kind}: {failure.message}")
        return "\n".join(lines)


def make_replayer(
    workflows: Sequence[type] | None = None, settings: TemporalSettings | None = None
) -> Replayer:
    """The worker's workflows (or `workflows`), with the worker's data converter: the one of
    `settings` (their payload keys), or the plain one, which reads unencrypted histories only."""
    converter = temporal.DATA_CONVERTER if settings is None else temporal.data_converter(settings)
    return Replayer(
        workflows=list(workflows) if workflows is not None else list(worker.WORKFLOWS),
        data_converter=converter,
    )


def load_history(path: Path, workflow_id: str | None = None) -> WorkflowHistory:
    """A history exported as JSON (`history.to_json()`, `temporal workflow show -o json`, the
    UI's download). The file holds no workflow id; it only names the replay (default: the
    file's stem)."""
    return WorkflowHistory.from_json(workflow_id or path.stem, path.read_text())


async def replay_histories(
    histories: AsyncIterator[WorkflowHistory] | Iterable[WorkflowHistory],
    replayer: Replayer | None = None,
) -> ReplayReport:
    """Replay every history; failures are collected, not raised."""
    report = ReplayReport()
    async with (replayer or make_replayer()).workflow_replay_iterator(_aiter(histories)) as results:
        async for result in results:
            report.replayed += 1
            if result.replay_failure is not None:
                report.failures.append(
                    ReplayFailure(
                        workflow_id=result.history.workflow_id,
                        run_id=_run_id(result.history),
                        nondeterminism=isinstance(result.replay_failure, NondeterminismError),
                        message=str(result.replay_failure),
                    )
                )
    return report


async def replay_file(path: Path, replayer: Replayer | None = None) -> ReplayReport:
    """Replay one JSON history, or every `*.json` history of a folder."""
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    return await replay_histories((load_history(file) for file in files), replayer)


async def replay_files(
    paths: Sequence[Path], settings: TemporalSettings | None = None
) -> ReplayReport:
    """Replay JSON histories and folders of them, as one report (encrypted ones too when the
    settings hold their keys)."""
    total = ReplayReport()
    replayer = make_replayer(settings=settings)
    for path in paths:
        report = await replay_file(path, replayer)
        total.replayed += report.replayed
        total.failures.extend(report.failures)
    return total


async def replay_recent(
    client: Client,
    query: str = DEFAULT_QUERY,
    limit: int = 50,
    replayer: Replayer | None = None,
) -> ReplayReport:
    """Replay the histories of the newest executions matching a visibility `query` (open ones
    too: an open execution is exactly what a deploy must not break)."""
    executions = client.list_workflows(query, limit=limit)
    return await replay_histories(executions.map_histories(), replayer)


async def replay_recent_of(settings: TemporalSettings, query: str, limit: int) -> ReplayReport:
    """`replay_recent` on the cluster the settings name (ORDERSAGA_TEMPORAL_ADDRESS...), with
    their payload keys."""
    client = await temporal.connect(settings)
    return await replay_recent(client, query, limit, make_replayer(settings=settings))


async def _aiter(
    histories: AsyncIterator[WorkflowHistory] | Iterable[WorkflowHistory],
) -> AsyncIterator[WorkflowHistory]:
    if isinstance(histories, AsyncIterator):
        async for history in histories:
            yield history
    else:
        for history in histories:
            yield history


def _run_id(history: WorkflowHistory) -> str:
    try:
        return history.run_id
    except RuntimeError:
        return "?"
