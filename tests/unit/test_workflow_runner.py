"""Where workflow code runs in the SDK's sandbox: the worker only when asked (it costs a saga
about 10 ms), the workflow tests and the replayer of the recorded histories always, so workflow
code that does I/O or reads a clock fails in CI rather than in production."""

from temporalio.worker import UnsandboxedWorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from ordersaga.replay import make_replayer
from ordersaga.settings import WorkerSettings
from ordersaga.temporal import workflow_runner


def test_the_worker_runs_workflow_code_unsandboxed_unless_its_settings_ask() -> None:
    assert isinstance(workflow_runner(WorkerSettings()), UnsandboxedWorkflowRunner)
    sandboxed = workflow_runner(WorkerSettings(workflow_sandbox=True))
    assert isinstance(sandboxed, SandboxedWorkflowRunner)


def test_the_replayer_of_the_recorded_histories_runs_them_sandboxed() -> None:
    assert isinstance(make_replayer().config()["workflow_runner"], SandboxedWorkflowRunner)
