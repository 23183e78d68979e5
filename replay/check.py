"""Replay histories against the current workflow code; exit 1 on any failure.

    python -m replay.check file tests/replay/histories        # a folder or .json files
    python -m replay.check recent --query 'WorkflowType="OrderSaga"' --limit 50

`recent` connects like every process does (`ORDERSAGA_TEMPORAL_ADDRESS`, `..._NAMESPACE`).
"""

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from replay.replayer import DEFAULT_QUERY, ReplayReport, replay_file, replay_recent
from settings.common import TemporalSettings
from workflows.client import connect_temporal


async def check_files(paths: Sequence[Path]) -> ReplayReport:
    total = ReplayReport()
    for path in paths:
        report = await replay_file(path)
        total.replayed += report.replayed
        total.failures.extend(report.failures)
    return total


async def check_recent(query: str, limit: int) -> ReplayReport:
    client = await connect_temporal(TemporalSettings())
    return await replay_recent(client, query, limit)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m replay.check", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    files = commands.add_parser("file", help="replay JSON histories (files or folders)")
    files.add_argument("paths", nargs="+", type=Path)
    recent = commands.add_parser("recent", help="replay the newest executions of the cluster")
    recent.add_argument("--query", default=DEFAULT_QUERY, help="a visibility list filter")
    recent.add_argument("--limit", type=int, default=50)
    args = parser.parse_args(argv)
    if args.command == "file":
        report = asyncio.run(check_files(args.paths))
    else:
        report = asyncio.run(check_recent(args.query, args.limit))
    sys.stdout.write(report.summary() + "\n")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
