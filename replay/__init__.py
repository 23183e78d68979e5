"""Replay testing of the OrderSaga: record real histories of every path, replay them against
the current code, replay recent executions of a cluster before a deploy.

- `python -m replay.record --out tests/replay/histories` records (see `replay.record`),
- `python -m replay.check file PATH` / `python -m replay.check recent` replays,
- `replay.replayer` holds the functions behind both, `docs/versioning.md` the procedure.
"""
