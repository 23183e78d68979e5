"""A saga declared as a table of steps: what each step does, of which kind, and how it is undone.

Nothing here knows about orders. A step's `call` gets the saga's subject (whatever the saga is
about) and a `Call`, which runs one activity the way the step's kind and mode say and carries
the step's command id; the runner (saga_runner.py) supplies both.

| kind        | before or after the pivot | on failure                                     |
| ----------- | ------------------------- | ---------------------------------------------- |
| compensable | before                    | the saga rolls back, newest undo first         |
| pivot       | the point of no return    | retried until it succeeds (operator after it)  |
| retriable   | after                     | retried until it succeeds (operator after it)  |
| best effort | after                     | logged, and the saga goes on                   |
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, Literal, TypeVar

S = TypeVar("S")  # the saga's subject: what its steps act on


class Kind(StrEnum):
    COMPENSABLE = "compensable"
    PIVOT = "pivot"
    RETRIABLE = "retriable"
    BEST_EFFORT = "best effort"


class Mode(StrEnum):
    """How a step's activity runs (see activity_options.py for why)."""

    LOCAL_FIRST = "local, then regular until the step's deadline"
    REGULAR = "regular"
    LOCAL = "local, a few quick tries"


Ending = Literal["REJECTED", "CANCELLED"]


@dataclass(frozen=True)
class Call:
    """One step's way out: run an activity as the step's kind and mode say."""

    command_id: str
    summary: str
    execute: Callable[[Any, Any], Awaitable[Any]]

    async def __call__(self, activity: Any, arg: Any) -> Any:
        return await self.execute(activity, arg)


@dataclass(frozen=True)
class Undo(Generic[S]):
    """A compensation: retried until it succeeds; undoing what never happened is a no-op."""

    name: str  # its command id's last part
    title: str  # for the docs table
    summary: Callable[[S, Ending], str]
    call: Callable[[S, Call, Ending, str], Awaitable[None]]  # subject, call, ending, reason


@dataclass(frozen=True)
class Step(Generic[S]):
    name: str
    title: str
    kind: Kind
    summary: Callable[[S], str]
    call: Callable[[S, Call], Awaitable[None]]
    undo: Undo[S] | None = None
    mode: Mode = Mode.LOCAL_FIRST
    reached: str | None = None
    """The saga's status once this step is done (None: unchanged)."""
    with_previous: bool = False
    """Runs concurrently with the step before it (both after the pivot)."""
    when: Callable[[], bool] | None = None
    """Asked right before the step; False skips it (a patch gate of an older version)."""


@dataclass(frozen=True)
class SagaTable(Generic[S]):
    steps: Sequence[Step[S]]

    def __post_init__(self) -> None:
        kinds = [step.kind for step in self.steps]
        if kinds.count(Kind.PIVOT) != 1:
            raise ValueError("a saga has exactly one pivot")
        pivot = kinds.index(Kind.PIVOT)
        if any(kind != Kind.COMPENSABLE for kind in kinds[:pivot]):
            raise ValueError("every step before the pivot is compensable")
        if any(kind == Kind.COMPENSABLE for kind in kinds[pivot:]):
            raise ValueError("nothing after the pivot can be compensated")

    @property
    def compensable(self) -> list[Step[S]]:
        return [step for step in self.steps if step.kind == Kind.COMPENSABLE]

    @property
    def past_the_pivot(self) -> list[list[Step[S]]]:
        """The pivot and the steps after it, in groups that run concurrently."""
        groups: list[list[Step[S]]] = []
        for step in self.steps[len(self.compensable) :]:
            if step.with_previous and groups:
                groups[-1].append(step)
            else:
                groups.append([step])
        return groups

    def markdown(self) -> str:
        """The table of steps as the README and the workflow's docstring show it."""
        rows = ["| step | kind | compensation |", "| --- | --- | --- |"]
        previous: Step[S] | None = None
        for step in self.steps:
            undo = step.undo.title if step.undo else "none"
            rows.append(f"| {step.title} | {_kind_text(step, previous)} | {undo} |")
            previous = step
        return "\n".join(rows)


def _kind_text(step: Step[Any], previous: Step[Any] | None) -> str:
    if step.with_previous and previous is not None:
        return f"retriable, concurrent with {previous.title.split(' (')[0]}"
    return {
        Kind.COMPENSABLE: "compensable",
        Kind.PIVOT: "pivot: after it, no going back",
        Kind.RETRIABLE: "retriable: retried until it succeeds",
        Kind.BEST_EFFORT: "best effort: a failure is only logged",
    }[step.kind]
