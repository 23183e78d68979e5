"""The saga's step table is declared once; the README and the workflow's docstring show it."""

import inspect
from pathlib import Path

import pytest

from workflows.order_saga import OrderSaga
from workflows.order_steps import ORDER_SAGA, StepName
from workflows.saga_table import Kind, SagaTable, Step

README = Path(__file__).parents[2] / "README.md"


def test_the_readme_shows_the_declared_table() -> None:
    assert ORDER_SAGA.markdown() in README.read_text()


def test_the_workflow_docstring_shows_the_declared_table() -> None:
    assert ORDER_SAGA.markdown() in inspect.cleandoc(OrderSaga.__doc__ or "")


def test_every_step_and_undo_is_named_from_the_typed_names() -> None:
    names = [step.name for step in ORDER_SAGA.steps]
    names += [step.undo.name for step in ORDER_SAGA.steps if step.undo]
    assert sorted(names) == sorted(StepName)


def test_capture_and_commit_run_together_after_the_pivot() -> None:
    groups = [[step.name for step in group] for group in ORDER_SAGA.past_the_pivot]
    assert groups == [
        ["approve-order"],
        ["capture-payment", "commit-stock"],
        ["complete-order"],
        ["notify-customer"],
    ]


async def _nothing(*_: object) -> None:
    return None


def _step(name: str, kind: Kind) -> Step[None]:
    return Step(name, name, kind, lambda _: name, _nothing)


@pytest.mark.parametrize(
    "kinds",
    [
        [Kind.COMPENSABLE, Kind.RETRIABLE],  # no pivot
        [Kind.COMPENSABLE, Kind.PIVOT, Kind.PIVOT],
        [Kind.RETRIABLE, Kind.PIVOT],  # something before the pivot that cannot be undone
        [Kind.PIVOT, Kind.COMPENSABLE],  # an undo after the point of no return
    ],
)
def test_a_table_that_breaks_the_saga_rules_is_refused(kinds: list[Kind]) -> None:
    with pytest.raises(ValueError):
        SagaTable([_step(f"s{i}", kind) for i, kind in enumerate(kinds)])
