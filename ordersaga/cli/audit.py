"""`ordersaga audit`: check the invariants across every service; exit 1 on any violation."""

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer

from ordersaga.cli.operator import require_operator
from ordersaga.settings import TemporalSettings


def audit(
    sagas: Annotated[bool, typer.Option(help="also match the sagas in Temporal")] = True,
    stuck_after: Annotated[float, typer.Option(help="seconds a saga may run")] = 600.0,
    baseline: Annotated[
        Path | None, typer.Option(help="stock saved by --save-baseline: check on-hand too")
    ] = None,
    save_baseline: Annotated[
        Path | None, typer.Option(help="save today's stock for a later --baseline")
    ] = None,
) -> None:
    """Every COMPLETED order sold and charged once, every closed order holds nothing, stock and
    money conserved, no saga stuck, orders and sagas one to one. Prints each violation."""
    require_operator()
    from ordersaga import temporal
    from ordersaga.auditor import Audit, Baseline, temporal_sagas
    from ordersaga.projector.wiring import connected_feeds

    settings = TemporalSettings()

    async def main() -> list[str]:
        async with connected_feeds(settings, "audit") as feeds:
            lister = None
            if sagas:
                lister = temporal_sagas(await temporal.connect(settings), settings.task_queue)
            auditing = Audit(feeds, lister, stuck_after_seconds=stuck_after)
            if save_baseline is not None:
                saved = await auditing.baseline()
                save_baseline.write_text(json.dumps(saved.__dict__, indent=2))
                print(f"baseline saved to {save_baseline}")
            before = Baseline(**json.loads(baseline.read_text())) if baseline else None
            return [str(v) for v in await auditing.run(before)]

    violations = asyncio.run(main())
    for violation in violations:
        print(violation)
    if violations:
        print(f"{len(violations)} violation(s)")
        raise typer.Exit(1)
    print("no violations")
